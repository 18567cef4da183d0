/**
 * Reconnect storm: 3,000 stock y-websocket clients (1,500 programs × 2) are connected, the
 * server is killed, every client edits while it is down, the server restarts and all of them
 * reconnect within about a second. All pairs must come back in sync (each holding both offline
 * edits, equal to the stored document), with no connection dropped by a full listen queue, the
 * server's RSS bounded during the storm and its memory and file descriptors not growing from one
 * storm to the next.
 *
 * How fast they converge (5.3 s on a quiet 2-core machine, the 15 s budget of docs/resilience.md)
 * is printed and recorded in docs/benchmarks.md, not asserted: a timing assertion measures the
 * machine (it failed at 20–37 s with two CPU hogs beside it) rather than the relay. The deadline
 * below only tells a hang from a slow machine.
 */
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import {
	collectGarbage,
	cpuMs,
	listenOverflows,
	createPrograms,
	procStats,
	readStored,
	sleep,
	startServer,
	summarySettled,
	tempRoot,
	token,
	until,
	type ServerHandle
} from './harness';
import { expectInvariants, sameDocument } from './phones';

const CLIENTS = Number(process.env.RESILIENCE_STORM_CLIENTS ?? 3_000);
const PROGRAMS = Math.ceil(CLIENTS / 2);
/** A hang, not a slow machine: convergence takes 5 s quiet and up to ~40 s with CPU hogs beside it. */
const HANG_DEADLINE_MS = 120_000;
/** Peak RSS of the server during a storm (the relay benchmark: 361 MB with 3,000 idle programs). */
const PEAK_RSS_MB = 1_024;

interface Client {
	program: string;
	doc: Y.Doc;
	provider: WebsocketProvider;
}

// Every y-websocket provider in Node registers a process 'exit' listener.
process.setMaxListeners(0);

describe(`reconnect storm: ${CLIENTS} clients`, () => {
	const tmp = tempRoot('storm');
	let server: ServerHandle;
	let clients: Client[] = [];
	const env = {
		RELAY_MAX_CONNECTIONS_PER_IP: '20000',
		MAX_CONNECTIONS_PER_IP: '20000',
		RELAY_MAX_CONNECTIONS_PER_USER: '20000',
		RELAY_IDLE_UNLOAD_MS: '1000'
	};

	afterAll(async () => {
		for (const c of clients) c.provider.destroy();
		await server?.stop('SIGKILL');
		tmp.dispose();
	});

	function connect(i: number, doc = new Y.Doc()): Client {
		const program = `storm-${Math.floor(i / 2)}`;
		const provider = new WebsocketProvider(server.wsBase, program, doc, {
			WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
			params: { token: token(`user-${i}`, program, 'rw', 24 * 3600_000) },
			disableBc: true,
			maxBackoffTime: 1_000
		});
		return { program, doc, provider };
	}

	const allSynced = () => clients.every((c) => c.provider.synced);
	const pairsEqual = () => {
		for (let i = 0; i < clients.length; i += 2) {
			const a = clients[i]!;
			const b = clients[i + 1];
			if (b && !sameDocument(a.doc, b.doc)) return false;
		}
		return true;
	};
	const pairsHave = (marker: string) =>
		clients.every((c, i) => {
			const text = c.doc.getText('t').toString();
			const partner = i % 2 === 0 ? i + 1 : i - 1;
			return (
				text.includes(`${marker}${i};`) &&
				(partner >= clients.length || text.includes(`${marker}${partner};`))
			);
		});

	async function sampleRss(during: Promise<unknown>): Promise<number> {
		let peak = 0;
		let done = false;
		void during.finally(() => (done = true));
		while (!done) {
			try {
				peak = Math.max(peak, procStats(server.pid).rssMb);
			} catch {
				// restarting
			}
			await sleep(100);
		}
		return peak;
	}

	it('all pairs are back in sync after a crash and restart, no connection lost to the listen queue; memory bounded', async () => {
		server = await startServer(tmp.dataDir, env, undefined, { inspect: true });
		const fresh = procStats(server.pid);
		await createPrograms(
			tmp.dataDir,
			Array.from({ length: PROGRAMS }, (_, i) => `storm-${i}`)
		);
		const t0 = Date.now();
		for (let i = 0; i < CLIENTS; i++) {
			clients.push(connect(i));
			if (i % 250 === 249) await sleep(50);
		}
		await until(
			allSynced,
			() => `initial sync (${clients.filter((c) => c.provider.synced).length}/${CLIENTS})`,
			60_000,
			100
		);
		clients.forEach((c, i) => c.doc.getText('t').insert(0, `online-${i};`));
		await until(() => pairsHave('online-') && pairsEqual(), 'initial edits delivered', 60_000, 200);
		const setupMs = Date.now() - t0;

		await server.stop('SIGKILL');
		clients.forEach((c, i) => c.doc.getText('t').insert(0, `offline-${i};`));
		await sleep(1_500); // every client has failed at least once and backs off (≤ 1 s)
		const overflows0 = listenOverflows();
		const restart = Date.now();
		server = await startServer(tmp.dataDir, env, server.port, { inspect: true });
		const serverCpu0 = cpuMs(server.pid);
		const ownCpu0 = process.cpuUsage();
		const converged = until(
			() => allSynced() && pairsHave('offline-'),
			() =>
				`storm convergence: ${clients.filter((c) => c.provider.synced).length}/${CLIENTS} synced`,
			HANG_DEADLINE_MS,
			100
		);
		let connectedWithin = 0;
		void until(
			() => clients.every((c) => c.provider.wsconnected),
			'all connected',
			30_000,
			20
		).then(
			() => (connectedWithin = Date.now() - restart),
			() => {}
		);
		const peak = await sampleRss(converged);
		await converged;
		const stormMs = Date.now() - restart;
		const serverCpu = cpuMs(server.pid) - serverCpu0;
		const own = process.cpuUsage(ownCpu0);
		const clientCpu = Math.round((own.user + own.system) / 1000);
		const overflows = listenOverflows() - overflows0;
		expect(pairsEqual()).toBe(true);
		console.log(
			`[storm] ${CLIENTS} clients / ${PROGRAMS} programs: setup ${setupMs} ms; after restart all connected in ${connectedWithin} ms, all pairs in sync in ${stormMs} ms; CPU in the storm: server ${serverCpu} ms, clients ${clientCpu} ms; listen queue overflows ${overflows}; peak RSS ${peak} MB (fresh server ${fresh.rssMb} MB, ${fresh.fds} fds)`
		);
		// The regression of the listen-backlog fix (docs/resilience.md, bug 3): no SYN dropped.
		expect(overflows, 'listen queue overflows during the storm').toBe(0);
		expect(peak).toBeLessThanOrEqual(PEAK_RSS_MB);

		// Stored = replicas, summaries current, for a sample of programs.
		for (let i = 0; i < clients.length; i += Math.max(2, Math.floor(clients.length / 40))) {
			const c = clients[i - (i % 2)]!;
			// The relay delivers an update before its commit (docs/relay.md): pairs in sync do not mean
			// stored yet, and on a loaded machine a commit can come after the summary looked settled.
			await until(
				() => sameDocument(c.doc, readStored(tmp.dataDir, c.program).doc),
				`the stored ${c.program} to hold what its phones hold`,
				15_000,
				200
			).catch(() => {}); // expectInvariants below says what differs
			// A cap, not a budget: after the restart all 1,500 programs' summaries queue behind the
			// summaries' CPU share; beside the unit tests storm-0's took more than 15 s (CI, 2026-11-28).
			await summarySettled(tmp.dataDir, c.program, 90_000);
			expectInvariants(
				tmp.dataDir,
				c.program,
				[{ name: `client ${i}`, doc: c.doc }],
				`storm ${c.program}`
			);
		}
	}, 300_000);

	it('memory and file descriptors do not grow from one storm to the next', async () => {
		const cycle = async (marker: string) => {
			const docs = clients.map((c) => c.doc);
			for (const c of clients) c.provider.destroy();
			// The old sockets close (fixed window: a storm of reconnects is the point, not a condition).
			await sleep(300);
			docs.forEach((d, i) => d.getText('t').insert(0, `${marker}${i};`));
			clients = docs.map((d, i) => connect(i, d));
			const t = Date.now();
			const cpu0 = cpuMs(server.pid);
			await until(() => allSynced() && pairsHave(marker), `${marker} sync`, 60_000, 100);
			const ms = Date.now() - t;
			const serverCpuMs = cpuMs(server.pid) - cpu0;
			for (const c of clients) c.provider.destroy();
			// Programs unload 1 s after their last connection; then memory should settle.
			await until(() => procStats(server.pid).fds < 100, 'sockets closed', 20_000, 200);
			await sleep(3_000);
			// What is live, not what the last collection happened to leave (harness.ts).
			await collectGarbage(server);
			return { ms, serverCpuMs, ...procStats(server.pid) };
		};
		const first = await cycle('again-');
		const second = await cycle('third-');
		console.log(`[storm] reconnect cycles: ${JSON.stringify(first)} → ${JSON.stringify(second)}`);
		expect(second.fds).toBeLessThanOrEqual(first.fds + 2);
		// Both read after a full collection (144 → 140 MB here): what grows is live, i.e. a leak.
		expect(second.rssMb).toBeLessThanOrEqual(first.rssMb * 1.1 + 16);
		const stored = readStored(tmp.dataDir, 'storm-0');
		expect(stored.doc.getText('t').toString()).toContain('third-0;');
		clients = [];
	});
});
