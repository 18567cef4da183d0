import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createTestServer } from '../support/test-server';
import { isolatedEnv } from './test-storage';

export { freePort } from '../support/ports';

export interface ServerProcess {
	child: ChildProcess;
	port: number;
	url: string;
	output(): string;
	/** Resolves with the exit code (or signal name) when the process ends. */
	exited: Promise<number | string>;
}

/**
 * Runs the real server as a separate process on a given data directory; resolves when /healthz
 * answers (tests/support/test-server.ts, child mode). By default through tsx (no build needed);
 * `built: true` runs the bundle that `npm start` runs (build/server/main.js).
 */
export async function startServerProcess(
	dataDir: string,
	env: Record<string, string> = {},
	options: { built?: boolean; port?: number } = {}
): Promise<ServerProcess> {
	const server = await createTestServer({
		mode: 'child',
		dataDir,
		// DATABASE_URL / REDIS_URL only when the test passes them in `env`.
		storage: null,
		env,
		...(options.built ? { entry: 'build/server/main.js', clientDir: 'build/client' } : {}),
		...(options.port ? { port: options.port } : {})
	});
	return {
		child: server.child,
		port: server.port,
		url: server.url,
		output: server.logs,
		exited: server.exited
	};
}

/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in ticks of 10 ms. */
const CLK_TCK = 100;

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// fields[11] = utime, fields[12] = stime (fields 14 and 15 of proc(5), counted from state = 3)
	return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** Resident memory of a process in MB, from /proc/<pid>/status (VmRSS). */
export function rssMb(pid: number): number {
	const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * The environment of a server a benchmark starts (bench-relay, bench-cluster): its own port and
 * data directory, no database or Redis of the caller's environment unless `extra` names them,
 * warnings only, and no connection caps per address or per user — every bench client comes from
 * 127.0.0.1 as one of few users; the defaults (500 per address) are for the real world.
 */
export function benchServerEnv(
	port: number,
	dataDir: string,
	secret: string,
	extra: Record<string, string> = {}
): NodeJS.ProcessEnv {
	return isolatedEnv({
		PORT: String(port),
		HOST: '127.0.0.1',
		DATA_DIR: dataDir,
		SERVER_SECRET: secret,
		LOG_LEVEL: 'warn',
		RELAY_MAX_CONNECTIONS_PER_IP: '100000',
		MAX_CONNECTIONS_PER_IP: '100000',
		RELAY_MAX_CONNECTIONS_PER_USER: '100000',
		...extra
	});
}
