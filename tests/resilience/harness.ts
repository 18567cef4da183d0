/**
 * The resilience campaign's harness: the built server as a child process on its own data
 * directory, tokens minted with the secret the server was given, direct access to the SQLite
 * file for setup and for the final invariants, and the server's memory and file descriptors
 * from /proc. See docs/resilience.md.
 */
import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { mintAccessToken, type Access } from '../../server/auth/tokens';
import { summarize } from '../../src/lib/shared/program';
import { DATABASE_FILE, openDatabase } from '../../server/storage/sqlite/database';
import { createSqliteDocumentStore } from '../../server/storage/sqlite/document-store';
import { rssMb } from '../integration/server-process';
import { createTestServer } from '../support/test-server';
import { sleep, waitFor } from '../support/wait';
import { RESILIENCE_BUILD_DIR } from './global-setup';

/** RESILIENCE_LONG=1: the release form (more seeds, frames, clients). */
export const LONG = process.env.RESILIENCE_LONG === '1';

/** The signing secret every server of the campaign gets, so tests mint tokens without the db. */
export const SECRET = 'resilience-campaign-secret-0123456789abcdef';

/**
 * Seeds of a randomized scenario: RESILIENCE_SEEDS="7,42" replays given seeds (a failure
 * prints its seed); otherwise `count` seeds from `base` (a fixed base: CI runs are repeatable).
 */
export function seeds(count: number, base: number): number[] {
	const given = process.env.RESILIENCE_SEEDS;
	if (given) return given.split(',').map((s) => Number(s.trim()));
	return Array.from({ length: count }, (_, i) => base + i);
}

/** mulberry32: small, fast, good enough for fault schedules; the same seed gives the same run. */
export interface Rng {
	next(): number;
	int(n: number): number;
	range(lo: number, hi: number): number;
	chance(p: number): boolean;
	pick<T>(items: readonly T[]): T;
	bytes(n: number): Uint8Array;
}

export function rng(seed: number): Rng {
	let a = seed >>> 0;
	const next = () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const int = (n: number) => Math.floor(next() * n);
	return {
		next,
		int,
		range: (lo, hi) => lo + int(hi - lo + 1),
		chance: (p) => next() < p,
		pick: (items) => items[int(items.length)] as (typeof items)[number],
		bytes: (n) => Uint8Array.from({ length: n }, () => int(256))
	};
}

export function token(
	userId: string,
	programId: string,
	access: Access = 'rw',
	ttlMs = 3_600_000
): string {
	return mintAccessToken(SECRET, { userId, programId, access, expiresAt: Date.now() + ttlMs });
}

export { sleep };

/** The one wait helper (tests/support/wait.ts), with the campaign's defaults (15 s, 25 ms). */
export function until(
	check: () => boolean | Promise<boolean>,
	what: string | (() => string),
	timeoutMs = 15_000,
	intervalMs = 25
): Promise<void> {
	return waitFor(check, { what, timeout: timeoutMs, interval: intervalMs }).then(() => undefined);
}

/** A temporary root with `data/` (the server's DATA_DIR); removed by `dispose()`. */
export function tempRoot(name: string): { root: string; dataDir: string; dispose(): void } {
	const root = mkdtempSync(path.join(tmpdir(), `nastavnik-resilience-${name}-`));
	const dataDir = path.join(root, 'data');
	mkdirSync(dataDir, { recursive: true });
	return { root, dataDir, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** Relay settings that make compaction, summaries, facts and unloading happen within a test. */
export const BUSY_RELAY_ENV: Record<string, string> = {
	RELAY_COMPACT_AFTER_UPDATES: '8',
	RELAY_SUMMARY_DEBOUNCE_MS: '50',
	RELAY_SUMMARY_MAX_WAIT_MS: '300',
	RELAY_FACTS_FLUSH_MS: '100',
	RELAY_IDLE_UNLOAD_MS: '300'
};

export interface ServerHandle {
	child: ChildProcess;
	pid: number;
	port: number;
	url: string;
	wsBase: string;
	output(): string;
	exited: Promise<number | string>;
	/** SIGKILL (crash) or SIGTERM (deploy); resolves when the process is gone. */
	stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<number | string>;
}

/**
 * Starts the bundled server (tests/resilience/global-setup.ts) and waits for /healthz. `inspect`:
 * with Node's inspector on a free local port, for `collectGarbage`.
 */
export async function startServer(
	dataDir: string,
	env: Record<string, string> = {},
	port?: number,
	{ inspect = false }: { inspect?: boolean } = {}
): Promise<ServerHandle> {
	// RESILIENCE_SERVER_ENTRY: another bundle (e.g. one with a proposed fix applied).
	const entry = process.env.RESILIENCE_SERVER_ENTRY ?? path.join(RESILIENCE_BUILD_DIR, 'main.js');
	if (!existsSync(entry)) throw new Error(`${entry} missing: run with vitest.resilience.config.ts`);
	const server = await createTestServer({
		mode: 'child',
		entry,
		dataDir,
		clientDir: path.join(dataDir, '..', 'no-client'),
		storage: null,
		logLevel: 'warn',
		env: { SERVER_SECRET: SECRET, ...env },
		...(inspect ? { nodeArgs: ['--inspect=127.0.0.1:0'] } : {}),
		...(port !== undefined ? { port } : {})
	});
	return {
		child: server.child,
		pid: server.pid,
		port: server.port,
		url: server.url,
		wsBase: server.wsBase,
		output: server.logs,
		exited: server.exited,
		stop: server.stop
	};
}

/** Registers programs in the server's SQLite file (a second connection; WAL allows it). */
export async function createPrograms(dataDir: string, ids: string[]): Promise<void> {
	const db = openDatabase(dataDir);
	try {
		const store = createSqliteDocumentStore(db);
		db.exec('BEGIN');
		for (const id of ids) await store.createProgram(id);
		db.exec('COMMIT');
	} finally {
		db.close();
	}
}

export interface StoredProgram {
	doc: Y.Doc;
	/** The merged stored document as one update. */
	update: Uint8Array;
	/** Highest log sequence number of the program (what a current summary must be through). */
	lastSeq: number;
	summary: { summary: unknown; throughSeq: number; computedAt: number } | null;
	facts: Record<string, unknown>[];
	/** Log rows that do not decode (must be none: nothing half-written survives). */
	badRows: number;
}

/** Reads a program as stored, through a read-only connection (works while the server runs). */
export function readStored(dataDir: string, programId: string): StoredProgram {
	const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
	// One read transaction: the running relay compacts (state replaced, log rows deleted) between
	// two separate statements, and an old state read with the log after it misses what moved.
	db.exec('BEGIN');
	try {
		const state = db
			.prepare('SELECT data, through_seq FROM program_state WHERE program_id = ?')
			.get(programId) as { data: Buffer; through_seq: number } | undefined;
		const rows = db
			.prepare(
				`SELECT seq, data FROM program_updates WHERE program_id = ?
				 UNION ALL SELECT seq, data FROM program_updates_recent WHERE program_id = ?
				 UNION ALL SELECT seq, data FROM program_updates_large WHERE program_id = ? ORDER BY seq`
			)
			.all(programId, programId, programId) as { seq: number; data: Buffer }[];
		const summaryRow = db
			.prepare(
				'SELECT summary, through_seq, computed_at FROM program_summaries WHERE program_id = ?'
			)
			.get(programId) as { summary: string; through_seq: number; computed_at: number } | undefined;
		const facts = db
			.prepare('SELECT * FROM program_device_sync WHERE program_id = ?')
			.all(programId) as Record<string, unknown>[];
		const doc = new Y.Doc();
		let badRows = 0;
		if (state) Y.applyUpdate(doc, new Uint8Array(state.data));
		for (const row of rows) {
			if (state && row.seq <= state.through_seq) continue;
			try {
				Y.decodeUpdate(new Uint8Array(row.data));
				Y.applyUpdate(doc, new Uint8Array(row.data));
			} catch {
				badRows++;
			}
		}
		const lastSeq = Math.max(state?.through_seq ?? 0, ...rows.map((r) => r.seq));
		return {
			doc,
			update: Y.encodeStateAsUpdate(doc),
			lastSeq,
			summary: summaryRow
				? {
						summary: JSON.parse(summaryRow.summary) as unknown,
						throughSeq: summaryRow.through_seq,
						computedAt: summaryRow.computed_at
					}
				: null,
			facts,
			badRows
		};
	} finally {
		db.exec('COMMIT');
		db.close();
	}
}

export function integrityCheck(dataDir: string): string {
	const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
	try {
		return String(db.pragma('integrity_check', { simple: true }));
	} finally {
		db.close();
	}
}

/**
 * Whether the stored summary is current: it equals `summarize` of the stored document (for the
 * day it was computed). Not whether it is through the last stored update: an update no summary
 * reads (a text of the tests' own, a reconnecting phone's resent deletions) leaves the summary
 * as it was, and its `throughSeq` with it (server/sync/summary-relevance.ts, issue 18).
 */
export function summaryCurrent(stored: StoredProgram): boolean {
	const s = stored.summary as { summary: { asOf?: string } } | null;
	if (!s?.summary.asOf) return false;
	return isDeepStrictEqual(
		s.summary,
		JSON.parse(JSON.stringify(summarize(stored.doc, s.summary.asOf)))
	);
}

/**
 * Waits until the program is quiet and its stored summary is current (summaryCurrent; a late
 * reconnect may still append a row after the replicas converged).
 */
export async function summarySettled(dataDir: string, programId: string, timeoutMs = 15_000) {
	let previous = -1;
	await until(
		() => {
			const s = readStored(dataDir, programId);
			const current = s.lastSeq === previous && summaryCurrent(s);
			previous = s.lastSeq;
			return current;
		},
		`a current summary of ${programId}`,
		timeoutMs,
		300
	);
}

export { cpuMs } from '../integration/server-process';

/** The kernel's count of connections dropped because a listen queue was full (all sockets). */
export function listenOverflows(): number {
	const lines = readFileSync('/proc/net/netstat', 'utf8')
		.split('\n')
		.filter((l) => l.startsWith('TcpExt:'));
	const keys = lines[0]?.split(/\s+/) ?? [];
	const values = lines[1]?.split(/\s+/) ?? [];
	return Number(values[keys.indexOf('ListenOverflows')] ?? 0);
}

export interface ProcStats {
	rssMb: number;
	fds: number;
}

/** VmRSS and open file descriptors of a process, from /proc. */
export function procStats(pid: number): ProcStats {
	return { rssMb: Math.round(rssMb(pid) * 10) / 10, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/**
 * Runs V8's collection of all it can in a server started with `inspect` (what DevTools' "collect
 * garbage" button does), so that a memory reading after it counts what is live, not how much
 * garbage the last collection happened to leave: between two storms an idle server's RSS read
 * 201 or 288 MB depending on whether V8 had collected (CI, 2026-11-24).
 */
export async function collectGarbage(server: ServerHandle): Promise<void> {
	const address = /Debugger listening on (ws:\/\/\S+)/.exec(server.output())?.[1];
	if (!address) throw new Error('the server was not started with inspect: true');
	const socket = new WebSocket(address);
	try {
		await new Promise<void>((resolve, reject) => {
			socket.on('open', () =>
				socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }))
			);
			socket.on('message', (data) => {
				const message = JSON.parse(String(data)) as { id?: number; error?: unknown };
				if (message.id !== 1) return;
				if (message.error) reject(new Error(JSON.stringify(message.error)));
				else resolve();
			});
			socket.on('error', reject);
		});
	} finally {
		socket.close();
	}
}

/**
 * Tolerances of "back to baseline" (docs/resilience.md): every socket and file the scenario
 * opened must be closed again (fds within +2: SQLite may keep a WAL/SHM handle it opened
 * lazily), and RSS within baseline + 96 MB or 1.6× (V8 keeps heap it grew into; a leak of
 * per-connection state over thousands of connections would exceed it).
 */
export async function expectBackToBaseline(
	server: ServerHandle,
	baseline: ProcStats,
	timeoutMs = 15_000
): Promise<ProcStats> {
	let last = procStats(server.pid);
	const ok = () => {
		last = procStats(server.pid);
		return (
			last.fds <= baseline.fds + 2 &&
			last.rssMb <= Math.max(baseline.rssMb + 96, baseline.rssMb * 1.6)
		);
	};
	await until(
		ok,
		() => `back to baseline ${JSON.stringify(baseline)}, now ${JSON.stringify(last)}`,
		timeoutMs,
		200
	);
	return last;
}

/**
 * Slowloris: connections that send a request line and a header that never ends, each from a
 * loopback address of the caller's choosing (the server's per-address limits count addresses).
 * `closed` counts the closes seen, the server's and `destroyAll`'s alike: read it before.
 */
export function slowConnections(port: number) {
	const sockets: Socket[] = [];
	let closed = 0;
	return {
		sockets,
		get closed() {
			return closed;
		},
		/** Resolves once the socket has connected and sent its never-ending header, or failed. */
		open(localAddress: string): Promise<void> {
			return new Promise<void>((resolve) => {
				const socket = connect({ port, host: '127.0.0.1', localAddress }, () => {
					socket.write('GET / HTTP/1.1\r\nHost: school\r\nX-Slow: ');
					resolve();
				});
				socket.on('error', () => resolve());
				socket.on('close', () => closed++);
				socket.resume();
				sockets.push(socket);
			});
		},
		destroyAll(): void {
			for (const s of sockets.splice(0)) s.destroy();
		}
	};
}
