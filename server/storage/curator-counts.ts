/**
 * Counters of the curator index (`curator_index_counts`, migration 130): how many programs, and
 * the sums the dashboard's totals strip and pickers show, per organization and per combination of
 * the attributes they filter on. A municipality's totals are then a sum over its organizations'
 * few counter rows instead of a scan of its 100,000 index rows (docs/benchmarks.md, «The
 * curator's dashboard»).
 *
 * Kept by deltas: a trigger on `curator_program_index` (one per dialect: sqlite/ and postgres/
 * curator-counts.ts) appends the old row's contribution negated and the new row's, in the same
 * statement as the index write — so every path that writes the index (the store's upserts, the
 * sync aggregate, a cascade delete, a rebuild) keeps them, and an update that changes nothing
 * counted appends nothing. Append-only on purpose: no counter row is updated in place, so
 * concurrent writers of one organization's programs (several PostgreSQL instances) never wait for
 * or deadlock on a shared row. `foldCounts` merges the appended deltas into one row per key now
 * and then; readers sum whatever is there, folded or not.
 */
import type { ProblemFlag } from '../../src/lib/shared/api/curator.js';
import type { SqlClient } from './sql.js';

/** The attributes a counter row is kept per (columns of the index and of the counter table). */
export const COUNT_KEY = [
	'organization_id',
	'status',
	'stage_phase',
	'stage_kind',
	'form',
	'category',
	'template_id',
	'types'
] as const;

/** The index columns summed (same names in the counter table). */
export const COUNT_SUMS = [
	'overdue_count',
	'reports_expected',
	'reports_due',
	'reports_submitted',
	'reports_accepted',
	'reports_returned',
	'progress_percent'
] as const;

/** The problem flags a counter row is kept per: the bit and the index column that is > 0. */
export const FLAG_BITS: Partial<Record<ProblemFlag, { column: string; bit: number }>> = {
	overdue: { column: 'overdue_count', bit: 1 },
	'reports-due': { column: 'reports_due', bit: 2 },
	'reports-submitted': { column: 'reports_submitted', bit: 4 },
	'reports-returned': { column: 'reports_returned', bit: 8 },
	'pending-sync': { column: 'pending_devices', bit: 16 },
	'changes-pending': { column: 'changes_pending', bit: 32 },
	problems: { column: 'problems', bit: 64 }
};

/** The flags bitmask of index row `row` (an alias, NEW or OLD) as an SQL expression. */
export const flagsSql = (row: string): string =>
	Object.values(FLAG_BITS)
		.map((f) => `CASE WHEN ${row}.${f.column} > 0 THEN ${f.bit} ELSE 0 END`)
		.join(' + ');

/** The counter table's columns, in the order of `countValues`. */
export const COUNT_COLUMNS = [...COUNT_KEY, 'flags', 'n', ...COUNT_SUMS].join(', ');

/** One index row's contribution (`sign` 1) or its removal (-1), in the order of COUNT_COLUMNS. */
export const countValues = (row: string, sign: 1 | -1): string =>
	[
		...COUNT_KEY.map((c) => `${row}.${c}`),
		`${flagsSql(row)}`,
		String(sign),
		...COUNT_SUMS.map((c) => (sign === 1 ? `${row}.${c}` : `-${row}.${c}`))
	].join(', ');

/**
 * Whether an update of an index row changes what it counts (`distinct`: SQLite's `IS NOT`,
 * PostgreSQL's `IS DISTINCT FROM`): the trigger's WHEN. Summaries rewritten with the same counted
 * values (most edits) and the sync aggregate's seen times append nothing.
 */
export const countChanged = (distinct: string): string =>
	[
		...[...COUNT_KEY, ...COUNT_SUMS].map((c) => `OLD.${c} ${distinct} NEW.${c}`),
		`(${flagsSql('OLD')}) <> (${flagsSql('NEW')})`
	].join(' OR ');

/** Migration 130's table, its index, and the counters of the rows already indexed. */
export const curatorIndexCountsTable = (INT: string, STRICT: string): string => `
			CREATE TABLE curator_index_counts (
				organization_id TEXT,
				status TEXT NOT NULL,
				stage_phase TEXT NOT NULL,
				stage_kind TEXT,
				form TEXT,
				category TEXT,
				template_id TEXT,
				types TEXT NOT NULL,
				flags ${INT} NOT NULL,
				n ${INT} NOT NULL,
				overdue_count ${INT} NOT NULL,
				reports_expected ${INT} NOT NULL,
				reports_due ${INT} NOT NULL,
				reports_submitted ${INT} NOT NULL,
				reports_accepted ${INT} NOT NULL,
				reports_returned ${INT} NOT NULL,
				progress_percent ${INT} NOT NULL
			)${STRICT};
			CREATE INDEX curator_index_counts_by_org ON curator_index_counts (organization_id);
			INSERT INTO curator_index_counts (${COUNT_COLUMNS})
				SELECT ${foldedSelect('i', 'count(*)')} FROM curator_program_index i
				GROUP BY ${groupPositions};
		`;

const groupPositions = Array.from({ length: COUNT_KEY.length + 1 }, (_, k) => k + 1).join(', ');

/** Key, flags, then `n` and the sums of `from`'s rows, grouped by key and flags. */
function foldedSelect(from: string, n: string): string {
	const flags = from === 'i' ? flagsSql('i') : `${from}.flags`;
	const sums = COUNT_SUMS.map((c) => `sum(${from}.${c})`);
	return [...COUNT_KEY.map((c) => `${from}.${c}`), flags, n, ...sums].join(', ');
}

/** Unfolded rows above which a reader folds (a few seconds of a busy region's writes). */
export const FOLD_ABOVE = 5_000;

/**
 * Merges a table of appended deltas (a count `n` per key) into one row per key, dropping the keys
 * whose count came to nothing: `columns` are the table's, `select` what each folded row takes
 * from the deltas `c`, grouped by `groupBy` (the key's positions in `select`). Safe beside
 * writers and beside another fold: PostgreSQL deletes and re-inserts in ONE statement (a delta
 * committed meanwhile is not in its snapshot, so neither deleted nor summed); SQLite folds the
 * rows up to the highest rowid it read, in one transaction, and a second fold of the same rows
 * finds them gone and adds nothing.
 */
async function foldDeltas(
	sql: SqlClient,
	table: string,
	columns: string,
	select: string,
	groupBy: string
): Promise<void> {
	const grouped = `GROUP BY ${groupBy} HAVING sum(c.n) <> 0`;
	if (sql.dialect === 'postgres') {
		await sql.run(
			`WITH c AS (DELETE FROM ${table} RETURNING *)
			INSERT INTO ${table} (${columns}) SELECT ${select} FROM c ${grouped}`
		);
		return;
	}
	const top = await sql.get<{ m: number | null }>(`SELECT max(rowid) AS m FROM ${table}`);
	if (top?.m === undefined || top.m === null) return;
	await sql.batch([
		{
			sql: `INSERT INTO ${table} (${columns})
				SELECT ${select} FROM ${table} c WHERE c.rowid <= ? ${grouped}`,
			params: [top.m]
		},
		{ sql: `DELETE FROM ${table} WHERE rowid <= ?`, params: [top.m] }
	]);
}

/**
 * Merges the counters' appended deltas into one row per key (and drops the keys whose programs
 * all left), and the organizations' people counts' (curator-people.ts, migration 161) alike.
 */
export async function foldCounts(sql: SqlClient): Promise<void> {
	await foldDeltas(
		sql,
		'curator_index_counts',
		COUNT_COLUMNS,
		foldedSelect('c', 'sum(c.n)'),
		groupPositions
	);
	await foldDeltas(
		sql,
		'curator_org_people_counts',
		'organization_id, role, n',
		'c.organization_id, c.role, sum(c.n)',
		'1, 2'
	);
}

/**
 * Migration 132, before the dialect's triggers: the stale clock of each program
 * (curator-index.ts staleClockSql), computed for the rows already indexed, and its index — the
 * not-completed programs of an organization by clock, so the count of stale ones is a range of it;
 * the mentors' and mentees' rows by person (a session opened moves their programs' clocks), and
 * the few with no device yet (the «приглашение не открыто» count reads only those).
 */
export const staleClockColumn = (INT: string, clock: string): string => `
			ALTER TABLE curator_program_index ADD COLUMN stale_clock ${INT};
			CREATE INDEX curator_program_users_by_user ON curator_program_users (user_id);
			CREATE INDEX curator_program_users_unopened ON curator_program_users (user_id, program_id)
				WHERE devices = 0;
			UPDATE curator_program_index SET stale_clock = ${clock};
			CREATE INDEX curator_program_index_stale ON curator_program_index
				(organization_id, stale_clock, program_id) WHERE status <> 'completed';
		`;

/**
 * The columns of `curator_program_totals` (migration 150), the same names as the index's: what
 * a dashboard query is filtered by (attributes, problem flags, the stale clock) and what its
 * totals strip counts (status, the sums, the dates the «устарело» count compares with the day).
 * Fixed-width counts first, so a scan reads them at fixed offsets. Part of migrations 150 and 151
 * (their tables' fills and the dialects' triggers are built from it): never edit it. A column
 * added later is a migration of its own, with its own list and triggers; edited here, a fresh
 * database and an upgraded one would get different triggers.
 */
export const TOTALS_COLUMNS = [
	'program_id',
	'overdue_count',
	'reports_expected',
	'reports_due',
	'reports_submitted',
	'reports_accepted',
	'reports_returned',
	'pending_devices',
	'changes_pending',
	'problems',
	'progress_percent',
	'stale_clock',
	'organization_id',
	'status',
	'stage_phase',
	'stage_kind',
	'template_id',
	'form',
	'category',
	'types',
	'as_of',
	'next_deadline',
	'next_report_due',
	'stage_end',
	'start_date'
] as const;

/**
 * Migration 150, before the dialect's triggers: the totals' columns of each index row in a narrow
 * table of their own (one row per program, ~270 bytes against the index row's ~1.5 KB). The
 * totals a counter cannot give (a search, the stale and «приглашение не открыто» filters, one
 * program) are counted over it instead of over the wide index rows: on PostgreSQL a parallel scan
 * of the 156 MB index table became a scan of a table a fifth its size (34 MB at 100,000
 * programs), and no covering index is needed — each of those grew with the writes until the planner
 * priced it above the table (docs/benchmarks.md). Its only indexes are keys no write moves (the
 * program, its organization), so a write that changes a count is a HOT update in PostgreSQL and
 * the table does not grow with them. Kept by the dialect's triggers on the index (every path that
 * writes an index row: the store's upserts, the sync aggregate, the stale clock's triggers,
 * cascade deletes, rebuilds), in the statement that writes the row; an update that changes
 * none of its columns writes nothing. `afterTriggers`: the dialect's table options and triggers,
 * run before the rows already indexed are copied; `afterFill`: the dialect's statements after
 * (PostgreSQL: ANALYZE — without statistics of the new table it hashed the whole region to join
 * a search's matches, 91 instead of 46 ms).
 */
export const curatorProgramTotalsTable = (
	INT: string,
	STRICT: string,
	afterTriggers: string,
	afterFill: string
) => `
			CREATE TABLE curator_program_totals (
				program_id TEXT PRIMARY KEY,
				overdue_count ${INT} NOT NULL,
				reports_expected ${INT} NOT NULL,
				reports_due ${INT} NOT NULL,
				reports_submitted ${INT} NOT NULL,
				reports_accepted ${INT} NOT NULL,
				reports_returned ${INT} NOT NULL,
				pending_devices ${INT} NOT NULL,
				changes_pending ${INT} NOT NULL,
				problems ${INT} NOT NULL,
				progress_percent ${INT} NOT NULL,
				stale_clock ${INT},
				organization_id TEXT,
				status TEXT NOT NULL,
				stage_phase TEXT NOT NULL,
				stage_kind TEXT,
				template_id TEXT,
				form TEXT,
				category TEXT,
				types TEXT NOT NULL,
				as_of TEXT NOT NULL,
				next_deadline TEXT,
				next_report_due TEXT,
				stage_end TEXT,
				start_date TEXT
			)${STRICT};
			CREATE INDEX curator_program_totals_by_org ON curator_program_totals (organization_id);
			${afterTriggers}
			INSERT INTO curator_program_totals (${TOTALS_COLUMNS.join(', ')})
				SELECT ${TOTALS_COLUMNS.join(', ')} FROM curator_program_index;
			${afterFill}
		`;

/** Index row `row`'s totals columns (NEW), as an upsert of its narrow row. */
export const totalsUpsert = (row: string): string =>
	`INSERT INTO curator_program_totals (${TOTALS_COLUMNS.join(', ')})
			VALUES (${TOTALS_COLUMNS.map((c) => `${row}.${c}`).join(', ')})
			ON CONFLICT (program_id) DO UPDATE SET ${TOTALS_COLUMNS.filter((c) => c !== 'program_id')
				.map((c) => `${c} = excluded.${c}`)
				.join(', ')}`;

/** Whether an update of an index row changes its totals row (`distinct`: the dialect's). */
export const totalsChanged = (distinct: string): string =>
	TOTALS_COLUMNS.filter((c) => c !== 'program_id')
		.map((c) => `OLD.${c} ${distinct} NEW.${c}`)
		.join(' OR ');

/** The columns of `curator_search_totals` (migration 151): a totals row and its search text. */
export const SEARCH_TOTALS_COLUMNS = ['program_id', 'search', ...TOTALS_COLUMNS.slice(1)] as const;

/**
 * Migration 151, before the dialect's triggers: the totals of a search counted from one table.
 * A search's totals joined the narrow totals table (every program of the scope read and filtered:
 * 100,000 rows) to the search text's matches (each matched program's text read and tested: 25,813
 * for «Орлова»), 80 ms in one process at 100,000 programs, or 64 ms in three (docs/benchmarks.md).
 * Here each program's totals columns are beside its folded search text, so the matches are read
 * once, through the text's trigram index (PostgreSQL), and counted where they are read: no scan
 * of the region, no join (42 ms in one process). A table of its own, not a column of the totals
 * table: the text is about as wide again as the totals, and the other totals (the stale and
 * «приглашение не открыто» filters, one program) would read it too. One row per program that has
 * both a totals row and a search text, with the same values: kept by the dialect's triggers on
 * both tables (a totals row written or deleted — by the index's triggers —, a search text written
 * or deleted), in the statement that writes them. Besides the program, indexed by what a search is
 * most often narrowed by and what changes seldom (no update of a count moves them): the
 * organization (one organization's search reads its matches there, not the region's) and the
 * stage (PostgreSQL intersects the two bitmaps: «Орлова» at the stage «activity» reads 5,686
 * rows, not 25,813: 38 → 21 ms). `afterTriggers`: the dialect's table options
 * and triggers, run before the rows already there are copied; `afterFill`: the dialect's
 * statements after (PostgreSQL: the trigram index and the planner's statistics).
 */
export const curatorSearchTotalsTable = (
	INT: string,
	STRICT: string,
	afterTriggers: string,
	afterFill: string
) => `
			CREATE TABLE curator_search_totals (
				program_id TEXT PRIMARY KEY,
				search TEXT NOT NULL,
				overdue_count ${INT} NOT NULL,
				reports_expected ${INT} NOT NULL,
				reports_due ${INT} NOT NULL,
				reports_submitted ${INT} NOT NULL,
				reports_accepted ${INT} NOT NULL,
				reports_returned ${INT} NOT NULL,
				pending_devices ${INT} NOT NULL,
				changes_pending ${INT} NOT NULL,
				problems ${INT} NOT NULL,
				progress_percent ${INT} NOT NULL,
				stale_clock ${INT},
				organization_id TEXT,
				status TEXT NOT NULL,
				stage_phase TEXT NOT NULL,
				stage_kind TEXT,
				template_id TEXT,
				form TEXT,
				category TEXT,
				types TEXT NOT NULL,
				as_of TEXT NOT NULL,
				next_deadline TEXT,
				next_report_due TEXT,
				stage_end TEXT,
				start_date TEXT
			)${STRICT};
			CREATE INDEX curator_search_totals_by_org ON curator_search_totals (organization_id);
			CREATE INDEX curator_search_totals_by_stage ON curator_search_totals (stage_phase, stage_kind);
			${afterTriggers}
			INSERT INTO curator_search_totals (${SEARCH_TOTALS_COLUMNS.join(', ')})
				SELECT s.program_id, s.search, ${TOTALS_COLUMNS.slice(1)
					.map((c) => `t.${c}`)
					.join(', ')}
				FROM curator_program_totals t JOIN curator_program_search s ON s.program_id = t.program_id;
			${afterFill}
		`;

/** Totals row `row` (NEW of curator_program_totals) written: its search totals row, if it has a text. */
export const searchTotalsFromTotals = (row: string): string =>
	`INSERT INTO curator_search_totals (${SEARCH_TOTALS_COLUMNS.join(', ')})
			SELECT s.program_id, s.search, ${TOTALS_COLUMNS.slice(1)
				.map((c) => `${row}.${c}`)
				.join(', ')}
			FROM curator_program_search s WHERE s.program_id = ${row}.program_id
			ON CONFLICT (program_id) DO UPDATE SET ${TOTALS_COLUMNS.slice(1)
				.map((c) => `${c} = excluded.${c}`)
				.join(', ')}`;

/** Search text `row` (NEW of curator_program_search) written: its search totals row, if it has totals. */
export const searchTotalsFromSearch = (row: string): string =>
	`INSERT INTO curator_search_totals (${SEARCH_TOTALS_COLUMNS.join(', ')})
			SELECT ${row}.program_id, ${row}.search, ${TOTALS_COLUMNS.slice(1)
				.map((c) => `t.${c}`)
				.join(', ')}
			FROM curator_program_totals t WHERE t.program_id = ${row}.program_id
			ON CONFLICT (program_id) DO UPDATE SET search = excluded.search`;
