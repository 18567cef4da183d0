/**
 * The relay: y-websocket protocol on /sync/<programId>, durable (group commit before broadcast
 * and acknowledgement), authenticated at the upgrade, limited per connection, and small in
 * memory (a loaded program is its merged update bytes + state vector, no Y.Doc).
 * Design and protocol: docs/relay.md.
 */
import type { IncomingMessage as HttpRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import {
	isDenied,
	type Authorizer,
	type ConnectionGrant,
	type DenyReason
} from '../auth/authorize.js';
import type { Access } from '../auth/tokens.js';
import type { Cluster } from '../cluster/index.js';
import type { Logger } from '../logger.js';
import { safeUrl } from '../logger.js';
import type { DeviceSyncFacts, DocumentStore, StoredSummary } from '../storage/document-store.js';
import type { RelayConfig } from './config.js';
import { createRelayMetrics, type RelayMetrics } from './metrics.js';
import {
	CloseCode,
	closeCodeName,
	decodeStateVector,
	encodeAck,
	encodeAwarenessMessage,
	encodeQueryAwareness,
	encodeStateVector,
	encodeSyncStep1,
	encodeSyncStep2,
	encodeSyncUpdate,
	inspectUpdate,
	parseClientMessage,
	stateVectorCovers,
	type IncomingMessage
} from './protocol.js';
import { userOrigin } from '../../src/lib/shared/program/index.js';
import { programSummary, type Summarizer } from './summary.js';

export const SYNC_PATH_PREFIX = '/sync/';
const PROGRAM_ID = /^[A-Za-z0-9_-]{1,128}$/;
const EMPTY_UPDATE: Uint8Array = new Uint8Array([0, 0]);
const EMPTY_STATE_VECTOR: Uint8Array = new Uint8Array([0]);
const MAX_TIMER_MS = 2_147_483_647;
/** Merge the unmerged tail into the state once it is this long, to bound memory and work. */
const MAX_TAIL = 256;
/** Background summaries: check for due programs this often, and work at most this long before yielding. */
const SUMMARY_TICK_MS = 250;
const SUMMARY_SLICE_MS = 20;
/** Sync-fact times are written when they moved by at least this much (or on connect/disconnect). */
const FACTS_RESOLUTION_MS = 30_000;

/** What the relay knows about a live connection (for closeWhere and diagnostics). */
export interface ConnectionInfo {
	id: number;
	programId: string;
	userId: string;
	access: Access;
	sessionId: string | undefined;
	deviceId: string | undefined;
	ip: string;
	connectedAt: number;
	expiresAt: number;
}

export interface ServerEditAuthor {
	userId: string;
	role?: string;
}

export interface ServerEditResult {
	/** The update produced by the edit (null when the edit changed nothing). */
	update: Uint8Array | null;
}

export interface Relay {
	/** Handles an HTTP upgrade; returns false when the path is not /sync/… (caller answers 404). */
	handleUpgrade(request: HttpRequest, socket: Duplex, head: Buffer): boolean;
	/**
	 * Loads the program, runs `edit` on a transient Y.Doc inside one transaction whose origin is
	 * `userOrigin(author.userId)` (as ProgramEditor does), persists the resulting update, then broadcasts it like any client update.
	 * Resolves once the update is durable.
	 */
	applyServerEdit(
		programId: string,
		author: ServerEditAuthor,
		edit: (doc: Y.Doc, author: ServerEditAuthor) => void
	): Promise<ServerEditResult>;
	/** Closes every live connection matching the predicate (e.g. a revoked session); returns how many. */
	closeWhere(predicate: (c: ConnectionInfo) => boolean, code: number, reason?: string): number;
	connections(): ConnectionInfo[];
	loadedPrograms(): string[];
	/** The persisted document (merged update) of a program, loading it transiently if needed. */
	getDocument(programId: string): Promise<Uint8Array>;
	/** Persists everything queued (and pending device facts) now. */
	flush(): Promise<void>;
	/** Computes pending summaries now (tests, shutdown). */
	flushSummaries(): Promise<void>;
	/** Stops accepting, flushes, closes all connections with 1012, stops timers. */
	close(): Promise<void>;
	readonly metrics: RelayMetrics;
}

export interface RelayOptions {
	store: DocumentStore;
	authorize: Authorizer;
	logger: Logger;
	registry: Registry;
	config: RelayConfig;
	summarize?: Summarizer;
	now?: () => number;
	/**
	 * Several instances (server/cluster, REDIS_URL): durable updates and awareness are published
	 * to the other instances and theirs delivered here; compaction and summaries of a program run
	 * on its leader only. Absent or disabled: a single instance, as before.
	 */
	cluster?: Pick<
		Cluster,
		| 'enabled'
		| 'join'
		| 'leave'
		| 'publishUpdate'
		| 'publishAwareness'
		| 'onUpdate'
		| 'onAwareness'
		| 'onResync'
		| 'onControl'
		| 'publishControl'
		| 'tryLead'
		| 'release'
	>;
}

interface Bucket {
	tokens: number;
	last: number;
}

interface Conn {
	id: number;
	ws: WebSocket;
	room: Room;
	info: ConnectionInfo;
	ack: boolean;
	ready: boolean;
	closing: boolean;
	alive: boolean;
	inbox: Uint8Array[];
	/** Document-carrying messages received and accepted (queued) from this connection. */
	receivedCount: number;
	/** … of which durable (or no-ops), in order. */
	persistedCount: number;
	/** The client answered our sync step 1 with its step 2: from now on it is in sync after each flush. */
	handshakeDone: boolean;
	awarenessClients: Map<number, number>;
	updateBucket: Bucket;
	messageBucket: Bucket;
	expiryTimer: NodeJS.Timeout | null;
	/** Sync facts as last handed to storage for this connection's device (to skip no-news writes). */
	factsWritten: Omit<DeviceSyncFacts, 'programId' | 'userId' | 'deviceId'>;
}

interface Room {
	id: string;
	loaded: Promise<void>;
	isLoaded: boolean;
	/** Merged persisted base state; together with `tail` it is the whole persisted document. */
	state: Uint8Array;
	/** State vector of `state` alone (null: compute from `state` when needed). */
	baseSv: Map<number, number> | null;
	/** The delete set of `state` as an update without structs (cached; null: not computed yet). */
	baseDs: Uint8Array | null;
	/** Persisted updates not merged into `state` yet, in order. */
	tail: Uint8Array[];
	tailBytes: number;
	/** State vector of the whole persisted document, or null when it must be recomputed from the merge. */
	sv: Map<number, number> | null;
	svBytes: Uint8Array | null;
	lastSeq: number;
	logRows: number;
	queuedBytes: number;
	queuedItems: number;
	conns: Set<Conn>;
	/** In-flight operations that keep the room loaded (server edits, getDocument). */
	holds: number;
	idleTimer: NodeJS.Timeout | null;
	editChain: Promise<unknown>;
	compacting: Promise<void> | null;
	summaryDirtySince: number | null;
	summaryMaxWaitJitter: number | null;
	/** Yjs client id → the user who first wrote under it (stored; see docs/relay.md). */
	owners: Map<number, string>;
}

interface QueueItem {
	room: Room;
	conn: Conn | null;
	/** null: an empty (no-op) update, kept in the queue only to order acknowledgements. */
	update: Uint8Array | null;
	ranges: Map<number, [number, number]> | null;
	receivedAt: number;
	/** Client ids this update is the first to write under (persisted with it). */
	claims?: { userId: string; clientIds: number[] };
	done?: { resolve: () => void; reject: (e: Error) => void };
}

function ignoreError(): void {}

function toUint8(data: RawData): Uint8Array | null {
	if (Array.isArray(data)) return Buffer.concat(data);
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	return data;
}

/** The client's address for the per-address limit; X-Forwarded-For only through trusted proxies. */
function remoteAddress(request: HttpRequest, trustedHops: number): string {
	const socketAddress = request.socket.remoteAddress ?? 'unknown';
	if (trustedHops <= 0) return socketAddress;
	const header = request.headers['x-forwarded-for'];
	const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean);
	return chain[chain.length - trustedHops] ?? chain[0] ?? socketAddress;
}

const DENY_CODES: Record<DenyReason, { code: number; reason: string }> = {
	unauthenticated: { code: CloseCode.UNAUTHENTICATED, reason: 'unauthenticated' },
	forbidden: { code: CloseCode.FORBIDDEN, reason: 'forbidden' },
	not_found: { code: CloseCode.NOT_FOUND, reason: 'unknown program' },
	expired: { code: CloseCode.AUTH_EXPIRED, reason: 'auth expired' }
};

export function createRelay(options: RelayOptions): Relay {
	const { store, authorize, config } = options;
	const cluster = options.cluster?.enabled ? options.cluster : null;
	const log = options.logger.child({ component: 'relay' });
	const now = options.now ?? Date.now;
	const summarize = options.summarize ?? programSummary;
	const metrics = createRelayMetrics(options.registry);
	const wss = new WebSocketServer({
		noServer: true,
		clientTracking: false,
		perMessageDeflate: false,
		// Messages up to 4× the limit are read and refused with 4413; beyond that the
		// websocket layer refuses them without buffering (1009).
		maxPayload: config.maxMessageBytes * 4 + 1024
	});

	const rooms = new Map<string, Room>();
	const conns = new Set<Conn>();
	const perIp = new Map<string, number>();
	let nextConnId = 1;
	let closing = false;
	let queue: QueueItem[] = [];
	let flushScheduled = false;
	let flushing: Promise<void> | null = null;
	const dirtyFacts = new Map<string, DeviceSyncFacts>();
	let factsTimer: NodeJS.Timeout | null = null;

	// ------------------------------------------------------------ rooms

	function newRoom(id: string): Room {
		const room: Room = {
			id,
			loaded: Promise.resolve(),
			isLoaded: false,
			state: EMPTY_UPDATE,
			baseSv: new Map(),
			baseDs: null,
			tail: [],
			tailBytes: 0,
			sv: new Map(),
			svBytes: null,
			lastSeq: 0,
			logRows: 0,
			queuedBytes: 0,
			queuedItems: 0,
			conns: new Set(),
			holds: 0,
			idleTimer: null,
			editChain: Promise.resolve(),
			compacting: null,
			summaryDirtySince: null,
			summaryMaxWaitJitter: null,
			owners: new Map()
		};
		room.loaded = (async () => {
			const t0 = performance.now();
			// Subscribe before loading: an update committed elsewhere meanwhile is either in what we
			// load or arrives on the channel (applied twice is harmless: Yjs merges idempotently).
			await cluster?.join(id);
			const stored = await store.load(id);
			// No decoding of the compacted state: its state vector is stored with it, and the log
			// rows after it stay an unmerged tail until someone needs the merged form.
			room.state = stored.state ?? EMPTY_UPDATE;
			room.baseSv = stored.state
				? stored.stateVector
					? decodeStateVector(stored.stateVector)
					: null
				: new Map();
			room.sv = room.baseSv ? new Map(room.baseSv) : null;
			room.lastSeq = stored.lastSeq;
			for (const row of stored.updates) {
				let ranges: Map<number, [number, number]> | null = null;
				try {
					ranges = inspectUpdate(row).ranges;
				} catch (error) {
					log.error(
						{ err: error, programId: id },
						'a stored update does not decode; the state vector will be recomputed'
					);
				}
				absorb(room, row, ranges, stored.lastSeq);
			}
			room.logRows = stored.updates.length;
			for (const [client, user] of stored.clientOwners) room.owners.set(client, user);
			// A crash between a commit and its debounced summary leaves the stored summary behind
			// the log; nothing else would recompute it (found by the crash campaign, seed 2001).
			const summaryBehind =
				stored.lastSeq > 0 && ((await store.getSummary(id))?.throughSeq ?? 0) < stored.lastSeq;
			room.isLoaded = true;
			if (summaryBehind) markSummaryDirty(room);
			log.debug(
				{
					programId: id,
					bytes: room.state.length,
					logRows: room.logRows,
					ms: +(performance.now() - t0).toFixed(2)
				},
				'program loaded'
			);
		})();
		rooms.set(id, room);
		metrics.loadedPrograms.set(rooms.size);
		return room;
	}

	function acquireRoom(id: string): Room {
		const room = rooms.get(id) ?? newRoom(id);
		if (room.idleTimer) {
			clearTimeout(room.idleTimer);
			room.idleTimer = null;
		}
		return room;
	}

	/** Merges updates; a row that cannot be merged (should never happen: updates are validated) is skipped and logged. */
	function mergeSafely(programId: string, parts: Uint8Array[]): Uint8Array {
		if (parts.length === 1) return parts[0] ?? EMPTY_UPDATE;
		try {
			return Y.mergeUpdates(parts);
		} catch (error) {
			log.error({ err: error, programId }, 'merging stored updates failed; merging one by one');
			let acc = EMPTY_UPDATE;
			for (const p of parts) {
				try {
					acc = Y.mergeUpdates([acc, p]);
				} catch (e) {
					log.error(
						{ err: e, programId, bytes: p.length },
						'skipping an unmergeable stored update'
					);
				}
			}
			return acc;
		}
	}

	/** The whole persisted document as one merged update (merges the tail into the base). */
	function roomState(room: Room): Uint8Array {
		if (room.tail.length > 0) {
			room.state = mergeSafely(room.id, [room.state, ...room.tail]);
			room.tail = [];
			room.tailBytes = 0;
			room.baseSv = room.sv ? new Map(room.sv) : null;
			room.baseDs = null;
		}
		return room.state;
	}

	function baseSv(room: Room): Map<number, number> {
		if (!room.baseSv) {
			room.baseSv = decodeStateVector(Y.encodeStateVectorFromUpdate(room.state));
			if (room.tail.length === 0) room.sv = new Map(room.baseSv);
		}
		return room.baseSv;
	}

	/**
	 * Sync step 2 for a client with state vector `sv`. Fast paths: an empty client gets the
	 * merged state as stored (no re-encoding); a client whose state vector covers the base's gets
	 * `diffUpdate(base, baseSv)` — the base's delete set plus any structs stored beyond a clock gap
	 * (not in a state vector), cached per base — and the recent tail (redundant structs are
	 * harmless). Otherwise Y.diffUpdate over the whole document.
	 */
	function stepTwo(room: Room, sv: Map<number, number>, svBytes: Uint8Array): Uint8Array {
		if (sv.size === 0) return roomState(room);
		if (stateVectorCovers(sv, baseSv(room))) {
			room.baseDs ??= Y.diffUpdate(room.state, encodeStateVector(baseSv(room)));
			return room.tail.length === 0 ? room.baseDs : Y.mergeUpdates([room.baseDs, ...room.tail]);
		}
		return Y.diffUpdate(roomState(room), svBytes);
	}

	function roomSv(room: Room): Map<number, number> {
		if (!room.sv) {
			room.sv = decodeStateVector(Y.encodeStateVectorFromUpdate(roomState(room)));
			room.svBytes = null;
		}
		return room.sv;
	}

	function roomSvBytes(room: Room): Uint8Array {
		const sv = roomSv(room);
		room.svBytes ??= encodeStateVector(sv);
		return room.svBytes;
	}

	function roomSize(room: Room): number {
		return room.state.length + room.tailBytes + room.queuedBytes;
	}

	/** Applies a persisted update to the in-memory room (called synchronously after commit). */
	function absorb(
		room: Room,
		update: Uint8Array,
		ranges: Map<number, [number, number]> | null,
		seq: number
	) {
		room.tail.push(update);
		room.tailBytes += update.length;
		room.lastSeq = Math.max(room.lastSeq, seq);
		room.logRows++;
		if (room.sv && ranges) {
			for (const [client, [from, to]] of ranges) {
				const cur = room.sv.get(client) ?? 0;
				if (from > cur) {
					room.sv = null; // a gap: the update is pending until its dependency arrives
					break;
				}
				if (to > cur) room.sv.set(client, to);
			}
		} else {
			room.sv = null;
		}
		room.svBytes = null;
		if (
			room.tail.length >= MAX_TAIL ||
			(room.tailBytes > 65_536 && room.tailBytes > room.state.length)
		) {
			roomState(room);
		}
	}

	function maybeUnloadLater(room: Room) {
		if (room.conns.size > 0 || room.holds > 0 || room.idleTimer || closing) return;
		room.idleTimer = setTimeout(() => {
			room.idleTimer = null;
			void unload(room);
		}, config.idleUnloadMs);
		room.idleTimer.unref();
	}

	async function unload(room: Room) {
		if (
			room.conns.size > 0 ||
			room.holds > 0 ||
			room.queuedItems > 0 ||
			rooms.get(room.id) !== room
		)
			return;
		room.holds++;
		try {
			await room.loaded;
			await flushRoomSummary(room);
			if (room.logRows > 0) await compact(room);
		} catch (error) {
			log.error({ err: error, programId: room.id }, 'unload housekeeping failed');
		} finally {
			room.holds--;
		}
		if (room.conns.size > 0 || room.holds > 0 || room.queuedItems > 0) return; // someone came back
		summaryDue.delete(room);
		rooms.delete(room.id);
		metrics.loadedPrograms.set(rooms.size);
		if (cluster) {
			cluster.leave(room.id);
			void cluster.release('summary', room.id);
			void cluster.release('compact', room.id);
		}
		log.debug({ programId: room.id }, 'program unloaded');
	}

	function compact(room: Room): Promise<void> {
		room.compacting ??= (async () => {
			try {
				// One instance compacts a program ('unknown' = Redis down: compacting anyway is safe,
				// the store merges and deletes only the rows it saw).
				if (cluster && (await cluster.tryLead('compact', room.id)) === 'follower') {
					room.logRows = 0; // the leader compacts; do not retry after every flush
					return;
				}
				const merged = roomState(room);
				const sv = encodeStateVector(baseSv(room));
				const throughSeq = room.lastSeq;
				const covered = room.logRows;
				await store.compact(room.id, merged, sv, throughSeq);
				room.logRows = Math.max(0, room.logRows - covered);
				log.debug({ programId: room.id, bytes: merged.length, throughSeq }, 'program compacted');
			} catch (error) {
				log.error({ err: error, programId: room.id }, 'compaction failed (log kept)');
			} finally {
				room.compacting = null;
			}
		})();
		return room.compacting;
	}

	// ------------------------------------------------------------ summaries and facts

	// Summaries are computed in the background, in time slices (SUMMARY_SLICE_MS of work, then
	// yield), and written in one transaction per slice: a burst of thousands of changed programs
	// never stalls the relay.
	const summaryDue = new Map<Room, number>();
	let summaryTimer: NodeJS.Timeout | null = null;
	let summaryRunning: Promise<void> | null = null;

	function markSummaryDirty(room: Room) {
		const t = now();
		room.summaryDirtySince ??= t;
		// Jitter on the max wait keeps programs that started changing together from all coming due at once.
		room.summaryMaxWaitJitter ??= (Math.random() - 0.5) * 0.5 * config.summaryMaxWaitMs;
		const maxDue = room.summaryDirtySince + config.summaryMaxWaitMs + room.summaryMaxWaitJitter;
		summaryDue.set(room, Math.min(t + config.summaryDebounceMs, maxDue));
		armSummaries();
	}

	function armSummaries() {
		if (summaryTimer || summaryRunning || closing || summaryDue.size === 0) return;
		summaryTimer = setTimeout(
			() => {
				summaryTimer = null;
				summaryRunning = runSummaries(false).finally(() => {
					summaryRunning = null;
					armSummaries();
				});
			},
			Math.min(SUMMARY_TICK_MS, config.summaryDebounceMs)
		);
		summaryTimer.unref();
	}

	async function runSummaries(all: boolean): Promise<void> {
		let batch: StoredSummary[] = [];
		let sliceStart = performance.now();
		for (const [room, due] of summaryDue) {
			if (!all && due > now()) continue;
			summaryDue.delete(room);
			// The program's leader writes its summary (it receives every instance's updates).
			if (cluster && (await cluster.tryLead('summary', room.id)) === 'follower') continue;
			const s = summaryOf(room);
			if (s) batch.push(s);
			if (performance.now() - sliceStart > SUMMARY_SLICE_MS) {
				await saveSummaries(batch);
				batch = [];
				await new Promise((r) => setImmediate(r));
				sliceStart = performance.now();
			}
		}
		await saveSummaries(batch);
	}

	async function saveSummaries(batch: StoredSummary[]) {
		if (batch.length === 0) return;
		try {
			await store.saveSummaries(batch);
		} catch (error) {
			log.error({ err: error, count: batch.length }, 'saving summaries failed');
		}
	}

	/** Computes the summary of a loaded room now (transient Y.Doc), or null on failure. */
	function summaryOf(room: Room): StoredSummary | null {
		if (!room.isLoaded) return null;
		room.summaryDirtySince = null;
		try {
			const state = roomState(room);
			const doc = new Y.Doc();
			try {
				Y.applyUpdate(doc, state);
				const summary = summarize(doc, new Date(now()));
				return {
					programId: room.id,
					summary,
					docBytes: state.length,
					throughSeq: room.lastSeq,
					computedAt: now()
				};
			} finally {
				doc.destroy();
			}
		} catch (error) {
			log.error({ err: error, programId: room.id }, 'summary failed');
			return null;
		}
	}

	/** Computes and stores a room's pending summary now (before unloading it). */
	async function flushRoomSummary(room: Room) {
		if (!summaryDue.delete(room)) return;
		const s = summaryOf(room);
		if (s) await saveSummaries([s]);
	}

	function recordFacts(
		conn: Conn,
		facts: Omit<DeviceSyncFacts, 'programId' | 'userId' | 'deviceId'>,
		force = false
	) {
		// The curator needs minutes, not milliseconds: a time that moved by less than
		// FACTS_RESOLUTION_MS since it was last written is not news (pending counts always are).
		const w = conn.factsWritten;
		const news =
			force ||
			(facts.pending !== undefined && facts.pending !== w.pending) ||
			(['lastConnectedAt', 'lastUpdateAt', 'lastInSyncAt', 'pendingReportedAt'] as const).some(
				(k) => facts[k] !== undefined && (facts[k] ?? 0) - (w[k] ?? 0) >= FACTS_RESOLUTION_MS
			);
		if (!news) return;
		for (const [k, v] of Object.entries(facts) as [keyof typeof facts, number | undefined][]) {
			if (v !== undefined) w[k] = v;
		}
		const deviceId = conn.info.deviceId ?? 'unknown';
		const key = `${conn.info.programId}\u0000${conn.info.userId}\u0000${deviceId}`;
		const entry = dirtyFacts.get(key) ?? {
			programId: conn.info.programId,
			userId: conn.info.userId,
			deviceId
		};
		for (const [k, v] of Object.entries(facts) as [keyof typeof facts, number | undefined][]) {
			if (v === undefined) continue;
			if (k === 'pending') entry.pending = v;
			else entry[k] = Math.max(entry[k] ?? 0, v);
		}
		dirtyFacts.set(key, entry);
		if (!factsTimer && !closing) {
			// Facts are written in their own periodic transaction, never on the update hot path.
			factsTimer = setTimeout(() => {
				factsTimer = null;
				void writeFacts();
			}, config.factsFlushMs);
			factsTimer.unref();
		}
	}

	function takeFacts(): DeviceSyncFacts[] {
		const facts = [...dirtyFacts.values()];
		dirtyFacts.clear();
		return facts;
	}

	async function writeFacts() {
		const facts = takeFacts();
		if (facts.length === 0) return;
		try {
			await store.saveFacts(facts);
		} catch (error) {
			log.error({ err: error }, 'saving device sync facts failed');
		}
	}

	// ------------------------------------------------------------ group commit

	function scheduleFlush() {
		if (flushScheduled) return;
		flushScheduled = true;
		const run = () => {
			flushScheduled = false;
			void runFlush();
		};
		if (config.flushDelayMs > 0) setTimeout(run, config.flushDelayMs);
		else setImmediate(run);
	}

	async function runFlush(): Promise<void> {
		while (flushing) await flushing;
		if (queue.length === 0) return;
		flushing = flushBatch().finally(() => {
			flushing = null;
		});
		await flushing;
		if (queue.length > 0) scheduleFlush();
	}

	async function flushBatch(): Promise<void> {
		const batch = queue;
		queue = [];
		const rows = [];
		for (const item of batch) {
			if (item.update)
				rows.push({
					programId: item.room.id,
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
			// Nothing of this batch is durable: refuse it. Clients still hold their edits and resend them on reconnect.
			log.error({ err: error, updates: rows.length }, 'persisting updates failed');
			const failed = new Set<Conn>();
			for (const item of batch) {
				item.room.queuedItems--;
				if (item.update) item.room.queuedBytes -= item.update.length;
				if (item.conn) failed.add(item.conn);
				item.done?.reject(error instanceof Error ? error : new Error(String(error)));
			}
			for (const c of failed) closeConn(c, CloseCode.INTERNAL_ERROR, 'storage error', 'error');
			return;
		}
		const elapsed = (performance.now() - t0) / 1000;
		if (rows.length > 0) {
			metrics.persistSeconds.observe(elapsed);
			metrics.persistBatchUpdates.observe(rows.length);
			metrics.updatesIn.inc(rows.length);
		}
		// Durable: apply to memory, broadcast, acknowledge.
		const t = now();
		const acked = new Set<Conn>();
		const touched = new Set<Room>();
		let seqIndex = 0;
		let delivered = 0;
		for (const item of batch) {
			const { room, conn } = item;
			room.queuedItems--;
			if (item.update) {
				const seq = seqs[seqIndex++] ?? room.lastSeq;
				room.queuedBytes -= item.update.length;
				absorb(room, item.update, item.ranges, seq);
				touched.add(room);
				// Durable now: other instances deliver it to their connections of the program (with
				// the client ids it claimed, so they enforce the same ownership).
				cluster?.publishUpdate(room.id, item.update, item.claims);
				const message = encodeSyncUpdate(item.update);
				for (const other of room.conns) {
					if (other === conn || !other.ready || other.closing) continue;
					other.ws.send(message);
					delivered++;
				}
			}
			if (conn) {
				conn.persistedCount++;
				acked.add(conn);
			}
			item.done?.resolve();
		}
		if (delivered > 0) metrics.updatesOut.inc(delivered);
		for (const conn of acked) {
			if (conn.closing) continue;
			if (conn.ack)
				conn.ws.send(
					encodeAck({ persistedCount: conn.persistedCount, stateVector: roomSvBytes(conn.room) })
				);
			if (conn.handshakeDone && conn.persistedCount === conn.receivedCount) {
				recordFacts(conn, { lastUpdateAt: t, lastInSyncAt: t });
			} else {
				recordFacts(conn, { lastUpdateAt: t });
			}
		}
		for (const room of touched) {
			markSummaryDirty(room);
			if (room.logRows >= config.compactAfterUpdates && !room.compacting) {
				setImmediate(() => void compact(room));
			}
		}
	}

	// ------------------------------------------------------------ other instances (cluster)

	/** An update made durable by another instance: into memory and to our connections. */
	function applyRemote(
		programId: string,
		update: Uint8Array,
		claims?: { userId: string; clientIds: number[] }
	) {
		const room = rooms.get(programId);
		if (!room) return;
		void room.loaded.then(() => {
			if (rooms.get(programId) !== room) return;
			let ranges: Map<number, [number, number]> | null;
			try {
				const inspection = inspectUpdate(update);
				if (inspection.empty) return;
				ranges = inspection.ranges;
			} catch {
				log.warn({ programId }, 'undecodable update from another instance ignored');
				return;
			}
			const copy = new Uint8Array(update);
			// First writer wins, as in storage.
			for (const c of claims?.clientIds ?? [])
				if (!room.owners.has(c)) room.owners.set(c, claims?.userId ?? '');
			absorb(room, copy, ranges, room.lastSeq);
			const message = encodeSyncUpdate(copy);
			let delivered = 0;
			for (const c of room.conns) {
				if (!c.ready || c.closing) continue;
				c.ws.send(message);
				delivered++;
			}
			if (delivered > 0) metrics.updatesOut.inc(delivered);
			markSummaryDirty(room);
		}, ignoreError);
	}

	/** After a Redis outage: what other instances stored meanwhile, from the durable log. */
	async function resyncRoom(room: Room) {
		await room.loaded;
		const stored = await store.load(room.id);
		if (rooms.get(room.id) !== room) return;
		for (const [c, user] of stored.clientOwners) room.owners.set(c, user);
		const full = mergeSafely(room.id, [...(stored.state ? [stored.state] : []), ...stored.updates]);
		const diff = Y.diffUpdate(full, roomSvBytes(room));
		const inspection = inspectUpdate(diff);
		if (inspection.empty) return;
		absorb(room, diff, inspection.ranges, stored.lastSeq);
		const message = encodeSyncUpdate(diff);
		for (const c of room.conns) if (c.ready && !c.closing) c.ws.send(message);
		markSummaryDirty(room);
	}

	if (cluster) {
		cluster.onUpdate(applyRemote);
		cluster.onAwareness((programId, payload) => {
			const room = rooms.get(programId);
			if (!room?.isLoaded) return;
			const message = new Uint8Array(payload);
			for (const c of room.conns) if (c.ready && !c.closing) c.ws.send(message);
		});
		const resyncAll = (ids: Iterable<string>) => {
			for (const id of ids) {
				const room = rooms.get(id);
				if (!room) continue;
				resyncRoom(room).catch((error: unknown) =>
					log.error({ err: error, programId: room.id }, 'resync from storage failed')
				);
			}
		};
		cluster.onResync(() => {
			// We may have missed their updates, and they ours: both sides reload from storage.
			const ids = [...rooms.keys()];
			resyncAll(ids);
			for (let i = 0; i < ids.length; i += 500)
				cluster.publishControl({ type: 'resync', programIds: ids.slice(i, i + 500) });
		});
		cluster.onControl((m) => {
			if (m.type === 'resync') resyncAll(m.programIds);
		});
	}

	function enqueue(item: QueueItem) {
		item.room.queuedItems++;
		if (item.update) item.room.queuedBytes += item.update.length;
		queue.push(item);
		scheduleFlush();
	}

	// ------------------------------------------------------------ connections

	function closeConn(
		conn: Conn,
		code: number,
		reason: string,
		level: 'info' | 'warn' | 'error' | 'debug' = 'info'
	) {
		if (conn.closing) return;
		conn.closing = true;
		metrics.closes.inc({ code: String(code) });
		log[level](
			{
				programId: conn.info.programId,
				userId: conn.info.userId,
				conn: conn.id,
				ip: conn.info.ip,
				closeCode: code,
				closeName: closeCodeName(code)
			},
			`closing connection: ${reason}`
		);
		try {
			conn.ws.close(code, reason);
		} catch {
			conn.ws.terminate();
		}
		setTimeout(() => conn.ws.terminate(), 5_000).unref();
	}

	/**
	 * A Yjs client id belongs to the user who first wrote under it. Yjs identifies every struct by
	 * (client id, clock) and keeps the first one it sees, so a participant writing under the
	 * partner's id at the partner's next clock would make the partner's real edit vanish
	 * everywhere while the partner's phone shows it acknowledged (resilience campaign, hostile
	 * client). Returns the client ids newly claimed by this user, or null when one belongs to
	 * someone else. Claims are taken at once (in memory) so two updates of one batch cannot race.
	 */
	function claimClientIds(room: Room, userId: string, clients: Set<number>): number[] | null {
		const fresh: number[] = [];
		for (const c of clients) {
			const owner = room.owners.get(c);
			if (owner === undefined) fresh.push(c);
			else if (owner !== userId && config.clientIdBinding !== 0) return null;
		}
		for (const c of fresh) room.owners.set(c, userId);
		return fresh;
	}

	function reject(conn: Conn, reason: string, code: number, detail?: string) {
		metrics.rejected.inc({ reason });
		closeConn(conn, code, detail ?? reason.replace(/_/g, ' '), 'warn');
	}

	function takeToken(bucket: Bucket, rate: number, burst: number): boolean {
		const t = performance.now();
		bucket.tokens = Math.min(burst, bucket.tokens + ((t - bucket.last) / 1000) * rate);
		bucket.last = t;
		if (bucket.tokens < 1) return false;
		bucket.tokens -= 1;
		return true;
	}

	function onMessage(conn: Conn, data: RawData, isBinary: boolean) {
		if (conn.closing) return;
		const message = toUint8(data);
		if (!isBinary || !message) {
			reject(conn, 'malformed', CloseCode.MALFORMED, 'text frames are not part of the protocol');
			return;
		}
		if (message.length > config.maxMessageBytes) {
			reject(conn, 'message_too_large', CloseCode.MESSAGE_TOO_LARGE, 'message too large');
			return;
		}
		if (
			!takeToken(
				conn.messageBucket,
				config.messagesPerSecond,
				config.messagesPerSecond * 4 + config.updateBurst
			)
		) {
			reject(conn, 'rate_limited', CloseCode.RATE_LIMITED, 'too many messages');
			return;
		}
		if (!conn.ready) {
			conn.inbox.push(message);
			return;
		}
		handleMessage(conn, message);
	}

	function handleMessage(conn: Conn, message: Uint8Array) {
		if (conn.closing) return;
		let msg: IncomingMessage;
		try {
			msg = parseClientMessage(message);
		} catch {
			reject(conn, 'malformed', CloseCode.MALFORMED, 'malformed message');
			return;
		}
		const room = conn.room;
		switch (msg.kind) {
			case 'step1': {
				conn.ws.send(encodeSyncStep2(stepTwo(room, msg.sv, msg.stateVector)));
				// The answer goes out first; the bookkeeping (which may decode the document's state
				// vector) waits for the next turn so it never delays the first sync.
				setImmediate(() => {
					if (conn.closing) return;
					if (stateVectorCovers(roomSv(room), msg.sv)) recordFacts(conn, { lastInSyncAt: now() });
					if (conn.ack)
						conn.ws.send(
							encodeAck({ persistedCount: conn.persistedCount, stateVector: roomSvBytes(room) })
						);
				});
				return;
			}
			case 'step2':
			case 'update': {
				if (conn.info.access !== 'rw') {
					metrics.rejected.inc({ reason: 'read_only' });
					return; // dropped, not closed: curators' clients may echo sync step 2
				}
				if (!takeToken(conn.updateBucket, config.updatesPerSecond, config.updateBurst)) {
					reject(conn, 'rate_limited', CloseCode.RATE_LIMITED, 'too many updates');
					return;
				}
				let inspection;
				try {
					inspection = inspectUpdate(msg.update);
				} catch {
					reject(conn, 'malformed', CloseCode.MALFORMED, 'malformed update');
					return;
				}
				const claims = claimClientIds(room, conn.info.userId, inspection.clients);
				if (claims === null) {
					reject(
						conn,
						'foreign_client_id',
						CloseCode.FORBIDDEN,
						"update under another participant's client id"
					);
					return;
				}
				if (msg.kind === 'step2') conn.handshakeDone = true;
				if (!inspection.empty && roomSize(room) + msg.update.length > config.maxDocumentBytes) {
					reject(conn, 'document_too_large', CloseCode.DOCUMENT_TOO_LARGE, 'document too large');
					return;
				}
				conn.receivedCount++;
				enqueue({
					room,
					conn,
					// copy: the message buffer may be a view into a larger socket chunk
					update: inspection.empty ? null : new Uint8Array(msg.update),
					ranges: inspection.ranges,
					receivedAt: now(),
					...(claims.length > 0 ? { claims: { userId: conn.info.userId, clientIds: claims } } : {})
				});
				return;
			}
			case 'awareness': {
				for (const e of msg.entries) {
					if (e.removed) conn.awarenessClients.delete(e.clientId);
					else conn.awarenessClients.set(e.clientId, e.clock);
				}
				// Like the reference server, echo to the sender too: the stock client counts any
				// message as a sign of life (it reconnects after 30 s of silence).
				for (const other of room.conns) {
					if (other.ready && !other.closing) other.ws.send(msg.message);
				}
				cluster?.publishAwareness(room.id, msg.message);
				return;
			}
			case 'query-awareness': {
				const query = encodeQueryAwareness();
				for (const other of room.conns) {
					if (other !== conn && other.ready && !other.closing) other.ws.send(query);
				}
				return;
			}
			case 'device-status': {
				if (conn.info.deviceId === undefined) conn.info.deviceId = msg.deviceId;
				recordFacts(conn, { pending: msg.pending, pendingReportedAt: now() });
				return;
			}
			case 'auth':
				return;
		}
	}

	function onClose(conn: Conn) {
		if (!conns.delete(conn)) return;
		metrics.connections.set(conns.size);
		const ipCount = (perIp.get(conn.info.ip) ?? 1) - 1;
		if (ipCount <= 0) perIp.delete(conn.info.ip);
		else perIp.set(conn.info.ip, ipCount);
		if (conn.expiryTimer) clearTimeout(conn.expiryTimer);
		const room = conn.room;
		room.conns.delete(conn);
		if (conn.ready) recordFacts(conn, { lastConnectedAt: now() }, true);
		if (conn.awarenessClients.size > 0 && room.conns.size > 0) {
			const e = encoding.createEncoder();
			encoding.writeVarUint(e, conn.awarenessClients.size);
			for (const [clientId, clock] of conn.awarenessClients) {
				encoding.writeVarUint(e, clientId);
				encoding.writeVarUint(e, clock + 1);
				encoding.writeVarString(e, 'null');
			}
			const message = encodeAwarenessMessage(encoding.toUint8Array(e));
			for (const other of room.conns) if (other.ready && !other.closing) other.ws.send(message);
			cluster?.publishAwareness(room.id, message);
		} else if (conn.awarenessClients.size > 0) {
			const e = encoding.createEncoder();
			encoding.writeVarUint(e, conn.awarenessClients.size);
			for (const [clientId, clock] of conn.awarenessClients) {
				encoding.writeVarUint(e, clientId);
				encoding.writeVarUint(e, clock + 1);
				encoding.writeVarString(e, 'null');
			}
			cluster?.publishAwareness(room.id, encodeAwarenessMessage(encoding.toUint8Array(e)));
		}
		maybeUnloadLater(room);
	}

	function armExpiry(conn: Conn) {
		const left = conn.info.expiresAt - now();
		if (left <= 0) {
			closeConn(conn, CloseCode.AUTH_EXPIRED, 'auth expired');
			return;
		}
		conn.expiryTimer = setTimeout(() => armExpiry(conn), Math.min(left, MAX_TIMER_MS));
		conn.expiryTimer.unref();
	}

	function setupConnection(
		ws: WebSocket,
		request: HttpRequest,
		programId: string,
		grant: ConnectionGrant,
		ip: string
	) {
		const params = new URLSearchParams((request.url ?? '').split('?')[1] ?? '');
		const device = params.get('device');
		const existed = rooms.has(programId);
		const room = acquireRoom(programId);
		const t = performance.now();
		const conn: Conn = {
			id: nextConnId++,
			ws,
			room,
			info: {
				id: 0,
				programId,
				userId: grant.userId,
				access: grant.access,
				sessionId: grant.sessionId,
				deviceId: device && device.length <= 64 ? device : undefined,
				ip,
				connectedAt: now(),
				expiresAt: grant.expiresAt
			},
			ack: params.get('ack') === '1',
			ready: false,
			closing: false,
			alive: true,
			inbox: [],
			receivedCount: 0,
			persistedCount: 0,
			handshakeDone: false,
			awarenessClients: new Map(),
			updateBucket: { tokens: config.updateBurst, last: t },
			messageBucket: { tokens: config.messagesPerSecond * 4 + config.updateBurst, last: t },
			expiryTimer: null,
			factsWritten: {}
		};
		conn.info.id = conn.id;
		conns.add(conn);
		room.conns.add(conn);
		metrics.connections.set(conns.size);
		ws.on('message', (data, isBinary) => onMessage(conn, data, isBinary));
		ws.on('pong', () => {
			conn.alive = true;
		});
		ws.on('close', () => onClose(conn));
		ws.on('error', (error) => log.debug({ err: error, conn: conn.id }, 'websocket error'));
		armExpiry(conn);
		// Several instances: a program loaded here earlier may lack updates another instance could
		// not publish (Redis outage); the newcomer gets what the durable log has.
		const ready =
			cluster && existed
				? room.loaded.then(() =>
						resyncRoom(room).catch((error: unknown) =>
							log.warn({ err: error, programId }, 'catch-up from storage failed')
						)
					)
				: room.loaded;
		ready.then(
			() => {
				if (conn.closing || !conns.has(conn)) return;
				conn.ready = true;
				recordFacts(conn, { lastConnectedAt: now() }, true);
				// Document bytes only now, after the program is loaded from storage.
				if (conn.info.access === 'rw') {
					conn.ws.send(encodeSyncStep1(room.isLoaded ? roomSvBytes(room) : EMPTY_STATE_VECTOR));
				}
				const query = encodeQueryAwareness();
				for (const other of room.conns) {
					if (other !== conn && other.ready && !other.closing) other.ws.send(query);
				}
				const inbox = conn.inbox;
				conn.inbox = [];
				for (const m of inbox) handleMessage(conn, m);
			},
			(error: unknown) => {
				log.error({ err: error, programId }, 'loading program failed');
				if (rooms.get(programId) === room) {
					rooms.delete(programId);
					metrics.loadedPrograms.set(rooms.size);
				}
				for (const c of room.conns)
					closeConn(c, CloseCode.INTERNAL_ERROR, 'program could not be loaded', 'error');
			}
		);
	}

	function refuse(
		request: HttpRequest,
		socket: Duplex,
		head: Buffer,
		code: number,
		reason: string
	) {
		// Complete the handshake, then close with the code: browsers can read a close code but
		// not an HTTP status of a failed upgrade. No document byte is ever sent.
		wss.handleUpgrade(request, socket, head, (ws) => {
			metrics.closes.inc({ code: String(code) });
			ws.close(code, reason);
			setTimeout(() => ws.terminate(), 5_000).unref();
		});
	}

	function handleUpgrade(request: HttpRequest, socket: Duplex, head: Buffer): boolean {
		const url = request.url ?? '';
		const path = url.split('?')[0] ?? '';
		if (!path.startsWith(SYNC_PATH_PREFIX)) return false;
		let programId = '';
		try {
			programId = decodeURIComponent(path.slice(SYNC_PATH_PREFIX.length));
		} catch {
			programId = '';
		}
		const ip = remoteAddress(request, config.trustedProxyHops);
		if (closing) {
			refuse(request, socket, head, CloseCode.SERVICE_RESTART, 'server restarting');
			return true;
		}
		const ipCount = perIp.get(ip) ?? 0;
		if (ipCount >= config.maxConnectionsPerIp) {
			metrics.rejected.inc({ reason: 'too_many_connections' });
			log.warn(
				{ ip, path: safeUrl(url), limit: config.maxConnectionsPerIp },
				'refusing connection: too many connections from this address'
			);
			refuse(request, socket, head, CloseCode.TOO_MANY_CONNECTIONS, 'too many connections');
			return true;
		}
		perIp.set(ip, ipCount + 1);
		let counted = true;
		const release = () => {
			if (!counted) return;
			counted = false;
			const n = (perIp.get(ip) ?? 1) - 1;
			if (n <= 0) perIp.delete(ip);
			else perIp.set(ip, n);
		};
		// A module-level no-op: a closure here would keep this function's context (the request and
		// `head`) alive for the connection's whole life.
		socket.on('error', ignoreError);
		// A socket that dies before the handshake completes gives its slot back.
		socket.once('close', release);
		authorize(request, programId)
			.then((result) => {
				if (!isDenied(result) && !PROGRAM_ID.test(programId)) result = { deny: 'not_found' };
				if (isDenied(result)) {
					release();
					metrics.authFailures.inc({ reason: result.deny });
					const { code, reason } = DENY_CODES[result.deny];
					log.info(
						{ ip, path: safeUrl(url), closeCode: code, reason: result.deny },
						'refusing sync connection'
					);
					refuse(request, socket, head, code, reason);
					return;
				}
				if (closing) {
					release();
					refuse(request, socket, head, CloseCode.SERVICE_RESTART, 'server restarting');
					return;
				}
				const grant = result;
				wss.handleUpgrade(request, socket, head, (ws) => {
					// The per-IP count now belongs to the connection (released in onClose).
					counted = false;
					socket.off('close', release);
					setupConnection(ws, request, programId, grant, ip);
				});
			})
			.catch((error: unknown) => {
				release();
				log.error({ err: error, path: safeUrl(url) }, 'authorization failed');
				refuse(request, socket, head, CloseCode.INTERNAL_ERROR, 'server error');
			});
		return true;
	}

	// ------------------------------------------------------------ keep-alive

	// Summaries left behind by a crash (commit done, debounced summary not yet computed) are
	// recomputed once at start-up, for programs nobody reopens soon.
	const staleSweep = setTimeout(() => {
		void (async () => {
			const stale = (await store.staleSummaries?.()) ?? [];
			if (stale.length) log.info({ programs: stale.length }, 'recomputing summaries left behind');
			for (const id of stale) {
				if (closing) return;
				await withRoom(id, (room) => flushRoomSummary(room));
			}
		})().catch((error: unknown) => log.error({ err: error }, 'stale summary sweep failed'));
	}, config.summaryDebounceMs);
	staleSweep.unref();

	const heartbeat = setInterval(() => {
		for (const conn of conns) {
			if (!conn.alive) {
				log.info(
					{ conn: conn.id, programId: conn.info.programId },
					'terminating dead connection (no pong)'
				);
				metrics.closes.inc({ code: 'dead' });
				conn.ws.terminate();
				continue;
			}
			conn.alive = false;
			try {
				conn.ws.ping();
			} catch {
				conn.ws.terminate();
			}
		}
	}, config.pingIntervalMs);
	heartbeat.unref();

	// ------------------------------------------------------------ public API

	async function flush(): Promise<void> {
		while (flushing || queue.length > 0) {
			if (flushing) await flushing;
			else await runFlush();
		}
		await writeFacts();
	}

	async function withRoom<T>(programId: string, fn: (room: Room) => Promise<T>): Promise<T> {
		if (!rooms.has(programId) && !(await store.programExists(programId))) {
			throw new Error(`unknown program ${programId}`);
		}
		const room = acquireRoom(programId);
		room.holds++;
		try {
			await room.loaded;
			return await fn(room);
		} finally {
			room.holds--;
			maybeUnloadLater(room);
		}
	}

	return {
		metrics,
		handleUpgrade,
		applyServerEdit(programId, author, edit) {
			return withRoom(programId, (room) => {
				const run = room.editChain.then(async (): Promise<ServerEditResult> => {
					const doc = new Y.Doc();
					const updates: Uint8Array[] = [];
					try {
						Y.applyUpdate(doc, roomState(room));
						doc.on('update', (u: Uint8Array) => updates.push(u));
						// Same origin as the program core's ProgramEditor uses for this user.
						doc.transact(() => edit(doc, author), userOrigin(author.userId));
					} finally {
						doc.destroy();
					}
					if (updates.length === 0) return { update: null };
					const update =
						updates.length === 1 ? (updates[0] as Uint8Array) : Y.mergeUpdates(updates);
					if (roomSize(room) + update.length > config.maxDocumentBytes) {
						metrics.rejected.inc({ reason: 'document_too_large' });
						throw new Error('document too large');
					}
					const inspection = inspectUpdate(update);
					// The edit's (fresh, random) client id is the author's from now on.
					const claims = claimClientIds(room, author.userId, inspection.clients);
					if (claims === null) throw new Error('server edit collided with a client id in use');
					await new Promise<void>((resolve, rejectEdit) => {
						enqueue({
							room,
							conn: null,
							update,
							ranges: inspection.ranges,
							receivedAt: now(),
							...(claims.length > 0
								? { claims: { userId: author.userId, clientIds: claims } }
								: {}),
							done: { resolve, reject: rejectEdit }
						});
					});
					log.info(
						{ programId, author: author.userId, bytes: update.length },
						'server edit applied'
					);
					return { update };
				});
				room.editChain = run.catch(() => undefined);
				return run;
			});
		},
		closeWhere(predicate, code, reason = 'closed by server') {
			let n = 0;
			for (const conn of conns) {
				if (!conn.closing && predicate({ ...conn.info })) {
					closeConn(conn, code, reason);
					n++;
				}
			}
			return n;
		},
		connections: () => [...conns].map((c) => ({ ...c.info })),
		loadedPrograms: () => [...rooms.keys()],
		getDocument(programId) {
			return withRoom(programId, async (room) => roomState(room));
		},
		flush,
		async flushSummaries() {
			await flush();
			if (summaryRunning) await summaryRunning;
			await runSummaries(true);
		},
		async close() {
			if (closing) return;
			closing = true;
			clearTimeout(staleSweep);
			clearInterval(heartbeat);
			if (factsTimer) clearTimeout(factsTimer);
			await flush();
			const open = [...conns];
			for (const conn of open)
				closeConn(conn, CloseCode.SERVICE_RESTART, 'server restarting', 'debug');
			await Promise.race([
				Promise.all(
					open.map(
						(c) =>
							new Promise<void>((resolve) => {
								if (c.ws.readyState === c.ws.CLOSED) resolve();
								else c.ws.once('close', () => resolve());
							})
					)
				),
				new Promise((resolve) => setTimeout(resolve, 2_000).unref())
			]);
			for (const conn of open) conn.ws.terminate();
			for (const room of rooms.values()) if (room.idleTimer) clearTimeout(room.idleTimer);
			if (summaryTimer) clearTimeout(summaryTimer);
			if (summaryRunning) await summaryRunning;
			await runSummaries(true);
			await flush();
			wss.close();
			await store.close?.();
		}
	};
}
