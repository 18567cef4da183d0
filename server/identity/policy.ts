/**
 * The authorization policy: ONE pure function decides every access, for the HTTP API and the
 * relay alike. No I/O here — callers load the actor (roles per organization / municipality) and
 * the resource (its organization, municipality, participants) and ask `can(actor, action, resource)`.
 *
 * "Доступ к информационному ресурсу варьируется в зависимости от зон ответственности" (Dinskoy §6.2):
 * - a participant (mentor, mentee) reads and writes their own programs;
 * - a curator and a head read every program of their organization and act through curator actions
 *   (the curator also manages the registry, roles, invitations and participants of the organization);
 * - a municipal coordinator sees aggregates and registries of their municipality, never program texts;
 * - a municipal curator of head mentoring (a department employee) reads, creates and curates the
 *   programs of every organization of their municipality; the head of the department reads and
 *   curates them (who may take which DECISION is authority.ts `canDecide`);
 * - an administrator manages municipalities, organizations and accounts, never program texts.
 * docs/identity.md has the table.
 */

import {
	MUNICIPALITY_ROLES,
	ORGANIZATION_ROLES,
	ROLES,
	type Role
} from '../../src/lib/shared/api/registry.js';

// The role names are part of the API contract (src/lib/shared/api/registry.ts).
export { MUNICIPALITY_ROLES, ORGANIZATION_ROLES, ROLES, type Role };
export type OrganizationRole = (typeof ORGANIZATION_ROLES)[number];
export type ParticipantRole = 'mentor' | 'mentee';

export const ROLE_LABELS_RU: Record<Role, string> = {
	mentor: 'наставник',
	mentee: 'наставляемый',
	curator: 'куратор',
	head: 'руководитель ОО',
	coordinator: 'муниципальный координатор',
	'municipal-curator': 'куратор наставничества руководителей (департамент)',
	'department-head': 'начальник департамента образования',
	admin: 'администратор'
};

/** One role of a person in one scope. Organization roles carry the organization's municipality. */
export interface RoleGrant {
	role: Role;
	/** Set for mentor, mentee, curator, head. */
	organizationId: string | null;
	/** Set for municipality roles; for organization roles, the municipality of the organization. */
	municipalityId: string | null;
}

export interface Actor {
	personId: string;
	roles: readonly RoleGrant[];
}

export type Resource =
	| {
			kind: 'program';
			id: string;
			organizationId: string;
			municipalityId: string;
			participants: ReadonlyArray<{ personId: string; role: ParticipantRole }>;
	  }
	| { kind: 'organization'; id: string; municipalityId: string }
	| { kind: 'municipality'; id: string }
	| { kind: 'person'; id: string; organizationId: string | null; municipalityId: string | null }
	| { kind: 'system' };

export const ACTIONS = {
	program: [
		/** Read the document (texts: difficulties, plan, meetings). */
		'program.read',
		/** Edit the document as a participant. */
		'program.write',
		/** Curator actions: comments, accept / return a report, completion, extension petition. */
		'program.curate',
		/** The stored summary (stage, progress, overdue counts) — monitoring, not texts. */
		'program.summary',
		/** Add / remove participants, invite to the program. */
		'program.manage'
	],
	organization: [
		'organization.view',
		'organization.manage',
		/** The organization's own settings (its time zone): its curator may set them. */
		'organization.settings',
		/** Kind (ОО / ДОУ / ДО) and ШНОР / ШССУ: the municipal coordinator records them. */
		'organization.attributes',
		/** Aggregates and the list of programs with their summaries. */
		'organization.monitor',
		/**
		 * Write and hand in the organization's справки (docs/curator.md «Documents and the calendar»):
		 * its curator, and the municipality's coordinator (Divnogorsk 2022, пп. 5.4, 5.6).
		 */
		'organization.report',
		'program.create',
		'people.read',
		'people.write',
		'roles.manage',
		'audit.read'
	],
	municipality: [
		'municipality.view',
		'municipality.manage',
		'municipality.monitor',
		/** Write and hand in the municipality's документы (аналитический отчет, справка): its coordinator. */
		'municipality.report',
		/** Configure the municipality's monitoring calendar (items, responsible body): its coordinator. */
		'municipality.calendar',
		'people.read',
		'roles.manage',
		'audit.read'
	],
	person: [
		'person.read',
		'person.write',
		/** Record and withdraw the person's consents (representative, personal data, mentor duties). */
		'consents.write',
		/**
		 * The person's entry in the management reserve (Dinskoy 2021 §5.6): kept by the municipal
		 * center, so the municipality's coordinator as well as the organization's curator.
		 */
		'reserve.write',
		'sessions.read',
		'sessions.revoke'
	],
	system: ['municipality.create', 'organization.list', 'audit.read']
} as const;

export type ProgramAction = (typeof ACTIONS.program)[number];
export type OrganizationAction = (typeof ACTIONS.organization)[number];
export type MunicipalityAction = (typeof ACTIONS.municipality)[number];
export type PersonAction = (typeof ACTIONS.person)[number];
export type SystemAction = (typeof ACTIONS.system)[number];
export type Action =
	ProgramAction | OrganizationAction | MunicipalityAction | PersonAction | SystemAction;

const has = (actor: Actor, role: Role, pred: (g: RoleGrant) => boolean = () => true): boolean =>
	actor.roles.some((g) => g.role === role && pred(g));

const inOrg = (organizationId: string | null) => (g: RoleGrant) =>
	organizationId !== null && g.organizationId === organizationId;
const inMunicipality = (municipalityId: string | null) => (g: RoleGrant) =>
	municipalityId !== null && g.municipalityId === municipalityId;
/** A municipality role (not an organization's role that carries its municipality). */
const ofMunicipality = (municipalityId: string | null) => (g: RoleGrant) =>
	g.organizationId === null && inMunicipality(municipalityId)(g);

/** The department's roles over the municipality's organizations (Tomsk 2024 §§1.2.4, 3.2, 7.2). */
export function departmentRoles(
	actor: Actor,
	municipalityId: string | null
): { municipalCurator: boolean; departmentHead: boolean } {
	return {
		municipalCurator: has(actor, 'municipal-curator', ofMunicipality(municipalityId)),
		departmentHead: has(actor, 'department-head', ofMunicipality(municipalityId))
	};
}

function canProgram(
	actor: Actor,
	action: ProgramAction,
	r: Extract<Resource, { kind: 'program' }>
): boolean {
	const participant = r.participants.some((p) => p.personId === actor.personId);
	const curator = has(actor, 'curator', inOrg(r.organizationId));
	const head = has(actor, 'head', inOrg(r.organizationId));
	const coordinator = has(actor, 'coordinator', inMunicipality(r.municipalityId));
	const dep = departmentRoles(actor, r.municipalityId);
	const department = dep.municipalCurator || dep.departmentHead;
	switch (action) {
		case 'program.read':
			return participant || curator || head || department;
		case 'program.write':
			return participant;
		case 'program.curate':
			return curator || head || department;
		case 'program.summary':
			return participant || curator || head || coordinator || department;
		case 'program.manage':
			// Not the municipal curator: managing participants issues program sign-in links, and a
			// head (wider rights) gets those from the administrator.
			return curator;
	}
}

function canOrganization(
	actor: Actor,
	action: OrganizationAction,
	r: Extract<Resource, { kind: 'organization' }>
): boolean {
	const admin = has(actor, 'admin');
	const curator = has(actor, 'curator', inOrg(r.id));
	const head = has(actor, 'head', inOrg(r.id));
	const member = actor.roles.some(inOrg(r.id));
	const coordinator = has(actor, 'coordinator', inMunicipality(r.municipalityId));
	const dep = departmentRoles(actor, r.municipalityId);
	const department = dep.municipalCurator || dep.departmentHead;
	switch (action) {
		case 'organization.view':
			return admin || member || coordinator || department;
		case 'organization.manage':
			return admin;
		case 'organization.settings':
			return admin || curator;
		case 'organization.attributes':
			return admin || coordinator;
		case 'organization.monitor':
			return curator || head || coordinator || department;
		case 'organization.report':
			// The head and the department read these documents; they do not write them.
			return curator || coordinator;
		case 'program.create':
			return curator || dep.municipalCurator;
		case 'people.read':
			return admin || curator || head || coordinator || department;
		case 'people.write':
			return admin || curator;
		case 'roles.manage':
			return admin || curator;
		case 'audit.read':
			return admin || curator;
	}
}

function canMunicipality(
	actor: Actor,
	action: MunicipalityAction,
	r: Extract<Resource, { kind: 'municipality' }>
): boolean {
	const admin = has(actor, 'admin');
	const coordinator = has(actor, 'coordinator', inMunicipality(r.id));
	const dep = departmentRoles(actor, r.id);
	const department = dep.municipalCurator || dep.departmentHead;
	switch (action) {
		case 'municipality.view':
			return admin || coordinator || actor.roles.some(inMunicipality(r.id));
		case 'municipality.manage':
			return admin;
		case 'municipality.monitor':
			return coordinator || department;
		case 'municipality.report':
		case 'municipality.calendar':
			return coordinator;
		case 'people.read':
			return admin || coordinator || department;
		case 'roles.manage':
		case 'audit.read':
			return admin;
	}
}

function canPerson(
	actor: Actor,
	action: PersonAction,
	r: Extract<Resource, { kind: 'person' }>
): boolean {
	const self = r.id === actor.personId;
	const admin = has(actor, 'admin');
	const curator = has(actor, 'curator', inOrg(r.organizationId));
	const head = has(actor, 'head', inOrg(r.organizationId));
	const coordinator = has(
		actor,
		'coordinator',
		(g) => r.municipalityId !== null && g.municipalityId === r.municipalityId
	);
	const dep = departmentRoles(actor, r.municipalityId);
	switch (action) {
		case 'person.read':
			return (
				self ||
				admin ||
				curator ||
				head ||
				coordinator ||
				dep.municipalCurator ||
				dep.departmentHead
			);
		case 'person.write':
			return admin || curator;
		case 'reserve.write':
			return admin || curator || coordinator;
		case 'consents.write':
			// The department's curator records the heads' consents (Tomsk 2024 §3.4), never edits their card.
			return admin || curator || dep.municipalCurator;
		case 'sessions.read':
		case 'sessions.revoke':
			return self || admin || curator;
	}
}

function canSystem(actor: Actor, action: SystemAction): boolean {
	switch (action) {
		case 'municipality.create':
		case 'organization.list':
		case 'audit.read':
			return has(actor, 'admin');
	}
}

const includes = <T extends string>(list: readonly T[], a: string): a is T =>
	(list as readonly string[]).includes(a);

/** The single authorization decision. Unknown action / resource combinations are denied. */
export function can(actor: Actor, action: Action, resource: Resource): boolean {
	switch (resource.kind) {
		case 'program':
			return includes(ACTIONS.program, action) && canProgram(actor, action, resource);
		case 'organization':
			return includes(ACTIONS.organization, action) && canOrganization(actor, action, resource);
		case 'municipality':
			return includes(ACTIONS.municipality, action) && canMunicipality(actor, action, resource);
		case 'person':
			return includes(ACTIONS.person, action) && canPerson(actor, action, resource);
		case 'system':
			return includes(ACTIONS.system, action) && canSystem(actor, action);
	}
}

/**
 * Whether the actor may know that the resource exists (any action on it is allowed). A denial on
 * a resource the actor may not know about answers 404, otherwise 403.
 */
export function canSee(actor: Actor, resource: Resource): boolean {
	const list: readonly Action[] = ACTIONS[resource.kind];
	return list.some((a) => can(actor, a, resource));
}

/** What the relay grants on a program: participants write, curators and heads read. */
export function relayAccess(
	actor: Actor,
	program: Extract<Resource, { kind: 'program' }>
): 'rw' | 'ro' | null {
	if (can(actor, 'program.write', program)) return 'rw';
	if (can(actor, 'program.read', program)) return 'ro';
	return null;
}

/** Roles an actor may assign (and invite to) in an organization / municipality / globally. */
export function canAssignRole(actor: Actor, role: Role, scope: Resource): boolean {
	if (role === 'admin') return scope.kind === 'system' && has(actor, 'admin');
	if ((MUNICIPALITY_ROLES as readonly string[]).includes(role))
		return scope.kind === 'municipality' && can(actor, 'roles.manage', scope);
	return scope.kind === 'organization' && can(actor, 'roles.manage', scope);
}

/**
 * The person a sign-in link would make its redeemer: their roles, the organization of their
 * registry record, and the organizations of the programs they take part in.
 */
export interface SignInTarget {
	personId: string;
	roles: readonly RoleGrant[];
	organizationId: string | null;
	programOrganizations: readonly string[];
}

/**
 * Whether `issuer` may ask for a sign-in link (an invitation of any kind) for `target`. A link
 * gives whoever holds it a session as the target, so it is a way to act as them: only for people
 * whose every right lies inside the issuer's own. An administrator may act for everyone; a
 * curator for the mentors, mentees and role-less people of the organizations they curate (and
 * for themselves) — never for anyone with a right elsewhere or wider (a curator or head, a
 * coordinator, an administrator, a mentor of another school); nobody else for anyone. Checked
 * when the link is issued and again when it is redeemed (docs/identity.md).
 */
export function mayIssueSignIn(issuer: Actor, target: SignInTarget): boolean {
	if (has(issuer, 'admin')) return true;
	const curated = new Set(
		issuer.roles
			.filter((g) => g.role === 'curator' && g.organizationId !== null)
			.map((g) => g.organizationId as string)
	);
	if (curated.size === 0) return false;
	if (target.personId === issuer.personId) return true;
	const inside = (org: string | null) => org !== null && curated.has(org);
	const onlyParticipant = target.roles.every(
		(g) => (g.role === 'mentor' || g.role === 'mentee') && inside(g.organizationId)
	);
	if (!onlyParticipant) return false;
	if (!target.programOrganizations.every(inside)) return false;
	// A role-less person (or one whose record is elsewhere) belongs to the curator through a role here.
	return inside(target.organizationId) || target.roles.length > 0;
}
