/**
 * Identity's pure rules and input shapes: dates and ages (minors, under 35), invitation status,
 * field validation of the registry, the system actor. No I/O: used by the registry, access,
 * programs and the HTTP layer alike.
 */
import { DEFAULT_TIME_ZONE, today } from '../../src/lib/shared/time.js';
import { isStaffKind, type StaffKind } from '../../src/lib/shared/figures.js';
import { invalid } from './errors.js';
import type {
	ConsentKind,
	AgeGroup,
	Invitation,
	InvitationStatus,
	MentorRequirements,
	Person,
	ProgramInfo
} from './model.js';
import type { Actor, Resource, Role } from './policy.js';

export interface PersonPatch {
	fullName?: string;
	position?: string | null;
	email?: string | null;
	phone?: string | null;
	birthDate?: string | null;
	ageGroup?: AgeGroup | null;
	minor?: boolean;
	experienceYears?: number | null;
	category?: string | null;
	staffKind?: StaffKind | null;
	mentorRequirements?: MentorRequirements | null;
	notes?: string | null;
	active?: boolean;
}

export interface ConsentInput {
	/** Default 'representative' (the only kind before migration 60). */
	kind?: ConsentKind;
	/** Required for a legal representative's consent; the person's own consents take their name. */
	representativeName?: string;
	representativeRelation?: string | null;
	givenOn: string;
	/** Default: the kind's label (server/identity/consents.ts). */
	scope?: string;
	documentRef?: string | null;
}

export interface InvitationInput {
	personId: string;
	role?: Role;
	organizationId?: string;
	municipalityId?: string;
	programId?: string;
	ttlMs?: number;
}

export type ProgramResource = Extract<Resource, { kind: 'program' }>;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isValidIsoDate(s: string): boolean {
	if (!ISO_DATE.test(s)) return false;
	const d = new Date(`${s}T00:00:00Z`);
	return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Full years between a birth date and a day (both YYYY-MM-DD). */
export function ageOn(birthDate: string, day: string): number {
	const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
	const [y, m, d] = day.split('-').map(Number) as [number, number, number];
	return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

// Ages are counted on the day in Moscow time (the registry's day, whatever the organization's zone).

/** Minor today: by birth date when recorded, otherwise by the recorded flag / age group. */
export function isMinor(p: Pick<Person, 'birthDate' | 'minor' | 'ageGroup'>, now: number): boolean {
	if (p.birthDate && isValidIsoDate(p.birthDate)) {
		return ageOn(p.birthDate, today(DEFAULT_TIME_ZONE, now)) < 18;
	}
	return p.minor || p.ageGroup === 'under-18';
}

/** Under 35 (the young-teacher indicator): by birth date, else by age group; null when unknown. */
export function isUnder35(p: Pick<Person, 'birthDate' | 'ageGroup'>, now: number): boolean | null {
	if (p.birthDate && isValidIsoDate(p.birthDate)) {
		return ageOn(p.birthDate, today(DEFAULT_TIME_ZONE, now)) < 35;
	}
	if (p.ageGroup === null) return null;
	return p.ageGroup !== '35-plus';
}

export function invitationStatus(i: Invitation, now: number): InvitationStatus {
	if (i.revokedAt !== null) return 'revoked';
	if (i.usedAt !== null) return 'used';
	if (i.expiresAt <= now) return 'expired';
	return 'active';
}

/** The operator at the CLI (and test fixtures): an administrator without a person record. */
export const SYSTEM_ACTOR: Actor = {
	personId: 'system',
	roles: [{ role: 'admin', organizationId: null, municipalityId: null }]
};

export const CONSENT_REQUIRED_RU =
	'Несовершеннолетнего можно включить в программу только при наличии согласия законного представителя';

export function toResource(info: ProgramInfo): ProgramResource {
	return {
		kind: 'program',
		id: info.id,
		organizationId: info.organizationId,
		municipalityId: info.municipalityId,
		participants: info.participants
	};
}

export function requireText(v: string | undefined | null, field: string): string {
	const t = (v ?? '').trim();
	if (!t) invalidField(`Не заполнено поле «${field}»`);
	if (t.length > 300) invalidField(`Поле «${field}» длиннее 300 символов`);
	return t;
}

export function invalidField(messageRu: string): never {
	throw invalid(messageRu);
}

const AGE_GROUPS: readonly AgeGroup[] = ['under-18', 'under-35', '35-plus'];

export function applyPatch(p: Person, patch: PersonPatch, now: number): Person {
	const out = { ...p };
	const text = (v: string | null | undefined, max = 300) => {
		const t = (v ?? '').trim();
		if (t.length > max) invalidField('Слишком длинное значение поля');
		return t || null;
	};
	if (patch.fullName !== undefined) out.fullName = requireText(patch.fullName, 'ФИО');
	if (patch.position !== undefined) out.position = text(patch.position);
	if (patch.email !== undefined) {
		out.email = text(patch.email);
		if (out.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(out.email))
			invalidField('Некорректный e-mail');
	}
	if (patch.phone !== undefined) out.phone = text(patch.phone, 50);
	if (patch.birthDate !== undefined) {
		out.birthDate = text(patch.birthDate);
		if (out.birthDate && !isValidIsoDate(out.birthDate))
			invalidField('Дата рождения должна быть в формате ГГГГ-ММ-ДД');
	}
	if (patch.ageGroup !== undefined) {
		if (patch.ageGroup !== null && !AGE_GROUPS.includes(patch.ageGroup))
			invalidField('Неизвестная возрастная группа');
		out.ageGroup = patch.ageGroup;
	}
	if (patch.minor !== undefined) out.minor = patch.minor;
	if (patch.experienceYears !== undefined) {
		const e = patch.experienceYears;
		if (e !== null && (!Number.isFinite(e) || e < 0 || e > 80))
			invalidField('Стаж должен быть числом от 0 до 80');
		out.experienceYears = e;
	}
	if (patch.category !== undefined) out.category = text(patch.category);
	if (patch.staffKind !== undefined) {
		if (patch.staffKind !== null && !isStaffKind(patch.staffKind))
			invalidField('Неизвестная кадровая категория');
		out.staffKind = patch.staffKind;
	}
	if (patch.mentorRequirements !== undefined) out.mentorRequirements = patch.mentorRequirements;
	if (patch.notes !== undefined) out.notes = text(patch.notes, 2000);
	if (patch.active !== undefined) out.active = patch.active;
	// The stored flag follows the birth date when there is one.
	if (out.birthDate) out.minor = isMinor({ ...out, minor: false }, now);
	return out;
}
