import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MB, collectNow, collectable, flood, logger } from './relief-fixtures';
import { startMemoryRelief, type MemoryRelief } from './relief';

let relief: MemoryRelief | null = null;
afterEach(() => relief?.stop());

describe('memory relief', () => {
	it('collects the garbage a flood left once the heap has grown past the threshold', async () => {
		await collectNow();
		let t = 0;
		const registry = new Registry();
		relief = startMemoryRelief({ growthBytes: 48 * MB, now: () => t }, logger, registry);
		const before = collectable();
		let objects: unknown[] | null = flood();
		const grown = collectable() - before;
		expect(grown).toBeGreaterThan(60 * MB);
		objects = null;
		expect(objects).toBeNull();
		// The first check sees the heap still rising (as in the middle of a flood): it waits,
		t += 1000;
		expect(await relief.check()).toBe(false);
		// and 5 s later too (a flood's sockets may still be held: collecting them would pause
		// the loop for their marking and free little),
		t += 5000;
		expect(await relief.check()).toBe(false);
		// until the heap has not risen for 30 s.
		t += 26_000;
		expect(await relief.check()).toBe(true);
		// The heap is back near where it was before the flood.
		expect(collectable() - before).toBeLessThan(grown / 4);
		// Not again at once: nothing grew since.
		t += 60_000;
		expect(await relief.check()).toBe(false);
	});

	it('waits while the heap keeps rising, at most maxPostponeMs', async () => {
		await collectNow();
		let t = 0;
		relief = startMemoryRelief(
			// A rise is a quarter of the threshold: 2 MB here, well below a check's flood (V8 may
			// have reserved part of it ahead: Node 24's heap rose by less than 6 MB in some checks).
			{ growthBytes: 8 * MB, settleMs: 10_000, maxPostponeMs: 30_000, now: () => t },
			logger,
			null
		);
		// A flood still under way: each check finds the heap ~37 MB higher than the one before.
		const objects: unknown[][] = [];
		const outcomes: boolean[] = [];
		for (t = 5000; t <= 40_000; t += 5000) {
			objects.push(flood(150_000));
			outcomes.push(await relief.check());
		}
		// Postponed while it rose, until 30 s after the first due check (t = 5 s): at t = 35 s.
		expect(outcomes.indexOf(true)).toBe(6);
		expect(objects.length).toBe(8);
	});

	it('stays off below the threshold and when disabled', async () => {
		const t = 0;
		relief = startMemoryRelief({ growthBytes: 0, now: () => t }, logger, null);
		let objects: unknown[] | null = flood();
		objects = null;
		expect(objects).toBeNull();
		expect(await relief.check()).toBe(false);
		relief.stop();
		relief = startMemoryRelief({ growthBytes: 4096 * MB, now: () => t }, logger, null);
		expect(await relief.check()).toBe(false);
	});

	it('does not count memory that is live by design (the summaries’ kept documents)', async () => {
		await collectNow();
		let t = 0;
		const before = collectable();
		let kept = 0;
		relief = startMemoryRelief(
			{ growthBytes: 8 * MB, settleMs: 0, liveBytes: () => kept, now: () => t },
			logger,
			null
		);
		// The kept documents fill their budget: live, and known to be. (How much a flood adds to
		// V8's reading varies — 15–27 MB for one on Node 24 — so flood until it is well past.)
		const documents: unknown[][] = [];
		while (collectable() - before < 32 * MB && documents.length < 50)
			documents.push(flood(200_000));
		kept = collectable() - before;
		expect(kept).toBeGreaterThanOrEqual(32 * MB);
		for (t = 5000; t <= 60_000; t += 5000) expect(await relief.check()).toBe(false);
		expect(documents.length).toBeGreaterThan(0);
	});

	it('skips a collection predicted to pause the loop longer than maxPauseMs', async () => {
		// A fake heap: garbage above a base, and after each collection (30 ms) 50 MB live besides
		// the kept documents.
		let t = 0;
		let kept = 0;
		let garbage = 0;
		let used = 0;
		let calls = 0;
		const base = 100 * MB;
		// Before a collection has measured it, the pause is predicted at 0.5 ms per MB of the
		// heap at its lowest (100 MB here): 50 ms.
		const start = (maxPauseMs: number, registry: Registry | null, msPerLiveMb = 0.5) =>
			startMemoryRelief(
				{
					growthBytes: 8 * MB,
					settleMs: 0,
					maxPauseMs,
					msPerLiveMb,
					liveBytes: () => kept,
					heap: () => ({ collectable: base + kept + garbage, used }),
					now: () => t,
					collect: async () => {
						calls++;
						const end = performance.now() + 30;
						while (performance.now() < end);
						garbage = 0;
						used = 50 * MB + kept;
					}
				},
				logger,
				registry
			);
		/** `ms` later, with the kept documents and the garbage at these sizes (MB): did it collect? */
		const checkAfter = (ms: number, keptMb: number, garbageMb: number) => {
			kept = keptMb * MB;
			garbage = garbageMb * MB;
			t += ms;
			return relief!.check();
		};
		const registry = new Registry();
		relief = start(100, registry);
		expect(await checkAfter(5_000, 0, 28)).toBe(true);
		// The kept documents grow by 300 MB, all live: a collection now would mark 350 MB at the
		// last one's pace (30 ms for 50 MB), ~210 ms. Not run,
		expect(await checkAfter(30_000, 300, 20)).toBe(false);
		expect(calls).toBe(1);
		const skipped = await registry.getSingleMetric('nastavnik_memory_relief_skipped_total')?.get();
		expect(skipped?.values[0]?.value).toBe(1);
		// nor at the next checks: it waits the long gap.
		expect(await checkAfter(60_000, 300, 20)).toBe(false);
		// Once they are gone (expired), a collection is cheap again.
		expect(await checkAfter(600_000, 0, 20)).toBe(true);
		expect(calls).toBe(2);

		// Before any collection, a heap whose lowest level predicts more than the bound at the
		// assumed pace (3 ms per MB of 100 MB) is not collected either.
		relief.stop();
		garbage = 0;
		relief = start(100, null, 3);
		expect(await checkAfter(5_000, 0, 28)).toBe(false);
		expect(calls).toBe(2);

		// With no bound (0), the same growth is collected.
		relief.stop();
		garbage = 0;
		relief = start(0, null);
		expect(await checkAfter(5_000, 0, 28)).toBe(true);
		expect(await checkAfter(30_000, 300, 20)).toBe(true);
		expect(calls).toBe(4);
	});
});
