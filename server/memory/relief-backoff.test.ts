import { afterEach, describe, expect, it } from 'vitest';
import { MB, logger } from './relief-fixtures';
import { startMemoryRelief, type MemoryRelief } from './relief';

let relief: MemoryRelief | null = null;
afterEach(() => relief?.stop());

describe('memory relief', () => {
	it('waits the longest gap after a reduction that freed little, and comes back once one frees it', async () => {
		// A heap of 100 MB with `live` MB that a reduction keeps and `garbage` MB that it frees.
		let t = 0;
		let live = 0;
		let garbage = 0;
		relief = startMemoryRelief(
			{
				growthBytes: 24 * MB,
				minGapMs: 20_000,
				maxGapMs: 160_000,
				settleMs: 0,
				heap: () => ({ collectable: (100 + live + garbage) * MB }),
				now: () => t,
				reduce: async () => {
					garbage = 0;
					return 5;
				}
			},
			logger,
			null
		);
		// Live growth (more programs open): a reduction frees little, so the next waits the
		// longest gap rather than a series of short ones.
		live = 60;
		const reducedAt: number[] = [];
		for (t = 1000; t <= 400_000; t += 5000) if (await relief.check()) reducedAt.push(t);
		const gaps = reducedAt.slice(1).map((x, i) => x - (reducedAt[i] as number));
		expect(reducedAt.length).toBeGreaterThanOrEqual(3);
		for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(160_000);
		// That memory becomes garbage: the next allowed reduction frees it, and the one after
		// may come after the short gap again.
		garbage = live;
		live = 0;
		let reduced = false;
		for (t += 5000; !reduced && t < 600_000; t += 5000) reduced = await relief.check();
		expect(reduced).toBe(true);
		garbage = 30;
		const at = t;
		reduced = false;
		for (; !reduced && t < at + 100_000; t += 5000) reduced = await relief.check();
		expect(reduced).toBe(true);
		expect(t - at).toBeLessThanOrEqual(25_000);
	});
});
