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
import { localDaySql, outdatedSql } from './local-day.js';

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
 * The mentors and mentees of the scope's programs (`curator_program_users`), as a condition on
 * `u`: the flags below are asked of them as one set, `i.program_id IN (…)`, which both databases
 * build once per query (a hashed subplan; an ephemeral index) — not probed again for each of a
 * region's 100,000 rows, as a correlated EXISTS was (docs/benchmarks.md «The curator's dashboard»).
 */
function scopeUsers(organizationIds: string[]): Fragment {
	if (organizationIds.length === 0) return { sql: '1 = 0', params: [] };
	return {
		sql: `u.program_id IN (SELECT j.program_id FROM curator_program_index j
			WHERE j.organization_id IN (${organizationIds.map(() => '?').join(',')}))`,
		params: organizationIds
	};
}

/**
 * "Not seen for the threshold" (the stale flag), per program `i` of the scope: a mentor or mentee who has
 * opened an invitation (has had a session, or reached the relay for this program) and of whom nothing is newer than the cutoff — no
 * contact of a device with this program, no session opened (the invitation or a new link), no
 * joining of the program. The clock starts when the invitation is opened: someone who never opened
 * one is «приглашение не открыто» (notOpenedSql), not stale. Each participant's devices and latest
 * device contact are kept beside the index (curator_program_users, migration 120); the program's
 * least recent one (min_participant_seen, 0 = never) prunes first.
 */
function staleSql(organizationIds: string[], cutoff: number): Fragment {
	const users = scopeUsers(organizationIds);
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
 * A mentor or mentee of program `i` (of the scope) who never had a session and never reached the
 * relay for it (an integration's access token counts as reaching it): the invitation is not opened yet.
 */
function notOpenedSql(organizationIds: string[]): Fragment {
	const users = scopeUsers(organizationIds);
	return {
		sql: `(i.status != 'completed' AND i.program_id IN (
	SELECT u.program_id FROM curator_program_users u WHERE ${users.sql}
		AND u.devices = 0 AND u.user_id NOT IN (SELECT s.person_id FROM sessions s)))`,
		params: users.params
	};
}

interface Built {
	where: string;
	params: unknown[];
}

function buildWhere(scope: Scope, q: DashboardQuery, staleCutoff: number): Built {
	const where: string[] = [];
	const params: unknown[] = [];
	if (scope.organizationIds.length === 0) where.push('1 = 0');
	else {
		where.push(`i.organization_id IN (${scope.organizationIds.map(() => '?').join(',')})`);
		params.push(...scope.organizationIds);
	}
	// Cancelled programs are not monitored (server/curator/cancelled.ts); one asked for by id is shown.
	if (!q.programId) where.push(notCancelled('i.program_id'));
	if (q.programId) {
		where.push('i.program_id = ?');
		params.push(q.programId);
	}
	if (q.organizationId) {
		where.push('i.organization_id = ?');
		params.push(q.organizationId);
	}
	if (q.form) {
		where.push('i.form = ?');
		params.push(q.form);
	}
	if (q.type) {
		where.push('instr(i.types, ?) > 0');
		params.push(`,${q.type},`);
	}
	if (q.category) {
		where.push('i.category = ?');
		params.push(q.category);
	}
	if (q.templateId) {
		where.push('i.template_id = ?');
		params.push(q.templateId);
	}
	if (q.status) {
		where.push('i.status = ?');
		params.push(q.status);
	}
	// Attributes of the program's organization (kind ОО / ДОУ / ДО, ШНОР / ШССУ; migration 96).
	if (q.orgKind) {
		where.push('i.organization_id IN (SELECT id FROM organizations WHERE kind = ?)');
		params.push(q.orgKind);
	}
	if (q.orgMark === 'low-results')
		where.push('i.organization_id IN (SELECT id FROM organizations WHERE low_results = 1)');
	if (q.orgMark === 'hard-social')
		where.push('i.organization_id IN (SELECT id FROM organizations WHERE hard_social = 1)');
	if (q.stage) {
		if (STAGE_PHASES.has(q.stage)) {
			where.push('i.stage_phase = ?');
			params.push(q.stage);
		} else {
			where.push("i.stage_phase = 'in-progress' AND i.stage_kind = ?");
			params.push(q.stage);
		}
	}
	const qs = q.q?.trim();
	if (qs) {
		for (const word of fold(qs).split(/\s+/).slice(0, 5)) {
			where.push(
				'i.program_id IN (SELECT program_id FROM curator_program_search WHERE instr(search, ?) > 0)'
			);
			params.push(word);
		}
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
				const stale = staleSql(scope.organizationIds, staleCutoff);
				where.push(stale.sql);
				params.push(...stale.params);
				break;
			}
			case 'not-opened': {
				const notOpened = notOpenedSql(scope.organizationIds);
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
	const { where, params } = buildWhere(scope, query, staleCutoff);
	const from = 'FROM curator_program_index i';
	const stale = staleSql(scope.organizationIds, staleCutoff);
	const notOpened = notOpenedSql(scope.organizationIds);

	// The totals, the page's ids and the pickers' counts are three independent scans of the scope:
	// started together, PostgreSQL runs them on three connections at once (SQLite in turn).
	const totalsQuery = db.get<DashboardTotals & { outdated: number }>(
		`SELECT count(*) AS programs,
				${countIf("i.status = 'active'")} AS active,
				${countIf("i.status = 'draft'")} AS draft,
				${countIf("i.status = 'completed'")} AS completed,
				${countIf('i.overdue_count > 0')} AS "withOverdue",
				coalesce(sum(i.overdue_count), 0) AS "overdueActivities",
				coalesce(sum(i.reports_expected), 0) AS "reportsExpected",
				coalesce(sum(i.reports_due), 0) AS "reportsDue",
				coalesce(sum(i.reports_submitted), 0) AS "reportsSubmitted",
				coalesce(sum(i.reports_accepted), 0) AS "reportsAccepted",
				coalesce(sum(i.reports_returned), 0) AS "reportsReturned",
				${countIf('i.pending_devices > 0')} AS "pendingSync",
				${countIf(stale.sql)} AS stale,
				${countIf(notOpened.sql)} AS "notOpened",
				coalesce(avg(i.progress_percent), 0) AS "averageProgress",
				${countIf(outdatedIf.sql)} AS outdated
			${from} ${localDay.joins} WHERE ${where}`,
		[...stale.params, ...notOpened.params, ...outdatedIf.params, ...params]
	);

	const dir = query.dir === 'desc' ? 'DESC' : 'ASC';
	const sortKey: SortKey = query.sort && query.sort in SORT_SQL ? query.sort : 'title';
	const sortExpr = SORT_SQL[sortKey];
	// Sort and page over the narrow index only; the summary blobs of the page are read afterwards
	// (carrying them through the sorter would move megabytes per request).
	const pageQuery = db.all<{ program_id: string }>(
		`SELECT i.program_id FROM curator_program_index i
			${sortKey === 'organization' ? 'LEFT JOIN organizations o ON o.id = i.organization_id' : ''}
			WHERE ${where}
			ORDER BY (${sortExpr}) IS NULL, ${sortExpr} ${dir}, i.title ASC, i.program_id ASC
			LIMIT ? OFFSET ?`,
		[...params, limit, offset]
	);
	const scoped = buildWhere(scope, {}, staleCutoff);
	const facetQuery = db.all<{
		org: string | null;
		status: string;
		stage: string;
		form: string | null;
		category: string | null;
		template: string | null;
		n: number;
	}>(
		`SELECT i.organization_id AS org, i.status AS status,
				CASE WHEN i.stage_phase = 'in-progress' THEN coalesce(i.stage_kind, 'custom') ELSE i.stage_phase END AS stage,
				i.form AS form, i.category AS category, i.template_id AS template, count(*) AS n
			FROM curator_program_index i WHERE ${scoped.where}
			GROUP BY 1, 2, 3, 4, 5, 6`,
		scoped.params
	);
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
 * People of the organization's programs in a role, each counted once however many programs they
 * are in (the registry's participants; a sum over programs would count a mentor of two twice).
 */
const distinctPeople = (role: 'mentor' | 'mentee') =>
	`(SELECT count(DISTINCT pp.person_id) FROM program_participants pp
		JOIN curator_program_index j ON j.program_id = pp.program_id
		WHERE j.organization_id = o.id AND pp.role = '${role}' AND ${notCancelled('j.program_id')})`;

export async function organizationAggregates(
	db: SqlClient,
	organizationIds: string[],
	options: { now?: number; staleDays?: number } = {}
): Promise<OrganizationAggregate[]> {
	if (organizationIds.length === 0) return [];
	const now = options.now ?? Date.now();
	const cutoff = now - clampInt(options.staleDays, 1, 365, DEFAULT_STALE_DAYS) * DAY_MS;
	const marks = organizationIds.map(() => '?').join(',');
	const stale = staleSql(organizationIds, cutoff);
	return db
		.all<OrganizationAggregate>(
			`SELECT o.id AS "organizationId", o.name AS name, o.kind AS kind,
				o.low_results AS "lowResults", o.hard_social AS "hardSocial",
				count(i.program_id) AS programs,
				${countIf("i.status = 'active'")} AS active,
				${countIf("i.status = 'completed'")} AS completed,
				coalesce(round(avg(i.progress_percent)), 0) AS "averageProgress",
				${countIf('i.overdue_count > 0')} AS "withOverdue",
				coalesce(sum(i.reports_due), 0) AS "reportsDue",
				coalesce(sum(i.reports_submitted), 0) AS "reportsSubmitted",
				coalesce(sum(i.reports_accepted), 0) AS "reportsAccepted",
				${countIf('i.pending_devices > 0')} AS "pendingSync",
				${countIf(`i.program_id IS NOT NULL AND ${stale.sql}`)} AS stale,
				${distinctPeople('mentor')} AS mentors,
				${distinctPeople('mentee')} AS mentees
			FROM organizations o
			LEFT JOIN curator_program_index i ON i.organization_id = o.id AND ${notCancelled('i.program_id')}
			WHERE o.id IN (${marks})
			GROUP BY o.id, o.name, o.kind, o.low_results, o.hard_social ORDER BY o.name`,
			[...stale.params, ...organizationIds]
		)
		.then((rows) =>
			rows.map((r) => ({
				...r,
				kind: isOrgKind(r.kind) ? r.kind : null,
				lowResults: Number(r.lowResults) === 1,
				hardSocial: Number(r.hardSocial) === 1
			}))
		);
}
