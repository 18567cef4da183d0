/**
 * The loaded programs (Hocuspocus's "documents"): each a byte-level RoomDocument plus its
 * sessions and housekeeping — loading from storage, holding it while in use, unloading it
 * `idleUnloadMs` after the last session left (summary first, then compaction), and compacting
 * its log when it grows.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../logger.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { Clock, TimerHandle } from './clock.js';
import type { RelayConfig } from './config.js';
import type { Leadership, RelayHooks } from './hooks.js';
import type { RelayMetrics } from './metrics.js';
import { RoomDocument, type BackgroundMerge, type RoomProblems } from './room.js';
import type { Session } from './session.js';

export interface LiveRoom {
	readonly id: string;
	/** The document; replaced once loading is done (empty until then). */
	doc: RoomDocument;
	loaded: Promise<void>;
	isLoaded: boolean;
	readonly sessions: Set<Session>;
	/** In-flight operations that keep the room loaded (server edits, getDocument). */
	holds: number;
	idleTimer: TimerHandle | null;
	/** Server edits of this program run one after another. */
	editChain: Promise<unknown>;
	compacting: Promise<void> | null;
	/** Log rows when compaction was last refused (0: not refused); the next try waits for more. */
	compactRefusedAt: number;
	/** Updates queued for commit, not yet durable. */
	queuedBytes: number;
	queuedItems: number;
}

/**
 * The memory budget of a loaded program (issue 14): a document this big (a hostile writer's, or
 * a huge legitimate one) is unloaded this soon after nobody uses it any more, not after
 * `idleUnloadMs`, so that what it holds goes back to the system. Reloading it costs its next
 * user a read from storage; its merges and renderings run in the worker pool.
 */
export const BIG_DOCUMENT = { bytes: 1024 * 1024, unloadMs: 2_000 } as const;

/** Bytes the document would have with everything queued committed. */
export function roomSize(room: LiveRoom): number {
	return room.doc.bytes + room.queuedBytes;
}

/** Sends `message` to the room's ready sessions except `except`; returns how many got it. */
export function broadcast(
	room: LiveRoom,
	message: Uint8Array,
	except: Session | null = null
): number {
	let delivered = 0;
	for (const s of room.sessions) if (s !== except && s.deliver(message)) delivered++;
	return delivered;
}

export interface RoomsOptions {
	store: Pick<DocumentStore, 'load' | 'compact' | 'programExists'>;
	hooks: Required<RelayHooks>;
	lead: Leadership;
	clock: Clock;
	config: Pick<RelayConfig, 'idleUnloadMs' | 'compactAfterUpdates'>;
	log: Logger;
	metrics: RelayMetrics;
	isClosing(): boolean;
	/** storage-safety: merges big documents off the event loop (the worker pool). */
	merge?: BackgroundMerge;
}

export interface Rooms {
	get(programId: string): LiveRoom | undefined;
	ids(): string[];
	all(): Iterable<LiveRoom>;
	/** The room of a program, loading it if needed; cancels a pending unload. */
	acquire(programId: string): LiveRoom;
	/** Runs `fn` on the loaded room of an existing program, keeping it loaded meanwhile. */
	withRoom<T>(programId: string, fn: (room: LiveRoom) => Promise<T>): Promise<T>;
	/** Arms the idle unload when nobody uses the room. */
	releaseLater(room: LiveRoom): void;
	/** Forgets a room whose load failed. */
	drop(room: LiveRoom): void;
	/** After a commit: compact soon when the log is long. */
	compactIfLong(room: LiveRoom): void;
	compact(room: LiveRoom): Promise<void>;
	/** Cancels idle timers (shutdown). */
	stop(): void;
}

/**
 * Compaction pacing (issue 18): compactions run one at a time, and after one that took `d` ms
 * the next waits `d × COMPACTION_REST` — at most a fifth of the event loop goes to compaction
 * however many programs are due at once (all of them reaching the threshold together, or a mass
 * unload after a network cut). Each waits its turn; nothing is skipped.
 */
export const COMPACTION_REST = 4;

/**
 * A program's compaction threshold: `compactAfterUpdates` plus up to half of it again, fixed per
 * program (a hash of its id), so that programs edited at the same pace since the same moment
 * do not all reach it in the same second.
 */
export function compactionThreshold(programId: string, compactAfterUpdates: number): number {
	let h = 2166136261;
	for (let i = 0; i < programId.length; i++) h = Math.imul(h ^ programId.charCodeAt(i), 16777619);
	const spread = Math.floor(compactAfterUpdates / 2);
	return compactAfterUpdates + (spread > 0 ? (h >>> 0) % spread : 0);
}

export function createRooms(options: RoomsOptions): Rooms {
	const { store, hooks, clock, config, log, metrics } = options;
	const rooms = new Map<string, LiveRoom>();
	/** The end of the last queued compaction's turn (its rest included). */
	let compactionTurn: Promise<void> = Promise.resolve();

	/**
	 * Runs `fn` in the next compaction turn; the turn after it starts only after a rest in
	 * proportion to its duration (the caller does not wait for the rest).
	 */
	function inCompactionTurn(fn: () => Promise<void>): Promise<void> {
		let took = 0;
		const turn = compactionTurn.then(async () => {
			const t0 = clock.monotonic();
			try {
				await fn();
			} finally {
				took = clock.monotonic() - t0;
			}
		});
		compactionTurn = turn
			.catch(() => undefined)
			.then(
				() =>
					new Promise<void>((resolve) => {
						const rest = Math.round(took * COMPACTION_REST);
						if (rest >= 1) clock.setTimeout(resolve, rest);
						else clock.defer(resolve);
					})
			);
		return turn;
	}

	/**
	 * A room's problems, logged with its program id. A class: its two methods are shared by all
	 * rooms, where two closures and their context per room were ~0.2 KB of heap for each idle
	 * program (issue 18).
	 */
	class LoggedProblems implements RoomProblems {
		constructor(private readonly programId: string) {}

		undecodableRow(err: unknown): void {
			log.error(
				{ err, programId: this.programId },
				'a stored update does not decode; the state vector will be recomputed'
			);
		}

		mergeFailed(err: unknown, parts: number, bytes: number): void {
			metrics.mergeFailures.inc({ where: 'relay' });
			log.warn(
				{ err, programId: this.programId, parts, bytes },
				'merging stored updates failed; every part is kept as it is (nothing dropped)'
			);
		}
	}
	const problemsOf = (programId: string): RoomProblems => new LoggedProblems(programId);

	/** Compaction merges a program's tail (RoomDocument's `tailMergeFloor`). */
	const tailMergeFloor = (id: string) =>
		config.compactAfterUpdates > 0 ? compactionThreshold(id, config.compactAfterUpdates) : 0;

	function create(id: string): LiveRoom {
		const room: LiveRoom = {
			id,
			doc: new RoomDocument(problemsOf(id), options.merge ?? null, tailMergeFloor(id)),
			loaded: Promise.resolve(),
			isLoaded: false,
			sessions: new Set(),
			holds: 0,
			idleTimer: null,
			editChain: Promise.resolve(),
			compacting: null,
			compactRefusedAt: 0,
			queuedBytes: 0,
			queuedItems: 0
		};
		room.loaded = (async () => {
			const t0 = performance.now();
			// Subscribe before loading: an update committed elsewhere meanwhile is either in what we
			// load or arrives on the channel (applied twice is harmless: Yjs merges idempotently).
			await hooks.loading(id);
			room.doc = RoomDocument.fromStored(
				await store.load(id),
				problemsOf(id),
				options.merge ?? null,
				tailMergeFloor(id)
			);
			room.isLoaded = true;
			await hooks.loaded(room);
			log.debug(
				{
					programId: id,
					bytes: room.doc.bytes,
					logRows: room.doc.logRows,
					ms: +(performance.now() - t0).toFixed(2)
				},
				'program loaded'
			);
		})();
		rooms.set(id, room);
		metrics.loadedPrograms.set(rooms.size);
		return room;
	}

	function acquire(id: string): LiveRoom {
		const room = rooms.get(id) ?? create(id);
		if (room.idleTimer) {
			clock.clearTimeout(room.idleTimer);
			room.idleTimer = null;
		}
		return room;
	}

	function releaseLater(room: LiveRoom): void {
		if (room.sessions.size > 0 || room.holds > 0 || room.idleTimer || options.isClosing()) return;
		room.idleTimer = clock.setTimeout(
			() => {
				room.idleTimer = null;
				void unload(room);
			},
			room.isLoaded && room.doc.bytes >= BIG_DOCUMENT.bytes
				? Math.min(config.idleUnloadMs, BIG_DOCUMENT.unloadMs)
				: config.idleUnloadMs
		);
	}

	const inUse = (room: LiveRoom) =>
		room.sessions.size > 0 || room.holds > 0 || room.queuedItems > 0;

	async function unload(room: LiveRoom): Promise<void> {
		if (inUse(room) || rooms.get(room.id) !== room) return;
		room.holds++;
		try {
			await room.loaded;
			await hooks.unloading(room);
			if (room.doc.logRows > 0) await compact(room);
		} catch (error) {
			log.error({ err: error, programId: room.id }, 'unload housekeeping failed');
		} finally {
			room.holds--;
		}
		if (inUse(room)) return; // someone came back
		rooms.delete(room.id);
		metrics.loadedPrograms.set(rooms.size);
		hooks.unloaded(room);
		log.debug({ programId: room.id }, 'program unloaded');
	}

	function compact(room: LiveRoom): Promise<void> {
		room.compacting ??= inCompactionTurn(async () => {
			try {
				// One instance compacts a program (Redis down: compacting anyway is safe, the store
				// merges and deletes only the rows it saw).
				if (!(await options.lead('compact', room.id))) {
					room.doc.logRows = 0; // the leader compacts; do not retry after every flush
					return;
				}
				try {
					await room.doc.mergedAsync(); // a big document: merged off the event loop
				} catch {
					// reported; compaction decides below (and refuses)
				}
				const input = room.doc.compactionInput();
				const outcome = await store.compact(
					room.id,
					input.merged,
					input.stateVector,
					input.throughSeq
				);
				if (outcome.status === 'refused') {
					// Nothing was replaced or deleted. Try again only once the log has grown as much
					// again, not after every commit.
					metrics.compactionsRefused.inc({ reason: outcome.reason });
					if (outcome.reason === 'merge_failed') metrics.mergeFailures.inc({ where: 'compaction' });
					room.compactRefusedAt = room.doc.logRows;
					log.warn(
						{ programId: room.id, reason: outcome.reason, detail: outcome.detail },
						'compaction refused: the log and the previous state are kept as they are'
					);
					return;
				}
				room.compactRefusedAt = 0;
				room.doc.compacted(input.rows);
				log.debug(
					{ programId: room.id, outcome, throughSeq: input.throughSeq },
					'program compacted'
				);
			} catch (error) {
				log.error({ err: error, programId: room.id }, 'compaction failed (log kept)');
			} finally {
				room.compacting = null;
			}
		});
		return room.compacting;
	}

	return {
		get: (id) => rooms.get(id),
		ids: () => [...rooms.keys()],
		all: () => rooms.values(),
		acquire,
		async withRoom(programId, fn) {
			if (!rooms.has(programId) && !(await store.programExists(programId))) {
				throw new Error(`unknown program ${programId}`);
			}
			// A server-side read or edit is not a user coming back: a pending unload keeps its
			// time (it waits while the hold lasts, and the release re-arms it). Restarting the idle
			// period here let the summary's own read of the decisions postpone the unload for ever.
			const room = rooms.get(programId) ?? create(programId);
			room.holds++;
			try {
				await room.loaded;
				return await fn(room);
			} finally {
				room.holds--;
				releaseLater(room);
			}
		},
		releaseLater,
		drop(room) {
			if (rooms.get(room.id) !== room) return;
			rooms.delete(room.id);
			metrics.loadedPrograms.set(rooms.size);
		},
		compactIfLong(room) {
			const due = Math.max(
				compactionThreshold(room.id, config.compactAfterUpdates),
				room.compactRefusedAt * 2
			);
			if (room.doc.logRows >= due && !room.compacting) {
				clock.defer(() => void compact(room));
			}
		},
		compact,
		stop() {
			for (const room of rooms.values()) {
				clock.clearTimeout(room.idleTimer);
				room.idleTimer = null;
			}
		}
	};
}
