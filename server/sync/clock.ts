/**
 * Time for the relay, injectable: the real clock in production, a fake one in unit tests
 * (server/sync/test-fakes.ts), so that debounces, idle unloads and group-commit delays are
 * driven by advancing time rather than by sleeping.
 */
import { performance } from 'node:perf_hooks';

/** An opaque timer handle. */
export interface TimerHandle {
	readonly __timer: true;
}

export interface Clock {
	/** Wall-clock milliseconds (stored times, token expiry, summaries). */
	now(): number;
	/** Monotonic milliseconds (rate buckets, durations). */
	monotonic(): number;
	/** Runs `fn` after `ms`; the timer never keeps the process alive. */
	setTimeout(fn: () => void, ms: number): TimerHandle;
	clearTimeout(timer: TimerHandle | null): void;
	/** Runs `fn` after the current I/O turn (setImmediate). */
	defer(fn: () => void): void;
	/** Lets other work run (between summary slices). */
	yield(): Promise<void>;
}

/** Node's timers are capped at 2^31-1 ms; longer waits re-arm. */
export const MAX_TIMER_MS = 2_147_483_647;

export function systemClock(now: () => number = Date.now): Clock {
	return {
		now,
		monotonic: () => performance.now(),
		setTimeout(fn, ms) {
			const timer = setTimeout(fn, Math.min(ms, MAX_TIMER_MS));
			timer.unref();
			return timer as unknown as TimerHandle;
		},
		clearTimeout(timer) {
			if (timer) clearTimeout(timer as unknown as NodeJS.Timeout);
		},
		defer(fn) {
			setImmediate(fn);
		},
		yield: () => new Promise((resolve) => setImmediate(resolve))
	};
}
