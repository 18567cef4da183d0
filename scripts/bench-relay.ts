/**
 * `npm run bench:relay`: drives the relay (durable SQLite storage + token auth + validation +
 * summaries, bundled and run as its own process) and, under the same load, the in-memory
 * reference server of y-websocket@1.5.4 (`bin/server.js` of the devDependency
 * `y-websocket-1.5.4`, its own process), with the stock y-websocket 3 client — measured the way
 * an outsider measured it (issue 18):
 *
 * - the same documents on both sides: every client holds the same document (blank, or a
 *   realistic 2-year program from src/lib/shared/program/fixtures) and uploads it on first sync
 *   to the reference; the relay's storage holds a realistic program already, with its summary,
 *   as the API's program creation leaves it (realisticStored);
 * - the load generator in a process of its own (scripts/bench-relay-driver.ts), its CPU reported;
 * - several rounds alternating the servers, a fresh server process per run; medians and ratios;
 * - the machine's load (/proc/loadavg) printed next to every run.
 *
 * Scenarios (BENCH_SCENARIOS, comma-separated; default all but `long`):
 *   1k-blank, 1k-real   1,000 programs × 2 clients × 1 edit/s (blank / realistic documents)
 *   5k-blank, 5k-real   5,000 programs × 2 clients × 0.5 edit/s
 *   peak                1,000 × 2 × 6 edits/s, blank: delivered per second at saturation
 *   pattern             1,000 × 2, realistic, each program edited every 5 s (edits settle,
 *                       summaries run), 60 s measured
 *   long                1,000 × 2 × 1/s realistic for 300 s, compaction at its default:
 *                       p99 and max per 5 s slice
 *   long-blank          the same on blank programs (a light driver)
 * Then (BENCH_PHASES): idle RSS with 3,000 idle blank programs (BENCH_IDLE_DOC=template to
 * upload the Tomsk template instead), read on both servers once it has settled (and 3 s after
 * the CPU went quiet, printed beside it), and the first sync of a 5,000-edit program.
 *
 * Environment: BENCH_ROUNDS (3), BENCH_SCALE (1: multiplies every program count),
 * BENCH_WARMUP_S (10), BENCH_MEASURE_S (30), BENCH_PATTERN_S (60), BENCH_LONG_S (300),
 * BENCH_REALISTIC_EDITS (5000), BENCH_EDIT=notes (realistic documents: edits type into an
 * activity's notes through the program's API, as the app does, instead of a text of their own), BENCH_IDLE_PROGRAMS (3000), BENCH_IDLE_ROUNDS (1: alternating
 * rounds of the idle phase, medians), BENCH_EDITS (5000), BENCH_RUNS (15),
 * BENCH_ONLY=relay|reference, BENCH_PHASES=load,idle,first (default all),
 * BENCH_RELAY_ENV='{"RELAY_…":"…"}' (extra relay settings), BENCH_CPU_PROF=<dir> (the relay runs
 * with --cpu-prof into that directory), BENCH_DRIVER_PROF=<dir> (the load generator too),
 * BENCH_DRIVERS (load generator processes: 2, the long runs 4), BENCH_DRIVER_FLAGS (extra Node
 * flags for them), BENCH_DRIVER_LOG=<dir> (each driver's stdout also into a file there: with
 * BENCH_DRIVER_FLAGS=--trace-gc, its collections),
 * BENCH_RELAY_FLAGS (extra Node flags for the relay, e.g. V8's garbage collector settings).
 * BENCH_QUICK=1: a few-minute smoke version (scale 0.2, 1 round, 5 + 15 s, the long run 60 s).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as decoding from 'lib0/decoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { mintAccessToken } from '../server/auth/tokens';
import { openDatabase } from '../server/storage/sqlite/database';
import { createSqliteDocumentStore } from '../server/storage/sqlite/document-store';
import { createProgram, summarize, type ProgramSummary } from '../src/lib/shared/program/index';
import { storeInitialDocument } from '../server/programs/program-document';
import { benchServerEnv, cpuMs, freePort, rssMb } from '../tests/integration/server-process';
import { generateRealisticProgram } from '../src/lib/shared/program/fixtures';
import type { DriverConfig, DriverResult } from './bench-relay-driver';
import { SERVER_NODE_FLAGS } from '../server/node-flags';
import tomskBeginner from '../src/lib/shared/program/templates/tomsk-heads-beginner';
import {
	MESSAGE_SYNC,
	SYNC_STEP2,
	encodeSyncStep1,
	encodeSyncUpdate
} from '../src/lib/shared/protocol';
import { bundleServer } from './bundle-server.mjs';
import { median, sortedPercentile } from './bench-abuse/stats';

type Kind = 'relay' | 'reference';

/** `/metrics` needs a token (server/http/metrics-access.ts). */
const BENCH_METRICS_TOKEN = 'bench-metrics-token-0123456789abcdefghij';
/** The relay's Prometheus text (`/metrics`). */
async function relayMetrics(port: number): Promise<string> {
	const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
		headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` }
	});
	return res.text();
}

/** A metric's value (its first line, whatever its labels), or NaN when absent. */
function metricValue(metrics: string, name: string, labels = '[^}]*'): number {
	const line = new RegExp(`^${name}(?:\\{${labels}\\})? ([\\d.e+-]+)`, 'm').exec(metrics);
	return Number(line?.[1] ?? NaN);
}

/** How many observations of a histogram (every label set) were above the bucket `le`, so far. */
function slowerThan(metrics: string, metric: string, le: string): number {
	let n = 0;
	for (const [, labels, v] of metrics.matchAll(
		new RegExp(`^${metric}_bucket\\{([^}]*)\\} ([\\d.e+-]+)`, 'gm')
	)) {
		if (labels!.includes('le="+Inf"')) n += Number(v);
		else if (labels!.includes(`le="${le}"`)) n -= Number(v);
	}
	return n;
}

const env = (name: string, fallback: number) => {
	const v = process.env[name];
	return v ? Number(v) : fallback;
};
const QUICK = process.env.BENCH_QUICK === '1';
const SCALE = env('BENCH_SCALE', QUICK ? 0.2 : 1);
const WARMUP_S = env('BENCH_WARMUP_S', QUICK ? 5 : 10);
const MEASURE_S = env('BENCH_MEASURE_S', QUICK ? 15 : 30);
const PATTERN_S = env('BENCH_PATTERN_S', QUICK ? 30 : 60);
const LONG_S = env('BENCH_LONG_S', QUICK ? 60 : 300);
const REALISTIC_EDITS = env('BENCH_REALISTIC_EDITS', 5000);
const IDLE_PROGRAMS = env('BENCH_IDLE_PROGRAMS', QUICK ? 600 : 3000);
const IDLE_DOC = process.env.BENCH_IDLE_DOC === 'template' ? 'template' : 'blank';
const IDLE_ROUNDS = env('BENCH_IDLE_ROUNDS', 1);
const EDITS = env('BENCH_EDITS', 5000);
const RUNS = env('BENCH_RUNS', 15);
const ROUNDS = env('BENCH_ROUNDS', QUICK ? 1 : 3);
const ONLY = process.env.BENCH_ONLY as Kind | undefined;
const PHASES = new Set((process.env.BENCH_PHASES ?? 'load,idle,first').split(','));
const RELAY_ENV = JSON.parse(process.env.BENCH_RELAY_ENV ?? '{}') as Record<string, string>;
const CPU_PROF = process.env.BENCH_CPU_PROF;
const DRIVER_PROF = process.env.BENCH_DRIVER_PROF;
/**
 * Load generator processes. One Node process per driver is one event loop: at 1,000 × 2 realistic
 * clients it used 80–90 % of a core, and its own queueing (seconds in the long run) was measured
 * as the servers' latency. Two share the work; the long runs take four, because their clients'
 * documents grow for 300 s (~320 KB of Yjs items each by the end) and a driver's full collection
 * then marks for 350–400 ms on its event loop within ~600 ms (--trace-gc): every delivery it
 * measured meanwhile counted as the server's latency. In four processes each heap, and each such
 * stall, is half as long (docs/benchmarks.md).
 */
const DRIVERS_SET = process.env.BENCH_DRIVERS ? Number(process.env.BENCH_DRIVERS) : undefined;
const EDIT = process.env.BENCH_EDIT === 'notes' ? 'notes' : 'bench';

interface Scenario {
	name: string;
	title: string;
	programs: number;
	clients: number;
	/** Edits per second per client. */
	rate: number;
	doc: 'blank' | 'realistic';
	warmupS: number;
	measureS: number;
	sliceS: number;
	/** Load generator processes (DRIVERS_SET overrides). */
	drivers: number;
}

const scaled = (n: number) => Math.max(10, Math.round(n * SCALE));
const SCENARIOS: Scenario[] = [
	['1k-blank', 1000, 1, 'blank'],
	['1k-real', 1000, 1, 'realistic'],
	['5k-blank', 5000, 0.5, 'blank'],
	['5k-real', 5000, 0.5, 'realistic'],
	['peak', 1000, 6, 'blank']
]
	.map(([name, programs, rate, doc]) => ({
		name: name as string,
		title: `${scaled(programs as number)} × 2 × ${rate}/s, ${doc}`,
		programs: scaled(programs as number),
		clients: 2,
		rate: rate as number,
		doc: doc as 'blank' | 'realistic',
		warmupS: WARMUP_S,
		measureS: MEASURE_S,
		sliceS: 0,
		drivers: 2
	}))
	.concat([
		{
			name: 'pattern',
			title: `${scaled(1000)} × 2, realistic, each program edited every 5 s`,
			programs: scaled(1000),
			clients: 2,
			rate: 0.1,
			doc: 'realistic',
			warmupS: WARMUP_S,
			measureS: PATTERN_S,
			sliceS: 0,
			drivers: 2
		},
		...(['realistic', 'blank'] as const).map((doc) => ({
			// long-blank: the same run on blank programs. The realistic one makes the driver hold
			// 2,000 decoded two-year programs (4 GB, most of a core: on 2 vCPU its own stalls hide
			// the server's); with blank ones the driver stays light, and the log still reaches the
			// compaction threshold (500–749 rows) from ~250 s on.
			name: doc === 'realistic' ? 'long' : 'long-blank',
			title: `${scaled(1000)} × 2 × 1/s, ${doc}, ${LONG_S} s, compaction ${RELAY_ENV.RELAY_COMPACT_AFTER_UPDATES ? `after ${RELAY_ENV.RELAY_COMPACT_AFTER_UPDATES} rows` : 'at its default'}`,
			programs: scaled(1000),
			clients: 2,
			rate: 1,
			doc,
			warmupS: 0,
			measureS: LONG_S,
			sliceS: 5,
			drivers: 4
		}))
	]);
const SELECTED = (process.env.BENCH_SCENARIOS ?? '1k-blank,1k-real,5k-blank,5k-real,peak,pattern')
	.split(',')
	.map((name) => {
		const s = SCENARIOS.find((x) => x.name === name);
		if (!s) throw new Error(`unknown scenario ${name}: ${SCENARIOS.map((x) => x.name).join(', ')}`);
		return s;
	});
const SECRET = 'bench-secret-0123456789abcdef0123456789';
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (...args: unknown[]) => console.error('[bench]', ...args);

// ------------------------------------------------------------------ processes

interface ServerProc {
	kind: Kind;
	child: ChildProcess;
	pid: number;
	port: number;
	wsBase: string;
	dataDir: string | null;
	stop(): Promise<void>;
}

let relayBundle: string | null = null;

async function bundleRelay(): Promise<string> {
	if (relayBundle) return relayBundle;
	const outdir = path.join(ROOT, 'build', 'bench');
	// The worker pool starts `worker.js` next to the bundle (server/workers/pool.ts): without it
	// every task (merges and compactions of documents from 64 KB, big summaries) would fail.
	await bundleServer(
		{
			'relay-main': path.join(ROOT, 'server/main.ts'),
			worker: path.join(ROOT, 'server/workers/worker-entry.ts')
		},
		outdir
	);
	relayBundle = path.join(outdir, 'relay-main.js');
	return relayBundle;
}

async function startServer(
	kind: Kind,
	programIds: string[],
	extraEnv: Record<string, string> = {},
	/** The relay's programs hold this document and its summary when it starts (realisticStored). */
	stored?: StoredProgram
): Promise<ServerProc> {
	const port = await freePort();
	let dataDir: string | null = null;
	let child: ChildProcess;
	if (kind === 'relay') {
		dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-bench-'));
		const db = openDatabase(dataDir);
		const store = createSqliteDocumentStore(db);
		const now = Date.now();
		for (const id of programIds)
			if (stored) await storeInitialDocument(store, null, id, stored, now);
			else await store.createProgram(id);
		await store.close();
		db.close();
		const prof = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`] : [];
		const flags = process.env.BENCH_RELAY_FLAGS?.split(' ').filter(Boolean) ?? [];
		child = spawn(
			process.execPath,
			[...SERVER_NODE_FLAGS, ...flags, ...prof, await bundleRelay()],
			{
				cwd: ROOT,
				// The measured relay runs on its own SQLite directory, whatever the environment says.
				env: benchServerEnv(port, dataDir, SECRET, {
					METRICS_TOKEN: BENCH_METRICS_TOKEN,
					...RELAY_ENV,
					...extraEnv
				}),
				stdio: ['ignore', 'ignore', 'inherit']
			}
		);
	} else {
		child = spawn(
			process.execPath,
			[path.join(ROOT, 'node_modules/y-websocket-1.5.4/bin/server.js')],
			{
				cwd: ROOT,
				env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...extraEnv },
				stdio: ['ignore', 'ignore', 'inherit']
			}
		);
	}
	const deadline = Date.now() + 20_000;
	for (;;) {
		try {
			const r = await fetch(`http://127.0.0.1:${port}/${kind === 'relay' ? 'healthz' : ''}`);
			if (r.ok) break;
		} catch {
			// not yet
		}
		if (Date.now() > deadline || child.exitCode !== null)
			throw new Error(`${kind} server did not start`);
		await sleep(100);
	}
	const pid = child.pid;
	if (pid === undefined) throw new Error('no pid');
	return {
		kind,
		child,
		pid,
		port,
		wsBase: `ws://127.0.0.1:${port}${kind === 'relay' ? '/sync' : ''}`,
		dataDir,
		async stop() {
			if (child.exitCode === null) {
				child.kill('SIGTERM');
				// A profiled relay writes its main thread's profile only once its shutdown (2,000
				// sessions, pending summaries) completes: a SIGKILL loses it.
				await Promise.race([once(child, 'exit'), sleep(CPU_PROF ? 60_000 : 5_000)]);
				if (child.exitCode === null) child.kill('SIGKILL');
			}
			if (dataDir) rmSync(dataDir, { recursive: true, force: true });
		}
	};
}

function tokenFor(userId: string, programId: string): string {
	return mintAccessToken(SECRET, {
		userId,
		programId,
		access: 'rw',
		expiresAt: Date.now() + 3_600_000
	});
}

function params(kind: Kind, userId: string, programId: string): Record<string, string> {
	return kind === 'relay' ? { token: tokenFor(userId, programId) } : {};
}

// ------------------------------------------------------------------ documents

type StoredProgram = { update: Uint8Array; summary: ProgramSummary };
let realistic: StoredProgram | null = null;
/**
 * The drivers' realistic program (generateRealisticProgram is deterministic: the same bytes)
 * with its summary. The relay's storage holds it before the phones connect, as the API's program
 * creation leaves a program (storeInitialDocument), and the phones sync the same document. Until
 * 2026-12-02 each program's phones uploaded it into an empty program, and the relay summarized a
 * thousand new programs during the measured window: the set-up, not the use measured.
 */
function realisticStored(): StoredProgram {
	if (!realistic) {
		const program = generateRealisticProgram(1, { edits: REALISTIC_EDITS });
		realistic = {
			update: Y.encodeStateAsUpdate(program.doc),
			summary: summarize(program.doc, new Date())
		};
		program.doc.destroy();
	}
	return realistic;
}

function templateUpdate(): Uint8Array {
	const doc = new Y.Doc();
	createProgram(doc, { userId: 'curator1', role: 'curator' }, tomskBeginner, {
		programId: 'bench',
		organization: 'МАОУ СОШ № 1 г. Томска',
		startDate: '2026-09-01',
		participants: [
			{ role: 'mentor', name: 'Иванова Мария Петровна', userId: 'mentor1' },
			{ role: 'mentee', name: 'Петров Сергей Иванович', userId: 'mentee1' }
		]
	});
	const update = Y.encodeStateAsUpdate(doc);
	doc.destroy();
	return update;
}

// ------------------------------------------------------------------ phase 1: load scenarios

/** The machine's load average (1, 5, 15 min) — printed next to every figure. */
function loadavg(): string {
	return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

interface RunResult extends DriverResult {
	kind: Kind;
	round: number;
	loadavgBefore: string;
	loadavgAfter: string;
	persist: string;
	/** The relay's event loop: its longest lag per slice of the long runs (one value otherwise). */
	relayLoopMaxMs: number[];
}

/** A load generator process (scripts/bench-relay-driver.ts): ready once its clients synced. */
function startDriver(
	config: DriverConfig,
	what: string
): { ready: Promise<void>; go: () => void; result: Promise<DriverResult> } {
	const driver = spawn(
		process.execPath,
		[
			'--max-old-space-size=16384',
			// The stock clients' garbage per message (decoders, updates, events) outlived V8's default
			// 16 MB young generation and was promoted: a driver's old generation doubled (long run: 2.2
			// against 1.2 GB of RSS for the two) and its collections with it (72 against 59 % of a core).
			'--max-semi-space-size=64',
			...(process.env.BENCH_DRIVER_FLAGS ? process.env.BENCH_DRIVER_FLAGS.split(' ') : []),
			// BENCH_DRIVER_PROF=<dir>: the load generator's own profile (is it the bottleneck?).
			...(DRIVER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${DRIVER_PROF}`] : []),
			'--import',
			'tsx',
			path.join(ROOT, 'scripts/bench-relay-driver.ts')
		],
		{
			cwd: ROOT,
			env: { ...process.env, BENCH_DRIVER: JSON.stringify(config) },
			stdio: ['pipe', 'pipe', 'inherit']
		}
	);
	/** The driver's output until it is ready (the result comes in a file, config.resultFile). */
	let out: string | null = '';
	if (process.env.BENCH_DRIVER_LOG)
		driver.stdout?.pipe(
			createWriteStream(
				`${process.env.BENCH_DRIVER_LOG}/${what.replace(/\W+/g, '-')}-${driver.pid}.log`
			)
		);
	let markReady: () => void = () => undefined;
	const ready = new Promise<void>((resolve) => (markReady = resolve));
	driver.stdout?.on('data', (chunk: Buffer) => {
		if (out === null) return;
		out += chunk.toString();
		if (!out.includes('{"ready":true}')) return;
		out = null;
		markReady();
	});
	const result = once(driver, 'exit').then(([code]) => {
		if (code !== 0) throw new Error(`${what}: the driver exited with ${String(code)}`);
		return JSON.parse(readFileSync(config.resultFile, 'utf8')) as DriverResult;
	});
	// A driver that dies while the others wait for it fails the run, not hangs it.
	const readyOrFailed = Promise.race([ready, result.then(() => undefined)]);
	return { ready: readyOrFailed, go: () => driver.stdin?.end('go\n'), result };
}

/**
 * Several drivers' results as one run's: counts and rates added, latencies merged before their
 * percentiles are taken, the server's CPU as the first driver measured it (over the same window).
 */
function mergeDrivers(results: DriverResult[]): DriverResult {
	const [first] = results;
	if (!first) throw new Error('no driver result');
	const sum = (f: (r: DriverResult) => number) => results.reduce((n, r) => n + f(r), 0);
	const merged = (lists: number[][]) => lists.flat().sort((a, b) => a - b);
	const all = merged(results.map((r) => r.latencies));
	const delivered = sum((r) => r.delivered);
	return {
		clients: sum((r) => r.clients),
		docBytes: first.docBytes,
		setupS: Math.max(...results.map((r) => r.setupS)),
		sentPerSecond: sum((r) => r.sentPerSecond),
		delivered,
		deliveredPerSecond: sum((r) => r.deliveredPerSecond),
		serverCpuMs: first.serverCpuMs,
		cpuMsPer1000: (first.serverCpuMs / delivered) * 1000,
		p50: sortedPercentile(all, 50),
		p99: sortedPercentile(all, 99),
		max: all[all.length - 1] ?? NaN,
		serverCpuPct: first.serverCpuPct,
		driverCpuPct: sum((r) => r.driverCpuPct),
		driverRssMb: sum((r) => r.driverRssMb),
		slices: first.slices.map((slice, i) => {
			const parts = results.map((r) => r.slices[i]).filter((x) => x !== undefined);
			const lat = merged(parts.map((x) => x.latencies));
			return {
				fromS: slice.fromS,
				delivered: lat.length,
				p99: sortedPercentile(lat, 99),
				max: lat[lat.length - 1] ?? NaN,
				serverCpuMs: slice.serverCpuMs,
				driverGcMaxMs: Math.max(...parts.map((x) => x.driverGcMaxMs)),
				driverLoopMaxMs: Math.max(...parts.map((x) => x.driverLoopMaxMs)),
				latencies: []
			};
		}),
		latencies: []
	};
}

/** One scenario on a fresh server: the driver runs as its own process and reports JSON. */
async function runScenario(kind: Kind, scenario: Scenario, round: number): Promise<RunResult> {
	const prefix = `${scenario.name}-`;
	const ids = Array.from({ length: scenario.programs }, (_, i) => `${prefix}${i}`);
	const loadavgBefore = loadavg();
	const server = await startServer(
		kind,
		ids,
		{},
		scenario.doc === 'realistic' ? realisticStored() : undefined
	);
	const results = mkdtempSync(path.join(tmpdir(), 'nastavnik-bench-drivers-'));
	try {
		// The programs split between the driver processes (both clients of a program in the same
		// one, which measures their latency on its own clock), all starting to edit together.
		const count = DRIVERS_SET ?? scenario.drivers;
		const share = Math.ceil(scenario.programs / count);
		const drivers = Array.from({ length: count }, (_, d) => {
			const config: DriverConfig = {
				kind,
				wsBase: server.wsBase,
				serverPid: server.pid,
				prefix,
				first: d * share,
				programs: Math.max(0, Math.min(share, scenario.programs - d * share)),
				clients: scenario.clients,
				rate: scenario.rate,
				warmupS: scenario.warmupS,
				measureS: scenario.measureS,
				doc: scenario.doc,
				realisticEdits: REALISTIC_EDITS,
				edit: EDIT,
				sliceS: scenario.sliceS,
				secret: SECRET,
				waitForGo: true,
				resultFile: path.join(results, `driver-${d}.json`)
			};
			return startDriver(config, `${kind} ${scenario.name}`);
		});
		await Promise.all(drivers.map((d) => d.ready));
		for (const d of drivers) d.go();
		// The measured window's commits and pauses: read at its start and end, so neither the
		// set-up nor the clients' leaving counts, and in the long runs at each slice's end too: the
		// event loop's longest lag per slice (prom-client measures it from one read to the next),
		// which tells the relay's own stalls from the load generator's. Each read is a Prometheus
		// scrape, its CPU charged to the relay as in production (60 of them in a 300 s run).
		const window =
			kind === 'relay'
				? (async () => {
						await sleep(scenario.warmupS * 1000);
						const start = await relayMetrics(server.port);
						const lagMs: number[] = [];
						let end = start;
						const reads = scenario.sliceS > 0 ? Math.round(scenario.measureS / scenario.sliceS) : 1;
						for (let i = 0; i < reads; i++) {
							await sleep((scenario.measureS / reads) * 1000);
							end = await relayMetrics(server.port);
							lagMs.push(metricValue(end, 'nodejs_eventloop_lag_max_seconds') * 1000);
						}
						return { start, end, lagMs };
					})()
				: null;
		// Awaited below, after the drivers: a relay that died meanwhile fails the run there.
		window?.catch(() => {});
		const result = mergeDrivers(await Promise.all(drivers.map((d) => d.result)));
		let persist = '';
		let relayLoopMaxMs: number[] = [];
		if (kind === 'relay') {
			// After the window's last read: a read in between would restart its lag.
			const { start, end, lagMs } = (await window)!;
			const m = await relayMetrics(server.port);
			const sum = metricValue(m, 'relay_persist_seconds_sum');
			const count = metricValue(m, 'relay_persist_seconds_count');
			const updates = metricValue(m, 'relay_persist_batch_updates_sum');
			persist = `${count} commits, mean ${((sum / count) * 1000).toFixed(2)} ms, mean batch ${(updates / count).toFixed(1)} updates`;
			// What can hold the event loop for a slice (the long runs' p99 per 5 s), in the window: a
			// commit (its fsync runs on the loop), a collection's pause, or anything the loop's lag shows.
			const over = (metric: string, le: string) =>
				slowerThan(end, metric, le) - slowerThan(start, metric, le);
			relayLoopMaxMs = lagMs;
			persist += `; commits over 100 ms: ${over('relay_persist_seconds', '0.1')}, GC pauses over 100 ms: ${over('nodejs_gc_duration_seconds', '0.1')}, the loop's longest lag ${Math.max(...lagMs).toFixed(0)} ms`;
			// How late commits start (the senders' acknowledgements wait for them): a saturated loop
			// reads sockets for seconds before its timers and deferred work get a turn.
			persist += `; commits started over 150 ms / 1 s after their oldest update: ${over('relay_commit_wait_seconds', '0.15')} / ${over('relay_commit_wait_seconds', '1')}`;
			// Whether summaries keep up under their budget (issue 18): written, still due, CPU charged.
			const summaries = metricValue(m, 'relay_summaries_total');
			const due = metricValue(m, 'relay_summaries_due');
			const summaryCpu = metricValue(m, 'relay_summary_cpu_seconds_total');
			persist += `; ${summaries} summaries of ${scenario.programs} programs (${due} due at the end), ${(summaryCpu * 1000).toFixed(0)} ms CPU charged`;
			// The decoded documents kept for summaries (summary-docs.ts), when the relay has them.
			const docs = (stat: string) =>
				metricValue(m, 'relay_summary_docs', `[^}]*stat="${stat}"[^}]*`);
			if (!Number.isNaN(docs('documents')))
				persist += `; summary docs: ${docs('documents')} kept (${(docs('bytes') / 1048576).toFixed(0)} MB estimated), ${docs('decodes')} decodes, ${docs('reuses')} reuses, ${docs('unchanged')} unchanged, ${docs('declined')} to the pool`;
		}
		// The server's RSS at the end of the run (documents still loaded: the clients just left).
		persist = `RSS ${rssMb(server.pid).toFixed(0)} MB${persist ? `; ${persist}` : ''}`;
		return {
			...result,
			kind,
			round,
			loadavgBefore,
			loadavgAfter: loadavg(),
			persist,
			relayLoopMaxMs
		};
	} finally {
		await sleep(200);
		await server.stop();
		rmSync(results, { recursive: true, force: true });
	}
}

function describeRun(r: RunResult): string {
	return (
		`${r.kind} round ${r.round}: cpu/1000 ${r.cpuMsPer1000.toFixed(1)} ms, delivered/s ${r.deliveredPerSecond.toFixed(0)} ` +
		`(sent/s ${r.sentPerSecond.toFixed(0)}), p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} max ${r.max.toFixed(0)} ms, ` +
		`server ${r.serverCpuPct.toFixed(0)} % / driver ${r.driverCpuPct.toFixed(0)} % of a core (driver RSS ${r.driverRssMb.toFixed(0)} MB), setup ${r.setupS.toFixed(0)} s, ` +
		`doc ${r.docBytes} B, loadavg ${r.loadavgBefore} → ${r.loadavgAfter}${r.persist ? `; ${r.persist}` : ''}`
	);
}

// ------------------------------------------------------------------ phase 2: idle RSS

interface IdleResult {
	programs: number;
	rssBaselineMb: number;
	/** 3 s after the server's CPU went quiet (the reading of the earlier rounds). */
	rssAtQuietMb: number;
	/** Settled: no more than IDLE_SETTLE_MB of change over IDLE_SETTLE_S seconds (60 s at most). */
	rssMb: number;
	settledAfterS: number;
	loadavg: string;
}

/**
 * An idle server's RSS is read once it has settled, by the same rule for both: 3 s after the CPU
 * went quiet the relay still held the handshakes' garbage and, for 10 s after the last write,
 * SQLite's checkpoint thread (141 MB there, 116–117 MB from 30 s on; 2026-11-25).
 */
const IDLE_SETTLE_S = 10;
const IDLE_SETTLE_MB = 1;
const IDLE_SETTLE_MAX_S = 60;

async function settledRssMb(pid: number): Promise<{ rssMb: number; afterS: number }> {
	const samples: number[] = [];
	for (let s = 1; s <= IDLE_SETTLE_MAX_S; s++) {
		await sleep(1000);
		samples.push(rssMb(pid));
		const last = samples.slice(-IDLE_SETTLE_S);
		if (last.length === IDLE_SETTLE_S && Math.max(...last) - Math.min(...last) <= IDLE_SETTLE_MB)
			return { rssMb: samples[samples.length - 1] as number, afterS: s };
	}
	return { rssMb: samples[samples.length - 1] as number, afterS: IDLE_SETTLE_MAX_S };
}

async function idlePhase(kind: Kind): Promise<IdleResult> {
	const ids = Array.from({ length: IDLE_PROGRAMS }, (_, i) => `idle-${i}`);
	const server = await startServer(kind, ids);
	const sockets: WebSocket[] = [];
	try {
		await sleep(1000);
		const rssBaselineMb = rssMb(server.pid);
		const template = templateUpdate();
		const step1 = encodeSyncStep1(new Uint8Array([0]));
		const upload = encodeSyncUpdate(template);
		let answered = 0;
		const errors = new Map<string, number>();
		const closes = new Map<number, number>();
		for (let i = 0; i < IDLE_PROGRAMS; i++) {
			const programId = ids[i] as string;
			const q = kind === 'relay' ? `?token=${tokenFor('mentor', programId)}` : '';
			const ws = new WebSocket(`${server.wsBase}/${programId}${q}`);
			ws.on('error', (e) => errors.set(e.message, (errors.get(e.message) ?? 0) + 1));
			ws.on('close', (code) => closes.set(code, (closes.get(code) ?? 0) + 1));
			ws.on('open', () => {
				// What a stock client does when it opens a program: step 1 (then its content, if it has one).
				ws.send(step1);
				if (IDLE_DOC === 'template') ws.send(upload);
			});
			ws.on('message', (data: Buffer) => {
				if (data[0] === MESSAGE_SYNC && data[1] === SYNC_STEP2) answered++;
			});
			sockets.push(ws);
			if (i % 200 === 199) await sleep(100);
		}
		const deadline = Date.now() + 60_000;
		while (answered < IDLE_PROGRAMS && Date.now() < deadline) await sleep(100);
		if (answered < IDLE_PROGRAMS) {
			throw new Error(
				`${kind}: only ${answered} idle programs answered; errors ${JSON.stringify([...errors])}, closes ${JSON.stringify([...closes])}`
			);
		}
		// Let the servers settle (persist, GC) before reading RSS: wait until CPU is quiet.
		let last = cpuMs(server.pid);
		for (let i = 0; i < 30; i++) {
			await sleep(1000);
			const now = cpuMs(server.pid);
			if (now - last < 20) break;
			last = now;
		}
		await sleep(3000);
		if (kind === 'relay') {
			const m = await (
				await fetch(`http://127.0.0.1:${server.port}/metrics`, {
					headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` }
				})
			).text();
			const mb = (name: string) =>
				(
					Number(new RegExp(`^${name}\\{[^}]*\\} ([\\d.e+]+)`, 'm').exec(m)?.[1] ?? NaN) / 1048576
				).toFixed(1);
			log(
				`relay idle memory: heap used ${mb('nodejs_heap_size_used_bytes')} MB of ${mb('nodejs_heap_size_total_bytes')} MB, external ${mb('nodejs_external_memory_bytes')} MB`
			);
		}
		const rssAtQuietMb = rssMb(server.pid);
		const settled = await settledRssMb(server.pid);
		return {
			programs: IDLE_PROGRAMS,
			rssBaselineMb,
			rssAtQuietMb,
			rssMb: settled.rssMb,
			settledAfterS: settled.afterS,
			loadavg: loadavg()
		};
	} finally {
		for (const ws of sockets) ws.terminate();
		await server.stop();
	}
}

// ------------------------------------------------------------------ phase 3: first sync

interface FirstSyncResult {
	docBytes: number;
	rawWarmMs: number;
	answerWarmMs: number;
	rawColdMs: number | null;
	answerColdMs: number | null;
	stockWarmMs: number;
}

/** Raw first sync: `ms` from opening the socket, `answerMs` from sending sync step 1, to the complete step 2. */
function rawFirstSync(url: string): Promise<{ ms: number; answerMs: number; bytes: number }> {
	return new Promise((resolve, reject) => {
		const t0 = performance.now();
		let t1 = t0;
		const ws = new WebSocket(url);
		ws.binaryType = 'nodebuffer';
		ws.on('error', reject);
		ws.on('open', () => {
			t1 = performance.now();
			ws.send(encodeSyncStep1(new Uint8Array([0])));
		});
		ws.on('message', (data: Buffer) => {
			if (data[0] === MESSAGE_SYNC && data[1] === SYNC_STEP2) {
				const now = performance.now();
				const ms = now - t0;
				const answerMs = now - t1;
				const d = decoding.createDecoder(new Uint8Array(data));
				decoding.readVarUint(d);
				decoding.readVarUint(d);
				const bytes = decoding.readVarUint8Array(d).length;
				ws.terminate();
				resolve({ ms, answerMs, bytes });
			}
		});
	});
}

async function stockFirstSync(kind: Kind, wsBase: string, programId: string): Promise<number> {
	const doc = new Y.Doc();
	const t0 = performance.now();
	const provider = new WebsocketProvider(wsBase, programId, doc, {
		WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
		params: params(kind, 'mentee', programId),
		disableBc: true
	});
	await new Promise<void>((resolve) => provider.once('sync', () => resolve()));
	const ms = performance.now() - t0;
	provider.destroy();
	doc.destroy();
	return ms;
}

async function firstSyncPhase(kind: Kind, bigUpdate: Uint8Array): Promise<FirstSyncResult> {
	const programId = 'big-0';
	const server = await startServer(
		kind,
		[programId],
		kind === 'relay' ? { RELAY_IDLE_UNLOAD_MS: '300' } : {}
	);
	const q = kind === 'relay' ? `?token=${tokenFor('mentor', programId)}` : '';
	const url = `${server.wsBase}/${programId}${q}`;
	try {
		// A holder uploads the program and stays connected (the reference keeps documents in memory only while connected).
		const holder = new WebSocket(url);
		await once(holder, 'open');
		holder.send(encodeSyncUpdate(bigUpdate));
		await sleep(1000);
		const warm: number[] = [];
		const warmAnswer: number[] = [];
		let bytes = 0;
		for (let i = 0; i < RUNS; i++) {
			const r = await rawFirstSync(url);
			warm.push(r.ms);
			warmAnswer.push(r.answerMs);
			bytes = r.bytes;
		}
		if (bytes < bigUpdate.length * 0.5)
			throw new Error(`${kind}: first sync returned only ${bytes} bytes`);
		const stock: number[] = [];
		for (let i = 0; i < Math.min(RUNS, 10); i++)
			stock.push(await stockFirstSync(kind, server.wsBase, programId));
		let rawColdMs: number | null = null;
		let answerColdMs: number | null = null;
		if (kind === 'relay') {
			// Cold: nobody connected, the program was unloaded (compacted on unload); loaded from SQLite on connect.
			holder.terminate();
			const cold: number[] = [];
			const coldAnswer: number[] = [];
			for (let i = 0; i < Math.min(RUNS, 8); i++) {
				await sleep(900);
				const r = await rawFirstSync(url);
				cold.push(r.ms);
				coldAnswer.push(r.answerMs);
			}
			rawColdMs = median(cold);
			answerColdMs = median(coldAnswer);
		} else {
			holder.terminate();
		}
		return {
			docBytes: bytes,
			rawWarmMs: median(warm),
			answerWarmMs: median(warmAnswer),
			rawColdMs,
			answerColdMs,
			stockWarmMs: median(stock)
		};
	} finally {
		await server.stop();
	}
}

// ------------------------------------------------------------------ main

const fmt = (v: number | null | undefined, digits = 1) =>
	v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits);
const ratio = (a?: number | null, b?: number | null) =>
	a == null || b == null || !b ? '—' : (a / b).toFixed(2);

function table(rows: string[][]): void {
	const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
	for (const r of rows)
		console.log('| ' + r.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |');
	console.log('');
}

/** Goals of issue 18 per scenario: [metric label, value of a run, goal text, ratio limit, higher is better]. */
type Metric = [string, (r: RunResult) => number, string, number | null, boolean];
function metricsOf(s: Scenario): Metric[] {
	const cpu: Metric = [
		'server CPU ms / 1,000 delivered',
		(r) => r.cpuMsPer1000,
		s.name === 'pattern'
			? '≤ 1.5'
			: s.name.startsWith('long') || s.name === 'peak'
				? '≤ 1'
				: '≤ 0.8',
		s.name === 'pattern' ? 1.5 : s.name.startsWith('long') || s.name === 'peak' ? 1 : 0.8,
		false
	];
	return [
		cpu,
		[
			'delivered / s',
			(r) => r.deliveredPerSecond,
			s.name === 'peak' ? '≥ 1' : '',
			s.name === 'peak' ? 1 : null,
			true
		],
		// What the load generator managed to send: at the peak both sides' generators fall short of
		// the 12,000 offered a second on 2 vCPU, and how far short decides the delivered row.
		['sent / s (load generator)', (r) => r.sentPerSecond, '', null, true],
		['latency p50 ms', (r) => r.p50, '', null, false],
		[
			'latency p99 ms',
			(r) => r.p99,
			s.name.startsWith('long') ? '' : '≤ 1',
			s.name.startsWith('long') ? null : 1,
			false
		],
		['latency max ms', (r) => r.max, '', null, false],
		['server CPU % of a core', (r) => r.serverCpuPct, '', null, false],
		['driver CPU % of a core', (r) => r.driverCpuPct, '', null, false]
	];
}

async function main() {
	const kinds: Kind[] = ONLY ? [ONLY] : ['relay', 'reference'];
	log(
		`scenarios=${SELECTED.map((s) => s.name).join(',')} edit=${EDIT} rounds=${ROUNDS} scale=${SCALE} warmup=${WARMUP_S}s measure=${MEASURE_S}s idle=${IDLE_PROGRAMS} (${IDLE_DOC}) loadavg ${loadavg()}`
	);
	const runs = new Map<string, RunResult[]>();
	let verdict = true;
	if (PHASES.has('load')) {
		for (const scenario of SELECTED) {
			// Rounds alternate between the servers, and so does who goes first.
			for (let round = 1; round <= ROUNDS; round++) {
				const order = round % 2 === 1 ? kinds : [...kinds].reverse();
				for (const kind of order) {
					log(`${scenario.name} (${scenario.title}): ${kind}, round ${round}/${ROUNDS}`);
					const r = await runScenario(kind, scenario, round);
					log(describeRun(r));
					const key = `${scenario.name}/${kind}`;
					runs.set(key, [...(runs.get(key) ?? []), r]);
				}
			}
		}
		console.log(
			`\n## bench:relay, ${new Date().toISOString()}, ${ROUNDS} alternating round(s), medians (relay: SQLite synchronous=FULL, auth, validation, summaries; reference: y-websocket@1.5.4 bin/server.js in memory)\n`
		);
		for (const scenario of SELECTED) {
			const rel = runs.get(`${scenario.name}/relay`) ?? [];
			const ref = runs.get(`${scenario.name}/reference`) ?? [];
			console.log(`### ${scenario.name}: ${scenario.title}\n`);
			const rows: string[][] = [
				['metric', 'relay', 'reference', 'ratio', 'goal', 'relay runs', 'reference runs']
			];
			for (const [label, f, goal, limit, higher] of metricsOf(scenario)) {
				const a = median(rel.map(f));
				const b = median(ref.map(f));
				let mark = '';
				if (limit !== null && rel.length && ref.length) {
					const ok = higher ? a / b >= limit : a / b <= limit;
					mark = ok ? ' ✓' : ' ✗';
					verdict &&= ok;
				}
				rows.push([
					label,
					fmt(a),
					fmt(b),
					ratio(a, b),
					goal + mark,
					rel.map((r) => fmt(f(r))).join(', '),
					ref.map((r) => fmt(f(r))).join(', ')
				]);
			}
			table(rows);
			console.log(
				`loadavg before each run: relay ${rel.map((r) => r.loadavgBefore).join(' / ')}; reference ${ref.map((r) => r.loadavgBefore).join(' / ')}`
			);
			if (rel[0]?.persist) console.log(`relay commits: ${rel.map((r) => r.persist).join(' / ')}`);
			console.log('');
			if (scenario.sliceS > 0) {
				for (const [kind, rs] of [
					['relay', rel],
					['reference', ref]
				] as const) {
					for (const r of rs) {
						const worstP99 = Math.max(...r.slices.map((x) => x.p99));
						const worstMax = Math.max(...r.slices.map((x) => x.max));
						const ok = kind === 'relay' ? worstP99 <= 100 && worstMax <= 1000 : true;
						if (kind === 'relay') verdict &&= ok;
						console.log(
							`${kind} round ${r.round}, per ${scenario.sliceS} s slice — worst p99 ${fmt(worstP99)} ms, worst max ${fmt(worstMax, 0)} ms${kind === 'relay' ? (ok ? ' ✓ (≤ 100 / ≤ 1,000)' : ' ✗ (goal ≤ 100 / ≤ 1,000)') : ''}`
						);
						console.log(
							'  p99: ' +
								r.slices.map((x) => fmt(x.p99, 0)).join(' ') +
								'\n  max: ' +
								r.slices.map((x) => fmt(x.max, 0)).join(' ') +
								'\n  cpu ms: ' +
								r.slices.map((x) => fmt(x.serverCpuMs, 0)).join(' ') +
								'\n  driver gc max ms: ' +
								r.slices.map((x) => fmt(x.driverGcMaxMs, 0)).join(' ') +
								'\n  driver loop max ms: ' +
								r.slices.map((x) => fmt(x.driverLoopMaxMs, 0)).join(' ') +
								(r.relayLoopMaxMs.length
									? '\n  relay loop max ms: ' + r.relayLoopMaxMs.map((x) => fmt(x, 0)).join(' ')
									: '')
						);
					}
				}
				console.log('');
			}
		}
	}
	const results: Record<string, { idle?: IdleResult; first?: FirstSyncResult }> = {};
	let bigUpdate: Uint8Array | null = null;
	if (PHASES.has('first')) {
		const big = generateRealisticProgram(1, { edits: EDITS });
		bigUpdate = Y.encodeStateAsUpdate(big.doc);
		big.doc.destroy();
	}
	// Idle RSS in alternating rounds (BENCH_IDLE_ROUNDS), like the load scenarios; medians.
	const idleRuns = new Map<Kind, IdleResult[]>(kinds.map((k) => [k, []]));
	if (PHASES.has('idle')) {
		for (let round = 1; round <= IDLE_ROUNDS; round++) {
			for (const kind of round % 2 === 1 ? kinds : [...kinds].reverse()) {
				log(`${kind}: idle phase, round ${round}/${IDLE_ROUNDS} (loadavg ${loadavg()})`);
				const r = await idlePhase(kind);
				idleRuns.get(kind)?.push(r);
				log(kind, r);
			}
		}
	}
	for (const kind of kinds) {
		const r: { idle?: IdleResult; first?: FirstSyncResult } = (results[kind] = {});
		const idle = idleRuns.get(kind) ?? [];
		if (idle.length) {
			r.idle = {
				programs: IDLE_PROGRAMS,
				rssBaselineMb: median(idle.map((x) => x.rssBaselineMb)),
				rssAtQuietMb: median(idle.map((x) => x.rssAtQuietMb)),
				rssMb: median(idle.map((x) => x.rssMb)),
				settledAfterS: median(idle.map((x) => x.settledAfterS)),
				loadavg: idle.map((x) => x.loadavg).join(' / ')
			};
		}
		if (PHASES.has('first') && bigUpdate) {
			log(`${kind}: first-sync phase (loadavg ${loadavg()})`);
			r.first = await firstSyncPhase(kind, bigUpdate);
			log(kind, r.first);
		}
	}
	const rel = results.relay;
	const ref = results.reference;
	if (PHASES.has('idle') || PHASES.has('first')) {
		const idleOk = !rel?.idle || !ref?.idle || rel.idle.rssMb <= ref.idle.rssMb;
		if (PHASES.has('idle')) verdict &&= idleOk;
		console.log(`### idle and first sync (loadavg ${loadavg()})\n`);
		table([
			['metric', 'relay', 'reference', 'ratio', 'goal'],
			[
				`RSS MB, ${IDLE_PROGRAMS} idle ${IDLE_DOC} programs, settled`,
				fmt(rel?.idle?.rssMb),
				fmt(ref?.idle?.rssMb),
				ratio(rel?.idle?.rssMb, ref?.idle?.rssMb),
				rel?.idle && ref?.idle ? (idleOk ? '≤ 1 ✓' : '≤ 1 ✗') : '≤ 1'
			],
			[
				`RSS MB, ${IDLE_PROGRAMS} idle ${IDLE_DOC} programs, 3 s after the CPU went quiet`,
				fmt(rel?.idle?.rssAtQuietMb),
				fmt(ref?.idle?.rssAtQuietMb),
				ratio(rel?.idle?.rssAtQuietMb, ref?.idle?.rssAtQuietMb),
				''
			],
			[
				'RSS MB, empty server',
				fmt(rel?.idle?.rssBaselineMb),
				fmt(ref?.idle?.rssBaselineMb),
				ratio(rel?.idle?.rssBaselineMb, ref?.idle?.rssBaselineMb),
				''
			],
			[
				`first sync ${EDITS}-edit program: step 1 → step 2 ms`,
				fmt(rel?.first?.answerWarmMs, 2),
				fmt(ref?.first?.answerWarmMs, 2),
				ratio(rel?.first?.answerWarmMs, ref?.first?.answerWarmMs),
				''
			],
			[
				'first sync, relay cold (from SQLite): step 1 → step 2 ms',
				fmt(rel?.first?.answerColdMs, 2),
				'n/a',
				'',
				''
			],
			[
				'first sync, stock client until synced ms',
				fmt(rel?.first?.stockWarmMs, 2),
				fmt(ref?.first?.stockWarmMs, 2),
				ratio(rel?.first?.stockWarmMs, ref?.first?.stockWarmMs),
				''
			]
		]);
	}
	for (const [kind, rs] of idleRuns) {
		if (rs.length)
			console.log(
				`${kind} idle runs (RSS with ${IDLE_PROGRAMS} programs settled (after s) / at quiet + 3 s / empty, MB; loadavg): ${rs.map((x) => `${fmt(x.rssMb)} (${x.settledAfterS}) / ${fmt(x.rssAtQuietMb)} / ${fmt(x.rssBaselineMb)} (${x.loadavg})`).join('; ')}`
			);
	}
	console.log(`verdict: ${verdict ? 'every goal met' : 'some goals missed (✗)'}`);
	console.log(
		JSON.stringify({
			config: {
				SCALE,
				ROUNDS,
				WARMUP_S,
				MEASURE_S,
				PATTERN_S,
				LONG_S,
				REALISTIC_EDITS,
				IDLE_PROGRAMS,
				IDLE_ROUNDS,
				IDLE_DOC,
				RELAY_ENV
			},
			runs: Object.fromEntries(
				[...runs].map(([k, rs]) => [k, rs.map(({ slices: _s, ...r }) => r)])
			),
			results
		})
	);
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		console.error(error);
		process.exit(1);
	}
);
