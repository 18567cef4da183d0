/**
 * The DocumentStore (server/storage/document-store.ts), written once over the SQL client for
 * both databases. What differs between them is passed in, nowhere else:
 *
 * - `write`: where write batches run. SQLite's relay store runs them on a second connection in a
 *   writer thread (server/storage/sqlite/writer-thread.ts), so fsyncs never block the event loop;
 *   otherwise the client's own batch.
 * - where appends go: SQLite appends to a small recent table and moves its rows to the log in
 *   bulk (server/storage/sqlite/recent-log.ts); PostgreSQL to the log. Reads take both tables.
 * - `compact`: SQLite has one writer, so compaction is a guarded upsert of the verified merge of
 *   the stored parts and a delete of exactly the log rows it verified. PostgreSQL instances append concurrently and a lower sequence
 *   number can commit after a higher one, so its compaction merges under a per-program lock what
 *   it can see (server/storage/postgres/compact.ts).
 *
 * Every write batch also writes what the curator index derives from it (curator-index.ts): the
 * summary's index entry with the summary, the sync aggregate with the device facts.
 */
import { indexEntryStatements, syncAggregateStatements } from './curator-index.js';
import type {
	AppendedUpdate,
	DeviceSyncFacts,
	DeviceSyncRecord,
	DeviceSyncRow,
	DocumentStore,
	ProgramRecord,
	StoredDocument,
	StoredSummary
} from './document-store.js';
import { inlineMergeVerifier, type MergeVerifier } from './update-containment.js';
import { SUMMARY_VERSION } from '../../src/lib/shared/program/summary.js';
import { dialectSql, type BatchRunner, type SqlClient, type Statement } from './sql.js';
import { MOVE_EVERY_MS, RecentLogMover } from './sqlite/recent-log.js';

export type CompactStrategy = DocumentStore['compact'];

export type SqlDocumentStore = DocumentStore & {
	close(): Promise<void>;
	/** Moves SQLite's recent log rows to the log now (tests; a timer does it otherwise). */
	moveRecentLog(): Promise<number>;
};

export interface SqlDocumentStoreOptions {
	/** Runs write batches (default: `sql.batch`). */
	write?: BatchRunner;
	/** Compaction (default: the single-writer one below). */
	compact?: CompactStrategy;
	/** Offer `staleSummaries` (the start-up sweep of the single-instance server). */
	staleSummaries?: boolean;
	/** Releases what `write` holds (the writer thread). */
	close?: () => Promise<void>;
	/** Where compaction merges and verifies (default: inline; the server passes its worker pool). */
	verify?: MergeVerifier;
	/** SQLite: how often the recent log is moved (default MOVE_EVERY_MS; tests move it themselves). */
	moveEveryMs?: number;
}

/** Rows per multi-row INSERT (SQLite allows 32,766 parameters, PostgreSQL 65,535). */
const ROWS_PER_INSERT = 500;

/**
 * The log's rows of a program are found by its number (migration 152), looked up in the
 * statement itself.
 */
export const LOG_KEY = '(SELECT key FROM program_log_keys WHERE program_id = ?)';

/**
 * An appended row's number: the one `load` read when known, else looked up (`coalesce` stops at
 * the first non-null argument, so a known number skips the lookup). The lookup was 35–40 % of
 * the INSERT's CPU on SQLite (4.7–5.5 against 3.2–3.6 µs a row: scripts/bench-log-insert.ts,
 * issue 18). The remembered numbers cannot disagree with the table: a program's number
 * is written once, when the program is created, and no program is ever deleted.
 */
export const APPENDED_LOG_KEY = `coalesce(?, ${LOG_KEY})`;
/** Programs whose number `load` remembers; past this many the memory starts again (bounded). */
const LOG_KEYS_KEPT = 100_000;

/**
 * The tables of the log; each row is in exactly one of them. The recent one takes SQLite's
 * appends (migration 153, server/storage/sqlite/recent-log.ts), its mover sorts them into the
 * log clustered by program and, too big for it, into the big rows' table (migration 155,
 * sqlite/clustered-log.ts). PostgreSQL appends to `program_updates`; its other two are empty
 * unless migrate-storage copied rows into them.
 */
export const LOG_TABLES = ['program_updates', 'program_updates_recent', 'program_updates_large'];

/**
 * The log's rows of a program in all its tables. `where` is added to each; the parameters are
 * the program's id and `extra`, once per table.
 */
function logRows(columns: string, where = '') {
	const one = (table: string) =>
		`SELECT ${columns} FROM ${table} WHERE program_key = ${LOG_KEY}${where}`;
	return {
		sql: LOG_TABLES.map(one).join(' UNION ALL '),
		params: (programId: string, ...extra: unknown[]) =>
			LOG_TABLES.flatMap(() => [programId, ...extra])
	};
}

const LOAD_ROWS = logRows('seq, data');
const COMPACTED_ROWS = logRows('seq, data', ' AND seq <= ?');

/**
 * A batch's log rows as INSERTs of 256, 128, … 1 rows (its size in binary): a handful of
 * statement texts, prepared once, instead of one text per batch size.
 */
function logInserts(
	updates: AppendedUpdate[],
	table: string,
	keyOf: (programId: string) => number | undefined
): Statement[] {
	const out: Statement[] = [];
	let at = 0;
	for (let size = 256; size >= 1; size >>= 1) {
		while (updates.length - at >= size) {
			const part = updates.slice(at, at + size);
			at += size;
			out.push({
				sql: `INSERT INTO ${table} (program_id, program_key, data, received_at)
						VALUES ${part.map(() => `(?, ${APPENDED_LOG_KEY}, ?, ?)`).join(', ')} RETURNING seq`,
				params: part.flatMap((u) => [
					u.programId,
					keyOf(u.programId) ?? null,
					u.programId,
					u.data,
					u.receivedAt
				])
			});
		}
	}
	return out;
}

const bytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function chunks<T>(list: T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
	return out;
}

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** NULL-ignoring "larger of the stored and the new value" (never move a fact backwards). */
const later = (c: string) =>
	`${c} = CASE WHEN excluded.${c} IS NULL OR program_device_sync.${c} >= excluded.${c}
		THEN program_device_sync.${c} ELSE excluded.${c} END`;

const FACTS_UPSERT = `INSERT INTO program_device_sync (program_id, user_id, device_id, last_connected_at,
		last_update_at, last_in_sync_at, pending, pending_reported_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (program_id, user_id, device_id) DO UPDATE SET
		${later('last_connected_at')}, ${later('last_update_at')}, ${later('last_in_sync_at')},
		pending = CASE WHEN excluded.pending_reported_at IS NOT NULL
				AND excluded.pending_reported_at >= coalesce(program_device_sync.pending_reported_at, 0)
			THEN excluded.pending ELSE program_device_sync.pending END,
		${later('pending_reported_at')}`;

/**
 * A summary replaces the stored one only if it is not older: a higher `throughSeq` (it saw
 * later updates), or the same one computed no earlier. Compared in the database, in the write.
 */
const SUMMARY_UPSERT = `INSERT INTO program_summaries (program_id, summary, doc_bytes, through_seq, computed_at)
	VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (program_id) DO UPDATE SET summary = excluded.summary, doc_bytes = excluded.doc_bytes,
		through_seq = excluded.through_seq, computed_at = excluded.computed_at
	WHERE program_summaries.through_seq < excluded.through_seq
		OR (program_summaries.through_seq = excluded.through_seq
			AND program_summaries.computed_at <= excluded.computed_at)`;

export function createSqlDocumentStore(
	sql: SqlClient,
	options: SqlDocumentStoreOptions = {}
): SqlDocumentStore {
	const write = options.write ?? sql.batch;
	const verify = options.verify ?? inlineMergeVerifier;
	const { bytewise, greatest, jsonInt } = dialectSql(sql.dialect);
	// SQLite appends to the recent table and moves its rows to the log in bulk; PostgreSQL's
	// instances append concurrently to the log itself.
	const recent =
		sql.dialect === 'sqlite'
			? new RecentLogMover(sql, write, {
					everyMs: options.moveEveryMs ?? MOVE_EVERY_MS,
					onError: (e) =>
						console.error(`[storage] moving the recent update log failed: ${e.message}`)
				})
			: null;
	const logTable = recent ? 'program_updates_recent' : 'program_updates';
	/** Program id → its log's number, as `load` read it (APPENDED_LOG_KEY). */
	const logKeys = new Map<string, number>();
	const keyOf = (programId: string) => logKeys.get(programId);

	/** Device facts, in a fixed order (concurrent PostgreSQL writers lock rows alike), and the
	 * sync aggregate of each program they touch. */
	const factStatements = (facts: DeviceSyncFacts[]): Statement[] => {
		const sorted = [...facts].sort(
			(a, b) =>
				byKey(a.programId, b.programId) ||
				byKey(a.userId, b.userId) ||
				byKey(a.deviceId, b.deviceId)
		);
		const programs = [...new Set(sorted.map((f) => f.programId))];
		return [
			...sorted.map((f) => ({
				sql: FACTS_UPSERT,
				params: [
					f.programId,
					f.userId,
					f.deviceId,
					f.lastConnectedAt ?? null,
					f.lastUpdateAt ?? null,
					f.lastInSyncAt ?? null,
					f.pending ?? null,
					f.pendingReportedAt ?? null
				]
			})),
			...programs.flatMap((p) => syncAggregateStatements(sql.dialect, p))
		];
	};

	/**
	 * Single-writer compaction (SQLite): reads the stored state and the log rows through
	 * `throughSeq` in one snapshot, merges and verifies them (`verify`: inline or in the worker
	 * pool), then in one commit replaces the state — only if no other compaction replaced it
	 * meanwhile — and deletes the program's log rows up to the last one it verified. Those are
	 * exactly the rows it read: one writer draws the numbers in commit order, so no row numbered
	 * below a committed one can commit later (a move keeps a row's number, hence both tables).
	 * The log is clustered by program (migration 154), so the range delete touches the program's
	 * few pages, not one page per row, and needs no cutting into small commits.
	 */
	const compactSingleWriter: CompactStrategy = async (programId, merged, _sv, throughSeq) => {
		const [state, log] = await sql.batch(
			[
				{
					sql: 'SELECT data, state_vector, through_seq, compacted_at FROM program_state WHERE program_id = ?',
					params: [programId]
				},
				{
					sql: `${COMPACTED_ROWS.sql} ORDER BY seq`,
					params: COMPACTED_ROWS.params(programId, throughSeq)
				}
			],
			{ snapshot: true }
		);
		const current = state?.rows[0] as
			| { data: Uint8Array; state_vector: Uint8Array; through_seq: number; compacted_at: number }
			| undefined;
		const rows = (log?.rows ?? []) as Array<{ seq: number; data: Uint8Array }>;
		const last = rows.at(-1);
		if (!last) return { status: 'skipped' };
		const verdict = await verify({
			parts: [...(current ? [bytes(current.data)] : []), ...rows.map((r) => bytes(r.data))],
			candidate: merged,
			stateVector: current ? bytes(current.state_vector) : null
		});
		if (!verdict.ok) return { status: 'refused', reason: verdict.reason, detail: verdict.detail };
		const newThrough = Math.max(Number(current?.through_seq ?? 0), throughSeq);
		const results = await write([
			{
				// Replaces the state only as it was read: a compaction racing this one wins or loses whole.
				sql: `INSERT INTO program_state (program_id, data, state_vector, through_seq, compacted_at)
					VALUES (?, ?, ?, ?, ?)
					ON CONFLICT (program_id) DO UPDATE SET data = excluded.data,
						state_vector = excluded.state_vector, through_seq = excluded.through_seq,
						compacted_at = excluded.compacted_at
					WHERE program_state.through_seq = ? AND program_state.compacted_at = ?`,
				params: [
					programId,
					verdict.merged,
					verdict.stateVector,
					newThrough,
					Date.now(),
					current ? Number(current.through_seq) : -1,
					current ? Number(current.compacted_at) : -1
				]
			},
			...LOG_TABLES.map((table) => ({
				sql: `DELETE FROM ${table} WHERE program_key = ${LOG_KEY} AND seq <= ?`,
				params: [programId, last.seq],
				ifChanged: 0
			}))
		]);
		if (!((results[0]?.changes ?? 0) > 0)) return { status: 'skipped' };
		return { status: 'compacted', bytes: verdict.merged.length, rows: rows.length };
	};

	const saveSummaries = async (list: StoredSummary[]): Promise<void> => {
		if (list.length === 0) return;
		const statements: Statement[] = [];
		for (const x of [...list].sort((a, b) => byKey(a.programId, b.programId))) {
			const written = statements.length;
			statements.push(
				{
					sql: SUMMARY_UPSERT,
					params: [x.programId, JSON.stringify(x.summary), x.docBytes, x.throughSeq, x.computedAt]
				},
				...indexEntryStatements(sql.dialect, x.programId, x.summary, x.computedAt, written)
			);
		}
		await write(statements);
	};

	return {
		async close() {
			await recent?.stop();
			await options.close?.();
		},
		moveRecentLog: async () => (recent ? recent.moveNow() : 0),
		async programExists(programId) {
			return (
				(await sql.get('SELECT 1 AS one FROM programs WHERE id = ?', [programId])) !== undefined
			);
		},
		async createProgram(programId, organizationId = null) {
			await sql.batch([
				{
					sql: 'INSERT INTO programs (id, organization_id, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
					params: [programId, organizationId, new Date().toISOString()]
				},
				{
					sql: 'INSERT INTO program_log_keys (program_id) VALUES (?) ON CONFLICT (program_id) DO NOTHING',
					params: [programId]
				}
			]);
			const row = await sql.get<{ id: string; organization_id: string | null; created_at: string }>(
				'SELECT id, organization_id, created_at FROM programs WHERE id = ?',
				[programId]
			);
			if (!row) throw new Error(`program ${programId} was not created`);
			return {
				id: row.id,
				organizationId: row.organization_id,
				createdAt: row.created_at
			} satisfies ProgramRecord;
		},
		async load(programId): Promise<StoredDocument> {
			// One snapshot for the four reads, so a compaction committing between them cannot make
			// rows disappear from view. Every remaining log row is read, whatever its number: on
			// PostgreSQL a row committed late may sit below the state's through_seq.
			const [state, log, owners, logKey] = await sql.batch(
				[
					{
						sql: 'SELECT data, state_vector, through_seq FROM program_state WHERE program_id = ?',
						params: [programId]
					},
					{ sql: `${LOAD_ROWS.sql} ORDER BY seq`, params: LOAD_ROWS.params(programId) },
					{
						sql: 'SELECT client_id, user_id FROM program_client_owners WHERE program_id = ?',
						params: [programId]
					},
					{ sql: 'SELECT key FROM program_log_keys WHERE program_id = ?', params: [programId] }
				],
				{ snapshot: true }
			);
			const st = state?.rows[0] as
				{ data: Uint8Array; state_vector: Uint8Array; through_seq: number } | undefined;
			const rows = (log?.rows ?? []) as Array<{ seq: number; data: Uint8Array }>;
			const throughSeq = st?.through_seq ?? 0;
			const key = (logKey?.rows[0] as { key: number } | undefined)?.key;
			if (key !== undefined) {
				if (logKeys.size >= LOG_KEYS_KEPT) logKeys.clear();
				logKeys.set(programId, Number(key));
			}
			return {
				state: st ? bytes(st.data) : null,
				stateVector: st ? bytes(st.state_vector) : null,
				updates: rows.map((r) => bytes(r.data)),
				lastSeq: Math.max(throughSeq, rows[rows.length - 1]?.seq ?? 0),
				clientOwners: ((owners?.rows ?? []) as Array<{ client_id: number; user_id: string }>).map(
					(o): [number, string] => [Number(o.client_id), o.user_id]
				)
			};
		},
		async append(updates: AppendedUpdate[], facts: DeviceSyncFacts[] = []) {
			if (updates.length === 0 && facts.length === 0) return [];
			const inserts = logInserts(updates, logTable, keyOf);
			const claims = updates.flatMap((u) =>
				(u.claims?.clientIds ?? []).map((c) => [u.programId, c, u.claims?.userId ?? ''])
			);
			const results = await write([
				...inserts,
				...chunks(claims, ROWS_PER_INSERT).map((part): Statement => ({
					sql: `INSERT INTO program_client_owners (program_id, client_id, user_id)
							VALUES ${part.map(() => '(?, ?, ?)').join(', ')} ON CONFLICT DO NOTHING`,
					params: part.flat()
				})),
				...factStatements(facts)
			]);
			recent?.appended(updates.length);
			// Sequence numbers are drawn in insertion order; RETURNING's row order is not promised.
			return results
				.slice(0, inserts.length)
				.flatMap((r) => r.rows.map((x) => Number(x.seq)))
				.sort((a, b) => a - b);
		},
		compact: options.compact ?? compactSingleWriter,
		async logLength(programId) {
			const r = await sql.get<{ n: number }>(
				`SELECT count(*) AS n FROM (${LOAD_ROWS.sql}) AS log`,
				LOAD_ROWS.params(programId)
			);
			return Number(r?.n ?? 0);
		},
		async saveFacts(facts) {
			if (facts.length > 0) await write(factStatements(facts));
		},
		async getFacts(programId) {
			const rows = await sql.all<DeviceSyncRow>(
				`SELECT * FROM program_device_sync WHERE program_id = ?
				 ORDER BY user_id${bytewise}, device_id${bytewise}`,
				[programId]
			);
			return rows.map((x): DeviceSyncRecord => ({
				programId: x.program_id,
				userId: x.user_id,
				deviceId: x.device_id,
				lastConnectedAt: x.last_connected_at,
				lastUpdateAt: x.last_update_at,
				lastInSyncAt: x.last_in_sync_at,
				pending: x.pending,
				pendingReportedAt: x.pending_reported_at
			}));
		},
		saveSummary: (s) => saveSummaries([s]),
		saveSummaries,
		async getSummary(programId) {
			const row = await sql.get<{
				summary: string;
				doc_bytes: number;
				through_seq: number;
				computed_at: number;
			}>(
				'SELECT summary, doc_bytes, through_seq, computed_at FROM program_summaries WHERE program_id = ?',
				[programId]
			);
			if (!row) return null;
			return {
				programId,
				summary: JSON.parse(row.summary) as unknown,
				docBytes: row.doc_bytes,
				throughSeq: row.through_seq,
				computedAt: row.computed_at
			};
		},
		...(options.staleSummaries
			? {
					staleSummaries: async () =>
						(
							await sql.all<{ id: string }>(
								`SELECT p.id FROM programs p
								 LEFT JOIN program_summaries s ON s.program_id = p.id
								 WHERE ${greatest}(
									${LOG_TABLES.map(
										(table) => `coalesce((SELECT max(u.seq) FROM ${table} u
										JOIN program_log_keys k ON k.key = u.program_key WHERE k.program_id = p.id), 0),`
									).join('\n')}
									coalesce((SELECT st.through_seq FROM program_state st WHERE st.program_id = p.id), 0)
								 ) > coalesce(s.through_seq, 0)
								 OR (s.program_id IS NOT NULL AND coalesce(${jsonInt('s.summary', 'v')}, 0) <> ?)`,
								[SUMMARY_VERSION]
							)
						).map((r) => r.id)
				}
			: {})
	};
}
