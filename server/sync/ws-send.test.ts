import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as wsModule from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { binaryFrame, sendBinary } from './ws-send.js';

/** ws's own framer: exported at runtime, absent from its type definitions. */
const { Sender } = wsModule as unknown as {
	Sender: { frame(data: Buffer, options: Record<string, boolean | number>): Buffer[] };
};

const bytes = (length: number, seed: number) =>
	Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

describe('binaryFrame', () => {
	// Each header size's edges: 7-bit lengths up to 125, 16-bit from 126.
	it.each([0, 1, 125, 126, 1000, 65_535])('frames %i bytes as ws does', (length) => {
		const payload = Buffer.from(bytes(length, 3));
		const ours = binaryFrame(payload);
		const theirs = Buffer.concat(
			Sender.frame(payload, { fin: true, opcode: 2, mask: false, readOnly: false, rsv1: false })
		);
		expect(Buffer.compare(ours, theirs)).toBe(0);
	});

	it('refuses a payload a 16-bit length cannot hold', () => {
		expect(() => binaryFrame(new Uint8Array(65_536))).toThrow(RangeError);
	});
});

describe('sendBinary over a real socket', () => {
	let server: WebSocketServer | undefined;
	afterEach(() => server?.close());

	it('delivers messages in order, between ws’s own pings and its close', async () => {
		server = new WebSocketServer({ port: 0, perMessageDeflate: false });
		await once(server, 'listening');
		const port = (server.address() as AddressInfo).port;
		const accepted = once(server, 'connection') as Promise<[WebSocket]>;
		const client = new WebSocket(`ws://127.0.0.1:${port}`);
		const [ws] = await accepted;
		await once(client, 'open');
		// The direct path needs ws's socket; if ws renamed it, this says so (sendBinary falls back).
		expect((ws as unknown as { _socket: unknown })._socket).toBeInstanceOf(Socket);

		const events: string[] = [];
		const received: Buffer[] = [];
		client.on('message', (data: Buffer, isBinary: boolean) => {
			events.push(`${isBinary ? 'binary' : 'text'} ${data.length}`);
			received.push(data);
		});
		client.on('ping', () => events.push('ping'));
		const closed = once(client, 'close') as Promise<[number, Buffer]>;
		const wsSend = vi.spyOn(ws, 'send');

		// Small ones framed here, the 70,000-byte one through ws.send, ws's ping and close between.
		const sent = [bytes(10, 1), bytes(200, 2), bytes(70_000, 3), bytes(65_535, 4)];
		sendBinary(ws, sent[0]!);
		sendBinary(ws, sent[1]!);
		ws.ping();
		sendBinary(ws, sent[2]!);
		sendBinary(ws, sent[3]!);
		ws.close(1000, 'done');
		sendBinary(ws, bytes(5, 5)); // after the close: not sent (as ws.send)
		const [code] = await closed;

		expect(code).toBe(1000);
		// Framed here: all but the one over 64 KiB and the one after the close.
		expect(wsSend.mock.calls.map(([data]) => (data as Uint8Array).length)).toEqual([70_000, 5]);
		expect(events).toEqual(['binary 10', 'binary 200', 'ping', 'binary 70000', 'binary 65535']);
		expect(received.map((r, i) => Buffer.compare(r, sent[i]!))).toEqual([0, 0, 0, 0]);
	});
});
