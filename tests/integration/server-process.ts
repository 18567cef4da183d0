import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { isolatedEnv } from './test-storage';

/** A free TCP port on loopback (the OS picks it; we release it right away). */
export async function freePort(): Promise<number> {
	const server = createServer();
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const address = server.address();
	server.close();
	if (typeof address !== 'object' || !address) throw new Error('no port');
	return address.port;
}

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
 * answers. By default through tsx (no build needed); `built: true` runs the bundle that
 * `npm start` runs (build/server/main.js, serving build/client).
 */
export async function startServerProcess(
	dataDir: string,
	env: Record<string, string> = {},
	options: { built?: boolean; port?: number } = {}
): Promise<ServerProcess> {
	const port = options.port ?? (await freePort());
	const entry = options.built ? ['build/server/main.js'] : ['--import', 'tsx', 'server/main.ts'];
	const child = spawn(process.execPath, entry, {
		// DATABASE_URL / REDIS_URL only when the test passes them in `env`.
		env: isolatedEnv({ PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env }),
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let output = '';
	child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
	const exited = new Promise<number | string>((resolve) =>
		child.on('exit', (code, signal) => resolve(code ?? signal ?? -1))
	);
	const url = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + 20_000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) break;
		try {
			const response = await fetch(`${url}/healthz`);
			if (response.ok) return { child, port, url, output: () => output, exited };
		} catch {
			// not listening yet
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	child.kill('SIGKILL');
	throw new Error(`server did not become healthy:\n${output}`);
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
