/**
 * "End this person's access" — the one function a withdrawn consent (and anything else that takes
 * a reason for access away) calls. Kept small on purpose: access.ts owns sessions and tokens, this
 * only decides WHAT ends and hands the sessions to it (`revokeSessions`).
 * - 'mentor': the mentor role everywhere, their places as mentor in programs, every unused link
 *   with role mentor (Tomsk 2024 §3.4: without the written consent there are no mentor duties);
 * - 'all': the person is excluded from the registry (no sign-in, no new links, cannot be added),
 *   their sessions are revoked and every unused link too.
 * Live connections re-authorize at once (events.emitAccessChanged → the relay closes them).
 */
import type { IdentityEvents } from './events.js';
import type { Actor } from './policy.js';
import type { IdentityStore } from './store.js';

export type AccessEnd = 'all' | 'mentor';

export interface EndAccessDeps {
	store: Pick<IdentityStore, 'people' | 'roles' | 'programs' | 'invitations'>;
	events: IdentityEvents;
	/** Revokes every session of the person (access.ts revokeAllSessions). */
	revokeSessions: (actor: Actor, personId: string) => Promise<void>;
	now: () => number;
}

export async function endAccess(
	deps: EndAccessDeps,
	actor: Actor,
	personId: string,
	what: AccessEnd
): Promise<void> {
	const { store, now } = deps;
	const at = now();
	for (const inv of await store.invitations.listByPerson(personId)) {
		if (inv.usedAt !== null || inv.revokedAt !== null || inv.expiresAt <= at) continue;
		if (what === 'all' || inv.role === 'mentor')
			await store.invitations.revoke(inv.id, actor.personId, at);
	}
	if (what === 'mentor') {
		for (const r of await store.roles.listForPerson(personId))
			if (r.role === 'mentor') await store.roles.remove(r.id);
		for (const p of await store.programs.listForPerson(personId))
			if (p.role === 'mentor') await store.programs.removeParticipant(p.id, personId);
	} else {
		const person = await store.people.get(personId);
		if (person?.active) await store.people.update({ ...person, active: false, updatedAt: at });
		await deps.revokeSessions(actor, personId);
	}
	deps.events.emitAccessChanged({ personId });
}
