/**
 * Issue 18: many programs reaching the compaction threshold at once (all edited at the same pace
 * since the same moment, or a mass unload after a network cut) stalled the relay for seconds,
 * because every compaction started at once. Compactions now take turns, each followed by a rest
 * in proportion to its duration; none is skipped and nothing stored is dropped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { encodeSyncUpdate } from './protocol.js';
import type { AttachedSession, Relay } from './relay.js';
import { COMPACTION_REST, compactionThreshold } from './rooms.js';
import { FakeClock, MemoryDocumentStore, attachPhone, fakeClockRelay } from './test-fakes.js';

/** The in-memory store, where a compaction takes `ms` of (fake) time, as on a real disk. */
class SlowCompactionStore extends MemoryDocumentStore {
	running = 0;
	mostAtOnce = 0;
	starts: number[] = [];
	constructor(
		private readonly clock: FakeClock,
		private readonly ms: number
	) {
		super();
	}
	override async compact(...args: Parameters<MemoryDocumentStore['compact']>) {
		this.running++;
		this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
		this.starts.push(this.clock.now());
		try {
			await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.ms));
			return await super.compact(...args);
		} finally {
			this.running--;
		}
	}
}

let relays: Relay[] = [];
afterEach(async () => {
	for (const r of relays) await r.close();
	relays = [];
});

describe('compaction pacing', () => {
	it('programs reaching the threshold together compact one at a time, spaced, all of them', async () => {
		const clock = new FakeClock();
		const store = new SlowCompactionStore(clock, 10);
		const { relay } = fakeClockRelay({
			store,
			clock,
			config: { compactAfterUpdates: 3 },
			summarize: () => ({})
		});
		relays.push(relay);
		const programs = ['p1', 'p2', 'p3', 'p4'];
		const sessions: AttachedSession[] = [];
		for (const programId of programs) {
			await store.createProgram(programId);
			const { attached } = attachPhone(relay, clock, programId);
			sessions.push(attached);
		}
		await clock.settle();
		// Every program gets its third row in the same commit.
		const writers = programs.map((_, i) => {
			const doc = new Y.Doc();
			doc.clientID = 100 + i;
			return doc;
		});
		for (let edit = 0; edit < 3; edit++) {
			programs.forEach((_, i) => {
				const doc = writers[i]!;
				const before = Y.encodeStateVector(doc);
				doc.getMap('m').set(`k${edit}`, 'v');
				sessions[i]!.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(doc, before)));
			});
			await clock.settle();
		}
		await clock.advance(1_000);
		expect(store.mostAtOnce).toBe(1);
		expect(store.starts).toHaveLength(programs.length);
		// Each waited for the previous one (10 ms) and its rest (COMPACTION_REST × 10 ms).
		for (let i = 1; i < store.starts.length; i++)
			expect(store.starts[i]! - store.starts[i - 1]!).toBeGreaterThanOrEqual(
				10 * (1 + COMPACTION_REST)
			);
		for (const programId of programs) expect(await store.logLength(programId)).toBe(0);
		for (const programId of programs) {
			const stored = await store.load(programId);
			const doc = new Y.Doc();
			if (stored.state) Y.applyUpdate(doc, stored.state);
			for (const u of stored.updates) Y.applyUpdate(doc, u);
			expect([...doc.getMap('m').keys()].sort()).toEqual(['k0', 'k1', 'k2']);
		}
	});

	it('spreads the threshold of programs over half of it again, fixed per program', () => {
		const thresholds = Array.from({ length: 1000 }, (_, i) =>
			compactionThreshold(`program-${i}`, 500)
		);
		expect(Math.min(...thresholds)).toBeGreaterThanOrEqual(500);
		expect(Math.max(...thresholds)).toBeLessThan(750);
		// Spread, not bunched: every fifth of the range holds at least a tenth of the programs.
		for (let k = 0; k < 5; k++) {
			const inFifth = thresholds.filter((t) => t >= 500 + k * 50 && t < 550 + k * 50).length;
			expect(inFifth).toBeGreaterThan(100);
		}
		expect(compactionThreshold('program-1', 500)).toBe(thresholds[1]);
		expect(compactionThreshold('p1', 1)).toBe(1);
	});
});
