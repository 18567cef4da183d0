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
		t += 1000;
		expect(await relief.check()).toBe(true);
		// The heap is back near where it was before the flood.
		expect(collectable() - before).toBeLessThan(grown / 4);
		// Not again at once: nothing grew since.
		t += 60_000;
		expect(await relief.check()).toBe(false);
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
});
