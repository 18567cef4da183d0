/**
 * The curator's access tools (docs/identity.md, "Re-issuing access"): a new sign-in link for a
 * person whose phone lost its session or who adds a device, the same for a whole school at once
 * (the printable QR sheet), and who has opened an invitation. Every link goes through
 * `createInvitation`, so the one policy decides (`mayIssueSignIn`: a curator only for mentors,
 * mentees and role-less people of an organization they curate); nothing here widens it.
 *
 * A new link never touches the person's data, sessions or programs. It revokes the person's
 * earlier **unused plain sign-in links** (no role, no program: the same purpose — signing in as
 * them), so only the newest link in circulation works; links that grant a role or a place in a
 * program are left alone (the curator revokes those one by one).
 */
import { byRussian } from '../../src/lib/shared/names.js';
import type { Invitation } from './model.js';
import type { Actor } from './policy.js';
import { invitationStatus } from './rules.js';
import { IdentityError, notFound } from './errors.js';
import type { IdentityService } from './service.js';

export interface IssuedSignIn {
	invitation: Invitation;
	url: string;
	/** Earlier unused plain sign-in links of the person revoked by this one. */
	revoked: number;
}

/** A new plain sign-in link for `personId`; earlier unused plain sign-in links are revoked. */
export async function reissueSignIn(
	identity: IdentityService,
	actor: Actor,
	personId: string,
	origin: string | undefined,
	ttlMs?: number
): Promise<IssuedSignIn> {
	const { invitation, url } = await identity.createInvitation(
		actor,
		{ personId, ...(ttlMs !== undefined ? { ttlMs } : {}) },
		origin
	);
	const now = identity.now();
	let revoked = 0;
	for (const inv of await identity.store.invitations.listByPerson(personId)) {
		if (inv.id === invitation.id || inv.role !== null || inv.programId !== null) continue;
		if (invitationStatus(inv, now) !== 'active') continue;
		if (!(await identity.store.invitations.revoke(inv.id, actor.personId, now))) continue;
		revoked++;
		await identity.policy.audit(actor, {
			action: 'invitation.revoke',
			entityType: 'invitation',
			entityId: inv.id,
			organizationId: inv.organizationId,
			municipalityId: inv.municipalityId,
			details: { personId, replacedBy: invitation.id }
		});
	}
	return { invitation, url, revoked };
}

/** When a person first and last opened an invitation or signed in (sessions), or null. */
export async function accessOpened(
	identity: IdentityService,
	personId: string
): Promise<{ firstAt: number; lastAt: number } | null> {
	const sessions = await identity.store.sessions.listForPerson(personId);
	if (sessions.length === 0) return null;
	return {
		firstAt: Math.min(...sessions.map((s) => s.createdAt)),
		lastAt: Math.max(...sessions.map((s) => s.createdAt))
	};
}

export interface SheetEntry {
	personId: string;
	fullName: string;
	/** mentor / mentee / '' (what the person is in this organization's programs). */
	role: string;
	url: string;
	invitationId: string;
	expiresAt: number;
	revoked: number;
	openedAt: number | null;
}

export interface SheetSkip {
	personId: string;
	fullName: string;
	/** Russian, for the curator. */
	reason: string;
}

/**
 * Sign-in links for many people of one organization (the printable sheet). The actor must manage
 * the organization's people (else 403 / 404 for the whole request, nothing issued). Without
 * `personIds`: every active mentor and mentee of the organization's programs; `onlyNotOpened`
 * keeps those who never opened an invitation. People the policy does not let the actor issue a
 * link for are skipped with a reason, not an error.
 */
export async function issueSheet(
	identity: IdentityService,
	actor: Actor,
	organizationId: string,
	options: { personIds?: string[]; onlyNotOpened?: boolean; ttlMs?: number },
	origin: string | undefined
): Promise<{ entries: SheetEntry[]; skipped: SheetSkip[] }> {
	const found = await identity.registry.orgResource(organizationId);
	if (!found) throw notFound();
	identity.policy.check(actor, 'people.write', found.res);
	const people = await identity.registry.listPeople(actor, organizationId);
	const byId = new Map(people.map((p) => [p.id, p]));
	// What each person is in the organization's programs (mentor wins over mentee).
	const roleOf = new Map<string, string>();
	for (const program of await identity.store.programs.listByOrganization(organizationId)) {
		for (const p of program.participants)
			if (p.role === 'mentor' || !roleOf.has(p.personId)) roleOf.set(p.personId, p.role);
	}
	const wanted = options.personIds ?? [...roleOf.keys()];
	const entries: SheetEntry[] = [];
	const skipped: SheetSkip[] = [];
	for (const personId of [...new Set(wanted)]) {
		const person = byId.get(personId);
		if (!person) {
			skipped.push({ personId, fullName: '', reason: 'Нет в банке этой организации' });
			continue;
		}
		if (!person.active) {
			skipped.push({ personId, fullName: person.fullName, reason: 'Исключен из реестра' });
			continue;
		}
		const opened = await accessOpened(identity, personId);
		if (options.onlyNotOpened && opened) continue;
		try {
			const issued = await reissueSignIn(identity, actor, personId, origin, options.ttlMs);
			entries.push({
				personId,
				fullName: person.fullName,
				role: roleOf.get(personId) ?? '',
				url: issued.url,
				invitationId: issued.invitation.id,
				expiresAt: issued.invitation.expiresAt,
				revoked: issued.revoked,
				openedAt: opened?.firstAt ?? null
			});
		} catch (e) {
			if (!(e instanceof IdentityError) || e.status >= 500) throw e;
			skipped.push({ personId, fullName: person.fullName, reason: e.messageRu });
		}
	}
	entries.sort((a, b) => byRussian(a.fullName, b.fullName));
	return { entries, skipped };
}
