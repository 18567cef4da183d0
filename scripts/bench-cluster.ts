/**
 * `npm run bench:cluster`: the relay as one instance and as two instances behind Redis, under the
 * same load from the stock y-websocket client, with PostgreSQL as the durable log.
 *
 * Configurations (each on fresh server processes and a fresh database):
 *   1×pg           one instance, PostgreSQL, no Redis: both clients of a program on it;
 *   1×pg+redis     the same with REDIS_URL set (cluster mode, nobody to fan out to): its overhead;
 *   2×pg+redis     two instances, PostgreSQL + Redis, the two clients of each program on DIFFERENT
 *                  instances: every delivery crosses Redis (the worst case of a round-robin balancer);
 *   2×pg+redis co  two instances, both clients of a program on the SAME instance (what a balancer
 *                  with program affinity gives): no Redis hop on the delivery path;
 *   1×sqlite       the embedded default, for reference.
 *
 * Load: P programs × 2 clients, R updates/s per client (a few characters and a timestamp).
 * Latency = send → receipt by the other client of the program (includes the durable commit and,
 * split, the Redis hop). Throughput = delivered updates/s during the measurement. Server CPU =
 * utime + stime of the instance processes (/proc). The driver is one Node process on the same VM.
 *
 * Environment: BENCH_PROGRAMS (500), BENCH_RATE (1), BENCH_WARMUP_S (5), BENCH_MEASURE_S (20),
 * BENCH_CONFIGS (comma list of the names above; default all), DATABASE_URL (a PostgreSQL server
 * to create bench databases on; default postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL
 * (default redis://127.0.0.1:6379).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { mintAccessToken } from '../server/auth/tokens';
import { openStorage } from '../server/storage/index';
import { benchServerEnv, cpuMs, freePort } from '../tests/integration/server-process';
import { createTestDatabase, type TestDatabase } from '../tests/integration/test-storage';
import { bundleServer } from './bundle-server.mjs';
import { SERVER_NODE_FLAGS } from '../server/node-flags';

const env = (name: string, fallback: number) => {
	const v = process.env[name];
	return v ? Number(v) : fallback;
};
const PROGRAMS = env('BENCH_PROGRAMS', 500);
const RATE = env('BENCH_RATE', 1);
const WARMUP_S = env('BENCH_WARMUP_S', 5);
const MEASURE_S = env('BENCH_MEASURE_S', 20);
const PG_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const ALL = ['1×pg', '1×pg+redis', '2×pg+redis', '2×pg+redis co', '1×sqlite'] as const;
type Config = (typeof ALL)[number];
const CONFIGS = (process.env.BENCH_CONFIGS?.split(',') ?? [...ALL]) as Config[];
const SECRET = 'bench-secret-0123456789abcdef0123456789';
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
/** Node flags for the instances besides the server's own (SERVER_NODE_FLAGS), e.g. BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'. */
const NODE_ARGS = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];

// One process holds 1,000 y-websocket providers (each adds an exit listener).
process.setMaxListeners(0);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (...args: unknown[]) => console.error('[bench]', ...args);

async function bundle(): Promise<string> {
	const outdir = path.join(ROOT, 'build', 'bench');
	await bundleServer({ 'cluster-main': path.join(ROOT, 'server/main.ts') }, outdir);
	return path.join(outdir, 'cluster-main.js');
}

interface Instance {
	child: ChildProcess;
	pid: number;
	port: number;
}

/** Starts an instance on `dataDir` (default: a new one), removed when it exits. */
async function startInstance(
	entry: string,
	extra: Record<string, string>,
	dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-bench-cluster-'))
): Promise<Instance> {
	const port = await freePort();
	const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...NODE_ARGS, entry], {
		cwd: ROOT,
		env: benchServerEnv(port, dataDir, SECRET, extra),
		stdio: ['ignore', 'ignore', 'inherit']
	});
	child.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
	const deadline = Date.now() + 30_000;
	for (;;) {
		try {
			if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) break;
		} catch {
			// not yet
		}
		if (Date.now() > deadline || child.exitCode !== null) throw new Error('instance did not start');
		await sleep(100);
	}
	if (child.pid === undefined) throw new Error('no pid');
	return { child, pid: child.pid, port };
}

async function stop(i: Instance) {
	if (i.child.exitCode !== null) return;
	i.child.kill('SIGTERM');
	await Promise.race([once(i.child, 'exit'), sleep(8_000)]);
	if (i.child.exitCode === null) i.child.kill('SIGKILL');
}

const pct = (sorted: number[], p: number) =>
	sorted.length === 0
		? NaN
		: (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN);

interface Result {
	config: Config;
	offered: number;
	deliveredPerS: number;
	p50: number;
	p99: number;
	max: number;
	cpuMsPer1000: number;
	serverCpuPct: number;
	instances: number;
}

async function runConfig(entry: string, config: Config): Promise<Result> {
	const ids = Array.from({ length: PROGRAMS }, (_, i) => `bc-${i}`);
	let db: TestDatabase | null = null;
	const extra: Record<string, string> = {};
	if (config !== '1×sqlite') {
		db = await createTestDatabase(PG_URL);
		extra.DATABASE_URL = db.url;
		const storage = await openStorage({ dataDir: tmpdir(), databaseUrl: db.url });
		for (const id of ids) await storage.documents.createProgram(id);
		await storage.close();
	}
	const two = config.startsWith('2×');
	if (config.includes('redis')) {
		extra.REDIS_URL = REDIS;
		extra.CLUSTER_PREFIX = `bench${randomBytes(3).toString('hex')}`;
	}
	const instances: Instance[] = [];
	try {
		if (config === '1×sqlite') {
			// Tokens need the programs to exist: created in the instance's own SQLite directory first.
			const dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-bench-sqlite-'));
			const storage = await openStorage({ dataDir, databaseUrl: null });
			for (const id of ids) await storage.documents.createProgram(id);
			await storage.close();
			instances.push(await startInstance(entry, extra, dataDir));
		} else {
			instances.push(await startInstance(entry, extra));
			if (two) instances.push(await startInstance(entry, extra));
		}

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
		for (let p = 0; p < PROGRAMS; p++) {
			for (let c = 0; c < 2; c++) {
				const name = `u${c}`;
				const programId = ids[p] as string;
				// split: u0 → instance 0, u1 → instance 1; co-located: program p → instance p % 2.
				const inst =
					instances.length === 1
						? instances[0]
						: config === '2×pg+redis'
							? instances[c]
							: instances[p % 2];
				const doc = new Y.Doc();
				const provider = new WebsocketProvider(
					`ws://127.0.0.1:${inst?.port}/sync`,
					programId,
					doc,
					{
						WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
						params: {
							token: mintAccessToken(SECRET, {
								userId: name,
								programId,
								access: 'rw',
								expiresAt: Date.now() + 3_600_000
							})
						},
						disableBc: true
					}
				);
				const bench = doc.getMap<number>('bench');
				bench.observe((event, tr) => {
					if (tr.local) return;
					const t = performance.now();
					for (const key of event.keysChanged) {
						if (key === name) continue;
						const sent = bench.get(key);
						if (sent === undefined || !measuring) continue;
						delivered++;
						latencies.push(t - sent);
					}
				});
				clients.push({ name, doc, provider, next: 0 });
			}
			if (p % 100 === 99) await sleep(50);
		}
		const deadline = Date.now() + 60_000;
		while (!clients.every((c) => c.provider.synced)) {
			if (Date.now() > deadline) throw new Error('clients did not sync');
			await sleep(100);
		}
		log(config, `${clients.length} clients synced`);
		// Each client: RATE updates/s, spread evenly.
		const intervalMs = 1000 / RATE;
		let running = true;
		const tick = 10;
		const start = performance.now();
		clients.forEach((c, i) => (c.next = start + ((i * intervalMs) / clients.length) * 1));
		const writer = (async () => {
			while (running) {
				const t = performance.now();
				for (const c of clients) {
					if (c.next > t) continue;
					c.next += intervalMs;
					c.doc.transact(() => {
						c.doc.getText('t').insert(0, 'ab');
						c.doc.getMap<number>('bench').set(c.name, performance.now());
					});
				}
				await sleep(tick);
			}
		})();
		await sleep(WARMUP_S * 1000);
		const cpu0 = instances.map((i) => cpuMs(i.pid));
		measuring = true;
		const t0 = performance.now();
		await sleep(MEASURE_S * 1000);
		measuring = false;
		const seconds = (performance.now() - t0) / 1000;
		const cpu = instances.reduce((n, i, k) => n + cpuMs(i.pid) - (cpu0[k] ?? 0), 0);
		running = false;
		await writer;
		for (const c of clients) c.provider.destroy();
		latencies.sort((a, b) => a - b);
		return {
			config,
			offered: PROGRAMS * 2 * RATE,
			deliveredPerS: delivered / seconds,
			p50: pct(latencies, 50),
			p99: pct(latencies, 99),
			max: latencies[latencies.length - 1] ?? NaN,
			cpuMsPer1000: (cpu / delivered) * 1000,
			serverCpuPct: (cpu / (seconds * 1000)) * 100,
			instances: instances.length
		};
	} finally {
		for (const i of instances) await stop(i);
		await db?.drop();
	}
}

const entry = await bundle();
const results: Result[] = [];
for (const config of CONFIGS) {
	log(`running ${config}: ${PROGRAMS} programs × 2 clients × ${RATE}/s`);
	results.push(await runConfig(entry, config));
	await sleep(2_000);
}
console.log('');
console.log(
	`Load: ${PROGRAMS} programs × 2 clients × ${RATE} update/s (${PROGRAMS * 2 * RATE} updates/s offered), ${WARMUP_S} s warm-up, ${MEASURE_S} s measured; node ${process.version}`
);
console.log('');
console.log(
	'| configuration | instances | delivered/s | p50 ms | p99 ms | max ms | server CPU ms / 1,000 delivered | server CPU % of one core (sum) |'
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results)
	console.log(
		`| ${r.config} | ${r.instances} | ${r.deliveredPerS.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(0)} | ${r.cpuMsPer1000.toFixed(1)} | ${r.serverCpuPct.toFixed(1)} |`
	);
const split = results.find((r) => r.config === '2×pg+redis');
const co = results.find((r) => r.config === '2×pg+redis co');
if (split && co)
	console.log(
		`\nRedis hop (split − co-located): p50 +${(split.p50 - co.p50).toFixed(1)} ms, p99 ${split.p99 - co.p99 >= 0 ? '+' : ''}${(split.p99 - co.p99).toFixed(1)} ms, CPU/1,000 ${split.cpuMsPer1000 - co.cpuMsPer1000 >= 0 ? '+' : ''}${(split.cpuMsPer1000 - co.cpuMsPer1000).toFixed(1)} ms`
	);
process.exit(0);
