/**
 * The numbered migrations in the PostgreSQL dialect (the list, and the type mapping that keeps
 * rows identical to SQLite's for `migrate-storage`: server/storage/migrations/). Booleans stay 0/1
 * integers as in SQLite.
 */
import { migrationsFor, type Migration } from '../migrations/index.js';
import { CURATOR_INDEX_TRIGGERS, DROP_CURATOR_INDEX_TRIGGERS } from './curator-triggers.js';
import {
	CURATOR_COUNT_TRIGGERS,
	CURATOR_SEARCH_INDEX,
	CURATOR_SORT_INDEXES,
	CURATOR_QUERY_PLANS,
	CURATOR_NARROW_SORT_INDEXES,
	CURATOR_LAST_ACTIVITY_DESC,
	CURATOR_NARROW_COUNTS,
	CURATOR_STALE_COUNT_TYPES,
	CURATOR_TITLE_FILTERS,
	CURATOR_TOTALS_TRIGGERS,
	CURATOR_SEARCH_TOTALS_TRIGGERS,
	CURATOR_SEARCH_TOTALS_FILLED,
	STALE_CLOCK_TRIGGERS,
	STALE_CLOCK_LOCK_ORDER,
	CURATOR_ORG_PEOPLE_TRIGGERS,
	CURATOR_ORG_PEOPLE_COUNT_TRIGGERS,
	REGISTRY_CLOCK_TRIGGERS
} from './curator-counts.js';

export type PgMigration = Migration;

export const migrations: PgMigration[] = migrationsFor('postgres', {
	curatorIndexTriggers: CURATOR_INDEX_TRIGGERS,
	dropCuratorIndexTriggers: DROP_CURATOR_INDEX_TRIGGERS,
	curatorCountTriggers: CURATOR_COUNT_TRIGGERS,
	curatorSearchIndex: CURATOR_SEARCH_INDEX,
	curatorSortIndexes: CURATOR_SORT_INDEXES,
	curatorQueryPlans: CURATOR_QUERY_PLANS,
	curatorNarrowSortIndexes: CURATOR_NARROW_SORT_INDEXES,
	curatorLastActivityDesc: CURATOR_LAST_ACTIVITY_DESC,
	curatorNarrowCounts: CURATOR_NARROW_COUNTS,
	curatorStaleCountTypes: CURATOR_STALE_COUNT_TYPES,
	curatorTitleFilters: CURATOR_TITLE_FILTERS,
	curatorTotalsTriggers: CURATOR_TOTALS_TRIGGERS,
	curatorTotalsFilled: 'ANALYZE curator_program_totals;',
	curatorSearchTotalsTriggers: CURATOR_SEARCH_TOTALS_TRIGGERS,
	curatorSearchTotalsFilled: CURATOR_SEARCH_TOTALS_FILLED,
	staleClockTriggers: STALE_CLOCK_TRIGGERS,
	staleClockLockOrder: STALE_CLOCK_LOCK_ORDER,
	recentLogSequence: 'SELECT 1;',
	clusteredLog: 'SELECT 1;',
	largeLogRows: 'SELECT 1;',
	curatorOrgPeopleTriggers: CURATOR_ORG_PEOPLE_TRIGGERS,
	curatorOrgPeopleCountTriggers: CURATOR_ORG_PEOPLE_COUNT_TRIGGERS,
	curatorOrgPeopleFilled: 'ANALYZE curator_org_people;',
	registryClockTriggers: REGISTRY_CLOCK_TRIGGERS
});
