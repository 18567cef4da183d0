// The decisions document of a program (docs/program-document.md, "Who may write what"): a
// second Yjs document per program, `<programId>/decisions`, that holds everything only a
// decision maker writes — report verdicts and their comments, program approval, completion by
// the curator, extension/correction petitions and decisions (with the moved deadlines), curator
// comments on activities. Only the server writes it (the relay forces every client connection to
// it read-only and refuses any client update); readers take decisions from it alone, so a
// decision field forged into the co-written document is ignored by every reader.
import * as Y from 'yjs';

/** Top-level names of the decisions document. Prefixed, so they can never collide with the co-written layout. */
export const DECISIONS_ROOT = {
	/** Y.Map: reportId → Y.Map (VERDICT keys). */
	reports: 'decisions.reports',
	/** Y.Array of Y.Map: curator comments on activities (same keys as the legacy `comments`). */
	comments: 'decisions.comments',
	/** Y.Map: changeId → plain record (CHANGE_DECISION keys). */
	changes: 'decisions.changes',
	/** Y.Map: PROGRAM_DECISION keys. */
	program: 'decisions.program',
	/** Y.Map: activityId → 'YYYY-MM-DD': default deadlines moved by an approved extension. */
	deadlines: 'decisions.deadlines',
	/**
	 * Y.Map: activityId → `{ from, to }`: a deadline set by hand, still ahead at an approved
	 * extension, moved by its months; applies while the co-written deadline is still `from`.
	 */
	handDeadlines: 'decisions.handDeadlines'
} as const;

/** Keys of one verdict (a Y.Map under `decisions.reports`). */
export const VERDICT = {
	status: 'status',
	reviewedAt: 'reviewedAt',
	reviewedBy: 'reviewedBy',
	/** Y.Text. */
	curatorComment: 'curatorComment',
	/** The report's `submission` mark the verdict answered (null: a report submitted before marks). */
	submission: 'submission'
} as const;

/** Keys of `decisions.program`. */
export const PROGRAM_DECISION = {
	/** `{ by, date }`: the program was approved (draft → active). */
	approval: 'approval',
	/** The completion record decided by the curator (same shape as the co-written `completion.record`). */
	completion: 'completion',
	/**
	 * `{ reason, date, initiatedBy }` of a participant's completion the curator reopened: that
	 * co-written completion no longer counts (a later, different one does).
	 */
	reopened: 'reopened',
	/** When legacy decision fields of the co-written document were copied here (once). */
	imported: 'imported'
} as const;

/** Keys of one change decision (a plain record under `decisions.changes`). */
export const CHANGE_DECISION = {
	petitionedBy: 'petitionedBy',
	status: 'status',
	decidedBy: 'decidedBy',
	decidedAt: 'decidedAt',
	/** Months of an approved extension, frozen at the decision (the request's text stays co-written). */
	months: 'months',
	/** The program's last day after the decision. */
	endDate: 'endDate',
	/** The stage under way at an approved extension: it and every later stage move (absent: the last). */
	stageId: 'stageId'
} as const;

export function decisionsRoot(doc: Y.Doc) {
	return {
		reports: doc.getMap<unknown>(DECISIONS_ROOT.reports),
		comments: doc.getArray<unknown>(DECISIONS_ROOT.comments),
		changes: doc.getMap<unknown>(DECISIONS_ROOT.changes),
		program: doc.getMap<unknown>(DECISIONS_ROOT.program),
		deadlines: doc.getMap<unknown>(DECISIONS_ROOT.deadlines),
		handDeadlines: doc.getMap<unknown>(DECISIONS_ROOT.handDeadlines)
	};
}
export type DecisionsRoot = ReturnType<typeof decisionsRoot>;

/** The storage / sync id of a program's decisions document. */
export const DECISIONS_SUFFIX = '/decisions';
export function decisionsDocumentId(programId: string): string {
	return programId + DECISIONS_SUFFIX;
}

/** Whether the decisions document holds anything (an empty one has not been migrated yet). */
export function decisionsEmpty(doc: Y.Doc): boolean {
	const r = decisionsRoot(doc);
	return (
		r.reports.size === 0 &&
		r.comments.length === 0 &&
		r.changes.size === 0 &&
		r.program.size === 0 &&
		r.deadlines.size === 0 &&
		r.handDeadlines.size === 0
	);
}

/** The key of `decisions.program` that marks a started (imported or newly created) decisions document. */
export const PROGRAM_DECISION_STARTED = PROGRAM_DECISION.imported;
