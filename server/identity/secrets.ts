import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { scryptNice } from './password-thread.js';

/** Random URL-safe id (UUID v4). */
export const newId = (): string => randomUUID();

/** A 256-bit random secret (invitation code, session token), base64url. Never log it. */
export const newSecret = (): string => randomBytes(32).toString('base64url');

/** What is stored instead of a secret: SHA-256, hex. */
export const hashSecret = (secret: string): string =>
	createHash('sha256').update(secret, 'utf8').digest('hex');

/** Shape check before hashing, so garbage never reaches a query. */
export const looksLikeSecret = (s: unknown): s is string =>
	typeof s === 'string' && /^[A-Za-z0-9_-]{43}$/.test(s);

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

// On a thread nicer than the event loop: a flood of wrong passwords takes only spare CPU.
const scryptAsync = (password: string, salt: Buffer, keylen: number): Promise<Buffer> =>
	scryptNice(password, salt, keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });

/** `scrypt$N$r$p$salt$hash` (base64url). */
export async function hashPassword(password: string): Promise<string> {
	const salt = randomBytes(16);
	const key = await scryptAsync(password, salt, SCRYPT.keylen);
	return [
		'scrypt',
		SCRYPT.N,
		SCRYPT.r,
		SCRYPT.p,
		salt.toString('base64url'),
		key.toString('base64url')
	].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
	const parts = stored.split('$');
	if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
	const salt = Buffer.from(parts[4] ?? '', 'base64url');
	const expected = Buffer.from(parts[5] ?? '', 'base64url');
	if (expected.length !== SCRYPT.keylen) return false;
	const key = await scryptAsync(password, salt, expected.length);
	return timingSafeEqual(key, expected);
}

/** A dummy hash to spend the same time when the login does not exist. */
export const DUMMY_PASSWORD_HASH =
	'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
