// Reading the document into plain typed objects. The document may have been written by a newer
// app, an older app, or a buggy/hostile client, so nothing read here is trusted: every value is
// type-checked, malformed items are skipped or defaulted, and what could not be read is reported
// in `problems` instead of throwing. Free-text fields come back as the live Y.Text (for binding).
import * as Y from 'yjs';
import { DEFAULT_TIME_ZONE, isTimeZone, zoneOr } from '../time';
import { isIsoDate } from './dates';
import {
	ACTIVITY_STATUS_LABELS,
	ASSESSMENT_PHASE_LABELS,
	CHANGE_KIND_LABELS,
	CHANGE_STATUS_LABELS,
	COMPLETION_REASON_LABELS,
	FORM_LABELS,
	MEETING_FORMAT_LABELS,
	MEETING_KIND_LABELS,
	MENTEE_CATEGORY_LABELS,
	PARTICIPANT_ROLES,
	PROGRAM_STATUS_LABELS,
	REPORT_KIND_LABELS,
	REPORT_STATUS_LABELS,
	RESULT_FORM_LABELS,
	STAGE_KIND_LABELS,
	TYPE_LABELS,
	isKeyOf,
	type ActivityStatus,
	type AssessmentPhase,
	type ChangeKind,
	type ChangeStatus,
	type CompletionReason,
	type MeetingFormat,
	type MeetingKind,
	type MenteeCategory,
	type MentoringForm,
	type MentoringType,
	type ParticipantRole,
	type ProgramStatus,
	type ReportKind,
	type ReportStatus,
	type ResultForm,
	type StageKind
} from './labels';
import { compareCodeUnits, compareOrder, isOrderKey } from './order';
import {
	CHANGE_DECISION,
	PROGRAM_DECISION,
	VERDICT,
	decisionsRoot,
	type DecisionsRoot
} from './decisions';
import {
	ACTIVITY,
	CHANGE,
	COMMENT,
	DISCUSSION,
	DISCUSSION_ROOT,
	COMPLETION,
	DIAGNOSIS_FIELDS,
	ITEM,
	MEETING,
	META,
	PARTICIPANT,
	REPORT,
	SCHEMA_VERSION,
	STAGE,
	diagnosisText,
	root,
	type DiagnosisField,
	type Root
} from './schema';
import { LIMITS, isId } from './validate';
import { readAttachments, type AttachmentView } from './attachments';

/** Cap on reported problems: a hostile document must not turn the summary into a megabyte. */
export const MAX_PROBLEMS = 20;

export class Problems {
	readonly list: string[] = [];
	private dropped = 0;
	add(p: string): void {
		if (this.list.length < MAX_PROBLEMS) this.list.push(p.slice(0, 200));
		else this.dropped++;
	}
	result(): string[] {
		return this.dropped ? [...this.list, `… and ${this.dropped} more`] : [...this.list];
	}
}

/** Every problem, in order and uncapped: what one item's read found, replayed into `Problems`. */
class Recorder extends Problems {
	readonly all: string[] = [];
	override add(p: string): void {
		this.all.push(p);
	}
}

/** A list item's read kept: its id and removal, and what `reader` gave (the value, the problems). */
interface ItemRead extends EntryFacts {
	reader: ItemReader<object> | null;
	value: object | null;
	problems: readonly string[];
}

/** A whole section's read kept (meta, assessments, …): which one, the value, the problems. */
interface SectionRead {
	name: string;
	value: unknown;
	problems: readonly string[];
}

/** Reads one list item (its map, its valid id); null: skipped. Reports to `p` only. */
type ItemReader<V extends object> = (id: string, map: AnyMap, p: Problems) => V | null;

/**
 * Reads kept between readings of one document that keeps changing (issue 18: the relay's kept
 * summary documents, server/sync/summary-docs.ts, read whole after every edit). Reading a Y.Map's
 * values is most of `readProgram`'s time, and an edit changes one item or two: each list item's
 * read and each section's (meta, assessments, feedback, completion, the diagnosis stamps) is kept
 * with the problems it found, keyed by its Y type, and dropped when a transaction changes that
 * type (`transaction.changed`: a key set or deleted; a Y.Text inside changes only the text, which
 * the view holds live anyway). What depends on other parts (an activity's stage, the decisions,
 * the authors of comments and attachments) is checked again on every read, and problems are
 * replayed in the order a read from scratch reports them, so the view is the same (read-cache.test.ts
 * compares them over random edit sequences).
 *
 * Used only outside transactions: a type changed by an open transaction (or one whose observers
 * have not all run) is not known changed yet, so reads then bypass the cache.
 */
export class ReadCache {
	/** @internal */
	readonly items = new WeakMap<object, ItemRead>();
	/** @internal */
	readonly sections = new WeakMap<object, SectionRead>();
	constructor(private readonly doc: Y.Doc) {
		doc.on('afterTransaction', (tr: Y.Transaction) => {
			for (const type of tr.changed.keys()) {
				this.items.delete(type);
				this.sections.delete(type);
			}
		});
	}
	/** No transaction open or still being cleaned up (observers running). */
	get usable(): boolean {
		return this.doc._transaction === null && this.doc._transactionCleanups.length === 0;
	}
	/** A section's value: kept, or read now; its problems go to `p` either way. */
	section<V>(type: object, name: string, p: Problems, read: (p: Problems) => V): V | null {
		if (!this.usable) return null;
		let e = this.sections.get(type);
		if (!e || e.name !== name) {
			const rec = new Recorder();
			e = { name, value: read(rec), problems: rec.all };
			this.sections.set(type, e);
		}
		for (const q of e.problems) p.add(q);
		return e.value as V;
	}
}

const caches = new WeakMap<Y.Doc, ReadCache>();

/**
 * The read cache of a document that is kept and read again and again (created on first use, lives
 * as long as the document). Create it outside a transaction.
 */
export function readCacheOf(doc: Y.Doc): ReadCache {
	let c = caches.get(doc);
	if (!c) {
		c = new ReadCache(doc);
		caches.set(doc, c);
	}
	return c;
}

export interface ItemMeta {
	id: string;
	createdBy: string | null;
	createdAt: string | null;
	updatedBy: string | null;
	updatedAt: string | null;
}

export interface ProgramMeta {
	schemaVersion: number;
	minWriterVersion: number;
	programId: string | null;
	templateId: string | null;
	title: string;
	organization: string;
	form: MentoringForm | null;
	types: MentoringType[];
	model: string;
	menteeCategory: MenteeCategory | null;
	startDate: string | null;
	durationMonths: number | null;
	status: ProgramStatus;
	createdBy: string | null;
	createdAt: string | null;
	/** The program's IANA time zone; Europe/Moscow when the document has none (or a bad one). */
	timeZone: string;
}

export interface ParticipantView extends ItemMeta {
	role: ParticipantRole;
	name: string;
	userId: string | null;
}

export interface StageView extends ItemMeta {
	kind: StageKind;
	title: string;
	months: number;
	order: string;
	resultForm: ResultForm | null;
}

export interface ActivityView extends ItemMeta {
	stageId: string | null;
	order: string;
	title: string;
	resultForm: ResultForm | null;
	deadline: string | null;
	deadlineEdited: boolean;
	responsible: string;
	status: ActivityStatus;
	doneAt: string | null;
	doneBy: string | null;
	notes: Y.Text | null;
}

export interface MeetingView extends ItemMeta {
	date: string | null;
	format: MeetingFormat | null;
	kind: MeetingKind | null;
	topic: string;
	notes: Y.Text | null;
	agreements: Y.Text | null;
}

export interface ReportView extends ItemMeta {
	kind: ReportKind;
	stageId: string | null;
	period: string | null;
	text: Y.Text | null;
	status: ReportStatus;
	submittedAt: string | null;
	submittedBy: string | null;
	reviewedAt: string | null;
	reviewedBy: string | null;
	curatorComment: Y.Text | null;
	/** The mark of the current submission (null: none, or submitted before marks existed). */
	submission: string | null;
}

export interface CommentView extends ItemMeta {
	targetId: string;
	text: Y.Text | null;
}

/** A mentor's or mentee's comment on an activity or a report (the `discussion` list). */
export interface DiscussionView {
	id: string;
	targetKind: DiscussionTarget;
	targetId: string;
	text: string;
	/** ISO time on the author's device (the thread's order). */
	postedAt: string;
	authorId: string;
	authorRole: 'mentor' | 'mentee';
	authorName: string;
}
export type DiscussionTarget = 'activity' | 'report';
export const DISCUSSION_TARGETS: readonly DiscussionTarget[] = ['activity', 'report'];
/** A comment is a remark, not a report: 2,000 characters. */
export const DISCUSSION_MAX = 2000;
const POSTED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

export interface ChangeRequestView extends ItemMeta {
	kind: ChangeKind;
	months: number;
	reason: Y.Text | null;
	status: ChangeStatus;
	requestedAt: string | null;
	petitionedBy: string | null;
	decidedBy: string | null;
	decidedAt: string | null;
	/**
	 * The stage an approved extension lengthens: the one under way when it was decided (its own
	 * and every later stage's dates move). Null: decided before this was recorded — the last stage.
	 */
	extendsStageId: string | null;
	/** participantId → date of consent */
	consents: Record<string, string>;
}

export interface AssessmentView {
	phase: AssessmentPhase;
	participantId: string;
	competency: string;
	score: number;
	updatedBy: string | null;
	updatedAt: string | null;
}

export interface FeedbackView {
	participantId: string;
	role: 'mentor' | 'mentee';
	/** 1..10 */
	satisfaction: number;
	comment: string;
	date: string | null;
	updatedBy: string | null;
	updatedAt: string | null;
}

export interface CompletionView {
	reason: CompletionReason;
	date: string;
	note: string;
	initiatedBy: string | null;
	initiatorRole: string | null;
	updatedBy: string | null;
	updatedAt: string | null;
}

export interface DiagnosisView {
	texts: Record<DiagnosisField, Y.Text>;
	/** who/when per field */
	info: Record<DiagnosisField, { updatedBy: string | null; updatedAt: string | null }>;
}

export interface ProgramView {
	meta: ProgramMeta;
	participants: ParticipantView[];
	/** Sorted by order. */
	stages: StageView[];
	/** Not removed, sorted by stage then order. */
	activities: ActivityView[];
	/** Not removed, sorted by date. */
	meetings: MeetingView[];
	reports: ReportView[];
	comments: CommentView[];
	/** Mentor ↔ mentee comments, in the order they were posted. */
	discussion: DiscussionView[];
	/** Files and photos attached to activities, meetings and reports, oldest first (issue 17). */
	attachments: AttachmentView[];
	changeRequests: ChangeRequestView[];
	assessments: AssessmentView[];
	feedback: FeedbackView[];
	completion: CompletionView | null;
	diagnosis: DiagnosisView;
	problems: string[];
}

// ---------- value readers -------------------------------------------------------------------

type AnyMap = Y.Map<unknown>;

function str(m: AnyMap, key: string, p: Problems, ctx: string, max: number = LIMITS.title): string {
	const v = m.get(key);
	if (v === undefined) return '';
	if (typeof v !== 'string') {
		p.add(`${ctx}.${key}: not a string`);
		return '';
	}
	if (v.length > max) {
		p.add(`${ctx}.${key}: too long (${v.length})`);
		return v.slice(0, max);
	}
	return v;
}

function optStr(m: AnyMap, key: string, p: Problems, ctx: string): string | null {
	const v = m.get(key);
	if (v === undefined || v === null) return null;
	if (typeof v !== 'string' || v.length > LIMITS.name) {
		p.add(`${ctx}.${key}: malformed`);
		return null;
	}
	return v;
}

function date(m: AnyMap, key: string, p: Problems, ctx: string): string | null {
	const v = m.get(key);
	if (v === undefined || v === null) return null;
	if (!isIsoDate(v)) {
		p.add(`${ctx}.${key}: not a date`);
		return null;
	}
	return v;
}

function enumOr<T extends Record<string, string>>(
	m: AnyMap,
	key: string,
	labels: T,
	p: Problems,
	ctx: string
): (keyof T & string) | null {
	const v = m.get(key);
	if (v === undefined || v === null) return null;
	if (!isKeyOf(labels, v)) {
		p.add(`${ctx}.${key}: unknown value`);
		return null;
	}
	return v as keyof T & string;
}

function int(
	m: AnyMap,
	key: string,
	p: Problems,
	ctx: string,
	min: number,
	max: number
): number | null {
	const v = m.get(key);
	if (v === undefined || v === null) return null;
	if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
		p.add(`${ctx}.${key}: not an integer in range`);
		return null;
	}
	return v;
}

function text(m: AnyMap, key: string, p: Problems, ctx: string): Y.Text | null {
	const v = m.get(key);
	if (v === undefined) return null;
	if (!(v instanceof Y.Text)) {
		p.add(`${ctx}.${key}: not a text`);
		return null;
	}
	return v;
}

function itemMeta(m: AnyMap, id: string, p: Problems, ctx: string): ItemMeta {
	return {
		id,
		createdBy: optStr(m, ITEM.createdBy, p, ctx),
		createdAt: optStr(m, ITEM.createdAt, p, ctx),
		updatedBy: optStr(m, ITEM.updatedBy, p, ctx),
		updatedAt: optStr(m, ITEM.updatedAt, p, ctx)
	};
}

/** What a list walk needs of an item's map: its id, whether it is valid, whether it is removed. */
interface EntryFacts {
	id: unknown;
	idOk: boolean;
	removed: boolean;
}

function entryFacts(m: AnyMap): EntryFacts {
	const id = m.get(ITEM.id);
	return { id, idOk: isId(id), removed: m.get(ITEM.removed) === true };
}

/**
 * Visits the Y.Maps of a list with a valid id, first occurrence wins, in list order; anything
 * else in the array (numbers, texts, maps without id, repeated ids) is skipped and reported.
 * `facts` reads an item's id and removal (readList takes them from its cache).
 */
function walkList<F extends EntryFacts>(
	arr: Y.Array<unknown>,
	p: Problems,
	ctx: string,
	facts: (m: AnyMap) => F,
	visit: (id: string, map: AnyMap, f: F) => void
): void {
	const seen = new Set<string>();
	let i = 0;
	for (const v of arr) {
		i++;
		if (!(v instanceof Y.Map)) {
			p.add(`${ctx}[${i - 1}]: not a map`);
			continue;
		}
		const m = v as AnyMap;
		const f = facts(m);
		if (!f.idOk) {
			p.add(`${ctx}[${i - 1}]: missing or invalid id`);
			continue;
		}
		const id = f.id as string;
		if (seen.has(id)) {
			p.add(`${ctx}: duplicate id ${id}`);
			continue;
		}
		seen.add(id);
		visit(id, m, f);
	}
}

/**
 * The Y.Maps of a list with a valid id, first occurrence wins. `includeRemoved` for raw access.
 * Anything else in the array (numbers, texts, maps without id) is skipped and reported.
 */
export function listItems(
	arr: Y.Array<unknown>,
	p: Problems,
	ctx: string,
	includeRemoved = false
): Array<{ id: string; map: AnyMap }> {
	const out: Array<{ id: string; map: AnyMap }> = [];
	walkList(arr, p, ctx, entryFacts, (id, map, f) => {
		if (includeRemoved || !f.removed) out.push({ id, map });
	});
	return out;
}

/**
 * The items of a list not removed, each read by `reader` (null: skipped), in list order: as
 * `listItems`, with each item's read kept in `cache` (when given and usable) until a transaction
 * changes its map. Kept values are shared between reads: callers copy what they hand out.
 */
function readList<V extends object>(
	arr: Y.Array<unknown>,
	p: Problems,
	ctx: string,
	cache: ReadCache | null,
	reader: ItemReader<V>
): V[] {
	const out: V[] = [];
	if (!cache?.usable) {
		for (const { id, map } of listItems(arr, p, ctx)) {
			const v = reader(id, map, p);
			if (v !== null) out.push(v);
		}
		return out;
	}
	// As listItems: the list's own problems first, then each item's.
	const live: Array<{ map: AnyMap; e: ItemRead }> = [];
	const kept = (m: AnyMap): ItemRead => {
		let e = cache.items.get(m);
		if (!e) {
			e = { ...entryFacts(m), reader: null, value: null, problems: [] };
			cache.items.set(m, e);
		}
		return e;
	};
	walkList(arr, p, ctx, kept, (_id, map, e) => {
		if (!e.removed) live.push({ map, e });
	});
	for (const { map, e } of live) {
		if (e.reader !== reader) {
			const rec = new Recorder();
			e.value = reader(e.id as string, map, rec);
			e.problems = rec.all;
			e.reader = reader as ItemReader<object>;
		}
		for (const q of e.problems) p.add(q);
		if (e.value !== null) out.push(e.value as V);
	}
	return out;
}

/** Finds the Y.Map of a list item by id (removed ones too); null when absent or malformed. */
export function findItem(arr: Y.Array<unknown>, id: string): AnyMap | null {
	for (const v of arr) {
		if (v instanceof Y.Map && v.get(ITEM.id) === id) return v as AnyMap;
	}
	return null;
}

// ---------- section readers -----------------------------------------------------------------

export function readMeta(r: Root, p: Problems, cache: ReadCache | null = null): ProgramMeta {
	const kept = cache?.section(r.meta, 'meta', p, (q) => readMetaOf(r, q));
	return kept ? { ...kept, types: [...kept.types] } : readMetaOf(r, p);
}

function readMetaOf(r: Root, p: Problems): ProgramMeta {
	const m = r.meta;
	const c = 'meta';
	const typesRaw = m.get(META.types);
	let types: MentoringType[] = [];
	if (Array.isArray(typesRaw)) {
		types = typesRaw.filter((t): t is MentoringType => isKeyOf(TYPE_LABELS, t)).slice(0, 20);
		if (types.length !== typesRaw.length) p.add('meta.types: unknown values');
	} else if (typesRaw !== undefined) p.add('meta.types: not a list');
	const sv = m.get(META.schemaVersion);
	const mw = m.get(META.minWriterVersion);
	return {
		schemaVersion: typeof sv === 'number' && Number.isInteger(sv) && sv > 0 ? sv : 0,
		minWriterVersion: typeof mw === 'number' && Number.isInteger(mw) && mw > 0 ? mw : 0,
		programId: optStr(m, META.programId, p, c),
		templateId: optStr(m, META.templateId, p, c),
		title: str(m, META.title, p, c),
		organization: str(m, META.organization, p, c),
		form: enumOr(m, META.form, FORM_LABELS, p, c),
		types,
		model: str(m, META.model, p, c, LIMITS.shortText),
		menteeCategory: enumOr(m, META.menteeCategory, MENTEE_CATEGORY_LABELS, p, c),
		startDate: date(m, META.startDate, p, c),
		durationMonths: int(m, META.durationMonths, p, c, 1, 120),
		status: enumOr(m, META.status, PROGRAM_STATUS_LABELS, p, c) ?? 'draft',
		createdBy: optStr(m, META.createdBy, p, c),
		createdAt: optStr(m, META.createdAt, p, c),
		timeZone: readTimeZone(m, p)
	};
}

function readTimeZone(m: AnyMap, p: Problems): string {
	const v = m.get(META.timeZone);
	if (v !== undefined && !isTimeZone(v)) p.add('meta.timeZone: unknown time zone');
	return zoneOr(v);
}

/**
 * `cache` (ReadCache): items read before and unchanged since are not read again. Every section
 * reader below returns new objects either way (callers, applyDecisions, may change them).
 */
export function readParticipants(
	r: Root,
	p: Problems,
	cache: ReadCache | null = null
): ParticipantView[] {
	const out = readList(r.participants, p, 'participants', cache, readParticipant);
	return cache ? out.map((x) => ({ ...x })) : out;
}

function readParticipant(id: string, map: AnyMap, p: Problems): ParticipantView | null {
	const c = `participant ${id}`;
	const role = map.get(PARTICIPANT.role);
	if (!(PARTICIPANT_ROLES as readonly unknown[]).includes(role)) {
		p.add(`${c}: unknown role`);
		return null;
	}
	return {
		...itemMeta(map, id, p, c),
		role: role as ParticipantRole,
		name: str(map, PARTICIPANT.name, p, c, LIMITS.name),
		userId: optStr(map, PARTICIPANT.userId, p, c)
	};
}

export function readStages(r: Root, p: Problems, cache: ReadCache | null = null): StageView[] {
	const out = readList(r.stages, p, 'stages', cache, readStage);
	return (cache ? out.map((x) => ({ ...x })) : out).sort(compareOrder);
}

function readStage(id: string, map: AnyMap, p: Problems): StageView {
	const c = `stage ${id}`;
	const order = map.get(STAGE.order);
	if (!isOrderKey(order)) p.add(`${c}.order: malformed`);
	return {
		...itemMeta(map, id, p, c),
		kind: enumOr(map, STAGE.kind, STAGE_KIND_LABELS, p, c) ?? 'custom',
		title: str(map, STAGE.title, p, c),
		months: int(map, STAGE.months, p, c, 0, 60) ?? 0,
		order: isOrderKey(order) ? order : '',
		resultForm: enumOr(map, STAGE.resultForm, RESULT_FORM_LABELS, p, c)
	};
}

export function readActivities(
	r: Root,
	p: Problems,
	stages?: StageView[],
	cache: ReadCache | null = null
): ActivityView[] {
	const st = stages ?? readStages(r, new Problems());
	const stageIndex = new Map(st.map((s, i) => [s.id, i]));
	const out: ActivityView[] = [];
	for (const a of readList(r.activities, p, 'activities', cache, readActivity)) {
		// The activity's own problems before its stage's, then the rest: as read in one go.
		for (const q of a.head) p.add(q);
		let stageId = a.view.stageId;
		if (stageId !== null && !stageIndex.has(stageId)) {
			p.add(`activity ${a.view.id}.stageId: unknown stage`);
			stageId = null;
		}
		for (const q of a.rest) p.add(q);
		out.push({ ...a.view, stageId });
	}
	// Activities of an unknown stage sort last, so they stay visible and can be moved back.
	const si = (a: ActivityView) =>
		a.stageId === null ? st.length : (stageIndex.get(a.stageId) ?? st.length);
	return out.sort((a, b) => si(a) - si(b) || compareOrder(a, b));
}

/**
 * An activity as its map says, its stage not checked (the stages may change without it): the
 * problems found before the stage check (`head`) and after (`rest`).
 */
function readActivity(
	id: string,
	map: AnyMap
): { view: ActivityView; head: string[]; rest: string[] } {
	const c = `activity ${id}`;
	const head = new Recorder();
	const order = map.get(ACTIVITY.order);
	if (!isOrderKey(order)) head.add(`${c}.order: malformed`);
	const stageId = optStr(map, ACTIVITY.stageId, head, c);
	const p = new Recorder();
	const view: ActivityView = {
		...itemMeta(map, id, p, c),
		stageId,
		order: isOrderKey(order) ? order : '',
		title: str(map, ACTIVITY.title, p, c),
		resultForm: enumOr(map, ACTIVITY.resultForm, RESULT_FORM_LABELS, p, c),
		deadline: date(map, ACTIVITY.deadline, p, c),
		deadlineEdited: map.get(ACTIVITY.deadlineEdited) === true,
		responsible: str(map, ACTIVITY.responsible, p, c, LIMITS.name),
		status: enumOr(map, ACTIVITY.status, ACTIVITY_STATUS_LABELS, p, c) ?? 'planned',
		doneAt: date(map, ACTIVITY.doneAt, p, c),
		doneBy: optStr(map, ACTIVITY.doneBy, p, c),
		notes: text(map, ACTIVITY.notes, p, c)
	};
	return { view, head: head.all, rest: p.all };
}

export function readMeetings(r: Root, p: Problems, cache: ReadCache | null = null): MeetingView[] {
	const out = readList(r.meetings, p, 'meetings', cache, readMeeting);
	return (cache ? out.map((x) => ({ ...x })) : out).sort(
		(a, b) => compareCodeUnits(a.date ?? '', b.date ?? '') || compareCodeUnits(a.id, b.id)
	);
}

function readMeeting(id: string, map: AnyMap, p: Problems): MeetingView {
	const c = `meeting ${id}`;
	return {
		...itemMeta(map, id, p, c),
		date: date(map, MEETING.date, p, c),
		format: enumOr(map, MEETING.format, MEETING_FORMAT_LABELS, p, c),
		kind: enumOr(map, MEETING.kind, MEETING_KIND_LABELS, p, c),
		topic: str(map, MEETING.topic, p, c),
		notes: text(map, MEETING.notes, p, c),
		agreements: text(map, MEETING.agreements, p, c)
	};
}

export function readReports(r: Root, p: Problems, cache: ReadCache | null = null): ReportView[] {
	const out = readList(r.reports, p, 'reports', cache, readReport);
	return cache ? out.map((x) => ({ ...x })) : out;
}

function readReport(id: string, map: AnyMap, p: Problems): ReportView | null {
	const c = `report ${id}`;
	const kind = enumOr(map, REPORT.kind, REPORT_KIND_LABELS, p, c);
	if (kind === null) {
		p.add(`${c}: unknown kind`);
		return null;
	}
	const period = optStr(map, REPORT.period, p, c);
	return {
		...itemMeta(map, id, p, c),
		kind,
		stageId: optStr(map, REPORT.stageId, p, c),
		period: period !== null && /^\d{4}-(06|12)$/.test(period) ? period : null,
		text: text(map, REPORT.text, p, c),
		status: enumOr(map, REPORT.status, REPORT_STATUS_LABELS, p, c) ?? 'draft',
		submittedAt: date(map, REPORT.submittedAt, p, c),
		submittedBy: optStr(map, REPORT.submittedBy, p, c),
		reviewedAt: date(map, REPORT.reviewedAt, p, c),
		reviewedBy: optStr(map, REPORT.reviewedBy, p, c),
		curatorComment: text(map, REPORT.curatorComment, p, c),
		submission: optStr(map, REPORT.submission, p, c)
	};
}

export function readComments(r: Root, p: Problems): CommentView[] {
	const out: CommentView[] = [];
	for (const { id, map } of listItems(r.comments, p, 'comments')) {
		const c = `comment ${id}`;
		const targetId = map.get(COMMENT.targetId);
		if (!isId(targetId)) {
			p.add(`${c}: no target`);
			continue;
		}
		out.push({ ...itemMeta(map, id, p, c), targetId, text: text(map, COMMENT.text, p, c) });
	}
	return out;
}

/**
 * The mentor ↔ mentee comments. Each is attributed to `createdBy`, which must be a mentor or
 * mentee of the program (anything else is skipped: a comment is never shown under a name that is
 * not a participant's); a removal counts only when its author made it (`removedBy` = `createdBy`).
 * Sorted by posting time, then id, so every replica shows the same thread.
 */
export function readDiscussion(
	doc: Y.Doc,
	participants: ParticipantView[],
	p: Problems
): DiscussionView[] {
	const out: DiscussionView[] = [];
	const arr = doc.getArray<unknown>(DISCUSSION_ROOT);
	for (const { id, map } of listItems(arr, p, 'discussion', true)) {
		const c = `discussion ${id}`;
		const who = liveAuthor(map, participants, p, c);
		if (!who) continue;
		const kind = map.get(DISCUSSION.targetKind);
		const targetId = map.get(DISCUSSION.targetId);
		const body = map.get(DISCUSSION.text);
		const postedAt = map.get(DISCUSSION.postedAt);
		if (
			!(DISCUSSION_TARGETS as readonly unknown[]).includes(kind) ||
			!isId(targetId) ||
			typeof body !== 'string' ||
			body.trim() === '' ||
			typeof postedAt !== 'string' ||
			!POSTED_AT.test(postedAt)
		) {
			p.add(`${c}: malformed`);
			continue;
		}
		out.push({
			id,
			targetKind: kind as DiscussionTarget,
			targetId,
			text: body.slice(0, DISCUSSION_MAX),
			postedAt,
			authorId: who.userId ?? '',
			authorRole: who.role,
			authorName: who.name
		});
	}
	return out.sort((a, b) =>
		a.postedAt < b.postedAt ? -1 : a.postedAt > b.postedAt ? 1 : a.id < b.id ? -1 : 1
	);
}

/**
 * The author of a mentor's or mentee's own item (a comment, an attachment) if it is to be shown:
 * null when removed by its author, when its author was rewritten after creation (which the relay
 * cannot see on the bytes, authorship.ts: someone else's name put on it), or when the author is
 * not a mentor or mentee of the program. A removal by anyone else is ignored (and reported).
 */
export function liveAuthor(
	map: AnyMap,
	participants: readonly ParticipantView[],
	p: Problems,
	c: string
): (ParticipantView & { role: 'mentor' | 'mentee' }) | null {
	const author = map.get(ITEM.createdBy);
	if (map.get(ITEM.removed) === true) {
		if (map.get(ITEM.removedBy) === author) return null;
		p.add(`${c}: removal by someone other than the author ignored`);
	}
	// The author is the first and only value of `createdBy`.
	if (firstValueRewritten(map, ITEM.createdBy)) {
		p.add(`${c}: author rewritten`);
		return null;
	}
	const who = participants.find(
		(x) => x.userId === author && (x.role === 'mentor' || x.role === 'mentee')
	);
	if (!who) {
		p.add(`${c}: author is not a mentor or mentee of the program`);
		return null;
	}
	return who as ParticipantView & { role: 'mentor' | 'mentee' };
}

/** Whether the current value of a map key replaced an earlier one (a Yjs item to its left). */
function firstValueRewritten(map: AnyMap, key: string): boolean {
	const entry = (map as unknown as { _map?: Map<string, Y.Item> })._map?.get(key);
	return entry instanceof Y.Item && entry.left !== null;
}

export function readChangeRequests(
	r: Root,
	p: Problems,
	cache: ReadCache | null = null
): ChangeRequestView[] {
	const out = readList(r.changes, p, 'changeRequests', cache, readChangeRequest);
	return cache ? out.map((x) => ({ ...x, consents: { ...x.consents } })) : out;
}

function readChangeRequest(id: string, map: AnyMap, p: Problems): ChangeRequestView | null {
	const c = `change ${id}`;
	const kind = enumOr(map, CHANGE.kind, CHANGE_KIND_LABELS, p, c);
	if (kind === null) {
		p.add(`${c}: unknown kind`);
		return null;
	}
	const consents: Record<string, string> = {};
	for (const [k, v] of map.entries()) {
		if (!k.startsWith(CHANGE.consentPrefix)) continue;
		const pid = k.slice(CHANGE.consentPrefix.length);
		if (isId(pid) && isIsoDate(v)) consents[pid] = v;
		else p.add(`${c}: malformed consent`);
	}
	return {
		...itemMeta(map, id, p, c),
		kind,
		months: int(map, CHANGE.months, p, c, 0, 24) ?? 0,
		reason: text(map, CHANGE.reason, p, c),
		status: enumOr(map, CHANGE.status, CHANGE_STATUS_LABELS, p, c) ?? 'requested',
		requestedAt: date(map, CHANGE.requestedAt, p, c),
		petitionedBy: optStr(map, CHANGE.petitionedBy, p, c),
		decidedBy: optStr(map, CHANGE.decidedBy, p, c),
		decidedAt: date(map, CHANGE.decidedAt, p, c),
		extendsStageId: null,
		consents
	};
}

function isRecord(v: unknown): v is Record<string, unknown> {
	return (
		typeof v === 'object' &&
		v !== null &&
		!Array.isArray(v) &&
		!(v instanceof Y.AbstractType) &&
		!(v instanceof Uint8Array)
	);
}

const s = (v: unknown, max: number = LIMITS.name): string | null =>
	typeof v === 'string' && v.length <= max ? v : null;

export function readAssessments(
	r: Root,
	p: Problems,
	cache: ReadCache | null = null
): AssessmentView[] {
	const kept = cache?.section(r.assessments, 'assessments', p, (q) => readAssessmentsOf(r, q));
	return kept ? kept.map((x) => ({ ...x })) : readAssessmentsOf(r, p);
}

function readAssessmentsOf(r: Root, p: Problems): AssessmentView[] {
	const out: AssessmentView[] = [];
	for (const [key, v] of r.assessments.entries()) {
		const phase = isRecord(v) ? v.phase : undefined;
		const score = isRecord(v) ? v.score : undefined;
		if (
			!isRecord(v) ||
			!isKeyOf(ASSESSMENT_PHASE_LABELS, phase) ||
			!isId(v.participantId) ||
			s(v.competency, LIMITS.shortText) === null ||
			typeof score !== 'number' ||
			!Number.isInteger(score) ||
			score < 1 ||
			score > 5
		) {
			p.add(`assessment ${key.slice(0, 40)}: malformed`);
			continue;
		}
		out.push({
			phase,
			participantId: v.participantId,
			competency: v.competency as string,
			score,
			updatedBy: s(v.updatedBy),
			updatedAt: s(v.updatedAt)
		});
	}
	return out.sort((a, b) =>
		compareCodeUnits(
			a.phase + a.participantId + a.competency,
			b.phase + b.participantId + b.competency
		)
	);
}

export function readFeedback(r: Root, p: Problems, cache: ReadCache | null = null): FeedbackView[] {
	const kept = cache?.section(r.feedback, 'feedback', p, (q) => readFeedbackOf(r, q));
	return kept ? kept.map((x) => ({ ...x })) : readFeedbackOf(r, p);
}

function readFeedbackOf(r: Root, p: Problems): FeedbackView[] {
	const out: FeedbackView[] = [];
	for (const [key, v] of r.feedback.entries()) {
		const sat = isRecord(v) ? v.satisfaction : undefined;
		if (
			!isRecord(v) ||
			!isId(key) ||
			(v.role !== 'mentor' && v.role !== 'mentee') ||
			typeof sat !== 'number' ||
			!Number.isInteger(sat) ||
			sat < 1 ||
			sat > 10
		) {
			p.add(`feedback ${key.slice(0, 40)}: malformed`);
			continue;
		}
		out.push({
			participantId: key,
			role: v.role,
			satisfaction: sat,
			comment: s(v.comment, LIMITS.shortText * 4) ?? '',
			date: isIsoDate(v.date) ? v.date : null,
			updatedBy: s(v.updatedBy),
			updatedAt: s(v.updatedAt)
		});
	}
	return out.sort((a, b) => (a.participantId < b.participantId ? -1 : 1));
}

export function readCompletion(
	r: Root,
	p: Problems,
	cache: ReadCache | null = null
): CompletionView | null {
	const read = (q: Problems) => completionOf(r.completion.get(COMPLETION.record), q);
	if (!cache?.usable) return read(p);
	const kept = cache.section(r.completion, 'completion', p, read);
	return kept ? { ...kept } : null;
}

function completionOf(v: unknown, p: Problems): CompletionView | null {
	if (v === undefined) return null;
	if (!isRecord(v) || !isKeyOf(COMPLETION_REASON_LABELS, v.reason) || !isIsoDate(v.date)) {
		p.add('completion: malformed');
		return null;
	}
	return {
		reason: v.reason,
		date: v.date,
		note: s(v.note, LIMITS.shortText * 4) ?? '',
		initiatedBy: s(v.initiatedBy),
		initiatorRole: s(v.initiatorRole),
		updatedBy: s(v.updatedBy),
		updatedAt: s(v.updatedAt)
	};
}

export function readDiagnosis(doc: Y.Doc, r: Root, cache: ReadCache | null = null): DiagnosisView {
	const texts = {} as Record<DiagnosisField, Y.Text>;
	for (const f of DIAGNOSIS_FIELDS) texts[f] = diagnosisText(doc, f);
	const kept = cache?.section(r.diagnosis, 'diagnosis', new Problems(), () => diagnosisInfo(r));
	if (!kept) return { texts, info: diagnosisInfo(r) };
	const info = {} as DiagnosisView['info'];
	for (const f of DIAGNOSIS_FIELDS) info[f] = { ...kept[f] };
	return { texts, info };
}

function diagnosisInfo(r: Root): DiagnosisView['info'] {
	const info = {} as DiagnosisView['info'];
	for (const f of DIAGNOSIS_FIELDS) {
		const v = r.diagnosis.get(f);
		info[f] = {
			updatedBy: isRecord(v) ? s(v.updatedBy) : null,
			updatedAt: isRecord(v) ? s(v.updatedAt) : null
		};
	}
	return info;
}

/**
 * The whole program as plain typed objects (free text as live Y.Text). Never throws on bad data.
 * `decisions` is the program's decisions document (decisions.ts): verdicts, approval, the
 * curator's completion, change decisions and curator comments are read from it ONLY; the same
 * fields in `doc` (legacy, or forged by a participant) are ignored. null: no decisions known
 * (a phone that has not synced them yet) — nothing is approved, accepted or decided.
 */
export function readProgram(
	doc: Y.Doc,
	decisions: Y.Doc | null = null,
	/** Reads kept from earlier readings of `doc` (readCacheOf): the same view, for less. */
	cache: ReadCache | null = null,
	/**
	 * false: the discussion and the attachments are left empty, unread (the summary: it counts
	 * neither, so a message or a file must not change it — summary.ts SUMMARY_ROOTS).
	 */
	lists: { discussionAndAttachments: boolean } = { discussionAndAttachments: true }
): ProgramView {
	const p = new Problems();
	const r = safeRoot(doc, p);
	if (!r) return emptyView(p);
	const c = cache?.usable ? cache : null;
	const stages = guard(p, 'stages', () => readStages(r, p, c), []);
	const view: ProgramView = {
		meta: guard(p, 'meta', () => readMeta(r, p, c), emptyMeta()),
		participants: guard(p, 'participants', () => readParticipants(r, p, c), []),
		stages,
		activities: guard(p, 'activities', () => readActivities(r, p, stages, c), []),
		meetings: guard(p, 'meetings', () => readMeetings(r, p, c), []),
		reports: guard(p, 'reports', () => readReports(r, p, c), []),
		comments: [],
		discussion: [],
		attachments: [],
		changeRequests: guard(p, 'changeRequests', () => readChangeRequests(r, p, c), []),
		assessments: guard(p, 'assessments', () => readAssessments(r, p, c), []),
		feedback: guard(p, 'feedback', () => readFeedback(r, p, c), []),
		completion: guard(p, 'completion', () => readCompletion(r, p, c), null),
		diagnosis: guard(p, 'diagnosis', () => readDiagnosis(doc, r, c), detachedDiagnosis()),
		problems: []
	};
	guard(p, 'decisions', () => applyDecisions(view, decisions, p), undefined);
	if (lists.discussionAndAttachments) {
		view.discussion = guard(p, 'discussion', () => readDiscussion(doc, view.participants, p), []);
		view.attachments = guard(
			p,
			'attachments',
			() => readAttachments(doc, view.participants, p),
			[]
		);
	}
	view.problems = p.result();
	return view;
}

// ---------- decisions (decisions.ts) ---------------------------------------------------------

/** Reasons a mentor or mentee may complete the program by themselves (rules.ts canComplete). */
const PARTICIPANT_COMPLETION: ReadonlySet<string> = new Set([
	'participant-initiative',
	'plan-completed'
]);

/**
 * Overlays the decisions document on a view read from the co-written document. Every decision
 * field of the co-written document is first reset (it may be legacy or forged), then set from
 * the decisions document alone.
 */
function applyDecisions(view: ProgramView, decisions: Y.Doc | null, p: Problems): void {
	let d: DecisionsRoot | null = null;
	if (decisions) {
		try {
			d = decisionsRoot(decisions);
		} catch (e) {
			p.add(`decisions layout: ${e instanceof Error ? e.message : String(e)}`);
		}
	}
	// Reports: the co-written part says draft or submitted; only a verdict says more.
	for (const rep of view.reports) {
		const co: ReportStatus = rep.status === 'draft' ? 'draft' : 'submitted';
		rep.status = co;
		rep.reviewedAt = null;
		rep.reviewedBy = null;
		rep.curatorComment = null;
		const v = d?.reports.get(rep.id);
		if (!(v instanceof Y.Map)) continue;
		const c = `verdict ${rep.id}`;
		const status = enumOr(v, VERDICT.status, REPORT_STATUS_LABELS, p, c);
		rep.reviewedAt = date(v, VERDICT.reviewedAt, p, c);
		rep.reviewedBy = optStr(v, VERDICT.reviewedBy, p, c);
		rep.curatorComment = text(v, VERDICT.curatorComment, p, c);
		const answered = v.get(VERDICT.submission) ?? null;
		// Accepted is final; a return answers one submission (a resubmission reads as submitted).
		if (status === 'accepted') rep.status = 'accepted';
		else if (status === 'returned' && answered === rep.submission) rep.status = 'returned';
	}
	// Curator comments live only in the decisions document.
	view.comments = d ? readComments({ comments: d.comments } as Root, p) : [];
	// Change requests: the request and consents are co-written; petition and decision are not.
	for (const req of view.changeRequests) {
		req.petitionedBy = null;
		req.status = 'requested';
		req.decidedBy = null;
		req.decidedAt = null;
		const v = d?.changes.get(req.id);
		if (!isRecord(v)) continue;
		if (typeof v[CHANGE_DECISION.petitionedBy] === 'string')
			req.petitionedBy = v[CHANGE_DECISION.petitionedBy] as string;
		const st = v[CHANGE_DECISION.status];
		if ((st === 'approved' || st === 'rejected') && isKeyOf(CHANGE_STATUS_LABELS, st)) {
			req.status = st;
			req.decidedBy = typeof v.decidedBy === 'string' ? v.decidedBy : null;
			req.decidedAt = isIsoDate(v.decidedAt) ? v.decidedAt : null;
			const m = v[CHANGE_DECISION.months];
			if (typeof m === 'number' && Number.isInteger(m) && m >= 0 && m <= 24) req.months = m;
			const st2 = v[CHANGE_DECISION.stageId];
			if (isId(st2)) req.extendsStageId = st2;
		}
	}
	// Deadlines moved by an approved extension (a deadline set by hand stays as set).
	if (d)
		for (const a of view.activities) {
			const moved = d.deadlines.get(a.id);
			if (!a.deadlineEdited && isIsoDate(moved)) a.deadline = moved;
			// A deadline the pair set by hand moves only from the date it had at the decision: set
			// again afterwards, it is theirs.
			const hand = d.handDeadlines.get(a.id);
			if (a.deadlineEdited && isRecord(hand) && hand.from === a.deadline && isIsoDate(hand.to))
				a.deadline = hand.to;
		}
	// Completion: the curator's from the decisions document; a participant's own completion
	// (participant-initiative, plan-completed) stays co-written but must name a mentor/mentee.
	const own = view.completion;
	view.completion = null;
	const reopened = d?.program.get(PROGRAM_DECISION.reopened);
	if (
		own &&
		!(
			isRecord(reopened) &&
			reopened.reason === own.reason &&
			reopened.date === own.date &&
			reopened.initiatedBy === own.initiatedBy
		) &&
		PARTICIPANT_COMPLETION.has(own.reason) &&
		(own.initiatorRole === 'mentor' || own.initiatorRole === 'mentee') &&
		view.participants.some(
			(x) => x.userId === own.initiatedBy && (x.role === 'mentor' || x.role === 'mentee')
		)
	)
		view.completion = own;
	if (d) {
		const c = completionOf(d.program.get(PROGRAM_DECISION.completion), p);
		if (c) view.completion = c;
	}
	const approved = d ? isRecord(d.program.get(PROGRAM_DECISION.approval)) : false;
	view.meta.status = view.completion ? 'completed' : approved ? 'active' : 'draft';
}

/** Last line of defence: a reader bug or a Yjs internal error on a corrupt document becomes a problem, not a crash. */
function guard<T>(p: Problems, what: string, fn: () => T, fallback: T): T {
	try {
		return fn();
	} catch (e) {
		p.add(`${what}: unreadable (${e instanceof Error ? e.message : String(e)})`);
		return fallback;
	}
}

function safeRoot(doc: Y.Doc, p: Problems): Root | null {
	try {
		return root(doc);
	} catch (e) {
		// Another part of the app claimed one of our names with a different type.
		p.add(`document layout: ${e instanceof Error ? e.message : String(e)}`);
		return null;
	}
}

function emptyMeta(): ProgramMeta {
	return {
		schemaVersion: 0,
		minWriterVersion: 0,
		programId: null,
		templateId: null,
		title: '',
		organization: '',
		form: null,
		types: [],
		model: '',
		menteeCategory: null,
		startDate: null,
		durationMonths: null,
		status: 'draft',
		createdBy: null,
		createdAt: null,
		timeZone: DEFAULT_TIME_ZONE
	};
}

function detachedDiagnosis(): DiagnosisView {
	const texts = {} as Record<DiagnosisField, Y.Text>;
	const info = {} as DiagnosisView['info'];
	for (const f of DIAGNOSIS_FIELDS) {
		texts[f] = new Y.Text();
		info[f] = { updatedBy: null, updatedAt: null };
	}
	return { texts, info };
}

function emptyView(p: Problems): ProgramView {
	return {
		meta: emptyMeta(),
		participants: [],
		stages: [],
		activities: [],
		meetings: [],
		reports: [],
		comments: [],
		discussion: [],
		attachments: [],
		changeRequests: [],
		assessments: [],
		feedback: [],
		completion: null,
		diagnosis: detachedDiagnosis(),
		problems: p.result()
	};
}

/** Whether this app may write to the document (a newer app can forbid older writers). */
export function writableByThisApp(doc: Y.Doc): boolean {
	const mw = doc.getMap<unknown>('meta').get(META.minWriterVersion);
	return !(typeof mw === 'number' && mw > SCHEMA_VERSION);
}

/** Plain JSON of the whole program (Y.Text → string): exports, tests, debugging. */
export function programToJSON(view: ProgramView): unknown {
	return JSON.parse(
		JSON.stringify(view, (_k, v: unknown) => (v instanceof Y.Text ? v.toString() : v))
	) as unknown;
}
