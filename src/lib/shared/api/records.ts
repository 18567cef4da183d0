/**
 * The curator's records API (issue 16): cancelled programs, probable duplicates and their merge,
 * removal of a person's personal data on request. Request schemas (TypeBox) and answer types.
 * Idempotent creation is a field of the creation bodies (`requestKey`, ./programs.ts).
 */
import { Type, type Static } from 'typebox';
import { Id, NullableText, StringEnum } from './common';
import type { DuplicateReason } from '../duplicates';

/** An idempotency key from the client: one program per key and person, however many requests. */
export const RequestKey = Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

export const CANCEL_REASONS = ['created-by-mistake', 'duplicate', 'other'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];
export const CANCEL_REASON_LABELS: Record<CancelReason, string> = {
	'created-by-mistake': 'создана по ошибке',
	duplicate: 'дубликат другой программы',
	other: 'другая причина'
};

/** POST /api/programs/:id/cancel — not a completion: the program leaves monitoring and figures. */
export const CancelProgramBody = Type.Object(
	{ reason: StringEnum(CANCEL_REASONS), note: Type.Optional(NullableText(500)) },
	{ additionalProperties: false }
);
export type CancelProgramBody = Static<typeof CancelProgramBody>;

export interface ProgramCancellation {
	programId: string;
	reason: CancelReason;
	note: string | null;
	cancelledAt: number;
	cancelledBy: string | null;
}

/** GET /api/organizations/:id/cancelled-programs */
export interface CancelledProgramsResponse {
	programs: Array<ProgramCancellation & { title: string; cancelledByName: string | null }>;
}

/** GET /api/programs/:id/cancellation */
export interface CancellationResponse {
	cancellation: ProgramCancellation | null;
}

/** POST /api/organizations/:id/people/duplicates: who in the bank is this person already. */
export const DuplicateCheckBody = Type.Object(
	{
		fullName: Type.String({ minLength: 1, maxLength: 300 }),
		birthDate: Type.Optional(NullableText(10)),
		email: Type.Optional(NullableText(300)),
		phone: Type.Optional(NullableText(50)),
		/** The record being edited (not its own duplicate). */
		exceptId: Type.Optional(Id)
	},
	{ additionalProperties: false }
);
export type DuplicateCheckBody = Static<typeof DuplicateCheckBody>;

export interface DuplicateCandidate {
	id: string;
	fullName: string;
	birthDate: string | null;
	email: string | null;
	phone: string | null;
	position: string | null;
	reason: DuplicateReason;
	reasonRu: string;
}

export interface DuplicateCheckResponse {
	candidates: DuplicateCandidate[];
}

/** GET /api/organizations/:id/duplicates: probable duplicates already in the bank, in groups. */
export interface DuplicateGroupsResponse {
	groups: Array<{ people: DuplicateCandidate[] }>;
}

/** POST /api/people/:id/merge: `duplicateId` is merged into `:id` (the kept record). */
export const MergePeopleBody = Type.Object({ duplicateId: Id }, { additionalProperties: false });
export type MergePeopleBody = Static<typeof MergePeopleBody>;

export interface MergeResponse {
	keptId: string;
	/** Fields filled from the duplicate because the kept record had none. */
	filled: string[];
	/** Fields where both had different values: the kept value stays; the other goes to notes. */
	conflicts: Array<{ field: string; kept: string; other: string }>;
	/** Programs of the duplicate now with the kept record. */
	programs: number;
}

/** POST /api/people/:id/erase: the person's full name, typed again, confirms. */
export const ErasePersonBody = Type.Object(
	{
		confirmFullName: Type.String({ minLength: 1, maxLength: 300 }),
		reason: Type.Optional(NullableText(500))
	},
	{ additionalProperties: false }
);
export type ErasePersonBody = Static<typeof ErasePersonBody>;

export interface EraseResponse {
	personId: string;
	erasedAt: number;
	/** What was removed and what was kept (anonymized), in Russian, for the curator. */
	removed: string[];
	kept: string[];
}
