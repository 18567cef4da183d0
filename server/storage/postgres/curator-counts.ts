/**
 * Migration 130 in PostgreSQL: the trigger that keeps the curator index's counters
 * (server/storage/curator-counts.ts) by appending each index row's old contribution negated and
 * its new one, in the statement that writes the row (cascade deletes included). The UPDATE
 * trigger fires only when a counted value changed.
 */
import {
	COUNT_COLUMNS,
	FLAG_BITS,
	countChanged,
	countValues,
	searchTotalsFromSearch,
	searchTotalsFromTotals,
	totalsChanged,
	totalsUpsert
} from '../curator-counts.js';
import { staleClockSql } from '../curator-index.js';
import {
	countOrgPerson,
	indexRowStep,
	linkProgramPeople,
	participantStep,
	unlinkProgramPeople
} from '../curator-people.js';
import { registryClockTriggers } from '../registry-clock.js';

export const CURATOR_COUNT_TRIGGERS = `
	CREATE FUNCTION curator_index_count() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF TG_OP <> 'INSERT' THEN
			INSERT INTO curator_index_counts (${COUNT_COLUMNS}) VALUES (${countValues('OLD', -1)});
		END IF;
		IF TG_OP <> 'DELETE' THEN
			INSERT INTO curator_index_counts (${COUNT_COLUMNS}) VALUES (${countValues('NEW', 1)});
		END IF;
		RETURN NULL;
	END $$;
	CREATE TRIGGER curator_index_counts_write AFTER INSERT OR DELETE ON curator_program_index
		FOR EACH ROW EXECUTE FUNCTION curator_index_count();
	CREATE TRIGGER curator_index_counts_update AFTER UPDATE ON curator_program_index
		FOR EACH ROW WHEN (${countChanged('IS DISTINCT FROM')}) EXECUTE FUNCTION curator_index_count();
`;

/**
 * Migration 131 in PostgreSQL: a trigram index (pg_trgm) of the folded search text, which answers
 * the dashboard's `search LIKE '%word%'` from the index instead of reading every program's text.
 * pg_trgm is a trusted extension (PostgreSQL 13+: the database's owner may create it); where it is
 * not installed on the server, the migration leaves a notice and the search scans as before.
 */
export const CURATOR_SEARCH_INDEX = `
	DO $$ BEGIN
		CREATE EXTENSION IF NOT EXISTS pg_trgm;
	EXCEPTION WHEN OTHERS THEN
		RAISE NOTICE 'pg_trgm is not available (%): the curator search scans', SQLERRM;
	END $$;
	DO $$ BEGIN
		IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
			EXECUTE 'CREATE INDEX curator_program_search_trgm ON curator_program_search
				USING gin (search gin_trgm_ops)';
		END IF;
	END $$;
`;

/** The sort keys' columns (server/curator/dashboard.ts SORT_SQL) as index expressions. */
const STAGE_ORDER =
	"(CASE stage_phase WHEN 'not-started' THEN -1 WHEN 'unscheduled' THEN -2 WHEN 'finished' THEN 1000 ELSE stage_index END)";
const SORTED = [
	'progress_percent',
	'overdue_count',
	'reports_due',
	'reports_submitted',
	'min_participant_seen'
];
const SORTED_NULLABLE = ['next_deadline', 'last_edit_at', 'start_date', 'end_date'];
/**
 * What the stale programs are filtered and counted by (the flags, the pickers' attributes, the
 * totals' sums, the outdated dates): carried in the stale clock's index (migration 132's, rebuilt
 * here), so the stale count under any filter and the totals of the stale filter read the index
 * alone, not each stale program's row.
 */
const STALE_INCLUDES = [
	'status',
	'template_id',
	'stage_phase',
	'stage_kind',
	'form',
	'category',
	'types',
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
	'as_of',
	'next_deadline',
	'next_report_due',
	'stage_end',
	'start_date'
];

/**
 * Migration 133 in PostgreSQL: an index per sort key of the dashboard (the column, then the title
 * and id that break ties), so a page of a region's programs is read in order and the scan stops
 * after it, instead of sorting 100,000 rows per request. A descending sort reads the same index
 * backwards and re-sorts only each run of equal values by title (incremental sort). A nullable
 * column: a partial index of its values, and one of the NULLs by title (they come last). The
 * stage has a handful of values, so each run of equal ones is a large part of the region: it
 * has an index per direction. The template, status and stage kind the pickers filter on: a
 * narrow index, so a rare combination is looked up, not searched for along the page's order.
 * The stale clock's index carries the columns its programs are filtered and counted by.
 * Organization: its programs by title, the organizations read in name order. The two covering
 * indexes of migration 30 go: the totals and the pickers' counts they were scanned for come from
 * the counters now (migration 130), and every index of the row is one more entry to write when
 * a device's contact moves its sync aggregate. Pages written from now on keep a fifth free, so an
 * update that changes no indexed column (most device contacts, summaries rewritten with the same
 * sorted values) stays in its page without an entry in any index (a HOT update).
 */
export const CURATOR_SORT_INDEXES = `
	ALTER TABLE curator_program_index SET (fillfactor = 80);
	DROP INDEX curator_program_index_totals;
	DROP INDEX curator_program_index_facets;
	CREATE INDEX curator_sort_title ON curator_program_index (title, program_id);
	CREATE INDEX curator_sort_organization ON curator_program_index (organization_id, title, program_id);
	CREATE INDEX curator_sort_stage ON curator_program_index (${STAGE_ORDER}, title, program_id);
	CREATE INDEX curator_sort_stage_desc ON curator_program_index (${STAGE_ORDER} DESC, title, program_id);
	CREATE INDEX curator_program_index_attributes ON curator_program_index (template_id, status, stage_kind);
	DROP INDEX curator_program_index_stale;
	CREATE INDEX curator_program_index_stale ON curator_program_index (organization_id, stale_clock, program_id)
		INCLUDE (${STALE_INCLUDES.join(', ')}) WHERE status <> 'completed';
	${SORTED.map((c) => `CREATE INDEX curator_sort_${c} ON curator_program_index (${c}, title, program_id);`).join('\n\t')}
	${SORTED_NULLABLE.map(
		(
			c
		) => `CREATE INDEX curator_sort_${c} ON curator_program_index (${c}, title, program_id) WHERE ${c} IS NOT NULL;
	CREATE INDEX curator_sort_no_${c} ON curator_program_index (title, program_id) WHERE ${c} IS NULL;`
	).join('\n\t')}
`;

/**
 * Migration 145 in PostgreSQL: plans that read only what a query needs (issue 18, branch dash2).
 *
 * - The attributes index gains the stage phase, and the planner statistics of the combinations
 *   of template, status, stage phase and kind (a most-common-values list of the combinations,
 *   `CREATE STATISTICS`): with each column's statistics alone it multiplied their frequencies
 *   and expected hundreds of programs for a combination that has none, so it counted the stale
 *   programs of such a filter along the stale clock of the whole region (37 ms) instead of
 *   looking the combination up (an index range that is empty).
 * - The stale clock's index covers every program, completed ones too (they are filtered by the
 *   status it carries): it then holds, for every program, all the columns the totals strip is
 *   counted from, so the totals of a search (which no counter can give) read the matched
 *   programs from this narrow index instead of scanning the 156 MB table of wide rows.
 */
export const CURATOR_QUERY_PLANS = `
	DROP INDEX curator_program_index_attributes;
	CREATE INDEX curator_program_index_attributes ON curator_program_index
		(template_id, status, stage_kind, stage_phase);
	CREATE STATISTICS curator_program_index_attributes_mcv (mcv, ndistinct)
		ON template_id, status, stage_phase, stage_kind FROM curator_program_index;
	DROP INDEX curator_program_index_stale;
	CREATE INDEX curator_program_index_stale ON curator_program_index (organization_id, stale_clock, program_id)
		INCLUDE (${STALE_INCLUDES.join(', ')});
	ANALYZE curator_program_index;
`;

/**
 * Migration 146 in PostgreSQL: the sort indexes of migration 133 without the id. Their entries
 * were the sorted column, the title (~150 bytes of Cyrillic) and the id, all distinct because of
 * the id: 14 indexes of ~21 MB each at 100,000 programs, written again by each update that moves
 * a sorted column. Without the id, programs with the same value and title (titles repeat: most
 * are a template's) share one index entry with a list of their rows (B-tree deduplication,
 * PostgreSQL 13+), and the page is still read in order: each run of equal value and title is
 * sorted by id as it is read (incremental sort), as a descending sort already sorted each run of
 * equal values by title. Kept whole: the title's index (its runs of equal titles are thousands of
 * programs, which the first page would sort) and the partial indexes of the NULLs by title.
 */
const NARROWED: Array<[name: string, key: string, where?: string]> = [
	...SORTED.map((c): [string, string] => [c, c]),
	...SORTED_NULLABLE.map((c): [string, string, string] => [c, c, `${c} IS NOT NULL`]),
	['stage', STAGE_ORDER],
	['stage_desc', `${STAGE_ORDER} DESC`],
	['organization', 'organization_id']
];
export const CURATOR_NARROW_SORT_INDEXES = NARROWED.map(
	([name, key, where]) => `
	DROP INDEX curator_sort_${name};
	CREATE INDEX curator_sort_${name} ON curator_program_index (${key}, title)${where ? ` WHERE ${where}` : ''};`
).join('');

/**
 * Migration 147 in PostgreSQL: the last activity, most recent first, in an index of its own
 * direction. Read backwards, the ascending index gives the most recent edits with their titles
 * in reverse, so each run of equal times was re-sorted whole by title; where many programs share
 * a time (a bulk import, the benchmark's cloned programs: all 100,000) that is a sort of the
 * region (84–91 ms). In this direction, a run of equal time and title is all that is sorted.
 * Deduplicated like migration 146's (about 1 MB at 100,000 programs).
 */
export const CURATOR_LAST_ACTIVITY_DESC = `
	CREATE INDEX curator_sort_last_edit_at_desc ON curator_program_index (last_edit_at DESC, title)
		WHERE last_edit_at IS NOT NULL;
`;

/**
 * Migration 148 in PostgreSQL: the two small counts of every dashboard request from narrow indexes
 * (issue 18, branch dash). What made them slow was not the data but the size the planner sees:
 *
 * - «Не на связи»: the stale clock's index of migration 145 carries 22 columns for every program,
 *   and a key (the clock) that each device contact moves, so its entries are not cleaned up in
 *   place as an unchanged key's are: 93 MB after seeding 100,000 programs, and the planner counted
 *   the 54,331 stale programs of a region by scanning the 156 MB table in parallel (120 ms). The
 *   narrow partial index of migration 132 again (organization, clock, id), with the problem flags'
 *   counts a page may also be filtered by (9.9 MB): the stale count, alone (9 ms) or beside a flag
 *   («просрочено» and stale: 116 ms by the table), is an index-only range of it. The wide index
 *   stays for the totals it covers.
 * - «Приглашение не открыто»: every mentor and mentee starts with no device, so each passes through
 *   the partial index of those with none (migration 132), and a region's seeding or import leaves it
 *   at 13 MB of empty pages for its 667 entries. The planner charges a partial index's whole size to
 *   its few rows, so it read the 26 MB participants table instead (40–50 ms, in each parallel worker).
 *   An index of every row's device count (1.4 MB, deduplicated) is charged by the fraction of it the
 *   condition selects (`devices = 0`: 667 rows, 2–5 ms), however many rows have passed through zero;
 *   it takes the partial index's place (one index per row, as before).
 */
/** The narrow stale-count index of migrations 148 and 159: the flags, and `extra` columns after them. */
const staleCountIndex = (
	extra = ''
) => `CREATE INDEX curator_program_index_stale_count ON curator_program_index (organization_id, stale_clock, program_id)
		INCLUDE (${Object.values(FLAG_BITS)
			.map((f) => f.column)
			.join(', ')}${extra}) WHERE status <> 'completed';`;

export const CURATOR_NARROW_COUNTS = `
	${staleCountIndex()}
	DROP INDEX curator_program_users_unopened;
	CREATE INDEX curator_program_users_devices ON curator_program_users (devices);
`;

/**
 * Migration 159 in PostgreSQL: migration 148's stale-count index also carries the programs' types
 * (issue 18). A page filtered by type («традиционная») counts its stale programs with the filter
 * too; without `types` in the index that count read the whole wide table (a sequential scan of
 * 166 MB, 136 ms for a region of 100,000 programs), with it an index-only range (18–28 ms). Types
 * change as seldom as the other attributes the index already carries.
 */
export const CURATOR_STALE_COUNT_TYPES = `
	DROP INDEX curator_program_index_stale_count;
	${staleCountIndex(', types')}
`;

/**
 * Migration 149 in PostgreSQL: the title's index carries the attributes a page is filtered by (the
 * organization and the pickers'). A page sorted by title (the dashboard's default) with a search
 * and a filter walks the title's order and keeps the programs that match; where they are
 * scattered along it («Орлова» at the stage «activity»: 5,686 of 100,000) the walk read 25,263
 * table rows at random for 50 (78 ms). With the attributes in the index it tests them in the index
 * entries (an index-only scan, 13 ms) and reads the table for none. Only attributes, which change
 * seldom (a stage a few times a year), not the flags' counts and clocks, which most writes move:
 * an update that leaves all of an index's columns as they were lets PostgreSQL remove the entries
 * it supersedes from the index page as it adds its own (B-tree bottom-up deletion, 14+), which
 * the flags' columns would prevent for most device contacts and rewritten summaries. Every column
 * added is already in another index of the row (the stale clock's of migration 145), so no
 * update that was HOT stops being HOT.
 */
export const CURATOR_TITLE_FILTERS = `
	DROP INDEX curator_sort_title;
	CREATE INDEX curator_sort_title ON curator_program_index (title, program_id)
		INCLUDE (organization_id, status, template_id, stage_phase, stage_kind, form, category, types);
`;

/**
 * Migration 150 in PostgreSQL, after the narrow totals table (server/storage/curator-counts.ts
 * curatorProgramTotalsTable): its pages keep a fifth free, so an update of a count finds room
 * for the new version in its page (a HOT update: no index entry, pruned in place); the trigger
 * that upserts an index row's totals row (INSERT, and an UPDATE that changes one of its columns:
 * device contacts that only move the last-seen times write nothing) and deletes it with the row.
 */
export const CURATOR_TOTALS_TRIGGERS = `
	ALTER TABLE curator_program_totals SET (fillfactor = 80);
	CREATE FUNCTION curator_program_totals_write() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF TG_OP = 'DELETE' THEN
			DELETE FROM curator_program_totals WHERE program_id = OLD.program_id;
		ELSE
			${totalsUpsert('NEW')};
		END IF;
		RETURN NULL;
	END $$;
	CREATE TRIGGER curator_program_totals_write AFTER INSERT OR DELETE ON curator_program_index
		FOR EACH ROW EXECUTE FUNCTION curator_program_totals_write();
	CREATE TRIGGER curator_program_totals_update AFTER UPDATE ON curator_program_index
		FOR EACH ROW WHEN (${totalsChanged('IS DISTINCT FROM')}) EXECUTE FUNCTION curator_program_totals_write();
`;

/**
 * Migration 151 in PostgreSQL, after the search totals table (server/storage/curator-counts.ts
 * curatorSearchTotalsTable): a fifth of its pages free, as the totals table's (an update of a
 * count is HOT: its indexes' columns — the program, the text — do not move); the triggers that
 * keep it the join of the totals rows and the search texts (a totals row inserted or updated: its
 * counts; a text inserted or changed: the text; either deleted: the row).
 */
export const CURATOR_SEARCH_TOTALS_TRIGGERS = `
	ALTER TABLE curator_search_totals SET (fillfactor = 80);
	CREATE FUNCTION curator_search_totals_counts() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF TG_OP = 'DELETE' THEN
			DELETE FROM curator_search_totals WHERE program_id = OLD.program_id;
		ELSE
			${searchTotalsFromTotals('NEW')};
		END IF;
		RETURN NULL;
	END $$;
	CREATE TRIGGER curator_search_totals_counts AFTER INSERT OR UPDATE OR DELETE ON curator_program_totals
		FOR EACH ROW EXECUTE FUNCTION curator_search_totals_counts();
	CREATE FUNCTION curator_search_totals_text() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF TG_OP = 'DELETE' THEN
			DELETE FROM curator_search_totals WHERE program_id = OLD.program_id;
		ELSE
			${searchTotalsFromSearch('NEW')};
		END IF;
		RETURN NULL;
	END $$;
	CREATE TRIGGER curator_search_totals_text AFTER INSERT OR DELETE ON curator_program_search
		FOR EACH ROW EXECUTE FUNCTION curator_search_totals_text();
	CREATE TRIGGER curator_search_totals_text_update AFTER UPDATE ON curator_program_search
		FOR EACH ROW WHEN (OLD.search IS DISTINCT FROM NEW.search) EXECUTE FUNCTION curator_search_totals_text();
`;

/**
 * Migration 151 in PostgreSQL, after the search totals table is filled: the trigram index of its
 * text (as migration 131's of the search table, where pg_trgm is installed), and its statistics.
 */
export const CURATOR_SEARCH_TOTALS_FILLED = `
	DO $$ BEGIN
		IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
			EXECUTE 'CREATE INDEX curator_search_totals_trgm ON curator_search_totals
				USING gin (search gin_trgm_ops)';
		END IF;
	END $$;
	ANALYZE curator_search_totals;
`;

const clock = staleClockSql('postgres', 'curator_program_index.program_id');
const setClock = (where: string) =>
	`UPDATE curator_program_index SET stale_clock = ${clock} WHERE ${where};`;
const programsOf = (person: string) =>
	`program_id IN (SELECT program_id FROM curator_program_users WHERE user_id = ${person})`;
/**
 * Locks the index rows of the programs of `persons` in the order of their ids, the order in which
 * the summaries' writes lock them (sql-document-store.ts). One UPDATE of several programs locked
 * them in the table's order, and a session opened while the summaries of two of the person's
 * programs were written deadlocked with them; PostgreSQL aborted one side, sometimes the login
 * (tests/integration/postgres-store.test.ts).
 */
const lockProgramsOf = (...persons: string[]) =>
	`PERFORM 1 FROM curator_program_index
			WHERE program_id IN (SELECT program_id FROM curator_program_users
				WHERE user_id IN (${persons.join(', ')}))
			ORDER BY program_id COLLATE "C" FOR UPDATE;`;

/** The function of the sessions' trigger (migration 132), `locked`: its rows locked in order (160). */
const staleClockPerson = (create: string, locked: boolean) => {
	const lockOnUpdate = locked ? `\n\t\t\t${lockProgramsOf('OLD.person_id', 'NEW.person_id')}` : '';
	const lockOnInsert = locked ? `\n\t\tELSE\n\t\t\t${lockProgramsOf('NEW.person_id')}` : '';
	return `
	${create} FUNCTION curator_stale_clock_person() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF TG_OP = 'UPDATE' THEN${lockOnUpdate}
			${setClock(programsOf('OLD.person_id'))}${lockOnInsert}
		END IF;
		${setClock(programsOf('NEW.person_id'))}
		RETURN NULL;
	END $$;`;
};

/**
 * Migration 132 in PostgreSQL, after the column: a session opened (or moved to another person by
 * a merge) and a participant added, removed or moved set the stale clock of the programs
 * concerned again. A session's use (`last_used_at`) does not: the clock counts sessions opened.
 */
export const STALE_CLOCK_TRIGGERS = `${staleClockPerson('CREATE', false)}
	CREATE TRIGGER curator_stale_clock_session AFTER INSERT ON sessions
		FOR EACH ROW EXECUTE FUNCTION curator_stale_clock_person();
	CREATE TRIGGER curator_stale_clock_session_person AFTER UPDATE OF person_id ON sessions
		FOR EACH ROW WHEN (OLD.person_id IS DISTINCT FROM NEW.person_id)
		EXECUTE FUNCTION curator_stale_clock_person();
	CREATE FUNCTION curator_stale_clock_program() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF TG_OP <> 'INSERT' THEN
			${setClock('program_id = OLD.program_id')}
		END IF;
		IF TG_OP <> 'DELETE' THEN
			${setClock('program_id = NEW.program_id')}
		END IF;
		RETURN NULL;
	END $$;
	CREATE TRIGGER curator_stale_clock_participant AFTER INSERT OR DELETE OR UPDATE ON program_participants
		FOR EACH ROW EXECUTE FUNCTION curator_stale_clock_program();
`;

/** Migration 160 in PostgreSQL: the sessions' trigger locks its programs' rows in id order. */
export const STALE_CLOCK_LOCK_ORDER = staleClockPerson('CREATE OR REPLACE', true);

/**
 * A trigger function `name` running `step` on the row written — NEW when inserted, OLD when
 * deleted, OLD then NEW when updated — and its row triggers on `table`: AFTER each write
 * (`updateWhen`: only an update that changes what `step` reads), except a deletion when
 * `deleteBefore` (the row's step then runs before it goes).
 */
const onWrite = (
	name: string,
	table: string,
	step: (row: 'NEW' | 'OLD') => string,
	options: { updateWhen?: string; deleteBefore?: boolean } = {}
) => {
	const after = [
		'INSERT',
		...(options.updateWhen ? [] : ['UPDATE']),
		...(options.deleteBefore ? [] : ['DELETE'])
	];
	return `
	CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF TG_OP <> 'INSERT' THEN
			${step('OLD')};
		END IF;
		IF TG_OP = 'DELETE' THEN
			RETURN OLD;
		END IF;
		${step('NEW')};
		RETURN NULL;
	END $$;
	CREATE TRIGGER ${name} AFTER ${after.join(' OR ')} ON ${table}
		FOR EACH ROW EXECUTE FUNCTION ${name}();
	${
		options.updateWhen
			? `CREATE TRIGGER ${name}_update AFTER UPDATE ON ${table}
		FOR EACH ROW WHEN (${options.updateWhen}) EXECUTE FUNCTION ${name}();`
			: ''
	}
	${
		options.deleteBefore
			? `CREATE TRIGGER ${name}_delete BEFORE DELETE ON ${table}
		FOR EACH ROW EXECUTE FUNCTION ${name}();`
			: ''
	}`;
};

/**
 * Migration 157 in PostgreSQL: the triggers that keep the mentors and mentees of each
 * organization (server/storage/curator-people.ts) in step with the participants, the index rows
 * and the cancellations, in the statements that write them. A deletion is followed BEFORE the
 * row goes: a program's deletion cascades to its index row, participants and cancellation, and
 * the AFTER triggers of a cascade fire only once all of it is done, when none of the rows that
 * tell which links a deleted row held (the index row's organization, the participants) is left.
 * BEFORE, each sees the others as the cascade has left them so far, and whichever goes first
 * takes the links away.
 */
const pgOrgOf = (program: string) => `SELECT j.organization_id INTO org FROM curator_program_index j
			WHERE j.program_id = ${program}`;
export const CURATOR_ORG_PEOPLE_TRIGGERS = `
	${onWrite('curator_org_people_participant', 'program_participants', participantStep, {
		updateWhen:
			'OLD.program_id IS DISTINCT FROM NEW.program_id OR OLD.person_id IS DISTINCT FROM NEW.person_id OR OLD.role IS DISTINCT FROM NEW.role',
		deleteBefore: true
	})}
	${onWrite('curator_org_people_index', 'curator_program_index', indexRowStep, {
		updateWhen: 'OLD.organization_id IS DISTINCT FROM NEW.organization_id',
		deleteBefore: true
	})}
	CREATE FUNCTION curator_org_people_cancellation() RETURNS trigger LANGUAGE plpgsql AS $$
	DECLARE org TEXT;
	BEGIN
		IF TG_OP = 'INSERT' THEN
			${pgOrgOf('NEW.program_id')};
			${unlinkProgramPeople('NEW.program_id', 'org', false)};
			RETURN NULL;
		END IF;
		${pgOrgOf('OLD.program_id')};
		${linkProgramPeople('OLD.program_id', 'org', false)};
		RETURN OLD;
	END $$;
	CREATE TRIGGER curator_org_people_cancelled AFTER INSERT ON program_cancellations
		FOR EACH ROW EXECUTE FUNCTION curator_org_people_cancellation();
	CREATE TRIGGER curator_org_people_restored BEFORE DELETE ON program_cancellations
		FOR EACH ROW EXECUTE FUNCTION curator_org_people_cancellation();
`;

/**
 * Migration 161 in PostgreSQL: each row of `curator_org_people` that comes or goes appended to
 * its organization's count (server/storage/curator-people.ts). An upsert that finds the row
 * updates its links and fires no AFTER INSERT trigger; the rows are deleted by the people's own
 * triggers' statements, never by a cascade, so AFTER triggers see them.
 */
export const CURATOR_ORG_PEOPLE_COUNT_TRIGGERS = `
	CREATE FUNCTION curator_org_people_count() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF TG_OP <> 'INSERT' THEN
			${countOrgPerson('OLD')};
		END IF;
		IF TG_OP <> 'DELETE' THEN
			${countOrgPerson('NEW')};
		END IF;
		RETURN NULL;
	END $$;
	CREATE TRIGGER curator_org_people_counted AFTER INSERT OR DELETE ON curator_org_people
		FOR EACH ROW EXECUTE FUNCTION curator_org_people_count();
	CREATE TRIGGER curator_org_people_recounted AFTER UPDATE ON curator_org_people FOR EACH ROW
		WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id OR OLD.role IS DISTINCT FROM NEW.role)
		EXECUTE FUNCTION curator_org_people_count();
`;

/**
 * Migration 158 in PostgreSQL: the triggers that move an organization's registry clock
 * (server/storage/registry-clock.ts) when a person, a program or a participant is written. AFTER
 * triggers, though a cascade fires them once it is done: a program's deletion moves its
 * organization's clock by its `program_info` row's own trigger, which needs nothing but the row.
 */
export const REGISTRY_CLOCK_TRIGGERS = registryClockTriggers(onWrite);

/**
 * The indexes only PostgreSQL creates, per migration: 131's trigram index (SQLite has none), 133's
 * per sort key (a single instance sorts its programs in memory) and its richer stale clock index,
 * 145's attributes and stale clock indexes as the planner needs them, 146's narrower sort indexes, 147's last activity descending,
 * 148's narrow indexes of the stale and not-opened counts, 149's title index with the filters' columns,
 * 159's stale-count index again with the types.
 * The migrations test holds the dialects' other indexes equal.
 */
const created = (sql: string) =>
	new Set([...sql.matchAll(/CREATE INDEX (\w+)/g)].map((m) => m[1] as string));
export const POSTGRES_ONLY_INDEXES: Readonly<Record<number, ReadonlySet<string>>> = {
	131: created(CURATOR_SEARCH_INDEX),
	133: created(CURATOR_SORT_INDEXES),
	145: created(CURATOR_QUERY_PLANS),
	146: created(CURATOR_NARROW_SORT_INDEXES),
	147: created(CURATOR_LAST_ACTIVITY_DESC),
	148: created(CURATOR_NARROW_COUNTS),
	149: created(CURATOR_TITLE_FILTERS),
	151: created(CURATOR_SEARCH_TOTALS_FILLED),
	159: created(CURATOR_STALE_COUNT_TYPES)
};
