import { describe, expect, it } from 'vitest';
import { deriveTokenKey, mintAccessToken, verifyAccessToken } from '../../server/auth/tokens';

const SECRET = 's'.repeat(32);
const key = deriveTokenKey(SECRET);
/** Minted independently with the Python example of docs/access-tokens.md. */
const PYTHON_VECTOR =
	'eyJ2IjoxLCJzdWIiOiJ1LTEiLCJwcmciOiJwcm9nLTEiLCJhY2MiOiJydyIsImV4cCI6MjAwMDAwMDAwMH0.6r8VKBhaXgRK48vgERrn-mDwp9mil_YLOteKQOmn0Kg';

describe('access tokens', () => {
	it('verifies the documented format (a token minted by the Python example)', () => {
		expect(verifyAccessToken(key, PYTHON_VECTOR, 0)).toEqual({
			ok: true,
			claims: { userId: 'u-1', programId: 'prog-1', access: 'rw', expiresAt: 2_000_000_000_000 }
		});
	});

	it('round-trips, with an optional session id', () => {
		const token = mintAccessToken(SECRET, {
			userId: 'u',
			programId: 'p',
			access: 'ro',
			expiresAt: 1_900_000_000_000,
			sessionId: 's1'
		});
		expect(verifyAccessToken(key, token, 0)).toEqual({
			ok: true,
			claims: {
				userId: 'u',
				programId: 'p',
				access: 'ro',
				expiresAt: 1_900_000_000_000,
				sessionId: 's1'
			}
		});
	});

	it('refuses tampering, other secrets, expiry and malformed input', () => {
		const token = mintAccessToken(SECRET, {
			userId: 'u',
			programId: 'p',
			access: 'ro',
			expiresAt: 1_900_000_000_000
		});
		const [payload, sig] = token.split('.') as [string, string];
		const elevated = Buffer.from(
			Buffer.from(payload, 'base64url').toString().replace('"ro"', '"rw"')
		).toString('base64url');
		expect(verifyAccessToken(key, `${elevated}.${sig}`, 0)).toMatchObject({
			ok: false,
			reason: 'bad_signature'
		});
		expect(verifyAccessToken(deriveTokenKey('t'.repeat(32)), token, 0)).toMatchObject({
			ok: false,
			reason: 'bad_signature'
		});
		expect(verifyAccessToken(key, token, 1_900_000_000_000)).toMatchObject({
			ok: false,
			reason: 'expired'
		});
		for (const bad of ['', '.', 'a.b.c', `${payload}.`, `${payload}.${sig}=`, 'x'.repeat(3000)]) {
			expect(verifyAccessToken(key, bad, 0).ok, bad).toBe(false);
		}
		// Signed but not the right shape.
		const signedJunk = mintAccessToken(SECRET, {
			userId: '',
			programId: 'p',
			access: 'rw',
			expiresAt: 1_900_000_000_000
		});
		expect(verifyAccessToken(key, signedJunk, 0)).toMatchObject({ ok: false, reason: 'malformed' });
	});
});
