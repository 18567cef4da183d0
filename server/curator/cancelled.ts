/**
 * Cancelled programs (server/programs/records.ts, migration 75) are not monitored: a program
 * created by mistake or as a duplicate is neither a failure nor a success. Every curator query
 * over the index that counts or lists programs adds this condition.
 */
import type { SqlClient } from '../storage/sql.js';

export const notCancelled = (programIdColumn: string): string =>
	`${programIdColumn} NOT IN (SELECT program_id FROM program_cancellations)`;

/** The programs cancelled now (a small table: only mistakes and duplicates are in it). */
export async function cancelledProgramIds(db: SqlClient): Promise<Set<string>> {
	const rows = await db.all<{ program_id: string }>('SELECT program_id FROM program_cancellations');
	return new Set(rows.map((r) => r.program_id));
}
