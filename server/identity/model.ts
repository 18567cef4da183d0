import type { StaffKind } from '../../src/lib/shared/figures.js';
import type { OrgKind } from '../../src/lib/shared/organization.js';
import type { CONSENT_KINDS } from '../../src/lib/shared/api/registry.js';
import type { ParticipantRole, Role } from './policy.js';

/** Times are Unix milliseconds unless named `…On` (calendar dates, YYYY-MM-DD). */

export interface Municipality {
	id: string;
	name: string;
	createdAt: number;
	/** IANA time zone of its schools; null = Europe/Moscow (src/lib/shared/time.ts). */
	timeZone: string | null;
}

export interface Organization {
	id: string;
	municipalityId: string;
	name: string;
	createdAt: number;
	/** Its own IANA time zone, overriding the municipality's; null = the municipality's. */
	timeZone: string | null;
	/** ОО / ДОУ / ДО (src/lib/shared/organization.ts); null: not recorded. Set by the coordinator. */
	kind?: OrgKind | null;
	/** ШНОР: a school with low results. */
	lowResults?: boolean;
	/** ШССУ: a school in difficult social conditions. */
	hardSocial?: boolean;
}

/** Tomsk 2024 §3.5: all four must hold for a head of an organization to be a mentor. */
export interface MentorRequirements {
	/** Стаж работы в должности руководителя не менее 5 лет. */
	experience5Years?: boolean;
	/** Подтвержденные результаты успешной управленческой деятельности (конкурсы). */
	provenResults?: boolean;
	/** Положительное заключение по оценке эффективности (81–100 %). */
	positiveAssessment?: boolean;
	/** Удостоверение о курсах повышения квалификации по программе наставничества. */
	mentoringCourse?: boolean;
}

export type AgeGroup = 'under-18' | 'under-35' | '35-plus';

/** An entry of the bank of mentors and mentees (and the account of any user). */
export interface Person {
	id: string;
	organizationId: string | null;
	municipalityId: string | null;
	fullName: string;
	position: string | null;
	email: string | null;
	phone: string | null;
	/** YYYY-MM-DD */
	birthDate: string | null;
	/** When the birth date is not recorded: enough for the under-35 indicator and minors. */
	ageGroup: AgeGroup | null;
	/** Under 18: a consent of a legal representative is needed to add them to a program. */
	minor: boolean;
	experienceYears: number | null;
	category: string | null;
	/**
	 * Кадровая категория (src/lib/shared/figures.ts): pedagogue, head, pupil, student, other.
	 * Null or absent: not recorded (the figures infer it from the position).
	 */
	staffKind?: StaffKind | null;
	mentorRequirements: MentorRequirements | null;
	notes: string | null;
	active: boolean;
	createdAt: number;
	updatedAt: number;
}

/** A registry card with nothing recorded but what is given (new people, imports, fixtures). */
export function blankPerson(
	fields: Pick<Person, 'id' | 'organizationId' | 'municipalityId' | 'fullName'> & Partial<Person>,
	now: number
): Person {
	return {
		position: null,
		email: null,
		phone: null,
		birthDate: null,
		ageGroup: null,
		minor: false,
		experienceYears: null,
		category: null,
		mentorRequirements: null,
		notes: null,
		active: true,
		createdAt: now,
		updatedAt: now,
		...fields
	};
}

export type PersonInput = Omit<Person, 'id' | 'createdAt' | 'updatedAt' | 'active' | 'minor'> & {
	minor?: boolean;
};

/**
 * representative: a legal representative's consent for a minor (Tomsk region roadmap, steps 5–6);
 * personal-data: an adult's own consent to the processing of personal data;
 * mentor-duties: a mentor's written consent to the duties, for a term (two years, Tomsk 2024 §3.4).
 */
export { CONSENT_KINDS } from '../../src/lib/shared/api/registry.js';
export type ConsentKind = (typeof CONSENT_KINDS)[number];

export interface Consent {
	id: string;
	personId: string;
	kind: ConsentKind;
	/** ФИО законного представителя; for the person's own consents, the person's name. */
	representativeName: string;
	/** мать, отец, опекун, … */
	representativeRelation: string | null;
	/** YYYY-MM-DD, the date on the signed consent. */
	givenOn: string;
	/** What the consent covers, e.g. «обработка персональных данных для участия в программе наставничества». */
	scope: string;
	documentRef: string | null;
	/** YYYY-MM-DD, the end of the term (mentor-duties: two years from the date given); null = none. */
	validUntil: string | null;
	recordedBy: string | null;
	recordedAt: number;
	revokedAt: number | null;
}

export interface RoleAssignment {
	id: string;
	personId: string;
	role: Role;
	organizationId: string | null;
	municipalityId: string | null;
	createdAt: number;
	createdBy: string | null;
}

export interface ProgramInfo {
	id: string;
	organizationId: string;
	municipalityId: string;
	title: string;
	templateId: string;
	createdBy: string | null;
	createdAt: number;
	participants: Array<{ personId: string; role: ParticipantRole }>;
}

export interface Pair {
	id: string;
	organizationId: string;
	mentorId: string;
	menteeId: string;
	programId: string | null;
	createdAt: number;
}

export interface Invitation {
	id: string;
	personId: string;
	role: Role | null;
	organizationId: string | null;
	municipalityId: string | null;
	programId: string | null;
	createdBy: string | null;
	createdAt: number;
	expiresAt: number;
	usedAt: number | null;
	sessionId: string | null;
	revokedAt: number | null;
}

export type InvitationStatus = 'active' | 'used' | 'expired' | 'revoked';

export interface Session {
	id: string;
	personId: string;
	deviceName: string;
	method: 'invitation' | 'password';
	createdAt: number;
	lastUsedAt: number;
	expiresAt: number;
	revokedAt: number | null;
	revokedBy: string | null;
}

export interface AuditEntry {
	seq: number;
	at: number;
	actorId: string | null;
	action: string;
	entityType: string;
	entityId: string;
	organizationId: string | null;
	municipalityId: string | null;
	details: Record<string, unknown> | null;
}

export type AuditInput = Omit<AuditEntry, 'seq' | 'at'> & { at?: number };
