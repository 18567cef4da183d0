/**
 * `npm run bench:relay`: drives the relay (durable SQLite storage + token auth, bundled and run
 * as its own process) and, under the same load, the in-memory reference server of
 * y-websocket@1.5.4 (`bin/server.js`, its own process), with the stock y-websocket client.
 *
 * Phases, each on a fresh server process (so CPU and RSS are per server and per phase):
 *   1. load:   P programs × C clients, R updates/s per client → server CPU ms per 1,000 delivered
 *              updates (utime+stime from /proc/<pid>/stat), p50/p99 delivery latency.
 *   2. idle:   I programs, one idle client each that uploaded a program made from a template →
 *              server RSS (/proc/<pid>/status VmRSS).
 *   3. first sync of a realistic 5,000-edit program (src/lib/shared/program/fixtures): time from opening
 *              a socket to receiving the complete sync step 2 (raw client, server-side cost), and
 *              until the stock client reports `synced` (includes the client applying it).
 *
 * Environment: BENCH_PROGRAMS (1000), BENCH_CLIENTS (2), BENCH_RATE (1 update/s per client),
 * BENCH_WARMUP_S (10), BENCH_MEASURE_S (30), BENCH_IDLE_PROGRAMS (3000), BENCH_EDITS (5000),
 * BENCH_RUNS (15), BENCH_ROUNDS (1: load rounds per server, alternating; medians reported),
 * BENCH_ONLY=relay|reference, BENCH_PHASES=load,idle,first (default all).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import * as decoding from 'lib0/decoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { mintAccessToken } from '../server/auth/tokens';
import { openDatabase } from '../server/storage/sqlite/database';
import { createSqliteDocumentStore } from '../server/storage/sqlite/document-store';
import { createProgram } from '../src/lib/shared/program/index';
import { cpuMs, freePort, rssMb } from '../tests/integration/server-process';
import { isolatedEnv } from '../tests/integration/test-storage';
import { generateRealisticProgram } from '../src/lib/shared/program/fixtures';
import tomskBeginner from '../src/lib/shared/program/templates/tomsk-heads-beginner';
import {
	MESSAGE_SYNC,
	SYNC_STEP2,
	encodeSyncStep1,
	encodeSyncUpdate
} from '../src/lib/shared/protocol';

type Kind = 'relay' | 'reference';

/** `/metrics` needs a token (server/http/metrics-access.ts). */
const BENCH_METRICS_TOKEN = 'bench-metrics-token-0123456789abcdefghij';
const env = (name: string, fallback: number) => {
	const v = process.env[name];
	return v ? Number(v) : fallback;
};
const PROGRAMS = env('BENCH_PROGRAMS', 1000);
const CLIENTS = env('BENCH_CLIENTS', 2);
const RATE = env('BENCH_RATE', 1);
const WARMUP_S = env('BENCH_WARMUP_S', 10);
const MEASURE_S = env('BENCH_MEASURE_S', 30);
const IDLE_PROGRAMS = env('BENCH_IDLE_PROGRAMS', 3000);
const EDITS = env('BENCH_EDITS', 5000);
const RUNS = env('BENCH_RUNS', 15);
const ROUNDS = env('BENCH_ROUNDS', 1);
const ONLY = process.env.BENCH_ONLY as Kind | undefined;
const PHASES = new Set((process.env.BENCH_PHASES ?? 'load,idle,first').split(','));
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
	await build({
		entryPoints: { 'relay-main': path.join(ROOT, 'server/main.ts') },
		outdir,
		bundle: true,
		platform: 'node',
		target: 'node20',
		format: 'esm',
		packages: 'external',
		logLevel: 'warning'
	});
	relayBundle = path.join(outdir, 'relay-main.js');
	return relayBundle;
}

async function startServer(
	kind: Kind,
	programIds: string[],
	extraEnv: Record<string, string> = {}
): Promise<ServerProc> {
	const port = await freePort();
	let dataDir: string | null = null;
	let child: ChildProcess;
	if (kind === 'relay') {
		dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-bench-'));
		const db = openDatabase(dataDir);
		const store = createSqliteDocumentStore(db);
		for (const id of programIds) await store.createProgram(id);
		db.close();
		child = spawn(process.execPath, [await bundleRelay()], {
			cwd: ROOT,
			// The measured relay runs on its own SQLite directory, whatever the environment says.
			env: isolatedEnv({
				PORT: String(port),
				HOST: '127.0.0.1',
				DATA_DIR: dataDir,
				SERVER_SECRET: SECRET,
				LOG_LEVEL: 'warn',
				// All bench clients come from 127.0.0.1; the default per-address cap (500) is for the real world.
				RELAY_MAX_CONNECTIONS_PER_IP: '100000',
				MAX_CONNECTIONS_PER_IP: '100000',
				METRICS_TOKEN: BENCH_METRICS_TOKEN,
				RELAY_MAX_CONNECTIONS_PER_USER: '100000',
				...extraEnv
			}),
			stdio: ['ignore', 'ignore', 'inherit']
		});
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
				await Promise.race([once(child, 'exit'), sleep(5_000)]);
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

function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

// ------------------------------------------------------------------ phase 1: load

interface LoadResult {
	persist: string;
	clients: number;
	sentPerSecond: number;
	delivered: number;
	cpuMs: number;
	cpuMsPer1000: number;
	p50: number;
	p99: number;
	max: number;
	driverCpuPct: number;
	serverCpuPct: number;
}

async function loadPhase(kind: Kind): Promise<LoadResult> {
	const ids = Array.from({ length: PROGRAMS }, (_, i) => `load-${i}`);
	const server = await startServer(kind, ids);
	const template = templateUpdate();
	interface Client {
		name: string;
		doc: Y.Doc;
		provider: WebsocketProvider;
		next: number;
	}
	const clients: Client[] = [];
	let measuring = false;
	let delivered = 0;
	const latencies: number[] = [];
	try {
		for (let p = 0; p < PROGRAMS; p++) {
			for (let c = 0; c < CLIENTS; c++) {
				const name = `u${c}`;
				const doc = new Y.Doc();
				Y.applyUpdate(doc, template);
				const programId = ids[p] as string;
				const provider = new WebsocketProvider(server.wsBase, programId, doc, {
					WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
					params: params(kind, name, programId),
					disableBc: true
				});
				const bench = doc.getMap<number>('bench');
				bench.observe((event, tr) => {
					if (tr.local) return;
					const t = performance.now();
					for (const key of event.keysChanged) {
						if (key === name) continue;
						const sent = bench.get(key);
						if (sent === undefined) continue;
						if (measuring) {
							delivered++;
							latencies.push(t - sent);
						}
					}
				});
				clients.push({ name, doc, provider, next: 0 });
			}
			if (p % 100 === 99) {
				await sleep(50);
			}
		}
		const deadline = Date.now() + 60_000;
		while (!clients.every((c) => c.provider.synced)) {
			if (Date.now() > deadline) throw new Error(`${kind}: clients did not sync`);
			await sleep(100);
		}
		log(`${kind}: ${clients.length} clients synced`);
		// Each client edits R times per second at a random phase: a few typed characters in a
		// text plus the send time in a map (the receivers measure latency from it).
		const period = 1000 / RATE;
		const t0 = performance.now();
		for (const c of clients) c.next = t0 + Math.random() * period;
		let sent = 0;
		let editing = true;
		const tick = setInterval(() => {
			if (!editing) return;
			const now = performance.now();
			for (const c of clients) {
				if (c.next > now) continue;
				c.next += period;
				c.doc.transact(() => {
					const t = c.doc.getText('bench-notes');
					t.insert(Math.floor(Math.random() * (t.length + 1)), 'ab');
					c.doc.getMap<number>('bench').set(c.name, performance.now());
				});
				sent++;
			}
		}, 5);
		await sleep(WARMUP_S * 1000);
		measuring = true;
		const cpu0 = cpuMs(server.pid);
		const driver0 = process.cpuUsage();
		const sent0 = sent;
		const w0 = performance.now();
		await sleep(MEASURE_S * 1000);
		measuring = false;
		const wall = performance.now() - w0;
		const cpu = cpuMs(server.pid) - cpu0;
		const d = process.cpuUsage(driver0);
		editing = false;
		clearInterval(tick);
		latencies.sort((a, b) => a - b);
		let persist = '';
		if (kind === 'relay') {
			const m = await (
				await fetch(`http://127.0.0.1:${server.port}/metrics`, {
					headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` }
				})
			).text();
			const num = (re: RegExp) => Number(re.exec(m)?.[1] ?? NaN);
			const sum = num(/^relay_persist_seconds_sum\{[^}]*\} ([\d.e+-]+)/m);
			const count = num(/^relay_persist_seconds_count\{[^}]*\} ([\d.e+-]+)/m);
			const updates = num(/^relay_persist_batch_updates_sum\{[^}]*\} ([\d.e+-]+)/m);
			persist = `${count} commits, mean ${((sum / count) * 1000).toFixed(2)} ms, mean batch ${(updates / count).toFixed(1)} updates`;
			log(`relay persist: ${persist}`);
		}
		return {
			persist,
			clients: clients.length,
			sentPerSecond: ((sent - sent0) * 1000) / wall,
			delivered,
			cpuMs: cpu,
			cpuMsPer1000: (cpu / delivered) * 1000,
			p50: percentile(latencies, 50),
			p99: percentile(latencies, 99),
			max: latencies[latencies.length - 1] ?? NaN,
			driverCpuPct: ((d.user + d.system) / 1000 / wall) * 100,
			serverCpuPct: (cpu / wall) * 100
		};
	} finally {
		for (const c of clients) c.provider.destroy();
		await sleep(200);
		await server.stop();
	}
}

// ------------------------------------------------------------------ phase 2: idle RSS

interface IdleResult {
	programs: number;
	rssBaselineMb: number;
	rssMb: number;
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
				// What a stock client does when it opens a program it has locally: step 1, then its content.
				ws.send(step1);
				ws.send(upload);
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
		return { programs: IDLE_PROGRAMS, rssBaselineMb, rssMb: rssMb(server.pid) };
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

const median = (xs: number[]) =>
	percentile(
		[...xs].sort((a, b) => a - b),
		50
	);

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

async function main() {
	const kinds: Kind[] = ONLY ? [ONLY] : ['relay', 'reference'];
	log(
		`programs=${PROGRAMS} clients/program=${CLIENTS} rate=${RATE}/s warmup=${WARMUP_S}s measure=${MEASURE_S}s idle=${IDLE_PROGRAMS} edits=${EDITS}`
	);
	const results: Record<string, { load?: LoadResult; idle?: IdleResult; first?: FirstSyncResult }> =
		{};
	let bigUpdate: Uint8Array | null = null;
	if (PHASES.has('first')) {
		const t = performance.now();
		const big = generateRealisticProgram(1, { edits: EDITS });
		bigUpdate = Y.encodeStateAsUpdate(big.doc);
		big.doc.destroy();
		log(
			`generated a ${EDITS}-edit program (${bigUpdate.length} bytes) in ${Math.round(performance.now() - t)} ms`
		);
	}
	for (const kind of kinds) results[kind] = {};
	if (PHASES.has('load')) {
		// Load rounds alternate between the servers; each figure is the median over the rounds
		// (the machine may be shared, and fsync latency varies a lot on virtual disks).
		const rounds: Record<string, LoadResult[]> = {};
		for (let round = 1; round <= ROUNDS; round++) {
			for (const kind of kinds) {
				log(`${kind}: load phase, round ${round}/${ROUNDS}`);
				const result = await loadPhase(kind);
				log(kind, result);
				(rounds[kind] ??= []).push(result);
			}
		}
		for (const kind of kinds) {
			const rs = rounds[kind] ?? [];
			const med = (f: (r: LoadResult) => number) => median(rs.map(f));
			const r = results[kind];
			if (!r || rs.length === 0) continue;
			r.load = {
				persist: rs.map((x) => x.persist).join(' / '),
				clients: rs[0]?.clients ?? 0,
				sentPerSecond: med((x) => x.sentPerSecond),
				delivered: med((x) => x.delivered),
				cpuMs: med((x) => x.cpuMs),
				cpuMsPer1000: med((x) => x.cpuMsPer1000),
				p50: med((x) => x.p50),
				p99: med((x) => x.p99),
				max: med((x) => x.max),
				driverCpuPct: med((x) => x.driverCpuPct),
				serverCpuPct: med((x) => x.serverCpuPct)
			};
			log(
				`${kind} load rounds: cpu/1000 ${rs.map((x) => x.cpuMsPer1000.toFixed(1)).join(', ')}; p50 ${rs.map((x) => x.p50.toFixed(1)).join(', ')}; p99 ${rs.map((x) => x.p99.toFixed(1)).join(', ')}`
			);
		}
	}
	for (const kind of kinds) {
		const r = results[kind];
		if (!r) continue;
		if (PHASES.has('idle')) {
			log(`${kind}: idle phase`);
			r.idle = await idlePhase(kind);
			log(kind, r.idle);
		}
		if (PHASES.has('first') && bigUpdate) {
			log(`${kind}: first-sync phase`);
			r.first = await firstSyncPhase(kind, bigUpdate);
			log(kind, r.first);
		}
	}

	const fmt = (v: number | null | undefined, digits = 1) =>
		v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits);
	const ratio = (a?: number | null, b?: number | null) =>
		a == null || b == null || !b ? '—' : (a / b).toFixed(2);
	const rel = results.relay;
	const ref = results.reference;
	const rows: [string, string, string, string, string][] = [
		['metric', 'relay (SQLite, auth)', 'reference 1.5.4 (memory)', 'ratio', 'goal'],
		[
			'load: clients × rate',
			`${rel?.load?.clients ?? '—'} × ${RATE}/s`,
			`${ref?.load?.clients ?? '—'} × ${RATE}/s`,
			'',
			''
		],
		[
			'load: updates sent / s',
			fmt(rel?.load?.sentPerSecond, 0),
			fmt(ref?.load?.sentPerSecond, 0),
			'',
			''
		],
		[
			'load: delivered updates (window)',
			String(rel?.load?.delivered ?? '—'),
			String(ref?.load?.delivered ?? '—'),
			'',
			''
		],
		[
			'server CPU ms / 1,000 delivered',
			fmt(rel?.load?.cpuMsPer1000),
			fmt(ref?.load?.cpuMsPer1000),
			ratio(rel?.load?.cpuMsPer1000, ref?.load?.cpuMsPer1000),
			'≤ 1'
		],
		[
			'server CPU % of one core',
			fmt(rel?.load?.serverCpuPct),
			fmt(ref?.load?.serverCpuPct),
			'',
			''
		],
		[
			'delivery latency p50 ms',
			fmt(rel?.load?.p50),
			fmt(ref?.load?.p50),
			ratio(rel?.load?.p50, ref?.load?.p50),
			''
		],
		[
			'delivery latency p99 ms',
			fmt(rel?.load?.p99),
			fmt(ref?.load?.p99),
			ratio(rel?.load?.p99, ref?.load?.p99),
			'≤ 1'
		],
		[
			'driver CPU % (load generator)',
			fmt(rel?.load?.driverCpuPct),
			fmt(ref?.load?.driverCpuPct),
			'',
			''
		],
		[
			`RSS MB, ${IDLE_PROGRAMS} idle programs`,
			fmt(rel?.idle?.rssMb),
			fmt(ref?.idle?.rssMb),
			ratio(rel?.idle?.rssMb, ref?.idle?.rssMb),
			'≤ 0.5'
		],
		['RSS MB, empty server', fmt(rel?.idle?.rssBaselineMb), fmt(ref?.idle?.rssBaselineMb), '', ''],
		[
			`first sync ${EDITS}-edit program: step 1 → step 2 ms`,
			fmt(rel?.first?.answerWarmMs, 2),
			fmt(ref?.first?.answerWarmMs, 2),
			ratio(rel?.first?.answerWarmMs, ref?.first?.answerWarmMs),
			'≤ 0.1'
		],
		[
			'first sync: socket open → step 2 ms',
			fmt(rel?.first?.rawWarmMs, 2),
			fmt(ref?.first?.rawWarmMs, 2),
			ratio(rel?.first?.rawWarmMs, ref?.first?.rawWarmMs),
			''
		],
		[
			'first sync, relay cold (from SQLite): step 1 → step 2 ms',
			fmt(rel?.first?.answerColdMs, 2),
			'n/a (memory only)',
			ratio(rel?.first?.answerColdMs, ref?.first?.answerWarmMs),
			''
		],
		[
			'first sync, relay cold: socket open → step 2 ms',
			fmt(rel?.first?.rawColdMs, 2),
			'n/a',
			ratio(rel?.first?.rawColdMs, ref?.first?.rawWarmMs),
			''
		],
		[
			'first sync, stock client until synced ms',
			fmt(rel?.first?.stockWarmMs, 2),
			fmt(ref?.first?.stockWarmMs, 2),
			ratio(rel?.first?.stockWarmMs, ref?.first?.stockWarmMs),
			''
		],
		[
			'program size bytes',
			String(rel?.first?.docBytes ?? '—'),
			String(ref?.first?.docBytes ?? '—'),
			'',
			''
		]
	];
	const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
	for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join(' | '));
	console.log(
		JSON.stringify({
			config: { PROGRAMS, CLIENTS, RATE, WARMUP_S, MEASURE_S, IDLE_PROGRAMS, EDITS, RUNS, ROUNDS },
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
