/**
 * A bounded number of expensive jobs at once, with a short queue; beyond the queue the caller is
 * told to come back later. Password checks (scrypt) run in libuv's thread pool (4 threads), the
 * same pool that reads the PWA's files: 400 parallel sign-ins once kept the home page waiting
 * 26 s. Two checks at once leave the pool free for everyone else.
 */
export class Busy extends Error {
	constructor(readonly retryAfterSeconds: number) {
		super('busy');
	}
}

export class WorkSlots {
	private running = 0;
	private readonly waiting: (() => void)[] = [];

	constructor(
		private readonly concurrency: number,
		private readonly queue: number,
		/** Suggested wait when the queue is full. */
		readonly retryAfter = 2
	) {}

	/** Runs `job` when a slot is free; throws Busy at once when the queue is full. */
	async run<T>(job: () => Promise<T>): Promise<T> {
		if (this.running >= this.concurrency) {
			if (this.waiting.length >= this.queue) throw new Busy(this.retryAfter);
			await new Promise<void>((resolve) => this.waiting.push(resolve));
		} else {
			this.running++;
		}
		try {
			return await job();
		} finally {
			const next = this.waiting.shift();
			// The slot passes to the next waiter directly: `running` stays counted.
			if (next) next();
			else this.running--;
		}
	}

	/** Jobs running and waiting at most: one more and `run` throws Busy. */
	get capacity(): number {
		return this.concurrency + this.queue;
	}

	get active(): number {
		return this.running;
	}

	get queued(): number {
		return this.waiting.length;
	}
}
