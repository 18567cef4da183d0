/**
 * Group commit: updates queued from any number of sessions and programs are appended in ONE
 * durable `store.append` (one transaction, one fsync), and only then — in queue order — handed
 * to `durable` (which applies, broadcasts and acknowledges them). Nothing is acknowledged
 * before it is durable; a failed append hands the whole batch to `failed`. The clock decides
 * when a flush runs (next turn, or `delayMs` after the first queued update), so unit tests
 * control it.
 *
 * Commits are at least `minGapMs` apart: an update that arrives within that time of the last
 * commit waits for the gap to end, with everything else that arrives meanwhile. A lone update
 * (a school's pair typing) still commits on the next turn; under load the commits become fewer
 * and larger, and each commit's fixed cost — the transaction, its fsync (system time on the
 * benchmark VM), the bookkeeping after it — is paid once per batch. 1,000 programs × 2 phones ×
 * 1 edit/s with 5 ms: 8,406 commits of ~9.5 updates instead of 21,233 of 3.7, the relay's CPU
 * per 1,000 delivered 171.6 → 159.8 ms (docs/benchmarks.md, "Commits at least 5 ms apart").
 * Since the partner gets an update before its commit (commits.ts), the gap delays only the
 * sender's acknowledgement, and the default is 100 ms: each commit costs the VM ~1 ms of CPU
 * (its fsync is system time), so at 1,000 × 2 × 1/s 401 commits of ~200 updates cost 129.4 ms
 * per 1,000 delivered against 144.2 with 25 ms, and a program edited every 5 s 744.5 against
 * 933.2 (docs/benchmarks.md, "A commit every 100 ms, at most 500 updates").
 *
 * An update its partner sees only once it is durable (`deliveryWaits`: the first write under a
 * client id, commits.ts) shortens the gap to WAITING_COMMIT_GAP_MS: every phone's
 * first edit after opening a program claims a new client id, and with the whole gap the partner
 * saw it up to 100 ms late — in bench:relay's 300 s run, whose 2,000 phones all start editing
 * together, the first 5 s slice had p99 102–117 ms against the reference's 15. Such bursts are
 * rare, so the extra commits (at most one per 10 ms, ~1 ms of CPU each) are too.
 *
 * A commit holds at most `maxBatch` updates (one multi-row INSERT): once that many wait, they
 * commit on the next turn whatever the gap. Without the bound, a saturated loop — reading
 * thousands of sockets a turn before a timer gets its turn — grew commits to ~21,000 updates
 * that blocked it for a third of a second each (5,000 × 2 × 0.5/s).
 */
import { performance } from 'node:perf_hooks';
import type { AppendedUpdate, DocumentStore } from '../storage/document-store.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Claims } from './hooks.js';

export interface QueuedUpdate {
	programId: string;
	/** null: an empty (no-op) update, kept in the queue only to order acknowledgements. */
	update: Uint8Array | null;
	receivedAt: number;
	/** Client ids this update is the first to write under (persisted with it). */
	claims?: Claims;
	/** Someone sees this update only once it is durable: its commit waits less (see above). */
	deliveryWaits?: boolean;
}

export interface DurableItem<T> {
	item: T;
	/** The update's log sequence number; null for a no-op item. */
	seq: number | null;
}

export interface CommitQueueOptions<T extends QueuedUpdate> {
	store: Pick<DocumentStore, 'append'>;
	clock: Clock;
	/** 0: flush on the next turn; otherwise this long after the first queued update. */
	delayMs: number;
	/** The shortest time from one commit's start to the next's (ms); 0: none. */
	minGapMs?: number;
	/** The most updates in one commit (default MAX_UPDATES_PER_COMMIT); more wait for the next. */
	maxBatch?: number;
	/** The batch is durable: called once, synchronously, with the items in queue order. */
	durable(batch: DurableItem<T>[], stats: CommitStats): void;
	/** Nothing of the batch is durable (the append failed). */
	failed(batch: T[], error: Error): void;
}

export interface CommitStats {
	rows: number;
	/** The transaction's own time. */
	seconds: number;
	/**
	 * How long the batch's first (oldest) update waited for its commit to start: its sender's
	 * acknowledgement waits at least this. The gap makes it up to `minGapMs`; more tells of a
	 * loop too busy to give the commit its turn (docs/benchmarks.md, "Late timers").
	 */
	waitedSeconds: number;
}

export interface CommitQueue<T> {
	enqueue(item: T): void;
	/** Resolves once everything queued so far (and queued meanwhile) is committed or failed. */
	flush(): Promise<void>;
	readonly length: number;
}

/** One multi-row INSERT's worth (sql-document-store.ts); ~15 ms of commit on the benchmark VM. */
export const MAX_UPDATES_PER_COMMIT = 500;

/** The gap while an update whose delivery waits for its commit is queued (see above). */
export const WAITING_COMMIT_GAP_MS = 10;

export function createCommitQueue<T extends QueuedUpdate>(
	options: CommitQueueOptions<T>
): CommitQueue<T> {
	const { store, clock } = options;
	let queue: T[] = [];
	let flushing: Promise<void> | null = null;
	const minGapMs = options.minGapMs ?? 0;
	const maxBatch = options.maxBatch ?? MAX_UPDATES_PER_COMMIT;
	const waitingGapMs = Math.min(minGapMs, WAITING_COMMIT_GAP_MS);
	let lastCommitAt = -Infinity;
	/** Queued updates with `deliveryWaits`. */
	let waiting = 0;
	/** Waiting for the delay or the gap, until `timerDue` (monotonic ms). */
	let timer: TimerHandle | null = null;
	let timerDue = 0;
	/** Runs on the next turn. */
	let deferred = false;

	const run = () => {
		deferred = false;
		timer = null;
		void runFlush();
	};

	function schedule() {
		if (deferred) return;
		const now = clock.monotonic();
		const gap = waiting > 0 ? waitingGapMs : minGapMs;
		const wait = queue.length >= maxBatch ? 0 : Math.max(options.delayMs, lastCommitAt + gap - now);
		// A timer that fires no later stays (the flush delay counts from the first queued update).
		if (timer && timerDue <= now + wait) return;
		clock.clearTimeout(timer);
		timer = null;
		if (wait > 0) {
			timerDue = now + wait;
			timer = clock.setTimeout(run, wait);
		} else {
			deferred = true;
			clock.defer(run);
		}
	}

	async function runFlush(): Promise<void> {
		while (flushing) await flushing;
		if (queue.length === 0) return;
		flushing = commitBatch().finally(() => {
			flushing = null;
		});
		await flushing;
		if (queue.length > 0) schedule();
	}

	async function commitBatch(): Promise<void> {
		const batch = queue.length > maxBatch ? queue.splice(0, maxBatch) : queue;
		if (batch === queue) queue = [];
		for (const item of batch) if (item.deliveryWaits) waiting--;
		lastCommitAt = clock.monotonic();
		const waitedSeconds = Math.max(0, clock.now() - (batch[0]?.receivedAt ?? clock.now())) / 1000;
		const rows: AppendedUpdate[] = [];
		for (const item of batch) {
			if (item.update)
				rows.push({
					programId: item.programId,
					data: item.update,
					receivedAt: item.receivedAt,
					...(item.claims ? { claims: item.claims } : {})
				});
		}
		const t0 = performance.now();
		let seqs: number[];
		try {
			seqs = rows.length > 0 ? await store.append(rows) : [];
		} catch (error) {
			options.failed(batch, error instanceof Error ? error : new Error(String(error)));
			return;
		}
		const seconds = (performance.now() - t0) / 1000;
		let next = 0;
		options.durable(
			batch.map((item) => ({ item, seq: item.update ? (seqs[next++] ?? null) : null })),
			{ rows: rows.length, seconds, waitedSeconds }
		);
	}

	return {
		enqueue(item) {
			queue.push(item);
			if (item.deliveryWaits) waiting++;
			schedule();
		},
		async flush() {
			while (flushing || queue.length > 0) {
				if (flushing) await flushing;
				else await runFlush();
			}
		},
		get length() {
			return queue.length;
		}
	};
}
