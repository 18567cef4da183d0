/**
 * The dashboard's answer computed the plain way, for the tests to compare with
 * server/curator/dashboard.ts: every index row of the scope read once, filtered, counted and
 * sorted in TypeScript — no counters, no search index, no sort index, no query shape that a
 * planner could answer wrong.
 */
import { DEFAULT_STALE_DAYS, fold } from '../../server/curator/dashboard.js';
import type { SqlClient } from '../../server/storage/sql.js';
import type { DashboardQuery, DashboardTotals, SortKey } from '../../src/lib/shared/api/curator.js';
import { DEFAULT_TIME_ZONE, today } from '../../src/lib/shared/time.js';

interface PlainRow {
	program_id: string;
	organization_id: string | null;
	org_name: string | null;
	kind: string | null;
	low_results: number | null;
	hard_social: number | null;
	title: string;
	search: string | null;
	template_id: string | null;
	form: string | null;
	types: string;
	category: string | null;
	status: string;
	stage_phase: string;
	stage_kind: string | null;
	stage_index: number;
	stage_end: string | null;
	start_date: string | null;
	end_date: string | null;
	as_of: string;
	progress_percent: number;
	overdue_count: number;
	next_deadline: string | null;
	next_report_due: string | null;
	reports_expected: number;
	reports_due: number;
	reports_submitted: number;
	reports_accepted: number;
	reports_returned: number;
	last_edit_at: string | null;
	changes_pending: number;
	problems: number;
	pending_devices: number;
	min_participant_seen: number;
	stale_clock: number | null;
	cancelled: number;
	unopened: number;
}

const NUMBERS = [
	'low_results',
	'hard_social',
	'stage_index',
	'progress_percent',
	'overdue_count',
	'reports_expected',
	'reports_due',
	'reports_submitted',
	'reports_accepted',
	'reports_returned',
	'changes_pending',
	'problems',
	'pending_devices',
	'min_participant_seen',
	'stale_clock',
	'cancelled',
	'unopened'
] as const;

const STAGE_PHASES = new Set(['not-started', 'finished', 'unscheduled']);

const stageOrder = (r: PlainRow) =>
	r.stage_phase === 'not-started'
		? -1
		: r.stage_phase === 'unscheduled'
			? -2
			: r.stage_phase === 'finished'
				? 1000
				: r.stage_index;

/** Each sort key's value of a row (null: listed last in both directions). */
const SORT_VALUE: Record<SortKey, (r: PlainRow) => string | number | null> = {
	title: (r) => r.title,
	organization: (r) => r.org_name,
	stage: stageOrder,
	progress: (r) => r.progress_percent,
	overdue: (r) => r.overdue_count,
	'next-deadline': (r) => r.next_deadline,
	'reports-due': (r) => r.reports_due,
	'reports-submitted': (r) => r.reports_submitted,
	'last-activity': (r) => r.last_edit_at,
	'last-seen': (r) => r.min_participant_seen,
	start: (r) => r.start_date,
	end: (r) => r.end_date
};

/** Byte order of UTF-8 text (SQLite's BINARY, PostgreSQL's C collations): code point order. */
const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

export interface PlainDashboard {
	total: number;
	totals: DashboardTotals;
	outdated: number;
	/** The ids of every matched program in the dashboard's order. */
	order: string[];
}

export async function plainDashboard(
	sql: SqlClient,
	organizationIds: string[],
	q: DashboardQuery,
	now: number
): Promise<PlainDashboard> {
	const rows = (
		await sql.all<PlainRow>(
			`SELECT i.*, o.name AS org_name, o.kind, o.low_results, o.hard_social, s.search,
				(SELECT count(*) FROM program_cancellations c WHERE c.program_id = i.program_id) AS cancelled,
				(SELECT count(*) FROM curator_program_users u WHERE u.program_id = i.program_id
					AND u.devices = 0 AND u.user_id NOT IN (SELECT person_id FROM sessions)) AS unopened
			FROM curator_program_index i
				LEFT JOIN organizations o ON o.id = i.organization_id
				LEFT JOIN curator_program_search s ON s.program_id = i.program_id`
		)
	).map((r) => {
		const out = { ...r } as Record<string, unknown>;
		for (const c of NUMBERS) out[c] = r[c] === null ? null : Number(r[c]);
		return out as unknown as PlainRow;
	});
	const cutoff = now - (q.staleDays ?? DEFAULT_STALE_DAYS) * 86_400_000;
	const day = today(DEFAULT_TIME_ZONE, now);
	const stale = (r: PlainRow) =>
		r.status !== 'completed' && r.stale_clock !== null && r.stale_clock < cutoff;
	const notOpened = (r: PlainRow) => r.status !== 'completed' && r.unopened > 0;
	const outdated = (r: PlainRow) =>
		r.as_of < day &&
		((r.next_deadline !== null && r.next_deadline < day) ||
			(r.next_report_due !== null && r.next_report_due <= day) ||
			(r.stage_phase === 'in-progress' && r.stage_end !== null && r.stage_end < day) ||
			(r.stage_phase === 'not-started' && r.start_date !== null && r.start_date <= day));
	const words = q.q?.trim() ? fold(q.q.trim()).split(/\s+/).slice(0, 5) : [];
	const FLAG: Record<string, (r: PlainRow) => boolean> = {
		overdue: (r) => r.overdue_count > 0,
		'reports-due': (r) => r.reports_due > 0,
		'reports-submitted': (r) => r.reports_submitted > 0,
		'reports-returned': (r) => r.reports_returned > 0,
		'pending-sync': (r) => r.pending_devices > 0,
		stale,
		'not-opened': notOpened,
		'changes-pending': (r) => r.changes_pending > 0,
		problems: (r) => r.problems > 0
	};
	const matched = rows.filter(
		(r) =>
			r.cancelled === 0 &&
			r.organization_id !== null &&
			organizationIds.includes(r.organization_id) &&
			(!q.organizationId || r.organization_id === q.organizationId) &&
			(!q.form || r.form === q.form) &&
			(!q.type || r.types.includes(`,${q.type},`)) &&
			(!q.category || r.category === q.category) &&
			(!q.templateId || r.template_id === q.templateId) &&
			(!q.status || r.status === q.status) &&
			(!q.orgKind || r.kind === q.orgKind) &&
			(q.orgMark !== 'low-results' || r.low_results === 1) &&
			(q.orgMark !== 'hard-social' || r.hard_social === 1) &&
			(!q.stage ||
				(STAGE_PHASES.has(q.stage)
					? r.stage_phase === q.stage
					: r.stage_phase === 'in-progress' && r.stage_kind === q.stage)) &&
			words.every((w) => (r.search ?? '').includes(w)) &&
			(q.flags ?? []).every((f) => FLAG[f]?.(r) ?? true)
	);
	const count = (p: (r: PlainRow) => boolean) => matched.filter(p).length;
	const sum = (c: (r: PlainRow) => number) => matched.reduce((n, r) => n + c(r), 0);
	const key = SORT_VALUE[q.sort ?? 'title'];
	const dir = q.dir === 'desc' ? -1 : 1;
	const order = [...matched]
		.sort((a, b) => {
			const x = key(a);
			const y = key(b);
			if (x === null || y === null) {
				if (x !== y) return x === null ? 1 : -1;
			} else if (x !== y) return dir * compare(x, y);
			// By organization: two organizations of one name apart, each one's programs together.
			if (q.sort === 'organization' && a.organization_id !== b.organization_id)
				return dir * compare(a.organization_id ?? '', b.organization_id ?? '');
			return compare(a.title, b.title) || compare(a.program_id, b.program_id);
		})
		.map((r) => r.program_id);
	return {
		total: matched.length,
		totals: {
			programs: matched.length,
			active: count((r) => r.status === 'active'),
			draft: count((r) => r.status === 'draft'),
			completed: count((r) => r.status === 'completed'),
			withOverdue: count((r) => r.overdue_count > 0),
			overdueActivities: sum((r) => r.overdue_count),
			reportsExpected: sum((r) => r.reports_expected),
			reportsDue: sum((r) => r.reports_due),
			reportsSubmitted: sum((r) => r.reports_submitted),
			reportsAccepted: sum((r) => r.reports_accepted),
			reportsReturned: sum((r) => r.reports_returned),
			pendingSync: count((r) => r.pending_devices > 0),
			stale: count(stale),
			notOpened: count(notOpened),
			averageProgress: matched.length
				? Math.round(sum((r) => r.progress_percent) / matched.length)
				: 0
		},
		outdated: count(outdated),
		order
	};
}
