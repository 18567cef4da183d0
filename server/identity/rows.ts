/**
 * Identity's table rows (snake_case, as both databases return them) and their mapping to the
 * model. Booleans are stored as 0/1 integers in both databases.
 */
import { isStaffKind } from '../../src/lib/shared/figures.js';
import { isOrgKind } from '../../src/lib/shared/organization.js';
import type {
	AgeGroup,
	AuditEntry,
	Consent,
	Invitation,
	MentorRequirements,
	Organization,
	Pair,
	Person,
	RoleAssignment,
	Session
} from './model.js';
import type { Role } from './policy.js';

export const bool = (v: unknown): boolean => v === 1 || v === true;

export interface OrgRow {
	id: string;
	municipality_id: string;
	name: string;
	created_at: number;
	time_zone: string | null;
	kind?: string | null;
	low_results?: number | null;
	hard_social?: number | null;
}

export const toOrg = (r: OrgRow): Organization => ({
	id: r.id,
	municipalityId: r.municipality_id,
	name: r.name,
	createdAt: r.created_at,
	timeZone: r.time_zone ?? null,
	kind: isOrgKind(r.kind) ? r.kind : null,
	lowResults: bool(Number(r.low_results ?? 0)),
	hardSocial: bool(Number(r.hard_social ?? 0))
});

export interface PersonRow {
	id: string;
	organization_id: string | null;
	municipality_id: string | null;
	full_name: string;
	position: string | null;
	email: string | null;
	phone: string | null;
	birth_date: string | null;
	age_group: string | null;
	minor: number;
	experience_years: number | null;
	category: string | null;
	/** Migration 80; absent in rows read from an older schema. */
	staff_kind?: string | null;
	mentor_requirements: string | null;
	notes: string | null;
	active: number;
	created_at: number;
	updated_at: number;
}

export const toPerson = (r: PersonRow): Person => ({
	id: r.id,
	organizationId: r.organization_id,
	municipalityId: r.municipality_id,
	fullName: r.full_name,
	position: r.position,
	email: r.email,
	phone: r.phone,
	birthDate: r.birth_date,
	ageGroup: r.age_group as AgeGroup | null,
	minor: bool(r.minor),
	experienceYears: r.experience_years,
	category: r.category,
	staffKind: isStaffKind(r.staff_kind) ? r.staff_kind : null,
	mentorRequirements: r.mentor_requirements
		? (JSON.parse(r.mentor_requirements) as MentorRequirements)
		: null,
	notes: r.notes,
	active: bool(r.active),
	createdAt: r.created_at,
	updatedAt: r.updated_at
});

/** The columns of `people` in the order of PERSON_COLUMNS, from a Person. */
export const PERSON_COLUMNS = [
	'id',
	'organization_id',
	'municipality_id',
	'full_name',
	'position',
	'email',
	'phone',
	'birth_date',
	'age_group',
	'minor',
	'experience_years',
	'category',
	'mentor_requirements',
	'notes',
	'active',
	'created_at',
	'updated_at',
	'staff_kind'
] as const;

export const personValues = (p: Person): unknown[] => [
	p.id,
	p.organizationId,
	p.municipalityId,
	p.fullName,
	p.position,
	p.email,
	p.phone,
	p.birthDate,
	p.ageGroup,
	p.minor ? 1 : 0,
	p.experienceYears,
	p.category,
	p.mentorRequirements ? JSON.stringify(p.mentorRequirements) : null,
	p.notes,
	p.active ? 1 : 0,
	p.createdAt,
	p.updatedAt,
	p.staffKind ?? null
];

export interface ConsentRow {
	id: string;
	person_id: string;
	representative_name: string;
	representative_relation: string | null;
	given_on: string;
	scope: string;
	document_ref: string | null;
	recorded_by: string | null;
	recorded_at: number;
	revoked_at: number | null;
	/** Migration 60; older rows read 'representative'. */
	kind?: string | null;
	valid_until?: string | null;
}

export const toConsent = (r: ConsentRow): Consent => ({
	id: r.id,
	personId: r.person_id,
	kind: (r.kind ?? 'representative') as Consent['kind'],
	representativeName: r.representative_name,
	representativeRelation: r.representative_relation,
	givenOn: r.given_on,
	scope: r.scope,
	documentRef: r.document_ref,
	validUntil: r.valid_until ?? null,
	recordedBy: r.recorded_by,
	recordedAt: r.recorded_at,
	revokedAt: r.revoked_at
});

export interface PairRow {
	id: string;
	organization_id: string;
	mentor_id: string;
	mentee_id: string;
	program_id: string | null;
	created_at: number;
}

export const toPair = (r: PairRow): Pair => ({
	id: r.id,
	organizationId: r.organization_id,
	mentorId: r.mentor_id,
	menteeId: r.mentee_id,
	programId: r.program_id,
	createdAt: r.created_at
});

export interface RoleRow {
	id: string;
	person_id: string;
	role: string;
	organization_id: string | null;
	municipality_id: string | null;
	created_at: number;
	created_by: string | null;
}

export const toRole = (r: RoleRow): RoleAssignment => ({
	id: r.id,
	personId: r.person_id,
	role: r.role as Role,
	organizationId: r.organization_id,
	municipalityId: r.municipality_id,
	createdAt: r.created_at,
	createdBy: r.created_by
});

export interface InvitationRow {
	id: string;
	person_id: string;
	role: string | null;
	organization_id: string | null;
	municipality_id: string | null;
	program_id: string | null;
	created_by: string | null;
	created_at: number;
	expires_at: number;
	used_at: number | null;
	session_id: string | null;
	revoked_at: number | null;
}

export const toInvitation = (r: InvitationRow): Invitation => ({
	id: r.id,
	personId: r.person_id,
	role: r.role as Role | null,
	organizationId: r.organization_id,
	municipalityId: r.municipality_id,
	programId: r.program_id,
	createdBy: r.created_by,
	createdAt: r.created_at,
	expiresAt: r.expires_at,
	usedAt: r.used_at,
	sessionId: r.session_id,
	revokedAt: r.revoked_at
});

export interface SessionRow {
	id: string;
	person_id: string;
	device_name: string;
	method: string;
	created_at: number;
	last_used_at: number;
	expires_at: number;
	revoked_at: number | null;
	revoked_by: string | null;
}

export const toSession = (r: SessionRow): Session => ({
	id: r.id,
	personId: r.person_id,
	deviceName: r.device_name,
	method: r.method === 'password' ? 'password' : 'invitation',
	createdAt: r.created_at,
	lastUsedAt: r.last_used_at,
	expiresAt: r.expires_at,
	revokedAt: r.revoked_at,
	revokedBy: r.revoked_by
});

export interface AuditRow {
	seq: number;
	at: number;
	actor_id: string | null;
	action: string;
	entity_type: string;
	entity_id: string;
	organization_id: string | null;
	municipality_id: string | null;
	details: string | null;
}

export const toAuditEntry = (r: AuditRow): AuditEntry => ({
	seq: r.seq,
	at: r.at,
	actorId: r.actor_id,
	action: r.action,
	entityType: r.entity_type,
	entityId: r.entity_id,
	organizationId: r.organization_id,
	municipalityId: r.municipality_id,
	details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null
});
