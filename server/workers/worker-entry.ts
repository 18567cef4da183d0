/**
 * The worker side of the pool (server/workers/pool.ts): one task at a time, its result or its
 * error posted back. An error keeps its name and, when it has one, its Russian message (a
 * refused spreadsheet tells the user why). Bundled as build/server/worker.js.
 */
import { parentPort } from 'node:worker_threads';
import { TASKS, type TaskName } from './tasks.js';

const port = parentPort;
if (!port) throw new Error('server/workers/worker-entry.ts runs only as a worker thread');

port.on('message', (m: { task: TaskName; input: unknown }) => {
	void (async () => {
		try {
			const run = TASKS[m.task] as ((input: unknown) => unknown) | undefined;
			if (!run) throw new Error(`unknown task ${String(m.task)}`);
			port.postMessage({ ok: true, output: await run(m.input) });
		} catch (error) {
			const e = error as { name?: string; message?: string; messageRu?: unknown };
			port.postMessage({
				ok: false,
				name: e.name ?? 'Error',
				message: e.message ?? String(error),
				messageRu: typeof e.messageRu === 'string' ? e.messageRu : null
			});
		}
	})();
});

// Tasks loaded: the pool starts a task's clock only from here on.
port.postMessage({ ready: true });
