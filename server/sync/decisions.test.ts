/**
 * The decisions document at the relay (decisions.ts), over the in-memory transport and store:
 * the defence in depth below the read-only grant — even a session that somehow holds a writable
 * grant on `<programId>/decisions` has its update refused before anything is stored — while the
 * server's decision edits are stored and delivered to the sessions that have it open.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Access } from '../auth/tokens.js';
import { decisionsAuthorizer, isDecisionsId, programOfDecisions } from './decisions.js';
import { CloseCode, encodeSyncUpdate } from './protocol.js';
import type { Relay } from './relay.js';
import { attachPhone, fakeClockRelay } from './test-fakes.js';

const PROGRAM = 'p1';
const DECISIONS = `${PROGRAM}/decisions`;

let relays: Relay[] = [];
afterEach(async () => {
	for (const r of relays) await r.close();
	relays = [];
});

function setup() {
	const { relay, clock, store } = fakeClockRelay();
	relays.push(relay);
	void store.createProgram(PROGRAM);
	const connect = (userId: string, access: Access) => {
		const { attached, socket } = attachPhone(relay, clock, DECISIONS, { userId, access });
		return { ...attached, socket };
	};
	return { clock, store, relay, connect };
}

function forged(): Uint8Array {
	const doc = new Y.Doc();
	doc.getMap('decisions.program').set('approval', { by: 'u-mentee', date: '2026-09-01' });
	return Y.encodeStateAsUpdate(doc);
}

describe('the decisions document at the relay', () => {
	it('ids: <programId>/decisions, nothing else', () => {
		expect(isDecisionsId('p1/decisions')).toBe(true);
		expect(programOfDecisions('p1/decisions')).toBe('p1');
		expect(isDecisionsId('p1')).toBe(false);
		expect(isDecisionsId('../x/decisions')).toBe(false);
		expect(isDecisionsId('p1/decisions/decisions')).toBe(false);
	});

	it('the authorizer authorizes the program, then forces read-only', async () => {
		const authorizer = decisionsAuthorizer(
			async (_request, id) =>
				id === PROGRAM ? { userId: 'u-mentee', access: 'rw', expiresAt: 1 } : { deny: 'forbidden' },
			async () => undefined
		);
		// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the request is not read
		const request = {} as any;
		expect(await authorizer(request, DECISIONS)).toMatchObject({ access: 'ro' });
		expect(await authorizer(request, PROGRAM)).toMatchObject({ access: 'rw' });
		expect(await authorizer(request, 'p2/decisions')).toEqual({ deny: 'forbidden' });
	});

	it('refuses a client update even under a writable grant; stores and delivers a server decision', async () => {
		const { clock, store, relay, connect } = setup();
		const phone = connect('u-mentor', 'ro');
		const hostile = connect('u-mentee', 'rw');
		await clock.settle();
		const before = store.appendCalls.flat().length;
		hostile.receive(encodeSyncUpdate(forged()));
		await clock.settle();
		expect(hostile.socket.closedWith?.code).toBe(CloseCode.FORBIDDEN);
		expect(store.appendCalls.flat().length).toBe(before);
		// A read-only session's update is dropped, and the session stays open.
		phone.receive(encodeSyncUpdate(forged()));
		await clock.settle();
		expect(phone.socket.closedWith).toBeNull();
		expect(store.appendCalls.flat().length).toBe(before);
		// The server's decision is stored and reaches the open phone.
		const edit = relay.applyDecisionEdit(PROGRAM, { userId: 'u-curator' }, (_doc, decisions) =>
			decisions.getMap('decisions.program').set('approval', { by: 'u-curator', date: '2026-09-02' })
		);
		await clock.settle();
		await clock.advance(1_000);
		expect((await edit).update).not.toBeNull();
		expect(phone.socket.kinds()).toContain('update');
		const stored = new Y.Doc();
		Y.applyUpdate(stored, await relay.getDecisions(PROGRAM));
		expect(stored.getMap('decisions.program').get('approval')).toEqual({
			by: 'u-curator',
			date: '2026-09-02'
		});
	});
});
