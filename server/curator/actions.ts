/**
 * Curator actions on a program, applied through the relay as server-side edits: the relay loads
 * the document, the program core's ProgramEditor writes the change as the curator (origin and
 * `updatedBy`/`reviewedBy` = the curator's person id), the update is made durable and broadcast
 * to every connected participant like any client update — so it appears on their phones live.
 */
import * as Y from 'yjs';
import {
	ProgramEditor,
	ProgramValidationError,
	readProgram,
	type CompletionReason,
	type MenteeCategory,
	type MentoringForm,
	type MentoringType
} from '../../src/lib/shared/program/index.js';
import { today as todayIn } from '../../src/lib/shared/time.js';

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

export interface ActingCurator {
	personId: string;
	fullName: string;
	/** curator (the organization's curator) or head (руководитель ОО). */
	role: 'curator' | 'head';
}

export interface ServerEditor {
	applyServerEdit(
		programId: string,
		author: { userId: string; role?: string },
		edit: (doc: Y.Doc, author: { userId: string; role?: string }) => void
	): Promise<{ update: Uint8Array | null }>;
}

export interface ActionResult {
	ok: true;
	/** Id of what was created (a comment), when any. */
	id: string | null;
	changed: boolean;
}

/**
 * Applies one action at instant `now`. Dates it writes (review, decision) are the day at `now` in
 * the program's own zone (its document's), as the participants' phones count it.
 * Throws ProgramValidationError (with a Russian message) when the program's rules refuse it:
 * the document is then left untouched.
 */
export async function applyCuratorAction(
	relay: ServerEditor,
	programId: string,
	who: ActingCurator,
	a: CuratorAction,
	now: number
): Promise<ActionResult> {
	let created: string | null = null;
	const res = await relay.applyServerEdit(
		programId,
		{ userId: who.personId, role: who.role },
		(doc) => {
			const ed = new ProgramEditor(doc, { userId: who.personId, role: who.role });
			const today = todayIn(readProgram(doc).meta.timeZone, now);
			// The curator's name must be resolvable on the participants' screens ("принял: …").
			if (
				who.role === 'curator' &&
				!readProgram(doc).participants.some((p) => p.userId === who.personId)
			)
				ed.addParticipant({ role: 'curator', name: who.fullName, userId: who.personId });
			switch (a.action) {
				case 'accept-report':
					ed.acceptReport(a.reportId, today, a.comment);
					return;
				case 'return-report':
					ed.returnReport(a.reportId, a.comment, today);
					return;
				case 'comment-activity':
					created = ed.commentActivity(a.activityId, a.text);
					return;
				case 'complete':
					ed.completeProgram({ reason: a.reason, date: a.date, note: a.note ?? '' });
					return;
				case 'petition-change':
					ed.petitionChange(a.changeId);
					return;
				case 'approve-change':
					ed.decideChange(a.changeId, 'approved', today);
					return;
				case 'reject-change':
					ed.decideChange(a.changeId, 'rejected', today);
					return;
				case 'approve-program':
					if (readProgram(doc).meta.status !== 'draft')
						throw new ProgramValidationError(
							'invalid-state',
							'status',
							'program is not a draft',
							'Программа уже утверждена.'
						);
					ed.setMeta({ status: 'active' });
					return;
				case 'set-form':
					if (who.role !== 'curator')
						throw new ProgramValidationError(
							'forbidden',
							'form',
							'only the curator sets the form',
							'Форму и вид наставничества задает куратор.'
						);
					ed.setMeta({
						...(a.form ? { form: a.form } : {}),
						...(a.types ? { types: a.types } : {}),
						...(a.menteeCategory ? { menteeCategory: a.menteeCategory } : {})
					});
					return;
				default: {
					const never: never = a;
					throw new Error(`unknown action ${JSON.stringify(never)}`);
				}
			}
		}
	);
	return { ok: true, id: created, changed: res.update !== null };
}

export function isValidationError(e: unknown): e is ProgramValidationError {
	return e instanceof ProgramValidationError;
}
