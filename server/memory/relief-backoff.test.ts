import { afterEach, describe, expect, it } from 'vitest';
import { MB, collectNow, collectable, flood, logger } from './relief-fixtures';
import { startMemoryRelief, type MemoryRelief } from './relief';

// A file of its own: the floor is the lowest level this process's heap has been at, and an
// earlier test's garbage would set it.

let relief: MemoryRelief | null = null;
afterEach(() => relief?.stop());

describe('memory relief', () => {
	it('waits the longest gap after a collection that freed little, and comes back once a collection frees it', async () => {
		await collectNow();
		let t = 0;
		relief = startMemoryRelief(
			{ growthBytes: 24 * MB, minGapMs: 20_000, maxGapMs: 160_000, now: () => t },
			logger,
			null
		);
		// Live growth (more programs open): a collection frees little, and each one pauses every
		// phone for the marking of the whole live heap (184 ms in a bench:abuse control round with
		// nothing sent), so the next waits the longest gap rather than a doubling series of them.
		const live = flood();
		const collectedAt: number[] = [];
		for (t = 1000; t <= 400_000; t += 5000) if (await relief.check()) collectedAt.push(t);
		const gaps = collectedAt.slice(1).map((x, i) => x - (collectedAt[i] as number));
		expect(collectedAt.length).toBeGreaterThanOrEqual(3);
		// The first collection may free the flood's own temporaries (Node 24 frees more than a
		// quarter there); from the second one on, the growth is live.
		for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThanOrEqual(160_000);
		// That memory becomes garbage: the next allowed collection frees it.
		const withLive = collectable();
		live.length = 0;
		let collected = false;
		for (t += 5000; !collected && t < 600_000; t += 5000) collected = await relief.check();
		expect(collected).toBe(true);
		expect(withLive - collectable()).toBeGreaterThan(30 * MB);
	});
});
