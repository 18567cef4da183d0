/**
 * Helpers for the relay integration tests: a real server on an ephemeral port with a temporary
 * DATA_DIR, the stock y-websocket client over real sockets, raw websocket clients for protocol
 * abuse, and token minting.
 */
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { NastavnikServer } from '../../server/app';
import { mintAccessToken, type Access } from '../../server/auth/tokens';
import { createTestServer } from '../support/test-server';
import { waitFor } from '../support/wait';
import type { DocumentStore } from '../../server/storage/document-store';
import {
	MESSAGE_ACK,
	encodeSyncStep1,
	encodeSyncUpdate,
	readAck
} from '../../src/lib/shared/protocol';

export interface TestRelay {
	server: NastavnikServer;
	port: number;
	wsBase: string;
	dataDir: string;
	secret: string;
	store: DocumentStore;
	logs(): string;
	token(userId: string, programId: string, access?: Access, ttlMs?: number): string;
	createProgram(id: string): Promise<void>;
	close(): Promise<void>;
}

/** Starts the real all-in-one server in this process. `relayEnv` sets RELAY_* limits for this server only. */
export async function startRelay(relayEnv: Record<string, string> = {}): Promise<TestRelay> {
	const t = await createTestServer({ env: relayEnv });
	const server = t.server;
	const secret = server.secret;
	const store = server.documents;
	return {
		server,
		port: t.port,
		wsBase: t.wsBase,
		dataDir: t.dataDir,
		secret,
		store,
		logs: t.logs,
		token: (userId, programId, access = 'rw', ttlMs = 3_600_000) =>
			mintAccessToken(secret, { userId, programId, access, expiresAt: Date.now() + ttlMs }),
		createProgram: async (id) => {
			await store.createProgram(id);
		},
		close: t.close
	};
}

export interface TestClient {
	doc: Y.Doc;
	provider: WebsocketProvider;
	closes: { code: number; reason: string }[];
	destroy(): void;
}

/** The stock y-websocket client (unchanged), in Node over a real socket. */
export function connectClient(
	wsBase: string,
	programId: string,
	token: string,
	opts: { doc?: Y.Doc; connect?: boolean; params?: Record<string, string> } = {}
): TestClient {
	const doc = opts.doc ?? new Y.Doc();
	const provider = new WebsocketProvider(wsBase, programId, doc, {
		// ws implements the browser WebSocket interface closely enough for the provider.
		WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
		params: { token, ...opts.params },
		disableBc: true,
		connect: opts.connect ?? true,
		maxBackoffTime: 300
	});
	const closes: { code: number; reason: string }[] = [];
	provider.on('connection-close', (event) => {
		if (event) closes.push({ code: event.code, reason: event.reason });
	});
	return {
		doc,
		provider,
		closes,
		destroy() {
			provider.destroy();
			doc.destroy();
		}
	};
}

/** The one wait helper (tests/support/wait.ts); `waitForAsync` is the same function. */
export { waitFor, waitFor as waitForAsync };

export function synced(client: TestClient): Promise<void> {
	return waitFor(() => client.provider.synced, 'the client to sync').then(() => undefined);
}

/** Text of the shared 'text' type: the tests' stand-in for a program field. */
export function text(doc: Y.Doc): string {
	return doc.getText('t').toString();
}

export interface RawClient {
	ws: WebSocket;
	messages: Uint8Array[];
	open: Promise<void>;
	closed: Promise<{ code: number; reason: string }>;
	send(bytes: Uint8Array): void;
}

/** A bare websocket client for sending arbitrary bytes. */
export function rawClient(url: string, headers?: Record<string, string>): RawClient {
	const ws = new WebSocket(url, headers ? { headers } : undefined);
	const messages: Uint8Array[] = [];
	ws.binaryType = 'nodebuffer';
	ws.on('message', (data: Buffer) => messages.push(new Uint8Array(data)));
	ws.on('error', () => {});
	const open = new Promise<void>((resolve, reject) => {
		ws.once('open', () => resolve());
		ws.once('close', () => reject(new Error('closed before open')));
	});
	open.catch(() => {});
	const closed = new Promise<{ code: number; reason: string }>((resolve) =>
		ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }))
	);
	return { ws, messages, open, closed, send: (bytes) => ws.send(bytes) };
}

export function rawUrl(relay: TestRelay, programId: string, token?: string, extra = ''): string {
	const q = token === undefined ? '' : `?token=${encodeURIComponent(token)}${extra}`;
	return `${relay.wsBase}/${programId}${q}`;
}

/** A sync update message carrying `insert(text)` from a fresh document. */
export function textUpdateMessage(value: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getText('t').insert(0, value);
	const update = Y.encodeStateAsUpdate(doc);
	doc.destroy();
	return encodeSyncUpdate(update);
}

export function emptyStep1(): Uint8Array {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, 0);
	return encodeSyncStep1(encoding.toUint8Array(e));
}

/** The document as stored in SQLite (compacted state + log), as a Y.Doc. */
export async function storedDoc(relay: TestRelay, programId: string): Promise<Y.Doc> {
	await relay.server.relay.flush();
	const stored = await relay.store.load(programId);
	const doc = new Y.Doc();
	if (stored.state) Y.applyUpdate(doc, stored.state);
	for (const u of stored.updates) Y.applyUpdate(doc, u);
	return doc;
}

export async function storedText(relay: TestRelay, programId: string): Promise<string> {
	const doc = await storedDoc(relay, programId);
	const value = text(doc);
	doc.destroy();
	return value;
}

/**
 * A `ws` WebSocket class that records the document payload of every sync step 2 and update it
 * sends (what a client has handed to the relay), for checking what was acknowledged.
 */
export function recordingSocket(onOpen: (sent: Uint8Array[]) => void) {
	return class RecordingWebSocket extends WebSocket {
		sent: Uint8Array[] = [];
		constructor(url: string, protocols?: string | string[]) {
			super(url, protocols);
			onOpen(this.sent);
		}
		override send(data: Uint8Array): void {
			if (data[0] === 0 && (data[1] === 1 || data[1] === 2)) {
				const d = decoding.createDecoder(data);
				decoding.readVarUint(d);
				decoding.readVarUint(d);
				this.sent.push(decoding.readVarUint8Array(d));
			}
			super.send(data);
		}
	};
}

/** A stock y-websocket client writing keys `<name>-<n>` into map `m`, that tracks which of its
 * keys the relay acknowledged as durable (from the ack's persistedCount and what it had sent). */
export interface AckedWriter {
	name: string;
	doc: Y.Doc;
	provider: WebsocketProvider;
	/** Keys the server acknowledged as durable. */
	acked: Set<string>;
	written: number;
	/** Connections opened so far (reconnects included). */
	connections: number;
}

export function ackedWriter(
	name: string,
	port: number,
	programId: string,
	secret: string
): AckedWriter {
	const doc = new Y.Doc();
	const acked = new Set<string>();
	let currentSent: Uint8Array[] = [];
	const WS = recordingSocket((sent) => (currentSent = sent));
	const token = mintAccessToken(secret, {
		userId: name,
		programId,
		access: 'rw',
		expiresAt: Date.now() + 600_000
	});
	const provider = new WebsocketProvider(`ws://127.0.0.1:${port}/sync`, programId, doc, {
		WebSocketPolyfill: WS as unknown as typeof globalThis.WebSocket,
		params: { token, ack: '1' },
		disableBc: true,
		maxBackoffTime: 200
	});
	const w: AckedWriter = { name, doc, provider, acked, written: 0, connections: 0 };
	provider.on('status', (e: { status: string }) => {
		if (e.status === 'connected') w.connections++;
	});
	provider.messageHandlers[MESSAGE_ACK] = (_e: unknown, decoder: decoding.Decoder) => {
		const { persistedCount } = readAck(decoder);
		// The first persistedCount messages sent on this socket are durable: collect their keys,
		// read off the structs (applied to an empty document, an update whose structs follow ones
		// sent on an earlier connection would stay pending and hide its keys).
		for (const u of currentSent.slice(0, persistedCount))
			for (const struct of Y.decodeUpdate(u).structs)
				if (struct instanceof Y.Item && struct.parentSub?.startsWith(`${name}-`))
					acked.add(struct.parentSub);
	};
	return w;
}

/** A curator's stock client with a read-only token: sees what the relay stores, writes nothing. */
export function readOnlyObserver(
	port: number,
	programId: string,
	secret: string
): { doc: Y.Doc; provider: WebsocketProvider } {
	const doc = new Y.Doc();
	const token = mintAccessToken(secret, {
		userId: 'observer',
		programId,
		access: 'ro',
		expiresAt: Date.now() + 60_000
	});
	const provider = new WebsocketProvider(`ws://127.0.0.1:${port}/sync`, programId, doc, {
		WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
		params: { token },
		disableBc: true
	});
	return { doc, provider };
}
