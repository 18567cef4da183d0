/**
 * Identity's entry point: the registry (records: scopes, people, consents, roles), access
 * (invitations, sessions, passwords, sign-in, relay grants and tokens), monitoring scopes and the
 * guard (the policy check, denial logging and the audit log), built together over one IdentityStore. The HTTP API,
 * the relay authorizer, the CLI and the programs / curator modules use this object; its methods
 * are the registry's and access's own (bound), so callers need not know which half answers.
 */
import type { Logger } from '../logger.js';
import { IdentityAccess, SESSION_TTL_MS } from './access.js';
import { AccessTokens } from './access-tokens.js';
import { AccessLifecycle } from './lifecycle.js';
import { IdentityEvents } from './events.js';
import { Guard } from './guard.js';
import type { Action, Actor, Resource } from './policy.js';
import { endAccess } from './end-access.js';
import { IdentityRegistry } from './registry.js';
import { MonitoringScopes } from './scopes.js';
import { ManagementReserve } from './reserve.js';
import type { IdentityStore } from './store.js';

export {
	ACCESS_TOKEN_TTL_MS,
	INVITATION_TTL_MS,
	MAX_INVITATION_TTL_MS,
	SESSION_TTL_MS,
	type IssuedSession,
	type Principal
} from './access.js';
export {
	ageOn,
	CONSENT_REQUIRED_RU,
	invitationStatus,
	isMinor,
	isUnder35,
	isValidIsoDate,
	SYSTEM_ACTOR,
	toResource,
	type ConsentInput,
	type InvitationInput,
	type PersonPatch,
	type ProgramResource
} from './rules.js';

export interface IdentityOptions {
	store: IdentityStore;
	/** The server secret (server/auth/secret.ts) for relay access tokens. Never logged. */
	secret: string;
	logger: Logger;
	/** Origin of invitation links when PUBLIC_URL is set. */
	publicUrl?: string | null;
	now?: () => number;
	sessionTtlMs?: number;
}

export class IdentityService {
	readonly store: IdentityStore;
	readonly events = new IdentityEvents();
	readonly now: () => number;
	readonly sessionTtlMs: number;
	/** Check, write, audit (server/identity/guard.ts). */
	readonly policy: Guard;
	readonly registry: IdentityRegistry;
	readonly access: IdentityAccess;
	/** The one scope check of monitoring queries (server/identity/scopes.ts). */
	readonly scopes: MonitoringScopes;
	/** Recorded standalone relay access tokens (server/identity/access-tokens.ts). */
	readonly tokens: AccessTokens;
	/** Where access ends: links, sessions, tokens, live connections (server/identity/lifecycle.ts). */
	readonly lifecycle: AccessLifecycle;
	/** The management reserve registry (server/identity/reserve.ts). */
	readonly reserve: ManagementReserve;

	constructor(options: IdentityOptions) {
		this.store = options.store;
		this.now = options.now ?? Date.now;
		this.sessionTtlMs = options.sessionTtlMs ?? SESSION_TTL_MS;
		const log = options.logger.child({ component: 'identity' });
		this.policy = new Guard(this.store.audit, log, this.now);
		this.registry = new IdentityRegistry(this.store, this.policy, this.events, this.now);
		this.access = new IdentityAccess({
			store: this.store,
			registry: this.registry,
			guard: this.policy,
			events: this.events,
			secret: options.secret,
			publicUrl: options.publicUrl ?? null,
			now: this.now,
			sessionTtlMs: this.sessionTtlMs
		});
		this.scopes = new MonitoringScopes(this.store, this.registry, this.policy);
		this.reserve = new ManagementReserve(
			this.store.sql,
			this.store,
			this.registry,
			this.policy,
			this.now
		);
		this.tokens = new AccessTokens(
			this.store,
			this.registry,
			this.policy,
			this.events,
			options.secret,
			this.now
		);
		this.lifecycle = new AccessLifecycle(
			this.store,
			this.access,
			this.policy,
			this.events,
			this.now
		);
		// Excluding a person from the registry or removing a role ends their access at once.
		this.registry.onDeactivated = async (actor, personId) =>
			void (await this.lifecycle.endAccess(personId, 'deactivated', { actor }));
		this.registry.onRoleRemoved = async (actor, personId) =>
			void (await this.lifecycle.endAccess(personId, 'role-removed', { actor }));
		// A withdrawn consent ends what it covered (server/identity/end-access.ts).
		this.registry.onAccessEnded = (actor, personId, what) =>
			endAccess(
				{
					store: this.store,
					events: this.events,
					// Links, sessions, tokens and live connections: the one end of access (lifecycle.ts).
					revokeSessions: async (a, id) =>
						void (await this.lifecycle.endAccess(id, 'consent-withdrawn', { actor: a })),
					now: this.now
				},
				actor,
				personId,
				what
			);
	}

	/** The policy check (404 / 403 with a logged denial); see Guard.check. */
	guard(actor: Actor, action: Action, resource: Resource): void {
		this.policy.check(actor, action, resource);
	}

	logDenial(actorId: string | null, action: string, resourceId: string, reason: string): void {
		this.policy.logDenial(actorId, action, resourceId, reason);
	}

	// Registry: records.
	readonly actorFor: IdentityRegistry['actorFor'] = (...a) => this.registry.actorFor(...a);
	readonly programResource: IdentityRegistry['programResource'] = (...a) =>
		this.registry.programResource(...a);
	readonly createMunicipality: IdentityRegistry['createMunicipality'] = (...a) =>
		this.registry.createMunicipality(...a);
	readonly createOrganization: IdentityRegistry['createOrganization'] = (...a) =>
		this.registry.createOrganization(...a);
	readonly listMunicipalities: IdentityRegistry['listMunicipalities'] = (...a) =>
		this.registry.listMunicipalities(...a);
	readonly getMunicipality: IdentityRegistry['getMunicipality'] = (...a) =>
		this.registry.getMunicipality(...a);
	readonly listOrganizations: IdentityRegistry['listOrganizations'] = (...a) =>
		this.registry.listOrganizations(...a);
	readonly getOrganization: IdentityRegistry['getOrganization'] = (...a) =>
		this.registry.getOrganization(...a);
	readonly organizationTimeZone: IdentityRegistry['organizationTimeZone'] = (...a) =>
		this.registry.organizationTimeZone(...a);
	readonly setOrganizationTimeZone: IdentityRegistry['setOrganizationTimeZone'] = (...a) =>
		this.registry.setOrganizationTimeZone(...a);
	readonly setOrganizationAttributes: IdentityRegistry['setOrganizationAttributes'] = (...a) =>
		this.registry.setOrganizationAttributes(...a);
	readonly setMunicipalityTimeZone: IdentityRegistry['setMunicipalityTimeZone'] = (...a) =>
		this.registry.setMunicipalityTimeZone(...a);
	readonly createPerson: IdentityRegistry['createPerson'] = (...a) =>
		this.registry.createPerson(...a);
	readonly checkPeopleWrite: IdentityRegistry['checkPeopleWrite'] = (...a) =>
		this.registry.checkPeopleWrite(...a);
	readonly getPerson: IdentityRegistry['getPerson'] = (...a) => this.registry.getPerson(...a);
	readonly updatePerson: IdentityRegistry['updatePerson'] = (...a) =>
		this.registry.updatePerson(...a);
	readonly listPeople: IdentityRegistry['listPeople'] = (...a) => this.registry.listPeople(...a);
	readonly listMunicipalityPeople: IdentityRegistry['listMunicipalityPeople'] = (...a) =>
		this.registry.listMunicipalityPeople(...a);
	readonly recordConsent: IdentityRegistry['recordConsent'] = (...a) =>
		this.registry.recordConsent(...a);
	readonly listConsents: IdentityRegistry['listConsents'] = (...a) =>
		this.registry.listConsents(...a);
	readonly revokeConsent: IdentityRegistry['revokeConsent'] = (...a) =>
		this.registry.revokeConsent(...a);
	readonly ensureMayParticipate: IdentityRegistry['ensureMayParticipate'] = (...a) =>
		this.registry.ensureMayParticipate(...a);
	readonly assignRole: IdentityRegistry['assignRole'] = (...a) => this.registry.assignRole(...a);
	readonly listRoles: IdentityRegistry['listRoles'] = (...a) => this.registry.listRoles(...a);
	readonly removeRole: IdentityRegistry['removeRole'] = (...a) => this.registry.removeRole(...a);
	readonly listAudit: IdentityRegistry['listAudit'] = (...a) => this.registry.listAudit(...a);

	// Access: invitations, sessions, passwords, relay.
	readonly invitationUrl: IdentityAccess['invitationUrl'] = (...a) =>
		this.access.invitationUrl(...a);
	readonly createInvitation: IdentityAccess['createInvitation'] = (...a) =>
		this.access.createInvitation(...a);
	readonly listInvitations: IdentityAccess['listInvitations'] = (...a) =>
		this.access.listInvitations(...a);
	readonly revokeInvitation: IdentityAccess['revokeInvitation'] = (...a) =>
		this.access.revokeInvitation(...a);
	readonly redeemInvitation: IdentityAccess['redeemInvitation'] = (...a) =>
		this.access.redeemInvitation(...a);
	readonly setPassword: IdentityAccess['setPassword'] = (...a) => this.access.setPassword(...a);
	readonly loginWithPassword: IdentityAccess['loginWithPassword'] = (...a) =>
		this.access.loginWithPassword(...a);
	readonly authenticate: IdentityAccess['authenticate'] = (...a) => this.access.authenticate(...a);
	readonly activeSession: IdentityAccess['activeSession'] = (...a) =>
		this.access.activeSession(...a);
	readonly listSessions: IdentityAccess['listSessions'] = (...a) => this.access.listSessions(...a);
	readonly revokeSession: IdentityAccess['revokeSession'] = (...a) =>
		this.access.revokeSession(...a);
	readonly logout: IdentityAccess['logout'] = (...a) => this.access.logout(...a);
	readonly requireActor: IdentityAccess['requireActor'] = (...a) => this.access.requireActor(...a);
	readonly relayGrant: IdentityAccess['relayGrant'] = (...a) => this.access.relayGrant(...a);
	readonly programAccessToken: IdentityAccess['programAccessToken'] = (...a) =>
		this.access.programAccessToken(...a);

	// Recorded access tokens and the end of access.
	readonly mintAccessToken: AccessTokens['mint'] = (...a) => this.tokens.mint(...a);
	readonly listAccessTokens: AccessTokens['list'] = (...a) => this.tokens.list(...a);
	readonly revokeAccessToken: AccessTokens['revoke'] = (...a) => this.tokens.revoke(...a);
	/**
	 * Ends a person's access at once: pending links, sessions, access tokens, live connections on
	 * every instance (server/identity/lifecycle.ts). For other modules: consent withdrawal, roles.
	 */
	readonly endAccess: AccessLifecycle['endAccess'] = (...a) => this.lifecycle.endAccess(...a);
}
