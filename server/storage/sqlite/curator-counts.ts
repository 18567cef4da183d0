/**
 * Migration 130 in SQLite: the triggers that keep the curator index's counters
 * (server/storage/curator-counts.ts) by appending each index row's old contribution negated and
 * its new one. The store writes the index with INSERT … ON CONFLICT DO UPDATE, which fires the
 * UPDATE trigger on a conflict; foreign-key cascades fire the DELETE trigger.
 */
import {
	COUNT_COLUMNS,
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
	CREATE TRIGGER curator_index_counts_insert AFTER INSERT ON curator_program_index BEGIN
		INSERT INTO curator_index_counts (${COUNT_COLUMNS}) VALUES (${countValues('NEW', 1)});
	END;
	CREATE TRIGGER curator_index_counts_delete AFTER DELETE ON curator_program_index BEGIN
		INSERT INTO curator_index_counts (${COUNT_COLUMNS}) VALUES (${countValues('OLD', -1)});
	END;
	CREATE TRIGGER curator_index_counts_update AFTER UPDATE ON curator_program_index
		WHEN ${countChanged('IS NOT')} BEGIN
		INSERT INTO curator_index_counts (${COUNT_COLUMNS})
			VALUES (${countValues('OLD', -1)}), (${countValues('NEW', 1)});
	END;
`;

/**
 * Migration 131 in SQLite: nothing. Its search stays `instr` over the folded text of the scope's
 * programs (FTS5 matches tokens, not the substrings the dashboard's search finds).
 */
export const CURATOR_SEARCH_INDEX = 'SELECT 1;';

/**
 * Migration 133 in SQLite: nothing. A single-instance server's dashboard sorts its programs in
 * memory (10,000 in 18 ms, docs/benchmarks.md); the indexes per sort key are for a region's
 * PostgreSQL, where they would only slow the writer thread here.
 */
export const CURATOR_SORT_INDEXES = 'SELECT 1;';

/**
 * Migration 145 in SQLite: nothing. Its planner has no statistics of column combinations, and a
 * single instance's few programs are counted in milliseconds by the indexes it has.
 */
export const CURATOR_QUERY_PLANS = 'SELECT 1;';

/** Migration 146 in SQLite: nothing (it has no sort indexes to narrow: migration 133). */
export const CURATOR_NARROW_SORT_INDEXES = 'SELECT 1;';

/** Migration 147 in SQLite: nothing (no sort indexes: migration 133). */
export const CURATOR_LAST_ACTIVITY_DESC = 'SELECT 1;';

/**
 * Migration 148 in SQLite: nothing. Its planner costs an index by the rows ANALYZE counted in it,
 * not by its pages, so migration 132's partial index of the participants with no device is not
 * passed over when emptied pages are left in it; the stale count has migration 132's index.
 */
export const CURATOR_NARROW_COUNTS = 'SELECT 1;';
/** Migration 159: PostgreSQL's stale-count index with the types; SQLite has none to widen. */
export const CURATOR_STALE_COUNT_TYPES = 'SELECT 1;';

/** Migration 149 in SQLite: nothing (no sort indexes: migration 133). */
export const CURATOR_TITLE_FILTERS = 'SELECT 1;';

/**
 * Migration 150 in SQLite: the triggers that keep the narrow totals table
 * (server/storage/curator-counts.ts curatorProgramTotalsTable) in step with the index, in the
 * statement that writes an index row (an upsert's conflict fires the UPDATE trigger).
 */
export const CURATOR_TOTALS_TRIGGERS = `
	CREATE TRIGGER curator_program_totals_insert AFTER INSERT ON curator_program_index BEGIN
		${totalsUpsert('NEW')};
	END;
	CREATE TRIGGER curator_program_totals_delete AFTER DELETE ON curator_program_index BEGIN
		DELETE FROM curator_program_totals WHERE program_id = OLD.program_id;
	END;
	CREATE TRIGGER curator_program_totals_update AFTER UPDATE ON curator_program_index
		WHEN ${totalsChanged('IS NOT')} BEGIN
		${totalsUpsert('NEW')};
	END;
`;

/**
 * Migration 151 in SQLite: the triggers that keep the search totals table
 * (server/storage/curator-counts.ts curatorSearchTotalsTable) the join of the totals rows and the
 * search texts, in the statements that write them (an upsert's conflict fires the UPDATE trigger).
 */
export const CURATOR_SEARCH_TOTALS_TRIGGERS = `
	CREATE TRIGGER curator_search_totals_counts_insert AFTER INSERT ON curator_program_totals BEGIN
		${searchTotalsFromTotals('NEW')};
	END;
	CREATE TRIGGER curator_search_totals_counts_update AFTER UPDATE ON curator_program_totals BEGIN
		${searchTotalsFromTotals('NEW')};
	END;
	CREATE TRIGGER curator_search_totals_counts_delete AFTER DELETE ON curator_program_totals BEGIN
		DELETE FROM curator_search_totals WHERE program_id = OLD.program_id;
	END;
	CREATE TRIGGER curator_search_totals_text_insert AFTER INSERT ON curator_program_search BEGIN
		${searchTotalsFromSearch('NEW')};
	END;
	CREATE TRIGGER curator_search_totals_text_update AFTER UPDATE ON curator_program_search
		WHEN OLD.search IS NOT NEW.search BEGIN
		${searchTotalsFromSearch('NEW')};
	END;
	CREATE TRIGGER curator_search_totals_text_delete AFTER DELETE ON curator_program_search BEGIN
		DELETE FROM curator_search_totals WHERE program_id = OLD.program_id;
	END;
`;

const clock = staleClockSql('sqlite', 'curator_program_index.program_id');
const setClock = (where: string) =>
	`UPDATE curator_program_index SET stale_clock = ${clock} WHERE ${where};`;

/**
 * Migration 132 in SQLite, after the column: a session opened (or moved to another person by a
 * merge) and a participant added, removed or moved set the stale clock of the programs concerned
 * again. A session's use (`last_used_at`) does not: the clock counts sessions opened.
 */
export const STALE_CLOCK_TRIGGERS = `
	CREATE TRIGGER curator_stale_clock_session AFTER INSERT ON sessions BEGIN
		${setClock('program_id IN (SELECT program_id FROM curator_program_users WHERE user_id = NEW.person_id)')}
	END;
	CREATE TRIGGER curator_stale_clock_session_person AFTER UPDATE OF person_id ON sessions
		WHEN OLD.person_id IS NOT NEW.person_id BEGIN
		${setClock('program_id IN (SELECT program_id FROM curator_program_users WHERE user_id IN (OLD.person_id, NEW.person_id))')}
	END;
	CREATE TRIGGER curator_stale_clock_participant_insert AFTER INSERT ON program_participants BEGIN
		${setClock('program_id = NEW.program_id')}
	END;
	CREATE TRIGGER curator_stale_clock_participant_delete AFTER DELETE ON program_participants BEGIN
		${setClock('program_id = OLD.program_id')}
	END;
	CREATE TRIGGER curator_stale_clock_participant_update AFTER UPDATE ON program_participants BEGIN
		${setClock('program_id IN (OLD.program_id, NEW.program_id)')}
	END;
`;

const indexedOrg = (program: string) =>
	`(SELECT j.organization_id FROM curator_program_index j WHERE j.program_id = ${program})`;

/**
 * AFTER INSERT, UPDATE and DELETE triggers `<name>_insert` … of `table` running `step` on the row
 * written: NEW when inserted, OLD when deleted, OLD then NEW when updated (`updateWhen`: only an
 * update that changes what `step` reads).
 */
const onWrite = (
	name: string,
	table: string,
	step: (row: 'NEW' | 'OLD') => string,
	updateWhen?: string
) => `
	CREATE TRIGGER ${name}_insert AFTER INSERT ON ${table} BEGIN
		${step('NEW')};
	END;
	CREATE TRIGGER ${name}_update AFTER UPDATE ON ${table} ${updateWhen ? `WHEN ${updateWhen}` : ''} BEGIN
		${step('OLD')};
		${step('NEW')};
	END;
	CREATE TRIGGER ${name}_delete AFTER DELETE ON ${table} BEGIN
		${step('OLD')};
	END;
`;

/**
 * Migration 157 in SQLite: the triggers that keep the mentors and mentees of each organization
 * (server/storage/curator-people.ts) in step with the participants, the index rows and the
 * cancellations, in the statements that write them.
 */
export const CURATOR_ORG_PEOPLE_TRIGGERS = `
	${onWrite(
		'curator_org_people_participant',
		'program_participants',
		participantStep,
		'OLD.program_id IS NOT NEW.program_id OR OLD.person_id IS NOT NEW.person_id OR OLD.role IS NOT NEW.role'
	)}
	${onWrite(
		'curator_org_people_index',
		'curator_program_index',
		indexRowStep,
		'OLD.organization_id IS NOT NEW.organization_id'
	)}
	CREATE TRIGGER curator_org_people_cancelled AFTER INSERT ON program_cancellations BEGIN
		${unlinkProgramPeople('NEW.program_id', indexedOrg('NEW.program_id'), false)};
	END;
	CREATE TRIGGER curator_org_people_restored AFTER DELETE ON program_cancellations BEGIN
		${linkProgramPeople('OLD.program_id', indexedOrg('OLD.program_id'), false)};
	END;
`;

/**
 * Migration 161 in SQLite: each row of `curator_org_people` that comes or goes appended to its
 * organization's count (server/storage/curator-people.ts). An upsert that finds the row updates
 * its links and fires no INSERT trigger; nothing moves a row to another organization or role,
 * but were it done, the update trigger counts it.
 */
export const CURATOR_ORG_PEOPLE_COUNT_TRIGGERS = `
	CREATE TRIGGER curator_org_people_counted AFTER INSERT ON curator_org_people BEGIN
		${countOrgPerson('NEW')};
	END;
	CREATE TRIGGER curator_org_people_uncounted AFTER DELETE ON curator_org_people BEGIN
		${countOrgPerson('OLD')};
	END;
	CREATE TRIGGER curator_org_people_recounted AFTER UPDATE OF organization_id, role ON curator_org_people
		WHEN OLD.organization_id IS NOT NEW.organization_id OR OLD.role IS NOT NEW.role BEGIN
		${countOrgPerson('OLD')};
		${countOrgPerson('NEW')};
	END;
`;

/**
 * Migration 158 in SQLite: the triggers that move an organization's registry clock
 * (server/storage/registry-clock.ts) when a person, a program or a participant is written.
 */
export const REGISTRY_CLOCK_TRIGGERS = registryClockTriggers(onWrite);
