/**
 * The one test-server factory of the suites: the real all-in-one server (server/app.ts) on an
 * ephemeral port with a temporary data directory and captured logs, either in this process
 * (`createServer`, the default: fast, and the test can reach into `server`) or as a child process
 * (restarts, kill -9, several instances). Storage follows TEST_STORAGE: SQLite in the data
 * directory, or under `npm run test:postgres` a fresh PostgreSQL database on TEST_DATABASE_URL,
 * dropped by close() (tests/integration/test-storage.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createServer, type NastavnikServer } from '../../server/app';
import { loadConfig, type LogLevel } from '../../server/config';
import { createLogger } from '../../server/logger';
import { isolatedEnv, testStorageEnv, type TestStorageEnv } from '../integration/test-storage';
import { SERVER_NODE_FLAGS } from '../../server/node-flags';
import { freePort } from './ports';
import { waitFor } from './wait';

export interface TestServerOptions {
	/** 'in-process' (default): createServer here. 'child': the server as a separate process. */
	mode?: 'in-process' | 'child';
	/**
	 * Child only: a bundle to run (e.g. 'build/server/main.js', what `npm start` runs); default
	 * server/main.ts through tsx.
	 */
	entry?: string;
	/** Child only: Node options after the server's own (e.g. `--inspect=127.0.0.1:0`). */
	nodeArgs?: string[];
	/** Configuration on top of the test defaults (RELAY_*, SERVER_SECRET, PORT, …). */
	env?: Record<string, string>;
	/** Data directory to use (and keep); default a fresh temporary one that close() removes. */
	dataDir?: string;
	/** Built PWA to serve; default a directory that does not exist (no client). */
	clientDir?: string;
	/** Port; default 0 in process (the OS picks), a free one for a child. */
	port?: number;
	/** Default 'info'; the logs are captured either way (`logs()`). */
	logLevel?: LogLevel;
	/**
	 * Storage: default a fresh one as TEST_STORAGE selects, cleaned up by close(). Pass one to
	 * share it between restarts (its cleanup is then the caller's); `null`: only what `env` says
	 * (SQLite in the data directory unless env has DATABASE_URL).
	 */
	storage?: TestStorageEnv | null;
	/**
	 * Child only: how long the server may take to answer /healthz. Generous, because tsx compiles
	 * the server on start-up and a loaded machine (CI, parallel test files) makes that slow.
	 */
	startupTimeoutMs?: number;
}

interface TestServerBase {
	port: number;
	/** http://127.0.0.1:<port> */
	url: string;
	/** ws://127.0.0.1:<port>/sync */
	wsBase: string;
	dataDir: string;
	/** Everything the server logged (JSON lines; for a child, stdout and stderr). */
	logs(): string;
	/** Stops the server, drops its test database and removes what the factory created. */
	close(): Promise<void>;
}

export interface InProcessTestServer extends TestServerBase {
	mode: 'in-process';
	server: NastavnikServer;
}

export interface ChildTestServer extends TestServerBase {
	mode: 'child';
	child: ChildProcess;
	pid: number;
	/** Resolves with the exit code (or signal name) when the process ends. */
	exited: Promise<number | string>;
	/** SIGKILL (crash) or SIGTERM (deploy); resolves when the process is gone. */
	stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<number | string>;
}

export type TestServer = InProcessTestServer | ChildTestServer;

export const DEFAULT_STARTUP_TIMEOUT_MS = 180_000;

/** `/metrics` is closed without a token: test servers get this one (`metricsHeaders`). */
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789abcdefghij';
export const metricsHeaders = { authorization: `Bearer ${TEST_METRICS_TOKEN}` };

/** Children still running when the test process exits are killed with it. */
const liveChildren = new Set<ChildProcess>();
process.on('exit', () => {
	for (const child of liveChildren) child.kill('SIGKILL');
});

export function createTestServer(
	options: TestServerOptions & { mode: 'child' }
): Promise<ChildTestServer>;
export function createTestServer(
	options?: TestServerOptions & { mode?: 'in-process' }
): Promise<InProcessTestServer>;
export async function createTestServer(options: TestServerOptions = {}): Promise<TestServer> {
	// A temporary root only when the caller gives no data directory (it then holds `data/`).
	const root = options.dataDir ? null : mkdtempSync(path.join(tmpdir(), 'nastavnik-test-server-'));
	const dataDir = options.dataDir ?? path.join(root ?? '', 'data');
	const ownStorage = options.storage === undefined ? await testStorageEnv() : null;
	const storage = options.storage === undefined ? ownStorage : options.storage;
	const cleanup = async () => {
		await ownStorage?.cleanup();
		if (root) rmSync(root, { recursive: true, force: true });
	};
	const env: Record<string, string> = {
		HOST: '127.0.0.1',
		DATA_DIR: dataDir,
		// A directory that does not exist: no PWA to serve.
		CLIENT_DIR: options.clientDir ?? path.join(root ?? dataDir, 'no-client'),
		LOG_LEVEL: options.logLevel ?? 'info',
		METRICS_TOKEN: TEST_METRICS_TOKEN,
		// Worker threads at the event loop's priority: on a machine the suite itself saturates, niced
		// workers (the production default, 10) made 30 s export tests time out. Behaviour is the same.
		WORKER_NICE: '0',
		...(storage?.env ?? {}),
		...options.env
	};
	try {
		return options.mode === 'child'
			? await startChild(options, env, dataDir, cleanup)
			: await startInProcess(options, env, root ?? dataDir, dataDir, cleanup);
	} catch (error) {
		await cleanup();
		throw error;
	}
}

async function startInProcess(
	options: TestServerOptions,
	env: Record<string, string>,
	root: string,
	dataDir: string,
	cleanup: () => Promise<void>
): Promise<InProcessTestServer> {
	let logs = '';
	const sink = new Writable({
		write(chunk: Buffer, _enc, done) {
			logs += chunk.toString();
			done();
		}
	});
	// Only the given environment: a developer's DATABASE_URL never reaches a test server.
	const config = loadConfig({ PORT: String(options.port ?? 0), ...env }, root);
	const server = await createServer(config, createLogger(config.logLevel, sink));
	let port: number;
	try {
		port = await server.listen();
	} catch (error) {
		await server.close();
		throw error;
	}
	let closed: Promise<void> | null = null;
	return {
		mode: 'in-process',
		server,
		port,
		url: `http://127.0.0.1:${port}`,
		wsBase: `ws://127.0.0.1:${port}/sync`,
		dataDir,
		logs: () => logs,
		close() {
			closed ??= server.close().then(cleanup);
			return closed;
		}
	};
}

async function startChild(
	options: TestServerOptions,
	env: Record<string, string>,
	dataDir: string,
	cleanup: () => Promise<void>
): Promise<ChildTestServer> {
	const port = options.port ?? (await freePort());
	const args = [
		...SERVER_NODE_FLAGS,
		...(options.nodeArgs ?? []),
		...(options.entry ? [options.entry] : ['--import', 'tsx', 'server/main.ts'])
	];
	const child = spawn(process.execPath, args, {
		env: isolatedEnv({ PORT: String(port), ...env }),
		stdio: ['ignore', 'pipe', 'pipe']
	});
	liveChildren.add(child);
	let output = '';
	const keep = (chunk: Buffer) => {
		output += chunk.toString();
		// Long campaigns log a lot: keep the last megabyte.
		if (output.length > 2_000_000) output = output.slice(-1_000_000);
	};
	child.stdout?.on('data', keep);
	child.stderr?.on('data', keep);
	const exited = new Promise<number | string>((resolve) =>
		child.on('exit', (code, signal) => {
			liveChildren.delete(child);
			resolve(code ?? signal ?? -1);
		})
	);
	const gone = () => child.exitCode !== null || child.signalCode !== null;
	const url = `http://127.0.0.1:${port}`;
	const timeout = options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
	try {
		await waitFor(
			async () => {
				if (gone()) throw new Error('the server exited before it became healthy');
				// Not listening yet: ECONNREFUSED until it is.
				return (await fetch(`${url}/healthz`).catch(() => null))?.ok ?? false;
			},
			{ what: `the server on port ${port} to answer /healthz`, timeout, interval: 50 }
		);
	} catch (error) {
		if (!gone()) child.kill('SIGKILL');
		throw new Error(`${error instanceof Error ? error.message : error}:\n${output}`);
	}
	const stop = async (signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM') => {
		if (!gone()) child.kill(signal);
		return exited;
	};
	return {
		mode: 'child',
		child,
		pid: child.pid ?? 0,
		port,
		url,
		wsBase: `ws://127.0.0.1:${port}/sync`,
		dataDir,
		logs: () => output,
		exited,
		stop,
		async close() {
			await stop('SIGTERM');
			await cleanup();
		}
	};
}
