import { mintAccessToken, type Access } from '../auth/tokens.js';
import type { Logger } from '../logger.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { ProgramTemplate } from '../../src/lib/shared/program/index.js';
import { DEFAULT_TIME_ZONE, today } from '../../src/lib/shared/time.js';
import {
	conflict,
	forbidden,
	IdentityError,
	invalid,
	notFound,
	unauthenticated
} from './errors.js';
import { IdentityEvents } from './events.js';
import type {
	AgeGroup,
	AuditInput,
	Consent,
	Invitation,
	InvitationStatus,
	MentorRequirements,
	Municipality,
	Organization,
	Person,
	ProgramInfo,
	RoleAssignment,
	Session
} from './model.js';
import { blankPerson } from './model.js';
import {
	can,
	canAssignRole,
	canSee,
	relayAccess,
	ROLES,
	type Action,
	type Actor,
	type ParticipantRole,
	type Resource,
	type Role,
	type RoleGrant
} from './policy.js';
import {
	applyCuratorAction,
	ProgramEditor,
	programRuleError,
	type CuratorActionInput,
	type ServerEdit
} from './curator-actions.js';
import { buildInitialDocument, storeInitialDocument, templateIds } from './program-document.js';
import { checkTimeZone, effectiveTimeZone } from './time-zone.js';
import {
	DUMMY_PASSWORD_HASH,
	hashPassword,
	hashSecret,
	looksLikeSecret,
	newId,
	newSecret,
	verifyPassword
} from './secrets.js';
import type { IdentityStore } from './store.js';

const DAY = 24 * 60 * 60 * 1000;
export const SESSION_TTL_MS = 180 * DAY;
export const INVITATION_TTL_MS = 14 * DAY;
export const MAX_INVITATION_TTL_MS = 90 * DAY;
export const ACCESS_TOKEN_TTL_MS = 60 * 60 * 1000;
/** Sliding expiry is written at most this often per session (not on every request). */
const TOUCH_INTERVAL_MS = 60 * 60 * 1000;

export interface IdentityOptions {
	store: IdentityStore;
	documents: Pick<
		DocumentStore,
		'createProgram' | 'append' | 'saveSummary' | 'getSummary' | 'programExists'
	>;
	/** The server secret (server/auth/secret.ts) for relay access tokens. Never logged. */
	secret: string;
	logger: Logger;
	/** Origin of invitation links when PUBLIC_URL is set. */
	publicUrl?: string | null;
	now?: () => number;
	sessionTtlMs?: number;
}

/** An authenticated request: who, through which session. */
export interface Principal {
	actor: Actor;
	person: Person;
	session: Session;
}

export interface IssuedSession {
	/** The cookie value. Return it to the device once; never log it. */
	token: string;
	session: Session;
	person: Person;
	actor: Actor;
}

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
	mentorRequirements?: MentorRequirements | null;
	notes?: string | null;
	active?: boolean;
}

export interface ConsentInput {
	representativeName: string;
	representativeRelation?: string | null;
	givenOn: string;
	scope: string;
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

export interface ProgramInput {
	organizationId: string;
	templateId: string;
	/**
	 * A plan taken from the registry of successful practices (server/curator/cases.ts); the
	 * caller has checked that the actor may see it. `templateId` then names the practice.
	 */
	template?: ProgramTemplate;
	title?: string;
	startDate?: string;
	participants: Array<{ personId: string; role: ParticipantRole }>;
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

/**
 * The identity service: every operation takes the acting person and asks the policy first.
 * Used by the HTTP API (server/http/api/), the relay authorizer and the CLI.
 */
export class IdentityService {
	readonly store: IdentityStore;
	readonly events = new IdentityEvents();
	private readonly documents: IdentityOptions['documents'];
	private readonly secret: string;
	private readonly log: Logger;
	private readonly publicUrl: string | null;
	readonly now: () => number;
	readonly sessionTtlMs: number;

	constructor(options: IdentityOptions) {
		this.store = options.store;
		this.documents = options.documents;
		this.secret = options.secret;
		this.log = options.logger.child({ component: 'identity' });
		this.publicUrl = options.publicUrl ?? null;
		this.now = options.now ?? Date.now;
		this.sessionTtlMs = options.sessionTtlMs ?? SESSION_TTL_MS;
	}

	// ------------------------------------------------------------------ actors and resources

	async actorFor(personId: string): Promise<Actor> {
		const roles = await this.store.roles.listForPerson(personId);
		const grants: RoleGrant[] = [];
		const orgMun = new Map<string, string | null>();
		for (const r of roles) {
			let municipalityId = r.municipalityId;
			if (r.organizationId !== null) {
				if (!orgMun.has(r.organizationId)) {
					const org = await this.store.scopes.getOrganization(r.organizationId);
					orgMun.set(r.organizationId, org?.municipalityId ?? null);
				}
				municipalityId = orgMun.get(r.organizationId) ?? null;
			}
			grants.push({ role: r.role, organizationId: r.organizationId, municipalityId });
		}
		return { personId, roles: grants };
	}

	async programResource(programId: string): Promise<ProgramResource | null> {
		const info = await this.store.programs.get(programId);
		if (!info) return null;
		return {
			kind: 'program',
			id: info.id,
			organizationId: info.organizationId,
			municipalityId: info.municipalityId,
			participants: info.participants
		};
	}

	private async orgResource(id: string): Promise<{ org: Organization; res: Resource } | null> {
		const org = await this.store.scopes.getOrganization(id);
		return org
			? { org, res: { kind: 'organization', id: org.id, municipalityId: org.municipalityId } }
			: null;
	}

	private async personResource(p: Person): Promise<Resource> {
		let municipalityId = p.municipalityId;
		if (p.organizationId !== null && municipalityId === null) {
			municipalityId =
				(await this.store.scopes.getOrganization(p.organizationId))?.municipalityId ?? null;
		}
		return { kind: 'person', id: p.id, organizationId: p.organizationId, municipalityId };
	}

	/**
	 * Asks the policy; on denial logs (actor, action, resource — never secrets) and throws 404 when
	 * the actor may not know the resource exists, 403 otherwise.
	 */
	guard(actor: Actor, action: Action, resource: Resource): void {
		if (can(actor, action, resource)) return;
		const visible = canSee(actor, resource);
		this.log.warn(
			{
				actorId: actor.personId,
				action,
				resourceKind: resource.kind,
				resourceId: 'id' in resource ? resource.id : null,
				answer: visible ? 403 : 404
			},
			'access denied'
		);
		throw visible ? forbidden() : notFound();
	}

	/** Logs a denial that happened outside `guard` (e.g. the relay). */
	logDenial(actorId: string | null, action: string, resourceId: string, reason: string): void {
		this.log.warn({ actorId, action, resourceId, reason }, 'access denied');
	}

	private audit(entry: AuditInput): Promise<void> {
		return this.store.audit.record({ ...entry, at: this.now() });
	}

	// ------------------------------------------------------------------ scopes

	async createMunicipality(
		actor: Actor,
		name: string,
		timeZone: string | null = null
	): Promise<Municipality> {
		this.guard(actor, 'municipality.create', { kind: 'system' });
		const m: Municipality = {
			id: newId(),
			name: requireText(name, 'Название'),
			createdAt: this.now(),
			timeZone: checkTimeZone(timeZone)
		};
		await this.store.scopes.createMunicipality(m);
		await this.audit({
			actorId: actor.personId,
			action: 'municipality.create',
			entityType: 'municipality',
			entityId: m.id,
			organizationId: null,
			municipalityId: m.id,
			details: { name: m.name }
		});
		return m;
	}

	async createOrganization(
		actor: Actor,
		municipalityId: string,
		name: string,
		timeZone: string | null = null
	): Promise<Organization> {
		const mun = await this.store.scopes.getMunicipality(municipalityId);
		if (!mun) {
			this.guard(actor, 'municipality.create', { kind: 'system' });
			throw notFound();
		}
		this.guard(actor, 'municipality.manage', { kind: 'municipality', id: mun.id });
		const o: Organization = {
			id: newId(),
			municipalityId: mun.id,
			name: requireText(name, 'Название'),
			createdAt: this.now(),
			timeZone: checkTimeZone(timeZone)
		};
		await this.store.scopes.createOrganization(o);
		await this.audit({
			actorId: actor.personId,
			action: 'organization.create',
			entityType: 'organization',
			entityId: o.id,
			organizationId: o.id,
			municipalityId: mun.id,
			details: { name: o.name }
		});
		return o;
	}

	async listMunicipalities(actor: Actor): Promise<Municipality[]> {
		const all = await this.store.scopes.listMunicipalities();
		return all.filter((m) => can(actor, 'municipality.view', { kind: 'municipality', id: m.id }));
	}

	async getMunicipality(actor: Actor, id: string): Promise<Municipality> {
		const m = await this.store.scopes.getMunicipality(id);
		if (!m) throw notFound();
		this.guard(actor, 'municipality.view', { kind: 'municipality', id });
		return m;
	}

	async listOrganizations(actor: Actor, municipalityId?: string): Promise<Organization[]> {
		const all = await this.store.scopes.listOrganizations(municipalityId);
		return all.filter((o) =>
			can(actor, 'organization.view', {
				kind: 'organization',
				id: o.id,
				municipalityId: o.municipalityId
			})
		);
	}

	async getOrganization(actor: Actor, id: string): Promise<Organization> {
		const found = await this.orgResource(id);
		if (!found) throw notFound();
		this.guard(actor, 'organization.view', found.res);
		return found.org;
	}

	/** The zone "today" is computed in for an organization: its own, else its municipality's, else Moscow. */
	async organizationTimeZone(organizationId: string): Promise<string> {
		const org = await this.store.scopes.getOrganization(organizationId);
		const mun = org ? await this.store.scopes.getMunicipality(org.municipalityId) : null;
		return effectiveTimeZone(org, mun);
	}

	/** null: back to the municipality's zone. New programs carry the zone in their document. */
	async setOrganizationTimeZone(
		actor: Actor,
		id: string,
		timeZone: string | null
	): Promise<Organization> {
		const found = await this.orgResource(id);
		if (!found) throw notFound();
		this.guard(actor, 'organization.settings', found.res);
		const zone = checkTimeZone(timeZone);
		await this.store.scopes.setOrganizationTimeZone(id, zone);
		await this.writeZoneIntoPrograms(actor, [id]);
		await this.audit({
			actorId: actor.personId,
			action: 'organization.time-zone',
			entityType: 'organization',
			entityId: id,
			organizationId: id,
			municipalityId: found.org.municipalityId,
			details: { timeZone: zone }
		});
		return { ...found.org, timeZone: zone };
	}

	/**
	 * Writes each organization's zone into its programs' documents (meta.timeZone) through the
	 * relay, so that phones, offline too, count days in it and the curator index (which reads the
	 * organization's zone, server/curator/local-day.ts) agrees with the documents.
	 */
	private async writeZoneIntoPrograms(actor: Actor, organizationIds: string[]): Promise<void> {
		const edit = this.serverEdit;
		if (!edit) return;
		for (const orgId of organizationIds) {
			const zone = await this.organizationTimeZone(orgId);
			for (const p of await this.store.programs.listByOrganization(orgId)) {
				try {
					await edit(p.id, { userId: actor.personId, role: 'curator' }, (doc) => {
						new ProgramEditor(doc, { userId: actor.personId, role: 'curator' }).setTimeZone(zone);
					});
				} catch (error) {
					this.log.warn({ err: error, programId: p.id }, 'time zone not written into the program');
				}
			}
		}
	}

	/** null: back to Europe/Moscow. */
	async setMunicipalityTimeZone(
		actor: Actor,
		id: string,
		timeZone: string | null
	): Promise<Municipality> {
		const m = await this.store.scopes.getMunicipality(id);
		if (!m) throw notFound();
		this.guard(actor, 'municipality.manage', { kind: 'municipality', id });
		const zone = checkTimeZone(timeZone);
		await this.store.scopes.setMunicipalityTimeZone(id, zone);
		const inherit = (await this.store.scopes.listOrganizations(id)).filter((o) => !o.timeZone);
		await this.writeZoneIntoPrograms(
			actor,
			inherit.map((o) => o.id)
		);
		await this.audit({
			actorId: actor.personId,
			action: 'municipality.time-zone',
			entityType: 'municipality',
			entityId: id,
			organizationId: null,
			municipalityId: id,
			details: { timeZone: zone }
		});
		return { ...m, timeZone: zone };
	}

	// ------------------------------------------------------------------ people registry

	async createPerson(
		actor: Actor,
		scope: { organizationId?: string; municipalityId?: string },
		input: PersonPatch & { fullName: string }
	): Promise<Person> {
		let organizationId: string | null = null;
		let municipalityId: string | null = null;
		if (scope.organizationId !== undefined) {
			const found = await this.orgResource(scope.organizationId);
			if (!found) throw notFound();
			this.guard(actor, 'people.write', found.res);
			organizationId = found.org.id;
			municipalityId = found.org.municipalityId;
		} else if (scope.municipalityId !== undefined) {
			const mun = await this.store.scopes.getMunicipality(scope.municipalityId);
			if (!mun) throw notFound();
			this.guard(actor, 'roles.manage', { kind: 'municipality', id: mun.id });
			municipalityId = mun.id;
		} else {
			this.guard(actor, 'municipality.create', { kind: 'system' });
		}
		const now = this.now();
		const person = applyPatch(
			blankPerson({ id: newId(), organizationId, municipalityId, fullName: '' }, now),
			input,
			now
		);
		await this.store.people.create(person);
		await this.audit({
			actorId: actor.personId,
			action: 'person.create',
			entityType: 'person',
			entityId: person.id,
			organizationId,
			municipalityId,
			details: { fields: Object.keys(input) }
		});
		return person;
	}

	async getPerson(actor: Actor, id: string): Promise<Person> {
		const p = await this.store.people.get(id);
		if (!p) throw notFound();
		this.guard(actor, 'person.read', await this.personResource(p));
		return p;
	}

	async updatePerson(actor: Actor, id: string, patch: PersonPatch): Promise<Person> {
		const p = await this.store.people.get(id);
		if (!p) throw notFound();
		this.guard(actor, 'person.write', await this.personResource(p));
		const now = this.now();
		const updated = applyPatch({ ...p, updatedAt: now }, patch, now);
		await this.store.people.update(updated);
		await this.audit({
			actorId: actor.personId,
			action: 'person.update',
			entityType: 'person',
			entityId: id,
			organizationId: p.organizationId,
			municipalityId: p.municipalityId,
			details: { fields: Object.keys(patch) }
		});
		if (p.active && !updated.active) {
			for (const s of await this.store.sessions.listForPerson(id)) {
				if (s.revokedAt === null) await this.revokeSessionRecord(actor, s, 'revoked');
			}
		}
		return updated;
	}

	async listPeople(actor: Actor, organizationId: string): Promise<Person[]> {
		const found = await this.orgResource(organizationId);
		if (!found) throw notFound();
		this.guard(actor, 'people.read', found.res);
		return this.store.people.listByOrganization(organizationId);
	}

	async listMunicipalityPeople(actor: Actor, municipalityId: string): Promise<Person[]> {
		const mun = await this.store.scopes.getMunicipality(municipalityId);
		if (!mun) throw notFound();
		this.guard(actor, 'people.read', { kind: 'municipality', id: mun.id });
		return this.store.people.listByMunicipality(municipalityId);
	}

	async recordConsent(actor: Actor, personId: string, input: ConsentInput): Promise<Consent> {
		const p = await this.store.people.get(personId);
		if (!p) throw notFound();
		this.guard(actor, 'person.write', await this.personResource(p));
		if (!isValidIsoDate(input.givenOn))
			invalidField('Дата согласия должна быть в формате ГГГГ-ММ-ДД');
		const c: Consent = {
			id: newId(),
			personId,
			representativeName: requireText(input.representativeName, 'ФИО законного представителя'),
			representativeRelation: input.representativeRelation?.trim() || null,
			givenOn: input.givenOn,
			scope: requireText(input.scope, 'Объём согласия'),
			documentRef: input.documentRef?.trim() || null,
			recordedBy: actor.personId,
			recordedAt: this.now(),
			revokedAt: null
		};
		await this.store.people.addConsent(c);
		await this.audit({
			actorId: actor.personId,
			action: 'consent.record',
			entityType: 'consent',
			entityId: c.id,
			organizationId: p.organizationId,
			municipalityId: p.municipalityId,
			details: { personId, givenOn: c.givenOn }
		});
		return c;
	}

	async listConsents(actor: Actor, personId: string): Promise<Consent[]> {
		const p = await this.store.people.get(personId);
		if (!p) throw notFound();
		const res = await this.personResource(p);
		if (!(p.id === actor.personId)) this.guard(actor, 'person.write', res);
		return this.store.people.listConsents(personId);
	}

	async revokeConsent(actor: Actor, personId: string, consentId: string): Promise<void> {
		const p = await this.store.people.get(personId);
		if (!p) throw notFound();
		this.guard(actor, 'person.write', await this.personResource(p));
		const consents = await this.store.people.listConsents(personId);
		if (!consents.some((c) => c.id === consentId)) throw notFound();
		if (!(await this.store.people.revokeConsent(consentId, actor.personId, this.now()))) return;
		await this.audit({
			actorId: actor.personId,
			action: 'consent.revoke',
			entityType: 'consent',
			entityId: consentId,
			organizationId: p.organizationId,
			municipalityId: p.municipalityId,
			details: { personId }
		});
	}

	/** The consent rule: a minor joins a program only with a recorded consent of a legal representative. */
	async ensureMayParticipate(person: Person): Promise<void> {
		if (!person.active) throw conflict('person_inactive', 'Человек исключён из реестра');
		if (isMinor(person, this.now()) && !(await this.store.people.hasActiveConsent(person.id))) {
			throw conflict('consent_required', CONSENT_REQUIRED_RU);
		}
	}

	// ------------------------------------------------------------------ roles

	async assignRole(
		actor: Actor,
		personId: string,
		role: Role,
		scope: { organizationId?: string; municipalityId?: string }
	): Promise<RoleAssignment> {
		const p = await this.store.people.get(personId);
		if (!p) throw notFound();
		const res = await this.personResource(p);
		if (!canSee(actor, res)) this.guard(actor, 'person.read', res);
		if (!ROLES.includes(role)) invalidField('Неизвестная роль');
		const r = await this.roleScope(actor, role, scope);
		const existing = await this.store.roles.find(
			personId,
			role,
			r.organizationId,
			r.municipalityId
		);
		if (existing) return existing;
		const assignment: RoleAssignment = {
			id: newId(),
			personId,
			role,
			organizationId: r.organizationId,
			municipalityId: r.municipalityId,
			createdAt: this.now(),
			createdBy: actor.personId
		};
		await this.store.roles.assign(assignment);
		await this.audit({
			actorId: actor.personId,
			action: 'role.assign',
			entityType: 'role',
			entityId: assignment.id,
			organizationId: assignment.organizationId,
			municipalityId: assignment.municipalityId,
			details: { personId, role }
		});
		return assignment;
	}

	private async roleScope(
		actor: Actor,
		role: Role,
		scope: { organizationId?: string; municipalityId?: string }
	): Promise<{ organizationId: string | null; municipalityId: string | null }> {
		if (role === 'admin') {
			if (!canAssignRole(actor, role, { kind: 'system' })) {
				this.guard(actor, 'municipality.create', { kind: 'system' });
			}
			return { organizationId: null, municipalityId: null };
		}
		if (role === 'coordinator') {
			if (scope.municipalityId === undefined) invalidField('Укажите муниципалитет');
			const mun = await this.store.scopes.getMunicipality(scope.municipalityId ?? '');
			if (!mun) throw notFound();
			this.guard(actor, 'roles.manage', { kind: 'municipality', id: mun.id });
			return { organizationId: null, municipalityId: mun.id };
		}
		if (scope.organizationId === undefined) invalidField('Укажите организацию');
		const found = await this.orgResource(scope.organizationId ?? '');
		if (!found) throw notFound();
		this.guard(actor, 'roles.manage', found.res);
		return { organizationId: found.org.id, municipalityId: null };
	}

	async listRoles(actor: Actor, personId: string): Promise<RoleAssignment[]> {
		await this.getPerson(actor, personId);
		return this.store.roles.listForPerson(personId);
	}

	async removeRole(actor: Actor, roleId: string): Promise<void> {
		const r = await this.store.roles.get(roleId);
		if (!r) throw notFound();
		await this.roleScope(actor, r.role, {
			...(r.organizationId !== null ? { organizationId: r.organizationId } : {}),
			...(r.municipalityId !== null ? { municipalityId: r.municipalityId } : {})
		});
		await this.store.roles.remove(roleId);
		await this.audit({
			actorId: actor.personId,
			action: 'role.remove',
			entityType: 'role',
			entityId: roleId,
			organizationId: r.organizationId,
			municipalityId: r.municipalityId,
			details: { personId: r.personId, role: r.role }
		});
		this.events.emitAccessChanged({ personId: r.personId });
	}

	// ------------------------------------------------------------------ invitations

	/** Link for a code: the code travels in the fragment, so it never reaches a server log or a Referer. */
	invitationUrl(code: string, origin?: string): string {
		const base = (this.publicUrl ?? origin ?? 'http://localhost:3000').replace(/\/+$/, '');
		return `${base}/invite#${code}`;
	}

	async createInvitation(
		actor: Actor,
		input: InvitationInput,
		origin?: string
	): Promise<{ invitation: Invitation; code: string; url: string }> {
		const person = await this.store.people.get(input.personId);
		if (!person) throw notFound();
		const personRes = await this.personResource(person);
		if (!canSee(actor, personRes)) this.guard(actor, 'person.read', personRes);
		let organizationId: string | null = null;
		let municipalityId: string | null = null;
		let programId: string | null = null;
		let role: Role | null = input.role ?? null;
		if (input.programId !== undefined) {
			const program = await this.programResource(input.programId);
			if (!program) throw notFound();
			this.guard(actor, 'program.manage', program);
			const current = program.participants.find((p) => p.personId === person.id);
			if (role === null) role = current?.role ?? null;
			if (role !== 'mentor' && role !== 'mentee') {
				invalidField('В программу приглашают наставника или наставляемого');
			}
			if (!current) await this.ensureMayParticipate(person);
			programId = program.id;
			organizationId = program.organizationId;
		} else if (role !== null) {
			const scope = await this.roleScope(actor, role, {
				...(input.organizationId !== undefined ? { organizationId: input.organizationId } : {}),
				...(input.municipalityId !== undefined ? { municipalityId: input.municipalityId } : {})
			});
			organizationId = scope.organizationId;
			municipalityId = scope.municipalityId;
		} else {
			// A plain sign-in link for an existing account: whoever may revoke their sessions may send it.
			this.guard(actor, 'sessions.revoke', personRes);
			this.guard(actor, 'person.write', personRes);
			organizationId = person.organizationId;
			municipalityId = person.organizationId === null ? person.municipalityId : null;
		}
		if (!person.active) throw conflict('person_inactive', 'Человек исключён из реестра');
		const ttl = Math.min(Math.max(input.ttlMs ?? INVITATION_TTL_MS, 60_000), MAX_INVITATION_TTL_MS);
		const now = this.now();
		const code = newSecret();
		const invitation: Invitation = {
			id: newId(),
			personId: person.id,
			role,
			organizationId,
			municipalityId,
			programId,
			createdBy: actor.personId,
			createdAt: now,
			expiresAt: now + ttl,
			usedAt: null,
			sessionId: null,
			revokedAt: null
		};
		await this.store.invitations.create(invitation, hashSecret(code));
		await this.audit({
			actorId: actor.personId,
			action: 'invitation.create',
			entityType: 'invitation',
			entityId: invitation.id,
			organizationId,
			municipalityId,
			details: { personId: person.id, role, programId, expiresAt: invitation.expiresAt }
		});
		return { invitation, code, url: this.invitationUrl(code, origin) };
	}

	async listInvitations(actor: Actor, organizationId: string): Promise<Invitation[]> {
		const found = await this.orgResource(organizationId);
		if (!found) throw notFound();
		this.guard(actor, 'roles.manage', found.res);
		return this.store.invitations.listByOrganization(organizationId);
	}

	async revokeInvitation(actor: Actor, invitationId: string): Promise<void> {
		const inv = await this.store.invitations.get(invitationId);
		if (!inv) throw notFound();
		await this.guardInvitation(actor, inv);
		if (!(await this.store.invitations.revoke(inv.id, actor.personId, this.now()))) {
			if (inv.usedAt !== null) throw conflict('invitation_used', 'Приглашение уже использовано');
			return;
		}
		await this.audit({
			actorId: actor.personId,
			action: 'invitation.revoke',
			entityType: 'invitation',
			entityId: inv.id,
			organizationId: inv.organizationId,
			municipalityId: inv.municipalityId,
			details: { personId: inv.personId }
		});
	}

	private async guardInvitation(actor: Actor, inv: Invitation): Promise<void> {
		if (inv.programId !== null) {
			const program = await this.programResource(inv.programId);
			if (!program) throw notFound();
			this.guard(actor, 'program.manage', program);
		} else if (inv.organizationId !== null) {
			const found = await this.orgResource(inv.organizationId);
			if (!found) throw notFound();
			this.guard(actor, 'roles.manage', found.res);
		} else if (inv.municipalityId !== null) {
			this.guard(actor, 'roles.manage', { kind: 'municipality', id: inv.municipalityId });
		} else {
			this.guard(actor, 'municipality.create', { kind: 'system' });
		}
	}

	/**
	 * Exchanges a one-time code for a device session. The code is consumed atomically: of two
	 * devices racing with the same link exactly one gets a session.
	 */
	async redeemInvitation(code: unknown, deviceName: string): Promise<IssuedSession> {
		const bad = () =>
			new IdentityError(
				410,
				'invitation_invalid',
				'Ссылка-приглашение недействительна: она уже использована, отозвана или её срок истёк. Попросите куратора прислать новую.'
			);
		if (!looksLikeSecret(code)) throw bad();
		const inv = await this.store.invitations.findByCodeHash(hashSecret(code));
		const now = this.now();
		if (!inv || invitationStatus(inv, now) !== 'active') {
			this.logDenial(
				inv?.personId ?? null,
				'invitation.redeem',
				inv?.id ?? '-',
				inv ? invitationStatus(inv, now) : 'unknown'
			);
			throw bad();
		}
		const person = await this.store.people.get(inv.personId);
		if (!person || !person.active) throw bad();
		const sessionId = newId();
		if (!(await this.store.invitations.consume(inv.id, sessionId, now))) {
			this.logDenial(inv.personId, 'invitation.redeem', inv.id, 'race');
			throw bad();
		}
		// Grant what the invitation promised (idempotent).
		if (inv.programId !== null && (inv.role === 'mentor' || inv.role === 'mentee')) {
			const program = await this.store.programs.get(inv.programId);
			if (program && !program.participants.some((p) => p.personId === person.id)) {
				await this.ensureMayParticipate(person);
				await this.store.programs.addParticipant(
					program.id,
					person.id,
					inv.role,
					inv.createdBy,
					now
				);
				await this.audit({
					actorId: inv.createdBy,
					action: 'participant.add',
					entityType: 'program',
					entityId: program.id,
					organizationId: program.organizationId,
					municipalityId: program.municipalityId,
					details: { personId: person.id, role: inv.role, invitationId: inv.id }
				});
			}
			// A mentor or mentee of a program also holds the role in the program's organization.
			if (program) {
				await this.store.roles.assign({
					id: newId(),
					personId: person.id,
					role: inv.role,
					organizationId: program.organizationId,
					municipalityId: null,
					createdAt: now,
					createdBy: inv.createdBy
				});
			}
		} else if (inv.role !== null) {
			const added = await this.store.roles.assign({
				id: newId(),
				personId: person.id,
				role: inv.role,
				organizationId: inv.organizationId,
				municipalityId: inv.organizationId === null ? inv.municipalityId : null,
				createdAt: now,
				createdBy: inv.createdBy
			});
			if (added) {
				await this.audit({
					actorId: inv.createdBy,
					action: 'role.assign',
					entityType: 'person',
					entityId: person.id,
					organizationId: inv.organizationId,
					municipalityId: inv.municipalityId,
					details: { role: inv.role, invitationId: inv.id }
				});
			}
		}
		const issued = await this.issueSession(person, deviceName, 'invitation', sessionId);
		await this.audit({
			actorId: person.id,
			action: 'session.create',
			entityType: 'session',
			entityId: issued.session.id,
			organizationId: person.organizationId,
			municipalityId: person.municipalityId,
			details: { method: 'invitation', invitationId: inv.id, deviceName: issued.session.deviceName }
		});
		return issued;
	}

	private async issueSession(
		person: Person,
		deviceName: string,
		method: Session['method'],
		id: string = newId()
	): Promise<IssuedSession> {
		const now = this.now();
		const token = newSecret();
		const session: Session = {
			id,
			personId: person.id,
			deviceName: deviceName.trim().slice(0, 100) || 'Устройство',
			method,
			createdAt: now,
			lastUsedAt: now,
			expiresAt: now + this.sessionTtlMs,
			revokedAt: null,
			revokedBy: null
		};
		await this.store.sessions.create(session, hashSecret(token));
		return { token, session, person, actor: await this.actorFor(person.id) };
	}

	// ------------------------------------------------------------------ password login (desktops)

	private readonly failures = new Map<string, { count: number; since: number }>();

	async setPassword(
		actor: Actor,
		personId: string,
		login: string,
		password: string
	): Promise<void> {
		const p = await this.store.people.get(personId);
		if (!p) throw notFound();
		if (actor.personId !== personId)
			this.guard(actor, 'person.write', await this.personResource(p));
		const target = await this.actorFor(personId);
		if (!target.roles.some((r) => ['curator', 'head', 'coordinator', 'admin'].includes(r.role))) {
			throw conflict(
				'password_not_allowed',
				'Вход по паролю доступен кураторам, руководителям, координаторам и администраторам'
			);
		}
		const cleanLogin = login.trim().toLowerCase();
		if (!/^[a-z0-9._@-]{3,100}$/.test(cleanLogin))
			invalidField('Логин: 3–100 латинских букв, цифр, «.», «_», «-», «@»');
		if (password.length < 10 || password.length > 200)
			invalidField('Пароль: от 10 до 200 символов');
		const existing = await this.store.credentials.findByLogin(cleanLogin);
		if (existing && existing.personId !== personId)
			throw conflict('login_taken', 'Этот логин уже занят');
		await this.store.credentials.set(
			personId,
			cleanLogin,
			await hashPassword(password),
			this.now()
		);
		await this.audit({
			actorId: actor.personId,
			action: 'credentials.set',
			entityType: 'person',
			entityId: personId,
			organizationId: p.organizationId,
			municipalityId: p.municipalityId,
			details: { login: cleanLogin }
		});
	}

	async loginWithPassword(
		login: string,
		password: string,
		deviceName: string
	): Promise<IssuedSession> {
		const key = login.trim().toLowerCase();
		const now = this.now();
		const f = this.failures.get(key);
		const wrong = () => new IdentityError(401, 'login_failed', 'Неверный логин или пароль');
		if (f && f.count >= 5 && now - f.since < 15 * 60_000) {
			throw new IdentityError(
				429,
				'too_many_attempts',
				'Слишком много попыток входа. Попробуйте через 15 минут.'
			);
		}
		const cred = await this.store.credentials.findByLogin(key);
		const ok = await verifyPassword(password, cred?.passwordHash ?? DUMMY_PASSWORD_HASH);
		const person = cred ? await this.store.people.get(cred.personId) : null;
		if (!ok || !cred || !person || !person.active) {
			const next =
				f && now - f.since < 15 * 60_000
					? { count: f.count + 1, since: f.since }
					: { count: 1, since: now };
			this.failures.set(key, next);
			this.logDenial(cred?.personId ?? null, 'login.password', '-', 'bad credentials');
			throw wrong();
		}
		this.failures.delete(key);
		const issued = await this.issueSession(person, deviceName, 'password');
		await this.audit({
			actorId: person.id,
			action: 'session.create',
			entityType: 'session',
			entityId: issued.session.id,
			organizationId: person.organizationId,
			municipalityId: person.municipalityId,
			details: { method: 'password', deviceName: issued.session.deviceName }
		});
		return issued;
	}

	// ------------------------------------------------------------------ sessions

	/**
	 * The session behind a cookie value, or null (unknown, revoked, expired, person excluded).
	 * Sliding: each use (at most hourly) moves the expiry to now + 180 days.
	 */
	async authenticate(token: unknown): Promise<(Principal & { renewed: boolean }) | null> {
		if (!looksLikeSecret(token)) return null;
		const session = await this.store.sessions.findByTokenHash(hashSecret(token));
		const now = this.now();
		if (!session || session.revokedAt !== null || session.expiresAt <= now) return null;
		const person = await this.store.people.get(session.personId);
		if (!person || !person.active) return null;
		let renewed = false;
		if (now - session.lastUsedAt >= TOUCH_INTERVAL_MS) {
			session.lastUsedAt = now;
			session.expiresAt = Math.max(session.expiresAt, now + this.sessionTtlMs);
			await this.store.sessions.touch(session.id, now, session.expiresAt);
			renewed = true;
		}
		return { actor: await this.actorFor(person.id), person, session, renewed };
	}

	/** A session by id if still valid (relay: tokens minted from sessions). */
	async activeSession(sessionId: string): Promise<Session | null> {
		const s = await this.store.sessions.get(sessionId);
		if (!s || s.revokedAt !== null || s.expiresAt <= this.now()) return null;
		const person = await this.store.people.get(s.personId);
		return person?.active ? s : null;
	}

	async listSessions(actor: Actor, personId: string): Promise<Session[]> {
		const p = await this.store.people.get(personId);
		if (!p) throw notFound();
		this.guard(actor, 'sessions.read', await this.personResource(p));
		return this.store.sessions.listForPerson(personId);
	}

	async revokeSession(actor: Actor, sessionId: string): Promise<void> {
		const s = await this.store.sessions.get(sessionId);
		if (!s) throw notFound();
		const p = await this.store.people.get(s.personId);
		if (!p) throw notFound();
		this.guard(actor, 'sessions.revoke', await this.personResource(p));
		await this.revokeSessionRecord(actor, s, 'revoked');
	}

	async logout(principal: Principal): Promise<void> {
		await this.revokeSessionRecord(principal.actor, principal.session, 'logout');
	}

	private async revokeSessionRecord(actor: Actor, s: Session, reason: 'revoked' | 'logout') {
		if (!(await this.store.sessions.revoke(s.id, actor.personId, this.now()))) return;
		const p = await this.store.people.get(s.personId);
		await this.audit({
			actorId: actor.personId,
			action: reason === 'logout' ? 'session.logout' : 'session.revoke',
			entityType: 'session',
			entityId: s.id,
			organizationId: p?.organizationId ?? null,
			municipalityId: p?.municipalityId ?? null,
			details: { personId: s.personId, deviceName: s.deviceName }
		});
		this.events.emitSessionRevoked({ sessionId: s.id, personId: s.personId, reason });
	}

	// ------------------------------------------------------------------ programs

	async createProgram(actor: Actor, input: ProgramInput): Promise<ProgramInfo> {
		const found = await this.orgResource(input.organizationId);
		if (!found) throw notFound();
		this.guard(actor, 'program.create', found.res);
		if (!input.template && !templateIds().includes(input.templateId))
			invalidField('Неизвестный шаблон программы');
		const mun = await this.store.scopes.getMunicipality(found.org.municipalityId);
		const timeZone = effectiveTimeZone(found.org, mun);
		const startDate = input.startDate ?? today(timeZone, this.now());
		if (!isValidIsoDate(startDate)) invalidField('Дата начала должна быть в формате ГГГГ-ММ-ДД');
		if (input.participants.length === 0) invalidField('Укажите наставника и наставляемого');
		const seen = new Set<string>();
		const people: Array<{ person: Person; role: ParticipantRole }> = [];
		for (const part of input.participants) {
			if (seen.has(part.personId)) invalidField('Один человек указан в программе дважды');
			seen.add(part.personId);
			const person = await this.participantCandidate(actor, found.org, part.personId);
			await this.ensureMayParticipate(person);
			people.push({ person, role: part.role });
		}
		const curator = await this.store.people.get(actor.personId);
		const programId = newId();
		const now = this.now();
		const title = input.title?.trim() || undefined;
		const built = await buildInitialDocument(
			{
				programId,
				templateId: input.templateId,
				...(input.template ? { template: input.template } : {}),
				...(title ? { title } : {}),
				organizationName: found.org.name,
				timeZone,
				startDate,
				creatorId: actor.personId,
				participants: [
					...people.map((p) => ({ role: p.role, name: p.person.fullName, userId: p.person.id })),
					...(curator
						? [{ role: 'curator' as const, name: curator.fullName, userId: curator.id }]
						: [])
				]
			},
			new Date(now)
		);
		await storeInitialDocument(this.documents, found.org.id, programId, built, now);
		const info: Omit<ProgramInfo, 'municipalityId'> = {
			id: programId,
			organizationId: found.org.id,
			title: built.summary.title,
			templateId: input.templateId,
			createdBy: actor.personId,
			createdAt: now,
			participants: people.map((p) => ({ personId: p.person.id, role: p.role }))
		};
		await this.store.programs.create(info, actor.personId);
		for (const p of people) {
			await this.store.roles.assign({
				id: newId(),
				personId: p.person.id,
				role: p.role,
				organizationId: found.org.id,
				municipalityId: null,
				createdAt: now,
				createdBy: actor.personId
			});
		}
		await this.audit({
			actorId: actor.personId,
			action: 'program.create',
			entityType: 'program',
			entityId: programId,
			organizationId: found.org.id,
			municipalityId: found.org.municipalityId,
			details: { templateId: input.templateId, participants: info.participants }
		});
		return { ...info, municipalityId: found.org.municipalityId };
	}

	/** A participant comes from the organization's registry or holds a role in it (e.g. a mentor from another school). */
	private async participantCandidate(
		actor: Actor,
		org: Organization,
		personId: string
	): Promise<Person> {
		const person = await this.store.people.get(personId);
		if (!person) throw invalid('Участник не найден в реестре организации');
		if (person.organizationId === org.id) return person;
		const roles = await this.store.roles.listForPerson(personId);
		if (roles.some((r) => r.organizationId === org.id)) return person;
		// A mentor from another organization of a municipality the actor can see.
		if (can(actor, 'person.read', await this.personResource(person))) return person;
		throw invalid('Участник не найден в реестре организации');
	}

	async getProgram(actor: Actor, programId: string): Promise<ProgramInfo> {
		const info = await this.store.programs.get(programId);
		if (!info) throw notFound();
		this.guard(actor, 'program.summary', toResource(info));
		return info;
	}

	async programSummary(actor: Actor, programId: string): Promise<unknown> {
		const info = await this.getProgram(actor, programId);
		return (await this.documents.getSummary(info.id))?.summary ?? null;
	}

	/** Programs the person takes part in, plus those of organizations they curate or head. */
	async listMyPrograms(
		actor: Actor
	): Promise<Array<ProgramInfo & { role: ParticipantRole | 'curator' | 'head'; access: Access }>> {
		const out = new Map<
			string,
			ProgramInfo & { role: ParticipantRole | 'curator' | 'head'; access: Access }
		>();
		for (const p of await this.store.programs.listForPerson(actor.personId)) {
			out.set(p.id, { ...p, access: 'rw' });
		}
		for (const g of actor.roles) {
			if ((g.role !== 'curator' && g.role !== 'head') || g.organizationId === null) continue;
			for (const p of await this.store.programs.listByOrganization(g.organizationId)) {
				if (!out.has(p.id)) out.set(p.id, { ...p, role: g.role, access: 'ro' });
			}
		}
		return [...out.values()];
	}

	async listOrganizationPrograms(actor: Actor, organizationId: string): Promise<ProgramInfo[]> {
		const found = await this.orgResource(organizationId);
		if (!found) throw notFound();
		this.guard(actor, 'organization.monitor', found.res);
		return this.store.programs.listByOrganization(organizationId);
	}

	/** Monitoring of a municipality: programs with their stored summaries (no texts). */
	async municipalityMonitoring(
		actor: Actor,
		municipalityId: string
	): Promise<Array<{ program: ProgramInfo; summary: unknown }>> {
		const mun = await this.store.scopes.getMunicipality(municipalityId);
		if (!mun) throw notFound();
		this.guard(actor, 'municipality.monitor', { kind: 'municipality', id: mun.id });
		const programs = await this.store.programs.listByMunicipality(municipalityId);
		const out: Array<{ program: ProgramInfo; summary: unknown }> = [];
		for (const program of programs) {
			out.push({
				program,
				summary: (await this.documents.getSummary(program.id))?.summary ?? null
			});
		}
		return out;
	}

	async addParticipant(
		actor: Actor,
		programId: string,
		personId: string,
		role: ParticipantRole
	): Promise<ProgramInfo> {
		const info = await this.store.programs.get(programId);
		if (!info) throw notFound();
		this.guard(actor, 'program.manage', toResource(info));
		const org = await this.store.scopes.getOrganization(info.organizationId);
		if (!org) throw notFound();
		const person = await this.participantCandidate(actor, org, personId);
		if (info.participants.some((p) => p.personId === personId)) {
			throw conflict('already_participant', 'Этот человек уже участвует в программе');
		}
		await this.ensureMayParticipate(person);
		const now = this.now();
		await this.store.programs.addParticipant(programId, personId, role, actor.personId, now);
		await this.store.roles.assign({
			id: newId(),
			personId,
			role,
			organizationId: info.organizationId,
			municipalityId: null,
			createdAt: now,
			createdBy: actor.personId
		});
		await this.audit({
			actorId: actor.personId,
			action: 'participant.add',
			entityType: 'program',
			entityId: programId,
			organizationId: info.organizationId,
			municipalityId: info.municipalityId,
			details: { personId, role }
		});
		return (await this.store.programs.get(programId)) ?? info;
	}

	async removeParticipant(actor: Actor, programId: string, personId: string): Promise<void> {
		const info = await this.store.programs.get(programId);
		if (!info) throw notFound();
		this.guard(actor, 'program.manage', toResource(info));
		if (!(await this.store.programs.removeParticipant(programId, personId))) throw notFound();
		await this.audit({
			actorId: actor.personId,
			action: 'participant.remove',
			entityType: 'program',
			entityId: programId,
			organizationId: info.organizationId,
			municipalityId: info.municipalityId,
			details: { personId }
		});
		this.events.emitAccessChanged({ personId, programId });
	}

	/** What the relay grants this actor on a program; null = deny. */
	async relayGrant(
		actor: Actor,
		programId: string
	): Promise<{ access: Access } | { deny: 'not_found' | 'forbidden' }> {
		const res = await this.programResource(programId);
		if (!res) return { deny: 'not_found' };
		const access = relayAccess(actor, res);
		if (access) return { access };
		return { deny: canSee(actor, res) ? 'forbidden' : 'not_found' };
	}

	/** A short-lived relay access token minted from a session (docs/access-tokens.md). */
	async programAccessToken(
		principal: Principal,
		programId: string,
		ttlMs: number = ACCESS_TOKEN_TTL_MS
	): Promise<{ token: string; access: Access; expiresAt: number; path: string }> {
		const res = await this.programResource(programId);
		if (!res) throw notFound();
		const access = relayAccess(principal.actor, res);
		if (!access) {
			this.guard(principal.actor, 'program.read', res);
			throw forbidden();
		}
		const expiresAt = Math.min(this.now() + ttlMs, principal.session.expiresAt);
		const token = mintAccessToken(this.secret, {
			userId: principal.actor.personId,
			programId,
			access,
			expiresAt,
			sessionId: principal.session.id
		});
		return { token, access, expiresAt, path: `/sync/${encodeURIComponent(programId)}` };
	}

	/** Set by connectIdentityToRelay: the relay's applyServerEdit. */
	serverEdit: ServerEdit | null = null;

	/**
	 * A curator action (comment, accept / return a report, completion, extension petition and
	 * decision) applied by the server on behalf of a curator or head of the program's organization.
	 */
	async curatorAction(
		actor: Actor,
		programId: string,
		input: CuratorActionInput
	): Promise<{ createdId: string | null }> {
		const res = await this.programResource(programId);
		if (!res) throw notFound();
		this.guard(actor, 'program.curate', res);
		if (!this.serverEdit) {
			throw new IdentityError(503, 'unavailable', 'Сервис временно недоступен');
		}
		const role = actor.roles.some(
			(g) => g.role === 'curator' && g.organizationId === res.organizationId
		)
			? 'curator'
			: 'head';
		let createdId: string | null = null;
		try {
			await this.serverEdit(programId, { userId: actor.personId, role }, (doc) => {
				createdId = applyCuratorAction(
					new ProgramEditor(doc, { userId: actor.personId, role }),
					input
				);
			});
		} catch (error) {
			const mapped = programRuleError(error);
			if (mapped) throw mapped;
			throw error;
		}
		this.log.info({ actorId: actor.personId, programId, action: input.action }, 'curator action');
		return { createdId };
	}

	// ------------------------------------------------------------------ audit

	async listAudit(actor: Actor, filter: { organizationId?: string; limit?: number }) {
		if (filter.organizationId !== undefined) {
			const found = await this.orgResource(filter.organizationId);
			if (!found) throw notFound();
			this.guard(actor, 'audit.read', found.res);
		} else {
			this.guard(actor, 'audit.read', { kind: 'system' });
		}
		return this.store.audit.list(filter);
	}

	requireActor(principal: Principal | null): Principal {
		if (!principal) throw unauthenticated();
		return principal;
	}
}

export function toResource(info: ProgramInfo): ProgramResource {
	return {
		kind: 'program',
		id: info.id,
		organizationId: info.organizationId,
		municipalityId: info.municipalityId,
		participants: info.participants
	};
}

function requireText(v: string | undefined | null, field: string): string {
	const t = (v ?? '').trim();
	if (!t) invalidField(`Не заполнено поле «${field}»`);
	if (t.length > 300) invalidField(`Поле «${field}» длиннее 300 символов`);
	return t;
}

function invalidField(messageRu: string): never {
	throw invalid(messageRu);
}

const AGE_GROUPS: readonly AgeGroup[] = ['under-18', 'under-35', '35-plus'];

function applyPatch(p: Person, patch: PersonPatch, now: number): Person {
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
	if (patch.mentorRequirements !== undefined) out.mentorRequirements = patch.mentorRequirements;
	if (patch.notes !== undefined) out.notes = text(patch.notes, 2000);
	if (patch.active !== undefined) out.active = patch.active;
	// The stored flag follows the birth date when there is one.
	if (out.birthDate) out.minor = isMinor({ ...out, minor: false }, now);
	return out;
}
