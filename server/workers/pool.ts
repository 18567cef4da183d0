/**
 * A pool of worker threads for the heavy work of one request (docs/architecture.md, "Heavy work
 * off the event loop"): merging and verifying big documents for compaction, the curator's
 * program view and every DOCX/PDF/XLSX export, the parsing of imported spreadsheets. Each task
 * is "bytes in, result out" (server/workers/tasks.ts) and runs with a time limit
 * (WORKER_TASK_TIMEOUT_MS) and a heap limit (WORKER_MAX_MEMORY_MB, worker `resourceLimits`): a
 * task past its time has its worker terminated, one past its memory dies with its worker, and
 * either way only its requester gets the error (WorkerTaskError: English for the log, Russian
 * for the user) — the event loop that answers everyone else never runs it.
 *
 * Two kinds of work share the pool: the relay's (RELAY_TASKS: merges a reconnecting phone waits
 * on, compactions, summaries) and the requests' (exports, the program view, imports). The relay's
 * go first, and with two threads or more the requests' never take the last free worker: under
 * bench:abuse's xlsx-import the victims' reconnect merges had queued behind the attacker's
 * spreadsheets (honest p99 7.0 → 35.2 ms with the server's event loop idle).
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IdentityError } from '../identity/errors.js';
import type { Logger } from '../logger.js';
import { trimAfterThreadExit } from '../memory/allocator.js';
import { RELAY_TASKS, type TaskInput, type TaskName, type TaskOutput } from './tasks.js';

export interface WorkerPoolOptions {
	/** Worker threads (WORKER_THREADS); tasks beyond wait in order. */
	threads: number;
	/** A task running longer is stopped: its worker is terminated (WORKER_TASK_TIMEOUT_MS). */
	taskTimeoutMs: number;
	/** Heap limit of each worker (WORKER_MAX_MEMORY_MB, `resourceLimits.maxOldGenerationSizeMb`). */
	maxMemoryMb: number;
	logger: Logger;
	/**
	 * A worker idle this long is ended (its heap goes back to the system; the next task starts a
	 * fresh one). Default 5 s.
	 */
	idleMs?: number;
	/**
	 * A worker whose heap grew by more than this over its heap when it started (MiB) is ended
	 * after its task: a 20 MiB program's export must not leave hundreds of MiB resident.
	 * Default 64.
	 */
	recycleHeapMb?: number;
	/** How much nicer the worker threads run on Linux (they yield to the event loop; WORKER_NICE). Default 10. */
	nice?: number;
}

const DEFAULT_IDLE_MS = 5_000;
const DEFAULT_RECYCLE_HEAP_MB = 64;
const DEFAULT_NICE = 10;

export type WorkerFailure = 'timeout' | 'memory' | 'crashed' | 'failed' | 'closed';

const RU: Record<WorkerFailure, string> = {
	timeout:
		'Запрос выполнялся слишком долго и был остановлен. Попробуйте ещё раз позже или обратитесь к администратору.',
	memory:
		'Для этого запроса не хватило памяти сервера: документ или файл слишком велик. Обратитесь к администратору.',
	crashed: 'Запрос не удалось выполнить из-за внутренней ошибки. Попробуйте ещё раз.',
	failed: 'Запрос не удалось выполнить из-за внутренней ошибки. Попробуйте ещё раз.',
	closed: 'Сервер перезапускается. Повторите запрос через минуту.'
};

/**
 * A task that did not give its result. `messageRu` is for the user (the task's own Russian
 * message when it threw one, e.g. a refused spreadsheet: HTTP 400; otherwise 503), `message`
 * for the log. An IdentityError, so the API boundary answers it like any other refusal.
 */
export class WorkerTaskError extends IdentityError {
	constructor(
		readonly failure: WorkerFailure,
		readonly task: string,
		detail: string,
		/** The name of the error the task threw ('failed'), e.g. 'SpreadsheetRefused'. */
		readonly causeName: string | null = null,
		ownMessageRu: string | null = null
	) {
		super(
			ownMessageRu ? 400 : 503,
			ownMessageRu ? 'invalid_request' : `task_${failure}`,
			ownMessageRu ?? RU[failure]
		);
		this.name = 'WorkerTaskError';
		this.message = `worker task ${task} ${failure}: ${detail}`;
	}
}

interface Job {
	task: TaskName;
	input: unknown;
	resolve(v: unknown): void;
	reject(e: Error): void;
}

interface Slot {
	worker: Worker;
	/** The worker has loaded its tasks (boot time never counts against a task's limit). */
	ready: boolean;
	/** Resolves once the worker is ready or has exited. */
	started: Promise<void>;
	job: Job | null;
	timer: NodeJS.Timeout | null;
	/** Set when the pool ended this worker on purpose (timeout, close). */
	ended: WorkerFailure | null;
	/** Ends the worker once it has been idle for `idleMs`. */
	idle: NodeJS.Timeout | null;
	/** Its heap once its tasks were loaded (MiB): recycling counts the growth over it. */
	baseHeapMb: number;
}

type Reply = { heapMb?: number } & (
	| { ok: true; output: unknown }
	| { ok: false; name: string; message: string; messageRu: string | null }
);

/**
 * How to start a worker. Bundled (build/server/*.js): the worker bundle next to it. From source
 * (tsx, vitest): the TypeScript entry through tsx's loader, registered inside the worker.
 */
function workerSource(): { source: string | URL; eval: boolean } {
	const here = import.meta.url;
	if (here.endsWith('.js')) return { source: new URL('./worker.js', here), eval: false };
	return { source: importThroughTsx(new URL('./worker-entry.ts', here).href), eval: true };
}

/**
 * A worker's source (eval) that registers tsx's loader and imports a TypeScript module, a promise
 * of the module (from source only: tsx, vitest).
 */
export function importThroughTsx(moduleHref: string): string {
	// require.resolve finds tsx's CommonJS build; its ES module build sits next to it.
	const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
	const esm = cjs.replace(/\.cjs$/, '.mjs');
	const tsx = existsSync(esm) ? pathToFileURL(esm).href : 'tsx/esm/api';
	return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(moduleHref)}); })`;
}

/**
 * How long a task waits for a busy worker before the pool starts another (issue 18). Starting a
 * thread costs ~200 ms of CPU (Node's bootstrap of a thread ~80, yjs ~60, the tasks' module), and
 * takes as long before the task can run; the relay's tasks that overlap — a tail merge arriving
 * while a summary (~15 ms) runs — are done sooner by the busy worker. In bench:relay's pattern a
 * second worker was started for such a merge and ended idle 5 s later, three times a minute:
 * ~10 % of the relay's CPU (perf, docs/benchmarks.md).
 */
const SPAWN_AFTER_WAIT_MS = 100;

/** How long closing waits for a starting worker to finish loading before it ends it anyway. */
const STARTING_WORKER_WAIT_MS = 5_000;

export class WorkerPool {
	private readonly slots = new Set<Slot>();
	private readonly queue: Job[] = [];
	private closed = false;
	private readonly log: Logger;
	private readonly started = workerSource();
	/** Starts another worker for a task still waiting SPAWN_AFTER_WAIT_MS from now (spawnSoon). */
	private spawnTimer: NodeJS.Timeout | null = null;

	constructor(private readonly options: WorkerPoolOptions) {
		this.log = options.logger.child({ component: 'workers' });
	}

	/** Runs a task in a worker; resolves with its result or rejects with a WorkerTaskError. */
	run<K extends TaskName>(task: K, input: TaskInput<K>): Promise<TaskOutput<K>> {
		if (this.closed)
			return Promise.reject(new WorkerTaskError('closed', task, 'the pool is closed'));
		return new Promise<TaskOutput<K>>((resolve, reject) => {
			this.queue.push({ task, input, resolve: resolve as (v: unknown) => void, reject });
			this.dispatch();
		});
	}

	/**
	 * Busy and queued tasks, live workers, how many were recycled and how many finished starting
	 * (diagnostics, tests).
	 */
	get load(): {
		busy: number;
		queued: number;
		workers: number;
		recycled: number;
		started: number;
	} {
		let busy = 0;
		for (const s of this.slots) if (s.job) busy++;
		return {
			busy,
			queued: this.queue.length,
			workers: this.alive(),
			recycled: this.recycledCount,
			started: this.startedCount
		};
	}

	private recycledCount = 0;
	private startedCount = 0;

	/** Ends a worker that holds no task (idle, or fat after one); the next task gets a fresh one. */
	private recycle(slot: Slot, why: string): void {
		if (slot.job || slot.ended) return;
		if (slot.idle) clearTimeout(slot.idle);
		slot.idle = null;
		slot.ended = 'closed';
		this.recycledCount++;
		this.log.debug({ why }, 'worker recycled');
		void slot.worker.terminate();
	}

	private idleTimer(slot: Slot): void {
		if (slot.idle) clearTimeout(slot.idle);
		slot.idle = setTimeout(
			() => this.recycle(slot, 'idle'),
			this.options.idleMs ?? DEFAULT_IDLE_MS
		);
		slot.idle.unref();
	}

	/** The queued job to start next: the relay's first; a request's only if it leaves a worker. */
	private nextJob(): number {
		const relay = this.queue.findIndex((j) => RELAY_TASKS.has(j.task));
		if (relay >= 0) return relay;
		if (this.queue.length === 0) return -1;
		let requests = 0;
		for (const s of this.slots) if (s.job && !RELAY_TASKS.has(s.job.task)) requests++;
		return this.options.threads > 1 && requests >= this.options.threads - 1 ? -1 : 0;
	}

	private dispatch(): void {
		for (;;) {
			const next = this.nextJob();
			if (next < 0) return; // a request waits for a request's worker to free up
			const slot = this.freeSlot();
			if (!slot) {
				if (this.slots.size < this.options.threads) this.spawnSoon();
				return; // a worker takes the next job when it is ready or free
			}
			const [job] = this.queue.splice(next, 1) as [Job];
			this.start(slot, job);
		}
	}

	/** Workers not being ended (starting, busy or free). */
	private alive(): number {
		let n = 0;
		for (const s of this.slots) if (!s.ended) n++;
		return n;
	}

	private freeSlot(): Slot | undefined {
		return [...this.slots].find((s) => s.ready && !s.job && !s.ended);
	}

	/** A worker now when none is alive; else one only if a task is still waiting in a moment. */
	private spawnSoon(): void {
		if (this.alive() === 0) {
			this.spawn();
			return;
		}
		this.spawnTimer ??= setTimeout(() => {
			this.spawnTimer = null;
			if (this.closed || this.slots.size >= this.options.threads) return;
			if (this.nextJob() >= 0 && !this.freeSlot()) this.spawn();
		}, SPAWN_AFTER_WAIT_MS);
	}

	private spawn(): Slot {
		const worker = new Worker(this.started.source, {
			eval: this.started.eval,
			workerData: { nice: this.options.nice ?? DEFAULT_NICE },
			resourceLimits: {
				maxOldGenerationSizeMb: this.options.maxMemoryMb,
				// The young generation counts against the same budget; a quarter is plenty.
				maxYoungGenerationSizeMb: Math.max(4, Math.round(this.options.maxMemoryMb / 8))
			},
			stdout: false,
			stderr: false
		});
		let markStarted = () => {};
		const started = new Promise<void>((resolve) => (markStarted = resolve));
		const slot: Slot = {
			worker,
			ready: false,
			started,
			job: null,
			timer: null,
			ended: null,
			idle: null,
			baseHeapMb: 0
		};
		this.slots.add(slot);
		worker.on('message', (reply: Reply | { ready: true; heapMb?: number }) => {
			if ('ready' in reply) {
				slot.ready = true;
				markStarted();
				this.startedCount++;
				slot.baseHeapMb = reply.heapMb ?? 0;
				this.idleTimer(slot);
				this.dispatch();
			} else {
				// A worker a big task left fat is not handed the next one: it is ended, and the
				// next task gets a fresh worker.
				const fat =
					(reply.heapMb ?? 0) - slot.baseHeapMb >
					(this.options.recycleHeapMb ?? DEFAULT_RECYCLE_HEAP_MB);
				if (fat) slot.ended = 'closed';
				this.finish(slot, reply);
				if (fat) {
					this.recycledCount++;
					this.log.debug({ heapMb: Math.round(reply.heapMb ?? 0) }, 'worker recycled after a task');
					void slot.worker.terminate();
				}
			}
		});
		worker.on('error', (error: Error & { code?: string }) => {
			const failure: WorkerFailure =
				error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crashed';
			this.fail(slot, failure, error.message);
		});
		worker.on('exit', (code) => {
			markStarted();
			if (slot.idle) clearTimeout(slot.idle);
			slot.idle = null;
			this.fail(slot, slot.ended ?? 'crashed', `worker exited with code ${code}`);
			this.slots.delete(slot);
			trimAfterThreadExit();
			if (!slot.ready && !this.closed) {
				// It died while starting: the next job's requester hears of it (no retry loop).
				const job = this.queue.shift();
				if (job) {
					this.log.error({ code }, 'a worker thread failed to start');
					job.reject(new WorkerTaskError('crashed', job.task, `worker failed to start (${code})`));
				}
			}
			this.dispatch();
		});
		// A worker waiting for work must not keep the process alive.
		worker.unref();
		return slot;
	}

	private start(slot: Slot, job: Job): void {
		slot.job = job;
		if (slot.idle) clearTimeout(slot.idle);
		slot.idle = null;
		slot.worker.ref();
		slot.timer = setTimeout(() => {
			slot.ended = 'timeout';
			this.fail(slot, 'timeout', `no result after ${this.options.taskTimeoutMs} ms`);
			void slot.worker.terminate();
		}, this.options.taskTimeoutMs);
		slot.worker.postMessage({ task: job.task, input: job.input });
	}

	private settle(slot: Slot): Job | null {
		const job = slot.job;
		slot.job = null;
		if (slot.timer) clearTimeout(slot.timer);
		slot.timer = null;
		slot.worker.unref();
		if (job && !slot.ended) this.idleTimer(slot);
		return job;
	}

	private finish(slot: Slot, reply: Reply): void {
		const job = this.settle(slot);
		if (!job) return;
		if (reply.ok) job.resolve(reply.output);
		else {
			const error = new WorkerTaskError(
				'failed',
				job.task,
				`${reply.name}: ${reply.message}`,
				reply.name,
				reply.messageRu
			);
			// A task's own refusal (it carries a Russian message) is the requester's business.
			if (reply.messageRu === null)
				this.log.warn({ task: job.task, err: error.message }, 'worker task failed');
			job.reject(error);
		}
		this.dispatch();
	}

	private fail(slot: Slot, failure: WorkerFailure, detail: string): void {
		const job = this.settle(slot);
		if (!job) return;
		const error = new WorkerTaskError(failure, job.task, detail);
		if (failure !== 'closed')
			this.log.warn(
				{ task: job.task, failure, detail },
				failure === 'timeout'
					? 'worker task timed out; its worker was terminated'
					: failure === 'memory'
						? 'worker task exceeded its memory limit; its worker died'
						: 'worker task lost its worker'
			);
		job.reject(error);
		// The worker is gone or going: make sure it is not handed another task.
		slot.ended ??= failure;
	}

	/**
	 * Stops every worker; running and queued tasks are rejected ('closed'). A worker still starting
	 * is first let finish loading its modules (at most STARTING_WORKER_WAIT_MS): Node 24 aborts
	 * the whole process when a thread is terminated while its module loader parses a CommonJS
	 * dependency (`FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal` in `cjs_lexer::Parse`; 1 in
	 * ~600 terminations at random moments of the start, reproduced with the bundled worker). A
	 * server stopped right after it started — its start-up check's worker still loading — exited
	 * with SIGABRT instead of 0 in one CI run.
	 */
	async close(): Promise<void> {
		this.closed = true;
		if (this.spawnTimer) clearTimeout(this.spawnTimer);
		this.spawnTimer = null;
		for (const job of this.queue.splice(0))
			job.reject(new WorkerTaskError('closed', job.task, 'the pool is closed'));
		await Promise.all(
			[...this.slots].map(async (s) => {
				s.ended = 'closed';
				if (!s.ready) {
					// A timer that keeps the process alive meanwhile (the worker is unref'd, and
					// nothing else may be left to do), cleared once the worker has started.
					const wait = new AbortController();
					await Promise.race([
						s.started,
						sleep(STARTING_WORKER_WAIT_MS, undefined, { signal: wait.signal }).catch(() => {})
					]);
					wait.abort();
				}
				return s.worker.terminate();
			})
		);
	}
}
