/** The summaries' budget counts the thread's CPU time (issue 18): waiting is not work. */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { threadCpuMs } from './cpu-time.js';

describe('threadCpuMs', () => {
	it('does not count time spent waiting', async () => {
		const before = threadCpuMs();
		await sleep(200);
		expect(threadCpuMs() - before).toBeLessThan(100);
	});

	it('counts work', () => {
		const before = threadCpuMs();
		const end = performance.now() + 50;
		let x = 0;
		while (performance.now() < end) x++;
		expect(x).toBeGreaterThan(0);
		expect(threadCpuMs() - before).toBeGreaterThan(0);
	});
});
