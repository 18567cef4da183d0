/**
 * Monitoring scopes: which organizations a curator's, head's or coordinator's query may read.
 * `scopeOf` is the one scope check (the policy's 'organization.monitor' / 'municipality.monitor'
 * or 'people.read'); every curator query over curator_program_index and the registry tables is
 * filtered by the organizations it returns (server/curator).
 */
import { DEFAULT_TIME_ZONE } from '../../src/lib/shared/time.js';
import type { Guard } from './guard.js';
import { can, type Actor } from './policy.js';
import type { IdentityRegistry } from './registry.js';
import type { IdentityStore } from './store.js';
import type { Organization } from './model.js';

/** A scope the policy allowed: its organizations filter every query of the curator. */
export interface CheckedScope {
	kind: 'organization' | 'municipality';
	id: string;
	name: string;
	municipalityId: string;
	organizationIds: string[];
	/** The organization's zone (own or its municipality's), or the municipality's: the scope's "today". */
	timeZone: string;
}

/** The municipality's action that stands for an organization's on a municipal scope. */
const MUNICIPAL_ACTION = {
	'organization.monitor': 'municipality.monitor',
	'organization.report': 'municipality.report',
	'people.read': 'people.read'
} as const;

export class MonitoringScopes {
	constructor(
		private readonly store: Pick<IdentityStore, 'scopes'>,
		private readonly registry: Pick<IdentityRegistry, 'orgResource' | 'organizationTimeZone'>,
		private readonly guard: Guard
	) {}

	private orgResource(id: string) {
		return this.registry.orgResource(id);
	}

	/**
	 * The organizations behind a monitored scope, after the policy allowed `action` on it: the
	 * one scope check the curator's dashboards, figures and exports go through. Null = no such
	 * scope (the caller answers 404 with its own message).
	 */
	async scopeOf(
		actor: Actor,
		ref: { kind: 'organization' | 'municipality'; id: string },
		action: 'organization.monitor' | 'people.read' | 'organization.report'
	): Promise<CheckedScope | null> {
		if (ref.kind === 'organization') {
			const found = await this.orgResource(ref.id);
			if (!found) return null;
			this.guard.check(actor, action, found.res);
			return {
				kind: 'organization',
				id: found.org.id,
				name: found.org.name,
				municipalityId: found.org.municipalityId,
				organizationIds: [found.org.id],
				timeZone: await this.registry.organizationTimeZone(found.org.id)
			};
		}
		const mun = await this.store.scopes.getMunicipality(ref.id);
		if (!mun) return null;
		this.guard.check(actor, MUNICIPAL_ACTION[action], { kind: 'municipality', id: mun.id });
		const orgs = await this.store.scopes.listOrganizations(mun.id);
		return {
			kind: 'municipality',
			id: mun.id,
			name: mun.name,
			municipalityId: mun.id,
			organizationIds: orgs.map((o) => o.id),
			timeZone: mun.timeZone ?? DEFAULT_TIME_ZONE
		};
	}

	/**
	 * Whether the policy allows `action` on a scope already checked for monitoring (the screens'
	 * «may write» without a denial logged): 'organization.report' — write and hand in its
	 * documents; 'municipality.calendar' — configure the municipality's calendar.
	 */
	async allows(
		actor: Actor,
		scope: Pick<CheckedScope, 'kind' | 'id' | 'municipalityId'>,
		action: 'organization.report' | 'municipality.calendar'
	): Promise<boolean> {
		if (action === 'municipality.calendar')
			return can(actor, action, { kind: 'municipality', id: scope.municipalityId });
		if (scope.kind === 'municipality')
			return can(actor, 'municipality.report', { kind: 'municipality', id: scope.id });
		const found = await this.orgResource(scope.id);
		return found ? can(actor, action, found.res) : false;
	}

	/** The municipality's calendar may be changed by this actor: else the guard's 403 / 404. */
	checkCalendar(actor: Actor, municipalityId: string): void {
		this.guard.check(actor, 'municipality.calendar', { kind: 'municipality', id: municipalityId });
	}

	/** Organizations and municipalities the actor monitors (curator / head / coordinator roles). */
	async monitoredScopes(
		actor: Actor
	): Promise<
		Array<{ kind: 'organization' | 'municipality'; id: string; name: string; role: string }>
	> {
		const out: Array<{
			kind: 'organization' | 'municipality';
			id: string;
			name: string;
			role: string;
		}> = [];
		const seen = new Set<string>();
		for (const g of actor.roles) {
			if (
				(g.role === 'curator' || g.role === 'head') &&
				g.organizationId &&
				!seen.has(g.organizationId)
			) {
				const org = await this.store.scopes.getOrganization(g.organizationId);
				if (org) {
					seen.add(org.id);
					out.push({ kind: 'organization', id: org.id, name: org.name, role: g.role });
				}
			}
			const municipal =
				g.role === 'coordinator' || g.role === 'municipal-curator' || g.role === 'department-head';
			if (
				municipal &&
				g.organizationId === null &&
				g.municipalityId &&
				!seen.has(g.municipalityId)
			) {
				const mun = await this.store.scopes.getMunicipality(g.municipalityId);
				if (mun) {
					seen.add(mun.id);
					out.push({ kind: 'municipality', id: mun.id, name: mun.name, role: g.role });
				}
			}
		}
		return out;
	}

	/** Names of organizations (labels in exports); names are not secret within a scope. */
	async organizationNames(): Promise<Map<string, string>> {
		return new Map((await this.store.scopes.listOrganizations()).map((o) => [o.id, o.name]));
	}

	/** The scope's organizations with their attributes (kind, ШНОР / ШССУ), by name. */
	async organizationsIn(organizationIds: string[]): Promise<Organization[]> {
		const ids = new Set(organizationIds);
		return (await this.store.scopes.listOrganizations()).filter((o) => ids.has(o.id));
	}

	/** An organization's name (labels: the program view, exports) once its program was checked. */
	async organizationName(id: string): Promise<string | null> {
		return (await this.store.scopes.getOrganization(id))?.name ?? null;
	}
}
