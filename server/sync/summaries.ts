/**
 * Curator-facing summaries of program documents — and the ONLY writer of `program_summaries`.
 * The relay's changes mark a program dirty; summaries are computed in the background
 * (debounced, at most `summaryMaxWaitMs` late), in time slices (SUMMARY_SLICE_MS of work, then
 * yield) written in one transaction per slice, so a burst of thousands of changed programs never
 * stalls the relay. The curator's refresher (the calendar moved, the document did not) asks
 * `refresh`, and program creation writes its first summary through `writeSummaries`: every
 * summary is computed from the newest document this instance has, and writes leave here in
 * the order they were computed.
 */
import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { transientDoc } from './transient-doc.js';
import type { Logger } from '../logger.js';
import type { DocumentStore, StoredSummary } from '../storage/document-store.js';
import type { Clock, TimerHandle } from './clock.js';
import type { RelayConfig } from './config.js';
import type { Leadership, RelayHooks } from './hooks.js';
import type { LiveRoom, Rooms } from './rooms.js';
import { isDecisionsId, LEGACY_DECISIONS, programOfDecisions } from './decisions.js';
import { importLegacyDecisions } from '../../src/lib/shared/program/index.js';
import type { Summarizer } from './summary.js';
import type { SummaryDocs } from './summary-docs.js';
import type { RoomDocument } from './room.js';
import { threadCpuMs } from './cpu-time.js';
import { DueQueue } from './due-queue.js';
import { createRelevanceTracker } from './summary-relevance.js';
import type { RelayMetrics } from './metrics.js';

/** Check for due programs this often, and work at most this long before yielding. */
const SUMMARY_TICK_MS = 250;
const SUMMARY_SLICE_MS = 10;
/*
 * The budget (issue 18, `summaryCpuPercent`): after a slice of work the next waits so long that
 * background summaries average at most that share of a core. When more programs change than it
 * pays for, each program's changes coalesce until its turn (due programs are served earliest
 * due first: due-queue.ts), so delivery never waits for summaries; the curator's figures are
 * then later than `summaryMaxWaitMs`. `flushAll` (tests, shutdown) is not budgeted.
 *
 * What is charged is work, not waiting: the CPU time of the summary's computation, which runs
 * without yielding (threadCpuMs: the event loop's thread's own CPU, on every supported Node —
 * cpu-time.ts), plus, for a document summarized in the worker pool, the task's own time there
 * (workerTaskMs), not its wait in the pool's queue.
 * Charging the wall time from one summary to the next made a summary whose decisions read waited
 * on the pool's merge (or on PostgreSQL) pay tens of milliseconds for a few of work, and the
 * summarizer starved at its 2 %; charging the CPU over that span was no better on a busy relay
 * (bench:relay pattern, 2026-11-24: 380 ms charged per summary during the clients' first sync),
 * since the span includes whatever else the process ran while the summary waited. The reads
 * before the computation (leadership, the decisions document: small, loaded or read from
 * storage) are not charged.
 */
/**
 * Documents at least this big are summarized by `compute` (the worker pool) when given; smaller
 * ones too when the kept documents leave no room for theirs (summaryOf).
 */
const INLINE_SUMMARY_BYTES = 256 * 1024;
/**
 * Documents smaller than this are decoded here even when their decoded form will not be kept (a
 * program's first summary, summary-docs.ts): the pool's round trip costs the event loop ~0.23 ms
 * (bench:summary), a decode 50–70 ns per byte (4.4–6.5 ms for the two-year program's 94 KB).
 */
const POOLED_SUMMARY_MIN_BYTES = 4 * 1024;

/** What the worker pool's summary task is given (server/workers/tasks.ts, computeSummary). */
export interface SummaryTaskInput {
	programId: string;
	/** The merged document, or its parts in order (RoomDocument.parts). */
	state: Uint8Array | Uint8Array[];
	throughSeq: number;
	now: number;
	/** The program's decisions document (server/sync/decisions.ts, computeSummary). */
	decisions: DecisionsState;
}

/** Its answer: the summary, and the task's own time in the worker (cpu-time.ts workerTaskMs). */
export interface SummaryTaskOutput {
	stored: StoredSummary;
	workMs: number;
}

/** Asks the one writer of summaries to recompute some programs' summaries now. */
export interface SummaryWriter {
	/** Recomputes and stores the summaries of these programs; resolves with how many were written. */
	refreshSummaries(programIds: string[]): Promise<number>;
}

/**
 * Stores summaries: the one place that calls the store's summary writes. Several summaries go
 * in one transaction.
 */
export async function writeSummaries(
	store: Pick<DocumentStore, 'saveSummary'> & Partial<Pick<DocumentStore, 'saveSummaries'>>,
	summaries: StoredSummary[]
): Promise<void> {
	if (summaries.length === 0) return;
	if (summaries.length === 1 || !store.saveSummaries) {
		for (const s of summaries) await store.saveSummary(s);
		return;
	}
	await store.saveSummaries(summaries);
}

/** What a summary knows of the program's decisions (computeSummary). */
export type DecisionsState = Uint8Array | typeof LEGACY_DECISIONS | null;

/**
 * The summary of a document through `throughSeq`, computed now: `state` is its merged update
 * bytes, or its parts in order (RoomDocument.parts, no merge needed).
 */
export function computeSummary(
	programId: string,
	state: Uint8Array | Uint8Array[],
	throughSeq: number,
	summarize: Summarizer,
	now: number,
	/**
	 * The program's decisions document (server/sync/decisions.ts); LEGACY_DECISIONS: none started
	 * yet, its legacy fields are imported from the program here; null: none known.
	 */
	decisionsState: DecisionsState = null
): StoredSummary {
	const doc = transientDoc();
	try {
		const parts = Array.isArray(state) ? state : [state];
		// One transaction: the parts are integrated once, as if merged.
		doc.transact(() => {
			for (const part of parts) Y.applyUpdate(doc, part);
		});
		return {
			programId,
			summary: summarizeDecoded(doc, summarize, now, decisionsState),
			docBytes: parts.reduce((n, p) => n + p.length, 0),
			throughSeq,
			computedAt: now
		};
	} finally {
		doc.destroy();
	}
}

/**
 * The summary of a decoded program document with its decisions (see computeSummary). Only
 * reads `doc` (summary-docs.ts keeps it for the next summary).
 */
export function summarizeDecoded(
	doc: Y.Doc,
	summarize: Summarizer,
	now: number,
	decisionsState: DecisionsState,
	/** `doc` is kept for the next summary (Summarizer's `kept`). */
	kept = false
): unknown {
	const decisions = decisionsState ? transientDoc() : null;
	try {
		if (decisions && decisionsState === LEGACY_DECISIONS) {
			importLegacyDecisions(doc, decisions, new Date(now).toISOString());
		} else if (decisions && decisionsState instanceof Uint8Array) {
			Y.applyUpdate(decisions, decisionsState);
		}
		return summarize(doc, new Date(now), decisions, kept);
	} finally {
		decisions?.destroy();
	}
}

/**
 * What a summary depends on besides the document (summary-docs.ts reuses the previous one when
 * these and what it read are unchanged): the summarizer, the day (when the summarizer depends on
 * `now` through a day only; else no reuse) and the decisions.
 */
function summaryKey(
	doc: Y.Doc,
	summarize: Summarizer,
	now: number,
	decisionsState: DecisionsState
): readonly unknown[] | null {
	if (!summarize.dayOf) return null;
	try {
		return [summarize, summarize.dayOf(doc, new Date(now)), decisionsState];
	} catch {
		return null; // a bad `now`: computed, never reused
	}
}

/**
 * The summary of a room's document on its kept decoded form (summary-docs.ts): brought up to
 * date with the updates since the last summary, or the last summary itself when nothing it read
 * changed (same day, same decisions).
 */
export function summarizeKept(
	docs: SummaryDocs,
	id: string,
	source: RoomDocument,
	summarize: Summarizer,
	now: number,
	decisionsState: DecisionsState
): unknown {
	return docs.read(
		id,
		source,
		(doc) => summarizeDecoded(doc, summarize, now, decisionsState, true),
		(doc) => summaryKey(doc, summarize, now, decisionsState)
	);
}

export interface Summaries extends SummaryWriter {
	readonly hooks: RelayHooks;
	/** A loaded program changed: recompute its summary soon. */
	markDirty(room: LiveRoom): void;
	/** Computes every pending summary now (tests, shutdown). */
	flushAll(): Promise<void>;
	/** Stops scheduling; pending summaries stay for `flushAll`. */
	stop(): void;
}

export interface SummariesOptions {
	store: Pick<DocumentStore, 'saveSummaries' | 'saveSummary' | 'getSummary' | 'staleSummaries'>;
	rooms: Pick<Rooms, 'withRoom'>;
	summarize: Summarizer;
	lead: Leadership;
	clock: Clock;
	config: Pick<RelayConfig, 'summaryDebounceMs' | 'summaryMaxWaitMs' | 'summaryCpuPercent'>;
	log: Logger;
	isClosing(): boolean;
	/** The decisions document of a program (its verdicts count in the summary). */
	decisionsOf?(programId: string): Promise<Exclude<DecisionsState, null>>;
	/** Brings a room up to the stored document (several instances); absent: a single instance. */
	catchUp?(room: LiveRoom): Promise<void>;
	/**
	 * Summarizes a document off the event loop (the worker pool, with `summarize`'s logic): a big
	 * one, or one whose decoded form would not be kept (`docs.wouldKeep`).
	 */
	compute?(input: SummaryTaskInput): Promise<SummaryTaskOutput>;
	/**
	 * Decoded documents kept from one summary to the next (summary-docs.ts): a summary applies
	 * only what changed since. Absent: every summary decodes the whole program.
	 */
	docs?: SummaryDocs;
	random?: () => number;
	/** Summaries written, the CPU charged to their budget, programs waiting for theirs. */
	metrics?: Pick<RelayMetrics, 'summaries' | 'summaryCpuSeconds' | 'countSummariesDue'>;
}

/** The waits before a failed summary write is tried again (then it is logged and dropped). */
const SUMMARY_WRITE_RETRY_MS = [250, 1_000, 4_000];

export function createSummaries(options: SummariesOptions): Summaries {
	const { store, clock, config, log } = options;
	const random = options.random ?? Math.random;
	/** Loaded room → when its summary is due. */
	const due = new DueQueue<LiveRoom>();
	/** Per room: since when it has changes not in a summary, and its max-wait jitter. */
	const dirtySince = new Map<LiveRoom, number>();
	const jitter = new Map<LiveRoom, number>();
	let timer: TimerHandle | null = null;
	let running: Promise<void> | null = null;
	let stopped = false;
	/** Writes leave in the order their summaries were computed. */
	let writes: Promise<void> = Promise.resolve();
	options.metrics?.countSummariesDue(() => due.size);
	/** Which commits can change a summary (summary-relevance.ts), when the summarizer tells. */
	const roots = options.summarize.roots;
	const relevance = roots ? createRelevanceTracker(roots) : null;
	/** Loaded programs with no summary stored yet: their first is written whatever changed. */
	const unsummarized = new Set<string>();

	function write(batch: StoredSummary[]): Promise<void> {
		if (batch.length === 0) return writes;
		writes = writes.then(() => writeTrying(batch));
		return writes;
	}

	/**
	 * A failed write is tried again after SUMMARY_WRITE_RETRY_MS: PostgreSQL aborts one of two
	 * transactions that wait on each other's rows (deadlock, 40P01), and a summary dropped then
	 * left the dashboard's row as it was until the program's next edit. A write replaces only an
	 * older summary (sql-document-store.ts), so writing it again is safe.
	 */
	async function writeTrying(batch: StoredSummary[]): Promise<void> {
		for (let attempt = 0; ; attempt++) {
			try {
				await writeSummaries(store, batch);
				for (const written of batch) unsummarized.delete(written.programId);
				options.metrics?.summaries.inc(batch.length);
				return;
			} catch (error) {
				const wait = SUMMARY_WRITE_RETRY_MS[attempt];
				if (wait === undefined || stopped) {
					log.error({ err: error, count: batch.length }, 'saving summaries failed');
					return;
				}
				log.warn(
					{ err: error, count: batch.length, attempt: attempt + 1 },
					'saving summaries failed; trying again'
				);
				await new Promise<void>((resolve) => clock.setTimeout(resolve, wait));
			}
		}
	}

	function markDirty(room: LiveRoom) {
		const t = clock.now();
		const since = dirtySince.get(room) ?? t;
		dirtySince.set(room, since);
		// Jitter on the max wait keeps programs that started changing together from all coming due at once.
		let j = jitter.get(room);
		if (j === undefined) {
			j = (random() - 0.5) * 0.5 * config.summaryMaxWaitMs;
			jitter.set(room, j);
		}
		due.set(room, Math.min(t + config.summaryDebounceMs, since + config.summaryMaxWaitMs + j));
		arm();
	}

	function arm() {
		if (timer || running || stopped || options.isClosing() || due.size === 0) return;
		timer = clock.setTimeout(
			() => {
				timer = null;
				running = run(false).finally(() => {
					running = null;
					arm();
				});
			},
			Math.min(SUMMARY_TICK_MS, config.summaryDebounceMs)
		);
	}

	/** The decisions document's bytes for a program's summary (null when unavailable). */
	async function decisionsFor(room: LiveRoom): Promise<DecisionsState> {
		if (!options.decisionsOf) return null;
		try {
			return await options.decisionsOf(room.id);
		} catch (error) {
			log.error({ err: error, programId: room.id }, 'reading decisions for the summary failed');
			return null;
		}
	}

	/**
	 * The summary of a loaded room now, or null on failure. In the worker pool when there is one
	 * (`compute`): a big document, and one of POOLED_SUMMARY_MIN_BYTES or more whose decoded form
	 * would not be kept (no room among the kept documents, or the program's first summary:
	 * summary-docs.ts) — decoding it on the event loop only to drop it cost the loop ~4 ms of CPU
	 * for a two-year program, the pool's round trip ~0.15 ms (bench:summary, docs/benchmarks.md).
	 * The others are decoded here, or read on their kept form.
	 */
	async function summaryOf(
		room: LiveRoom,
		decisions: DecisionsState,
		/** Told the work of this summary, ms (the budget charges it). */
		charge: (ms: number) => void = () => {}
	): Promise<StoredSummary | null> {
		if (!room.isLoaded) return null;
		dirtySince.delete(room);
		try {
			const t = clock.now();
			const big = room.doc.bytes >= INLINE_SUMMARY_BYTES;
			const droppedAfter = () =>
				room.doc.bytes >= POOLED_SUMMARY_MIN_BYTES &&
				options.docs?.wouldKeep(room.id, room.doc) === false;
			if (options.compute && (big || droppedAfter())) {
				const pooled = await inPool(options.compute, room, decisions, t, big, charge);
				if (pooled) {
					options.docs?.summarizedElsewhere(room.id);
					return pooled;
				}
			}
			const cpu = threadCpuMs();
			try {
				if (options.docs) {
					const doc = room.doc;
					return {
						programId: room.id,
						summary: summarizeKept(options.docs, room.id, doc, options.summarize, t, decisions),
						docBytes: doc.bytes,
						throughSeq: doc.lastSeq,
						computedAt: t
					};
				}
				// The parts as they are: merging them first cost as much again as the summary (issue 18).
				const parts = room.doc.parts();
				return computeSummary(room.id, parts, room.doc.lastSeq, options.summarize, t, decisions);
			} finally {
				charge(threadCpuMs() - cpu);
			}
		} catch (error) {
			log.error({ err: error, programId: room.id }, 'summary failed');
			return null;
		}
	}

	/**
	 * A room's summary computed by the worker pool. A big document is merged first (off the loop
	 * too, RoomDocument.mergedAsync); a small one goes as its parts (no merge on the loop). The
	 * budget is charged the task's own time in the worker, not its wait in the pool's queue: the
	 * wait is other work's (a busy pool starved the summaries when the wait was charged). Null when
	 * the pool failed on a small document (the caller computes it here); a big one's failure throws.
	 */
	async function inPool(
		compute: NonNullable<SummariesOptions['compute']>,
		room: LiveRoom,
		decisions: DecisionsState,
		now: number,
		big: boolean,
		charge: (ms: number) => void
	): Promise<StoredSummary | null> {
		const state = big ? await room.doc.mergedAsync() : room.doc.parts();
		const throughSeq = room.doc.lastSeq;
		const started = performance.now();
		let output: SummaryTaskOutput;
		try {
			output = await compute({ programId: room.id, state, throughSeq, now, decisions });
		} catch (error) {
			// Its work is unknown: the time it took, an upper bound.
			charge(performance.now() - started);
			if (big) throw error;
			log.warn({ err: error, programId: room.id }, 'summary in the worker pool failed');
			return null;
		}
		charge(output.workMs);
		return output.stored;
	}

	/** Ends the current budget rest early (flushAll, stop). */
	let wake: (() => void) | null = null;
	const rest = (ms: number) =>
		new Promise<void>((resolve) => {
			const t = clock.setTimeout(() => {
				wake = null;
				resolve();
			}, Math.round(ms));
			wake = () => {
				clock.clearTimeout(t);
				wake = null;
				resolve();
			};
		});

	async function run(all: boolean): Promise<void> {
		let batch: StoredSummary[] = [];
		/** Work charged since the last rest, ms (CPU, not waits: see the budget above). */
		let worked = 0;
		const charge = (ms: number) => {
			worked += ms;
			options.metrics?.summaryCpuSeconds.inc(ms / 1000);
		};
		let room: LiveRoom | undefined;
		while ((room = due.pop(all ? Infinity : clock.now()))) {
			// The program's leader writes its summary (it receives every instance's updates).
			if (!(await options.lead('summary', room.id))) continue;
			const s = await summaryOf(room, await decisionsFor(room), charge);
			if (s) batch.push(s);
			if (worked > SUMMARY_SLICE_MS) {
				await write(batch);
				batch = [];
				if (all || stopped) await clock.yield();
				else await rest(worked * (100 / Math.min(100, Math.max(1, config.summaryCpuPercent)) - 1));
				worked = 0;
			}
		}
		await write(batch);
	}

	/** Computes and stores a room's pending summary now (before unloading it). */
	async function flushRoom(room: LiveRoom) {
		if (!due.has(room)) return;
		const decisions = await decisionsFor(room);
		if (!due.delete(room)) return;
		const s = await summaryOf(room, decisions);
		if (s) await write([s]);
	}

	// Summaries left behind by a crash (commit done, debounced summary not yet computed) or
	// computed by older rules (another SUMMARY_VERSION) are recomputed once at start-up, for
	// programs nobody reopens soon.
	const staleSweep = clock.setTimeout(() => {
		void (async () => {
			// A decisions document has no summary of its own (its program's counts it).
			const stale = ((await store.staleSummaries?.()) ?? []).filter((id) => !isDecisionsId(id));
			if (stale.length) log.info({ programs: stale.length }, 'recomputing summaries left behind');
			for (const id of stale) {
				if (options.isClosing()) return;
				await options.rooms.withRoom(id, (room) => refreshOne(room));
			}
		})().catch((error: unknown) => log.error({ err: error }, 'stale summary sweep failed'));
	}, config.summaryDebounceMs);

	async function refreshOne(room: LiveRoom): Promise<boolean> {
		const stored = await store.getSummary(room.id);
		const behind = () => stored !== null && stored.throughSeq > room.doc.lastSeq;
		// Another instance stored later updates than this room holds: catch up first, and never
		// replace a summary with one computed from an older document.
		if (behind() && options.catchUp) await options.catchUp(room);
		if (behind()) return false;
		const decisions = await decisionsFor(room);
		due.delete(room);
		const s = await summaryOf(room, decisions);
		if (!s) return false;
		await write([s]);
		return true;
	}

	return {
		markDirty,
		flushAll: async () => {
			wake?.();
			if (running) await running;
			await run(true);
			await writes;
		},
		async refreshSummaries(programIds) {
			let n = 0;
			for (const id of programIds) {
				try {
					if (await options.rooms.withRoom(id, refreshOne)) n++;
				} catch (error) {
					log.warn({ err: error, programId: id }, 'summary refresh failed');
				}
			}
			return n;
		},
		stop() {
			stopped = true;
			wake?.();
			clock.clearTimeout(staleSweep);
			clock.clearTimeout(timer);
			timer = null;
		},
		hooks: {
			async loaded(room) {
				// A decisions document has no summary of its own: its program's counts it.
				if (isDecisionsId(room.id)) return;
				// Before any commit (summary-relevance.ts).
				relevance?.loaded(room);
				// A crash between a commit and its debounced summary leaves the stored summary behind
				// the log; nothing else would recompute it (found by the crash campaign, seed 2001).
				const stored = await store.getSummary(room.id);
				if (!stored) unsummarized.add(room.id);
				const lastSeq = room.doc.lastSeq;
				if (lastSeq > 0 && (stored?.throughSeq ?? 0) < lastSeq) markDirty(room);
			},
			committed(room, commits) {
				if (!commits.some((c) => c.update !== null)) return;
				if (!isDecisionsId(room.id)) {
					// A message, a file, a type of another app: the summary stays as it is.
					const may = relevance?.mayChange(room, commits) !== false;
					if (may || unsummarized.has(room.id)) markDirty(room);
					return;
				}
				// A decision changes its program's summary (loading the program if needed).
				void options.rooms
					.withRoom(programOfDecisions(room.id), async (program) => markDirty(program))
					.catch((error: unknown) =>
						log.error({ err: error, programId: room.id }, 'marking the program dirty failed')
					);
			},
			unloading: flushRoom,
			unloaded(room) {
				options.docs?.drop(room.id);
				unsummarized.delete(room.id);
				due.delete(room);
				dirtySince.delete(room);
				jitter.delete(room);
			}
		}
	};
}
