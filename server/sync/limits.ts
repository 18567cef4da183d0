/** Per-connection rate limits (token buckets) and per-address connection counts. */
import type { RelayConfig } from './config.js';

export class TokenBucket {
	private tokens: number;
	private last: number;

	constructor(
		private readonly rate: number,
		private readonly burst: number,
		now: number
	) {
		this.tokens = burst;
		this.last = now;
	}

	/** Takes one token at monotonic time `now`; false when the bucket is empty. */
	take(now: number): boolean {
		this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
		this.last = now;
		if (this.tokens < 1) return false;
		this.tokens -= 1;
		return true;
	}
}

/** The two buckets of a connection: document-carrying messages, and all messages. */
export interface SessionLimits {
	updates: TokenBucket;
	messages: TokenBucket;
}

export function sessionLimits(config: RelayConfig, now: number): SessionLimits {
	return {
		updates: new TokenBucket(config.updatesPerSecond, config.updateBurst, now),
		messages: new TokenBucket(
			config.messagesPerSecond,
			config.messagesPerSecond * 4 + config.updateBurst,
			now
		)
	};
}

/** Open connections per remote address (schools sit behind one NAT: the limit is generous). */
export class AddressCounts {
	private readonly counts = new Map<string, number>();

	constructor(private readonly limit: number) {}

	/** Counts one more connection from `ip`; false (nothing counted) when at the limit. */
	tryAdd(ip: string): boolean {
		const n = this.counts.get(ip) ?? 0;
		if (n >= this.limit) return false;
		this.counts.set(ip, n + 1);
		return true;
	}

	/** Counts one more even at the limit (a connection that replaces one about to close). */
	add(ip: string): void {
		this.counts.set(ip, (this.counts.get(ip) ?? 0) + 1);
	}

	release(ip: string): void {
		const n = (this.counts.get(ip) ?? 1) - 1;
		if (n <= 0) this.counts.delete(ip);
		else this.counts.set(ip, n);
	}

	get size(): number {
		return this.counts.size;
	}
}
