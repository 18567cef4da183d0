/**
 * The numbered schema migrations of the store, listed once for SQLite and PostgreSQL. Each runs
 * once, in its own transaction, in order, at start-up (sqlite/database.ts, postgres/database.ts).
 * Databases in the field have applied them by number: never edit, renumber or rename a migration
 * that has shipped; add the next number here, with its table definitions in ./schema.ts and, only
 * where the dialects really differ, its dialect's statements beside that dialect's store.
 */
import { columnTypes, type Dialect } from './dialect.js';
import {
	accessTokensTable,
	clientIdOwners,
	programLogKeys,
	recentUpdateLog,
	largeUpdateLog,
	curatorCasesTable,
	curatorIndexTables,
	curatorProgramUsers,
	identityTables,
	relayTables,
	ordersAndConsentKinds,
	peopleStaffKind,
	curatorProgramHistory,
	scopeTimeZones,
	serverMeta,
	curatorRecords,
	managementReserveTable,
	organizationAttributes,
	rolloutPlanTables,
	scopeDocumentVersions,
	municipalityCalendars,
	attachmentTables,
	curatorUserSync
} from './schema.js';
import {
	curatorIndexCountsTable,
	curatorProgramTotalsTable,
	curatorSearchTotalsTable,
	staleClockColumn
} from '../curator-counts.js';
import { staleClockSql } from '../curator-index.js';
import { curatorOrgPeopleCountsTable, curatorOrgPeopleTable } from '../curator-people.js';
import { registryClockTable } from '../registry-clock.js';

export type { Dialect } from './dialect.js';

export interface Migration {
	version: number;
	name: string;
	sql: string;
}

/** The statements of the shipped migrations that are written per dialect. */
export interface DialectStatements {
	/**
	 * Migration 30, between the curator index tables and the cases registry: what filled the index
	 * from the summaries and the device facts (SQLite triggers; PL/pgSQL functions and triggers).
	 */
	curatorIndexTriggers: string;
	/** Migration 31, first: drops what `curatorIndexTriggers` created (the store writes the index). */
	dropCuratorIndexTriggers: string;
	/** Migration 130, after its table: the triggers that keep the index's counters (curator-counts.ts). */
	curatorCountTriggers: string;
	/** Migration 131: the dialect's index for the dashboard's substring search (PostgreSQL: pg_trgm). */
	curatorSearchIndex: string;
	/** Migration 133: the dialect's indexes per sort key of the dashboard. */
	curatorSortIndexes: string;
	/** Migration 132, after the stale clock column: the triggers of sessions and participants that move it. */
	staleClockTriggers: string;
	/** Migration 145: the dialect's indexes and planner statistics for the dashboard's rarer queries. */
	curatorQueryPlans: string;
	/** Migration 146: the dialect's sort indexes without the id (deduplicated). */
	curatorNarrowSortIndexes: string;
	/** Migration 147: the dialect's index of the last activity, most recent first. */
	curatorLastActivityDesc: string;
	/** Migration 148: the dialect's indexes of the stale and «приглашение не открыто» counts. */
	curatorNarrowCounts: string;
	/** Migration 159: the dialect's stale-count index with the types (PostgreSQL). */
	curatorStaleCountTypes: string;
	/** Migration 160: the sessions' trigger locks its programs' index rows in id order (PostgreSQL). */
	staleClockLockOrder: string;
	/** Migration 149: the dialect's title index with the attributes a page is filtered by. */
	curatorTitleFilters: string;
	/** Migration 150: the dialect's options and triggers of the narrow totals table. */
	curatorTotalsTriggers: string;
	/** Migration 150, after the table is filled (PostgreSQL: its statistics). */
	curatorTotalsFilled: string;
	/** Migration 151: the dialect's options and triggers of the search totals table. */
	curatorSearchTotalsTriggers: string;
	/** Migration 151, after the table is filled (PostgreSQL: its trigram index and statistics). */
	curatorSearchTotalsFilled: string;
	/**
	 * Migration 153, after the recent log's table: SQLite starts its sequence where the log's ends,
	 * so a sequence number is never drawn twice (PostgreSQL: nothing, it appends to the log).
	 */
	recentLogSequence: string;
	/**
	 * Migration 154: SQLite rebuilds its log clustered by program (sqlite/clustered-log.ts);
	 * PostgreSQL keeps its own.
	 */
	clusteredLog: string;
	/**
	 * Migration 155, after the big rows' table: SQLite moves its log's big rows there
	 * (sqlite/clustered-log.ts); PostgreSQL has none to move.
	 */
	largeLogRows: string;
	/** Migration 157: the triggers that keep each organization's mentors and mentees (curator-people.ts). */
	curatorOrgPeopleTriggers: string;
	/** Migration 157, after the table is filled (PostgreSQL: its statistics). */
	curatorOrgPeopleFilled: string;
	/** Migration 158: the triggers that move each organization's registry clock (registry-clock.ts). */
	registryClockTriggers: string;
	/** Migration 161: the triggers that count each organization's people rows (curator-people.ts). */
	curatorOrgPeopleCountTriggers: string;
}

export function migrationsFor(dialect: Dialect, statements: DialectStatements): Migration[] {
	const types = columnTypes[dialect];
	return [
		{ version: 1, name: 'server meta', sql: serverMeta(types) },
		{
			// Relay storage (server/storage/sql-document-store.ts, docs/relay.md).
			version: 10,
			name: 'relay: programs registry, update log, compacted state, summaries, device sync facts',
			sql: relayTables(types)
		},
		{
			// Who first wrote under each Yjs client id of a program (docs/relay.md, "Client ids belong
			// to their writer"): a participant cannot write under the partner's id and erase their edits.
			version: 11,
			name: 'relay: owners of Yjs client ids',
			sql: clientIdOwners(types)
		},
		{
			// Identity (server/identity/, docs/identity.md): scopes, people registry, invitations,
			// sessions, consents, audit. Times are Unix milliseconds; ids are random and URL-safe.
			version: 20,
			name: 'identity: municipalities, organizations, people, roles, consents, participants, invitations, sessions, audit',
			sql: identityTables(types)
		},
		{
			// Curator dashboard index, sync aggregate (triggers on program_summaries /
			// program_device_sync) and the registry of successful practices (docs/curator.md).
			version: 30,
			name: 'curator: program index, sync aggregate, cases registry',
			sql: curatorIndexTables(types) + statements.curatorIndexTriggers + curatorCasesTable(types)
		},
		{
			// The curator index is written by the document store in TypeScript, in the same transaction
			// as the summary and the device facts (server/storage/curator-index.ts): the triggers go.
			// The index is emptied here and rebuilt from the stored summaries when the database opens.
			version: 31,
			name: 'curator: index written by the store, not by triggers',
			sql: statements.dropCuratorIndexTriggers + curatorProgramUsers(types)
		},
		{
			// "Today", overdue and document dates are computed in the zone (src/lib/shared/time.ts).
			// NULL = Europe/Moscow for a municipality, the municipality's zone for an organization.
			version: 32,
			name: 'scopes: time zone of municipalities and organizations',
			sql: scopeTimeZones()
		},
		{
			// Standalone access tokens by id (server/identity/access-tokens.ts, docs/access-tokens.md):
			// listed, revoked, checked against the person's current rights at each use.
			version: 50,
			name: 'identity: access tokens by id',
			sql: accessTokensTable(types)
		},
		{
			// Orders (приказы) approving pairs and programs, and consents by kind (server/programs/orders.ts,
			// server/identity/consents.ts, docs/identity.md «Решения, приказы и согласия»).
			version: 60,
			name: 'authority: orders and their programs, consent kinds',
			sql: ordersAndConsentKinds(types)
		},
		{
			// Idempotent program creation, cancelled programs, merged duplicates, erased personal data
			// (server/programs/records.ts, docs/identity.md «Записи куратора»).
			version: 75,
			name: 'records: program creation requests, cancellations, person merges and erasures',
			sql: curatorRecords(types)
		},
		{
			// The registry's staff category of a person (src/lib/shared/figures.ts, docs/curator.md «Показатели»).
			version: 80,
			name: 'figures: staff category of people',
			sql: peopleStaffKind()
		},
		{
			// Per-program summary facts as a time series: figures for a past date or period (docs/curator.md).
			version: 81,
			name: 'figures: per-program history of summary facts',
			sql: curatorProgramHistory(types)
		},
		{
			// Versions of the scope documents, handed-in ones frozen with their figures (docs/curator.md).
			version: 90,
			name: 'documents: versions of the scope documents',
			sql: scopeDocumentVersions(types)
		},
		{
			// A municipality's monitoring calendar, configured by its coordinator (docs/curator.md).
			version: 91,
			name: 'calendar: monitoring calendar per municipality',
			sql: municipalityCalendars(types)
		},
		{
			// The management reserve registry (Dinskoy 2021 §5.6; server/identity/reserve.ts, docs/identity.md).
			version: 95,
			name: 'registries: management reserve',
			sql: managementReserveTable(types)
		},
		{
			// Kind (ОО / ДОУ / ДО) and ШНОР / ШССУ of an organization (docs/identity.md, docs/curator.md).
			version: 96,
			name: 'registries: organization kind and ШНОР / ШССУ marks',
			sql: organizationAttributes(types)
		},
		{
			// An organization's rollout plan of mentoring (server/curator/rollout.ts, docs/curator.md).
			version: 97,
			name: 'student mentoring: rollout plans of organizations',
			sql: rolloutPlanTables(types)
		},
		{
			// Evidence files (issue 17, server/attachments): uploads per program, the stored blobs.
			version: 100,
			name: 'attachments: uploads per program and hash, stored blobs',
			sql: attachmentTables(types)
		},
		{
			// The curator at a region's scale (issue 18): per-participant device facts beside the index.
			version: 120,
			name: 'curator index: devices and latest contact of each mentor and mentee',
			sql: curatorUserSync(types, dialect === 'postgres' ? 'greatest' : 'max')
		},
		{
			// The curator at a region's scale (issue 18): the totals and pickers of a municipality summed
			// over its organizations' counters instead of scanning its programs (curator-counts.ts).
			version: 130,
			name: 'curator index: counters per organization and attributes, kept by triggers',
			sql: curatorIndexCountsTable(types.INT, types.STRICT) + statements.curatorCountTriggers
		},
		{
			// The dashboard's search by a word of a title or a participant's name (issue 18).
			version: 131,
			name: 'curator index: substring search index',
			sql: statements.curatorSearchIndex
		},
		{
			// «Не на связи» as one indexed comparison per program (issue 18): its stale clock.
			version: 132,
			name: 'curator index: stale clock of each program',
			sql:
				staleClockColumn(types.INT, staleClockSql(dialect, 'curator_program_index.program_id')) +
				statements.staleClockTriggers
		},
		{
			// A page of a region's dashboard read in order from an index per sort key (issue 18).
			version: 133,
			name: 'curator index: an index per sort key of the dashboard',
			sql: statements.curatorSortIndexes
		},
		{
			// Every query of a region's dashboard under 100 ms (issue 18): the planner told how rare a
			// combination of the pickers is, and the search's totals read from a narrow index.
			version: 145,
			name: 'curator index: statistics of attribute combinations, stale clock index of every program',
			sql: statements.curatorQueryPlans
		},
		{
			// The region's sort indexes a tenth of their size, and fewer bytes per write (issue 18).
			version: 146,
			name: 'curator index: sort indexes without the id',
			sql: statements.curatorNarrowSortIndexes
		},
		{
			// «Последняя активность», most recent first, read in order (issue 18).
			version: 147,
			name: 'curator index: last activity, most recent first',
			sql: statements.curatorLastActivityDesc
		},
		{
			// The stale and «приглашение не открыто» counts of every request from narrow indexes (issue 18).
			version: 148,
			name: 'curator index: narrow indexes of the stale and not-opened counts',
			sql: statements.curatorNarrowCounts
		},
		{
			// A filtered page by title (a search with a stage) filtered in the title's index (issue 18).
			version: 149,
			name: 'curator index: the title index with the attributes a page is filtered by',
			sql: statements.curatorTitleFilters
		},
		{
			// The totals of a search or of the stale filter counted over a narrow table (issue 18).
			version: 150,
			name: 'curator index: the totals columns in a narrow table of their own',
			sql: curatorProgramTotalsTable(
				types.INT,
				types.STRICT,
				statements.curatorTotalsTriggers,
				statements.curatorTotalsFilled
			)
		},
		{
			// A search's totals read from its matches alone, not a join with the region (issue 18).
			version: 151,
			name: 'curator index: the totals columns beside the search text',
			sql: curatorSearchTotalsTable(
				types.INT,
				types.STRICT,
				statements.curatorSearchTotalsTriggers,
				statements.curatorSearchTotalsFilled
			)
		},
		{
			// The update log's index by a program number: a commit writes fewer pages (issue 18).
			version: 152,
			name: 'relay: the update log indexed by a program number',
			sql: programLogKeys(types)
		},
		{
			// Rows first into a small table, moved to the log in bulk sorted by program (issue 18).
			version: 153,
			name: 'relay: the recent part of the update log',
			sql: recentUpdateLog(types) + statements.recentLogSequence
		},
		{
			// A program's log rows together on a few pages: one range delete per compaction (issue 18).
			version: 154,
			name: 'relay: the update log clustered by program',
			sql: statements.clusteredLog
		},
		{
			// Big rows out of the clustered log: its searches never read a whole program (issue 18).
			version: 155,
			name: "relay: the update log's big rows in a table of their own",
			sql: largeUpdateLog(types) + statements.largeLogRows
		},
		{
			// The figures' history held in memory (server/curator/history-projection.ts, issue 18):
			// what changed since it was last read, and a scope's fingerprint from the index alone.
			version: 156,
			name: 'curator index: by computed_at',
			sql: `CREATE INDEX curator_program_index_by_computed_at ON curator_program_index (computed_at);
				CREATE INDEX curator_program_index_org_computed_at ON curator_program_index (organization_id, computed_at);`
		},
		{
			// The per-organization table's mentors and mentees counted, not grouped by person (issue 18).
			version: 157,
			name: "curator index: each organization's mentors and mentees, kept by triggers",
			sql: curatorOrgPeopleTable(
				types.INT,
				types.STRICT,
				statements.curatorOrgPeopleTriggers,
				statements.curatorOrgPeopleFilled
			)
		},
		{
			// A figure's version read from the scope's few clock rows, not its registry (issue 18).
			version: 158,
			name: "registry: each organization's clock of changes, kept by triggers",
			sql: registryClockTable(types.INT, types.STRICT, statements.registryClockTriggers)
		},
		{
			// A page filtered by type counts its stale programs from an index, not the table (issue 18).
			version: 159,
			name: "curator index: the stale count's index with the programs' types",
			sql: statements.curatorStaleCountTypes
		},
		{
			// A login and the summaries' write deadlocked on two programs' index rows (PostgreSQL).
			version: 160,
			name: "curator index: a session locks its person's programs in the summaries' order",
			sql: statements.staleClockLockOrder
		},
		{
			// The per-organization table's mentors and mentees from a few rows each (issue 18).
			version: 161,
			name: "curator index: each organization's mentors and mentees counted by triggers",
			sql: curatorOrgPeopleCountsTable(
				types.INT,
				types.STRICT,
				statements.curatorOrgPeopleCountTriggers
			)
		}
	];
}
