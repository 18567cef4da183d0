import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
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
