// The page's side of the attach worker (attach.worker.ts): one worker, started on the first
// attach and kept; each job answered once. A crashed worker fails its jobs and is started afresh.
import type { AttachJob, AttachResult } from './attach.worker';

export class AttachClient {
	#worker: Worker | null = null;
	#jobs = new Map<number, (r: AttachResult) => void>();

	run(job: AttachJob): Promise<AttachResult> {
		this.#worker ??= this.#start();
		return new Promise((resolve) => {
			this.#jobs.set(job.jobId, resolve);
			this.#worker!.postMessage(job);
		});
	}

	terminate(): void {
		this.#worker?.terminate();
		this.#worker = null;
	}

	#start(): Worker {
		const worker = new Worker(new URL('./attach.worker.ts', import.meta.url), { type: 'module' });
		worker.onmessage = (event: MessageEvent<AttachResult>) => {
			const resolve = this.#jobs.get(event.data.jobId);
			this.#jobs.delete(event.data.jobId);
			resolve?.(event.data);
		};
		worker.onerror = (event) => {
			console.error('attach worker failed', event.message);
			for (const [jobId, resolve] of this.#jobs) resolve({ jobId, ok: false, reason: 'decode' });
			this.#jobs.clear();
			this.#worker = null;
		};
		return worker;
	}
}
