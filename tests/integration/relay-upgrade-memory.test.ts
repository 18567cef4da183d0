/**
 * What an open connection keeps (issue 18, the idle relay's memory). A heap snapshot of 3,000
 * idle programs showed every open connection holding its upgrade request — the headers, the URL
 * with the token, `head` — through a closure left on the websocket: ~2 KB of heap each, 6 MB for
 * 3,000 phones. On the real server: a phone connects and stays; after a full collection its
 * upgrade request must be gone while the connection is still open and syncing.
 */
import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSyncStep1 } from '../../src/lib/shared/protocol';
import { startCuratorServer, type CuratorTestServer } from './curator-server';
import { rawClient } from './relay-helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let t: CuratorTestServer;

beforeAll(async () => {
	t = await startCuratorServer();
});

afterAll(async () => {
	await t?.close();
});

describe('an open connection', () => {
	it('does not keep its upgrade request (headers, URL with the token) alive', async () => {
		const mentor = await t.person('Иванова Мария Петровна', null);
		const mentee = await t.person('Петров Сергей Иванович', null);
		const program = await t.server.programs.createProgram(t.curatorActor, {
			organizationId: t.organizationId,
			templateId: 'blank',
			participants: [
				{ personId: mentor.id, role: 'mentor' },
				{ personId: mentee.id, role: 'mentee' }
			]
		});
		let request: WeakRef<IncomingMessage> | null = null;
		const server = t.server.app.server;
		const watch = (req: IncomingMessage) => {
			if (req.url?.startsWith(`/sync/${program.id}`)) request = new WeakRef(req);
		};
		server.prependListener('upgrade', watch);
		const phone = rawClient(
			`${t.wsBase}/${program.id}?token=${encodeURIComponent(t.token(mentor.id, program.id))}`
		);
		await phone.open;
		server.off('upgrade', watch);
		phone.send(encodeSyncStep1(new Uint8Array([0])));
		// The relay answers step 1 with step 2: the connection is accepted and in use.
		await expect.poll(() => phone.messages.some((m) => m[0] === 0 && m[1] === 1)).toBe(true);
		expect(request).not.toBeNull();
		// Collected once nothing holds it (a few rounds: weak references clear after a full GC).
		for (let i = 0; i < 5 && (request as WeakRef<IncomingMessage> | null)?.deref(); i++) {
			await new Promise((r) => setTimeout(r, 50));
			gc();
		}
		expect(phone.ws.readyState).toBe(phone.ws.OPEN);
		expect((request as WeakRef<IncomingMessage> | null)?.deref()).toBeUndefined();
		phone.ws.close();
	});
});
