/**
 * CPU time in milliseconds, for budgets that must count work and not waiting (issue 18: the
 * summaries' budget charged a decisions read that waited on the worker pool as if it were work,
 * and starved). The calling thread's time where Node has `process.threadCpuUsage` (23.9+);
 * on older Node the whole process's, every thread's (worker pool, GC helpers): an upper bound of
 * the thread's. (Linux's per-thread `/proc/thread-self/schedstat` is not an option: a kernel
 * built without scheduler statistics, like the VM of the 2026-11-24 benchmarks, reports zeros.)
 */

interface CpuUsage {
	user: number;
	system: number;
}

// @types/node 20 does not know threadCpuUsage (Node 23.9+).
const threadCpuUsage = (process as { threadCpuUsage?: () => CpuUsage }).threadCpuUsage;

const ms = (u: CpuUsage) => (u.user + u.system) / 1000;

/**
 * A task's own time in a worker thread, in ms (differences only): the thread's CPU where Node can
 * tell it (23.9+), else the time elapsed — on older Node a worker cannot tell its CPU from the
 * process's, and the process's would charge the event loop's work to the task. Either way
 * without the task's wait in the pool's queue.
 */
export const workerTaskMs: () => number =
	typeof threadCpuUsage === 'function'
		? () => ms(threadCpuUsage.call(process))
		: () => performance.now();

/** CPU time used so far, in ms: this thread's, or the process's on older Node (differences only). */
export const threadCpuMs: () => number =
	typeof threadCpuUsage === 'function'
		? () => ms(threadCpuUsage.call(process))
		: () => ms(process.cpuUsage());
