import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import type { DeviceSyncFacts } from '../storage/document-store.js';
import { systemClock } from './clock.js';
import { createFactsRecorder, FACTS_PER_SLICE } from './facts.js';
import type { Session } from './session.js';

/** What the recorder reads of a session. */
const phone = (programId: string, userId: string): Session =>
	({
		info: { programId, userId, deviceId: `d-${userId}` },
		factsWritten: {}
	}) as unknown as Session;

describe('device sync facts', () => {
	it('a flush of every device at once is written in slices, with the event loop getting turns between them', async () => {
		const writes: Array<{ facts: DeviceSyncFacts[]; turns: number }> = [];
		let turns = 0;
		let counting = true;
		const count = () => {
			turns++;
			if (counting) setImmediate(count);
		};
		const recorder = createFactsRecorder({
			store: {
				saveFacts: async (facts) => {
					writes.push({ facts, turns });
				}
			},
			clock: systemClock(),
			flushMs: 60_000,
			log: createLogger('silent')
		});
		// 1,000 programs, a mentor's and a mentee's phone each: all connected in the same second.
		for (let p = 0; p < 1000; p++)
			for (const who of ['mentor', 'mentee'])
				recorder.record(phone(`p${p}`, `${who}${p}`), { lastConnectedAt: 1_000 }, true);
		setImmediate(count);
		await recorder.write();
		counting = false;
		recorder.stop();

		const written = writes.flatMap((w) => w.facts);
		expect(written).toHaveLength(2000);
		expect(new Set(written.map((f) => f.userId)).size).toBe(2000);
		expect(writes.length).toBeGreaterThanOrEqual(2000 / FACTS_PER_SLICE);
		for (const w of writes) expect(w.facts.length).toBeLessThanOrEqual(FACTS_PER_SLICE);
		// A program's devices in one slice: its aggregate is computed once.
		const sliceOf = new Map<string, number>();
		writes.forEach((w, i) => w.facts.forEach((f) => sliceOf.set(f.programId, i)));
		writes.forEach((w, i) => w.facts.forEach((f) => expect(sliceOf.get(f.programId)).toBe(i)));
		// Other work ran between every two slices.
		for (let i = 1; i < writes.length; i++)
			expect(writes[i]?.turns).toBeGreaterThan(writes[i - 1]?.turns ?? Infinity);
	});

	it('writes do not overtake each other: the last pending count recorded is the last written', async () => {
		const written: DeviceSyncFacts[] = [];
		const recorder = createFactsRecorder({
			store: {
				saveFacts: async (facts) => {
					await new Promise((r) => setTimeout(r, facts.length > 1 ? 20 : 0));
					written.push(...facts);
				}
			},
			clock: systemClock(),
			flushMs: 60_000,
			log: createLogger('silent')
		});
		const mentor = phone('p0', 'mentor0');
		for (let p = 1; p < 300; p++) recorder.record(phone(`p${p}`, `u${p}`), { pending: 1 }, true);
		recorder.record(mentor, { pending: 3 });
		const first = recorder.write();
		await new Promise((r) => setImmediate(r)); // the first write has taken what was recorded
		recorder.record(mentor, { pending: 0 });
		const second = recorder.write();
		await Promise.all([first, second]);
		recorder.stop();
		expect(written.filter((f) => f.userId === 'mentor0').map((f) => f.pending)).toEqual([3, 0]);
	});
});
