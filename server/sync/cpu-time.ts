/**
 * CPU time in milliseconds, for budgets that must count work and not waiting (issue 18: the
 * summaries' budget charged a decisions read that waited on the worker pool as if it were work,
 * and starved). Always the calling thread's own time, where the platform can tell it:
 * `process.threadCpuUsage` on Node 23.9+; before, on Linux, the thread's counters in
 * `/proc/thread-self/stat`. Only elsewhere (no such file) an upper bound: the process's CPU on
 * the event loop, the elapsed time in a worker.
 *
 * Why not the process's CPU on Node 20 and 22 (the product runs on both): it counts every
 * thread's work — the writer's commits, the worker pool, GC helpers — so on a busy relay a
 * summary of ~4 ms was charged 45–55 ms (bench:relay pattern, 2026-11-27) and the 2 % budget
 * rested ~12× too long; on a saturated CI machine one such charge outlasted a test's 15 s wait.
 * `/proc/thread-self/schedstat` (nanoseconds) is not an option: a kernel built without scheduler
 * statistics, like the VM of the 2026-11-24 benchmarks, reports zeros there. `stat` counts in
 * clock ticks (USER_HZ, 100 per second on every Linux architecture Node ships for), so a single
 * reading is ±10 ms; the kernel derives the ticks from its exact runtime, so the differences the
 * budget sums are unbiased over many summaries.
 */
import { readFileSync } from 'node:fs';

interface CpuUsage {
	user: number;
	system: number;
}

// @types/node 20 does not know threadCpuUsage (Node 23.9+).
const threadCpuUsage = (process as { threadCpuUsage?: () => CpuUsage }).threadCpuUsage;

const ms = (u: CpuUsage) => (u.user + u.system) / 1000;

/** Linux's USER_HZ: the unit of utime and stime in /proc (fixed by the kernel's ABI). */
const TICK_MS = 10;

/**
 * A thread's CPU (user + system) from its /proc stat file, in ms: the calling thread's by default,
 * or another of this process's (`/proc/self/task/<tid>/stat`, tests). Fields 14 and 15 (utime,
 * stime); counted after the `)` that ends field 2, the command name, which may itself hold spaces
 * or parentheses.
 */
export function procThreadCpuMs(stat = '/proc/thread-self/stat'): number {
	const text = readFileSync(stat, 'latin1');
	const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
	// fields[0] is field 3 (state), so field n is fields[n - 3].
	return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Whether this system has the file (Linux); asked only where Node has no clock of its own. */
function procReadable(): boolean {
	try {
		return Number.isFinite(procThreadCpuMs());
	} catch {
		return false;
	}
}

/** This thread's CPU time so far, in ms, where it can be told; null where it cannot. */
const ownThreadMs: (() => number) | null =
	typeof threadCpuUsage === 'function'
		? () => ms(threadCpuUsage.call(process))
		: procReadable()
			? procThreadCpuMs
			: null;

/**
 * A task's own time in a worker thread, in ms (differences only): the thread's CPU, or where that
 * cannot be told the time elapsed (the process's would charge the event loop's work to the task).
 * Either way without the task's wait in the pool's queue.
 */
export const workerTaskMs: () => number = ownThreadMs ?? (() => performance.now());

/** The worker thread's CPU when its previous task ended (worker-entry.ts marks it); null: none yet. */
let previousTaskEnd: number | null = null;

/** A worker's task has ended (worker-entry.ts: before its answer is posted, and once at start-up). */
export function markTaskEnd(): void {
	if (ownThreadMs) previousTaskEnd = ownThreadMs();
}

/**
 * Where a worker task's work starts, for `workerTaskMs() - taskStartMs()`: the end of the thread's
 * previous task. What the thread does between two tasks is work for them, not waiting: posting the
 * previous answer, reading the next task's message, collecting the garbage earlier tasks left (a
 * summary decodes a two-year program, ~2 MB of objects). Counting from the task's own start charged
 * pooled summaries 48–86 % of the CPU their thread spent (pool.test.ts, five runs), and in bench:relay's
 * pattern (2026-11-27) the worker used 220–290 ms per 10 s where its tasks were charged ~170. Only
 * with a thread clock: where `workerTaskMs` is the time elapsed, the span between tasks holds the
 * thread's waiting, and the task's own start is used.
 */
export function taskStartMs(): number {
	return ownThreadMs && previousTaskEnd !== null ? previousTaskEnd : workerTaskMs();
}

/** This thread's CPU time so far, in ms, or the process's where it cannot be told (differences only). */
export const threadCpuMs: () => number = ownThreadMs ?? (() => ms(process.cpuUsage()));
