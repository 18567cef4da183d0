/** What the relief's tests share (relief.test.ts, relief-backoff.test.ts). */
import { Session } from 'node:inspector';
import { createLogger } from '../logger';

export const MB = 1048576;
export const logger = createLogger('silent');

/** V8's heap and external memory, as the relief reads them. */
export const collectable = () => process.memoryUsage().heapTotal + process.memoryUsage().external;

/**
 * What a flood leaves: ~150 MB of objects that were live (sockets, parsers, requests) and are
 * garbage once it ends, which V8 keeps until its own limit tells it to collect.
 */
export function flood(count = 600_000): unknown[] {
	const objects: unknown[] = [];
	for (let i = 0; i < count; i++) objects.push({ i, name: `socket-${i}`, buffer: new Array(8) });
	return objects;
}

/** A flood that has ended: its objects are garbage now. Returns how much it grew `collectable()`. */
export function floodGarbage(): number {
	const before = collectable();
	const objects = flood();
	const grown = collectable() - before;
	// Live until measured, garbage once this returns.
	return objects.length > 0 ? grown : 0;
}

/**
 * Starts a test from a collected heap (an earlier test's garbage would raise the floor): one
 * stop-the-world collection of all V8 can, as DevTools' button runs it.
 */
export async function collectNow(): Promise<void> {
	const session = new Session();
	session.connect();
	try {
		await new Promise<void>((resolve, reject) =>
			session.post('HeapProfiler.collectGarbage', (error) => (error ? reject(error) : resolve()))
		);
	} finally {
		session.disconnect();
	}
}
