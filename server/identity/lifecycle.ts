/**
 * Access that does not outlive its reason (docs/identity.md, "When access ends"). `endAccess` is
 * the one place where a person's access ends: their pending links, device sessions and recorded
 * access tokens are revoked in the database first, then their live relay connections are closed
 * on every instance (the relay closes with 1012: the client reconnects and is asked again, so a
 * device still entitled to something is never told to give up; what is dead is refused at the
 * upgrade). Called when a role is removed, a participant is removed from a program, a person is
 * excluded from the registry (deactivated), and by other modules (e.g. consent withdrawal).
 */
import type { IdentityAccess } from './access.js';
import type { IdentityEvents } from './events.js';
import type { Guard } from './guard.js';
import type { Actor } from './policy.js';
import { notFound } from './errors.js';
import { invitationStatus, SYSTEM_ACTOR } from './rules.js';
import type { IdentityStore } from './store.js';

export type EndReason =
	'role-removed' | 'participant-removed' | 'deactivated' | 'excluded' | 'consent-withdrawn';

export interface EndAccessOptions {
	/** Who ended it (for the audit log); the system by default. */
	actor?: Actor;
	/** The program the reason concerns (participant removed), for the audit log. */
	programId?: string;
}

export interface EndedAccess {
	invitations: number;
	sessions: number;
	tokens: number;
}

export class AccessLifecycle {
	constructor(
		private readonly store: IdentityStore,
		private readonly access: IdentityAccess,
		private readonly guard: Guard,
		private readonly events: IdentityEvents,
		private readonly now: () => number
	) {}

	/**
	 * Ends one device of a person (the curator's device list, «Отозвать доступ»): that session only
	 * — the person's other devices, links, programs and data stay. The caller must hold
	 * `sessions.revoke` on the person (their curator, an administrator, the person). The device's
	 * live connections close with 1012, non-final (events.ts, sessionCloseCode): it reconnects, is
	 * refused at the upgrade and says in Russian that access from it was revoked, keeping its
	 * local edits for the next sign-in.
	 */
	async endDevice(actor: Actor, personId: string, sessionId: string): Promise<void> {
		const s = await this.store.sessions.get(sessionId);
		// Another person's session under this person's URL: as if it did not exist.
		if (!s || s.personId !== personId) throw notFound();
		await this.access.revokeSession(actor, sessionId);
	}

	async endAccess(
		personId: string,
		reason: EndReason,
		options: EndAccessOptions = {}
	): Promise<EndedAccess> {
		const actor = options.actor ?? SYSTEM_ACTOR;
		const now = this.now();
		const ended: EndedAccess = { invitations: 0, sessions: 0, tokens: 0 };
		// 1. Pending links: none of them may sign the person in or re-add them anywhere.
		for (const inv of await this.store.invitations.listByPerson(personId)) {
			if (invitationStatus(inv, now) !== 'active') continue;
			if (await this.store.invitations.revoke(inv.id, actor.personId, now)) ended.invitations++;
		}
		// 2. Recorded access tokens.
		ended.tokens = (
			await this.store.accessTokens.revokeForPerson(personId, actor.personId, reason, now)
		).length;
		// 3. Device sessions (each audited); no per-session event: step 4 closes every connection.
		for (const s of await this.store.sessions.listForPerson(personId)) {
			if (s.revokedAt !== null || s.expiresAt <= now) continue;
			await this.access.revokeSessionRecord(actor, s, 'revoked', true);
			ended.sessions++;
		}
		const person = await this.store.people.get(personId);
		await this.guard.audit(actor, {
			action: 'access.end',
			entityType: 'person',
			entityId: personId,
			organizationId: person?.organizationId ?? null,
			municipalityId: person?.municipalityId ?? null,
			details: {
				reason,
				...(options.programId !== undefined ? { programId: options.programId } : {}),
				...ended
			}
		});
		// 4. Live connections, here and (through the cluster bridge) on every other instance.
		this.events.emitAccessChanged({ personId });
		return ended;
	}
}
