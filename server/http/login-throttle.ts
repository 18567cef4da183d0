/**
 * Throttling of password sign-ins (rate-limiter-flexible; in memory, or in Redis when the
 * cluster's REDIS_URL is set so every instance sees the same counts). Two counts of failures:
 * - per client address: one address cannot try passwords against many accounts;
 * - per account *and* client address: one address cannot try many passwords on one account.
 * There is deliberately no count per account alone: an attacker failing from elsewhere must not
 * lock the real person out (five wrong passwords once did). Success clears the pair's count.
 */
import { createHash } from 'node:crypto';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { IdentityError } from '../identity/errors.js';
import type { Logger } from '../logger.js';
import { REFUSAL_HOLD_MS, type EarlyRefusal } from './front-door.js';
import { createLimiterFactory, type LimiterFactory } from './rate-limiters.js';
import { Busy, type WorkSlots } from './work-slots.js';

export interface LoginThrottleOptions {
	failuresPerAddress: number;
	failuresPerAccount: number;
	blockMinutes: number;
	/** Redis (cluster mode): counts shared by every instance; memory otherwise. */
	redisUrl?: string | null;
	/** Key prefix in Redis. */
	prefix?: string;
	/**
	 * Limiters shared with the rest of the server (one Redis client per instance); their owner
	 * closes them. Default: the throttle's own, closed with it.
	 */
	limiters?: LimiterFactory;
	log: Logger;
}

export interface LoginBlock {
	/** Why: too many failures from this address, or at this account from this address. */
	scope: 'address' | 'account';
	retryAfterSeconds: number;
}

export interface LoginThrottle {
	/** Null when this client may try to sign in to this account now. */
	blocked(address: string, account: string): Promise<LoginBlock | null>;
	failed(address: string, account: string): Promise<void>;
	succeeded(address: string, account: string): Promise<void>;
	/**
	 * Seconds this address still waits, as far as this instance has seen it blocked (by
	 * `blocked` or `failed`), or null: a synchronous check for refusing before the body is read.
	 */
	knownAddressBlock(address: string): number | null;
	close(): Promise<void>;
}

/** Logins are personal data: the keys carry a digest, not the login. */
function accountKey(address: string, account: string): string {
	const digest = createHash('sha256').update(account.trim().toLowerCase()).digest('base64url');
	return `${digest.slice(0, 22)}:${address}`;
}

async function blockOf(
	limiter: RateLimiterAbstract,
	key: string,
	points: number
): Promise<number | null> {
	const res = await limiter.get(key);
	if (!res || res.consumedPoints < points) return null;
	return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}

/** Counts one failure; the milliseconds the key is now blocked for (at its limit), or null. */
async function consume(
	limiter: RateLimiterAbstract,
	key: string,
	points: number
): Promise<number | null> {
	try {
		const res = await limiter.consume(key);
		return res.consumedPoints >= points ? res.msBeforeNext : null;
	} catch (error) {
		// Over the limit: the rejection is a RateLimiterRes, and the key is now blocked.
		if (!(error instanceof RateLimiterRes)) throw error;
		return error.msBeforeNext;
	}
}

/** Addresses seen blocked, until when (bounded: a flood of addresses must not grow it for ever). */
const KNOWN_BLOCKS_MAX = 100_000;

export async function createLoginThrottle(options: LoginThrottleOptions): Promise<LoginThrottle> {
	const duration = options.blockMinutes * 60;
	const owned = !options.limiters;
	const limiters = options.limiters ?? createLimiterFactory(options);
	const make = (name: string, points: number) =>
		limiters.make(`login:${name}`, {
			points,
			durationSeconds: duration,
			blockSeconds: duration
		});
	const perAddress = await make('address', options.failuresPerAddress);
	const perAccount = await make('account', options.failuresPerAccount);
	const knownBlocks = new Map<string, number>();
	const remember = (address: string, ms: number) => {
		if (knownBlocks.size >= KNOWN_BLOCKS_MAX) {
			const now = Date.now();
			for (const [a, until] of knownBlocks) if (until <= now) knownBlocks.delete(a);
			if (knownBlocks.size >= KNOWN_BLOCKS_MAX) knownBlocks.clear();
		}
		knownBlocks.set(address, Date.now() + ms);
	};

	return {
		async blocked(address, account) {
			const byAddress = await blockOf(perAddress, address, options.failuresPerAddress);
			if (byAddress !== null) {
				remember(address, byAddress * 1000);
				return { scope: 'address', retryAfterSeconds: byAddress };
			}
			const key = accountKey(address, account);
			const byAccount = await blockOf(perAccount, key, options.failuresPerAccount);
			return byAccount === null ? null : { scope: 'account', retryAfterSeconds: byAccount };
		},
		async failed(address, account) {
			const blockedMs = await consume(perAddress, address, options.failuresPerAddress);
			if (blockedMs !== null) remember(address, blockedMs);
			await consume(perAccount, accountKey(address, account), options.failuresPerAccount);
		},
		knownAddressBlock(address) {
			const until = knownBlocks.get(address);
			if (until === undefined) return null;
			const ms = until - Date.now();
			if (ms <= 0) {
				knownBlocks.delete(address);
				return null;
			}
			return Math.max(1, Math.ceil(ms / 1000));
		},
		async succeeded(address, account) {
			await perAccount.delete(accountKey(address, account));
		},
		close: async () => {
			if (owned) await limiters.close();
		}
	};
}

/** The sign-in route's guard: the throttle above, and a bound on password checks at once. */
export interface SignInGuard {
	/**
	 * Runs one password sign-in for `account` from `address`: refused with 429 (and
	 * `retry-after` on the reply) while the client is throttled or the checks are saturated;
	 * a `login_failed` answer counts as a failure, success clears the pair's count.
	 */
	attempt<T>(
		address: string,
		account: string,
		setRetryAfter: (seconds: number) => void,
		signIn: () => Promise<T>
	): Promise<T>;
	/**
	 * At the door, before the body is read (server/http/front-door.ts): a refusal when it is
	 * already known — the address is throttled, or as many sign-ins are under way as there are
	 * password check slots and queue places — else admission, to be released when the request
	 * ends. A burst arrives in one turn of the event loop, before any of it reaches `attempt`,
	 * so the count is kept here rather than read from the slots.
	 */
	admit(address: string): { refusal: EarlyRefusal } | { release: () => void };
	close(): Promise<void>;
}

const BUSY_MESSAGE =
	'Сервер сейчас занят входом других пользователей. Попробуйте через несколько секунд.';

function throttledMessage(block: LoginBlock): string {
	const minutes = Math.max(1, Math.ceil(block.retryAfterSeconds / 60));
	return `Слишком много неудачных попыток входа${
		block.scope === 'address' ? ' с этого адреса' : ''
	}. Попробуйте через ${minutes} ${plural(minutes, ['минуту', 'минуты', 'минут'])}.`;
}

export function createSignInGuard(throttle: LoginThrottle, slots: WorkSlots): SignInGuard {
	let admitted = 0;
	return {
		admit(address) {
			const seconds = throttle.knownAddressBlock(address);
			// Held a second before they are answered (front-door.ts): a client sending again at
			// once gets one refusal a second per connection, not as many as the loop can answer.
			if (seconds !== null)
				return {
					refusal: {
						error: 'too_many_attempts',
						message: throttledMessage({ scope: 'address', retryAfterSeconds: seconds }),
						retryAfterSeconds: seconds,
						holdMs: REFUSAL_HOLD_MS
					}
				};
			if (admitted >= slots.capacity)
				return {
					refusal: {
						error: 'busy',
						message: BUSY_MESSAGE,
						retryAfterSeconds: slots.retryAfter,
						holdMs: REFUSAL_HOLD_MS
					}
				};
			admitted++;
			let released = false;
			return {
				release() {
					if (released) return;
					released = true;
					admitted--;
				}
			};
		},
		async attempt(address, account, setRetryAfter, signIn) {
			const block = await throttle.blocked(address, account);
			if (block) {
				setRetryAfter(block.retryAfterSeconds);
				throw new IdentityError(429, 'too_many_attempts', throttledMessage(block), {
					retryAfterSeconds: block.retryAfterSeconds
				});
			}
			try {
				const result = await slots.run(signIn);
				await throttle.succeeded(address, account);
				return result;
			} catch (error) {
				if (error instanceof Busy) {
					setRetryAfter(error.retryAfterSeconds);
					throw new IdentityError(429, 'busy', BUSY_MESSAGE, {
						retryAfterSeconds: error.retryAfterSeconds
					});
				}
				if (error instanceof IdentityError && error.code === 'login_failed')
					await throttle.failed(address, account);
				throw error;
			}
		},
		close: () => throttle.close()
	};
}

function plural(n: number, forms: [string, string, string]): string {
	const mod10 = n % 10;
	const mod100 = n % 100;
	if (mod10 === 1 && mod100 !== 11) return forms[0];
	if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return forms[1];
	return forms[2];
}
