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

/**
 * A flood under way: its objects live (held sockets, parsers) until `end()` makes them garbage;
 * `grown` is how much it raised `collectable()`. Live until the test says the flood is over, so
 * that V8 cannot collect them earlier by itself (a collection it started during the flood).
 */
export function floodUnderWay(): { grown: number; end(): void } {
	const before = collectable();
	const held = [flood()];
	return { grown: collectable() - before, end: () => void held.pop() };
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
