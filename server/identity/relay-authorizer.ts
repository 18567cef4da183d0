import type { IncomingMessage } from 'node:http';
import { isDenied, type Authorizer } from '../auth/authorize.js';
import type { IdentityService } from './service.js';

export const SESSION_COOKIE = 'nst_session';

/** Reads one cookie from a raw Cookie header (no dependency on Fastify for the relay). */
export function readCookie(header: string | string[] | undefined, name: string): string | null {
	const raw = Array.isArray(header) ? header.join('; ') : (header ?? '');
	for (const part of raw.split(';')) {
		const eq = part.indexOf('=');
		if (eq === -1) continue;
		if (part.slice(0, eq).trim() === name) {
			try {
				return decodeURIComponent(part.slice(eq + 1).trim());
			} catch {
				return null;
			}
		}
	}
	return null;
}

/**
 * Same-origin check for cookie-authenticated websocket upgrades (cross-site websocket hijacking:
 * browsers send cookies on cross-origin websocket upgrades). Non-browser clients send no Origin.
 */
export function sameOrigin(request: IncomingMessage): boolean {
	const origin = request.headers.origin;
	if (origin === undefined) return true;
	const host = request.headers['x-forwarded-host'] ?? request.headers.host;
	try {
		return new URL(origin).host === (Array.isArray(host) ? host[0] : host);
	} catch {
		return false;
	}
}

/**
 * Relay authorizer for the session cookie (`nst_session`), same origin only. Answers
 * 'unauthenticated' when there is no usable cookie so that `chainAuthorizers` tries the next one.
 * The grant expires with the session; revocation closes the connection at once (app.ts wires
 * `identity.events.onSessionRevoked` to `relay.closeWhere`).
 */
export function createSessionCookieAuthorizer(identity: IdentityService): Authorizer {
	return async (request, programId) => {
		const token = readCookie(request.headers.cookie, SESSION_COOKIE);
		if (token === null) return { deny: 'unauthenticated' };
		if (!sameOrigin(request)) {
			identity.logDenial(null, 'relay.connect', programId, 'cross-origin upgrade with a cookie');
			return { deny: 'unauthenticated' };
		}
		const principal = await identity.authenticate(token);
		if (!principal) return { deny: 'unauthenticated' };
		const grant = await identity.relayGrant(principal.actor, programId);
		if ('deny' in grant) {
			identity.logDenial(principal.actor.personId, 'relay.connect', programId, grant.deny);
			return grant;
		}
		return {
			userId: principal.actor.personId,
			access: grant.access,
			expiresAt: principal.session.expiresAt,
			sessionId: principal.session.id
		};
	};
}

/**
 * Wraps the relay's token authorizer: every token is held to what is true now, at each use.
 * - `sid` (minted from a session): only while that session is live;
 * - `jti` (a recorded standalone token, docs/access-tokens.md): only while its record is live
 *   (not revoked, not expired, same person and program);
 * - whenever the token's user is a person in the registry: only while they are active, and never
 *   more than the policy grants them now (a participant removed since is refused, rw becomes ro
 *   for a reader).
 * A token whose user is no person (an integration's id, minted with the server secret) without
 * `jti` passes as the inner authorizer decides; it can only be revoked by rotating the secret.
 */
export function requireLiveSession(inner: Authorizer, identity: IdentityService): Authorizer {
	return async (request, programId) => {
		const result = await inner(request, programId);
		if (isDenied(result)) return result;
		const refuse = (reason: string): { deny: 'unauthenticated' } => {
			identity.logDenial(result.userId, 'relay.connect', programId, reason);
			return { deny: 'unauthenticated' };
		};
		let expiresAt = result.expiresAt;
		if (result.sessionId !== undefined) {
			const session = await identity.activeSession(result.sessionId);
			if (!session || session.personId !== result.userId)
				return refuse('session of the token is gone');
			expiresAt = Math.min(expiresAt, session.expiresAt);
		}
		if (result.tokenId !== undefined) {
			const record = await identity.store.accessTokens.get(result.tokenId);
			if (
				!record ||
				record.revokedAt !== null ||
				record.expiresAt <= identity.now() ||
				record.personId !== result.userId ||
				record.programId !== programId
			)
				return refuse('access token revoked or unknown');
		}
		const person = await identity.store.people.get(result.userId);
		if (!person) return { ...result, expiresAt };
		if (!person.active) return refuse('person excluded');
		const grant = await identity.relayGrant(await identity.actorFor(person.id), programId);
		if ('deny' in grant) {
			identity.logDenial(result.userId, 'relay.connect', programId, grant.deny);
			return grant;
		}
		return {
			...result,
			access: result.access === 'ro' || grant.access === 'ro' ? 'ro' : 'rw',
			expiresAt
		};
	};
}
