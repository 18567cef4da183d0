import type { IncomingMessage } from 'node:http';
import type { DocumentStore } from '../storage/document-store.js';
import { deriveTokenKey, verifyAccessToken, type Access } from './tokens.js';

export interface ConnectionGrant {
	userId: string;
	access: Access;
	/** Unix milliseconds; the relay closes the connection with 4408 at this time. */
	expiresAt: number;
	sessionId?: string;
	/** The id (`jti`) of a recorded standalone access token: revoking it closes the connection. */
	tokenId?: string;
}

export type DenyReason = 'unauthenticated' | 'forbidden' | 'not_found' | 'expired';

export type AuthorizationResult = ConnectionGrant | { deny: DenyReason };

/**
 * Decides whether a websocket upgrade to /sync/<programId> may proceed. Pluggable: the access
 * token verifier is the first implementation; the identity issue adds the session cookie.
 * Must not leak whether a program exists to someone who is not authenticated: check
 * credentials first, then the right, then existence.
 */
export type Authorizer = (
	request: IncomingMessage,
	programId: string
) => Promise<AuthorizationResult>;

export function isDenied(r: AuthorizationResult): r is { deny: DenyReason } {
	return 'deny' in r;
}

/** Reads `token` from the query string of the upgrade request. */
export function tokenFromRequest(request: IncomingMessage): string | null {
	const url = request.url ?? '';
	const q = url.indexOf('?');
	if (q === -1) return null;
	return new URLSearchParams(url.slice(q + 1)).get('token');
}

/** Authorizer for access tokens in the `token` query parameter (docs/access-tokens.md). */
export function createTokenAuthorizer(
	secret: string,
	store: Pick<DocumentStore, 'programExists'>,
	now: () => number = Date.now
): Authorizer {
	const key = deriveTokenKey(secret);
	return async (request, programId) => {
		const token = tokenFromRequest(request);
		if (!token) return { deny: 'unauthenticated' };
		const result = verifyAccessToken(key, token, now());
		if (!result.ok) {
			if (result.reason === 'expired') return { deny: 'expired' };
			return { deny: 'unauthenticated' };
		}
		if (result.claims.programId !== programId) return { deny: 'forbidden' };
		if (!(await store.programExists(programId))) return { deny: 'not_found' };
		const grant: ConnectionGrant = {
			userId: result.claims.userId,
			access: result.claims.access,
			expiresAt: result.claims.expiresAt
		};
		if (result.claims.sessionId !== undefined) grant.sessionId = result.claims.sessionId;
		if (result.claims.tokenId !== undefined) grant.tokenId = result.claims.tokenId;
		return grant;
	};
}

/** Tries authorizers in order; the first that does not answer 'unauthenticated' wins. */
export function chainAuthorizers(...authorizers: Authorizer[]): Authorizer {
	return async (request, programId) => {
		let last: AuthorizationResult = { deny: 'unauthenticated' };
		for (const a of authorizers) {
			last = await a(request, programId);
			if (!isDenied(last) || last.deny !== 'unauthenticated') return last;
		}
		return last;
	};
}
