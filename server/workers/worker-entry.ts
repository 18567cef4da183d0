/**
 * The worker side of the pool (server/workers/pool.ts): one task at a time, its result or its
 * error posted back. An error keeps its name and, when it has one, its Russian message (a
 * refused spreadsheet tells the user why). Bundled as build/server/worker.js.
 */
import { kernelThreadId } from './kernel-thread.js';
import { getPriority, setPriority } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { TASKS, type TaskName } from './tasks.js';
import { markTaskEnd } from '../sync/cpu-time.js';

const port = parentPort;
if (!port) throw new Error('server/workers/worker-entry.ts runs only as a worker thread');

/**
 * Heavy work yields the CPU to the event loop that answers everyone (issue 14: on a 2-core
 * machine two busy workers left the loop a third of a core). On Linux a thread has its own nice
 * value (kernel-thread.ts). Elsewhere nothing changes.
 */
function lowerOwnPriority(by: number): void {
	if (!(by > 0)) return;
	const tid = kernelThreadId();
	if (tid === null) return; // not Linux: the worker runs at the process's priority
	try {
		setPriority(tid, Math.min(19, getPriority(tid) + by));
	} catch {
		// not allowed: the worker runs at the process's priority
	}
}
lowerOwnPriority(Number((workerData as { nice?: number } | null)?.nice ?? 0));

/** The worker's heap after a task (MiB), so the pool can recycle a worker a big task left fat. */
const heapMb = () => getHeapStatistics().total_heap_size / 1048576;

port.on('message', (m: { task: TaskName; input: unknown }) => {
	void (async () => {
		try {
			const run = TASKS[m.task] as ((input: unknown) => unknown) | undefined;
			if (!run) throw new Error(`unknown task ${String(m.task)}`);
			const output = await ranToEnd(run, m.input);
			port.postMessage({ ok: true, output, heapMb: heapMb() });
		} catch (error) {
			const e = error as { name?: string; message?: string; messageRu?: unknown };
			port.postMessage({
				ok: false,
				name: e.name ?? 'Error',
				message: e.message ?? String(error),
				messageRu: typeof e.messageRu === 'string' ? e.messageRu : null,
				heapMb: heapMb()
			});
		}
	})();
});

/**
 * Runs a task and marks its end (cpu-time.ts, markTaskEnd): what the thread does from here to the
 * next task's end — posting this answer, reading the next message, collecting what this task left
 * — is charged to the next task.
 */
async function ranToEnd(run: (input: unknown) => unknown, input: unknown): Promise<unknown> {
	try {
		return await run(input);
	} finally {
		markTaskEnd();
	}
}

// Tasks loaded: the pool starts a task's clock only from here on.
port.postMessage({ ready: true, heapMb: heapMb() });
markTaskEnd();
