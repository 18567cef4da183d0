/**
 * Memory after a flood (issue 14: "RSS back to baseline after"), against the built server as a
 * child process: while phones keep editing (which keeps V8 from shrinking its heap by itself),
 * thousands of slow connections come and go. The garbage they leave — their sockets and HTTP
 * parsers — is collected and V8's heap comes back to within a few MB of where it was, rather than
 * staying at the flood's level for minutes (bench:abuse 2026-11-24: +109 MB after the round).
 * What the allocator keeps outside V8 is measured by `npm run bench:abuse:memory` (docs/benchmarks.md).
 * Without the relief (MEMORY_RELIEF_MB=0) this failed: 73 MB before, 124 at the peak, 129 after
 * 60 s; with it, 74 → 117 → 36 MB within 10 s (2026-11-24). The relief now asks V8 for its own
 * memory-reducing collections instead of stopping the loop for one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	createPrograms,
	sleep,
	slowConnections,
	startServer,
	tempRoot,
	until,
	type ServerHandle
} from './harness';
import { stockClient } from './phones';

const METRICS_TOKEN = 'resilience-metrics-token-0123456789abcdef0123';
const PAIRS = 10;
const MB = 1048576;

/** V8's heap and external memory of the server (what a full collection can give back), in MB. */
async function collectableMb(server: ServerHandle): Promise<number> {
	const text = await (
		await fetch(`${server.url}/metrics`, {
			headers: { authorization: `Bearer ${METRICS_TOKEN}` }
		})
	).text();
	const read = (name: string) =>
		Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? NaN);
	return (read('nodejs_heap_size_total_bytes') + read('nodejs_external_memory_bytes')) / MB;
}

describe('memory after a flood of slow connections', () => {
	const t = tempRoot('memory');
	let server: ServerHandle;
	const phones: Array<ReturnType<typeof stockClient>> = [];
	let editing: NodeJS.Timeout | null = null;

	beforeAll(async () => {
		const ids = Array.from({ length: PAIRS }, (_, i) => `memory-${i}`);
		await createPrograms(t.dataDir, ids);
		// A threshold below the flood's growth on a loaded machine (20.7 MB in one CI run); 48 by default.
		server = await startServer(t.dataDir, { METRICS_TOKEN, MEMORY_RELIEF_MB: '16' });
		for (const id of ids)
			phones.push(
				stockClient(server.wsBase, id, 'mentor-1'),
				stockClient(server.wsBase, id, 'mentee-1')
			);
		await until(() => phones.every((p) => p.provider.synced), 'phones synced', 30_000);
		// Each phone edits 5 times a second, as the bench's phones keep the server allocating.
		let n = 0;
		editing = setInterval(() => {
			for (const p of phones) p.doc.getMap('notes').set(`k${n % 50}`, `edit ${n++}`);
		}, 200);
	});
	afterAll(async () => {
		if (editing) clearInterval(editing);
		for (const p of phones) p.destroy();
		await server?.stop('SIGTERM');
		t.dispose();
	});

	it('V8’s heap comes back to its level before the flood while the phones edit', async () => {
		await sleep(5_000);
		const before = await collectableMb(server);
		const slow = slowConnections(server.port);
		let peak = before;
		// 4,000 from 10 addresses (under the per-address limit), five times over.
		for (let wave = 0; wave < 5; wave++) {
			for (let a = 0; a < 10; a++)
				await Promise.all(Array.from({ length: 400 }, () => slow.open(`127.0.4.${1 + a}`)));
			peak = Math.max(peak, await collectableMb(server));
			slow.destroyAll();
			await sleep(1_000);
			peak = Math.max(peak, await collectableMb(server));
		}
		let now = peak;
		await until(
			async () => {
				now = await collectableMb(server);
				return now <= before + 16;
			},
			() =>
				`V8's heap + external back within 16 MB of ${before.toFixed(0)} MB (peak ${peak.toFixed(0)}), now ${now.toFixed(0)} MB`,
			// The relief waits for the heap to stop rising for 30 s, and at most 90 s from the first
			// check that found the growth (server/memory/relief.ts), then checks every 5 s; V8's memory
			// reducer then collects within ~8 s. After the flood the phones' edits can keep V8 growing
			// its heap for a while: one run collected 58 s after the flood's end, a CI run had not at
			// 60 s (110 MB). So the wait is that bound.
			120_000,
			5_000
		);
		console.log(
			`memory: ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB at the flood's peak, ${now.toFixed(0)} MB after`
		);
		// The flood must have been big enough to show anything.
		expect(peak - before).toBeGreaterThan(16);
		expect(phones.every((p) => p.provider.wsconnected)).toBe(true);
	}, 240_000);
});
