/**
 * Sends a binary message on a `ws` WebSocket as one write of one buffer (issue 18).
 *
 * `ws.send` frames a message as two buffers — a header it allocates, and the payload — and
 * writes them corked: Node queues both and hands them to `writev`. Per message that is an options
 * object, a Buffer view, the header, two queued writes and the array `writev` takes; at
 * 5,000 × 2 × 0.5/s it was 15 % of everything the relay allocated (`--heap-prof`-style sampling,
 * docs/benchmarks.md). A message up to 64 KiB is framed here into one buffer — RFC 6455 §5.2:
 * FIN, the binary opcode, no mask (a server never masks) — and written to ws's socket; bigger
 * ones (a first sync's document) and any socket not OPEN go through `ws.send` as before.
 *
 * The frames still leave in the order they are sent: with permessage-deflate off (relay.ts) and
 * no Blob ever sent, ws's own sender writes every frame it makes (pings, the close) to the
 * socket at once, never later from a queue.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/** The largest payload framed here: a 16-bit length (RFC 6455 §5.2). */
const FRAMED_HERE_MAX = 0xffff;
const FIN_BINARY = 0x82;

/** A final, unmasked binary frame holding `message` (at most FRAMED_HERE_MAX bytes). */
export function binaryFrame(message: Uint8Array): Buffer {
	const length = message.length;
	if (length > FRAMED_HERE_MAX) throw new RangeError('binaryFrame: payload over 64 KiB');
	const header = length > 125 ? 4 : 2;
	const frame = Buffer.allocUnsafe(header + length);
	frame[0] = FIN_BINARY;
	if (header === 2) frame[1] = length;
	else {
		frame[1] = 126;
		frame.writeUInt16BE(length, 2);
	}
	frame.set(message, header);
	return frame;
}

export function sendBinary(ws: WebSocket, message: Uint8Array): void {
	// ws's socket is not public API: if a future ws renames it, every message takes ws.send.
	const socket = (ws as unknown as { _socket?: Socket })._socket;
	if (ws.readyState !== ws.OPEN || !socket || message.length > FRAMED_HERE_MAX) ws.send(message);
	else socket.write(binaryFrame(message));
}
