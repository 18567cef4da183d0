import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Access tokens (docs/access-tokens.md): `base64url(JSON payload) + "." + base64url(signature)`
 * where signature = HMAC-SHA256(tokenKey, ASCII bytes of the payload segment) and
 * tokenKey = HMAC-SHA256(UTF-8 bytes of the server secret, "nastavnik/access-token/v1").
 * Payload: `{"v":1,"sub":userId,"prg":programId,"acc":"rw"|"ro","exp":unixSeconds}` plus
 * optional `"sid"` (session id, for revocation), `"jti"` (the id of a recorded standalone token,
 * for listing and revocation; migration 50) and `"iat"`.
 */
export type Access = 'rw' | 'ro';

export interface AccessTokenClaims {
	userId: string;
	programId: string;
	access: Access;
	/** Expiry, Unix milliseconds (encoded in the token as whole seconds). */
	expiresAt: number;
	sessionId?: string;
	/** `jti`: the id under which a standalone token is recorded (access_tokens). */
	tokenId?: string;
}

export type TokenVerification =
	| { ok: true; claims: AccessTokenClaims }
	| { ok: false; reason: 'malformed' | 'bad_signature' | 'expired'; claims?: AccessTokenClaims };

const KEY_LABEL = 'nastavnik/access-token/v1';
const MAX_TOKEN_LENGTH = 2048;

export function deriveTokenKey(secret: string): Buffer {
	return createHmac('sha256', Buffer.from(secret, 'utf8')).update(KEY_LABEL, 'utf8').digest();
}

function sign(key: Buffer, payloadSegment: string): Buffer {
	return createHmac('sha256', key).update(payloadSegment, 'ascii').digest();
}

export function mintAccessToken(secret: string, claims: AccessTokenClaims): string {
	const payload: Record<string, unknown> = {
		v: 1,
		sub: claims.userId,
		prg: claims.programId,
		acc: claims.access,
		exp: Math.floor(claims.expiresAt / 1000)
	};
	if (claims.sessionId !== undefined) payload.sid = claims.sessionId;
	if (claims.tokenId !== undefined) payload.jti = claims.tokenId;
	const segment = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
	return `${segment}.${sign(deriveTokenKey(secret), segment).toString('base64url')}`;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function nonEmptyString(v: unknown, max = 256): v is string {
	return typeof v === 'string' && v.length > 0 && v.length <= max;
}

/** Verifies signature first (constant time), then shape, then expiry. */
export function verifyAccessToken(
	key: Buffer,
	token: string,
	now: number = Date.now()
): TokenVerification {
	if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
	const dot = token.indexOf('.');
	if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, reason: 'malformed' };
	const segment = token.slice(0, dot);
	const sigText = token.slice(dot + 1);
	if (!B64URL.test(segment) || !B64URL.test(sigText)) return { ok: false, reason: 'malformed' };
	const given = Buffer.from(sigText, 'base64url');
	const expected = sign(key, segment);
	if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
		return { ok: false, reason: 'bad_signature' };
	}
	let payload: unknown;
	try {
		payload = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
	} catch {
		return { ok: false, reason: 'malformed' };
	}
	if (typeof payload !== 'object' || payload === null) return { ok: false, reason: 'malformed' };
	const p = payload as Record<string, unknown>;
	if (
		p.v !== 1 ||
		!nonEmptyString(p.sub) ||
		!nonEmptyString(p.prg) ||
		(p.acc !== 'rw' && p.acc !== 'ro') ||
		typeof p.exp !== 'number' ||
		!Number.isFinite(p.exp) ||
		(p.sid !== undefined && !nonEmptyString(p.sid)) ||
		(p.jti !== undefined && !nonEmptyString(p.jti, 64))
	) {
		return { ok: false, reason: 'malformed' };
	}
	const claims: AccessTokenClaims = {
		userId: p.sub,
		programId: p.prg,
		access: p.acc,
		expiresAt: p.exp * 1000
	};
	if (typeof p.sid === 'string') claims.sessionId = p.sid;
	if (typeof p.jti === 'string') claims.tokenId = p.jti;
	if (claims.expiresAt <= now) return { ok: false, reason: 'expired', claims };
	return { ok: true, claims };
}
