// Domain rules as pure functions of a ProgramView and a calendar day. `today` is always a
// parameter ('YYYY-MM-DD'): the server, the curator's desk and a phone offline for a week must
// all compute the same answer for the same day.
import { addDays, addMonths, isIsoDate } from './dates';
import { countOf } from '../time';
import type { CompletionReason, ReportKind, ReportStatus } from './labels';
import type { Actor } from './schema';
import type { ActivityView, ChangeRequestView, ProgramView, ReportView } from './read';
import { mentorReportsRequired } from './regulation';
import { compareCodeUnits } from './order';

export interface StageSpan {
	stageId: string;
	index: number;
	/** First day of the stage. */
	start: string;
	/** Last day of the stage (inclusive). */
	end: string;
}

/** Stage dates: consecutive from the program start, each as long as its `months`. */
export function stageTimeline(
	view: Pick<ProgramView, 'meta' | 'stages'> & Partial<Pick<ProgramView, 'changeRequests'>>
): StageSpan[] {
	const start = view.meta.startDate;
	if (!start) return [];
	const out: StageSpan[] = [];
	let cum = 0;
	// An approved extension (Tomsk 2024 §7.2) lengthens the stage under way when it was decided
	// (recorded with the decision; the last stage for decisions made before that was recorded):
	// that stage's end, every later stage and the program's end move by its months.
	const extra = new Map<number, number>();
	const last = view.stages.length - 1;
	for (const c of view.changeRequests ?? []) {
		if (c.kind !== 'extension' || c.status !== 'approved' || c.months <= 0) continue;
		const at = view.stages.findIndex((s) => s.id === c.extendsStageId);
		const i = at >= 0 ? at : last;
		extra.set(i, Math.min((extra.get(i) ?? 0) + c.months, 120));
	}
	view.stages.forEach((s, index) => {
		const from = addMonths(start, cum);
		// Capped: a hostile document with thousands of long stages must not run dates off the calendar.
		cum = Math.min(cum + Math.max(0, s.months) + (extra.get(index) ?? 0), 1200);
		const to = addDays(addMonths(start, cum), -1);
		out.push({ stageId: s.id, index, start: from, end: to < from ? from : to });
	});
	return out;
}

/** Default deadline of an activity of a stage: the last day of that stage. */
export function defaultDeadline(
	view: Pick<ProgramView, 'meta' | 'stages'> & Partial<Pick<ProgramView, 'changeRequests'>>,
	stageId: string
): string | null {
	return stageTimeline(view).find((s) => s.stageId === stageId)?.end ?? null;
}

/** What extensions are read from: a ProgramView or its JSON (the curator's screens). */
export interface ExtensionSource {
	changeRequests: ReadonlyArray<{ kind: string; status: string; months: number }>;
}

export function approvedExtensionMonths(view: ExtensionSource): number {
	const n = view.changeRequests
		.filter((c) => c.kind === 'extension' && c.status === 'approved')
		.reduce((n, c) => n + c.months, 0);
	return Math.min(n, 120);
}

/** Last day of the program, extensions included; null without a start date or duration. */
export function programEndDate(
	view: ExtensionSource & { meta: { startDate: string | null; durationMonths: number | null } }
): string | null {
	const { startDate, durationMonths } = view.meta;
	if (!startDate || !durationMonths) return null;
	return addDays(addMonths(startDate, durationMonths + approvedExtensionMonths(view)), -1);
}

export type StagePhase = 'not-started' | 'in-progress' | 'finished' | 'unscheduled';
export interface CurrentStage {
	phase: StagePhase;
	stageId: string | null;
	index: number;
}

/** The stage whose dates contain `today`. After the last stage: that stage, phase 'finished'. */
export function currentStage(
	view: Pick<ProgramView, 'meta' | 'stages'>,
	today: string,
	/** `stageTimeline(view)`, when the caller has it already. */
	tl: StageSpan[] = stageTimeline(view)
): CurrentStage {
	if (tl.length === 0) return { phase: 'unscheduled', stageId: null, index: -1 };
	const first = tl[0] as StageSpan;
	if (today < first.start) return { phase: 'not-started', stageId: null, index: -1 };
	for (const s of tl)
		if (today <= s.end) return { phase: 'in-progress', stageId: s.stageId, index: s.index };
	const last = tl[tl.length - 1] as StageSpan;
	return { phase: 'finished', stageId: last.stageId, index: last.index };
}

export interface Progress {
	done: number;
	/** Cancelled activities do not count. */
	total: number;
	byStage: Record<string, { done: number; total: number }>;
}

export function progress(view: Pick<ProgramView, 'activities'>): Progress {
	const byStage: Progress['byStage'] = {};
	let done = 0;
	let total = 0;
	for (const a of view.activities) {
		if (a.status === 'cancelled') continue;
		const key = a.stageId ?? '';
		const s = (byStage[key] ??= { done: 0, total: 0 });
		total++;
		s.total++;
		if (a.status === 'done') {
			done++;
			s.done++;
		}
	}
	return { done, total, byStage };
}

const open = (a: ActivityView) => a.status !== 'done' && a.status !== 'cancelled';

/** Open activities whose deadline has passed (the deadline day itself is not overdue). */
export function overdueActivities(
	view: Pick<ProgramView, 'activities'>,
	today: string
): ActivityView[] {
	return view.activities.filter((a) => open(a) && a.deadline !== null && a.deadline < today);
}

export function nextDeadline(
	view: Pick<ProgramView, 'activities'>,
	today: string
): { date: string; activityId: string } | null {
	let best: { date: string; activityId: string } | null = null;
	for (const a of view.activities) {
		if (!open(a) || a.deadline === null || a.deadline < today) continue;
		if (!best || a.deadline < best.date) best = { date: a.deadline, activityId: a.id };
	}
	return best;
}

// ---------- reports -------------------------------------------------------------------------

export interface ExpectedReport {
	/** `stage:<stageId>` or `mentor:<YYYY-06|YYYY-12>` */
	key: string;
	kind: ReportKind;
	stageId: string | null;
	period: string | null;
	dueDate: string;
	/** The report written for it, if any (the most advanced one when several were created concurrently). */
	report: ReportView | null;
	state: 'missing' | ReportStatus;
	/** Owed under the program's regulation; false: written though not owed (writtenNotOwed). */
	required: boolean;
}

const RANK: Record<ReportStatus, number> = { accepted: 3, submitted: 2, returned: 1, draft: 0 };

export function reportKey(r: Pick<ReportView, 'kind' | 'stageId' | 'period'>): string | null {
	if (r.kind === 'stage') return r.stageId ? `stage:${r.stageId}` : null;
	return r.period ? `mentor:${r.period}` : null;
}

/** Semi-annual mentor report periods: by 10 June and by 10 December (Tomsk 2024, order p. 3). */
export function semiannualDeadlines(
	start: string,
	end: string
): Array<{ period: string; dueDate: string }> {
	const out: Array<{ period: string; dueDate: string }> = [];
	const y0 = Number(start.slice(0, 4));
	const y1 = Math.min(Number(end.slice(0, 4)) + 1, y0 + 20);
	for (let y = y0; y <= y1; y++) {
		for (const mm of ['06', '12'] as const) {
			const due = `${y}-${mm}-10`;
			// Owed when the program ran for at least a month before the date and the half-year
			// that the report covers overlaps the program.
			if (addMonths(due, -1) >= start && addMonths(due, -6) <= end)
				out.push({ period: `${y}-${mm}`, dueDate: due });
		}
	}
	return out;
}

/**
 * One report per stage / period: when two were started offline for the same one, the most
 * advanced (accepted > submitted > returned > draft, then lowest id) counts, on every replica.
 */
export function reportsByKey(reports: readonly ReportView[]): Map<string, ReportView> {
	const byKey = new Map<string, ReportView>();
	for (const r of reports) {
		const k = reportKey(r);
		if (!k) continue;
		const prev = byKey.get(k);
		if (
			!prev ||
			RANK[r.status] > RANK[prev.status] ||
			(RANK[r.status] === RANK[prev.status] && r.id < prev.id)
		)
			byKey.set(k, r);
	}
	return byKey;
}

/**
 * Every report the program owes over its life: one after each stage, plus the mentor's
 * semi-annual ones where the program's regulation requires them (regulation.ts).
 */
export function expectedReports(
	view: ProgramView,
	/** `stageTimeline(view)`, when the caller has it already. */
	tl: StageSpan[] = stageTimeline(view)
): ExpectedReport[] {
	const byKey = reportsByKey(view.reports);
	const out: ExpectedReport[] = [];
	const push = (
		key: string,
		kind: ReportKind,
		stageId: string | null,
		period: string | null,
		dueDate: string
	) => {
		const report = byKey.get(key) ?? null;
		out.push({
			key,
			kind,
			stageId,
			period,
			dueDate,
			report,
			state: report ? report.status : 'missing',
			required: true
		});
	};
	for (const s of tl) push(`stage:${s.stageId}`, 'stage', s.stageId, null, s.end);
	const start = view.meta.startDate;
	let end = programEndDate(view);
	if (view.completion && end && view.completion.date < end) end = view.completion.date;
	if (start && end && mentorReportsRequired(view.meta.templateId))
		for (const d of semiannualDeadlines(start, end))
			push(`mentor:${d.period}`, 'mentor-semiannual', null, d.period, d.dueDate);
	return out.sort(
		(a, b) => compareCodeUnits(a.dueDate, b.dueDate) || compareCodeUnits(a.key, b.key)
	);
}

/**
 * Reports written that the program does not owe: a mentor's semi-annual report written in a
 * teacher's program before the rule followed the regulation, a report of a stage since removed.
 * Shown (never lost), but never due.
 */
export function writtenNotOwed(view: ProgramView): ExpectedReport[] {
	const owed = new Set(expectedReports(view).map((e) => e.key));
	const out: ExpectedReport[] = [];
	for (const [key, report] of reportsByKey(view.reports)) {
		if (owed.has(key)) continue;
		out.push({
			key,
			kind: report.kind,
			stageId: report.stageId,
			period: report.period,
			dueDate: report.kind === 'stage' ? '' : `${report.period ?? ''}-10`,
			report,
			state: report.status,
			required: false
		});
	}
	return out.sort((a, b) => compareCodeUnits(a.key, b.key));
}

/** Reports whose date has come and that are not yet submitted or accepted (missing, draft or returned). */
export function reportsDue(view: ProgramView, today: string): ExpectedReport[] {
	return expectedReports(view).filter(
		(e) =>
			e.dueDate <= today && (e.state === 'missing' || e.state === 'draft' || e.state === 'returned')
	);
}

// ---------- completion and extension (Tomsk 2024 §7) -----------------------------------------

export type RuleResult = { ok: true } | { ok: false; reason: string; messageRu: string };
const no = (reason: string, messageRu: string): RuleResult => ({ ok: false, reason, messageRu });
const yes: RuleResult = { ok: true };

export function canComplete(
	view: ProgramView,
	reason: CompletionReason,
	actor: Actor,
	date: string
): RuleResult {
	if (view.completion) return no('already-completed', 'Программа уже завершена.');
	if (!isIsoDate(date)) return no('invalid-date', 'Укажите дату завершения.');
	if (view.meta.startDate && date < view.meta.startDate)
		return no('before-start', 'Дата завершения раньше начала программы.');
	switch (reason) {
		case 'plan-completed': {
			const p = progress(view);
			if (p.total === 0 || p.done < p.total)
				return no('plan-not-done', 'План мероприятий выполнен не в полном объеме.');
			return actor.role === 'head'
				? no('role', 'Завершение оформляет куратор, наставник или наставляемый.')
				: yes;
		}
		case 'participant-initiative':
			return actor.role === 'mentor' || actor.role === 'mentee'
				? yes
				: no('role', 'Завершить программу по этому основанию может наставник или наставляемый.');
		case 'curator-initiative':
			return actor.role === 'curator' || actor.role === 'head'
				? yes
				: no('role', 'Завершить программу по этому основанию может только куратор.');
	}
}

export function canRequestChange(view: ProgramView, actor: Actor): RuleResult {
	if (view.completion)
		return no('completed', 'Программа завершена: продление и корректировка невозможны.');
	return actor.role === 'head'
		? no('role', 'Ходатайство подает куратор, наставник или наставляемый.')
		: yes;
}

/** Mentors and mentees whose consent is needed: mutual consent of everyone in the pair/group. */
export function requiredConsents(view: Pick<ProgramView, 'participants'>): string[] {
	return view.participants
		.filter((p) => p.role === 'mentor' || p.role === 'mentee')
		.map((p) => p.id);
}

export function missingConsents(view: ProgramView, req: ChangeRequestView): string[] {
	return requiredConsents(view).filter((id) => !(id in req.consents));
}

/** Extension or correction: by mutual consent of mentor and mentee, on the curator's petition, decided by the head (§7.2). */
export function canApproveChange(
	view: ProgramView,
	req: ChangeRequestView,
	actor: Actor
): RuleResult {
	if (actor.role !== 'curator' && actor.role !== 'head')
		return no('role', 'Решение о продлении или корректировке оформляет куратор.');
	if (req.status !== 'requested') return no('decided', 'Решение по ходатайству уже принято.');
	if (view.completion) return no('completed', 'Программа завершена.');
	if (!req.petitionedBy) return no('no-petition', 'Нужно ходатайство куратора.');
	if (requiredConsents(view).length === 0 || missingConsents(view, req).length > 0)
		return no('no-consent', 'Нужно согласие наставника и наставляемого.');
	return yes;
}

/**
 * Registry of successful practices (Divnogorsk 2022): only a program completed successfully — its
 * plan of activities carried out in full (Tomsk 2024 §7.1, the first ground) — can become a case.
 * A program ended on a participant's initiative or terminated by the curator for improper
 * execution is not a practice to spread, whatever its status says.
 */
export function canBecomeCase(
	view: Pick<ProgramView, 'completion' | 'meta' | 'activities'>
): RuleResult {
	const c = view.completion;
	if (!c && view.meta.status !== 'completed')
		return no('not-completed', 'В реестр успешных практик вносится только завершенная программа.');
	const p = progress(view);
	const done = `выполнено ${p.done} из ${countOf(p.total, ACTIVITIES_OF)}`;
	if (c && c.reason !== 'plan-completed')
		return no(
			'not-successful',
			`В реестр успешных практик вносится только программа, успешно завершенная выполнением плана мероприятий в полном объеме. Эта программа завершена ${c.reason === 'curator-initiative' ? 'по инициативе куратора в связи с недолжным исполнением' : 'по инициативе участников'}; ${done}.`
		);
	if (p.total === 0 || p.done < p.total)
		return no(
			'plan-not-done',
			`В реестр успешных практик вносится только программа, план мероприятий которой выполнен в полном объеме: ${done}.`
		);
	return yes;
}

/** «из 21 мероприятия», «из 22 мероприятий»: the genitive after «из». */
const ACTIVITIES_OF = { one: 'мероприятия', few: 'мероприятий', many: 'мероприятий' };

/** Effective status: a completion record wins over whatever the status key says. */
export function effectiveStatus(view: ProgramView): ProgramView['meta']['status'] {
	return view.completion ? 'completed' : view.meta.status;
}
