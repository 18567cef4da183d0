/**
 * Compaction on PostgreSQL, the one DocumentStore operation whose logic differs by database.
 *
 * Several instances may append to one program, and a log row with a lower sequence number can
 * commit after one with a higher number. So compaction runs under a per-program advisory lock and
 * merges, in the database transaction, the stored state, the caller's merged bytes and exactly the
 * log rows it can see up to `throughSeq`, verifies the result contains each of them
 * (update-containment.ts; otherwise it replaces nothing), and deletes exactly those rows. A row it could not see
 * stays in the log and `load` reads every remaining row, whatever its number: nothing
 * acknowledged is ever dropped (merging Yjs updates is idempotent).
 */
import type pg from 'pg';
import type { CompactionOutcome } from '../document-store.js';
import { LOG_TABLES, type CompactStrategy } from '../sql-document-store.js';
import { inlineMergeVerifier, type MergeVerifier } from '../update-containment.js';
import { withTransaction } from './database.js';

/** Stable 32-bit key of a program for transaction-scoped advisory locks (compaction). */
export const PROGRAM_LOCK_SPACE = 1_013;

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const buf = (u: Uint8Array): Buffer =>
	Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export function postgresCompaction(
	pool: pg.Pool,
	verify: MergeVerifier = inlineMergeVerifier
): CompactStrategy {
	return (programId, merged, _stateVector, throughSeq) =>
		withTransaction(pool, async (client): Promise<CompactionOutcome> => {
			await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
				PROGRAM_LOCK_SPACE,
				programId
			]);
			const st = await client.query<{ data: Buffer; state_vector: Buffer; through_seq: number }>(
				'SELECT data, state_vector, through_seq FROM program_state WHERE program_id = $1 FOR UPDATE',
				[programId]
			);
			const current = st.rows[0];
			// The log's tables as every reader sees them: PostgreSQL appends every row to the log
			// itself; its big rows' table holds rows only in a database migrate-storage copied from
			// SQLite (migration 155), its recent table none.
			const rows = await client.query<{ seq: number; data: Buffer }>(
				`SELECT seq, data FROM (${LOG_TABLES.map(
					(table) => `SELECT seq, data FROM ${table}
					 WHERE program_key = (SELECT key FROM program_log_keys WHERE program_id = $1) AND seq <= $2`
				).join(' UNION ALL ')}) AS log ORDER BY seq`,
				[programId, throughSeq]
			);
			// Nothing to fold in: done (and never move the compacted state backwards).
			if (rows.rows.length === 0) return { status: 'skipped' };
			// Merged and verified while the lock is held (in the worker pool when the server has
			// one): the new state must contain the stored state, its state vector and every row.
			const verdict = await verify({
				parts: [...(current ? [bytes(current.data)] : []), ...rows.rows.map((r) => bytes(r.data))],
				candidate: merged,
				stateVector: current ? bytes(current.state_vector) : null
			});
			if (!verdict.ok) return { status: 'refused', reason: verdict.reason, detail: verdict.detail };
			const newThrough = Math.max(Number(current?.through_seq ?? 0), throughSeq);
			await client.query(
				`INSERT INTO program_state (program_id, data, state_vector, through_seq, compacted_at)
				 VALUES ($1, $2, $3, $4, $5)
				 ON CONFLICT (program_id) DO UPDATE SET data = EXCLUDED.data, state_vector = EXCLUDED.state_vector,
				   through_seq = EXCLUDED.through_seq, compacted_at = EXCLUDED.compacted_at`,
				[programId, buf(verdict.merged), buf(verdict.stateVector), newThrough, Date.now()]
			);
			for (const table of LOG_TABLES) {
				await client.query(`DELETE FROM ${table} WHERE seq = ANY($1::bigint[])`, [
					rows.rows.map((r) => r.seq)
				]);
			}
			return { status: 'compacted', bytes: verdict.merged.length, rows: rows.rows.length };
		});
}
