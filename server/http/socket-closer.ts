/**
 * Closing many sockets at once, a batch per turn of the event loop. Closing a TCP socket is a
 * system call that does the connection's teardown there and then (on loopback, the peer's side
 * too): ~30–40 µs each. When thousands of slow connections reach their headers timeout in the
 * same second (Node checks them every second and reports each expired one at once), or the
 * connection guard sheds thousands under pressure, closing them all in one go held the event loop
 * 100–170 ms (bench:abuse slow-connections, profile in docs/benchmarks.md «Round 3»). Here they
 * are closed `BATCH` at a time, each batch in its own turn (`setImmediate`), so the phones'
 * messages and `/healthz` are served between batches; the total work is the same.
 */
import type { Socket } from 'node:net';

/** Sockets closed per turn (~5 ms of closing). */
export const CLOSE_BATCH = 128;

interface Pending {
	socket: Socket;
	/** Asked again just before closing: false leaves the socket open (it became useful). */
	due?: () => boolean;
}

const queue: Pending[] = [];
const queued = new WeakSet<Socket>();
let head = 0;
let scheduled = false;

function drain(): void {
	scheduled = false;
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
	setImmediate(drain);
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
