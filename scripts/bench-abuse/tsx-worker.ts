import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { pathToFileURL } from 'node:url';
import { kernelThreadId } from '../../server/workers/kernel-thread';
import { Worker } from 'node:worker_threads';

/**
 * A worker thread that runs a module of the benchmark (`import.meta.url`) through tsx's loader:
 * the scripts run from source, and a worker does not inherit the driver's loader.
 */
export function tsxWorker(moduleUrl: string, workerData: unknown): Worker {
	const cjs = createRequire(moduleUrl).resolve('tsx/esm/api');
	const esm = cjs.replace(/\.cjs$/, '.mjs');
	const tsx = existsSync(esm) ? pathToFileURL(esm).href : 'tsx/esm/api';
	const source = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(moduleUrl)}); });`;
	return new Worker(source, { eval: true, workerData });
}

/** Linux: a thread has its own nice value (elsewhere, or not allowed: left as it is). */
export function niceThisThread(nice: number): void {
	const tid = kernelThreadId();
	if (tid === null) return; // not Linux: the thread runs at the driver's priority
	try {
		setPriority(tid, nice);
	} catch {
		// not allowed: the thread runs at the driver's priority
	}
}
