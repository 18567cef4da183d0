// The compact record the server keeps per program for the curator dashboard (10,000 programs are
// read at once): counts, dates, statuses, ids, no free text beyond titles and names. Plain JSON.
// Versioned separately from the document: the server stores `v` and recomputes on upgrade.
import type * as Y from 'yjs';
import { calendarDate, isIsoDate } from './dates';
import { DEFAULT_TIME_ZONE, today as todayIn, zoneOr } from '../time';
import { DIAGNOSIS_FIELDS, diagnosisTextName, META, ROOT } from './schema';
import type {
	CompletionReason,
	MeetingKind,
	MenteeCategory,
	MentoringForm,
	MentoringType,
	ParticipantRole,
	ProgramStatus,
	StageKind
} from './labels';
import { readProgram, type ProgramView, type ReadCache } from './read';
import {
	approvedExtensionMonths,
	currentStage,
	effectiveStatus,
	expectedReports,
	nextDeadline,
	overdueActivities,
	programEndDate,
	progress,
	reportsByKey,
	stageTimeline,
	type StagePhase
} from './rules';

/**
 * What a summary holds, by version; a server that finds stored summaries of another version
 * recomputes them at start-up (the stale sweep), so curators never see figures by older rules.
 * 2: mentors' semi-annual reports are due only where the regulation requires them.
 */
export const SUMMARY_VERSION = 2;
const MAX_IDS = 20;

export interface ProgramSummary {
	v: typeof SUMMARY_VERSION;
	/** The day the summary was computed for (in `timeZone`). */
	asOf: string;
	/** The program's IANA time zone (meta.timeZone; Europe/Moscow for documents without one). */
	timeZone: string;
	schemaVersion: number;
	programId: string | null;
	templateId: string | null;
	title: string;
	organization: string;
	form: MentoringForm | null;
	types: MentoringType[];
	menteeCategory: MenteeCategory | null;
	status: ProgramStatus;
	startDate: string | null;
	/** Extensions included. */
	endDate: string | null;
	durationMonths: number | null;
	extensionMonths: number;
	participants: Array<{ id: string; role: ParticipantRole; name: string; userId: string | null }>;
	mentors: number;
	mentees: number;
	stage: {
		phase: StagePhase;
		index: number;
		stageId: string | null;
		title: string | null;
		kind: StageKind | null;
		start: string | null;
		end: string | null;
		count: number;
	};
	stages: Array<{
		id: string;
		title: string;
		start: string | null;
		end: string | null;
		done: number;
		total: number;
	}>;
	progress: { done: number; total: number; percent: number };
	overdue: { count: number; ids: string[] };
	nextDeadline: { date: string; activityId: string } | null;
	reports: {
		expected: number;
		/** Date has come and not submitted/accepted (missing, draft or returned). */
		due: number;
		dueKeys: string[];
		draft: number;
		submitted: number;
		accepted: number;
		returned: number;
		nextDueDate: string | null;
	};
	meetings: {
		count: number;
		lastDate: string | null;
		byKind: Partial<Record<MeetingKind, number>>;
	};
	feedback: { count: number; mentorAvg: number | null; menteeAvg: number | null };
	assessment: {
		entryCount: number;
		exitCount: number;
		entryAvg: number | null;
		exitAvg: number | null;
		/**
		 * Each mentee's own entry and exit self-assessment (average over competencies): the
		 * competence growth figure counts these only, never the mentor's. Absent in older summaries.
		 */
		mentees?: Array<{ participantId: string; entryAvg: number | null; exitAvg: number | null }>;
	};
	completion: { reason: CompletionReason; date: string } | null;
	changeRequests: { pending: number; approved: number; rejected: number };
	curatorComments: number;
	/** Latest "updatedAt" stamp per user id (device clock, informational: who touched the program last). */
	lastEdits: Record<string, string>;
	/** What could not be read (malformed values from a buggy or hostile client). Empty when all is well. */
	problems: string[];
}

const avg = (xs: number[]): number | null =>
	xs.length === 0 ? null : Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100;

/**
 * The top-level types a summary reads (summarize, and the import of legacy decisions from the
 * program: legacy-decisions.ts): an update that changes none of them leaves the summary as it
 * was, so the relay does not compute it again (server/sync/summary-relevance.ts, issue 18). Not
 * the discussion and the attachments: a message or a file changes no figure.
 * server/sync/summary-relevance.test.ts checks that summarize opens no other.
 */
export const SUMMARY_ROOTS: ReadonlySet<string> = new Set([
	...Object.values(ROOT),
	...DIAGNOSIS_FIELDS.map(diagnosisTextName)
]);

/**
 * The day a summary at instant `now` is computed for: `now`'s day in the program's own time
 * zone. A summary depends on `now` through this day only (the relay reuses one computed earlier
 * the same day when nothing it read changed: server/sync/summary-docs.ts).
 */
export function summaryDay(doc: Y.Doc, now: Date): string {
	return todayIn(zoneOr(doc.getMap<unknown>('meta').get(META.timeZone)), now);
}

/**
 * Summary of the program as of `now`: a calendar day 'YYYY-MM-DD', or an instant whose day is
 * taken in the program's own time zone (meta.timeZone, Europe/Moscow when absent) — so the
 * relay, the refresher and an offline phone compute the same "today".
 * Never throws: an unreadable part is reported in `problems` and left empty.
 */
export function summarize(
	doc: Y.Doc,
	now: Date | string,
	/** The program's decisions document (readProgram): verdicts, approval, completion, decisions. */
	decisions: Y.Doc | null = null,
	/** Reads kept from earlier summaries of `doc` (readCacheOf: a document kept and read again). */
	cache: ReadCache | null = null
): ProgramSummary {
	let today: string;
	const problems: string[] = [];
	try {
		today = typeof now === 'string' ? calendarDate(now) : summaryDay(doc, now);
	} catch {
		// A bad `now` is the caller's bug, but the dashboard must still render.
		problems.push('now: not a date');
		today = '1970-01-01';
	}
	let view: ProgramView | null = null;
	try {
		view = readProgram(doc, decisions, cache, { discussionAndAttachments: false });
	} catch (e) {
		problems.push(`document unreadable: ${e instanceof Error ? e.message : String(e)}`);
	}
	try {
		if (view) return summarizeView(view, today, problems);
	} catch (e) {
		problems.push(`summary failed: ${e instanceof Error ? e.message : String(e)}`);
	}
	return emptySummary(today, problems);
}

export function summarizeView(
	view: ProgramView,
	today: string,
	extraProblems: string[] = []
): ProgramSummary {
	const m = view.meta;
	const tl = stageTimeline(view);
	const status = effectiveStatus(view);
	// A completed program is past its stages, whatever the calendar says (it may end early).
	const cur =
		status === 'completed' && tl.length > 0
			? {
					phase: 'finished' as const,
					stageId: tl[tl.length - 1]?.stageId ?? null,
					index: tl.length - 1
				}
			: currentStage(view, today, tl);
	const curStage = cur.index >= 0 ? view.stages[cur.index] : undefined;
	const curSpan = cur.index >= 0 ? tl[cur.index] : undefined;
	const prog = progress(view);
	const overdue = overdueActivities(view, today);
	const expected = expectedReports(view, tl);
	const due = expected.filter(
		(e) =>
			e.dueDate <= today && (e.state === 'missing' || e.state === 'draft' || e.state === 'returned')
	);
	const reports = [...reportsByKey(view.reports).values()];
	const count = (s: string) => reports.filter((r) => r.status === s).length;
	const byKind: Partial<Record<MeetingKind, number>> = {};
	let lastDate: string | null = null;
	for (const mt of view.meetings) {
		if (mt.kind) byKind[mt.kind] = (byKind[mt.kind] ?? 0) + 1;
		if (mt.date && mt.date <= today && (!lastDate || mt.date > lastDate)) lastDate = mt.date;
	}
	const lastEdits: Record<string, string> = {};
	const note = (by: string | null, at: string | null) => {
		if (!by || !at || by.length > 64 || at.length > 32) return;
		const prev = lastEdits[by];
		if (!prev || at > prev) lastEdits[by] = at;
	};
	for (const list of [
		view.participants,
		view.stages,
		view.activities,
		view.meetings,
		view.reports,
		view.comments,
		view.changeRequests
	])
		for (const it of list) note(it.updatedBy, it.updatedAt);
	for (const a of view.assessments) note(a.updatedBy, a.updatedAt);
	for (const f of view.feedback) note(f.updatedBy, f.updatedAt);
	for (const i of Object.values(view.diagnosis.info)) note(i.updatedBy, i.updatedAt);
	// Keep the record small even if a hostile client invented thousands of user ids.
	const lastEditsCapped = Object.fromEntries(
		Object.entries(lastEdits)
			.sort((a, b) => (a[1] < b[1] ? 1 : -1))
			.slice(0, 20)
	);
	const scores = (phase: 'entry' | 'exit') =>
		view.assessments.filter((a) => a.phase === phase).map((a) => a.score);
	const ownScores = (participantId: string, phase: 'entry' | 'exit') =>
		view.assessments
			.filter((a) => a.participantId === participantId && a.phase === phase)
			.map((a) => a.score);
	const menteeAssessments = view.participants
		.filter((p) => p.role === 'mentee')
		.slice(0, 50)
		.map((p) => ({
			participantId: p.id,
			entryAvg: avg(ownScores(p.id, 'entry')),
			exitAvg: avg(ownScores(p.id, 'exit'))
		}));
	const nextDue = expected.find(
		(e) => e.dueDate > today && e.state !== 'submitted' && e.state !== 'accepted'
	);

	return {
		v: SUMMARY_VERSION,
		asOf: today,
		timeZone: m.timeZone,
		schemaVersion: m.schemaVersion,
		programId: m.programId,
		templateId: m.templateId,
		title: m.title,
		organization: m.organization,
		form: m.form,
		types: m.types,
		menteeCategory: m.menteeCategory,
		status,
		startDate: m.startDate,
		endDate: programEndDate(view),
		durationMonths: m.durationMonths,
		extensionMonths: approvedExtensionMonths(view),
		participants: view.participants
			.slice(0, 50)
			.map((p) => ({ id: p.id, role: p.role, name: p.name, userId: p.userId })),
		mentors: view.participants.filter((p) => p.role === 'mentor').length,
		mentees: view.participants.filter((p) => p.role === 'mentee').length,
		stage: {
			phase: cur.phase,
			index: cur.index,
			stageId: cur.stageId,
			title: curStage?.title ?? null,
			kind: curStage?.kind ?? null,
			start: curSpan?.start ?? null,
			end: curSpan?.end ?? null,
			count: view.stages.length
		},
		stages: view.stages.slice(0, 30).map((s, i) => ({
			id: s.id,
			title: s.title,
			start: tl[i]?.start ?? null,
			end: tl[i]?.end ?? null,
			done: prog.byStage[s.id]?.done ?? 0,
			total: prog.byStage[s.id]?.total ?? 0
		})),
		progress: {
			done: prog.done,
			total: prog.total,
			percent: prog.total ? Math.round((prog.done / prog.total) * 100) : 0
		},
		overdue: { count: overdue.length, ids: overdue.slice(0, MAX_IDS).map((a) => a.id) },
		nextDeadline: nextDeadline(view, today),
		reports: {
			expected: expected.length,
			due: due.length,
			dueKeys: due.slice(0, MAX_IDS).map((e) => e.key),
			draft: count('draft'),
			submitted: count('submitted'),
			accepted: count('accepted'),
			returned: count('returned'),
			nextDueDate: nextDue?.dueDate ?? null
		},
		meetings: { count: view.meetings.length, lastDate, byKind },
		feedback: {
			count: view.feedback.length,
			mentorAvg: avg(view.feedback.filter((f) => f.role === 'mentor').map((f) => f.satisfaction)),
			menteeAvg: avg(view.feedback.filter((f) => f.role === 'mentee').map((f) => f.satisfaction))
		},
		assessment: {
			entryCount: scores('entry').length,
			exitCount: scores('exit').length,
			entryAvg: avg(scores('entry')),
			exitAvg: avg(scores('exit')),
			mentees: menteeAssessments
		},
		completion:
			view.completion && isIsoDate(view.completion.date)
				? { reason: view.completion.reason, date: view.completion.date }
				: null,
		changeRequests: {
			pending: view.changeRequests.filter((c) => c.status === 'requested').length,
			approved: view.changeRequests.filter((c) => c.status === 'approved').length,
			rejected: view.changeRequests.filter((c) => c.status === 'rejected').length
		},
		curatorComments: view.comments.length,
		lastEdits: lastEditsCapped,
		problems: [...extraProblems, ...view.problems]
	};
}

function emptySummary(today: string, problems: string[]): ProgramSummary {
	return {
		v: SUMMARY_VERSION,
		asOf: today,
		timeZone: DEFAULT_TIME_ZONE,
		schemaVersion: 0,
		programId: null,
		templateId: null,
		title: '',
		organization: '',
		form: null,
		types: [],
		menteeCategory: null,
		status: 'draft',
		startDate: null,
		endDate: null,
		durationMonths: null,
		extensionMonths: 0,
		participants: [],
		mentors: 0,
		mentees: 0,
		stage: {
			phase: 'unscheduled',
			index: -1,
			stageId: null,
			title: null,
			kind: null,
			start: null,
			end: null,
			count: 0
		},
		stages: [],
		progress: { done: 0, total: 0, percent: 0 },
		overdue: { count: 0, ids: [] },
		nextDeadline: null,
		reports: {
			expected: 0,
			due: 0,
			dueKeys: [],
			draft: 0,
			submitted: 0,
			accepted: 0,
			returned: 0,
			nextDueDate: null
		},
		meetings: { count: 0, lastDate: null, byKind: {} },
		feedback: { count: 0, mentorAvg: null, menteeAvg: null },
		assessment: { entryCount: 0, exitCount: 0, entryAvg: null, exitAvg: null },
		completion: null,
		changeRequests: { pending: 0, approved: 0, rejected: 0 },
		curatorComments: 0,
		lastEdits: {},
		problems
	};
}
