/**
 * Cancelled programs (server/programs/records.ts, migration 75) are not monitored: a program
 * created by mistake or as a duplicate is neither a failure nor a success. Every curator query
 * over the index that counts or lists programs adds this condition.
 */
export const notCancelled = (programIdColumn: string): string =>
	`${programIdColumn} NOT IN (SELECT program_id FROM program_cancellations)`;
