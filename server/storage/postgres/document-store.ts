import type pg from 'pg';
import * as Y from 'yjs';
import type {
	AppendedUpdate,
	DeviceSyncFacts,
	DeviceSyncRecord,
	DocumentStore,
	ProgramRecord,
	StoredDocument,
	StoredSummary
} from '../document-store.js';
import { withTransaction } from './database.js';

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const buf = (u: Uint8Array): Buffer =>
	Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Stable 32-bit key of a program for transaction-scoped advisory locks (compaction). */
export const PROGRAM_LOCK_SPACE = 1_013;

/** Multi-row upsert of device facts with the same "never go backwards" rules as SQLite. */
async function writeFacts(client: pg.PoolClient, facts: DeviceSyncFacts[]): Promise<void> {
	if (facts.length === 0) return;
	// Deterministic order: concurrent writers lock rows in the same order (no deadlock).
	const sorted = [...facts].sort((a, b) =>
		a.programId === b.programId
			? a.userId === b.userId
				? a.deviceId < b.deviceId
					? -1
					: 1
				: a.userId < b.userId
					? -1
					: 1
			: a.programId < b.programId
				? -1
				: 1
	);
	for (const f of sorted) {
		await client.query(
			`INSERT INTO program_device_sync AS d (program_id, user_id, device_id, last_connected_at, last_update_at,
			   last_in_sync_at, pending, pending_reported_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			 ON CONFLICT (program_id, user_id, device_id) DO UPDATE SET
			   last_connected_at = COALESCE(GREATEST(d.last_connected_at, EXCLUDED.last_connected_at), d.last_connected_at, EXCLUDED.last_connected_at),
			   last_update_at = COALESCE(GREATEST(d.last_update_at, EXCLUDED.last_update_at), d.last_update_at, EXCLUDED.last_update_at),
			   last_in_sync_at = COALESCE(GREATEST(d.last_in_sync_at, EXCLUDED.last_in_sync_at), d.last_in_sync_at, EXCLUDED.last_in_sync_at),
			   pending = CASE WHEN EXCLUDED.pending_reported_at IS NOT NULL AND EXCLUDED.pending_reported_at >= COALESCE(d.pending_reported_at, 0)
			              THEN EXCLUDED.pending ELSE d.pending END,
			   pending_reported_at = COALESCE(GREATEST(d.pending_reported_at, EXCLUDED.pending_reported_at), d.pending_reported_at, EXCLUDED.pending_reported_at)`,
			[
				f.programId,
				f.userId,
				f.deviceId,
				f.lastConnectedAt ?? null,
				f.lastUpdateAt ?? null,
				f.lastInSyncAt ?? null,
				f.pending ?? null,
				f.pendingReportedAt ?? null
			]
		);
	}
}

/**
 * PostgreSQL implementation of DocumentStore. Same contract as the SQLite one:
 *
 * - `append` is one transaction per group commit with one multi-row INSERT (unnest of arrays);
 *   it resolves after COMMIT, so the relay acknowledges only durable updates
 *   (`synchronous_commit` must stay `on`, the default).
 * - `compact` is one transaction under a per-program advisory lock. Several instances may append
 *   to one program, and a log row with a lower sequence number can commit after one with a higher
 *   number; so compaction merges, in the database transaction, the stored state, the caller's
 *   merged bytes and exactly the log rows it can see up to `throughSeq`, and deletes exactly those
 *   rows. A row it could not see stays in the log and `load` reads every remaining row, whatever
 *   its number: nothing acknowledged is ever dropped (merging Yjs updates is idempotent).
 */
export function createPostgresDocumentStore(pool: pg.Pool): DocumentStore & {
	close(): Promise<void>;
} {
	return {
		async close() {
			// The pool belongs to the storage bundle (server/storage/index.ts), which ends it.
		},
		async programExists(programId) {
			const r = await pool.query('SELECT 1 FROM programs WHERE id = $1', [programId]);
			return (r.rowCount ?? 0) > 0;
		},
		async createProgram(programId, organizationId = null) {
			await pool.query(
				'INSERT INTO programs (id, organization_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
				[programId, organizationId, new Date().toISOString()]
			);
			const r = await pool.query<{
				id: string;
				organization_id: string | null;
				created_at: string;
			}>('SELECT id, organization_id, created_at FROM programs WHERE id = $1', [programId]);
			const row = r.rows[0];
			if (!row) throw new Error(`program ${programId} was not created`);
			return {
				id: row.id,
				organizationId: row.organization_id,
				createdAt: row.created_at
			} satisfies ProgramRecord;
		},
		async load(programId): Promise<StoredDocument> {
			// One snapshot for both reads (REPEATABLE READ), so a compaction committing between them
			// cannot make rows disappear from view.
			return withTransaction(pool, async (client) => {
				await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
				const st = await client.query<{ data: Buffer; state_vector: Buffer; through_seq: number }>(
					'SELECT data, state_vector, through_seq FROM program_state WHERE program_id = $1',
					[programId]
				);
				const state = st.rows[0];
				const rows = await client.query<{ seq: number; data: Buffer }>(
					'SELECT seq, data FROM program_updates WHERE program_id = $1 ORDER BY seq',
					[programId]
				);
				const throughSeq = state?.through_seq ?? 0;
				const last = rows.rows[rows.rows.length - 1];
				const owners = await client.query<{ client_id: string; user_id: string }>(
					'SELECT client_id, user_id FROM program_client_owners WHERE program_id = $1',
					[programId]
				);
				return {
					state: state ? bytes(state.data) : null,
					stateVector: state ? bytes(state.state_vector) : null,
					updates: rows.rows.map((r) => bytes(r.data)),
					lastSeq: Math.max(throughSeq, last ? last.seq : 0),
					clientOwners: owners.rows.map((o): [number, string] => [Number(o.client_id), o.user_id])
				};
			});
		},
		async append(updates: AppendedUpdate[], facts: DeviceSyncFacts[] = []) {
			if (updates.length === 0 && facts.length === 0) return [];
			return withTransaction(pool, async (client) => {
				let seqs: number[] = [];
				if (updates.length > 0) {
					const r = await client.query<{ seq: number }>(
						`INSERT INTO program_updates (program_id, data, received_at)
						 SELECT p, d, r FROM unnest($1::text[], $2::bytea[], $3::bigint[]) WITH ORDINALITY AS u(p, d, r, n)
						 ORDER BY n
						 RETURNING seq`,
						[
							updates.map((u) => u.programId),
							updates.map((u) => buf(u.data)),
							updates.map((u) => u.receivedAt)
						]
					);
					// Identity values are drawn in insertion order (ORDER BY n); RETURNING's row order is
					// not guaranteed, so sort.
					seqs = r.rows.map((x) => x.seq).sort((a, b) => a - b);
					const claims = updates.flatMap((u) =>
						(u.claims?.clientIds ?? []).map(
							(c) => [u.programId, c, u.claims?.userId ?? ''] as const
						)
					);
					if (claims.length > 0)
						await client.query(
							`INSERT INTO program_client_owners (program_id, client_id, user_id)
							 SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])
							 ON CONFLICT DO NOTHING`,
							[claims.map((c) => c[0]), claims.map((c) => c[1]), claims.map((c) => c[2])]
						);
				}
				await writeFacts(client, facts);
				return seqs;
			});
		},
		async compact(programId, merged, _stateVector, throughSeq) {
			await withTransaction(pool, async (client) => {
				await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
					PROGRAM_LOCK_SPACE,
					programId
				]);
				const st = await client.query<{ data: Buffer; through_seq: number }>(
					'SELECT data, through_seq FROM program_state WHERE program_id = $1 FOR UPDATE',
					[programId]
				);
				const current = st.rows[0];
				const rows = await client.query<{ seq: number; data: Buffer }>(
					'SELECT seq, data FROM program_updates WHERE program_id = $1 AND seq <= $2 ORDER BY seq',
					[programId, throughSeq]
				);
				// Never move the compacted state backwards, and nothing to fold in: done.
				if (current && current.through_seq >= throughSeq && rows.rows.length === 0) return;
				const parts: Uint8Array[] = [];
				if (current) parts.push(bytes(current.data));
				parts.push(merged);
				for (const r of rows.rows) parts.push(bytes(r.data));
				const state = parts.length === 1 ? merged : Y.mergeUpdates(parts);
				const sv = Y.encodeStateVectorFromUpdate(state);
				const newThrough = Math.max(current?.through_seq ?? 0, throughSeq);
				await client.query(
					`INSERT INTO program_state (program_id, data, state_vector, through_seq, compacted_at)
					 VALUES ($1, $2, $3, $4, $5)
					 ON CONFLICT (program_id) DO UPDATE SET data = EXCLUDED.data, state_vector = EXCLUDED.state_vector,
					   through_seq = EXCLUDED.through_seq, compacted_at = EXCLUDED.compacted_at`,
					[programId, buf(state), buf(sv), newThrough, Date.now()]
				);
				if (rows.rows.length > 0) {
					await client.query('DELETE FROM program_updates WHERE seq = ANY($1::bigint[])', [
						rows.rows.map((r) => r.seq)
					]);
				}
			});
		},
		async logLength(programId) {
			const r = await pool.query<{ n: number }>(
				'SELECT count(*) AS n FROM program_updates WHERE program_id = $1',
				[programId]
			);
			return r.rows[0]?.n ?? 0;
		},
		async saveFacts(facts) {
			if (facts.length === 0) return;
			await withTransaction(pool, (client) => writeFacts(client, facts));
		},
		async getFacts(programId) {
			const r = await pool.query<{
				program_id: string;
				user_id: string;
				device_id: string;
				last_connected_at: number | null;
				last_update_at: number | null;
				last_in_sync_at: number | null;
				pending: number | null;
				pending_reported_at: number | null;
			}>(
				'SELECT * FROM program_device_sync WHERE program_id = $1 ORDER BY user_id COLLATE "C", device_id COLLATE "C"',
				[programId]
			);
			return r.rows.map((x): DeviceSyncRecord => ({
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
		async saveSummary(s) {
			await this.saveSummaries([s]);
		},
		async saveSummaries(list: StoredSummary[]) {
			if (list.length === 0) return;
			const sorted = [...list].sort((a, b) => (a.programId < b.programId ? -1 : 1));
			await withTransaction(pool, async (client) => {
				for (const x of sorted) {
					await client.query(
						`INSERT INTO program_summaries (program_id, summary, doc_bytes, through_seq, computed_at)
						 VALUES ($1, $2, $3, $4, $5)
						 ON CONFLICT (program_id) DO UPDATE SET summary = EXCLUDED.summary, doc_bytes = EXCLUDED.doc_bytes,
						   through_seq = EXCLUDED.through_seq, computed_at = EXCLUDED.computed_at`,
						[x.programId, JSON.stringify(x.summary), x.docBytes, x.throughSeq, x.computedAt]
					);
				}
			});
		},
		async getSummary(programId) {
			const r = await pool.query<{
				summary: string;
				doc_bytes: number;
				through_seq: number;
				computed_at: number;
			}>(
				'SELECT summary, doc_bytes, through_seq, computed_at FROM program_summaries WHERE program_id = $1',
				[programId]
			);
			const row = r.rows[0];
			if (!row) return null;
			return {
				programId,
				summary: JSON.parse(row.summary) as unknown,
				docBytes: row.doc_bytes,
				throughSeq: row.through_seq,
				computedAt: row.computed_at
			};
		}
	};
}
