/**
 * The curator API's contract (/api/curator, docs/curator.md): the vocabulary of curator actions,
 * the dashboard's filters, and the shapes of the answers the curator screens read. Shared by the
 * server (server/curator, server/programs, server/http) and the PWA (src/lib/curator/api.ts).
 */
import type { OrgKind } from '../organization';
import type { AttachmentView } from '../program/attachments';
import type {
	CompletionReason,
	MenteeCategory,
	MentoringForm,
	MentoringType,
	ProgramSummary,
	ProgramTemplate
} from '../program/index';

/** The one vocabulary of curator actions (POST /api/curator/programs/:id/actions). */
export const CURATOR_ACTIONS = [
	'accept-report',
	'return-report',
	'comment-activity',
	'complete',
	'petition-change',
	'approve-change',
	'reject-change',
	'approve-program',
	'set-form'
] as const;
export type CuratorActionName = (typeof CURATOR_ACTIONS)[number];

/** The body of a curator action, checked field by field by the server (server/programs). */
export type CuratorAction =
	| { action: 'accept-report'; reportId: string; comment?: string }
	| { action: 'return-report'; reportId: string; comment: string }
	| { action: 'comment-activity'; activityId: string; text: string }
	| { action: 'complete'; reason: CompletionReason; date: string; note?: string }
	| { action: 'petition-change'; changeId: string }
	| { action: 'approve-change'; changeId: string }
	| { action: 'reject-change'; changeId: string }
	/** The program is approved (by order of the head): from «проект» to «реализуется». */
	| { action: 'approve-program' }
	/** Form, types and mentee category chosen when the pair was formed (the template's by default). */
	| {
			action: 'set-form';
			form?: MentoringForm;
			types?: MentoringType[];
			menteeCategory?: MenteeCategory;
	  };

/** What a curator action answers. */
export interface CuratorActionResult {
	ok: true;
	/** Id of what was created (a comment), when any. */
	id: string | null;
	changed: boolean;
}

export const PROBLEM_FLAGS = [
	/** At least one overdue activity. */
	'overdue',
	/** A report's date has come and it is not submitted (missing, draft or returned). */
	'reports-due',
	/** Reports waiting for the curator's decision. */
	'reports-submitted',
	/** A report was returned for rework. */
	'reports-returned',
	/** A participant's device reported changes not yet on the server. */
	'pending-sync',
	/**
	 * A participant not seen by the server for `staleDays`, counted from the latest of: their last
	 * contact, the opening of their invitation (first session), their joining the program.
	 */
	'stale',
	/** An extension / correction request waits for a decision. */
	'changes-pending',
	/** The document has values the reader could not understand. */
	'problems',
	/** A participant has not opened any invitation yet (no session ever): «приглашение не открыто». */
	'not-opened'
] as const;
export type ProblemFlag = (typeof PROBLEM_FLAGS)[number];

export const SORT_KEYS = [
	'title',
	'organization',
	'stage',
	'progress',
	'overdue',
	'next-deadline',
	'reports-due',
	'reports-submitted',
	'last-activity',
	'last-seen',
	'start',
	'end'
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** The dashboard's filters that are plain text values (the query string's keys; the URL's too). */
export const DASHBOARD_TEXT_FILTERS = [
	'q',
	'organizationId',
	'form',
	'type',
	'category',
	'templateId',
	'stage',
	'status',
	'orgKind',
	'orgMark'
] as const;

export interface DashboardQuery {
	/** Search in the title and participants' names (case-insensitive, ё = е). */
	q?: string;
	organizationId?: string;
	form?: string;
	/** Type of mentoring (a program may have several). */
	type?: string;
	/** Mentee category (model). */
	category?: string;
	/** Template the program was created from (the model: e.g. tomsk-heads-beginner). */
	templateId?: string;
	/** Stage: a stage kind (organizational…reflective, custom) or a phase (not-started, finished, unscheduled). */
	stage?: string;
	status?: string;
	/** Kind of the program's organization: 'oo' | 'dou' | 'do' (src/lib/shared/organization.ts). */
	orgKind?: string;
	/** A mark of the program's organization: 'low-results' (ШНОР) | 'hard-social' (ШССУ). */
	orgMark?: string;
	/** All must hold. */
	flags?: ProblemFlag[];
	/** One program (its row with sync health, for the program screen). */
	programId?: string;
	sort?: SortKey;
	dir?: 'asc' | 'desc';
	offset?: number;
	limit?: number;
	/** "Not seen for N days" threshold. */
	staleDays?: number;
}

/** See deviceState(). */
export type DeviceState = 'in-sync' | 'pending' | 'stale' | 'seen';

export interface DeviceView {
	deviceId: string;
	state: DeviceState;
	/** Last time the server heard from the device (Unix ms) or null. */
	lastSeenAt: number | null;
	lastInSyncAt: number | null;
	pending: number;
	pendingReportedAt: number | null;
	connected: boolean;
}

export interface ParticipantRow {
	id: string;
	role: string;
	name: string;
	userId: string | null;
	/** Latest edit stamp of the person in the document (device clock). */
	lastEditAt: string | null;
	lastSeenAt: number | null;
	/**
	 * Worst state over the person's devices; 'never' when the server never saw one;
	 * 'not-opened' when the person has not opened an invitation yet (no session ever).
	 */
	sync: DeviceState | 'never' | 'not-opened';
	devices: DeviceView[];
	/** When the person first opened an invitation (their first session), or null. */
	invitationOpenedAt?: number | null;
}

export interface DashboardRow {
	programId: string;
	organizationId: string | null;
	organizationName: string | null;
	title: string;
	templateId: string | null;
	form: string | null;
	types: string[];
	category: string | null;
	status: string;
	stage: ProgramSummary['stage'];
	startDate: string | null;
	endDate: string | null;
	progress: ProgramSummary['progress'];
	overdue: number;
	nextDeadline: string | null;
	reports: Omit<ProgramSummary['reports'], 'dueKeys'>;
	meetings: { count: number; lastDate: string | null };
	changesPending: number;
	participants: ParticipantRow[];
	flags: ProblemFlag[];
	/** Day the figures were computed for; older than today means they are being refreshed. */
	asOf: string;
	computedAt: number;
}

export interface DashboardTotals {
	programs: number;
	active: number;
	draft: number;
	completed: number;
	withOverdue: number;
	overdueActivities: number;
	reportsExpected: number;
	reportsDue: number;
	reportsSubmitted: number;
	reportsAccepted: number;
	reportsReturned: number;
	pendingSync: number;
	stale: number;
	/** Programs (not completed) with a participant who has not opened an invitation yet. */
	notOpened?: number;
	averageProgress: number;
}

export interface DashboardResult {
	today: string;
	staleDays: number;
	/** Programs matching the filters. */
	total: number;
	offset: number;
	limit: number;
	rows: DashboardRow[];
	/** Over the matching programs. */
	totals: DashboardTotals;
	/** Counts per value over the whole scope (for the filter pickers). */
	facets: {
		status: Record<string, number>;
		stage: Record<string, number>;
		form: Record<string, number>;
		category: Record<string, number>;
		template: Record<string, number>;
		organization: Record<string, number>;
	};
	/** Programs whose figures are from an earlier day (a refresh is under way). */
	outdated: number;
}

/** Per-organization aggregates for the municipal view. */
export interface OrganizationAggregate {
	organizationId: string;
	name: string;
	/** ОО / ДОУ / ДО and ШНОР / ШССУ (set by the municipal coordinator). */
	kind: OrgKind | null;
	lowResults: boolean;
	hardSocial: boolean;
	programs: number;
	active: number;
	completed: number;
	averageProgress: number;
	withOverdue: number;
	reportsDue: number;
	reportsSubmitted: number;
	reportsAccepted: number;
	pendingSync: number;
	stale: number;
	mentors: number;
	mentees: number;
}

export interface FigurePeriod {
	/**
	 * YYYY-MM-DD, inclusive. Both: the period from..to. Only `to`: the state on that date. Only
	 * `from`: from..today. Neither: today. What was true then is read from the programs' history.
	 */
	from?: string;
	to?: string;
}

export interface CountRow {
	key: string;
	/** Programs in force in the period (src/lib/shared/figures.ts FIGURE_DEFINITIONS). */
	programs: number;
	/** Distinct people (each counted once), mentors / mentees of those programs. */
	mentors: number;
	mentees: number;
}

/** Distinct mentors and mentees of one group of people. */
export interface PeopleCount {
	mentors: number;
	mentees: number;
}

export interface Figures {
	/** The period the figures are for; from = to for the state on a date. */
	period: { from: string | null; to: string | null };
	/** 'date': the state on `period.to`; 'period': what happened from..to. */
	kind: 'date' | 'period';
	/** Programs that existed on `period.to`, by their status then; inForce: in force in the period. */
	programs: { total: number; draft: number; active: number; completed: number; inForce: number };
	participants: {
		/** Distinct people who were mentors / mentees of a program in force in the period. */
		mentors: number;
		mentees: number;
		/** Distinct people in either role. */
		people: number;
		mentorsPerMentee: number | null;
		menteesPerMentor: number | null;
		/** Pedagogical and managerial staff (педагогические и руководящие работники). */
		pedagogues: PeopleCount;
		/** Pupils and students (обучающиеся). */
		learners: PeopleCount;
		/** Employers and others, and people whose category is unknown. */
		others: PeopleCount;
		/** By staff category (src/lib/shared/figures.ts STAFF_KIND_LABELS, plus 'unknown'). */
		byKind: Record<string, PeopleCount>;
	};
	byForm: CountRow[];
	byType: CountRow[];
	byCategory: CountRow[];
	byTemplate: CountRow[];
	/** Programs existing on `period.to` by their stage then ('completed' for completed programs). */
	byStage: CountRow[];
	completed: { total: number; byReason: Record<string, number>; inPeriod: number };
	youngTeachers: {
		/** Pedagogues of the registry (staff category) under 35 on `period.to`. */
		inRegistry: number;
		/** … of whom were mentees of a program in force in the period. */
		covered: number;
		/** covered / inRegistry, percent (null when there are none). */
		sharePercent: number | null;
		/** Of the covered, those in their first 3 years of work (experience ≤ 3), when recorded. */
		firstYearsCovered: number;
	};
	satisfaction: {
		surveys: number;
		mentorAvg: number | null;
		menteeAvg: number | null;
		programsWithFeedback: number;
	};
	assessment: {
		/** Mentees (per program) with both their own entry and exit self-assessment. */
		programsWithBoth: number;
		menteesWithBoth: number;
		/** Average of the mentees' own entry / exit self-assessment (1–5). */
		entryAvg: number | null;
		exitAvg: number | null;
		/** exitAvg − entryAvg. */
		growthAvg: number | null;
		/** Growth in percent of the entry level. */
		growthPercent: number | null;
	};
	/** Stage reports of the programs existing on `period.to`, by their state then. */
	reports: { expected: number; due: number; submitted: number; accepted: number; returned: number };
	/**
	 * The figures of the previous period of the same length (dynamics); absent for a date. Without
	 * the groupings by people (PreviousFigures): what a screen or a document compares with.
	 */
	previous?: PreviousFigures | null;
}

/** The groupings of a period that only some documents show. */
export type OwnGroupings = 'byType' | 'byTemplate' | 'byStage';

/** A group's programs, without their people. */
export type ProgramCount = Pick<CountRow, 'key' | 'programs'>;

/**
 * The previous period as a document of a scope compares with it: its figures without the
 * groupings the document shows for its own period only (by type, template and stage), its forms
 * and categories by their programs alone (the comparison's one column).
 */
export type PreviousFigures = Omit<Figures, OwnGroupings | 'previous' | 'byForm' | 'byCategory'> & {
	byForm: ProgramCount[];
	byCategory: ProgramCount[];
};

/**
 * Figures whose groupings by type, template and stage are there only when the document
 * shows them (a municipality's analytic report shows none: its region's figures are made without).
 */
export type ScopeDocFigures = Omit<Figures, OwnGroupings> & Partial<Pick<Figures, OwnGroupings>>;

export type CalendarDocument =
	| { kind: 'monitoring-xlsx' | 'registries-xlsx'; label: string }
	| {
			/** A document of a scope, pre-filled for the item's period (the document page). */
			kind: 'scope-document';
			docKind: 'info-note' | 'analytic-note' | 'analytic-report';
			label: string;
			scope: { kind: 'organization' | 'municipality'; id: string; name: string };
			from: string;
			to: string;
			/** Versions written so far, and whether the newest is handed in. */
			versions: number;
			handedIn: boolean;
	  }
	| { kind: 'dashboard'; label: string; flag: string };

export interface CalendarEvent {
	/** `<year>-<item id>`: the item of the municipality's calendar (src/lib/shared/calendar.ts). */
	id: string;
	itemId: string;
	date: string;
	title: string;
	basis: string;
	/** Who is responsible, in words (the configured body's name, the roles). */
	responsible: string;
	state: 'past' | 'soon' | 'upcoming';
	/** Live figures for the event. */
	figures: Array<{ label: string; value: number }>;
	documents: CalendarDocument[];
}

export interface CaseRecord {
	id: string;
	programId: string;
	organizationId: string | null;
	title: string;
	description: string;
	tags: string[];
	templateId: string | null;
	form: string | null;
	category: string | null;
	consentMentor: boolean;
	consentMentee: boolean;
	consentNote: string | null;
	createdBy: string;
	createdAt: number;
	withdrawnAt: number | null;
	/** The reusable plan. */
	template: ProgramTemplate;
}

/**
 * An attachment of the program as the curator's program page lists it (GET
 * /api/curator/programs/:id, `attachments`; issue 17): the reference from the document, where to
 * download the bytes, and whether the server has them yet (a phone offline has not uploaded).
 */
export type CuratorProgramAttachment = AttachmentView & {
	/** GET this (same origin, the session cookie) for the bytes. */
	url: string;
	/** The upload is complete and verified; false: the author's phone has not sent it yet. */
	uploaded: boolean;
};
