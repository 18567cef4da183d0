// The curator dashboard's index row of a program, computed from its stored summary: the
// filterable and sortable fields as plain columns, so the dashboard (10,000 programs at once)
// never parses summary JSON per request. Computed here, beside `summarize`, and written by the
// server's storage in the same transaction as the summary (server/storage/curator-index.ts).
// Defensive like the database triggers it replaces: a summary stored by an older version, or
// damaged, still gives a row (missing fields take the defaults below).
import type { ProgramSummary } from './summary';

/** The columns of `curator_program_index` that come from the summary (same names). */
export interface CuratorIndexRow {
	as_of: string;
	title: string;
	template_id: string | null;
	form: string | null;
	/** ',a,b,' — each type between commas, so `LIKE '%,a,%'` finds it. */
	types: string;
	category: string | null;
	status: string;
	stage_phase: string;
	stage_index: number;
	stage_count: number;
	stage_title: string | null;
	stage_kind: string | null;
	stage_end: string | null;
	start_date: string | null;
	end_date: string | null;
	progress_done: number;
	progress_total: number;
	progress_percent: number;
	overdue_count: number;
	next_deadline: string | null;
	reports_expected: number;
	reports_due: number;
	reports_draft: number;
	reports_submitted: number;
	reports_accepted: number;
	reports_returned: number;
	next_report_due: string | null;
	meetings_count: number;
	last_meeting: string | null;
	mentors: number;
	mentees: number;
	last_edit_at: string | null;
	feedback_count: number;
	mentor_avg: number | null;
	mentee_avg: number | null;
	entry_count: number;
	exit_count: number;
	entry_avg: number | null;
	exit_avg: number | null;
	completion_reason: string | null;
	completion_date: string | null;
	changes_pending: number;
	curator_comments: number;
	problems: number;
}

export interface CuratorIndexEntry {
	row: CuratorIndexRow;
	/** Title and participants' names, folded (lower case, ё → е), for `curator_program_search`. */
	search: string;
	/**
	 * User ids of the mentors and mentees: the sync aggregate's "least recently seen participant"
	 * is taken over these (`curator_program_users`).
	 */
	users: string[];
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json =>
	typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const text = (v: unknown): string | null =>
	typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
const int = (v: unknown, fallback: number): number =>
	typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : fallback;
const real = (v: unknown): number | null =>
	typeof v === 'number' && Number.isFinite(v) ? v : null;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Case folding of ASCII and Cyrillic, then ё → е: what the search index has always held (the
 * dashboard folds the query the same way).
 */
export function foldSearchText(s: string): string {
	return s.replace(/[A-ZА-ЯЁ]/g, (c) => c.toLowerCase()).replace(/ё/g, 'е');
}

/** The index row, search text and tracked users of a stored summary. */
export function curatorIndexEntry(summary: ProgramSummary | unknown): CuratorIndexEntry {
	const s = obj(summary);
	const stage = obj(s.stage);
	const progress = obj(s.progress);
	const reports = obj(s.reports);
	const meetings = obj(s.meetings);
	const feedback = obj(s.feedback);
	const assessment = obj(s.assessment);
	const completion = obj(s.completion);
	const participants = list(s.participants).map(obj);
	let lastEdit: string | null = null;
	for (const at of Object.values(obj(s.lastEdits)))
		if (typeof at === 'string' && (lastEdit === null || at > lastEdit)) lastEdit = at;
	const title = text(s.title) ?? '';
	const row: CuratorIndexRow = {
		as_of: text(s.asOf) ?? '',
		title,
		template_id: text(s.templateId),
		form: text(s.form),
		types: `,${list(s.types).map(String).join(',')},`,
		category: text(s.menteeCategory),
		status: text(s.status) ?? 'draft',
		stage_phase: text(stage.phase) ?? 'unscheduled',
		stage_index: int(stage.index, -1),
		stage_count: int(stage.count, 0),
		stage_title: text(stage.title),
		stage_kind: text(stage.kind),
		stage_end: text(stage.end),
		start_date: text(s.startDate),
		end_date: text(s.endDate),
		progress_done: int(progress.done, 0),
		progress_total: int(progress.total, 0),
		progress_percent: int(progress.percent, 0),
		overdue_count: int(obj(s.overdue).count, 0),
		next_deadline: text(obj(s.nextDeadline).date),
		reports_expected: int(reports.expected, 0),
		reports_due: int(reports.due, 0),
		reports_draft: int(reports.draft, 0),
		reports_submitted: int(reports.submitted, 0),
		reports_accepted: int(reports.accepted, 0),
		reports_returned: int(reports.returned, 0),
		next_report_due: text(reports.nextDueDate),
		meetings_count: int(meetings.count, 0),
		last_meeting: text(meetings.lastDate),
		mentors: int(s.mentors, 0),
		mentees: int(s.mentees, 0),
		last_edit_at: lastEdit,
		feedback_count: int(feedback.count, 0),
		mentor_avg: real(feedback.mentorAvg),
		mentee_avg: real(feedback.menteeAvg),
		entry_count: int(assessment.entryCount, 0),
		exit_count: int(assessment.exitCount, 0),
		entry_avg: real(assessment.entryAvg),
		exit_avg: real(assessment.exitAvg),
		completion_reason: text(completion.reason),
		completion_date: text(completion.date),
		changes_pending: int(obj(s.changeRequests).pending, 0),
		curator_comments: int(s.curatorComments, 0),
		problems: list(s.problems).length
	};
	const names = participants.map((p) => text(p.name)).filter((n): n is string => n !== null);
	const users = new Set<string>();
	for (const p of participants)
		if ((p.role === 'mentor' || p.role === 'mentee') && typeof p.userId === 'string')
			users.add(p.userId);
	return { row, search: foldSearchText(`${title} ${names.join(' ')}`), users: [...users] };
}

/** The index row alone (see curatorIndexEntry). */
export function curatorIndexRow(summary: ProgramSummary | unknown): CuratorIndexRow {
	return curatorIndexEntry(summary).row;
}
