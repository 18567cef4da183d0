// The typed write API. Rules every method follows:
// - one user action = one doc.transact(fn, userOrigin(userId)), so a per-user UndoManager undoes
//   the whole action and a remote peer sees it atomically;
// - only the keys the action owns are set (never rewrite a map: an older app must not wipe keys
//   written by a newer one, and a concurrent edit of another key must survive);
// - list items are never deleted, only marked `removed` (undo works, nothing is lost);
// - every value is validated first; nothing is written when validation fails.
import * as Y from 'yjs';
import { TIME_ZONE_ERROR_RU, isTimeZone, today, zoneOr } from '../time';
import { addMonths, stampOf } from './dates';
import { LEARNER_FORMS, isLearnerForm } from './audience';
import { checkTerm, learnerFormError } from './create';
import { TEMPLATES } from './templates/index';
import {
	ACTIVITY_STATUS_LABELS,
	ASSESSMENT_PHASE_LABELS,
	CHANGE_KIND_LABELS,
	COMPLETION_REASON_LABELS,
	FORM_LABELS,
	MEETING_FORMAT_LABELS,
	MEETING_KIND_LABELS,
	MENTEE_CATEGORY_LABELS,
	PROGRAM_STATUS_LABELS,
	RESULT_FORM_LABELS,
	STAGE_KIND_LABELS,
	TYPE_LABELS,
	type ActivityStatus,
	type AssessmentPhase,
	type ChangeKind,
	type CompletionReason,
	type MeetingFormat,
	type MeetingKind,
	type MenteeCategory,
	type MentoringForm,
	type MentoringType,
	type ParticipantRole,
	type ProgramStatus,
	type ResultForm,
	type StageKind
} from './labels';
import {
	CHANGE_DECISION,
	PROGRAM_DECISION,
	VERDICT,
	decisionsRoot,
	type DecisionsRoot
} from './decisions';
import { compareOrder, keyBetween } from './order';
import {
	ATTACHMENT_HASH_PATTERN,
	ATTACHMENT_LIMITS,
	ATTACHMENT_TYPES,
	maxBytesOf,
	type AttachmentType
} from '../api/attachments';
import { ATTACHMENT_TARGETS, type AttachmentTarget } from './attachments';
import {
	DISCUSSION_MAX,
	Problems,
	findItem,
	type DiscussionTarget,
	readActivities,
	readCompletion,
	readParticipants,
	readProgram,
	readReports,
	readStages,
	writableByThisApp,
	type ProgramView
} from './read';
import {
	canApproveChange,
	canComplete,
	canRequestChange,
	currentStage,
	defaultDeadline,
	programEndDate,
	reportKey
} from './rules';
import {
	ACTIVITY,
	ATTACHMENT,
	ATTACHMENTS_ROOT,
	CHANGE,
	COMMENT,
	COMPLETION,
	DIAGNOSIS_FIELDS,
	DISCUSSION,
	DISCUSSION_ROOT,
	ITEM,
	MEETING,
	META,
	PARTICIPANT,
	REPORT,
	SCHEMA_VERSION,
	STAGE,
	diagnosisText,
	randomId,
	root,
	userOrigin,
	type Actor,
	type DiagnosisField,
	type Root,
	type UserOrigin
} from './schema';
import {
	LIMITS,
	ProgramValidationError,
	checkDate,
	checkEnum,
	checkId,
	checkInt,
	checkText,
	forbidden,
	invalidState,
	notFound
} from './validate';

export interface EditorOptions {
	/** Device clock, used only for the informational updatedAt stamps. */
	clock?: () => Date;
	/** Id source (tests and fixtures use a seeded one). */
	newId?: () => string;
	/**
	 * The program's decisions document (decisions.ts): verdicts, approval, the curator's
	 * completion, change decisions and curator comments are written there. Only the server holds
	 * a writable one (a phone's is read-only: the relay refuses its updates). Default: `doc`
	 * itself (tests and tools that keep one in-memory document; read it with readProgram(doc, doc)).
	 */
	decisions?: Y.Doc;
	/**
	 * The decisions document is a read-only replica (a phone's): decision methods refuse with a
	 * Russian message instead of writing a local change the relay would never store.
	 */
	decisionsReadOnly?: boolean;
}

/** A free-text field the UI can bind to and edit. */
export type TextRef =
	| { kind: 'diagnosis'; field: DiagnosisField }
	| { kind: 'activity'; id: string; field: 'notes' }
	| { kind: 'meeting'; id: string; field: 'notes' | 'agreements' }
	| { kind: 'report'; id: string; field: 'text' | 'curatorComment' }
	| { kind: 'comment'; id: string }
	| { kind: 'change'; id: string; field: 'reason' };

export interface MetaPatch {
	title?: string;
	organization?: string;
	form?: MentoringForm;
	types?: MentoringType[];
	model?: string;
	menteeCategory?: MenteeCategory;
	startDate?: string;
	durationMonths?: number;
	status?: ProgramStatus;
}

export interface NewActivity {
	stageId: string;
	title: string;
	resultForm?: ResultForm;
	deadline?: string;
	responsible?: string;
	/** Position inside the stage; default: at the end. */
	index?: number;
}

export interface ActivityPatch {
	title?: string;
	resultForm?: ResultForm | null;
	responsible?: string;
	status?: ActivityStatus;
}

export interface NewMeeting {
	date: string;
	format: MeetingFormat;
	kind: MeetingKind;
	topic: string;
	notes?: string;
	agreements?: string;
}

export type ReportTarget =
	{ kind: 'stage'; stageId: string } | { kind: 'mentor-semiannual'; period: string };

type AnyMap = Y.Map<unknown>;
/** On an activity removed together with its stage (removeStage): the stage's id, for restoreStage. */
const REMOVED_WITH = 'removedWith';
const PLAN_ROLES: ReadonlyArray<Actor['role']> = ['mentor', 'mentee'];
const PEOPLE_ROLES: ReadonlyArray<Actor['role']> = ['mentor', 'mentee', 'curator'];
const CURATOR_ROLES: ReadonlyArray<Actor['role']> = ['curator', 'head'];

export class ProgramEditor {
	readonly origin: UserOrigin;
	private readonly r: Root;
	/** The decisions document and its layout. */
	readonly decisions: Y.Doc;
	private readonly d: DecisionsRoot;
	private readonly decisionsReadOnly: boolean;
	private readonly clock: () => Date;
	private readonly newId: () => string;

	constructor(
		readonly doc: Y.Doc,
		readonly actor: Actor,
		opts: EditorOptions = {}
	) {
		checkId('userId', actor.userId);
		this.origin = userOrigin(actor.userId);
		this.r = root(doc);
		this.decisions = opts.decisions ?? doc;
		this.d = decisionsRoot(this.decisions);
		this.decisionsReadOnly = opts.decisionsReadOnly === true;
		this.clock = opts.clock ?? (() => new Date());
		this.newId = opts.newId ?? randomId;
	}

	// ---------- plumbing ----------

	private write<T>(roles: ReadonlyArray<Actor['role']>, what: string, fn: () => T): T {
		if (!roles.includes(this.actor.role)) throw forbidden(what);
		if (!writableByThisApp(this.doc))
			throw new ProgramValidationError(
				'schema-too-new',
				what,
				'document requires a newer app version to write',
				'Программа создана в более новой версии приложения. Обновите приложение, чтобы вносить изменения.'
			);
		// Yjs has no rollback: every check inside fn runs before its first write, and the version
		// mark goes last so a rejected action leaves the document untouched.
		return this.doc.transact(() => {
			const res = fn();
			const sv = this.r.meta.get(META.schemaVersion);
			if (typeof sv !== 'number' || sv < SCHEMA_VERSION)
				this.r.meta.set(META.schemaVersion, SCHEMA_VERSION);
			return res;
		}, this.origin);
	}

	/** A decision: written into the decisions document, one transaction, the same origin. */
	private decide<T>(roles: ReadonlyArray<Actor['role']>, what: string, fn: () => T): T {
		if (!roles.includes(this.actor.role)) throw forbidden(what);
		if (this.decisionsReadOnly)
			throw new ProgramValidationError(
				'forbidden',
				what,
				'decisions are written by the server (curator actions over HTTP)',
				'Решения куратора принимаются в разделе куратора и только при подключении к сети.'
			);
		return this.decisions.transact(fn, this.origin);
	}

	/** The program as every reader sees it: the co-written part with the decisions overlaid. */
	private view() {
		return readProgram(this.doc, this.decisions);
	}

	private stamp(): string {
		return stampOf(this.clock());
	}

	/** Sets a key only if the value changes: fewer tombstones, smaller document. */
	private put(m: AnyMap, key: string, v: unknown): void {
		if (m.get(key) !== v) m.set(key, v);
	}

	private touch(m: AnyMap): void {
		this.put(m, ITEM.updatedBy, this.actor.userId);
		this.put(m, ITEM.updatedAt, this.stamp());
	}

	private newItem(fields: Record<string, unknown>): { id: string; map: AnyMap } {
		const id = this.newId();
		const now = this.stamp();
		const map = new Y.Map<unknown>(
			Object.entries({
				[ITEM.id]: id,
				...fields,
				[ITEM.createdBy]: this.actor.userId,
				[ITEM.createdAt]: now,
				[ITEM.updatedBy]: this.actor.userId,
				[ITEM.updatedAt]: now
			})
		);
		return { id, map };
	}

	private item(arr: Y.Array<unknown>, field: string, id: string, allowRemoved = false): AnyMap {
		checkId(field, id);
		const m = findItem(arr, id);
		if (!m || (!allowRemoved && m.get(ITEM.removed) === true)) throw notFound(field, id);
		return m;
	}

	private softRemove(m: AnyMap): void {
		this.put(m, ITEM.removed, true);
		this.put(m, ITEM.removedBy, this.actor.userId);
		this.put(m, ITEM.removedAt, this.stamp());
		this.touch(m);
	}

	private restore(m: AnyMap): void {
		this.put(m, ITEM.removed, false);
		this.touch(m);
	}

	private today(date: string | undefined): string {
		// "Today" where the school is (the document's zone), not in UTC nor on the device.
		return date === undefined
			? today(zoneOr(this.r.meta.get(META.timeZone)), this.clock())
			: checkDate('date', date);
	}

	// ---------- metadata and participants ----------

	/** Approval of the program (draft → active): a decision. */
	approveProgram(date?: string): void {
		const d = this.today(date);
		this.decide(CURATOR_ROLES, 'approveProgram', () => {
			if (this.d.program.has(PROGRAM_DECISION.approval)) return;
			this.d.program.set(PROGRAM_DECISION.approval, { by: this.actor.userId, date: d });
		});
	}

	/**
	 * The program's time zone (the organization's, written by the server when it changes): from
	 * then on every replica counts "today" in it.
	 */
	setTimeZone(zone: string): void {
		if (!isTimeZone(zone))
			throw new ProgramValidationError(
				'invalid-enum',
				'timeZone',
				'timeZone: unknown time zone',
				TIME_ZONE_ERROR_RU
			);
		this.write(CURATOR_ROLES, 'setTimeZone', () => this.put(this.r.meta, META.timeZone, zone));
	}

	setMeta(patch: MetaPatch): void {
		const v: Array<[string, unknown]> = [];
		if (patch.title !== undefined)
			v.push([META.title, checkText('title', patch.title, LIMITS.title)]);
		if (patch.organization !== undefined)
			v.push([
				META.organization,
				checkText('organization', patch.organization, LIMITS.title, { allowEmpty: true })
			]);
		// A learner's program keeps a learner form, its mentee following the form; its term stays
		// within the template's regulation (a longer stay is an extension, decided on a petition).
		const templateId = this.r.meta.get(META.templateId);
		const learner = templateId === 'learner';
		if (patch.form !== undefined) {
			const form = checkEnum('form', FORM_LABELS, patch.form);
			if (learner && !isLearnerForm(form)) throw learnerFormError();
			v.push([META.form, form]);
			const follows = learner ? LEARNER_FORMS[form] : undefined;
			if (follows && patch.menteeCategory === undefined) v.push([META.menteeCategory, follows]);
		}
		if (patch.types !== undefined) {
			if (!Array.isArray(patch.types) || patch.types.length > 7)
				throw new ProgramValidationError(
					'invalid-enum',
					'types',
					'types: expected a list',
					'Выберите виды наставничества из списка.'
				);
			const t = [...new Set(patch.types.map((x) => checkEnum('types', TYPE_LABELS, x)))];
			v.push([META.types, t]);
		}
		if (patch.model !== undefined)
			v.push([META.model, checkText('model', patch.model, LIMITS.shortText, { allowEmpty: true })]);
		if (patch.menteeCategory !== undefined)
			v.push([
				META.menteeCategory,
				checkEnum('menteeCategory', MENTEE_CATEGORY_LABELS, patch.menteeCategory)
			]);
		if (patch.startDate !== undefined)
			v.push([META.startDate, checkDate('startDate', patch.startDate)]);
		if (patch.durationMonths !== undefined)
			v.push([
				META.durationMonths,
				checkTerm(TEMPLATES.find((t) => t.id === templateId) ?? {}, patch.durationMonths)
			]);
		if (patch.status !== undefined) {
			const s = checkEnum('status', PROGRAM_STATUS_LABELS, patch.status);
			if (s === 'completed')
				throw invalidState(
					'status',
					'use completeProgram',
					'Чтобы завершить программу, укажите основание завершения.'
				);
			if (s === 'active') {
				this.approveProgram();
			} else if (this.d.program.has(PROGRAM_DECISION.approval))
				this.decide(CURATOR_ROLES, 'setMeta', () =>
					this.d.program.delete(PROGRAM_DECISION.approval)
				);
		}
		if (v.length === 0) return;
		this.write(PEOPLE_ROLES, 'setMeta', () => {
			for (const [k, x] of v) {
				// Arrays are values: compare by content so re-saving the same list writes nothing.
				if (Array.isArray(x) && JSON.stringify(this.r.meta.get(k)) === JSON.stringify(x)) continue;
				this.put(this.r.meta, k, x);
			}
		});
	}

	addParticipant(p: { role: ParticipantRole; name: string; userId?: string }): string {
		const role = checkEnum('role', { mentor: '', mentee: '', curator: '' }, p.role);
		const name = checkText('name', p.name, LIMITS.name);
		const userId = p.userId === undefined ? undefined : checkId('userId', p.userId);
		return this.write(PEOPLE_ROLES, 'addParticipant', () => {
			const { id, map } = this.newItem({
				[PARTICIPANT.role]: role,
				[PARTICIPANT.name]: name,
				...(userId ? { [PARTICIPANT.userId]: userId } : {})
			});
			this.r.participants.push([map]);
			return id;
		});
	}

	renameParticipant(id: string, name: string): void {
		const n = checkText('name', name, LIMITS.name);
		this.write(PEOPLE_ROLES, 'renameParticipant', () => {
			const m = this.item(this.r.participants, 'participant', id);
			this.put(m, PARTICIPANT.name, n);
			this.touch(m);
		});
	}

	/**
	 * Registry records merged (a duplicate person): every participant entry of `fromUserId` now
	 * names `toUserId`, optionally under a new name. Returns how many entries changed.
	 */
	relinkParticipants(fromUserId: string, toUserId: string, name?: string): number {
		checkId('userId', fromUserId);
		checkId('userId', toUserId);
		const n = name === undefined ? undefined : checkText('name', name, LIMITS.name);
		return this.write(PEOPLE_ROLES, 'relinkParticipants', () => {
			let changed = 0;
			for (const m of this.r.participants) {
				if (!(m instanceof Y.Map) || m.get(PARTICIPANT.userId) !== fromUserId) continue;
				this.put(m, PARTICIPANT.userId, toUserId);
				if (n !== undefined) this.put(m, PARTICIPANT.name, n);
				this.touch(m);
				changed++;
			}
			return changed;
		});
	}

	removeParticipant(id: string): void {
		this.write(PEOPLE_ROLES, 'removeParticipant', () =>
			this.softRemove(this.item(this.r.participants, 'participant', id))
		);
	}

	// ---------- stages ----------

	addStage(s: {
		title: string;
		months: number;
		kind?: StageKind;
		resultForm?: ResultForm;
	}): string {
		const title = checkText('title', s.title, LIMITS.title);
		const months = checkInt('months', s.months, 0, 60);
		const kind = checkEnum('kind', STAGE_KIND_LABELS, s.kind ?? 'custom');
		const rf =
			s.resultForm === undefined
				? undefined
				: checkEnum('resultForm', RESULT_FORM_LABELS, s.resultForm);
		return this.write(PLAN_ROLES, 'addStage', () => {
			const stages = readStages(this.r, new Problems());
			const last = stages[stages.length - 1];
			const { id, map } = this.newItem({
				[STAGE.kind]: kind,
				[STAGE.title]: title,
				[STAGE.months]: months,
				[STAGE.order]: keyBetween(last?.order ?? null, null),
				...(rf ? { [STAGE.resultForm]: rf } : {})
			});
			this.r.stages.push([map]);
			return id;
		});
	}

	editStage(id: string, patch: { title?: string; months?: number; resultForm?: ResultForm }): void {
		const v: Array<[string, unknown]> = [];
		if (patch.title !== undefined)
			v.push([STAGE.title, checkText('title', patch.title, LIMITS.title)]);
		if (patch.months !== undefined) v.push([STAGE.months, checkInt('months', patch.months, 0, 60)]);
		if (patch.resultForm !== undefined)
			v.push([STAGE.resultForm, checkEnum('resultForm', RESULT_FORM_LABELS, patch.resultForm)]);
		this.write(PLAN_ROLES, 'editStage', () => {
			const m = this.item(this.r.stages, 'stage', id);
			for (const [k, x] of v) this.put(m, k, x);
			this.touch(m);
		});
	}

	/**
	 * Reorders a stage: it takes position `index` among the other stages (0 = first). A field
	 * change (the order key), never delete + insert, so a concurrent edit of the stage survives.
	 */
	moveStage(id: string, index: number): void {
		checkInt('index', index, 0, LIMITS.listItems);
		this.write(PLAN_ROLES, 'moveStage', () => {
			const m = this.item(this.r.stages, 'stage', id);
			const others = readStages(this.r, new Problems()).filter((s) => s.id !== id);
			const i = Math.max(0, Math.min(others.length, index));
			m.set(STAGE.order, keyBetween(others[i - 1]?.order ?? null, others[i]?.order ?? null));
			this.touch(m);
		});
	}

	/**
	 * Removes a stage with its activities (soft: `restoreStage` brings both back). The activities
	 * removed here are marked with the stage, so restoring the stage restores exactly them.
	 */
	removeStage(id: string): void {
		this.write(PLAN_ROLES, 'removeStage', () => {
			const m = this.item(this.r.stages, 'stage', id);
			for (const a of readActivities(this.r, new Problems())) {
				if (a.stageId !== id) continue;
				const am = this.item(this.r.activities, 'activity', a.id);
				this.softRemove(am);
				am.set(REMOVED_WITH, id);
			}
			this.softRemove(m);
		});
	}

	restoreStage(id: string): void {
		this.write(PLAN_ROLES, 'restoreStage', () => {
			const m = this.item(this.r.stages, 'stage', id, true);
			this.restore(m);
			// The activities removed with the stage come back with it; those removed before stay removed.
			for (const am of this.r.activities) {
				if (!(am instanceof Y.Map) || am.get(REMOVED_WITH) !== id) continue;
				am.delete(REMOVED_WITH);
				if (am.get(ITEM.removed) === true) this.restore(am);
			}
		});
	}

	/**
	 * Recomputes default deadlines after the start date or a stage length changed. Deadlines set by
	 * hand and done activities are left alone.
	 */
	rescheduleDeadlines(): number {
		return this.write(PLAN_ROLES, 'rescheduleDeadlines', () => {
			const view = this.view();
			let n = 0;
			for (const a of view.activities) {
				if (a.deadlineEdited || a.status === 'done' || !a.stageId) continue;
				const d = defaultDeadline(view, a.stageId);
				if (d && d !== a.deadline) {
					const m = this.item(this.r.activities, 'activity', a.id);
					this.put(m, ACTIVITY.deadline, d);
					this.touch(m);
					n++;
				}
			}
			return n;
		});
	}

	// ---------- activities ----------

	private orderAt(stageId: string, index: number | undefined, exceptId?: string): string {
		const list = readActivities(this.r, new Problems())
			.filter((a) => a.stageId === stageId && a.id !== exceptId)
			.sort(compareOrder);
		const i = index === undefined ? list.length : Math.max(0, Math.min(list.length, index));
		return keyBetween(list[i - 1]?.order ?? null, list[i]?.order ?? null);
	}

	private checkStage(stageId: string): void {
		checkId('stageId', stageId);
		const m = findItem(this.r.stages, stageId);
		if (!m || m.get(ITEM.removed) === true) throw notFound('stage', stageId);
	}

	addActivity(a: NewActivity): string {
		const title = checkText('title', a.title, LIMITS.title);
		const rf =
			a.resultForm === undefined
				? undefined
				: checkEnum('resultForm', RESULT_FORM_LABELS, a.resultForm);
		const deadline = a.deadline === undefined ? undefined : checkDate('deadline', a.deadline);
		const responsible =
			a.responsible === undefined
				? ''
				: checkText('responsible', a.responsible, LIMITS.name, { allowEmpty: true });
		if (a.index !== undefined) checkInt('index', a.index, 0, LIMITS.listItems);
		return this.write(PLAN_ROLES, 'addActivity', () => {
			this.checkStage(a.stageId);
			const view = { meta: this.view().meta, stages: readStages(this.r, new Problems()) };
			const d = deadline ?? defaultDeadline(view, a.stageId);
			const { id, map } = this.newItem({
				[ACTIVITY.stageId]: a.stageId,
				[ACTIVITY.order]: this.orderAt(a.stageId, a.index),
				[ACTIVITY.title]: title,
				...(rf ? { [ACTIVITY.resultForm]: rf } : {}),
				...(d ? { [ACTIVITY.deadline]: d } : {}),
				...(deadline ? { [ACTIVITY.deadlineEdited]: true } : {}),
				[ACTIVITY.responsible]: responsible,
				[ACTIVITY.status]: 'planned',
				[ACTIVITY.notes]: new Y.Text()
			});
			this.r.activities.push([map]);
			return id;
		});
	}

	editActivity(id: string, patch: ActivityPatch): void {
		const v: Array<[string, unknown]> = [];
		if (patch.title !== undefined)
			v.push([ACTIVITY.title, checkText('title', patch.title, LIMITS.title)]);
		if (patch.resultForm !== undefined)
			v.push([
				ACTIVITY.resultForm,
				patch.resultForm === null
					? null
					: checkEnum('resultForm', RESULT_FORM_LABELS, patch.resultForm)
			]);
		if (patch.responsible !== undefined)
			v.push([
				ACTIVITY.responsible,
				checkText('responsible', patch.responsible, LIMITS.name, { allowEmpty: true })
			]);
		if (patch.status !== undefined) {
			const s = checkEnum('status', ACTIVITY_STATUS_LABELS, patch.status);
			if (s === 'done')
				throw invalidState(
					'status',
					'use completeActivity',
					'Чтобы отметить выполнение, укажите дату.'
				);
			v.push([ACTIVITY.status, s]);
		}
		this.write(PLAN_ROLES, 'editActivity', () => {
			const m = this.item(this.r.activities, 'activity', id);
			for (const [k, x] of v) this.put(m, k, x);
			this.touch(m);
		});
	}

	setDeadline(id: string, date: string): void {
		const d = checkDate('deadline', date);
		this.write(PLAN_ROLES, 'setDeadline', () => {
			const m = this.item(this.r.activities, 'activity', id);
			this.put(m, ACTIVITY.deadline, d);
			this.put(m, ACTIVITY.deadlineEdited, true);
			this.touch(m);
		});
	}

	/** Move = set stageId and order. The Y.Map stays where it is in the array (see order.ts). */
	moveActivity(id: string, toStageId: string, index?: number): void {
		if (index !== undefined) checkInt('index', index, 0, LIMITS.listItems);
		this.write(PLAN_ROLES, 'moveActivity', () => {
			const m = this.item(this.r.activities, 'activity', id);
			this.checkStage(toStageId);
			this.put(m, ACTIVITY.stageId, toStageId);
			m.set(ACTIVITY.order, this.orderAt(toStageId, index, id));
			this.touch(m);
		});
	}

	completeActivity(id: string, date: string): void {
		const d = checkDate('doneAt', date);
		this.write(PLAN_ROLES, 'completeActivity', () => {
			const m = this.item(this.r.activities, 'activity', id);
			this.put(m, ACTIVITY.status, 'done');
			this.put(m, ACTIVITY.doneAt, d);
			this.put(m, ACTIVITY.doneBy, this.actor.userId);
			this.touch(m);
		});
	}

	reopenActivity(id: string): void {
		this.write(PLAN_ROLES, 'reopenActivity', () => {
			const m = this.item(this.r.activities, 'activity', id);
			this.put(m, ACTIVITY.status, 'in-progress');
			if (m.has(ACTIVITY.doneAt)) m.delete(ACTIVITY.doneAt);
			if (m.has(ACTIVITY.doneBy)) m.delete(ACTIVITY.doneBy);
			this.touch(m);
		});
	}

	removeActivity(id: string): void {
		this.write(PLAN_ROLES, 'removeActivity', () =>
			this.softRemove(this.item(this.r.activities, 'activity', id))
		);
	}

	restoreActivity(id: string): void {
		this.write(PLAN_ROLES, 'restoreActivity', () =>
			this.restore(this.item(this.r.activities, 'activity', id, true))
		);
	}

	// ---------- free text ----------

	/** The Y.Text behind a field (for binding an editor); throws if the item does not exist. */
	text(ref: TextRef): Y.Text {
		return this.resolveText(ref, false).text;
	}

	private resolveText(
		ref: TextRef,
		create: boolean
	): { text: Y.Text; owner: AnyMap | null; roles: ReadonlyArray<Actor['role']> } {
		let owner: AnyMap;
		let key: string;
		let roles = PLAN_ROLES;
		switch (ref.kind) {
			case 'diagnosis': {
				const f = checkEnum(
					'field',
					Object.fromEntries(DIAGNOSIS_FIELDS.map((x) => [x, x])),
					ref.field
				) as DiagnosisField;
				return { text: diagnosisText(this.doc, f), owner: null, roles };
			}
			case 'activity':
				owner = this.item(this.r.activities, 'activity', ref.id);
				key = ACTIVITY.notes;
				break;
			case 'meeting':
				owner = this.item(this.r.meetings, 'meeting', ref.id);
				key = checkEnum('field', { notes: '', agreements: '' }, ref.field);
				break;
			case 'report':
				owner = this.item(this.r.reports, 'report', ref.id);
				key = checkEnum('field', { text: '', curatorComment: '' }, ref.field);
				if (key === REPORT.curatorComment) {
					// The curator's comment is part of the verdict, in the decisions document.
					roles = CURATOR_ROLES;
					const v = this.d.reports.get(ref.id);
					if (!(v instanceof Y.Map)) throw notFound('text', key);
					owner = v;
					key = VERDICT.curatorComment;
				}
				break;
			case 'comment':
				owner = this.item(this.d.comments, 'comment', ref.id);
				key = COMMENT.text;
				roles = CURATOR_ROLES;
				break;
			case 'change':
				owner = this.item(this.r.changes, 'change', ref.id);
				key = CHANGE.reason;
				roles = PEOPLE_ROLES;
				break;
			default:
				throw notFound('text', 'unknown');
		}
		const t = owner.get(key);
		if (t instanceof Y.Text) return { text: t, owner, roles };
		if (!create) throw notFound('text', key);
		// Missing or malformed (older or broken client): create it. Concurrent creation by two
		// people is possible only on such damaged items; one of the two texts then wins.
		const fresh = new Y.Text();
		owner.set(key, fresh);
		return { text: fresh, owner, roles };
	}

	/** Character-level edit of a free-text field: merges with concurrent typing of others. */
	editText(ref: TextRef, index: number, deleteCount: number, insert = ''): void {
		if (typeof insert !== 'string')
			throw new ProgramValidationError(
				'empty',
				'text',
				'insert must be a string',
				'Некорректный текст.'
			);
		const probe = this.resolveTextRoles(ref);
		this.write(probe, 'editText', () => {
			const { text, owner } = this.resolveText(ref, true);
			const len = text.length;
			const i = checkInt('index', index, 0, len);
			const del = checkInt('deleteCount', deleteCount, 0, len - i);
			if (len - del + insert.length > LIMITS.longText)
				throw new ProgramValidationError(
					'too-long',
					'text',
					`text longer than ${LIMITS.longText}`,
					`Слишком длинный текст: не более ${LIMITS.longText} символов.`
				);
			if (del > 0) text.delete(i, del);
			if (insert) text.insert(i, insert);
			this.touchText(ref, owner);
		});
	}

	/** Replaces the whole value, as a minimal edit (common prefix and suffix kept) so concurrent typing elsewhere survives. */
	setText(ref: TextRef, value: string): void {
		const v = checkText('text', value, LIMITS.longText, { allowEmpty: true });
		const probe = this.resolveTextRoles(ref);
		this.write(probe, 'setText', () => {
			const { text, owner } = this.resolveText(ref, true);
			const cur = text.toString();
			if (cur === v) return;
			let a = 0;
			while (a < cur.length && a < v.length && cur[a] === v[a]) a++;
			let b = 0;
			while (
				b < cur.length - a &&
				b < v.length - a &&
				cur[cur.length - 1 - b] === v[v.length - 1 - b]
			)
				b++;
			if (cur.length - a - b > 0) text.delete(a, cur.length - a - b);
			if (v.length - a - b > 0) text.insert(a, v.slice(a, v.length - b));
			this.touchText(ref, owner);
		});
	}

	private resolveTextRoles(ref: TextRef): ReadonlyArray<Actor['role']> {
		if (ref.kind === 'comment' || (ref.kind === 'report' && ref.field === 'curatorComment'))
			return CURATOR_ROLES;
		if (ref.kind === 'change') return PEOPLE_ROLES;
		return PLAN_ROLES;
	}

	private touchText(ref: TextRef, owner: AnyMap | null): void {
		if (owner) return this.touch(owner);
		if (ref.kind !== 'diagnosis') return;
		const cur = this.r.diagnosis.get(ref.field) as
			{ updatedBy?: unknown; updatedAt?: unknown } | undefined;
		const next = { updatedBy: this.actor.userId, updatedAt: this.stamp() };
		if (!cur || cur.updatedBy !== next.updatedBy || cur.updatedAt !== next.updatedAt)
			this.r.diagnosis.set(ref.field, next);
	}

	// ---------- meetings ----------

	logMeeting(m: NewMeeting): string {
		const date = checkDate('date', m.date);
		const format = checkEnum('format', MEETING_FORMAT_LABELS, m.format);
		const kind = checkEnum('kind', MEETING_KIND_LABELS, m.kind);
		const topic = checkText('topic', m.topic, LIMITS.title, { allowEmpty: true });
		const notes = checkText('notes', m.notes ?? '', LIMITS.longText, { allowEmpty: true });
		const agreements = checkText('agreements', m.agreements ?? '', LIMITS.longText, {
			allowEmpty: true
		});
		return this.write(PLAN_ROLES, 'logMeeting', () => {
			const { id, map } = this.newItem({
				[MEETING.date]: date,
				[MEETING.format]: format,
				[MEETING.kind]: kind,
				[MEETING.topic]: topic,
				[MEETING.notes]: new Y.Text(notes),
				[MEETING.agreements]: new Y.Text(agreements)
			});
			this.r.meetings.push([map]);
			return id;
		});
	}

	editMeeting(
		id: string,
		patch: Partial<Pick<NewMeeting, 'date' | 'format' | 'kind' | 'topic'>>
	): void {
		const v: Array<[string, unknown]> = [];
		if (patch.date !== undefined) v.push([MEETING.date, checkDate('date', patch.date)]);
		if (patch.format !== undefined)
			v.push([MEETING.format, checkEnum('format', MEETING_FORMAT_LABELS, patch.format)]);
		if (patch.kind !== undefined)
			v.push([MEETING.kind, checkEnum('kind', MEETING_KIND_LABELS, patch.kind)]);
		if (patch.topic !== undefined)
			v.push([MEETING.topic, checkText('topic', patch.topic, LIMITS.title, { allowEmpty: true })]);
		this.write(PLAN_ROLES, 'editMeeting', () => {
			const m = this.item(this.r.meetings, 'meeting', id);
			for (const [k, x] of v) this.put(m, k, x);
			this.touch(m);
		});
	}

	removeMeeting(id: string): void {
		this.write(PLAN_ROLES, 'removeMeeting', () =>
			this.softRemove(this.item(this.r.meetings, 'meeting', id))
		);
	}

	restoreMeeting(id: string): void {
		this.write(PLAN_ROLES, 'restoreMeeting', () =>
			this.restore(this.item(this.r.meetings, 'meeting', id, true))
		);
	}

	// ---------- reports ----------

	/** The report for a stage or a semi-annual period: the existing one, or a new draft. */
	startReport(target: ReportTarget): string {
		const kind = target.kind;
		let fields: Record<string, unknown>;
		if (kind === 'stage') {
			checkId('stageId', target.stageId);
			fields = { [REPORT.kind]: 'stage', [REPORT.stageId]: target.stageId };
		} else if (kind === 'mentor-semiannual') {
			if (typeof target.period !== 'string' || !/^\d{4}-(06|12)$/.test(target.period))
				throw new ProgramValidationError(
					'invalid-date',
					'period',
					'period must be YYYY-06 or YYYY-12',
					'Отчетный период: до 10 июня или до 10 декабря (ГГГГ-06 или ГГГГ-12).'
				);
			fields = { [REPORT.kind]: kind, [REPORT.period]: target.period };
		} else throw checkEnum('kind', { stage: '', 'mentor-semiannual': '' }, kind);
		// The semi-annual report is the mentor's (Tomsk 2024: «отчёты руководителей, осуществляющих
		// функции наставника»); the mentee may still co-write its text.
		return this.write(kind === 'stage' ? PLAN_ROLES : ['mentor'], 'startReport', () => {
			if (kind === 'stage') this.checkStage(target.stageId);
			const key = reportKey(
				kind === 'stage'
					? { kind, stageId: target.stageId, period: null }
					: { kind, stageId: null, period: target.period }
			);
			const existing = readReports(this.r, new Problems()).find((x) => reportKey(x) === key);
			if (existing) return existing.id;
			const { id, map } = this.newItem({
				...fields,
				[REPORT.status]: 'draft',
				[REPORT.text]: new Y.Text(),
				[REPORT.curatorComment]: new Y.Text()
			});
			this.r.reports.push([map]);
			return id;
		});
	}

	submitReport(id: string, date?: string): void {
		const d = this.today(date);
		this.write(PLAN_ROLES, 'submitReport', () => {
			const m = this.item(this.r.reports, 'report', id);
			if (this.view().reports.find((x) => x.id === id)?.status === 'accepted')
				throw invalidState('status', 'report already accepted', 'Отчет уже принят.');
			this.put(m, REPORT.status, 'submitted');
			// A new submission: a verdict on the previous one no longer applies to it.
			m.set(REPORT.submission, this.newId());
			this.put(m, REPORT.submittedAt, d);
			this.put(m, REPORT.submittedBy, this.actor.userId);
			this.touch(m);
		});
	}

	acceptReport(id: string, date?: string, comment?: string): void {
		this.review(id, 'accepted', date, comment);
	}

	/** Returned for rework; a comment saying what to fix is required. */
	returnReport(id: string, comment: string, date?: string): void {
		checkText('comment', comment, LIMITS.longText);
		this.review(id, 'returned', date, comment);
	}

	private review(
		id: string,
		status: 'accepted' | 'returned',
		date: string | undefined,
		comment: string | undefined
	): void {
		const d = this.today(date);
		const c =
			comment === undefined
				? undefined
				: checkText('comment', comment, LIMITS.longText, { allowEmpty: true });
		this.decide(CURATOR_ROLES, status === 'accepted' ? 'acceptReport' : 'returnReport', () => {
			this.item(this.r.reports, 'report', id);
			const rep = this.view().reports.find((x) => x.id === id);
			if (rep?.status !== 'submitted')
				throw invalidState(
					'status',
					'report is not submitted',
					'Отчет еще не представлен на проверку.'
				);
			// One verdict per report, replaced by a later one (it answers the current submission).
			const v = new Y.Map<unknown>();
			v.set(VERDICT.status, status);
			v.set(VERDICT.reviewedAt, d);
			v.set(VERDICT.reviewedBy, this.actor.userId);
			v.set(VERDICT.submission, rep.submission);
			v.set(VERDICT.curatorComment, new Y.Text(c ?? ''));
			this.d.reports.set(id, v);
		});
	}

	// ---------- curator comments ----------

	commentActivity(activityId: string, text: string): string {
		const t = checkText('comment', text, LIMITS.longText);
		this.item(this.r.activities, 'activity', activityId);
		return this.decide(CURATOR_ROLES, 'commentActivity', () => {
			const { id, map } = this.newItem({
				[COMMENT.targetId]: activityId,
				[COMMENT.text]: new Y.Text(t)
			});
			this.d.comments.push([map]);
			return id;
		});
	}

	removeComment(id: string): void {
		this.decide(CURATOR_ROLES, 'removeComment', () =>
			this.softRemove(this.item(this.d.comments, 'comment', id))
		);
	}

	// ---------- mentor ↔ mentee comments ----------

	/**
	 * A comment of the mentor or the mentee on an activity or a report, attributed to this
	 * editor's actor (the authenticated person on the phone). Only a mentor or mentee listed in
	 * the program may comment: a reader shows no comment under any other name.
	 */
	postComment(target: { kind: DiscussionTarget; id: string }, text: string): string {
		const kind = checkEnum('targetKind', { activity: '', report: '' }, target?.kind);
		checkId('targetId', target.id);
		const t = checkText('comment', text, DISCUSSION_MAX);
		const postedAt = this.clock().toISOString();
		return this.write(PLAN_ROLES, 'postComment', () => {
			if (kind === 'activity') this.item(this.r.activities, 'activity', target.id);
			else this.item(this.r.reports, 'report', target.id);
			this.checkCommenter();
			const { id, map } = this.newItem({
				[DISCUSSION.targetKind]: kind,
				[DISCUSSION.targetId]: target.id,
				[DISCUSSION.text]: t,
				[DISCUSSION.postedAt]: postedAt
			});
			this.discussion().push([map]);
			return id;
		});
	}

	/** Soft removal of one's own comment (readers ignore a removal by anyone else). */
	removeOwnComment(id: string): void {
		this.write(PLAN_ROLES, 'removeOwnComment', () => {
			// A removal by someone else does not count (readers ignore it), so the author may still
			// remove a comment another client marked removed.
			const m = this.item(this.discussion(), 'comment', id, true);
			if (m.get(ITEM.createdBy) !== this.actor.userId)
				throw new ProgramValidationError(
					'forbidden',
					'removeOwnComment',
					'only the author may remove a comment',
					'Удалить можно только свой комментарий.'
				);
			this.softRemove(m);
		});
	}

	/** The comments' array; a document where the name holds another shared type refuses politely. */
	private discussion(): Y.Array<unknown> {
		try {
			return this.doc.getArray<unknown>(DISCUSSION_ROOT);
		} catch {
			throw invalidState(
				'discussion',
				'the discussion list of this document is unreadable',
				'Комментарии этой программы не удалось прочитать. Сообщите куратору.'
			);
		}
	}

	private checkCommenter(): void {
		const me = readParticipants(this.r, new Problems()).some(
			(x) => x.userId === this.actor.userId && (x.role === 'mentor' || x.role === 'mentee')
		);
		if (!me)
			throw new ProgramValidationError(
				'forbidden',
				'postComment',
				'only a mentor or mentee of the program may comment',
				'Комментировать могут только наставник и наставляемый этой программы.'
			);
	}

	// ---------- attachments (issue 17) ----------

	/**
	 * Attaches a file the device already holds (its bytes are in the device's blob store under
	 * `file.hash`) to an activity, a meeting or a stage report: only the reference goes into the
	 * document, attributed to this editor's actor. Only a mentor or mentee of the program attaches
	 * (readers skip anyone else's). Returns the attachment's id.
	 */
	attach(target: { kind: AttachmentTarget; id: string }, file: NewAttachment): string {
		const kind = checkEnum(
			'targetKind',
			Object.fromEntries(ATTACHMENT_TARGETS.map((k) => [k, ''])),
			target?.kind
		) as AttachmentTarget;
		checkId('targetId', target.id);
		const facts = checkAttachment(file);
		const createdAt = this.clock().toISOString();
		return this.write(PLAN_ROLES, 'attach', () => {
			if (kind === 'activity') this.item(this.r.activities, 'activity', target.id);
			else if (kind === 'meeting') this.item(this.r.meetings, 'meeting', target.id);
			else this.item(this.r.reports, 'report', target.id);
			this.checkParticipant(
				'attach',
				'Прикреплять файлы могут только наставник и наставляемый этой программы.'
			);
			const { id, map } = this.newItem({
				[ATTACHMENT.targetKind]: kind,
				[ATTACHMENT.targetId]: target.id,
				[ATTACHMENT.hash]: facts.hash,
				[ATTACHMENT.name]: facts.name,
				[ATTACHMENT.type]: facts.type,
				[ATTACHMENT.size]: facts.size
			});
			// Full ISO time (newItem's stamp is to the minute): two files attached in one minute
			// keep their order on every replica.
			map.set(ITEM.createdAt, createdAt);
			this.attachments().push([map]);
			return id;
		});
	}

	/** Soft removal of one's own attachment (readers ignore a removal by anyone else). */
	removeAttachment(id: string): void {
		this.write(PLAN_ROLES, 'removeAttachment', () => {
			const m = this.item(this.attachments(), 'attachment', id, true);
			if (m.get(ITEM.createdBy) !== this.actor.userId)
				throw new ProgramValidationError(
					'forbidden',
					'removeAttachment',
					'only the author may remove an attachment',
					'Удалить можно только свой файл.'
				);
			this.softRemove(m);
		});
	}

	/** The attachments' array; a document where the name holds another shared type refuses politely. */
	private attachments(): Y.Array<unknown> {
		try {
			return this.doc.getArray<unknown>(ATTACHMENTS_ROOT);
		} catch {
			throw invalidState(
				'attachments',
				'the attachments list of this document is unreadable',
				'Файлы этой программы не удалось прочитать. Сообщите куратору.'
			);
		}
	}

	private checkParticipant(what: string, messageRu: string): void {
		const me = readParticipants(this.r, new Problems()).some(
			(x) => x.userId === this.actor.userId && (x.role === 'mentor' || x.role === 'mentee')
		);
		if (!me)
			throw new ProgramValidationError(
				'forbidden',
				what,
				'only a mentor or mentee of the program may do this',
				messageRu
			);
	}

	// ---------- assessments and feedback ----------

	/**
	 * Self-assessment of one competency (score 1..5) at entry or exit. Stored under a key made of
	 * phase, participant and competency, so setting the same one twice overwrites instead of duplicating.
	 */
	setAssessment(
		phase: AssessmentPhase,
		participantId: string,
		competency: string,
		score: number
	): void {
		const ph = checkEnum('phase', ASSESSMENT_PHASE_LABELS, phase);
		const pid = checkId('participantId', participantId);
		const comp = checkText('competency', competency, LIMITS.shortText);
		const sc = checkInt('score', score, 1, 5);
		this.write(PLAN_ROLES, 'setAssessment', () => {
			this.item(this.r.participants, 'participant', pid);
			const key = JSON.stringify([ph, pid, comp]);
			this.r.assessments.set(key, {
				phase: ph,
				participantId: pid,
				competency: comp,
				score: sc,
				updatedBy: this.actor.userId,
				updatedAt: this.stamp()
			});
		});
	}

	removeAssessment(phase: AssessmentPhase, participantId: string, competency: string): void {
		const key = JSON.stringify([phase, participantId, competency]);
		this.write(PLAN_ROLES, 'removeAssessment', () => {
			if (this.r.assessments.has(key)) this.r.assessments.delete(key);
		});
	}

	/** Satisfaction survey at the end (1..10); one answer per participant, the last one counts. */
	setFeedback(f: {
		participantId: string;
		satisfaction: number;
		comment?: string;
		date?: string;
	}): void {
		const pid = checkId('participantId', f.participantId);
		const sat = checkInt('satisfaction', f.satisfaction, 1, 10);
		const comment = checkText('comment', f.comment ?? '', LIMITS.shortText * 4, {
			allowEmpty: true
		});
		const d = this.today(f.date);
		this.write(PLAN_ROLES, 'setFeedback', () => {
			const p = readParticipants(this.r, new Problems()).find((x) => x.id === pid);
			if (!p) throw notFound('participant', pid);
			if (p.role === 'curator')
				throw invalidState(
					'participantId',
					'curators do not answer the survey',
					'Анкету заполняют наставник и наставляемый.'
				);
			this.r.feedback.set(pid, {
				role: p.role,
				satisfaction: sat,
				comment,
				date: d,
				updatedBy: this.actor.userId,
				updatedAt: this.stamp()
			});
		});
	}

	// ---------- completion, extension, correction (Tomsk 2024 §7) ----------

	completeProgram(c: { reason: CompletionReason; date: string; note?: string }): void {
		const reason = checkEnum('reason', COMPLETION_REASON_LABELS, c.reason);
		const date = checkDate('date', c.date);
		const note = checkText('note', c.note ?? '', LIMITS.shortText * 4, { allowEmpty: true });
		const rule = canComplete(this.view(), reason, this.actor, date);
		if (!rule.ok) throw invalidState('reason', rule.reason, rule.messageRu);
		const record = () => ({
			reason,
			date,
			note,
			initiatedBy: this.actor.userId,
			initiatorRole: this.actor.role,
			updatedBy: this.actor.userId,
			updatedAt: this.stamp()
		});
		// The curator's completion is a decision; a participant's own stays co-written.
		if (CURATOR_ROLES.includes(this.actor.role))
			this.decide(CURATOR_ROLES, 'completeProgram', () =>
				this.d.program.set(PROGRAM_DECISION.completion, record())
			);
		else
			this.write(PLAN_ROLES, 'completeProgram', () => {
				this.r.completion.set(COMPLETION.record, record());
				this.put(this.r.meta, META.status, 'completed');
			});
	}

	/** Undo of a completion decided by mistake (curator only): clears the completion record. */
	reopenProgram(): void {
		const own = readCompletion(this.r, new Problems());
		this.decide(CURATOR_ROLES, 'reopenProgram', () => {
			if (own)
				this.d.program.set(PROGRAM_DECISION.reopened, {
					reason: own.reason,
					date: own.date,
					initiatedBy: own.initiatedBy
				});
			// Only the key this version owns: a newer app's extra keys stay (evolution rule 3).
			if (this.d.program.has(PROGRAM_DECISION.completion))
				this.d.program.delete(PROGRAM_DECISION.completion);
			if (!this.d.program.has(PROGRAM_DECISION.approval))
				this.d.program.set(PROGRAM_DECISION.approval, {
					by: this.actor.userId,
					date: this.today(undefined)
				});
		});
	}

	requestChange(c: { kind: ChangeKind; months?: number; reason: string; date?: string }): string {
		const kind = checkEnum('kind', CHANGE_KIND_LABELS, c.kind);
		const months = kind === 'extension' ? checkInt('months', c.months, 1, 24) : 0;
		const reason = checkText('reason', c.reason, LIMITS.longText);
		const d = this.today(c.date);
		const created = this.write(PEOPLE_ROLES, 'requestChange', () => {
			const view = this.view();
			const rule = canRequestChange(view, this.actor);
			if (!rule.ok) throw invalidState('kind', rule.reason, rule.messageRu);
			const fields: Record<string, unknown> = {
				[CHANGE.kind]: kind,
				[CHANGE.months]: months,
				[CHANGE.reason]: new Y.Text(reason),
				[CHANGE.status]: 'requested',
				[CHANGE.requestedAt]: d
			};
			for (const p of this.ownParticipants(view.participants)) fields[CHANGE.consentPrefix + p] = d;
			const { id, map } = this.newItem(fields);
			this.r.changes.push([map]);
			return id;
		});
		// The curator's own request is also their petition (a decision).
		if (this.actor.role === 'curator') this.petitionChange(created);
		return created;
	}

	private ownParticipants(
		ps: ReadonlyArray<{ id: string; role: string; userId: string | null }>
	): string[] {
		return ps
			.filter((p) => p.userId === this.actor.userId && (p.role === 'mentor' || p.role === 'mentee'))
			.map((p) => p.id);
	}

	/** The acting mentor/mentee agrees to the request (one key per person: consents never collide). */
	consentChange(id: string, date?: string): void {
		const d = this.today(date);
		this.write(PLAN_ROLES, 'consentChange', () => {
			const m = this.item(this.r.changes, 'change', id);
			const mine = this.ownParticipants(readParticipants(this.r, new Problems()));
			if (mine.length === 0) throw forbidden('consentChange');
			for (const p of mine) this.put(m, CHANGE.consentPrefix + p, d);
			this.touch(m);
		});
	}

	petitionChange(id: string): void {
		this.item(this.r.changes, 'change', id);
		this.decide(['curator'], 'petitionChange', () => {
			const prev = this.d.changes.get(id);
			const rec = typeof prev === 'object' && prev !== null ? prev : {};
			this.d.changes.set(id, { ...rec, [CHANGE_DECISION.petitionedBy]: this.actor.userId });
		});
	}

	/**
	 * Records the decision (the head's order) on an extension or correction request. An approved
	 * extension moves the program's end and the default deadlines of the last stage (recorded
	 * with the decision, so every reader moves them the same way).
	 */
	decideChange(id: string, decision: 'approved' | 'rejected', date?: string): void {
		const dec = checkEnum('decision', { approved: '', rejected: '' }, decision);
		const d = this.today(date);
		this.item(this.r.changes, 'change', id);
		const view = this.view();
		const req = view.changeRequests.find((x) => x.id === id);
		if (!req) throw notFound('change', id);
		if (dec === 'approved') {
			const rule = canApproveChange(view, req, this.actor);
			if (!rule.ok) throw invalidState('decision', rule.reason, rule.messageRu);
		} else if (req.status !== 'requested')
			throw invalidState('decision', 'already decided', 'Решение по ходатайству уже принято.');
		this.decide(CURATOR_ROLES, 'decideChange', () => {
			const prev = this.d.changes.get(id);
			const rec = typeof prev === 'object' && prev !== null ? prev : {};
			const months = dec === 'approved' && req.kind === 'extension' ? req.months : 0;
			// The stage under way on the day of the decision lengthens (before the start: the first;
			// after the end: the last); what is behind keeps its dates.
			const cur = currentStage(view, d);
			const extended =
				cur.stageId ?? (cur.phase === 'not-started' ? view.stages[0]?.id : undefined);
			this.d.changes.set(id, {
				...rec,
				[CHANGE_DECISION.status]: dec,
				[CHANGE_DECISION.decidedBy]: this.actor.userId,
				[CHANGE_DECISION.decidedAt]: d,
				[CHANGE_DECISION.months]: months,
				...(months > 0 && extended ? { [CHANGE_DECISION.stageId]: extended } : {})
			});
			if (months > 0) {
				const after = this.view();
				const end = programEndDate(after);
				if (end)
					this.d.changes.set(id, {
						...(this.d.changes.get(id) as object),
						[CHANGE_DECISION.endDate]: end
					});
				this.moveDeadlinesAhead(view, after, months, d);
			}
		});
	}

	/**
	 * An approved extension moves what is still ahead: the default deadline of every open activity
	 * follows its stage's new end (the stage under way and the later ones move; earlier ones do
	 * not), and a deadline set by hand that has not passed moves by the extension's months.
	 * Done and cancelled activities, and deadlines already passed, keep their dates.
	 */
	private moveDeadlinesAhead(
		before: ProgramView,
		after: ProgramView,
		months: number,
		decidedOn: string
	): void {
		for (const a of after.activities) {
			if (a.status === 'done' || a.status === 'cancelled' || !a.stageId) continue;
			if (!a.deadlineEdited) {
				const was = defaultDeadline(before, a.stageId);
				const nd = defaultDeadline(after, a.stageId);
				if (nd && nd !== was) this.d.deadlines.set(a.id, nd);
				continue;
			}
			if (!a.deadline || a.deadline < decidedOn) continue;
			const m = findItem(this.r.activities, a.id);
			const raw = m?.get(ACTIVITY.deadline);
			if (typeof raw !== 'string') continue;
			this.d.handDeadlines.set(a.id, { from: raw, to: addMonths(a.deadline, months) });
		}
	}

	/** Convenience for tests and tools: the plain read of the document. */
	read() {
		return this.view();
	}

	/** Completion as every reader sees it, for UI badges. */
	completion() {
		return this.view().completion;
	}
}

/** What the device knows of a file it attaches (the bytes stay in the device's blob store). */
export interface NewAttachment {
	/** Lowercase hex SHA-256 of the bytes. */
	hash: string;
	name: string;
	type: string;
	size: number;
}

const ATTACHMENT_HASH = new RegExp(ATTACHMENT_HASH_PATTERN);
const MiB = 1024 * 1024;

/** Checks a file's facts against the contract's limits; Russian errors a person can act on. */
export function checkAttachment(f: NewAttachment): {
	hash: string;
	name: string;
	type: AttachmentType;
	size: number;
} {
	if (typeof f?.hash !== 'string' || !ATTACHMENT_HASH.test(f.hash))
		throw invalidState(
			'hash',
			'hash: expected lowercase hex SHA-256',
			'Файл не удалось прочитать.'
		);
	const name = checkText('name', f.name, ATTACHMENT_LIMITS.nameMaxLength);
	if (typeof f.type !== 'string' || !Object.hasOwn(ATTACHMENT_TYPES, f.type))
		throw new ProgramValidationError(
			'invalid-enum',
			'type',
			`type: ${JSON.stringify(f.type)?.slice(0, 80)} is not accepted`,
			'Такой тип файла не принимается. Можно прикрепить фото (JPEG, PNG, WebP), PDF или документ Office (Word, Excel, PowerPoint, OpenDocument).'
		);
	const type = f.type as AttachmentType;
	const max = maxBytesOf(type);
	if (typeof f.size !== 'number' || !Number.isInteger(f.size) || f.size < 1)
		throw new ProgramValidationError(
			'invalid-number',
			'size',
			'size: expected bytes ≥ 1',
			'Файл пустой.'
		);
	if (f.size > max)
		throw new ProgramValidationError(
			'too-long',
			'size',
			`size: ${f.size} over ${max}`,
			`Файл слишком большой: не более ${max / MiB} МБ.`
		);
	return { hash: f.hash, name, type, size: f.size };
}
