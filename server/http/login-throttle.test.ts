import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { IdentityError } from '../identity/errors';
import { createLoginThrottle, createSignInGuard } from './login-throttle';
import { Busy, WorkSlots } from './work-slots';

const log = pino({ level: 'silent' });
const wrong = () =>
	Promise.reject(new IdentityError(401, 'login_failed', 'Неверный логин или пароль'));

async function guard(perAddress = 30, perAccount = 5) {
	const throttle = await createLoginThrottle({
		failuresPerAddress: perAddress,
		failuresPerAccount: perAccount,
		blockMinutes: 15,
		log
	});
	return createSignInGuard(throttle, new WorkSlots(2, 4));
}

async function outcome(p: Promise<unknown>): Promise<string> {
	try {
		await p;
		return 'ok';
	} catch (error) {
		return error instanceof IdentityError ? `${error.status} ${error.code}` : String(error);
	}
}

describe('login throttle', () => {
	it('blocks an address after failures at one account, but never the account from another address', async () => {
		const g = await guard();
		let retryAfter = 0;
		const set = (s: number) => (retryAfter = s);
		for (let i = 0; i < 5; i++)
			expect(await outcome(g.attempt('203.0.113.66', 'curator', set, wrong))).toBe(
				'401 login_failed'
			);
		expect(await outcome(g.attempt('203.0.113.66', 'curator', set, wrong))).toBe(
			'429 too_many_attempts'
		);
		expect(retryAfter).toBeGreaterThan(0);
		expect(retryAfter).toBeLessThanOrEqual(15 * 60);
		// The curator, elsewhere, signs in at once.
		expect(await outcome(g.attempt('198.51.100.7', 'curator', set, async () => 'me'))).toBe('ok');
		// The attacker's other accounts are not blocked by the pair count …
		expect(await outcome(g.attempt('203.0.113.66', 'head', set, wrong))).toBe('401 login_failed');
		await g.close();
	});

	it('blocks an address that tries many accounts (per-address count)', async () => {
		const g = await guard(10, 5);
		const set = () => undefined;
		for (let i = 0; i < 10; i++)
			expect(await outcome(g.attempt('203.0.113.66', `user${i}`, set, wrong))).toBe(
				'401 login_failed'
			);
		expect(await outcome(g.attempt('203.0.113.66', 'someone-else', set, wrong))).toBe(
			'429 too_many_attempts'
		);
		expect(await outcome(g.attempt('198.51.100.7', 'someone-else', set, wrong))).toBe(
			'401 login_failed'
		);
		await g.close();
	});

	it('a successful sign-in clears the count of its account and address', async () => {
		const g = await guard(30, 3);
		const set = () => undefined;
		for (let i = 0; i < 2; i++) await outcome(g.attempt('192.0.2.1', 'curator', set, wrong));
		expect(await outcome(g.attempt('192.0.2.1', 'curator', set, async () => 'me'))).toBe('ok');
		for (let i = 0; i < 2; i++)
			expect(await outcome(g.attempt('192.0.2.1', 'curator', set, wrong))).toBe('401 login_failed');
		await g.close();
	});

	it('other errors (an inactive person, a server error) are not counted as guesses', async () => {
		const g = await guard(30, 1);
		const set = () => undefined;
		const boom = () => Promise.reject(new Error('database down'));
		expect(await outcome(g.attempt('192.0.2.1', 'curator', set, boom))).toBe(
			'Error: database down'
		);
		expect(await outcome(g.attempt('192.0.2.1', 'curator', set, async () => 'me'))).toBe('ok');
		await g.close();
	});
});

describe('work slots: bounded password checks', () => {
	it('runs at most `concurrency` jobs, queues a few, and refuses beyond the queue at once', async () => {
		const slots = new WorkSlots(2, 3, 2);
		let running = 0;
		let peak = 0;
		const releases: (() => void)[] = [];
		const job = () =>
			new Promise<void>((resolve) => {
				running++;
				peak = Math.max(peak, running);
				releases.push(() => {
					running--;
					resolve();
				});
			});
		const accepted = Array.from({ length: 5 }, () => slots.run(job));
		await expect(slots.run(job)).rejects.toBeInstanceOf(Busy);
		expect(slots.active).toBe(2);
		expect(slots.queued).toBe(3);
		while (releases.length > 0 || slots.active > 0) {
			releases.shift()?.();
			await new Promise((r) => setImmediate(r));
		}
		await Promise.all(accepted);
		expect(peak).toBe(2);
		expect(slots.active).toBe(0);
	});

	it('a saturated guard answers 429 busy with a Retry-After', async () => {
		const throttle = await createLoginThrottle({
			failuresPerAddress: 30,
			failuresPerAccount: 5,
			blockMinutes: 15,
			log
		});
		const g = createSignInGuard(throttle, new WorkSlots(1, 0, 3));
		let release = () => undefined as void;
		const first = g.attempt(
			'192.0.2.1',
			'a',
			() => undefined,
			() => new Promise<void>((r) => (release = r))
		);
		let retry = 0;
		expect(
			await outcome(
				g.attempt(
					'192.0.2.2',
					'b',
					(s) => (retry = s),
					async () => 'me'
				)
			)
		).toBe('429 busy');
		expect(retry).toBe(3);
		release();
		await first;
		await g.close();
	});
});

const REDIS_URL = process.env.TEST_REDIS_URL;

describe.skipIf(!REDIS_URL)('login throttle in Redis (cluster mode)', () => {
	it('failures counted on one instance block the same client on another; the curator elsewhere is not blocked', async () => {
		const prefix = `test-throttle-${process.pid}-${Date.now()}`;
		const options = {
			failuresPerAddress: 30,
			failuresPerAccount: 3,
			blockMinutes: 1,
			redisUrl: REDIS_URL,
			prefix,
			log
		};
		const a = createSignInGuard(await createLoginThrottle(options), new WorkSlots(2, 4));
		const b = createSignInGuard(await createLoginThrottle(options), new WorkSlots(2, 4));
		const set = () => undefined;
		try {
			// The Redis client connects lazily in the background; a first failure may land in memory.
			await new Promise((r) => setTimeout(r, 300));
			for (let i = 0; i < 3; i++)
				expect(await outcome(a.attempt('203.0.113.66', 'curator', set, wrong))).toBe(
					'401 login_failed'
				);
			expect(await outcome(b.attempt('203.0.113.66', 'curator', set, wrong))).toBe(
				'429 too_many_attempts'
			);
			expect(await outcome(b.attempt('198.51.100.7', 'curator', set, async () => 'me'))).toBe('ok');
		} finally {
			await a.close();
			await b.close();
		}
	});
});

describe('the sign-in door (before the body is read)', () => {
	it('refuses an address once it is seen blocked, with the same Russian message', async () => {
		const g = await guard(3, 5);
		const door = (address: string) => {
			const d = g.admit(address);
			if ('release' in d) d.release();
			return 'refusal' in d ? d.refusal : null;
		};
		for (let i = 0; i < 3; i++) {
			expect(door('203.0.113.5')).toBeNull();
			await outcome(g.attempt('203.0.113.5', `nobody-${i}`, () => undefined, wrong));
		}
		const refusal = door('203.0.113.5');
		expect(refusal).toMatchObject({ error: 'too_many_attempts' });
		expect(refusal?.retryAfterSeconds).toBeGreaterThan(0);
		expect(refusal?.message).toMatch(/с этого адреса\. Попробуйте через 15 минут/);
		// Another address of the same school is not refused.
		expect(door('203.0.113.6')).toBeNull();
		await g.close();
	});

	it('admits as many sign-ins as there are check slots and queue places, and gives the places back', async () => {
		const g = await guard(); // WorkSlots(2, 4): 6 places
		const admitted = Array.from({ length: 6 }, (_, i) => g.admit(`198.51.100.${i}`));
		expect(admitted.every((d) => 'release' in d)).toBe(true);
		const seventh = g.admit('198.51.100.7');
		expect(seventh).toMatchObject({ refusal: { error: 'busy' } });
		expect('refusal' in seventh && seventh.refusal.message).toMatch(/Сервер сейчас занят/);
		for (const d of admitted) {
			if (!('release' in d)) continue;
			d.release();
			d.release(); // twice: no effect
		}
		const again = Array.from({ length: 6 }, () => g.admit('198.51.100.8'));
		expect(again.every((d) => 'release' in d)).toBe(true);
		expect(g.admit('198.51.100.9')).toHaveProperty('refusal');
		await g.close();
	});
});
