/**
 * Identity's access side: invitations (one-time links), device sessions (cookies), passwords
 * for desktops, sign-in, and what the relay grants (grants and short-lived access tokens).
 * Records and the policy's view of them come from the registry; every write goes through the
 * guard (check, write, audit).
 */
import { mintAccessToken, type Access } from '../auth/tokens.js';
import { conflict, forbidden, IdentityError, notFound, unauthenticated } from './errors.js';
import type { IdentityEvents } from './events.js';
import type { Guard } from './guard.js';
import type { Invitation, Person, Session } from './model.js';
import {
	canSee,
	mayIssueSignIn,
	relayAccess,
	type Actor,
	type Role,
	type RoleGrant,
	type SignInTarget
} from './policy.js';
import type { IdentityRegistry } from './registry.js';
import { invalidField, invitationStatus, SYSTEM_ACTOR, type InvitationInput } from './rules.js';
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

export interface AccessOptions {
	store: IdentityStore;
	registry: IdentityRegistry;
	guard: Guard;
	events: IdentityEvents;
	/** The server secret (server/auth/secret.ts) for relay access tokens. Never logged. */
	secret: string;
	/** Origin of invitation links when PUBLIC_URL is set. */
	publicUrl: string | null;
	now: () => number;
	sessionTtlMs: number;
}

export class IdentityAccess {
	private readonly store: IdentityStore;
	private readonly registry: IdentityRegistry;
	private readonly guard: Guard;
	private readonly events: IdentityEvents;
	private readonly secret: string;
	private readonly publicUrl: string | null;
	private readonly now: () => number;
	readonly sessionTtlMs: number;

	constructor(o: AccessOptions) {
		this.store = o.store;
		this.registry = o.registry;
		this.guard = o.guard;
		this.events = o.events;
		this.secret = o.secret;
		this.publicUrl = o.publicUrl;
		this.now = o.now;
		this.sessionTtlMs = o.sessionTtlMs;
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
		const personRes = await this.registry.personResource(person);
		if (!canSee(actor, personRes)) this.guard.check(actor, 'person.read', personRes);
		let organizationId: string | null = null;
		let municipalityId: string | null = null;
		let programId: string | null = null;
		let role: Role | null = input.role ?? null;
		if (input.programId !== undefined) {
			const program = await this.registry.programResource(input.programId);
			if (!program) throw notFound();
			this.guard.check(actor, 'program.manage', program);
			const current = program.participants.find((p) => p.personId === person.id);
			if (role === null) role = current?.role ?? null;
			if (role !== 'mentor' && role !== 'mentee') {
				invalidField('В программу приглашают наставника или наставляемого');
			}
			if (!current) await this.registry.ensureMayParticipate(person);
			programId = program.id;
			organizationId = program.organizationId;
		} else if (role !== null) {
			const scope = await this.registry.roleScope(actor, role, {
				...(input.organizationId !== undefined ? { organizationId: input.organizationId } : {}),
				...(input.municipalityId !== undefined ? { municipalityId: input.municipalityId } : {})
			});
			organizationId = scope.organizationId;
			municipalityId = scope.municipalityId;
		} else {
			// A plain sign-in link for an existing account: whoever may revoke their sessions may send it.
			this.guard.check(actor, 'sessions.revoke', personRes);
			this.guard.check(actor, 'person.write', personRes);
			organizationId = person.organizationId;
			municipalityId = person.organizationId === null ? person.municipalityId : null;
		}
		const granted = role === null ? null : { role, organizationId, municipalityId };
		if (!mayIssueSignIn(actor, await this.signInTarget(person, granted))) {
			// A link is a session as its target: only for people whose rights lie inside the actor's.
			this.guard.logDenial(actor.personId, 'invitation.create', person.id, 'wider rights');
			throw new IdentityError(
				403,
				'forbidden',
				'Ссылку для входа куратор выдаёт только наставникам, наставляемым и сотрудникам без роли своей организации. У этого человека есть права шире ваших: ссылку ему выдаёт администратор.'
			);
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
		await this.guard.audit(actor, {
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
		const found = await this.registry.orgResource(organizationId);
		if (!found) throw notFound();
		this.guard.check(actor, 'roles.manage', found.res);
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
		await this.guard.audit(actor, {
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
			const program = await this.registry.programResource(inv.programId);
			if (!program) throw notFound();
			this.guard.check(actor, 'program.manage', program);
		} else if (inv.organizationId !== null) {
			const found = await this.registry.orgResource(inv.organizationId);
			if (!found) throw notFound();
			this.guard.check(actor, 'roles.manage', found.res);
		} else if (inv.municipalityId !== null) {
			this.guard.check(actor, 'roles.manage', { kind: 'municipality', id: inv.municipalityId });
		} else {
			this.guard.check(actor, 'municipality.create', { kind: 'system' });
		}
	}

	/**
	 * What a sign-in link for this person would let its redeemer do (policy.mayIssueSignIn): their
	 * rights now, plus the role the link itself grants (a link that makes someone a head is a
	 * head's session for whoever holds it).
	 */
	async signInTarget(person: Person, granted: RoleGrant | null = null): Promise<SignInTarget> {
		const actor = await this.registry.actorFor(person.id);
		const programs = await this.store.programs.listForPerson(person.id);
		return {
			personId: person.id,
			roles: granted ? [...actor.roles, granted] : actor.roles,
			organizationId: person.organizationId,
			programOrganizations: programs.map((p) => p.organizationId)
		};
	}

	/** Who issued an invitation, with their rights now; null when they are gone or excluded. */
	private async issuerOf(inv: Invitation): Promise<Actor | null> {
		if (inv.createdBy === null || inv.createdBy === SYSTEM_ACTOR.personId) return SYSTEM_ACTOR;
		const issuer = await this.store.people.get(inv.createdBy);
		if (!issuer?.active) return null;
		return this.registry.actorFor(issuer.id);
	}

	/**
	 * Exchanges a one-time code for a device session. The code is consumed atomically: of two
	 * devices racing with the same link exactly one gets a session. The issuer's right to the
	 * link is checked again (the target may have gained wider rights since, or the issuer lost
	 * theirs); `redeemer` is the session the request already carries: the issuer cannot redeem a
	 * link for someone else in their own browser.
	 */
	async redeemInvitation(
		code: unknown,
		deviceName: string,
		redeemer: Principal | null = null
	): Promise<IssuedSession> {
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
			this.guard.logDenial(
				inv?.personId ?? null,
				'invitation.redeem',
				inv?.id ?? '-',
				inv ? invitationStatus(inv, now) : 'unknown'
			);
			throw bad();
		}
		const person = await this.store.people.get(inv.personId);
		if (!person || !person.active) throw bad();
		if (
			redeemer !== null &&
			redeemer.actor.personId === inv.createdBy &&
			inv.personId !== inv.createdBy
		) {
			// Not consumed: the link stays good for the person it was made for.
			this.guard.logDenial(
				redeemer.actor.personId,
				'invitation.redeem',
				inv.id,
				"issuer's own browser"
			);
			throw new IdentityError(
				403,
				'invitation_for_someone_else',
				'Эта ссылка выдана для другого человека, а в этом браузере вы вошли под своей учётной записью. Передайте ссылку адресату: войти по ней сами вы не можете.'
			);
		}
		const issuer = await this.issuerOf(inv);
		const granted =
			inv.role === null
				? null
				: {
						role: inv.role,
						organizationId: inv.organizationId,
						municipalityId: inv.municipalityId
					};
		if (issuer === null || !mayIssueSignIn(issuer, await this.signInTarget(person, granted))) {
			this.guard.logDenial(
				inv.createdBy,
				'invitation.redeem',
				inv.id,
				'issuer may no longer act for the person'
			);
			await this.store.invitations.revoke(inv.id, SYSTEM_ACTOR.personId, now);
			throw bad();
		}
		const sessionId = newId();
		if (!(await this.store.invitations.consume(inv.id, sessionId, now))) {
			this.guard.logDenial(inv.personId, 'invitation.redeem', inv.id, 'race');
			throw bad();
		}
		await this.grantInvited(inv, person, now);
		return this.issueSession(person, deviceName, 'invitation', { invitationId: inv.id }, sessionId);
	}

	/** Grants what the invitation promised (idempotent), on behalf of whoever invited. */
	private async grantInvited(inv: Invitation, person: Person, now: number): Promise<void> {
		if (inv.programId !== null && (inv.role === 'mentor' || inv.role === 'mentee')) {
			const program = await this.store.programs.get(inv.programId);
			if (program && !program.participants.some((p) => p.personId === person.id)) {
				await this.registry.ensureMayParticipate(person);
				await this.store.programs.addParticipant(
					program.id,
					person.id,
					inv.role,
					inv.createdBy,
					now
				);
				await this.guard.audit(null, {
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
				await this.guard.audit(null, {
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
	}

	/** A new device session for a signed-in person, audited as 'session.create' by that person. */
	private async issueSession(
		person: Person,
		deviceName: string,
		method: Session['method'],
		details: Record<string, unknown>,
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
		await this.guard.audit(null, {
			actorId: person.id,
			action: 'session.create',
			entityType: 'session',
			entityId: session.id,
			organizationId: person.organizationId,
			municipalityId: person.municipalityId,
			details: { method, ...details, deviceName: session.deviceName }
		});
		return { token, session, person, actor: await this.registry.actorFor(person.id) };
	}

	// ------------------------------------------------------------------ password login (desktops)

	async setPassword(
		actor: Actor,
		personId: string,
		login: string,
		password: string
	): Promise<void> {
		const p = await this.store.people.get(personId);
		if (!p) throw notFound();
		if (actor.personId !== personId) {
			this.guard.check(actor, 'person.write', await this.registry.personResource(p));
			// A password someone else sets is a way in as that person: the sign-in link's rule.
			if (!mayIssueSignIn(actor, await this.signInTarget(p))) {
				this.guard.logDenial(actor.personId, 'credentials.set', personId, 'wider rights');
				throw forbidden();
			}
		}
		const target = await this.registry.actorFor(personId);
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
		await this.guard.audit(actor, {
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
		// Throttling is per client address and per account from an address, at the HTTP layer
		// (server/http/login-throttle.ts): a count per account alone let anyone lock a person out.
		const key = login.trim().toLowerCase();
		const wrong = () => new IdentityError(401, 'login_failed', 'Неверный логин или пароль');
		const cred = await this.store.credentials.findByLogin(key);
		const ok = await verifyPassword(password, cred?.passwordHash ?? DUMMY_PASSWORD_HASH);
		const person = cred ? await this.store.people.get(cred.personId) : null;
		if (!ok || !cred || !person || !person.active) {
			this.guard.logDenial(cred?.personId ?? null, 'login.password', '-', 'bad credentials');
			throw wrong();
		}
		return this.issueSession(person, deviceName, 'password', {});
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
		return { actor: await this.registry.actorFor(person.id), person, session, renewed };
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
		this.guard.check(actor, 'sessions.read', await this.registry.personResource(p));
		return this.store.sessions.listForPerson(personId);
	}

	async revokeSession(actor: Actor, sessionId: string): Promise<void> {
		const s = await this.store.sessions.get(sessionId);
		if (!s) throw notFound();
		const p = await this.store.people.get(s.personId);
		if (!p) throw notFound();
		this.guard.check(actor, 'sessions.revoke', await this.registry.personResource(p));
		await this.revokeSessionRecord(actor, s, 'revoked');
	}

	/** Every live session of a person (excluded from the registry). */
	async revokeAllSessions(actor: Actor, personId: string): Promise<void> {
		for (const s of await this.store.sessions.listForPerson(personId)) {
			if (s.revokedAt === null) await this.revokeSessionRecord(actor, s, 'revoked');
		}
	}

	async logout(principal: Principal): Promise<void> {
		await this.revokeSessionRecord(principal.actor, principal.session, 'logout');
	}

	/**
	 * `silent`: no session-revoked event (endAccess closes the person's connections itself, with a
	 * code their other devices reconnect on).
	 */
	async revokeSessionRecord(
		actor: Actor,
		s: Session,
		reason: 'revoked' | 'logout',
		silent = false
	): Promise<void> {
		if (!(await this.store.sessions.revoke(s.id, actor.personId, this.now()))) return;
		const p = await this.store.people.get(s.personId);
		await this.guard.audit(actor, {
			action: reason === 'logout' ? 'session.logout' : 'session.revoke',
			entityType: 'session',
			entityId: s.id,
			organizationId: p?.organizationId ?? null,
			municipalityId: p?.municipalityId ?? null,
			details: { personId: s.personId, deviceName: s.deviceName }
		});
		if (!silent) this.events.emitSessionRevoked({ sessionId: s.id, personId: s.personId, reason });
	}

	requireActor(principal: Principal | null): Principal {
		if (!principal) throw unauthenticated();
		return principal;
	}

	// ------------------------------------------------------------------ relay

	/** What the relay grants this actor on a program. */
	async relayGrant(
		actor: Actor,
		programId: string
	): Promise<{ access: Access } | { deny: 'not_found' | 'forbidden' }> {
		const res = await this.registry.programResource(programId);
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
		const res = await this.registry.programResource(programId);
		if (!res) throw notFound();
		const access = relayAccess(principal.actor, res);
		if (!access) {
			this.guard.check(principal.actor, 'program.read', res);
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
}
