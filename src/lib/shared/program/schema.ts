// The Yjs layout of one program document. Names and keys here are a storage format shared by
// every app version ever shipped: add new keys freely, never rename or retype an existing one
// (docs/program-document.md, "Evolution rules").
import * as Y from 'yjs';

/** Version of the layout written by this code. Bump when adding keys a newer reader relies on. */
export const SCHEMA_VERSION = 1;

/**
 * Top-level shared types. Top-level types are identified by name, so two replicas that touch
 * "the same" one never create competing instances (unlike a nested Y.Map/Y.Text created under
 * one key concurrently, where one of them would silently win).
 */
export const ROOT = {
	meta: 'meta',
	participants: 'participants',
	stages: 'stages',
	activities: 'activities',
	meetings: 'meetings',
	reports: 'reports',
	comments: 'comments',
	changes: 'changeRequests',
	assessments: 'assessments',
	feedback: 'feedback',
	completion: 'completion',
	diagnosis: 'diagnosis'
} as const;

/** Diagnosis free-text fields; each is a top-level Y.Text named `diagnosis.<field>`. */
export const DIAGNOSIS_FIELDS = [
	'difficulties',
	'request',
	'strengths',
	'goals',
	'expectedResults'
] as const;
export type DiagnosisField = (typeof DIAGNOSIS_FIELDS)[number];
export const diagnosisTextName = (f: DiagnosisField): string => `diagnosis.${f}`;

/** Keys of the `meta` map. */
export const META = {
	schemaVersion: 'schemaVersion',
	/** A newer app may raise it to stop older apps from writing (they then open read-only). */
	minWriterVersion: 'minWriterVersion',
	programId: 'programId',
	templateId: 'templateId',
	title: 'title',
	organization: 'organization',
	form: 'form',
	types: 'types',
	model: 'model',
	menteeCategory: 'menteeCategory',
	startDate: 'startDate',
	durationMonths: 'durationMonths',
	status: 'status',
	createdBy: 'createdBy',
	createdAt: 'createdAt',
	/**
	 * IANA zone of the program's school ('Asia/Vladivostok'): "today", deadlines and overdue are
	 * computed in it on every replica (src/lib/shared/time.ts). Written at creation from the
	 * organization's zone; absent in documents written before zones (read as Europe/Moscow).
	 */
	timeZone: 'timeZone'
} as const;

/** Keys common to every list item (Y.Map inside a Y.Array). */
export const ITEM = {
	id: 'id',
	createdBy: 'createdBy',
	createdAt: 'createdAt',
	updatedBy: 'updatedBy',
	updatedAt: 'updatedAt',
	removed: 'removed',
	removedBy: 'removedBy',
	removedAt: 'removedAt'
} as const;

export const PARTICIPANT = { role: 'role', name: 'name', userId: 'userId' } as const;
export const STAGE = {
	kind: 'kind',
	title: 'title',
	months: 'months',
	order: 'order',
	resultForm: 'resultForm'
} as const;
export const ACTIVITY = {
	stageId: 'stageId',
	order: 'order',
	title: 'title',
	resultForm: 'resultForm',
	deadline: 'deadline',
	/** true once someone set the deadline by hand: rescheduling leaves it alone. */
	deadlineEdited: 'deadlineEdited',
	responsible: 'responsible',
	status: 'status',
	doneAt: 'doneAt',
	doneBy: 'doneBy',
	notes: 'notes'
} as const;
export const MEETING = {
	date: 'date',
	format: 'format',
	kind: 'kind',
	topic: 'topic',
	notes: 'notes',
	agreements: 'agreements'
} as const;
export const REPORT = {
	kind: 'kind',
	stageId: 'stageId',
	/** 'YYYY-06' or 'YYYY-12' for the mentor's semi-annual report. */
	period: 'period',
	text: 'text',
	status: 'status',
	submittedAt: 'submittedAt',
	submittedBy: 'submittedBy',
	reviewedAt: 'reviewedAt',
	reviewedBy: 'reviewedBy',
	curatorComment: 'curatorComment',
	/**
	 * A fresh random mark written at each submission: a verdict in the decisions document answers
	 * one submission, so a resubmission after «возвращен» reads as «представлен» again.
	 */
	submission: 'submission'
} as const;
export const COMMENT = { targetId: 'targetId', text: 'text' } as const;
/**
 * Mentor ↔ mentee comments (discussion.ts): the top-level Y.Array `discussion` of Y.Maps
 * `{ id, targetKind, targetId, text, postedAt, createdBy, createdAt, updatedBy, updatedAt }` plus
 * the soft-removal keys. Not in `root()`: a document where someone claimed the name with another
 * shared type must still read everything else.
 */
export const DISCUSSION_ROOT = 'discussion';
export const DISCUSSION = {
	targetKind: 'targetKind',
	targetId: 'targetId',
	/** Plain string, not Y.Text: only its author writes it, once. */
	text: 'text',
	/** ISO time with milliseconds on the author's device: the thread's order. */
	postedAt: 'postedAt'
} as const;
/**
 * Evidence (issue 17): files and photos attached to an activity, a meeting or a report. The bytes
 * live outside the document, content-addressed (src/lib/shared/api/attachments.ts); the document
 * holds the reference: the top-level Y.Array `attachments` of Y.Maps `{ id, targetKind, targetId,
 * hash, name, type, size, createdBy, createdAt }` plus the soft-removal keys. Every value is a
 * plain string or number written once by the author. Not in `root()`, like `discussion`.
 */
export const ATTACHMENTS_ROOT = 'attachments';
export const ATTACHMENT = {
	targetKind: 'targetKind',
	targetId: 'targetId',
	/** Lowercase hex SHA-256 of the bytes. */
	hash: 'hash',
	/** The file name as the author chose it (shown and offered for download). */
	name: 'name',
	/** MIME type, one of ATTACHMENT_TYPES. */
	type: 'type',
	/** Bytes. */
	size: 'size'
} as const;
export const CHANGE = {
	kind: 'kind',
	months: 'months',
	reason: 'reason',
	status: 'status',
	requestedAt: 'requestedAt',
	petitionedBy: 'petitionedBy',
	decidedBy: 'decidedBy',
	decidedAt: 'decidedAt',
	/** `consent.<participantId>` = 'YYYY-MM-DD': one key per person, so consents never overwrite each other. */
	consentPrefix: 'consent.'
} as const;
/**
 * The completion decision is one value under `record` (`{ reason, date, note, initiatedBy,
 * initiatorRole, updatedBy, updatedAt }`), not one key per field: two concurrent completions must
 * not mix the reason of one with the initiator of the other. Last writer wins as a whole.
 */
export const COMPLETION = { record: 'record' } as const;

/** Who is acting. The relay authenticates; the document only records. */
export interface Actor {
	userId: string;
	role: 'mentor' | 'mentee' | 'curator' | 'head';
}

/** Transaction origin of one user. Cached so the same user always gets the same object (UndoManager compares origins by identity). */
export interface UserOrigin {
	readonly kind: 'program-user';
	readonly userId: string;
}
const origins = new Map<string, UserOrigin>();
export function userOrigin(userId: string): UserOrigin {
	let o = origins.get(userId);
	if (!o) {
		o = Object.freeze({ kind: 'program-user', userId });
		origins.set(userId, o);
	}
	return o;
}

export function root(doc: Y.Doc) {
	return {
		meta: doc.getMap<unknown>(ROOT.meta),
		participants: doc.getArray<unknown>(ROOT.participants),
		stages: doc.getArray<unknown>(ROOT.stages),
		activities: doc.getArray<unknown>(ROOT.activities),
		meetings: doc.getArray<unknown>(ROOT.meetings),
		reports: doc.getArray<unknown>(ROOT.reports),
		comments: doc.getArray<unknown>(ROOT.comments),
		changes: doc.getArray<unknown>(ROOT.changes),
		assessments: doc.getMap<unknown>(ROOT.assessments),
		feedback: doc.getMap<unknown>(ROOT.feedback),
		completion: doc.getMap<unknown>(ROOT.completion),
		diagnosis: doc.getMap<unknown>(ROOT.diagnosis)
	};
}
export type Root = ReturnType<typeof root>;

export function diagnosisText(doc: Y.Doc, f: DiagnosisField): Y.Text {
	return doc.getText(diagnosisTextName(f));
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 12 random base-62 characters (~71 bits): short, because ids are repeated in references. */
export function randomId(): string {
	const bytes = new Uint8Array(12);
	globalThis.crypto.getRandomValues(bytes);
	let s = '';
	for (const b of bytes) s += ID_ALPHABET[b % 62];
	return s;
}

/** Deterministic id source for fixtures and tests. */
export function seededIds(seed: number): () => string {
	let x = seed >>> 0 || 1;
	return () => {
		let s = '';
		for (let i = 0; i < 12; i++) {
			x ^= x << 13;
			x >>>= 0;
			x ^= x >>> 17;
			x ^= x << 5;
			x >>>= 0;
			s += ID_ALPHABET[x % 62];
		}
		return s;
	};
}
