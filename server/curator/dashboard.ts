/**
 * The monitoring dashboard: every program of an organization (or of every organization of a
 * municipality) with its stage, progress, overdue activities, next deadline, reports and the
 * sync health of each participant's devices — read from the index the document store keeps
 * (server/storage/curator-index.ts), never from the documents. Filters, sorting and search run in SQL;
 * only the rows of the requested page have their summary JSON parsed.
 */
import { notCancelled } from './cancelled.js';
import { isOrgKind } from '../../src/lib/shared/organization.js';
import type { DeviceSyncRow } from '../storage/document-store.js';
import type { SqlClient } from '../storage/sql.js';
import type {
	DashboardQuery,
	DashboardResult,
	DashboardRow,
	DashboardTotals,
	DeviceView,
	OrganizationAggregate,
	ParticipantRow,
	ProblemFlag,
	SortKey
} from '../../src/lib/shared/api/curator.js';
import type { ProgramSummary } from '../../src/lib/shared/program/index.js';
import { today as todayIn, DEFAULT_TIME_ZONE } from '../../src/lib/shared/time.js';
import { localDaySql, outdatedSql, type LocalDay } from './local-day.js';
import {
	COUNT_COLUMNS,
	FLAG_BITS,
	FOLD_ABOVE,
	countValues,
	flagsSql,
	foldCounts
} from '../storage/curator-counts.js';

// The answers' shapes are the API contract (src/lib/shared/api/curator.ts).
export type { DashboardQuery, DashboardResult, DashboardRow, OrganizationAggregate };

export const DAY_MS = 86_400_000;
export const DEFAULT_STALE_DAYS = 7;

/** Case- and ё-insensitive folding (for comparisons in JS). */
export function fold(s: string): string {
	return s.toLowerCase().replace(/ё/g, 'е');
}

const SORT_SQL: Record<SortKey, string> = {
	title: 'i.title',
	organization: 'o.name',
	stage:
		"CASE i.stage_phase WHEN 'not-started' THEN -1 WHEN 'unscheduled' THEN -2 WHEN 'finished' THEN 1000 ELSE i.stage_index END",
	progress: 'i.progress_percent',
	overdue: 'i.overdue_count',
	'next-deadline': 'i.next_deadline',
	'reports-due': 'i.reports_due',
	'reports-submitted': 'i.reports_submitted',
	'last-activity': 'i.last_edit_at',
	'last-seen': 'i.min_participant_seen',
	start: 'i.start_date',
	end: 'i.end_date'
};

const STAGE_PHASES = new Set(['not-started', 'finished', 'unscheduled']);

export interface Scope {
	organizationIds: string[];
	/** The scope's IANA zone (the organization's or the municipality's): its "today". Default Europe/Moscow. */
	timeZone?: string;
}

/** SQL with its parameters, in order. */
interface Fragment {
	sql: string;
	params: unknown[];
}

/**
 * "Not seen for the threshold" (the stale flag), per program `i`: a mentor or mentee who has
 * opened an invitation (has had a session, or reached the relay for this program) and of whom
 * nothing is newer than the cutoff — no contact of a device with this program, no session opened
 * (the invitation or a new link), no joining of the program. The clock starts when the invitation
 * is opened: someone who never opened one is «приглашение не открыто» (notOpenedSql), not stale.
 * The earliest such "latest sign" of the program's people is its stale clock, kept in the index
 * row (migration 132, server/storage/curator-index.ts staleClockSql): one indexed comparison.
 */
function staleSql(cutoff: number): Fragment {
	return { sql: "(i.status != 'completed' AND i.stale_clock < ?)", params: [cutoff] };
}

/**
 * The same flag asked of each participant's facts (what the stale clock stands for), for
 * program `i`, its users restricted by `users`: the tests compare the clock with it.
 */
export function staleByFactsSql(users: Fragment, cutoff: number): Fragment {
	return {
		sql: `(i.status != 'completed' AND i.min_participant_seen < ? AND i.program_id IN (
	SELECT u.program_id FROM curator_program_users u WHERE ${users.sql}
		AND u.device_seen < ?
		AND (u.devices > 0 OR u.user_id IN (SELECT s.person_id FROM sessions s))
		AND u.user_id NOT IN (SELECT s.person_id FROM sessions s WHERE s.created_at >= ?)
		AND NOT EXISTS (SELECT 1 FROM program_participants pp
			WHERE pp.program_id = u.program_id AND pp.person_id = u.user_id AND pp.added_at >= ?)))`,
		params: [cutoff, ...users.params, cutoff, cutoff, cutoff]
	};
}

/**
 * A mentor or mentee of program `i` who never had a session and never reached the relay for it
 * (an integration's access token counts as reaching it): the invitation is not opened yet. Asked
 * as one set (`i.program_id IN (…)`, built once per query: a hashed subplan) of the few mentors
 * and mentees with no device (an index of the device count: migration 132's partial index in
 * SQLite, 148's in PostgreSQL), not per program.
 */
function notOpenedSql(): Fragment {
	return {
		sql: `(i.status != 'completed' AND i.program_id IN (
	SELECT u.program_id FROM curator_program_users u
		WHERE u.devices = 0 AND u.user_id NOT IN (SELECT s.person_id FROM sessions s)))`,
		params: []
	};
}

interface Built {
	where: string;
	params: unknown[];
}

/**
 * The conditions on the attributes a counter row is kept per (organization, status, stage, form,
 * category, template, types): the same on an index row (`a` = i) and on a counter row of
 * curator_index_counts (server/storage/curator-counts.ts), whose columns bear the same names.
 */
function attributeConditions(scope: Scope, q: DashboardQuery, a: string): Built {
	const where: string[] = [];
	const params: unknown[] = [];
	if (scope.organizationIds.length === 0) where.push('1 = 0');
	else {
		where.push(`${a}.organization_id IN (${scope.organizationIds.map(() => '?').join(',')})`);
		params.push(...scope.organizationIds);
	}
	if (q.organizationId) {
		where.push(`${a}.organization_id = ?`);
		params.push(q.organizationId);
	}
	if (q.form) {
		where.push(`${a}.form = ?`);
		params.push(q.form);
	}
	if (q.type) {
		where.push(`instr(${a}.types, ?) > 0`);
		params.push(`,${q.type},`);
	}
	if (q.category) {
		where.push(`${a}.category = ?`);
		params.push(q.category);
	}
	if (q.templateId) {
		where.push(`${a}.template_id = ?`);
		params.push(q.templateId);
	}
	if (q.status) {
		where.push(`${a}.status = ?`);
		params.push(q.status);
	}
	// Attributes of the program's organization (kind ОО / ДОУ / ДО, ШНОР / ШССУ; migration 96).
	if (q.orgKind) {
		where.push(`${a}.organization_id IN (SELECT id FROM organizations WHERE kind = ?)`);
		params.push(q.orgKind);
	}
	if (q.orgMark === 'low-results')
		where.push(`${a}.organization_id IN (SELECT id FROM organizations WHERE low_results = 1)`);
	if (q.orgMark === 'hard-social')
		where.push(`${a}.organization_id IN (SELECT id FROM organizations WHERE hard_social = 1)`);
	if (q.stage) {
		if (STAGE_PHASES.has(q.stage)) {
			where.push(`${a}.stage_phase = ?`);
			params.push(q.stage);
		} else {
			where.push(`${a}.stage_phase = 'in-progress' AND ${a}.stage_kind = ?`);
			params.push(q.stage);
		}
	}
	return { where: where.join(' AND '), params };
}

function buildWhere(
	scope: Scope,
	q: DashboardQuery,
	staleCutoff: number,
	dialect: SqlClient['dialect'],
	/** The row `i` has the search text itself (curator_search_totals): its words tested there. */
	withText = false
): Built {
	const attributes = attributeConditions(scope, q, 'i');
	const where: string[] = [attributes.where];
	const params: unknown[] = [...attributes.params];
	// Cancelled programs are not monitored (server/curator/cancelled.ts); one asked for by id is shown.
	if (!q.programId) where.push(notCancelled('i.program_id'));
	if (q.programId) {
		where.push('i.program_id = ?');
		params.push(q.programId);
	}
	const qs = q.q?.trim();
	if (qs) {
		// Every word somewhere in the folded title and names: one pass over the search rows for all
		// the words. PostgreSQL: LIKE, which its trigram index answers (migration 131); SQLite: instr.
		// The totals of a search read the text beside the counts (migration 151), the page the
		// search rows of the programs it walks to (their trigram index, migration 131, if it pays).
		const words = fold(qs).split(/\s+/).slice(0, 5);
		const text = withText ? 'i.search' : 's.search';
		const test = dialect === 'postgres' ? `${text} LIKE ?` : `instr(${text}, ?) > 0`;
		const all = words.map(() => test).join(' AND ');
		where.push(
			withText
				? `(${all})`
				: `i.program_id IN (SELECT s.program_id FROM curator_program_search s WHERE ${all})`
		);
		params.push(
			...words.map((w) => (dialect === 'postgres' ? `%${w.replace(/[\\%_]/g, '\\$&')}%` : w))
		);
	}
	for (const f of q.flags ?? []) {
		switch (f) {
			case 'overdue':
				where.push('i.overdue_count > 0');
				break;
			case 'reports-due':
				where.push('i.reports_due > 0');
				break;
			case 'reports-submitted':
				where.push('i.reports_submitted > 0');
				break;
			case 'reports-returned':
				where.push('i.reports_returned > 0');
				break;
			case 'pending-sync':
				where.push('i.pending_devices > 0');
				break;
			case 'stale': {
				const stale = staleSql(staleCutoff);
				where.push(stale.sql);
				params.push(...stale.params);
				break;
			}
			case 'not-opened': {
				const notOpened = notOpenedSql();
				where.push(notOpened.sql);
				params.push(...notOpened.params);
				break;
			}
			case 'changes-pending':
				where.push('i.changes_pending > 0');
				break;
			case 'problems':
				where.push('i.problems > 0');
				break;
		}
	}
	return { where: where.join(' AND '), params };
}

interface IndexRow {
	program_id: string;
	organization_id: string | null;
	org_name: string | null;
	summary: string;
	as_of: string;
	computed_at: number;
	pending_devices: number | null;
	min_participant_seen: number | null;
}

type FactRow = DeviceSyncRow;

export interface DashboardOptions {
	now?: number;
	/** Live connections (userId, deviceId) per program, from the relay. */
	connected?: (programId: string) => Array<{ userId: string; deviceId: string | undefined }>;
	/** False: count the totals and the pickers over the index rows, not from the counters (tests compare). */
	counters?: boolean;
}

/**
 * Device sync state from the stored facts and the live connections:
 * pending — its last status report counted changes not yet on the server;
 * in-sync — connected now, nothing pending;
 * seen — not connected now, left with nothing pending, last contact within the threshold;
 * stale — not seen by the server for the threshold.
 */
export function deviceState(
	f: Omit<FactRow, 'program_id' | 'user_id' | 'device_id'>,
	staleCutoff: number,
	connected: boolean
): DeviceView['state'] {
	const seen = lastSeen(f);
	if ((f.pending ?? 0) > 0) return 'pending';
	if (connected) return 'in-sync';
	if (seen === null || seen < staleCutoff) return 'stale';
	return 'seen';
}

function lastSeen(
	f: Pick<
		FactRow,
		'last_connected_at' | 'last_update_at' | 'last_in_sync_at' | 'pending_reported_at'
	>
): number | null {
	const v = Math.max(
		f.last_connected_at ?? 0,
		f.last_update_at ?? 0,
		f.last_in_sync_at ?? 0,
		f.pending_reported_at ?? 0
	);
	return v > 0 ? v : null;
}

const SEVERITY: Record<ParticipantRow['sync'], number> = {
	pending: 4,
	'not-opened': 3,
	never: 3,
	stale: 2,
	seen: 1,
	'in-sync': 0
};

/** `sum(cond)` of SQLite, portable: PostgreSQL cannot sum booleans. */
const countIf = (cond: string) => `coalesce(sum(CASE WHEN ${cond} THEN 1 ELSE 0 END), 0)`;

/**
 * The counter rows (curator_index_counts, server/storage/curator-counts.ts) of the programs the
 * query matches, as a subquery with the counter table's columns: the scope's counters on the
 * query's attributes and flags, and the cancelled programs' own rows subtracted (cancellations
 * are few — mistakes and duplicates — so the counters keep every program and the reader takes
 * those off). Null when the query filters on what no counter is kept per (search, one program,
 * the stale and «приглашение не открыто» flags): the totals are then counted over the index.
 */
function countedRows(scope: Scope, q: DashboardQuery): Fragment | null {
	if (q.programId || q.q?.trim()) return null;
	let bits = 0;
	for (const f of q.flags ?? []) {
		const flag = FLAG_BITS[f];
		if (!flag) return null;
		bits |= flag.bit;
	}
	const counters = attributeConditions(scope, q, 'c');
	const cancelled = attributeConditions(scope, q, 'x');
	return {
		sql: `SELECT ${COUNT_COLUMNS.split(', ')
			.map((c) => `c.${c}`)
			.join(', ')}
			FROM curator_index_counts c WHERE ${counters.where}${bits ? ` AND (c.flags & ${bits}) = ${bits}` : ''}
			UNION ALL
			SELECT ${countValues('x', -1)} FROM curator_program_index x
			WHERE x.program_id IN (SELECT program_id FROM program_cancellations) AND ${cancelled.where}
				${bits ? ` AND ((${flagsSql('x')}) & ${bits}) = ${bits}` : ''}`,
		params: [...counters.params, ...cancelled.params]
	};
}

/** `sum(n)` of the counter rows `k` where `cond` holds. */
const countedIf = (cond: string) => `coalesce(sum(CASE WHEN ${cond} THEN k.n ELSE 0 END), 0)`;
const bitOf = (flag: ProblemFlag) => FLAG_BITS[flag]?.bit ?? 0;

type CountedTotals = Omit<DashboardTotals, 'stale' | 'notOpened' | 'averageProgress'> & {
	progress: number;
};

/** The totals' overdue activities and reports, summed over `row` (the index's rows or its counters). */
function activityAndReportSums(row: 'i' | 'k'): string {
	return [
		['overdue_count', 'overdueActivities'],
		['reports_expected', 'reportsExpected'],
		['reports_due', 'reportsDue'],
		['reports_submitted', 'reportsSubmitted'],
		['reports_accepted', 'reportsAccepted'],
		['reports_returned', 'reportsReturned']
	]
		.map(([column, name]) => `coalesce(sum(${row}.${column}), 0) AS "${name}"`)
		.join(',\n\t\t\t\t');
}

/** The totals strip but for the stale, not-opened and outdated counts, from the counters. */
function countedTotals(db: SqlClient, counted: Fragment): Promise<CountedTotals | undefined> {
	return db.get<CountedTotals>(
		`SELECT coalesce(sum(k.n), 0) AS programs,
				${countedIf("k.status = 'active'")} AS active,
				${countedIf("k.status = 'draft'")} AS draft,
				${countedIf("k.status = 'completed'")} AS completed,
				${countedIf(`(k.flags & ${bitOf('overdue')}) <> 0`)} AS "withOverdue",
				${activityAndReportSums('k')},
				${countedIf(`(k.flags & ${bitOf('pending-sync')}) <> 0`)} AS "pendingSync",
				coalesce(sum(k.progress_percent), 0) AS progress
			FROM (${counted.sql}) k`,
		counted.params
	);
}

interface FacetRow {
	org: string | null;
	status: string;
	stage: string;
	form: string | null;
	category: string | null;
	template: string | null;
	n: number;
	/** Counter rows summed (deltas not folded yet, plus the cancelled programs' rows). */
	raw: number;
}

/** The pickers' counts of the whole scope (the attributes they pick from are counters' keys). */
function countedFacets(db: SqlClient, scope: Scope): Promise<FacetRow[]> {
	const counted = countedRows(scope, {}) as Fragment;
	return db.all<FacetRow>(
		`SELECT k.organization_id AS org, k.status AS status,
				CASE WHEN k.stage_phase = 'in-progress' THEN coalesce(k.stage_kind, 'custom') ELSE k.stage_phase END AS stage,
				k.form AS form, k.category AS category, k.template_id AS template, sum(k.n) AS n,
				count(*) AS raw
			FROM (${counted.sql}) k
			GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(k.n) <> 0`,
		counted.params
	);
}

/** The pickers' counts over the scope's index rows (what the counters stand for). */
function scannedFacets(db: SqlClient, scope: Scope, staleCutoff: number): Promise<FacetRow[]> {
	const scoped = buildWhere(scope, {}, staleCutoff, db.dialect);
	return db.all<FacetRow>(
		`SELECT i.organization_id AS org, i.status AS status,
				CASE WHEN i.stage_phase = 'in-progress' THEN coalesce(i.stage_kind, 'custom') ELSE i.stage_phase END AS stage,
				i.form AS form, i.category AS category, i.template_id AS template, count(*) AS n, 0 AS raw
			FROM curator_program_index i WHERE ${scoped.where}
			GROUP BY 1, 2, 3, 4, 5, 6`,
		scoped.params
	);
}

/** Folds the counters' deltas when a reader summed many more rows than it has keys (deltas piled up). */
async function foldIfPiled(db: SqlClient, raw: number, keys: number): Promise<void> {
	if (raw <= FOLD_ABOVE || raw <= 2 * keys) return;
	// The answer is already right; a failed fold only leaves the deltas for the next reader.
	await foldCounts(db).catch(() => undefined);
}

/** The sort keys whose column may be NULL (listed after the others, in both directions). */
const NULLABLE_SORTS = new Set<SortKey>(['next-deadline', 'last-activity', 'start', 'end']);

/**
 * The page's ids, sorted and paged over the narrow index only (the summary blobs of the page are
 * read afterwards: carrying them through the sorter would move megabytes per request). The order
 * is the sort column (NULLs last), then title, then id, in both databases. Written so that
 * PostgreSQL reads it from an index per sort key (migration 133: the column, title, id) and stops
 * after the page instead of sorting a region's 100,000 rows: a nullable column in two parts
 * (its values from a partial index, then the NULLs by title), the organization's name through
 * the organizations in name order and each one's programs by title (organizations of one name
 * apart, by id).
 */
function pageSql(
	dialect: SqlClient['dialect'],
	sortKey: SortKey,
	dir: 'ASC' | 'DESC',
	matched: Built,
	limit: number,
	offset: number
): [string, unknown[]] {
	const sortExpr = SORT_SQL[sortKey];
	const tail = 'i.title ASC, i.program_id ASC';
	// Each part needs at most offset + limit rows; the page is cut from their union.
	const upTo = offset + limit;
	const byOrganization = (a: string) =>
		`o.name ${dir}, o.id ${dir}, ${a}.title ASC, ${a}.program_id ASC`;
	if (sortKey === 'organization' && dialect === 'postgres')
		// A join sorted by the organization's name is a scan of the region and a sort (issue 18:
		// 160 ms at 100,000 programs): no index orders programs by their organization's name.
		// Walked instead: the organizations in name order (a few hundred), each one's first
		// programs by title from curator_sort_organization; PostgreSQL stops at the page.
		return [
			`SELECT p.program_id FROM (SELECT id, name FROM organizations ORDER BY name ${dir}, id ${dir}) o
				CROSS JOIN LATERAL (SELECT i.program_id, i.title FROM curator_program_index i
					WHERE i.organization_id = o.id AND ${matched.where} ORDER BY ${tail} LIMIT ?) p
				ORDER BY ${byOrganization('p')} LIMIT ? OFFSET ?`,
			[...matched.params, upTo, limit, offset]
		];
	if (sortKey === 'organization')
		return [
			`SELECT i.program_id FROM organizations o JOIN curator_program_index i ON i.organization_id = o.id
				WHERE ${matched.where} ORDER BY ${byOrganization('i')} LIMIT ? OFFSET ?`,
			[...matched.params, limit, offset]
		];
	if (!NULLABLE_SORTS.has(sortKey))
		return [
			`SELECT i.program_id FROM curator_program_index i
				WHERE ${matched.where} ORDER BY ${sortExpr} ${dir}, ${tail} LIMIT ? OFFSET ?`,
			[...matched.params, limit, offset]
		];
	return [
		`SELECT program_id FROM (
			SELECT * FROM (SELECT i.program_id, 0 AS nulls, ${sortExpr} AS k, i.title
				FROM curator_program_index i WHERE ${matched.where} AND ${sortExpr} IS NOT NULL
				ORDER BY ${sortExpr} ${dir}, ${tail} LIMIT ?) valued
			UNION ALL
			SELECT * FROM (SELECT i.program_id, 1 AS nulls, NULL AS k, i.title
				FROM curator_program_index i WHERE ${matched.where} AND ${sortExpr} IS NULL
				ORDER BY ${tail} LIMIT ?) unvalued
		) p ORDER BY nulls, k ${dir}, title ASC, program_id ASC LIMIT ? OFFSET ?`,
		[...matched.params, upTo, ...matched.params, upTo, limit, offset]
	];
}

/**
 * The totals strip from the counters, and its time-dependent counts — stale (against the cutoff),
 * invitation not opened (against the sessions), outdated (against the local day) — each by a
 * query of its own that reads only the programs it counts.
 */
async function totalsFromCounters(
	db: SqlClient,
	counted: Fragment,
	matched: Built,
	staleCutoff: number,
	localDay: LocalDay
): Promise<DashboardTotals & { outdated: number }> {
	const countWhere = async (f: Fragment, joins = '') =>
		Number(
			(
				await db.get<{ n: number }>(
					`SELECT count(*) AS n FROM curator_program_index i ${joins}
						WHERE ${matched.where} AND ${f.sql}`,
					[...matched.params, ...f.params]
				)
			)?.n ?? 0
		);
	const [sums, stale, notOpened, outdated] = await Promise.all([
		countedTotals(db, counted),
		countWhere(staleSql(staleCutoff)),
		countWhere(notOpenedSql()),
		countWhere(outdatedSql(localDay), localDay.joins)
	]);
	const { progress, ...totals } = sums as CountedTotals;
	const programs = Number(totals.programs);
	return {
		...totals,
		stale,
		notOpened,
		averageProgress: programs > 0 ? Number(progress) / programs : 0,
		outdated
	};
}

export async function queryDashboard(
	db: SqlClient,
	scope: Scope,
	query: DashboardQuery,
	options: DashboardOptions = {}
): Promise<DashboardResult> {
	const now = options.now ?? Date.now();
	const staleDays = clampInt(query.staleDays, 1, 365, DEFAULT_STALE_DAYS);
	const staleCutoff = now - staleDays * DAY_MS;
	const day = todayIn(scope.timeZone ?? DEFAULT_TIME_ZONE, now);
	// Outdated per program: each against the day in its own zone.
	const localDay = await localDaySql(db, now);
	const outdatedIf = outdatedSql(localDay);
	const limit = clampInt(query.limit, 1, 500, 50);
	const offset = clampInt(query.offset, 0, 1_000_000, 0);
	const { where, params } = buildWhere(scope, query, staleCutoff, db.dialect);
	const stale = staleSql(staleCutoff);
	const notOpened = notOpenedSql();

	// The totals, the page's ids and the pickers' counts are independent queries: started together,
	// PostgreSQL runs them on separate connections at once (SQLite in turn). The totals and the
	// pickers' counts are sums of the scope's counters where the query allows (countedRows).
	const counted = options.counters === false ? null : countedRows(scope, query);
	// A search's totals from its matches' rows alone, with their text (curator-counts.ts
	// curatorSearchTotalsTable): the same rows as the totals table joined to the search texts.
	const searched = Boolean(query.q?.trim());
	const counting = searched ? buildWhere(scope, query, staleCutoff, db.dialect, true) : null;
	const totalsQuery = counted
		? totalsFromCounters(db, counted, { where, params }, staleCutoff, localDay)
		: db.get<DashboardTotals & { outdated: number }>(
				`SELECT count(*) AS programs,
				${countIf("i.status = 'active'")} AS active,
				${countIf("i.status = 'draft'")} AS draft,
				${countIf("i.status = 'completed'")} AS completed,
				${countIf('i.overdue_count > 0')} AS "withOverdue",
				${activityAndReportSums('i')},
				${countIf('i.pending_devices > 0')} AS "pendingSync",
				${countIf(stale.sql)} AS stale,
				${countIf(notOpened.sql)} AS "notOpened",
				coalesce(avg(i.progress_percent), 0) AS "averageProgress",
				${countIf(outdatedIf.sql)} AS outdated
			FROM ${counting ? 'curator_search_totals' : 'curator_program_totals'} i ${localDay.joins}
			WHERE ${counting?.where ?? where}`,
				[
					...stale.params,
					...notOpened.params,
					...outdatedIf.params,
					...(counting?.params ?? params)
				]
			);

	const dir = query.dir === 'desc' ? 'DESC' : 'ASC';
	const sortKey: SortKey = query.sort && query.sort in SORT_SQL ? query.sort : 'title';
	const pageQuery = db.all<{ program_id: string }>(
		...pageSql(db.dialect, sortKey, dir, { where, params }, limit, offset)
	);
	const facetQuery =
		options.counters === false ? scannedFacets(db, scope, staleCutoff) : countedFacets(db, scope);
	const [totalsRow, pageRows, facetRows] = await Promise.all([
		totalsQuery as Promise<DashboardTotals & { outdated: number }>,
		pageQuery,
		facetQuery
	]);
	const page = pageRows.map((r) => r.program_id);
	const byId = new Map<string, IndexRow>();
	if (page.length > 0) {
		for (const r of await db.all<IndexRow>(
			`SELECT i.program_id, i.organization_id, o.name AS org_name, ps.summary, i.as_of, i.computed_at,
					i.pending_devices, i.min_participant_seen
				FROM curator_program_index i
					LEFT JOIN organizations o ON o.id = i.organization_id
				JOIN program_summaries ps ON ps.program_id = i.program_id
				WHERE i.program_id IN (${page.map(() => '?').join(',')})`,
			page
		))
			byId.set(r.program_id, r);
	}
	const rows = page.map((id) => byId.get(id)).filter((r): r is IndexRow => r !== undefined);

	const facts = new Map<string, FactRow[]>();
	const access: AccessFacts = { opened: new Map(), added: new Map() };
	if (rows.length > 0) {
		const ids = rows.map((r) => r.program_id);
		const list = await db.all<FactRow>(
			`SELECT * FROM program_device_sync WHERE program_id IN (${ids.map(() => '?').join(',')})`,
			ids
		);
		for (const f of list) {
			const arr = facts.get(f.program_id) ?? [];
			arr.push(f);
			facts.set(f.program_id, arr);
		}
		// When each participant opened an invitation (first and last session) and joined the program.
		const marks = ids.map(() => '?').join(',');
		for (const a of await db.all<{ person_id: string; first: number; last: number }>(
			`SELECT s.person_id, min(s.created_at) AS first, max(s.created_at) AS last FROM sessions s
				WHERE s.person_id IN (SELECT u.user_id FROM curator_program_users u WHERE u.program_id IN (${marks}))
				GROUP BY s.person_id`,
			ids
		))
			access.opened.set(a.person_id, { first: Number(a.first), last: Number(a.last) });
		for (const a of await db.all<{ program_id: string; person_id: string; added_at: number }>(
			`SELECT program_id, person_id, added_at FROM program_participants WHERE program_id IN (${marks})`,
			ids
		))
			access.added.set(`${a.program_id} ${a.person_id}`, Number(a.added_at));
	}

	const out = rows.map((r) =>
		toRow(
			r,
			facts.get(r.program_id) ?? [],
			staleCutoff,
			options.connected?.(r.program_id) ?? [],
			access
		)
	);

	// All pickers' counts from one scan of the covering facet index.
	const facets: DashboardResult['facets'] = {
		status: {},
		stage: {},
		form: {},
		category: {},
		template: {},
		organization: {}
	};
	const add = (o: Record<string, number>, k: string | null, n: number) => {
		o[k ?? ''] = (o[k ?? ''] ?? 0) + n;
	};
	for (const f of facetRows) {
		add(facets.status, f.status, f.n);
		add(facets.stage, f.stage, f.n);
		add(facets.form, f.form, f.n);
		add(facets.category, f.category, f.n);
		add(facets.template, f.template, f.n);
		add(facets.organization, f.org, f.n);
	}

	await foldIfPiled(
		db,
		facetRows.reduce((n, f) => n + Number(f.raw), 0),
		facetRows.length
	);
	const { outdated, ...totals } = totalsRow;
	return {
		today: day,
		staleDays,
		total: totals.programs,
		offset,
		limit,
		rows: out,
		totals: { ...totals, averageProgress: Math.round(totals.averageProgress) },
		facets,
		outdated
	};
}

/** Per page: each participant's sessions (first, last opened) and each place's joining time. */
interface AccessFacts {
	opened: Map<string, { first: number; last: number }>;
	/** `${programId} ${personId}` → added_at. */
	added: Map<string, number>;
}

function toRow(
	r: IndexRow,
	facts: FactRow[],
	staleCutoff: number,
	live: Array<{ userId: string; deviceId: string | undefined }>,
	access: AccessFacts = { opened: new Map(), added: new Map() }
): DashboardRow {
	const s = JSON.parse(r.summary) as ProgramSummary;
	let stale = false;
	let notOpened = false;
	const participants: ParticipantRow[] = (s.participants ?? []).map((p) => {
		const mine = p.userId ? facts.filter((f) => f.user_id === p.userId) : [];
		const devices: DeviceView[] = mine.map((f) => {
			const connected = live.some(
				(c) => c.userId === f.user_id && (c.deviceId ?? 'unknown') === f.device_id
			);
			return {
				deviceId: f.device_id,
				state: deviceState(f, staleCutoff, connected),
				lastSeenAt: connected ? Date.now() : lastSeen(f),
				lastInSyncAt: f.last_in_sync_at,
				pending: f.pending ?? 0,
				pendingReportedAt: f.pending_reported_at,
				connected
			};
		});
		let sync: ParticipantRow['sync'] = devices.length === 0 ? 'never' : 'in-sync';
		for (const d of devices) if (SEVERITY[d.state] > SEVERITY[sync]) sync = d.state;
		// A person who has one up-to-date device and an old abandoned one is not "stale".
		if (sync === 'stale') {
			if (devices.some((d) => d.state === 'in-sync')) sync = 'in-sync';
			else if (devices.some((d) => d.state === 'seen')) sync = 'seen';
		}
		const seen = devices.reduce<number | null>(
			(m, d) => (d.lastSeenAt !== null && (m === null || d.lastSeenAt > m) ? d.lastSeenAt : m),
			null
		);
		// The "not seen" clock starts when the invitation is opened (and again at a new sign-in or
		// when the person joins this program): see staleSql.
		const opened = p.userId ? access.opened.get(p.userId) : undefined;
		const counted = p.role === 'mentor' || p.role === 'mentee';
		if (p.userId && counted && !opened && devices.length === 0) {
			notOpened = true;
			sync = 'not-opened';
		} else if (p.userId && counted) {
			const since = Math.max(
				seen ?? 0,
				opened?.last ?? 0,
				access.added.get(`${r.program_id} ${p.userId}`) ?? 0
			);
			if (since < staleCutoff) stale = true;
			else if (sync === 'stale') sync = 'seen';
		}
		return {
			id: p.id,
			role: p.role,
			name: p.name,
			userId: p.userId,
			lastEditAt: (p.userId && s.lastEdits?.[p.userId]) || null,
			lastSeenAt: seen,
			sync,
			devices,
			invitationOpenedAt: opened?.first ?? null
		};
	});
	const flags: ProblemFlag[] = [];
	if (s.overdue.count > 0) flags.push('overdue');
	if (s.reports.due > 0) flags.push('reports-due');
	if (s.reports.submitted > 0) flags.push('reports-submitted');
	if (s.reports.returned > 0) flags.push('reports-returned');
	if ((r.pending_devices ?? 0) > 0) flags.push('pending-sync');
	if (s.status !== 'completed' && (r.min_participant_seen ?? 0) < staleCutoff && stale)
		flags.push('stale');
	if (s.changeRequests.pending > 0) flags.push('changes-pending');
	if (s.problems.length > 0) flags.push('problems');
	if (s.status !== 'completed' && notOpened) flags.push('not-opened');
	const { dueKeys: _dueKeys, ...reports } = s.reports;
	void _dueKeys;
	return {
		programId: r.program_id,
		organizationId: r.organization_id,
		organizationName: r.org_name,
		title: s.title,
		templateId: s.templateId,
		form: s.form,
		types: s.types,
		category: s.menteeCategory,
		status: s.status,
		stage: s.stage,
		startDate: s.startDate,
		endDate: s.endDate,
		progress: s.progress,
		overdue: s.overdue.count,
		nextDeadline: s.nextDeadline?.date ?? null,
		reports,
		meetings: { count: s.meetings.count, lastDate: s.meetings.lastDate },
		changesPending: s.changeRequests.pending,
		participants,
		flags,
		asOf: r.as_of,
		computedAt: r.computed_at
	};
}

export function clampInt(v: unknown, min: number, max: number, dflt: number): number {
	const n = typeof v === 'string' ? Number(v) : v;
	if (typeof n !== 'number' || !Number.isFinite(n)) return dflt;
	return Math.min(max, Math.max(min, Math.trunc(n)));
}

/**
 * People of each organization's programs by role, each counted once however many programs they
 * are in (the registry's participants; a sum over programs would count a mentor of two twice):
 * the counts of the rows the triggers keep per organization, role and person
 * (storage/curator-people.ts), a few delta rows per organization.
 */
const distinctPeople = (marks: string) =>
	`SELECT organization_id AS org,
			sum(CASE WHEN role = 'mentor' THEN n ELSE 0 END) AS mentors,
			sum(CASE WHEN role = 'mentee' THEN n ELSE 0 END) AS mentees
		FROM curator_org_people_counts WHERE organization_id IN (${marks})
		GROUP BY organization_id`;

export async function organizationAggregates(
	db: SqlClient,
	organizationIds: string[],
	options: { now?: number; staleDays?: number } = {}
): Promise<OrganizationAggregate[]> {
	if (organizationIds.length === 0) return [];
	const now = options.now ?? Date.now();
	const cutoff = now - clampInt(options.staleDays, 1, 365, DEFAULT_STALE_DAYS) * DAY_MS;
	const marks = organizationIds.map(() => '?').join(',');
	const counted = countedRows({ organizationIds }, {}) as Fragment;
	const stale = staleSql(cutoff);
	// Each organization's sums from its counters; its stale programs counted apart (time-dependent).
	return db
		.all<OrganizationAggregate & { progress: number }>(
			`SELECT o.id AS "organizationId", o.name AS name, o.kind AS kind,
				o.low_results AS "lowResults", o.hard_social AS "hardSocial",
				coalesce(k.programs, 0) AS programs, coalesce(k.active, 0) AS active,
				coalesce(k.completed, 0) AS completed, coalesce(k.progress, 0) AS progress,
				coalesce(k."withOverdue", 0) AS "withOverdue", coalesce(k."reportsDue", 0) AS "reportsDue",
				coalesce(k."reportsSubmitted", 0) AS "reportsSubmitted",
				coalesce(k."reportsAccepted", 0) AS "reportsAccepted",
				coalesce(k."pendingSync", 0) AS "pendingSync", coalesce(st.n, 0) AS stale,
				coalesce(pe.mentors, 0) AS mentors, coalesce(pe.mentees, 0) AS mentees
			FROM organizations o
			LEFT JOIN (SELECT k.organization_id AS org, sum(k.n) AS programs,
					${countedIf("k.status = 'active'")} AS active,
					${countedIf("k.status = 'completed'")} AS completed,
					sum(k.progress_percent) AS progress,
					${countedIf(`(k.flags & ${bitOf('overdue')}) <> 0`)} AS "withOverdue",
					sum(k.reports_due) AS "reportsDue", sum(k.reports_submitted) AS "reportsSubmitted",
					sum(k.reports_accepted) AS "reportsAccepted",
					${countedIf(`(k.flags & ${bitOf('pending-sync')}) <> 0`)} AS "pendingSync"
				FROM (${counted.sql}) k GROUP BY k.organization_id) k ON k.org = o.id
			LEFT JOIN (SELECT i.organization_id AS org, count(*) AS n FROM curator_program_index i
				WHERE i.organization_id IN (${marks}) AND ${notCancelled('i.program_id')} AND ${stale.sql}
				GROUP BY i.organization_id) st ON st.org = o.id
			LEFT JOIN (${distinctPeople(marks)}) pe ON pe.org = o.id
			WHERE o.id IN (${marks})
			ORDER BY o.name`,
			[
				...counted.params,
				...organizationIds,
				...stale.params,
				...organizationIds,
				...organizationIds
			]
		)
		.then((rows) =>
			rows.map(({ progress, ...r }) => ({
				...r,
				averageProgress:
					Number(r.programs) > 0 ? Math.round(Number(progress) / Number(r.programs)) : 0,
				kind: isOrgKind(r.kind) ? r.kind : null,
				lowResults: Number(r.lowResults) === 1,
				hardSocial: Number(r.hardSocial) === 1
			}))
		);
}
