/**
 * The summaries' budget counts the thread's own CPU time (issue 18): waiting is not work, and
 * neither is another thread's work — on Node 20 and 22 as on 23.9+ (cpu-time.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { importThroughTsx } from '../workers/pool.js';
import { threadCpuMs } from './cpu-time.js';

/**
 * A fixed amount of work (`n` million steps, 3–4 ms of CPU each on the machines here), not a span
 * of wall time: on a loaded machine a thread gets only part of a span. JavaScript text, so a
 * worker runs the same. The tests' 150 million steps are ≥ 450 ms on the fastest machine seen
 * (3.0 ms per million), above the 300 ms they assert: with 100 million a CI rehearsal measured 299.
 */
const WORK = `(n) => {
	let x = 0;
	for (let i = 0; i < n * 1e6; i++) x = (x + i * 7) % 1000003;
	return x + 1;
}`;
const work = new Function(`return ${WORK}`)() as (millions: number) => number;
const processCpuMs = () => {
	const u = process.cpuUsage();
	return (u.user + u.system) / 1000;
};

/**
 * Runs `body` (JavaScript, given `clock`: cpu-time.ts's `name` as the worker loads it, `work`, and
 * `parentPort`) in a worker thread; calls `each` with every message but the last (and a way to
 * answer it), and resolves with the last one's `done`.
 */
function inWorker(
	name: 'threadCpuMs' | 'workerTaskMs',
	body: string,
	each: (message: unknown, reply: (m: unknown) => void) => void = () => {}
): Promise<unknown> {
	const source = `
		const { parentPort } = require('node:worker_threads');
		const work = ${WORK};
		${importThroughTsx(new URL('./cpu-time.ts', import.meta.url).href)}
			.then(async (cpu) => { const clock = cpu.${name}; ${body} });`;
	const worker = new Worker(source, { eval: true });
	return new Promise((resolve, reject) => {
		worker.on('message', (m: { done?: unknown }) => {
			if (!('done' in m)) return each(m, (reply) => worker.postMessage(reply));
			resolve(m.done);
			void worker.terminate();
		});
		worker.once('error', reject);
	});
}

describe('threadCpuMs', () => {
	it('does not count time spent waiting', async () => {
		const before = threadCpuMs();
		await sleep(200);
		expect(threadCpuMs() - before).toBeLessThan(100);
	});

	it('counts work', () => {
		const [threadBefore, processBefore] = [threadCpuMs(), processCpuMs()];
		expect(work(30)).toBeGreaterThan(0);
		const threadSpent = threadCpuMs() - threadBefore;
		const processSpent = processCpuMs() - processBefore;
		// The process's CPU holds this work and a little of other threads'; the thread's clock
		// counts in ticks of 10 ms on Node before 23.9.
		expect(processSpent).toBeGreaterThan(50);
		expect(threadSpent).toBeGreaterThanOrEqual(processSpent * 0.7 - 10);
	});

	it("does not count another thread's work (a worker's busy second)", async () => {
		const before = threadCpuMs();
		const processBefore = processCpuMs();
		const worked = await inWorker('threadCpuMs', `parentPort.postMessage({ done: work(150) });`);
		expect(worked).toBeGreaterThan(0);
		// The worker's ~550 ms are the process's, not this thread's.
		expect(processCpuMs() - processBefore).toBeGreaterThan(300);
		expect(threadCpuMs() - before).toBeLessThan(150);
	});
});

describe('workerTaskMs', () => {
	it("counts a task's work in a worker, not the event loop's meanwhile", async () => {
		let loopWorked = 0;
		const result = inWorker(
			'workerTaskMs',
			`const a = clock(); work(30); const worked = clock() - a;
			const b = clock();
			// The event loop works while the worker waits for its answer.
			parentPort.postMessage({ waiting: true });
			await new Promise((resolve) => parentPort.once('message', resolve));
			const waited = clock() - b;
			parentPort.postMessage({ done: { worked, waited } });`,
			(_waiting, reply) => {
				const cpu = processCpuMs();
				work(150);
				loopWorked = processCpuMs() - cpu;
				reply('go on');
			}
		);
		const { worked, waited } = (await result) as { worked: number; waited: number };
		expect(worked).toBeGreaterThan(30);
		expect(loopWorked).toBeGreaterThan(300);
		expect(waited).toBeLessThan(100);
	});
});
