/**
 * Limiters of rate-limiter-flexible, in memory or — when the cluster's REDIS_URL is set — in
 * Redis, so every instance sees the same counts. One Redis client per factory; a Redis that is
 * down or reconnecting never makes a request wait: the memory limiter answers meanwhile
 * (`insuranceLimiter`). Used by the sign-in throttle (login-throttle.ts) and by the per-user
 * share of heavy requests (heavy-requests.ts).
 */
import {
	RateLimiterMemory,
	RateLimiterRedis,
	type RateLimiterAbstract
} from 'rate-limiter-flexible';
import type { Logger } from '../logger.js';

export interface LimiterFactoryOptions {
	/** Redis (cluster mode): counts shared by every instance; memory otherwise. */
	redisUrl?: string | null;
	/** Key prefix in Redis (deployments or test runs sharing one Redis stay apart). */
	prefix?: string;
	log: Logger;
}

export interface LimiterShape {
	/** Points a key may consume within `durationSeconds`. */
	points: number;
	durationSeconds: number;
	/** Once over: how long the key stays blocked (0: until its window ends). */
	blockSeconds?: number;
}

export interface LimiterFactory {
	make(name: string, shape: LimiterShape): Promise<RateLimiterAbstract>;
	close(): Promise<void>;
}

export function createLimiterFactory(options: LimiterFactoryOptions): LimiterFactory {
	let redis: { quit(): Promise<unknown>; disconnect(): void } | null = null;
	return {
		async make(name, shape) {
			const settings = {
				keyPrefix: `${options.prefix ?? 'nst'}:${name}`,
				points: shape.points,
				duration: shape.durationSeconds,
				blockDuration: shape.blockSeconds ?? 0
			};
			const memory = new RateLimiterMemory(settings);
			if (!options.redisUrl) return memory;
			if (!redis) {
				const { Redis } = await import('ioredis');
				const client = new Redis(options.redisUrl, {
					// A request must not wait for a reconnecting Redis: the memory limiter answers meanwhile.
					enableOfflineQueue: false,
					maxRetriesPerRequest: 1,
					lazyConnect: false
				});
				client.on('error', (error: Error) =>
					options.log.debug({ err: error }, 'rate limiters: Redis error')
				);
				redis = client;
			}
			return new RateLimiterRedis({
				...settings,
				storeClient: redis,
				rejectIfRedisNotReady: true,
				insuranceLimiter: memory
			});
		},
		async close() {
			const client = redis;
			redis = null;
			if (client) await client.quit().catch(() => client.disconnect());
		}
	};
}
