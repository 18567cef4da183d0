/**
 * Compaction on PostgreSQL, the one DocumentStore operation whose logic differs by database.
 *
 * Several instances may append to one program, and a log row with a lower sequence number can
 * commit after one with a higher number. So compaction runs under a per-program advisory lock and
 * merges, in the database transaction, the stored state, the caller's merged bytes and exactly the
 * log rows it can see up to `throughSeq`, and deletes exactly those rows. A row it could not see
 * stays in the log and `load` reads every remaining row, whatever its number: nothing
 * acknowledged is ever dropped (merging Yjs updates is idempotent).
 */
import type pg from 'pg';
import * as Y from 'yjs';
import type { CompactStrategy } from '../sql-document-store.js';
import { withTransaction } from './database.js';

/** Stable 32-bit key of a program for transaction-scoped advisory locks (compaction). */
export const PROGRAM_LOCK_SPACE = 1_013;

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const buf = (u: Uint8Array): Buffer =>
	Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export function postgresCompaction(pool: pg.Pool): CompactStrategy {
	return async (programId, merged, _stateVector, throughSeq) => {
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
	};
}
