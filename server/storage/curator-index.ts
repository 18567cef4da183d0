/**
 * The curator dashboard's index (`curator_program_index`, `curator_program_search`,
 * `curator_program_users`), written by the document store in the same transaction as what it
 * derives from: the summary columns with the summary (rows computed in TypeScript by
 * `curatorIndexEntry`, src/lib/shared/program/index-row.ts), the sync aggregate with the device
 * facts. Until migration 31 database triggers in two SQL dialects did this; they re-encoded
 * ProgramSummary in SQL. Here it is once, as statements of a batch (server/storage/sql.ts).
 */
import { curatorIndexEntry, type CuratorIndexRow } from '../../src/lib/shared/program/index-row.js';
import { figureFacts } from '../../src/lib/shared/figures.js';
import { dialectSql, type Dialect, type SqlClient, type Statement } from './sql.js';

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * Statements that write the index entry of a program from its summary, with its sync aggregate.
 * With `ifChanged`, each runs only if that earlier statement of the batch (the summary's write)
 * changed a row.
 *
 * Row locks are taken in the order every writer of these tables takes them: the program's users'
 * rows (`curator_program_users`), then its index row. The device facts' sync aggregate
 * (syncAggregateStatements) goes users, then index; this went index, then users, and two writers
 * of one program (a summary, a device's facts) deadlocked on PostgreSQL (40P01, CI rehearsal of
 * 8770d16; tests/integration/postgres-store.test.ts). The users who stay keep their rows (only
 * those no longer in the summary are deleted): a facts write waiting on a deleted and re-inserted
 * row would skip it, and leave its device count as the summary's transaction saw it.
 */
export function indexEntryStatements(
	dialect: Dialect,
	programId: string,
	summary: unknown,
	computedAt: number,
	ifChanged?: number,
	/** Write the history row too (false only for a schema from before migration 81). */
	history = true
): Statement[] {
	const { row, search, users } = curatorIndexEntry(summary);
	const columns = Object.keys(row) as Array<keyof CuratorIndexRow>;
	const written = ['organization_id', 'computed_at', ...columns];
	const [usersAggregate, indexAggregate] = syncAggregateStatements(dialect, programId, ifChanged);
	const statements: Statement[] = [
		{
			sql: `DELETE FROM curator_program_users WHERE program_id = ?${users.length > 0 ? ` AND user_id NOT IN (${placeholders(users.length)})` : ''}`,
			params: [programId, ...users],
			ifChanged
		}
	];
	if (users.length > 0)
		statements.push({
			sql: `INSERT INTO curator_program_users (program_id, user_id)
				VALUES ${users.map(() => '(?, ?)').join(', ')} ON CONFLICT DO NOTHING`,
			params: users.flatMap((u) => [programId, u]),
			ifChanged
		});
	statements.push(
		usersAggregate,
		{
			sql: `INSERT INTO curator_program_index (program_id, ${written.join(', ')})
				VALUES (?, (SELECT organization_id FROM programs WHERE id = ?), ?, ${placeholders(columns.length)})
				ON CONFLICT (program_id) DO UPDATE SET ${written.map((c) => `${c} = excluded.${c}`).join(', ')}`,
			params: [programId, programId, computedAt, ...columns.map((c) => row[c])],
			ifChanged
		},
		{
			// Rewritten only when the text changed: an unchanged row keeps its trigram index entries
			// (PostgreSQL, migration 131) instead of inserting ~100 of them again per summary.
			sql: `INSERT INTO curator_program_search (program_id, search) VALUES (?, ?)
				ON CONFLICT (program_id) DO UPDATE SET search = excluded.search
				WHERE curator_program_search.search <> excluded.search`,
			params: [programId, search],
			ifChanged
		}
	);
	const past = history && historyStatement(programId, summary, row.as_of, computedAt, ifChanged);
	if (past) statements.push(past);
	statements.push(indexAggregate);
	return statements;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The program's row of `curator_program_history` for the summary's day (its `asOf`, in the
 * program's zone): the facts the figures are computed from (src/lib/shared/figures.ts). One row
 * per program per day: a later summary of the same day replaces the row, an older one does not.
 * Null for a summary without a day (damaged): history keeps what it had.
 */
export function historyStatement(
	programId: string,
	summary: unknown,
	day: string,
	computedAt: number,
	ifChanged?: number
): Statement | null {
	if (!DAY.test(day)) return null;
	return {
		sql: `INSERT INTO curator_program_history (program_id, day, organization_id, computed_at, facts)
			VALUES (?, ?, (SELECT organization_id FROM programs WHERE id = ?), ?, ?)
			ON CONFLICT (program_id, day) DO UPDATE SET organization_id = excluded.organization_id,
				computed_at = excluded.computed_at, facts = excluded.facts
			WHERE curator_program_history.computed_at <= excluded.computed_at`,
		params: [
			programId,
			day,
			programId,
			computedAt,
			JSON.stringify(figureFacts(summary, programId))
		],
		ifChanged
	};
}

/**
 * Recomputes the sync aggregate of a program from its device facts: each mentor's and mentee's
 * devices and latest contact (`curator_program_users`, migration 120), then the program's index
 * row — device count, devices with unsent changes, the least recent "last seen" among its
 * mentors and mentees (0 = one of them never seen by the server) and the stale clock.
 */
export function syncAggregateStatements(
	dialect: Dialect,
	programId: string,
	ifChanged?: number
): [users: Statement, index: Statement] {
	const { greatest } = dialectSql(dialect);
	return [
		{
			sql: `UPDATE curator_program_users SET
				devices = (SELECT count(*) FROM program_device_sync d
					WHERE d.program_id = curator_program_users.program_id AND d.user_id = curator_program_users.user_id),
				device_seen = coalesce((SELECT max(${greatest}(coalesce(d.last_connected_at, 0), coalesce(d.last_update_at, 0),
						coalesce(d.last_in_sync_at, 0), coalesce(d.pending_reported_at, 0)))
					FROM program_device_sync d
					WHERE d.program_id = curator_program_users.program_id AND d.user_id = curator_program_users.user_id), 0)
			WHERE program_id = ?`,
			params: [programId],
			ifChanged
		},
		{
			sql: `UPDATE curator_program_index SET
			device_count = (SELECT count(*) FROM program_device_sync d WHERE d.program_id = ?),
			pending_devices = (SELECT count(*) FROM program_device_sync d WHERE d.program_id = ? AND d.pending > 0),
			min_participant_seen = coalesce((SELECT min(u.device_seen) FROM curator_program_users u
				WHERE u.program_id = ?), 0),
			stale_clock = ${staleClockSql(dialect, '?')}
			WHERE program_id = ?`,
			params: [programId, programId, programId, programId, programId],
			ifChanged
		}
	];
}

/**
 * The program's stale clock (`stale_clock`, migration 132): the earliest, among its mentors and
 * mentees who have opened an invitation (had a session, or a device reached the relay for it),
 * of their latest sign of life for it — a device's contact, a session opened, joining the
 * program. The program is «не на связи» when that is older than the threshold
 * (server/curator/dashboard.ts staleSql): one indexed comparison, where each participant's facts
 * were asked per program and per request before. NULL: nobody has opened an invitation yet.
 * Kept with the sync aggregate (below) and, for sessions and participants, by the dialect's
 * triggers (sqlite/ and postgres/curator-counts.ts). `program`: the SQL of the program's id.
 */
export function staleClockSql(dialect: Dialect, program: string): string {
	// Not dialectSql: the migrations list calls this while sql.ts may still be loading (a cycle).
	const greatest = dialect === 'postgres' ? 'greatest' : 'max';
	return `(SELECT min(${greatest}(u.device_seen,
			coalesce((SELECT max(s.created_at) FROM sessions s WHERE s.person_id = u.user_id), 0),
			coalesce((SELECT max(pp.added_at) FROM program_participants pp
				WHERE pp.program_id = u.program_id AND pp.person_id = u.user_id), 0)))
		FROM curator_program_users u WHERE u.program_id = ${program}
			AND (u.devices > 0 OR EXISTS (SELECT 1 FROM sessions s WHERE s.person_id = u.user_id)))`;
}

/**
 * Locks the index rows of these programs in the order of their ids (PostgreSQL), for a transaction
 * that then writes them in another order: a merge of two people's records moves their participant
 * rows in the table's order, and the participants' trigger writes each program's stale clock as it
 * goes. Locked in the summaries' order first, the merge and the summaries of those programs no
 * longer deadlock. Null on SQLite (one writer).
 */
export function lockIndexRows(dialect: Dialect, programIds: string[]): Statement | null {
	if (dialect !== 'postgres' || programIds.length === 0) return null;
	return {
		sql: `SELECT 1 FROM curator_program_index WHERE program_id IN (${placeholders(programIds.length)})
			ORDER BY program_id${dialectSql(dialect).bytewise} FOR UPDATE`,
		params: programIds
	};
}

/** How many programs one rebuild batch indexes. */
const REBUILD_BATCH = 200;

/**
 * Stored summaries without an index entry, in the byte order of their ids: the order every
 * summary writer locks rows in (no deadlock with a relay writing summaries meanwhile).
 */
export const missingEntries = (dialect: Dialect) =>
	`SELECT s.program_id AS "programId", s.summary, s.computed_at AS "computedAt"
	FROM program_summaries s
	WHERE NOT EXISTS (SELECT 1 FROM curator_program_index i WHERE i.program_id = s.program_id)
	ORDER BY s.program_id${dialectSql(dialect).bytewise}`;

/** A stored summary's JSON; undefined when it is damaged (JSON itself never parses to undefined). */
function parseStoredSummary(text: string): unknown {
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return undefined;
	}
}

/** The statements that index summaries stored without an index entry. */
export function missingEntryStatements(
	dialect: Dialect,
	rows: Array<{ programId: string; summary: string; computedAt: number }>,
	history = true
): Statement[] {
	return rows.flatMap((r) => {
		// A damaged summary still gets a row (defaults), as the triggers gave it.
		const parsed = parseStoredSummary(r.summary);
		const summary = parsed === undefined ? {} : parsed;
		return indexEntryStatements(dialect, r.programId, summary, r.computedAt, undefined, history);
	});
}

/**
 * Stored summaries whose program has no history row yet (databases from before migration 81,
 * copies): their current summary becomes the first row, on the summary's day.
 */
export const missingHistory = `SELECT s.program_id AS "programId", s.summary, s.computed_at AS "computedAt"
	FROM program_summaries s
	WHERE NOT EXISTS (SELECT 1 FROM curator_program_history h WHERE h.program_id = s.program_id)
	ORDER BY s.program_id`;

/** The statements that start the history of programs without one (see missingHistory). */
export function missingHistoryStatements(
	rows: Array<{ programId: string; summary: string; computedAt: number }>
): Statement[] {
	return rows.flatMap((r) => {
		const summary = parseStoredSummary(r.summary);
		if (summary === undefined) return [];
		const day =
			typeof (summary as { asOf?: unknown }).asOf === 'string'
				? (summary as { asOf: string }).asOf
				: '';
		const st = historyStatement(r.programId, summary, day, r.computedAt);
		return st ? [st] : [];
	});
}

/**
 * Indexes every stored summary that has no index entry: all of them once after migration 31
 * (which empties the index the triggers had filled), and whatever a copy brought in
 * (migrate-storage). Cheap when nothing is missing (one anti-join on primary keys).
 */
export async function indexMissingEntries(sql: SqlClient): Promise<number> {
	const rows = await sql.all<{ programId: string; summary: string; computedAt: number }>(
		missingEntries(sql.dialect)
	);
	for (let i = 0; i < rows.length; i += REBUILD_BATCH)
		await sql.batch(missingEntryStatements(sql.dialect, rows.slice(i, i + REBUILD_BATCH)));
	const unhistoried = await sql.all<{ programId: string; summary: string; computedAt: number }>(
		missingHistory
	);
	for (let i = 0; i < unhistoried.length; i += REBUILD_BATCH)
		await sql.batch(missingHistoryStatements(unhistoried.slice(i, i + REBUILD_BATCH)));
	return rows.length;
}
