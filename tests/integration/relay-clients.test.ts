/**
 * Issue 14: an honest client — any stock y-websocket 1.x, 2.x or 3.x client, in any legal
 * message order, with any reconnect pattern — is never closed with a code its library treats as
 * final (4400–4499), and what it wrote reaches its partner and storage. The real relay, real
 * sockets, the three stock clients unchanged.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider as Provider3 } from 'y-websocket';
import { WebsocketProvider as Provider1 } from 'y-websocket-1.5.4';
import { WebsocketProvider as Provider2 } from 'y-websocket-2';
import * as Y from 'yjs';
import { encodeSyncUpdate } from '../../src/lib/shared/protocol';
import { rawClient, rawUrl, startRelay, storedDoc, waitFor, type TestRelay } from './relay-helpers';

interface AnyProvider {
	synced: boolean;
	wsconnected: boolean;
	connect(): void;
	disconnect(): void;
	destroy(): void;
	on(event: 'connection-close', f: (event: { code: number; reason: string } | null) => void): void;
}

type ProviderClass = new (
	url: string,
	room: string,
	doc: Y.Doc,
	opts: Record<string, unknown>
) => AnyProvider;

const VERSIONS: [string, ProviderClass][] = [
	// The three majors share the one yjs of this checkout; their constructors differ only in types.
	['y-websocket 1.5.4', Provider1 as unknown as ProviderClass],
	['y-websocket 2.x', Provider2 as unknown as ProviderClass],
	['y-websocket 3.x', Provider3 as unknown as ProviderClass]
];

interface Client {
	doc: Y.Doc;
	provider: AnyProvider;
	/** Close codes a stock client treats as final (y-websocket 3: 4400–4499). */
	finals: number[];
}

describe.each(VERSIONS)(
	'%s against the relay: honest patterns are never cut off',
	(_, Provider) => {
		let relay: TestRelay;
		const clients: Client[] = [];
		let n = 0;

		function client(programId: string, userId: string, doc = new Y.Doc()): Client {
			const provider = new Provider(relay.wsBase, programId, doc, {
				WebSocketPolyfill: WebSocket,
				params: { token: relay.token(userId, programId) },
				disableBc: true,
				maxBackoffTime: 200
			});
			const c: Client = { doc, provider, finals: [] };
			provider.on('connection-close', (event) => {
				if (event && event.code >= 4400 && event.code <= 4499) c.finals.push(event.code);
			});
			clients.push(c);
			return c;
		}

		const synced = (c: Client) => waitFor(() => c.provider.synced, 'client synced');

		beforeAll(async () => {
			relay = await startRelay({ RELAY_COMPACT_AFTER_UPDATES: '4', RELAY_IDLE_UNLOAD_MS: '200' });
		});
		afterEach(() => {
			for (const c of clients.splice(0)) c.provider.destroy();
		});
		afterAll(async () => {
			await relay.close();
		});

		it('a writer’s two updates in reverse order, then the partner reconnects with them pending', async () => {
			const programId = `reverse-${++n}`;
			await relay.createProgram(programId);
			const partner = client(programId, 'partner');
			await synced(partner);
			// The writer (a raw socket: the order is the test's) produces two consecutive updates …
			const w = new Y.Doc();
			const t = w.getText('t');
			t.insert(0, 'первое ');
			const sv1 = Y.encodeStateVector(w);
			const u1 = Y.encodeStateAsUpdate(w);
			t.insert(7, 'второе');
			const u2 = Y.encodeStateAsUpdate(w, sv1);
			const writer = rawClient(rawUrl(relay, programId, relay.token('writer', programId)));
			await writer.open;
			// … and sends the second first: the relay and the partner hold it pending.
			writer.send(encodeSyncUpdate(u2));
			await waitFor(
				async () => (await storedDoc(relay, programId)).store.pendingStructs !== null,
				'u2 stored as pending'
			);
			// The partner drops off with u2 pending and edits offline; it comes back before u1
			// arrives, so its sync step 2 re-sends the writer's pending structs with its own edit.
			partner.provider.disconnect();
			partner.doc.getText('t').insert(0, 'офлайн ');
			partner.provider.connect();
			await synced(partner);
			await waitFor(
				async () => (await storedDoc(relay, programId)).getText('t').toString() === 'офлайн ',
				'the partner’s offline edit stored'
			);
			writer.send(encodeSyncUpdate(u1));
			const other = client(programId, 'other');
			await waitFor(
				() =>
					other.doc.getText('t').toString() === partner.doc.getText('t').toString() &&
					other.doc.getText('t').length === 20,
				() =>
					`converged: partner "${partner.doc.getText('t').toString()}", other "${other.doc.getText('t').toString()}"`
			);
			expect((await storedDoc(relay, programId)).getText('t').toString()).toBe(
				partner.doc.getText('t').toString()
			);
			expect(writer.ws.readyState).toBe(WebSocket.OPEN);
			writer.ws.close();
			expect(partner.finals).toEqual([]);
			expect(other.finals).toEqual([]);
		});

		it('partners re-sending each other’s structs over many quick reconnects, with the room unloading between', async () => {
			const programId = `reconnect-${++n}`;
			await relay.createProgram(programId);
			const a = client(programId, 'a');
			const b = client(programId, 'b');
			await Promise.all([synced(a), synced(b)]);
			for (let round = 0; round < 6; round++) {
				const who = round % 2 === 0 ? a : b;
				const peer = who === a ? b : a;
				who.provider.disconnect();
				// Offline: the other edits too, then both reconnect (the relay may have unloaded).
				who.doc.getMap('m').set(`offline-${round}`, round);
				peer.doc.getMap('m').set(`online-${round}`, round);
				if (round % 3 === 2) {
					peer.provider.disconnect();
					await new Promise((r) => setTimeout(r, 300));
					peer.provider.connect();
				}
				who.provider.connect();
				await waitFor(
					() =>
						a.doc.getMap('m').size === (round + 1) * 2 &&
						b.doc.getMap('m').size === (round + 1) * 2,
					() => `round ${round}: a ${a.doc.getMap('m').size}, b ${b.doc.getMap('m').size}`
				);
			}
			// A third device of `a` with a copy of a's document (it holds b's structs too) joins.
			const copy = new Y.Doc();
			Y.applyUpdate(copy, Y.encodeStateAsUpdate(a.doc));
			copy.getMap('m').set('copy', 1);
			const third = client(programId, 'a', copy);
			await waitFor(() => b.doc.getMap('m').has('copy'), 'the third device’s edit reached b');
			const stored = await storedDoc(relay, programId);
			expect(stored.getMap('m').size).toBe(13);
			for (const c of [a, b, third]) expect(c.finals).toEqual([]);
		});
	}
);
