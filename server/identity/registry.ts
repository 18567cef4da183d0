/**
 * Identity's records: municipalities and organizations (scopes, with their time zones), the
 * people registry, consents and roles, and how a person's roles become an actor for the policy.
 * Every operation goes through the guard (check, write, audit); reads of records for other
 * modules (programs, the curator) go through `resources` / `scopeOf`, never through the store.
 * (A little over 600 lines since the time zones joined: one class per record family would split
 * the guard's context for no gain.)
 */
import { conflict, invalid, notFound } from './errors.js';
import type { IdentityEvents } from './events.js';
import type { Guard } from './guard.js';
import type {
	Consent,
	Municipality,
	Organization,
	Person,
	ProgramInfo,
	RoleAssignment
} from './model.js';
import { blankPerson } from './model.js';
import {
	can,
	canAssignRole,
	canSee,
	MUNICIPALITY_ROLES,
	ROLES,
	type Actor,
	type Resource,
	type Role,
	type RoleGrant
} from './policy.js';
import {
	applyPatch,
	invalidField,
	isMinor,
	requireText,
	toResource,
	type ConsentInput,
	type PersonPatch,
	type ProgramResource
} from './rules.js';
import { buildConsent, checkConsents, withdrawalEffect } from './consents.js';
import type { AccessEnd } from './end-access.js';
import { newId } from './secrets.js';
import { checkTimeZone, effectiveTimeZone } from './time-zone.js';
import { isOrgKind, type OrgAttributes } from '../../src/lib/shared/organization.js';
import type { IdentityStore } from './store.js';

export type OrganizationResource = Extract<Resource, { kind: 'organization' }>;
export type RoleScope = { organizationId?: string; municipalityId?: string };

export class IdentityRegistry {
	/** Called when a person is excluded from the registry (access revokes their sessions). */
	onDeactivated: ((actor: Actor, personId: string) => Promise<void>) | null = null;
	/** Called when a role is removed (access ends the person's links, sessions, tokens, sockets). */
	onRoleRemoved: ((actor: Actor, personId: string) => Promise<void>) | null = null;
	/** Called when a withdrawn consent ends a person's access (service.ts wires end-access.ts). */
	onAccessEnded: ((actor: Actor, personId: string, what: AccessEnd) => Promise<void>) | null = null;
	/**
	 * Called after a zone change with the organizations whose effective zone it changed (programs
	 * write it into their documents, server/programs/service.ts writeZoneIntoPrograms).
	 */
	onTimeZoneChanged: ((actor: Actor, organizationIds: string[]) => Promise<void>) | null = null;

	constructor(
		private readonly store: IdentityStore,
		private readonly guard: Guard,
		private readonly events: IdentityEvents,
		private readonly now: () => number
	) {}

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
		return info ? toResource(info) : null;
	}

	async orgResource(id: string): Promise<{ org: Organization; res: OrganizationResource } | null> {
		const org = await this.store.scopes.getOrganization(id);
		return org
			? { org, res: { kind: 'organization', id: org.id, municipalityId: org.municipalityId } }
			: null;
	}

	async personResource(p: Person): Promise<Resource> {
		let municipalityId = p.municipalityId;
		if (p.organizationId !== null && municipalityId === null) {
			municipalityId =
				(await this.store.scopes.getOrganization(p.organizationId))?.municipalityId ?? null;
		}
		return { kind: 'person', id: p.id, organizationId: p.organizationId, municipalityId };
	}

	/** A program record and the policy's view of it, or null. */
	async program(programId: string): Promise<{ info: ProgramInfo; res: ProgramResource } | null> {
		const info = await this.store.programs.get(programId);
		return info ? { info, res: toResource(info) } : null;
	}

	/** An organization's record without a policy check (the caller checked a program right). */
	organizationRecord(id: string): Promise<Organization | null> {
		return this.store.scopes.getOrganization(id);
	}

	/** A municipality after the policy allowed `action` on it (404 when missing). */
	async municipalityFor(
		actor: Actor,
		id: string,
		action: 'municipality.monitor' | 'municipality.view'
	): Promise<Municipality> {
		const mun = await this.store.scopes.getMunicipality(id);
		if (!mun) throw notFound();
		this.guard.check(actor, action, { kind: 'municipality', id: mun.id });
		return mun;
	}

	/** A person's record without a policy check: for callers that checked a program right first. */
	personRecord(id: string): Promise<Person | null> {
		return this.store.people.get(id);
	}

	// ------------------------------------------------------------------ scopes

	createMunicipality(
		actor: Actor,
		name: string,
		timeZone: string | null = null
	): Promise<Municipality> {
		return this.guard.guarded(
			actor,
			'municipality.create',
			{ kind: 'system' },
			async () => {
				const m: Municipality = {
					id: newId(),
					name: requireText(name, 'Название'),
					createdAt: this.now(),
					timeZone: checkTimeZone(timeZone)
				};
				await this.store.scopes.createMunicipality(m);
				return m;
			},
			(m) => ({
				action: 'municipality.create',
				entityType: 'municipality',
				entityId: m.id,
				organizationId: null,
				municipalityId: m.id,
				details: { name: m.name }
			})
		);
	}

	async createOrganization(
		actor: Actor,
		municipalityId: string,
		name: string,
		timeZone: string | null = null
	): Promise<Organization> {
		const mun = await this.store.scopes.getMunicipality(municipalityId);
		if (!mun) {
			this.guard.check(actor, 'municipality.create', { kind: 'system' });
			throw notFound();
		}
		return this.guard.guarded(
			actor,
			'municipality.manage',
			{ kind: 'municipality', id: mun.id },
			async () => {
				const o: Organization = {
					id: newId(),
					municipalityId: mun.id,
					name: requireText(name, 'Название'),
					createdAt: this.now(),
					timeZone: checkTimeZone(timeZone)
				};
				await this.store.scopes.createOrganization(o);
				return o;
			},
			(o) => ({
				action: 'organization.create',
				entityType: 'organization',
				entityId: o.id,
				organizationId: o.id,
				municipalityId: mun.id,
				details: { name: o.name }
			})
		);
	}

	async listMunicipalities(actor: Actor): Promise<Municipality[]> {
		const all = await this.store.scopes.listMunicipalities();
		return all.filter((m) => can(actor, 'municipality.view', { kind: 'municipality', id: m.id }));
	}

	async getMunicipality(actor: Actor, id: string): Promise<Municipality> {
		const m = await this.store.scopes.getMunicipality(id);
		if (!m) throw notFound();
		this.guard.check(actor, 'municipality.view', { kind: 'municipality', id });
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
		this.guard.check(actor, 'organization.view', found.res);
		return found.org;
	}

	// ------------------------------------------------------------------ time zones

	/** The zone "today" is computed in for an organization: its own, else its municipality's, else Moscow. */
	async organizationTimeZone(organizationId: string): Promise<string> {
		const org = await this.store.scopes.getOrganization(organizationId);
		const mun = org ? await this.store.scopes.getMunicipality(org.municipalityId) : null;
		return effectiveTimeZone(org, mun);
	}

	/** null: back to the municipality's zone. The organization's programs get it in their documents. */
	async setOrganizationTimeZone(
		actor: Actor,
		id: string,
		timeZone: string | null
	): Promise<Organization> {
		const found = await this.orgResource(id);
		if (!found) throw notFound();
		return this.guard.guarded(
			actor,
			'organization.settings',
			found.res,
			async () => {
				const zone = checkTimeZone(timeZone);
				await this.store.scopes.setOrganizationTimeZone(id, zone);
				await this.onTimeZoneChanged?.(actor, [id]);
				return { ...found.org, timeZone: zone };
			},
			(o) => ({
				action: 'organization.time-zone',
				entityType: 'organization',
				entityId: id,
				organizationId: id,
				municipalityId: o.municipalityId,
				details: { timeZone: o.timeZone }
			})
		);
	}

	/** Kind (ОО / ДОУ / ДО) and ШНОР / ШССУ, recorded by the municipal coordinator. */
	async setOrganizationAttributes(
		actor: Actor,
		id: string,
		attributes: OrgAttributes
	): Promise<Organization> {
		const found = await this.orgResource(id);
		if (!found) throw notFound();
		return this.guard.guarded(
			actor,
			'organization.attributes',
			found.res,
			async () => {
				if (attributes.kind !== null && !isOrgKind(attributes.kind))
					invalidField('Вид организации: ОО, ДОУ или ДО');
				await this.store.scopes.setOrganizationAttributes(id, attributes);
				return { ...found.org, ...attributes };
			},
			(o) => ({
				action: 'organization.attributes',
				entityType: 'organization',
				entityId: id,
				organizationId: id,
				municipalityId: o.municipalityId,
				details: { kind: o.kind, lowResults: o.lowResults, hardSocial: o.hardSocial }
			})
		);
	}

	/** null: back to Europe/Moscow. Organizations without their own zone inherit it. */
	async setMunicipalityTimeZone(
		actor: Actor,
		id: string,
		timeZone: string | null
	): Promise<Municipality> {
		const m = await this.store.scopes.getMunicipality(id);
		if (!m) throw notFound();
		return this.guard.guarded(
			actor,
			'municipality.manage',
			{ kind: 'municipality', id },
			async () => {
				const zone = checkTimeZone(timeZone);
				await this.store.scopes.setMunicipalityTimeZone(id, zone);
				const inherit = (await this.store.scopes.listOrganizations(id)).filter((o) => !o.timeZone);
				await this.onTimeZoneChanged?.(
					actor,
					inherit.map((o) => o.id)
				);
				return { ...m, timeZone: zone };
			},
			(mun) => ({
				action: 'municipality.time-zone',
				entityType: 'municipality',
				entityId: id,
				organizationId: null,
				municipalityId: id,
				details: { timeZone: mun.timeZone }
			})
		);
	}

	// ------------------------------------------------------------------ people registry

	/** Refuses (403/404) an actor who may not add or change people in the organization's bank. */
	async checkPeopleWrite(actor: Actor, organizationId: string): Promise<void> {
		const found = await this.orgResource(organizationId);
		if (!found) throw notFound();
		this.guard.check(actor, 'people.write', found.res);
	}

	async createPerson(
		actor: Actor,
		scope: RoleScope,
		input: PersonPatch & { fullName: string }
	): Promise<Person> {
		let organizationId: string | null = null;
		let municipalityId: string | null = null;
		if (scope.organizationId !== undefined) {
			const found = await this.orgResource(scope.organizationId);
			if (!found) throw notFound();
			this.guard.check(actor, 'people.write', found.res);
			organizationId = found.org.id;
			municipalityId = found.org.municipalityId;
		} else if (scope.municipalityId !== undefined) {
			const mun = await this.store.scopes.getMunicipality(scope.municipalityId);
			if (!mun) throw notFound();
			this.guard.check(actor, 'roles.manage', { kind: 'municipality', id: mun.id });
			municipalityId = mun.id;
		} else {
			this.guard.check(actor, 'municipality.create', { kind: 'system' });
		}
		const now = this.now();
		const person = applyPatch(
			blankPerson({ id: newId(), organizationId, municipalityId, fullName: '' }, now),
			input,
			now
		);
		await this.store.people.create(person);
		await this.guard.audit(actor, {
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
		this.guard.check(actor, 'person.read', await this.personResource(p));
		return p;
	}

	async updatePerson(actor: Actor, id: string, patch: PersonPatch): Promise<Person> {
		const p = await this.store.people.get(id);
		if (!p) throw notFound();
		const updated = await this.guard.guarded(
			actor,
			'person.write',
			await this.personResource(p),
			async () => {
				const now = this.now();
				const next = applyPatch({ ...p, updatedAt: now }, patch, now);
				await this.store.people.update(next);
				return next;
			},
			() => ({
				action: 'person.update',
				entityType: 'person',
				entityId: id,
				organizationId: p.organizationId,
				municipalityId: p.municipalityId,
				details: { fields: Object.keys(patch) }
			})
		);
		if (p.active && !updated.active) await this.onDeactivated?.(actor, id);
		return updated;
	}

	async listPeople(actor: Actor, organizationId: string): Promise<Person[]> {
		const found = await this.orgResource(organizationId);
		if (!found) throw notFound();
		this.guard.check(actor, 'people.read', found.res);
		return this.store.people.listByOrganization(organizationId);
	}

	async listMunicipalityPeople(actor: Actor, municipalityId: string): Promise<Person[]> {
		const mun = await this.store.scopes.getMunicipality(municipalityId);
		if (!mun) throw notFound();
		this.guard.check(actor, 'people.read', { kind: 'municipality', id: mun.id });
		return this.store.people.listByMunicipality(municipalityId);
	}

	// ------------------------------------------------------------------ consents

	async recordConsent(actor: Actor, personId: string, input: ConsentInput): Promise<Consent> {
		const p = await this.store.people.get(personId);
		if (!p) throw notFound();
		return this.guard.guarded(
			actor,
			'consents.write',
			await this.personResource(p),
			async () => {
				const c = buildConsent(p, input, {
					id: newId(),
					recordedBy: actor.personId,
					recordedAt: this.now()
				});
				await this.store.people.addConsent(c);
				return c;
			},
			(c) => ({
				action: 'consent.record',
				entityType: 'consent',
				entityId: c.id,
				organizationId: p.organizationId,
				municipalityId: p.municipalityId,
				details: { personId, kind: c.kind, givenOn: c.givenOn, validUntil: c.validUntil }
			})
		);
	}

	async listConsents(actor: Actor, personId: string): Promise<Consent[]> {
		const p = await this.store.people.get(personId);
		if (!p) throw notFound();
		const res = await this.personResource(p);
		if (!(p.id === actor.personId)) this.guard.check(actor, 'consents.write', res);
		return this.store.people.listConsents(personId);
	}

	async revokeConsent(actor: Actor, personId: string, consentId: string): Promise<void> {
		const p = await this.store.people.get(personId);
		if (!p) throw notFound();
		const consent = await this.guard.guarded(
			actor,
			'consents.write',
			await this.personResource(p),
			async () => {
				const consents = await this.store.people.listConsents(personId);
				const c = consents.find((x) => x.id === consentId);
				if (!c) throw notFound();
				return (await this.store.people.revokeConsent(consentId, actor.personId, this.now()))
					? c
					: null;
			},
			(revoked) =>
				revoked
					? {
							action: 'consent.revoke',
							entityType: 'consent',
							entityId: consentId,
							organizationId: p.organizationId,
							municipalityId: p.municipalityId,
							details: { personId, kind: revoked.kind, ends: withdrawalEffect(revoked) }
						}
					: null
		);
		// The withdrawal takes effect: what it ends, ends now (consents.ts withdrawalEffect).
		if (consent && !(await this.store.people.hasActiveConsent(personId, consent.kind))) {
			const isRepresentativeOfAdult = consent.kind === 'representative' && !isMinor(p, this.now());
			if (!isRepresentativeOfAdult)
				await this.onAccessEnded?.(actor, personId, withdrawalEffect(consent));
		}
	}

	/** The consent rule: a minor joins a program only with a recorded consent of a legal representative. */
	async ensureMayParticipate(
		person: Person,
		role: 'mentor' | 'mentee' | null = null
	): Promise<void> {
		if (!person.active) throw conflict('person_inactive', 'Человек исключён из реестра');
		checkConsents(person, await this.store.people.listConsents(person.id), role, this.now());
	}

	/** A participant comes from the organization's registry or holds a role in it (e.g. a mentor from another school). */
	async participantCandidate(actor: Actor, org: Organization, personId: string): Promise<Person> {
		const person = await this.store.people.get(personId);
		if (!person) throw invalid('Участник не найден в реестре организации');
		if (person.organizationId === org.id) return person;
		const roles = await this.store.roles.listForPerson(personId);
		if (roles.some((r) => r.organizationId === org.id)) return person;
		// Tomsk 2024: the mentor of a head is the head of another school of the municipality.
		const heads = roles.filter((r) => r.role === 'head' && r.organizationId !== null);
		for (const r of heads) {
			const other = await this.store.scopes.getOrganization(r.organizationId ?? '');
			if (other?.municipalityId === org.municipalityId) return person;
		}
		// A mentor from another organization of a municipality the actor can see.
		if (can(actor, 'person.read', await this.personResource(person))) return person;
		throw invalid('Участник не найден в реестре организации');
	}

	// ------------------------------------------------------------------ roles

	async assignRole(
		actor: Actor,
		personId: string,
		role: Role,
		scope: RoleScope
	): Promise<RoleAssignment> {
		const p = await this.store.people.get(personId);
		if (!p) throw notFound();
		const res = await this.personResource(p);
		if (!canSee(actor, res)) this.guard.check(actor, 'person.read', res);
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
		await this.guard.audit(actor, {
			action: 'role.assign',
			entityType: 'role',
			entityId: assignment.id,
			organizationId: assignment.organizationId,
			municipalityId: assignment.municipalityId,
			details: { personId, role }
		});
		return assignment;
	}

	/**
	 * A mentor or mentee of a program also holds the role in the program's organization (no
	 * audit of its own: the program's 'participant.add' / 'program.create' entry covers it).
	 */
	async grantParticipantRole(
		actor: Actor,
		personId: string,
		role: 'mentor' | 'mentee',
		organizationId: string,
		now: number
	): Promise<void> {
		await this.store.roles.assign({
			id: newId(),
			personId,
			role,
			organizationId,
			municipalityId: null,
			createdAt: now,
			createdBy: actor.personId
		});
	}

	/** Where a role applies, after checking that the actor may grant it there. */
	async roleScope(
		actor: Actor,
		role: Role,
		scope: RoleScope
	): Promise<{ organizationId: string | null; municipalityId: string | null }> {
		if (role === 'admin') {
			if (!canAssignRole(actor, role, { kind: 'system' })) {
				this.guard.check(actor, 'municipality.create', { kind: 'system' });
			}
			return { organizationId: null, municipalityId: null };
		}
		if ((MUNICIPALITY_ROLES as readonly string[]).includes(role)) {
			if (scope.municipalityId === undefined) invalidField('Укажите муниципалитет');
			const mun = await this.store.scopes.getMunicipality(scope.municipalityId ?? '');
			if (!mun) throw notFound();
			this.guard.check(actor, 'roles.manage', { kind: 'municipality', id: mun.id });
			return { organizationId: null, municipalityId: mun.id };
		}
		if (scope.organizationId === undefined) invalidField('Укажите организацию');
		const found = await this.orgResource(scope.organizationId ?? '');
		if (!found) throw notFound();
		this.guard.check(actor, 'roles.manage', found.res);
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
		await this.guard.audit(actor, {
			action: 'role.remove',
			entityType: 'role',
			entityId: roleId,
			organizationId: r.organizationId,
			municipalityId: r.municipalityId,
			details: { personId: r.personId, role: r.role }
		});
		if (this.onRoleRemoved) await this.onRoleRemoved(actor, r.personId);
		else this.events.emitAccessChanged({ personId: r.personId });
	}

	// ------------------------------------------------------------------ audit

	async listAudit(actor: Actor, filter: { organizationId?: string; limit?: number }) {
		if (filter.organizationId !== undefined) {
			const found = await this.orgResource(filter.organizationId);
			if (!found) throw notFound();
			this.guard.check(actor, 'audit.read', found.res);
		} else {
			this.guard.check(actor, 'audit.read', { kind: 'system' });
		}
		return this.store.audit.list(filter);
	}
}
