/**
 * The one curator-action pipeline: one vocabulary (CURATOR_ACTIONS, shared with the PWA through
 * src/lib/shared/api), one validation (`parseCuratorAction`), applied through the relay as
 * server-side edits (ProgramsService.curatorAction checks the policy and writes the audit): the relay loads
 * the document, the program core's ProgramEditor writes the change as the curator (origin and
 * `updatedBy`/`reviewedBy` = the curator's person id), the update is made durable and broadcast
 * to every connected participant like any client update — so it appears on their phones live.
 */
import * as Y from 'yjs';
import {
	COMPLETION_REASON_LABELS,
	FORM_LABELS,
	MENTEE_CATEGORY_LABELS,
	ProgramEditor,
	ProgramValidationError,
	readProgram,
	TYPE_LABELS,
	type CompletionReason,
	type MenteeCategory,
	type MentoringForm,
	type MentoringType
} from '../../src/lib/shared/program/index.js';
import { today as todayIn } from '../../src/lib/shared/time.js';
import {
	CURATOR_ACTIONS,
	type CuratorAction,
	type CuratorActionResult
} from '../../src/lib/shared/api/curator.js';
import { IdentityError } from '../identity/errors.js';

// The vocabulary and the request shape are the API contract (src/lib/shared/api/curator.ts).
export { CURATOR_ACTIONS, type CuratorAction };

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
	/** A server edit of the program's decisions document (server/sync/decisions.ts). */
	applyDecisionEdit(
		programId: string,
		author: { userId: string; role?: string },
		edit: (doc: Y.Doc, decisions: Y.Doc, author: { userId: string; role?: string }) => void
	): Promise<{ update: Uint8Array | null }>;
	/** Recomputes and stores these programs' summaries now (the relay; absent in unit fakes). */
	refreshSummaries?(programIds: string[]): Promise<number>;
}

export type ActionResult = CuratorActionResult;

/**
 * Applies one action at instant `now`. Dates it writes (review, decision) are the day at `now` in
 * the program's own zone (its document's), as the participants' phones count it.
 * Decisions (verdicts, comments, approval, completion, petitions and decisions on changes) are
 * written into the decisions document, which only the server writes; the form is co-written
 * metadata. Who may take the action was decided before (server/identity/authority.ts
 * `decisionRefusal`, on the registry's participants: the co-written document's participant list
 * is the participants' to write, so it never decides who may decide).
 * Throws ProgramValidationError (with a Russian message) when the program's rules refuse it:
 * the documents are then left untouched.
 */
export async function applyCuratorAction(
	relay: ServerEditor,
	programId: string,
	who: ActingCurator,
	a: CuratorAction,
	now: number
): Promise<ActionResult> {
	const author = { userId: who.personId, role: who.role };
	const actor = { userId: who.personId, role: who.role };
	// The curator's name must be resolvable on the participants' screens ("принял: …"): a
	// participant entry in the co-written document (the only co-written part of a decision).
	let changed = false;
	if (a.action !== 'set-form' && who.role === 'curator') {
		const res = await relay.applyServerEdit(programId, author, (doc) => {
			if (!readProgram(doc).participants.some((p) => p.userId === who.personId))
				new ProgramEditor(doc, actor).addParticipant({
					role: 'curator',
					name: who.fullName,
					userId: who.personId
				});
		});
		changed = res.update !== null;
	}
	if (a.action === 'set-form') {
		const res = await relay.applyServerEdit(programId, author, (doc) => {
			new ProgramEditor(doc, actor).setMeta({
				...(a.form ? { form: a.form } : {}),
				...(a.types ? { types: a.types } : {}),
				...(a.menteeCategory ? { menteeCategory: a.menteeCategory } : {})
			});
		});
		return { ok: true, id: null, changed: res.update !== null };
	}
	let created: string | null = null;
	const res = await relay.applyDecisionEdit(programId, author, (doc, decisions) => {
		const view = readProgram(doc, decisions);
		const ed = new ProgramEditor(doc, actor, { decisions });
		const today = todayIn(view.meta.timeZone, now);
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
				if (view.meta.status !== 'draft')
					throw new ProgramValidationError(
						'invalid-state',
						'status',
						'program is not a draft',
						'Программа уже утверждена.'
					);
				ed.approveProgram(today);
				return;
			default: {
				const never: never = a;
				throw new Error(`unknown action ${JSON.stringify(never)}`);
			}
		}
	});
	return { ok: true, id: created, changed: changed || res.update !== null };
}

const ID = /^[A-Za-z0-9_-]{1,128}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function id(v: unknown): string {
	if (typeof v !== 'string' || !ID.test(v)) throw new IdentityError(404, 'not_found', 'Не найдено');
	return v;
}

/** The request body of a curator action, checked field by field (Russian messages for the screen). */
export function parseCuratorAction(body: unknown): CuratorAction {
	const b = (body ?? {}) as Record<string, unknown>;
	const bad = (m: string) => new IdentityError(400, 'invalid_request', m);
	switch (b.action) {
		case 'accept-report':
			return {
				action: 'accept-report',
				reportId: id(b.reportId),
				...(typeof b.comment === 'string' && b.comment.trim() ? { comment: b.comment } : {})
			};
		case 'return-report':
			if (typeof b.comment !== 'string' || !b.comment.trim())
				throw bad('Укажите, что нужно доработать');
			return { action: 'return-report', reportId: id(b.reportId), comment: b.comment };
		case 'comment-activity':
			if (typeof b.text !== 'string' || !b.text.trim()) throw bad('Введите комментарий');
			return { action: 'comment-activity', activityId: id(b.activityId), text: b.text };
		case 'complete': {
			if (typeof b.reason !== 'string' || !(b.reason in COMPLETION_REASON_LABELS))
				throw bad('Укажите основание завершения');
			const d =
				typeof b.date === 'string' && b.date.length > 0 && b.date.length <= 10 ? b.date : '';
			if (d && !DATE.test(d)) throw bad('Дата должна быть в формате ГГГГ-ММ-ДД');
			if (!d) throw bad('Укажите дату завершения');
			return {
				action: 'complete',
				reason: b.reason as CompletionReason,
				date: d,
				...(typeof b.note === 'string' ? { note: b.note } : {})
			};
		}
		case 'petition-change':
		case 'approve-change':
		case 'reject-change':
			return { action: b.action, changeId: id(b.changeId) };
		case 'approve-program':
			return { action: 'approve-program' };
		case 'set-form': {
			const out: Extract<CuratorAction, { action: 'set-form' }> = { action: 'set-form' };
			if (b.form !== undefined) {
				if (typeof b.form !== 'string' || !(b.form in FORM_LABELS))
					throw bad('Неизвестная форма наставничества');
				out.form = b.form as MentoringForm;
			}
			if (b.types !== undefined) {
				if (
					!Array.isArray(b.types) ||
					b.types.length === 0 ||
					!b.types.every((t) => typeof t === 'string' && t in TYPE_LABELS)
				)
					throw bad('Неизвестный вид наставничества');
				out.types = b.types as MentoringType[];
			}
			if (b.menteeCategory !== undefined) {
				if (typeof b.menteeCategory !== 'string' || !(b.menteeCategory in MENTEE_CATEGORY_LABELS))
					throw bad('Неизвестная категория наставляемого');
				out.menteeCategory = b.menteeCategory as MenteeCategory;
			}
			return out;
		}
		default:
			throw bad(`Неизвестное действие; допустимы: ${CURATOR_ACTIONS.join(', ')}`);
	}
}
