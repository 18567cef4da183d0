/**
 * The byte-level document of one program, as the relay holds it: the persisted state (merged
 * update bytes + state vector, no Y.Doc) and the tail of updates made durable since. Pure: no
 * sockets, no timers, no storage calls; the relay's rooms (rooms.ts) wrap it with sessions and
 * housekeeping. Design: docs/relay.md ("Memory").
 */
import * as Y from 'yjs';
import type { StoredDocument } from '../storage/document-store.js';
import { coverageOf, INLINE_MERGE_BYTES } from '../storage/update-containment.js';
import { mergeUpdatesInRuns } from '../../src/lib/shared/merge-updates.js';
import { UpdateLog } from './update-log.js';
import {
	decodeStateVector,
	encodeStateVector,
	inspectUpdate,
	stateVectorCovers
} from './protocol.js';

export const EMPTY_UPDATE: Uint8Array = new Uint8Array([0, 0]);
export const EMPTY_STATE_VECTOR: Uint8Array = new Uint8Array([0]);
/** The owners of a document no one has written to (shared, never written). */
const NO_OWNERS: ReadonlyMap<number, string> = new Map();
/**
 * Merge the unmerged tail into the state once it is this long, to bound memory and work: at
 * MAX_TAIL plus up to half of it again, drawn per document. Programs edited at the same pace
 * since the same moment (every room loads at once after a restart) would otherwise all merge
 * at the same update: in bench:relay's long-blank run 1,000 programs did, ~125 s in, and the
 * relay stalled 2.4 s.
 */
const MAX_TAIL = 256;
const tailLimit = () => MAX_TAIL + Math.floor(Math.random() * (MAX_TAIL / 2));
/**
 * …and once its bytes pass 64 KB plus up to half of it again, drawn the same way (and more than
 * the state's: a big document's tail may be as big as it). A fixed 64 KB made programs edited
 * alike, with updates of a like size, merge at the same update, as the count did.
 */
const MAX_TAIL_BYTES = 64 * 1024;
const tailBytesLimit = () => MAX_TAIL_BYTES + Math.floor(Math.random() * (MAX_TAIL_BYTES / 2));

/** Per client, the contiguous clock range an update carries; null when it has a gap. */
export type ClockRanges = Map<number, [number, number]> | null;

/** Told about stored rows that cannot be decoded or merged (never expected: updates are validated). */
export interface RoomProblems {
	undecodableRow(error: unknown): void;
	/** A merge of stored parts failed; nothing was dropped (the parts are kept as they are). */
	mergeFailed(error: unknown, parts: number, bytes: number): void;
}

const SILENT: RoomProblems = {
	undecodableRow: () => undefined,
	mergeFailed: () => undefined
};

/** A merge of stored parts failed: the caller keeps the parts (never a merge that skips some). */
export class MergeFailedError extends Error {
	constructor(override readonly cause: unknown) {
		super(
			`merging stored updates failed: ${cause instanceof Error ? cause.message : String(cause)}`
		);
		this.name = 'MergeFailedError';
	}
}

/**
 * Merges updates, all of them or none: a merge that throws is reported and rethrown as
 * MergeFailedError. (It once fell back to merging part by part and skipping what failed — which
 * turned a 48,980-byte stored state into a 2-byte empty one that compaction then stored.)
 */
export function mergeSafely(parts: Uint8Array[], problems: RoomProblems = SILENT): Uint8Array {
	try {
		return mergeUpdatesInRuns(parts);
	} catch (error) {
		problems.mergeFailed(
			error,
			parts.length,
			parts.reduce((n, p) => n + p.length, 0)
		);
		throw new MergeFailedError(error);
	}
}

/**
 * What a compaction proposes: the merged document through `throughSeq` (null when the parts do
 * not merge: the store then merges and verifies the stored parts itself, and refuses), covering
 * `rows` log rows.
 */
export interface CompactionInput {
	merged: Uint8Array | null;
	stateVector: Uint8Array | null;
	throughSeq: number;
	rows: number;
}

/**
 * The state vector of several updates without merging them: per client, the clock up to which
 * the structs of the parts that decode are contiguous from 0. (A part that does not decode adds
 * nothing: nobody can read what it holds.)
 */
export function stateVectorOfParts(parts: Uint8Array[]): Map<number, number> {
	const ranges = new Map<number, Array<[number, number]>>();
	for (const p of parts) {
		try {
			for (const [client, list] of coverageOf(p).structs)
				ranges.set(client, [...(ranges.get(client) ?? []), ...list]);
		} catch {
			// undecodable: contributes nothing
		}
	}
	const sv = new Map<number, number>();
	for (const [client, list] of ranges) {
		list.sort((a, b) => a[0] - b[0]);
		let clock = 0;
		for (const [from, to] of list) {
			if (from > clock) break;
			clock = Math.max(clock, to);
		}
		if (clock > 0) sv.set(client, clock);
	}
	return sv;
}

/** Merges updates somewhere else (the worker pool); rejects when they cannot be merged. */
export type BackgroundMerge = (parts: Uint8Array[]) => Promise<Uint8Array>;

/**
 * A document at least this big merges its tail in the background when it can: the size under
 * which a compaction's merge and check run inline (update-containment.ts). Issue 18: a two-year
 * program (~94 KB) merging its 256-row tail took 30–150 ms of the event loop inline, on the
 * commit path, for every program every 256 updates.
 */
const BACKGROUND_MERGE_BYTES = INLINE_MERGE_BYTES;

export class RoomDocument {
	/** Merged persisted base state; together with `tail` it is the whole persisted document. */
	private state: Uint8Array = EMPTY_UPDATE;
	/** State vector of `state` alone (null: compute from `state` when needed). */
	private baseSv: Map<number, number> | null = new Map();
	/** The delete set of `state` as an update without structs (cached; null: not computed yet). */
	private baseDs: Uint8Array | null = null;
	/** Persisted updates not merged into `state` yet, in order (copied into one buffer). */
	private readonly tail = new UpdateLog();
	/**
	 * How many updates were absorbed in all, and how many of them the base already holds (the
	 * tail is the rest): a reader that decoded the document once asks `absorbedSince` for what
	 * came after (summary-docs.ts).
	 */
	private absorbedCount = 0;
	private mergedCount = 0;
	/** Merge the tail into the state once it is this long (raised after a failed merge). */
	private mergeTailAt = 0;
	/** …or once it holds more bytes than this (and than the state). */
	private mergeTailBytes = 0;
	/** State vector of the whole persisted document, or null when it must be recomputed. */
	private sv: Map<number, number> | null = new Map();
	private svBytes: Uint8Array | null = null;
	/** Highest log sequence number reflected here. */
	lastSeq = 0;
	/** Log rows stored since the last compaction (as far as this instance knows). */
	logRows = 0;
	/**
	 * Yjs client id → the user who first wrote under it (stored; docs/relay.md). This and the
	 * claims below are made at their first entry: an idle blank program has neither, and two
	 * empty collections were ~0.3 KB of heap for each (issue 18, the relay's idle memory).
	 */
	private ownerMap: Map<number, string> | null = null;
	/**
	 * Client ids claimed by an update that is not durable yet: their owner is known here but not
	 * in storage, so after a crash the first writer could be someone else (`claimsDurable`).
	 */
	private unconfirmedClaims: Set<number> | null = null;

	/** A background merge of the tail into the base is running (`background`). */
	private merging: Promise<void> | null = null;

	constructor(
		private readonly problems: RoomProblems = SILENT,
		/** Merges big documents off the event loop (the worker pool); null: inline. */
		private readonly background: BackgroundMerge | null = null,
		/**
		 * Tail entries merged by compaction rather than by count: the program's compaction
		 * threshold (rooms.ts), 0 without compaction. Compaction merges the tail anyway, so merging
		 * it first at 256–383 entries, and again at the threshold, merged each update twice
		 * (bench:relay long-blank: 11 % of the event loop's work in the run's third minute). The
		 * count still bounds the tail where compaction does not come (another instance leads it,
		 * or it was refused): at the threshold plus 256–383.
		 */
		private readonly tailMergeFloor = 0
	) {
		this.drawTailLimits();
	}

	private drawTailLimits(): void {
		this.mergeTailAt = this.tailMergeFloor + tailLimit();
		this.mergeTailBytes = tailBytesLimit();
	}

	/** After a failed merge: try again when the tail has doubled, not after every update. */
	private backOff(): void {
		this.mergeTailAt = this.tail.length * 2;
		this.mergeTailBytes = this.tail.byteLength * 2;
	}

	/**
	 * The document as stored. No decoding of the compacted state: its state vector is stored
	 * with it, and the log rows after it stay an unmerged tail until someone needs the merged form.
	 */
	static fromStored(
		stored: StoredDocument,
		problems: RoomProblems = SILENT,
		background: BackgroundMerge | null = null,
		tailMergeFloor = 0
	): RoomDocument {
		const room = new RoomDocument(problems, background, tailMergeFloor);
		room.state = stored.state ?? EMPTY_UPDATE;
		room.baseSv = stored.state
			? stored.stateVector
				? decodeStateVector(stored.stateVector)
				: null
			: new Map();
		room.sv = room.baseSv ? new Map(room.baseSv) : null;
		room.lastSeq = stored.lastSeq;
		for (const row of stored.updates) {
			let ranges: ClockRanges = null;
			try {
				ranges = inspectUpdate(row).ranges;
			} catch (error) {
				problems.undecodableRow(error);
			}
			room.absorb(row, ranges, stored.lastSeq);
		}
		room.logRows = stored.updates.length;
		for (const [client, user] of stored.clientOwners) room.setOwner(client, user);
		return room;
	}

	/** Bytes held (merged state + unmerged tail). */
	get bytes(): number {
		return this.state.length + this.tail.byteLength;
	}

	/** Applies a persisted update (called synchronously once it is durable). */
	absorb(update: Uint8Array, ranges: ClockRanges, seq: number): void {
		this.tail.push(update);
		this.absorbedCount++;
		this.lastSeq = Math.max(this.lastSeq, seq);
		this.logRows++;
		if (this.sv && ranges) {
			for (const [client, [from, to]] of ranges) {
				const cur = this.sv.get(client) ?? 0;
				if (from > cur) {
					this.sv = null; // a gap: the update is pending until its dependency arrives
					break;
				}
				if (to > cur) this.sv.set(client, to);
			}
		} else {
			this.sv = null;
		}
		this.svBytes = null;
		if (
			this.tail.length >= this.mergeTailAt ||
			(this.tail.byteLength > this.mergeTailBytes && this.tail.byteLength > this.state.length)
		) {
			if (this.background && this.bytes >= BACKGROUND_MERGE_BYTES) {
				void this.mergeInBackground();
				return;
			}
			try {
				this.merged();
				this.drawTailLimits();
			} catch {
				// Reported by mergeSafely; the parts stay as they are.
				this.backOff();
			}
		}
	}

	/**
	 * Merges the current tail into the base in the background (a big document: the worker pool),
	 * adopting the result only if nothing replaced the base meanwhile; updates absorbed since
	 * stay in the tail. A failure is reported and keeps every part.
	 */
	private mergeInBackground(): Promise<void> {
		if (this.merging || !this.background || this.tail.length === 0)
			return this.merging ?? Promise.resolve();
		const base = this.state;
		const taken = this.tail.length;
		const parts = this.parts();
		// The state vector of base + these rows, when known (it is the new base's).
		const sv = this.sv ? new Map(this.sv) : null;
		this.merging = this.background(parts)
			.then(
				(merged) => {
					if (this.state !== base || this.tail.length < taken) return; // merged inline meanwhile
					this.state = merged;
					this.mergedCount += taken;
					this.tail.dropFirst(taken);
					this.baseSv = this.tail.length === 0 ? (this.sv ? new Map(this.sv) : null) : sv;
					this.baseDs = null;
					this.drawTailLimits();
				},
				(error: unknown) => {
					this.problems.mergeFailed(
						error,
						parts.length,
						parts.reduce((n, p) => n + p.length, 0)
					);
					this.backOff();
				}
			)
			.finally(() => {
				this.merging = null;
			});
		return this.merging;
	}

	/**
	 * The merged document, merging a big one off the event loop first (getDocument, summaries,
	 * compaction). Throws MergeFailedError like `merged()`.
	 */
	async mergedAsync(): Promise<Uint8Array> {
		const offLoop = () => this.tail.length > 0 && this.bytes >= BACKGROUND_MERGE_BYTES;
		if (this.background && offLoop()) {
			if (this.merging) await this.merging;
			if (offLoop()) await this.mergeInBackground();
		}
		return this.merged();
	}

	/**
	 * The persisted document as its parts (the merged base, then the unmerged tail), without
	 * merging them: applying them in order to a Y.Doc gives the same document as `merged()`,
	 * for less than the merge (issue 18: summaries read the document this way).
	 */
	parts(): Uint8Array[] {
		return this.tail.length === 0 ? [this.state] : [this.state, ...this.tail.slice()];
	}

	/** A mark of what has been absorbed so far, for `absorbedSince`. */
	get absorbedMark(): number {
		return this.absorbedCount;
	}

	/**
	 * The updates absorbed after `mark` (from `absorbedMark`), in order: applied to a Y.Doc that
	 * held the document as of `mark`, they give the document now. null when some of them were
	 * merged into the base meanwhile (no longer to be told apart: decode the parts anew).
	 */
	absorbedSince(mark: number): Uint8Array[] | null {
		if (mark < this.mergedCount || mark > this.absorbedCount) return null;
		return this.tail.slice(mark - this.mergedCount);
	}

	/**
	 * The whole persisted document as one merged update (merges the tail into the base). Throws
	 * MergeFailedError when the parts cannot be merged; the state and the tail stay as they were.
	 */
	merged(): Uint8Array {
		if (this.tail.length > 0) {
			this.state = mergeSafely(this.parts(), this.problems);
			this.mergedCount += this.tail.length;
			this.tail.clear();
			this.baseSv = this.sv ? new Map(this.sv) : null;
			this.baseDs = null;
		}
		return this.state;
	}

	private baseStateVector(): Map<number, number> {
		if (!this.baseSv) {
			this.baseSv = decodeStateVector(Y.encodeStateVectorFromUpdate(this.state));
			if (this.tail.length === 0) this.sv = new Map(this.baseSv);
		}
		return this.baseSv;
	}

	stateVector(): Map<number, number> {
		if (!this.sv) {
			let merged: Uint8Array | null = null;
			try {
				merged = this.merged();
			} catch {
				// Reported by mergeSafely. The state vector is still known from the parts that
				// decode, one by one: the commit path (acknowledgements) must not fail with it.
			}
			this.sv = merged
				? decodeStateVector(Y.encodeStateVectorFromUpdate(merged))
				: stateVectorOfParts(this.parts());
			this.svBytes = null;
		}
		return this.sv;
	}

	stateVectorBytes(): Uint8Array {
		const sv = this.stateVector();
		// An empty program's is the shared constant: bytes of its own are a typed array and an
		// ArrayBuffer (~0.2 KB of heap) kept for every idle blank program (issue 18).
		this.svBytes ??= sv.size === 0 ? EMPTY_STATE_VECTOR : encodeStateVector(sv);
		return this.svBytes;
	}

	/** Whether the document holds everything a client with state vector `sv` has. */
	covers(sv: Map<number, number>): boolean {
		return stateVectorCovers(this.stateVector(), sv);
	}

	/**
	 * Sync step 2 for a client with state vector `sv`. Fast paths: an empty client gets the
	 * merged state as stored (no re-encoding); a client whose state vector covers the base's gets
	 * `diffUpdate(base, baseSv)` — the base's delete set plus any structs stored beyond a clock gap
	 * (not in a state vector), cached per base — and the recent tail (redundant structs are
	 * harmless). Otherwise Y.diffUpdate over the whole document.
	 */
	stepTwo(sv: Map<number, number>, svBytes: Uint8Array): Uint8Array {
		if (sv.size === 0) return this.merged();
		try {
			if (stateVectorCovers(sv, this.baseStateVector())) {
				this.baseDs ??= Y.diffUpdate(this.state, encodeStateVector(this.baseStateVector()));
				return this.tail.length === 0
					? this.baseDs
					: mergeUpdatesInRuns([this.baseDs, ...this.tail.slice()]);
			}
		} catch (error) {
			// Stored bytes Yjs cannot merge (written before update-guard.ts existed): answer from
			// the safely merged document instead of failing this client's sync.
			const parts = this.parts();
			this.problems.mergeFailed(
				error,
				parts.length,
				parts.reduce((n, p) => n + p.length, 0)
			);
		}
		return Y.diffUpdate(this.merged(), svBytes);
	}

	/**
	 * A Yjs client id belongs to the user who first wrote under it. Yjs identifies every struct by
	 * (client id, clock) and keeps the first one it sees, so a participant writing under the
	 * partner's id at the partner's next clock would make the partner's real edit vanish
	 * everywhere while the partner's phone shows it acknowledged (resilience campaign, hostile
	 * client). Returns the client ids newly claimed by this user, or null when one belongs to
	 * someone else (and `enforce` is on). Claims are taken at once so two updates of one batch
	 * cannot race.
	 */
	claimClientIds(userId: string, clients: Set<number>, enforce: boolean): number[] | null {
		const fresh: number[] = [];
		for (const c of clients) {
			const owner = this.owners.get(c);
			if (owner === undefined) fresh.push(c);
			else if (owner !== userId && enforce) return null;
		}
		if (fresh.length === 0) return fresh;
		const claims = (this.unconfirmedClaims ??= new Set());
		for (const c of fresh) {
			this.setOwner(c, userId);
			claims.add(c);
		}
		return fresh;
	}

	/** Yjs client id → the user who first wrote under it. */
	get owners(): ReadonlyMap<number, string> {
		return this.ownerMap ?? NO_OWNERS;
	}

	private setOwner(client: number, userId: string): void {
		(this.ownerMap ??= new Map()).set(client, userId);
	}

	/** The update that claimed these client ids is durable: so are the claims. */
	confirmClaims(clients: readonly number[]): void {
		const claims = this.unconfirmedClaims;
		if (!claims) return;
		for (const c of clients) claims.delete(c);
		if (claims.size === 0) this.unconfirmedClaims = null;
	}

	/** The update that claimed these client ids was not stored: neither are the claims. */
	withdrawClaims(clients: readonly number[]): void {
		const claims = this.unconfirmedClaims;
		if (!claims) return;
		for (const c of clients) if (claims.delete(c)) this.ownerMap?.delete(c);
		if (claims.size === 0) this.unconfirmedClaims = null;
	}

	/** Whether every owner of these client ids that is known here is also stored. */
	claimsDurable(clients: Iterable<number>): boolean {
		const claims = this.unconfirmedClaims;
		if (!claims) return true;
		for (const c of clients) if (claims.has(c)) return false;
		return true;
	}

	/** The client ids among `clients` that another user wrote under first. */
	foreignClientIds(userId: string, clients: Set<number>): number[] {
		const foreign: number[] = [];
		for (const c of clients) {
			const owner = this.owners.get(c);
			if (owner !== undefined && owner !== userId) foreign.push(c);
		}
		return foreign;
	}

	/**
	 * Whether the document already knows a client id, without decoding anything (the update
	 * guard asks on every update): its owners, plus the state vector when it is at hand.
	 */
	knowsClient(client: number): boolean {
		return this.owners.has(client) || (this.sv ?? this.baseSv)?.has(client) === true;
	}

	/** How many client ids the document knows, as cheaply as `knowsClient` (a lower bound). */
	knownClientCount(): number {
		return Math.max(this.owners.size, (this.sv ?? this.baseSv)?.size ?? 0);
	}

	/** Claims made on another instance: first writer wins, as in storage. */
	adoptClaims(claims: { userId: string; clientIds: number[] } | undefined): void {
		for (const c of claims?.clientIds ?? [])
			if (!this.owners.has(c)) this.setOwner(c, claims?.userId ?? '');
	}

	/** What compaction writes now; call `compacted(rows)` once it is stored. */
	compactionInput(): CompactionInput {
		let merged: Uint8Array | null = null;
		try {
			merged = this.merged();
		} catch {
			// Reported by mergeSafely; the store decides (and refuses without dropping anything).
		}
		return {
			merged,
			stateVector: merged ? encodeStateVector(this.baseStateVector()) : null,
			throughSeq: this.lastSeq,
			rows: this.logRows
		};
	}

	compacted(rows: number): void {
		this.logRows = Math.max(0, this.logRows - rows);
	}

	/**
	 * Catches up with the stored document (after a Redis outage, other instances may have stored
	 * updates this room never received): absorbs and returns what it lacked, or null.
	 */
	catchUp(stored: StoredDocument): Uint8Array | null {
		for (const [c, user] of stored.clientOwners) this.setOwner(c, user);
		const full = mergeSafely(
			[...(stored.state ? [stored.state] : []), ...stored.updates],
			this.problems
		);
		const diff = Y.diffUpdate(full, this.stateVectorBytes());
		const inspection = inspectUpdate(diff);
		if (inspection.empty) return null;
		this.absorb(diff, inspection.ranges, stored.lastSeq);
		return diff;
	}
}
