/**
 * The one wait helper of the test suites: polls a condition until it holds, and fails with a
 * message that names what it waited for and for how long. Tests await conditions with it instead
 * of sleeping a fixed time, so they pass on a loaded machine and do not wait longer than needed.
 */

export interface WaitOptions {
	/** What the test waits for, as the failure message will say it ("the client to sync"). */
	what: string | (() => string);
	/** Give up after this long (default 10 s). */
	timeout?: number;
	/** Poll this often (default 20 ms). */
	interval?: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves with the condition's first truthy value. The condition may be async; an error it
 * throws ends the wait at once (a condition that expects transient errors catches them).
 *
 * `waitFor(check, { what, timeout })`; the older positional form `waitFor(check, what, timeout,
 * interval)` is the same call.
 */
export async function waitFor<T>(
	condition: () => T | Promise<T>,
	options: WaitOptions | string | (() => string),
	timeout?: number,
	interval?: number
): Promise<NonNullable<T>> {
	const o: WaitOptions =
		typeof options === 'object' ? options : { what: options, timeout, interval };
	const timeoutMs = o.timeout ?? 10_000;
	const intervalMs = o.interval ?? 20;
	const started = Date.now();
	for (;;) {
		const value = await condition();
		if (value) return value as NonNullable<T>;
		if (Date.now() - started >= timeoutMs) {
			const what = typeof o.what === 'string' ? o.what : o.what();
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		}
		await sleep(intervalMs);
	}
}
