/**
 * Curator actions: curators and heads read a program's document (the relay gives them 'ro') and
 * act through these server-side edits, each checked by the policy ('program.curate') and by the
 * program's own rules (src/lib/shared/program ProgramEditor), then applied by the relay as a server edit.
 */
import type * as Y from 'yjs';
import {
	ProgramEditor,
	ProgramValidationError,
	type CompletionReason
} from '../../src/lib/shared/program/index.js';
import { IdentityError } from './errors.js';

export const CURATOR_ACTIONS = [
	'commentActivity',
	'removeComment',
	'acceptReport',
	'returnReport',
	'completeProgram',
	'reopenProgram',
	'petitionChange',
	'decideChange'
] as const;

export interface CuratorActionInput {
	action: (typeof CURATOR_ACTIONS)[number];
	activityId?: string;
	commentId?: string;
	reportId?: string;
	changeId?: string;
	text?: string;
	comment?: string;
	date?: string;
	reason?: CompletionReason;
	note?: string;
	decision?: 'approved' | 'rejected';
}

/** How identity reaches the relay: `relay.applyServerEdit` (wired by connectIdentityToRelay). */
export type ServerEdit = (
	programId: string,
	author: { userId: string; role: 'curator' | 'head' },
	edit: (doc: Y.Doc) => void
) => Promise<unknown>;

const need = (v: string | undefined, field: string): string => {
	if (v === undefined || v === '') {
		throw new IdentityError(400, 'invalid_request', `Не указано поле «${field}»`);
	}
	return v;
};

/** Runs one action on the document; returns the id of a created item (a comment) if any. */
export function applyCuratorAction(editor: ProgramEditor, a: CuratorActionInput): string | null {
	switch (a.action) {
		case 'commentActivity':
			return editor.commentActivity(need(a.activityId, 'activityId'), need(a.text, 'text'));
		case 'removeComment':
			editor.removeComment(need(a.commentId, 'commentId'));
			return null;
		case 'acceptReport':
			editor.acceptReport(need(a.reportId, 'reportId'), a.date, a.comment);
			return null;
		case 'returnReport':
			editor.returnReport(need(a.reportId, 'reportId'), need(a.comment, 'comment'), a.date);
			return null;
		case 'completeProgram':
			editor.completeProgram({
				reason: need(a.reason, 'reason') as CompletionReason,
				date: need(a.date, 'date'),
				...(a.note !== undefined ? { note: a.note } : {})
			});
			return null;
		case 'reopenProgram':
			editor.reopenProgram();
			return null;
		case 'petitionChange':
			editor.petitionChange(need(a.changeId, 'changeId'));
			return null;
		case 'decideChange':
			editor.decideChange(
				need(a.changeId, 'changeId'),
				need(a.decision, 'decision') as 'approved' | 'rejected',
				a.date
			);
			return null;
	}
}

/** Maps the program core's validation errors to API errors (Russian message kept). */
export function programRuleError(error: unknown): IdentityError | null {
	if (!(error instanceof ProgramValidationError)) return null;
	if (error.code === 'forbidden') {
		return new IdentityError(403, 'forbidden', error.messageRu);
	}
	if (error.code === 'not-found') return new IdentityError(404, 'not_found', error.messageRu);
	if (error.code === 'invalid-state')
		return new IdentityError(409, 'program_rule', error.messageRu);
	return new IdentityError(400, 'invalid_request', error.messageRu);
}

export { ProgramEditor };
