/**
 * Storage of program documents for the relay. Async so that a PostgreSQL implementation can
 * follow the SQLite one (server/storage/sqlite/document-store.ts) without touching the relay.
 *
 * Model: per program, an append-only log of accepted Yjs updates (V1 encoding) plus one
 * compacted state row that merges every log row up to `throughSeq`. The document is
 * `mergeUpdates([state, ...log rows after throughSeq])`.
 */
export interface StoredDocument {
	/** Compacted state (merged log prefix), or null before the first compaction. */
	state: Uint8Array | null;
	/** State vector of `state` (Yjs V1 encoding), stored with it so loading needs no decode. */
	stateVector: Uint8Array | null;
	/** Log rows not yet compacted, in order. */
	updates: Uint8Array[];
	/** Highest log sequence number reflected by `state` + `updates` (0 when empty). */
	lastSeq: number;
	/** Which user first wrote under each Yjs client id of this program. */
	clientOwners: Array<[clientId: number, userId: string]>;
}

export interface AppendedUpdate {
	programId: string;
	data: Uint8Array;
	receivedAt: number;
	/**
	 * Yjs client ids this update claims for the first time, and the user who wrote it: stored
	 * with the update (first writer wins), so no participant can later write under another
	 * participant's client id (docs/relay.md, "Client ids belong to their writer").
	 */
	claims?: { userId: string; clientIds: number[] };
}

export interface DeviceSyncFacts {
	programId: string;
	userId: string;
	deviceId: string;
	lastConnectedAt?: number;
	lastUpdateAt?: number;
	lastInSyncAt?: number;
	pending?: number;
	pendingReportedAt?: number;
}

/** The table row of `program_device_sync` (as both databases return it). */
export interface DeviceSyncRow {
	program_id: string;
	user_id: string;
	device_id: string;
	last_connected_at: number | null;
	last_update_at: number | null;
	last_in_sync_at: number | null;
	pending: number | null;
	pending_reported_at: number | null;
}

/** A stored row of sync facts; null = never happened / never reported. */
export interface DeviceSyncRecord {
	programId: string;
	userId: string;
	deviceId: string;
	lastConnectedAt: number | null;
	lastUpdateAt: number | null;
	lastInSyncAt: number | null;
	pending: number | null;
	pendingReportedAt: number | null;
}

export interface StoredSummary {
	programId: string;
	summary: unknown;
	docBytes: number;
	throughSeq: number;
	computedAt: number;
}

/** What a compaction did (docs/relay.md, "No path drops stored bytes"). */
export type CompactionOutcome =
	| { status: 'compacted'; bytes: number; rows: number }
	/** Nothing to fold in, or another compaction got there first. */
	| { status: 'skipped' }
	/** The merge failed or its result did not contain every stored part: nothing replaced. */
	| { status: 'refused'; reason: 'merge_failed' | 'not_contained'; detail: string };

export interface ProgramRecord {
	id: string;
	organizationId: string | null;
	createdAt: string;
}

export interface DocumentStore {
	programExists(programId: string): Promise<boolean>;
	createProgram(programId: string, organizationId?: string | null): Promise<ProgramRecord>;
	load(programId: string): Promise<StoredDocument>;
	/**
	 * Appends updates of any number of programs and upserts device facts in ONE durable
	 * transaction (group commit). Resolves with the log sequence number of each update, in order.
	 */
	append(updates: AppendedUpdate[], facts?: DeviceSyncFacts[]): Promise<number[]>;
	/**
	 * Folds the log rows through `throughSeq` into the compacted state, atomically: merges the
	 * stored state and those rows (with `merged`, the caller's merge, as a candidate), verifies
	 * the result contains every one of them and the old state vector
	 * (server/storage/update-containment.ts), and only then replaces the state and deletes
	 * exactly the rows it verified. A merge that fails or misses anything replaces nothing:
	 * the outcome says "refused" and the log and the previous state stay as they are.
	 */
	compact(
		programId: string,
		merged: Uint8Array | null,
		stateVector: Uint8Array | null,
		throughSeq: number
	): Promise<CompactionOutcome>;
	/** Number of log rows not yet compacted. */
	logLength(programId: string): Promise<number>;
	saveFacts(facts: DeviceSyncFacts[]): Promise<void>;
	getFacts(programId: string): Promise<DeviceSyncRecord[]>;
	saveSummary(summary: StoredSummary): Promise<void>;
	/** Several summaries in one transaction (the relay's background summarizer). */
	saveSummaries(summaries: StoredSummary[]): Promise<void>;
	getSummary(programId: string): Promise<StoredSummary | null>;
	/**
	 * Programs whose stored summary is behind their stored updates: the server died between a
	 * commit and the debounced summary — or computed by older rules (a stored `v` other than
	 * SUMMARY_VERSION: what a summary holds changed with the server). Swept once at start-up.
	 * Optional: without it, a summary is brought up to date when its program is next loaded.
	 */
	staleSummaries?(): Promise<string[]>;
	/**
	 * SQLite: moves the recent part of the log to the log now (server/storage/sqlite/recent-log.ts;
	 * a timer does it otherwise). Resolves with the rows moved.
	 */
	moveRecentLog?(): Promise<number>;
	/** Releases resources (e.g. a writer thread); the relay calls it last in its close(). */
	close?(): Promise<void>;
}
