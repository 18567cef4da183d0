/**
 * The load generator of `npm run bench:relay`, run as a process of its own (issue 18: the
 * generator must not share a process with the orchestrator, and its CPU is reported). It opens
 * P programs × C stock y-websocket clients against one server, lets every client hold the same
 * document (blank, or a realistic 2-year program), edits at a fixed rate per client, and prints
 * one JSON line: what it sent and delivered in the measured window, the server's CPU (utime +
 * stime of its pid, worker threads included) and its own, latency percentiles, and per-slice
 * p99/max when asked.
 *
 * Input: the JSON in BENCH_DRIVER (see DriverConfig); output: the result in config.resultFile.
 * Not meant to be run by hand.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { mintAccessToken } from '../server/auth/tokens';
import { cpuMs } from '../tests/integration/server-process';
import { generateRealisticProgram } from '../src/lib/shared/program/fixtures';
import { ProgramEditor, readProgram } from '../src/lib/shared/program/index';
import { sortedPercentile } from './bench-abuse/stats';

export interface DriverConfig {
	kind: 'relay' | 'reference';
	wsBase: string;
	serverPid: number;
	/** Program ids: `${prefix}${first + i}` for i < programs (a driver's share of the run's). */
	prefix: string;
	first: number;
	programs: number;
	clients: number;
	/** Edits per second per client. */
	rate: number;
	warmupS: number;
	measureS: number;
	doc: 'blank' | 'realistic';
	realisticEdits: number;
	/**
	 * Where an edit types: 'bench' (default) a top-level text of its own, outside the program;
	 * 'notes' (realistic documents) an activity's notes through the program's API, as the app does
	 * (the activity's updatedAt/updatedBy change too, so the curator's summary changes).
	 */
	edit: 'bench' | 'notes';
	/** Report p99/max per slice of this many seconds (0: no slices). */
	sliceS: number;
	secret: string;
	/**
	 * Several drivers share a run (BENCH_DRIVERS): once its clients have synced, a driver prints
	 * `{"ready":true}` and starts editing when it reads a line on stdin, so that all of them measure
	 * the same window.
	 */
	waitForGo: boolean;
	/**
	 * Where the result (DriverResult as JSON) is written. A file, not stdout: with
	 * BENCH_DRIVER_FLAGS=--trace-gc V8 prints to the same descriptor, and one of its lines landed in
	 * the middle of a result.
	 */
	resultFile: string;
}

export interface SliceResult {
	fromS: number;
	delivered: number;
	p99: number;
	max: number;
	serverCpuMs: number;
	/**
	 * The driver's own stalls in the slice: its longest garbage-collection pause and its event
	 * loop's longest delay. Latency is measured inside the driver, so a driver stall delays
	 * deliveries whatever the server does. In the long scenario on 2 vCPU its loop lagged by seconds
	 * with GC pauses under 200 ms: the driver starved of CPU, not collecting (docs/benchmarks.md).
	 */
	driverGcMaxMs: number;
	driverLoopMaxMs: number;
	/** The slice's latencies (ms), sorted: the orchestrator merges several drivers' slices. */
	latencies: number[];
}

export interface DriverResult {
	clients: number;
	docBytes: number;
	setupS: number;
	sentPerSecond: number;
	delivered: number;
	deliveredPerSecond: number;
	serverCpuMs: number;
	cpuMsPer1000: number;
	p50: number;
	p99: number;
	max: number;
	serverCpuPct: number;
	driverCpuPct: number;
	/** The driver's own memory (the documents of all its clients). */
	driverRssMb: number;
	slices: SliceResult[];
	/** Every latency of the measured window (ms), sorted, for merging drivers. */
	latencies: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function documentUpdate(config: DriverConfig): Uint8Array {
	if (config.doc === 'blank') return new Uint8Array(0);
	const program = generateRealisticProgram(1, { edits: config.realisticEdits });
	const update = Y.encodeStateAsUpdate(program.doc);
	program.doc.destroy();
	return update;
}

/** BENCH_EDIT=notes: the program's mentor or mentee typing into one of its activities' notes. */
function notesOf(
	config: DriverConfig,
	doc: Y.Doc,
	program: number,
	client: number
): { editor: ProgramEditor; activityId: string } | null {
	if (config.edit !== 'notes' || config.doc !== 'realistic') return null;
	const view = readProgram(doc, doc);
	const role = client % 2 === 0 ? 'mentor' : 'mentee';
	const person = view.participants.find((x) => x.role === role);
	const activity = view.activities[program % view.activities.length];
	if (!person?.userId || !activity) throw new Error('BENCH_EDIT=notes: no participant or activity');
	return {
		editor: new ProgramEditor(doc, { userId: person.userId, role }),
		activityId: activity.id
	};
}

/** Types two characters into the notes, or deletes two once they grow long. */
function typeNotes(editor: ProgramEditor, activityId: string) {
	const ref = { kind: 'activity' as const, id: activityId, field: 'notes' as const };
	const len = editor.text(ref).length;
	const at = Math.floor(Math.random() * (len - 1));
	if (len > 2_000) editor.editText(ref, at, 2);
	else editor.editText(ref, Math.floor(Math.random() * (len + 1)), 0, 'ab');
}

async function drive(config: DriverConfig): Promise<DriverResult> {
	// Every stock provider adds a process 'exit' listener.
	process.setMaxListeners(0);
	const t0 = performance.now();
	const update = documentUpdate(config);
	interface Client {
		name: string;
		doc: Y.Doc;
		provider: WebsocketProvider;
		next: number;
		/** BENCH_EDIT=notes: the editor and the activity whose notes it types into. */
		notes: { editor: ProgramEditor; activityId: string } | null;
	}
	const clients: Client[] = [];
	let measuring = false;
	let delivered = 0;
	let latencies: number[] = [];
	const all: number[] = [];
	for (let p = 0; p < config.programs; p++) {
		const programId = `${config.prefix}${config.first + p}`;
		for (let c = 0; c < config.clients; c++) {
			const name = `u${c}`;
			const doc = new Y.Doc();
			if (update.length > 0) Y.applyUpdate(doc, update);
			const params: Record<string, string> =
				config.kind === 'relay'
					? {
							token: mintAccessToken(config.secret, {
								userId: name,
								programId,
								access: 'rw',
								expiresAt: Date.now() + 3_600_000
							})
						}
					: {};
			const provider = new WebsocketProvider(config.wsBase, programId, doc, {
				WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
				params,
				disableBc: true
			});
			const bench = doc.getMap<number>('bench');
			bench.observe((event, tr) => {
				if (tr.local || !measuring) return;
				const t = performance.now();
				for (const key of event.keysChanged) {
					if (key === name) continue;
					const sent = bench.get(key);
					if (sent === undefined) continue;
					delivered++;
					latencies.push(t - sent);
				}
			});
			clients.push({ name, doc, provider, next: 0, notes: notesOf(config, doc, p, c) });
		}
		if (p % 100 === 99) await sleep(50);
	}
	const deadline = Date.now() + 180_000;
	while (!clients.every((c) => c.provider.synced)) {
		if (Date.now() > deadline) throw new Error(`${config.kind}: clients did not sync`);
		await sleep(100);
	}
	const setupS = (performance.now() - t0) / 1000;
	if (config.waitForGo) {
		process.stdout.write('{"ready":true}\n');
		await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
	}
	// Each client edits `rate` times a second at a random phase: two typed characters in a text
	// and its send time in a map (the other clients of the program measure latency from it).
	const period = 1000 / config.rate;
	const start = performance.now();
	for (const c of clients) c.next = start + Math.random() * period;
	let sent = 0;
	let editing = true;
	const tick = setInterval(() => {
		if (!editing) return;
		const now = performance.now();
		for (const c of clients) {
			if (c.next > now) continue;
			c.next += period;
			c.doc.transact(() => {
				if (c.notes) typeNotes(c.notes.editor, c.notes.activityId);
				else {
					const t = c.doc.getText('bench-notes');
					t.insert(Math.floor(Math.random() * (t.length + 1)), 'ab');
				}
				c.doc.getMap<number>('bench').set(c.name, performance.now());
			});
			sent++;
		}
	}, 5);
	await sleep(config.warmupS * 1000);
	measuring = true;
	const cpu0 = cpuMs(config.serverPid);
	const driver0 = process.cpuUsage();
	const sent0 = sent;
	const w0 = performance.now();
	const slices: SliceResult[] = [];
	if (config.sliceS > 0) {
		const n = Math.floor(config.measureS / config.sliceS);
		let sliceCpu = cpu0;
		let gcMax = 0;
		const gc = new PerformanceObserver((list) => {
			for (const entry of list.getEntries()) gcMax = Math.max(gcMax, entry.duration);
		});
		gc.observe({ entryTypes: ['gc'] });
		const loop = monitorEventLoopDelay({ resolution: 10 });
		loop.enable();
		for (let i = 0; i < n; i++) {
			await sleep(config.sliceS * 1000);
			const sorted = latencies.sort((a, b) => a - b);
			const cpu = cpuMs(config.serverPid);
			slices.push({
				fromS: i * config.sliceS,
				delivered: sorted.length,
				p99: sortedPercentile(sorted, 99),
				max: sorted[sorted.length - 1] ?? NaN,
				serverCpuMs: cpu - sliceCpu,
				driverGcMaxMs: gcMax,
				driverLoopMaxMs: loop.max / 1e6,
				latencies: sorted.map((x) => Math.round(x * 100) / 100)
			});
			gcMax = 0;
			loop.reset();
			sliceCpu = cpu;
			for (const x of sorted) all.push(x);
			latencies = [];
		}
		gc.disconnect();
		loop.disable();
	} else {
		await sleep(config.measureS * 1000);
	}
	measuring = false;
	const wall = performance.now() - w0;
	const serverCpuMs = cpuMs(config.serverPid) - cpu0;
	const d = process.cpuUsage(driver0);
	editing = false;
	clearInterval(tick);
	const rss = process.memoryUsage().rss;
	for (const x of latencies) all.push(x);
	all.sort((a, b) => a - b);
	for (const c of clients) c.provider.destroy();
	return {
		clients: clients.length,
		docBytes: update.length,
		setupS,
		sentPerSecond: ((sent - sent0) * 1000) / wall,
		delivered,
		deliveredPerSecond: (delivered * 1000) / wall,
		serverCpuMs,
		cpuMsPer1000: (serverCpuMs / delivered) * 1000,
		p50: sortedPercentile(all, 50),
		p99: sortedPercentile(all, 99),
		max: all[all.length - 1] ?? NaN,
		serverCpuPct: (serverCpuMs / wall) * 100,
		driverCpuPct: ((d.user + d.system) / 1000 / wall) * 100,
		driverRssMb: rss / 1048576,
		slices,
		latencies: all.map((x) => Math.round(x * 100) / 100)
	};
}

const input = process.env.BENCH_DRIVER;
if (!input) {
	console.error('bench-relay-driver: BENCH_DRIVER (JSON) is required; run npm run bench:relay');
	process.exit(2);
}
const config = JSON.parse(input) as DriverConfig;
drive(config).then(
	(result) => {
		writeFileSync(config.resultFile, JSON.stringify(result));
		process.exit(0);
	},
	(error: unknown) => {
		console.error(error);
		process.exit(1);
	}
);
