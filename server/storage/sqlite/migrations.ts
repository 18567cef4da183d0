/**
 * The numbered migrations in the SQLite dialect (the list: server/storage/migrations/index.ts).
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
	STALE_CLOCK_TRIGGERS,
	CURATOR_ORG_PEOPLE_TRIGGERS,
	CURATOR_ORG_PEOPLE_COUNT_TRIGGERS,
	REGISTRY_CLOCK_TRIGGERS
} from './curator-counts.js';
import { RECENT_LOG_SEQUENCE } from './recent-log.js';
import { CLUSTERED_LOG, LARGE_LOG_ROWS } from './clustered-log.js';

export type { Migration } from '../migrations/index.js';

export const migrations: Migration[] = migrationsFor('sqlite', {
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
	curatorTotalsFilled: 'SELECT 1;',
	curatorSearchTotalsTriggers: CURATOR_SEARCH_TOTALS_TRIGGERS,
	curatorSearchTotalsFilled: 'SELECT 1;',
	staleClockTriggers: STALE_CLOCK_TRIGGERS,
	// One writer: no lock order to keep.
	staleClockLockOrder: 'SELECT 1;',
	recentLogSequence: RECENT_LOG_SEQUENCE,
	clusteredLog: CLUSTERED_LOG,
	largeLogRows: LARGE_LOG_ROWS,
	curatorOrgPeopleTriggers: CURATOR_ORG_PEOPLE_TRIGGERS,
	curatorOrgPeopleCountTriggers: CURATOR_ORG_PEOPLE_COUNT_TRIGGERS,
	curatorOrgPeopleFilled: 'SELECT 1;',
	registryClockTriggers: REGISTRY_CLOCK_TRIGGERS
});
