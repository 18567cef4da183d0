/**
 * Issue 18: a program whose decoded document the kept ones leave no room for (summary-docs.ts)
 * was decoded on the event loop for its summary and dropped right after (~4 ms of the loop's CPU
 * for a two-year program, every summary of it). It is summarized in the worker pool instead, and
 * the budget is charged the task's own time there; the programs that fit are still decoded here
 * and kept. When the pool fails on such a (small) document, the summary is computed here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { generateRealisticProgram } from '../../src/lib/shared/program/fixtures.js';
import { TASKS } from '../workers/tasks.js';
import { LEGACY_DECISIONS } from './decisions.js';
import { encodeSyncUpdate, inspectUpdate } from './protocol.js';
import type { Relay } from './relay.js';
import { RoomDocument } from './room.js';
import { computeSummary, type SummaryTaskInput, type SummaryTaskOutput } from './summaries.js';
import { programSummary } from './summary.js';
import { createSummaryDocs, DECODED_BYTES_PER_BYTE } from './summary-docs.js';
import { attachPhone, fakeClockRelay } from './test-fakes.js';

let relays: Relay[] = [];
afterEach(async () => {
	for (const r of relays) await r.close();
	relays = [];
});

// Two programs of ~64 KB: decoded, ~1.3 MB each by the kept documents' estimate; 2 MB keep one.
const programs = [3, 4].map((seed) => {
	const p = generateRealisticProgram(seed, { edits: 400 });
	return { id: `p${seed}`, update: Y.encodeStateAsUpdate(p.doc) };
});

async function relayWithPool(task: (input: SummaryTaskInput) => Promise<SummaryTaskOutput>) {
	const { relay, clock, store, registry } = fakeClockRelay({
		config: { summaryDebounceMs: 1_000, summaryDocsMb: 2 },
		summaryTask: task
	});
	relays.push(relay);
	for (const { id, update } of programs) {
		await store.createProgram(id);
		const { attached } = attachPhone(relay, clock, id);
		await clock.settle();
		attached.receive(encodeSyncUpdate(update));
	}
	await clock.settle();
	await clock.advance(5_000);
	await clock.settle();
	const metrics = await registry.getMetricsAsJSON();
	const metric = (name: string, stat?: string) =>
		metrics
			.find((m) => m.name === name)
			?.values.find((v) => stat === undefined || v.labels.stat === stat)?.value;
	return { store, metric };
}

const expected = (id: string, update: Uint8Array, now: number) =>
	computeSummary(id, update, 1, programSummary, now, LEGACY_DECISIONS).summary;

describe('summaries of documents the kept ones leave no room for', () => {
	it('go to the worker pool, charged their time there; the one that fits is decoded here and kept', async () => {
		const calls: SummaryTaskInput[] = [];
		const { store, metric } = await relayWithPool(async (input) => {
			calls.push(input);
			// The real task (what a worker runs), with a work time the charge must show.
			return { ...TASKS.summary(input), workMs: 5_000 };
		});
		// One program to the pool, as its parts (no merge on the loop); the other kept here.
		expect(calls).toHaveLength(1);
		expect(Array.isArray(calls[0]?.state)).toBe(true);
		expect(metric('relay_summary_docs', 'documents')).toBe(1);
		expect(metric('relay_summary_docs', 'decodes')).toBe(1);
		expect(metric('relay_summary_docs', 'declined')).toBe(1);
		for (const { id, update } of programs) {
			const stored = await store.getSummary(id);
			expect(stored?.summary).toEqual(expected(id, update, stored?.computedAt ?? 0));
		}
		// Charged: the pool's 5 s of work (not its round trip), plus the other's decode here.
		const charged = metric('relay_summary_cpu_seconds_total') ?? 0;
		expect(charged).toBeGreaterThanOrEqual(5);
		expect(charged).toBeLessThan(5.5);
	});

	it('are computed here when the pool fails', async () => {
		let calls = 0;
		const { store } = await relayWithPool(async () => {
			calls++;
			throw new Error('worker crashed');
		});
		expect(calls).toBe(1);
		for (const { id, update } of programs) {
			const stored = await store.getSummary(id);
			expect(stored?.summary).toEqual(expected(id, update, stored?.computedAt ?? 0));
		}
	});
});

describe('SummaryDocs.wouldKeep', () => {
	it('says what a read will do: keep the document it decodes, or reuse a kept one', () => {
		let now = 0;
		const room = (bytes: number) => {
			const doc = new Y.Doc();
			doc.getText('t').insert(0, 'x'.repeat(bytes));
			const u = Y.encodeStateAsUpdate(doc);
			const r = new RoomDocument();
			r.absorb(u, inspectUpdate(u).ranges, 1);
			return r;
		};
		const rooms = new Map<string, RoomDocument>();
		const size = (id: string) => (id === 'big' ? 3000 : 1000);
		const docs = createSummaryDocs({
			// Room for about three small documents, or one big one and one small.
			budgetBytes: 3.5 * 1020 * DECODED_BYTES_PER_BYTE,
			staleMs: 1_000,
			now: () => now
		});
		const ids = ['a', 'b', 'c', 'd', 'big'];
		// A fixed walk through reads, reloads (another RoomDocument) and time passing.
		for (let step = 0; step < 400; step++) {
			const id = ids[(step * 7 + (step >> 3)) % ids.length] as string;
			if (step % 11 === 0) rooms.delete(id);
			if (step % 5 === 0) now += 300;
			let source = rooms.get(id);
			if (!source) rooms.set(id, (source = room(size(id))));
			const before = docs.stats();
			const promised = docs.wouldKeep(id, source);
			docs.read(id, source, () => 0);
			const after = docs.stats();
			const reused = after.reuses > before.reuses;
			// Kept: the next read reuses it (and keeps it again: nothing else changed).
			const again = docs.stats().reuses;
			docs.read(id, source, () => 0);
			const kept = docs.stats().reuses > again;
			expect(promised, `step ${step} (${id})`).toBe(reused || kept);
		}
		expect(docs.stats().declined).toBeGreaterThan(0);
		expect(docs.stats().reuses).toBeGreaterThan(0);
	});
});
