/**
 * Standalone relay access tokens (docs/access-tokens.md, "Recorded tokens"): minted by an
 * operator (`npm run cli -- token`), each with an id (`jti`) recorded in access_tokens, so that
 * they can be listed and revoked, and checked at every use against the person's current rights
 * (server/identity/relay-authorizer.ts). Tokens minted from a device session carry `sid` instead
 * and die with their session.
 */
import { mintAccessToken, type Access } from '../auth/tokens.js';
import { conflict, notFound } from './errors.js';
import type { IdentityEvents } from './events.js';
import type { Guard } from './guard.js';
import { relayAccess, type Actor } from './policy.js';
import type { IdentityRegistry } from './registry.js';
import { newId } from './secrets.js';
import type { IdentityStore } from './store.js';
import type { AccessTokenRecord } from './token-store.js';

export const MAX_ACCESS_TOKEN_TTL_MS = 366 * 24 * 60 * 60 * 1000;

export interface MintInput {
	personId: string;
	programId: string;
	access: Access;
	ttlMs: number;
}

export class AccessTokens {
	constructor(
		private readonly store: IdentityStore,
		private readonly registry: IdentityRegistry,
		private readonly guard: Guard,
		private readonly events: IdentityEvents,
		private readonly secret: string,
		private readonly now: () => number
	) {}

	/**
	 * Mints and records a token (administrators: the CLI). For a person in the registry the
	 * access is capped by what the policy grants now; a person without access gets none. A user
	 * id that is no person (an integration) gets what the operator asked, also on a program the
	 * registry does not know (a relay-only program; the CLI checks that it exists).
	 */
	async mint(
		actor: Actor,
		input: MintInput
	): Promise<{ id: string; token: string; access: Access; expiresAt: number }> {
		this.guard.check(actor, 'municipality.create', { kind: 'system' });
		const program = await this.registry.programResource(input.programId);
		let access = input.access;
		const person = await this.store.people.get(input.personId);
		if (person) {
			if (!program) throw notFound();
			const allowed = person.active
				? relayAccess(await this.registry.actorFor(person.id), program)
				: null;
			if (allowed === null)
				throw conflict('no_access', 'У этого человека нет доступа к этой программе');
			if (allowed === 'ro') access = 'ro';
		}
		const now = this.now();
		const record: AccessTokenRecord = {
			id: newId(),
			personId: input.personId,
			programId: input.programId,
			access,
			createdBy: actor.personId,
			createdAt: now,
			expiresAt: now + Math.min(Math.max(input.ttlMs, 60_000), MAX_ACCESS_TOKEN_TTL_MS),
			revokedAt: null,
			revokedBy: null,
			revokedReason: null
		};
		await this.store.accessTokens.create(record);
		await this.guard.audit(actor, {
			action: 'access-token.create',
			entityType: 'access-token',
			entityId: record.id,
			organizationId: program?.organizationId ?? null,
			municipalityId: program?.municipalityId ?? null,
			details: {
				personId: record.personId,
				programId: record.programId,
				access,
				expiresAt: record.expiresAt
			}
		});
		const token = mintAccessToken(this.secret, {
			userId: record.personId,
			programId: record.programId,
			access,
			expiresAt: record.expiresAt,
			tokenId: record.id
		});
		return { id: record.id, token, access, expiresAt: record.expiresAt };
	}

	/** A person's recorded tokens: themselves, their curator, an administrator (like sessions). */
	async list(actor: Actor, personId: string): Promise<AccessTokenRecord[]> {
		await this.checkPerson(actor, personId, 'sessions.read');
		return this.store.accessTokens.listForPerson(personId);
	}

	/** Every recorded token (the CLI's `tokens` without --person): administrators. */
	async listAll(actor: Actor, personIds: string[]): Promise<AccessTokenRecord[]> {
		this.guard.check(actor, 'municipality.create', { kind: 'system' });
		const out: AccessTokenRecord[] = [];
		for (const id of personIds) out.push(...(await this.store.accessTokens.listForPerson(id)));
		return out;
	}

	async revoke(actor: Actor, tokenId: string, reason = 'revoked'): Promise<void> {
		const record = await this.store.accessTokens.get(tokenId);
		if (!record) throw notFound();
		await this.checkPerson(actor, record.personId, 'sessions.revoke');
		if (!(await this.store.accessTokens.revoke(tokenId, actor.personId, reason, this.now())))
			return;
		const program = await this.registry.programResource(record.programId);
		await this.guard.audit(actor, {
			action: 'access-token.revoke',
			entityType: 'access-token',
			entityId: tokenId,
			organizationId: program?.organizationId ?? null,
			municipalityId: program?.municipalityId ?? null,
			details: { personId: record.personId, programId: record.programId }
		});
		this.events.emitTokenRevoked({ tokenId, personId: record.personId });
	}

	private async checkPerson(
		actor: Actor,
		personId: string,
		action: 'sessions.read' | 'sessions.revoke'
	): Promise<void> {
		const person = await this.store.people.get(personId);
		if (person) this.guard.check(actor, action, await this.registry.personResource(person));
		// An integration's user id: only administrators.
		else this.guard.check(actor, 'municipality.create', { kind: 'system' });
	}
}
