/**
 * Closing many sockets at a bounded pace. Closing a TCP socket is a system call that does the
 * connection's teardown there and then (on loopback, the peer's side too): ~10–40 µs each. When
 * thousands of slow connections reach their headers timeout in the same second (Node checks them
 * every second and reports each expired one at once), or the connection guard sheds thousands
 * under pressure, closing them all in one go held the event loop 100–170 ms (bench:abuse
 * slow-connections, profile in docs/benchmarks.md «Round 3»); a batch per turn of the loop
 * (`setImmediate`) still kept it ~50 % busy for the 2–3 s the 18,000 closes took, and the phones'
 * p99 in those seconds was 8–20 ms against 3–5. Now `CLOSE_BATCH` sockets are closed every
 * `1000 × CLOSE_BATCH / CLOSES_PER_SECOND` ms: at most ~6 % of the loop, 18,000 closes in ~4.5 s.
 * Shed sockets count as gone for the connection guard meanwhile; the global cap
 * (`MAX_CONNECTIONS`, enforced by Node at accept) still bounds the descriptors held.
 */
import type { Socket } from 'node:net';

/** Sockets closed in one go (~0.5 ms of closing). */
export const CLOSE_BATCH = 32;
/** Closes a second at most (~6 % of the event loop at ~15 µs each, Node's handling included). */
export const CLOSES_PER_SECOND = 4_000;
const BATCH_GAP_MS = (1000 * CLOSE_BATCH) / CLOSES_PER_SECOND;

interface Pending {
	socket: Socket;
	/** Asked again just before closing: false leaves the socket open (it became useful). */
	due?: () => boolean;
}

const queue: Pending[] = [];
const queued = new WeakSet<Socket>();
let head = 0;
let scheduled = false;
/** A batch was closed in this turn of the event loop (reset in its check phase). */
let drainedThisTurn = false;

function drain(): void {
	scheduled = false;
	// One batch a turn, even when a loaded loop runs a just-made timer in the same timers phase
	// (Node compares it with the turn's cached time): CI saw 64 closed in one turn.
	if (drainedThisTurn) {
		schedule();
		return;
	}
	drainedThisTurn = true;
	setImmediate(() => {
		drainedThisTurn = false;
	}).unref();
	const end = Math.min(queue.length, head + CLOSE_BATCH);
	for (; head < end; head++) {
		const p = queue[head] as Pending;
		queued.delete(p.socket);
		if (!p.socket.destroyed && (p.due?.() ?? true)) p.socket.destroy();
	}
	if (head >= queue.length) {
		queue.length = 0;
		head = 0;
	} else schedule();
}

function schedule(): void {
	if (scheduled) return;
	scheduled = true;
	setTimeout(drain, BATCH_GAP_MS).unref();
}

/** Closes `socket` soon (in this or a later turn of the event loop), at most once. */
export function closeSoon(socket: Socket, due?: () => boolean): void {
	if (socket.destroyed || queued.has(socket)) return;
	queued.add(socket);
	queue.push(due ? { socket, due } : { socket });
	schedule();
}

/** Sockets waiting to be closed (tests, diagnostics). */
export function closingSoon(): number {
	return queue.length - head;
}
