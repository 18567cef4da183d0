/**
 * Awareness as the relay relays it (awareness.ts), over the in-memory transport and fake clock:
 * the relay's queries are coalesced and their answers not charged, presence identity is the
 * server's, oversized/deep states close only their sender, and an id announced in presence
 * cannot be written under first by someone else.
 */
import * as decoding from 'lib0/decoding';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Access } from '../auth/tokens.js';
import {
	awarenessMessage,
	deepAwarenessMessage,
	presenceMessage
} from '../../tests/support/hostile-payloads.js';
import type { RelayConfig } from './config.js';
import { MESSAGE_AWARENESS, encodeSyncUpdate } from './protocol.js';
import type { Relay } from './relay.js';
import { FakeSocket, attachPhone, fakeClockRelay } from './test-fakes.js';

const PROGRAM = 'p1';
let relays: Relay[] = [];
afterEach(async () => {
	for (const r of relays) await r.close();
	relays = [];
});

function setup(overrides: Partial<RelayConfig> = {}) {
	const { relay, clock, store } = fakeClockRelay({ config: overrides });
	relays.push(relay);
	void store.createProgram(PROGRAM);
	function connect(userId: string, access: Access = 'rw') {
		const person = { userId, access, device: null, wantsAcks: false };
		const { attached, socket } = attachPhone(relay, clock, PROGRAM, person);
		return { ...attached, socket };
	}
	return { clock, store, relay, connect };
}

/** The states in the awareness messages a socket received, by client id. */
function states(socket: FakeSocket): Map<number, Record<string, unknown>> {
	const out = new Map<number, Record<string, unknown>>();
	for (const m of socket.sent) {
		const d = decoding.createDecoder(m);
		if (decoding.readVarUint(d) !== MESSAGE_AWARENESS) continue;
		const a = decoding.createDecoder(decoding.readVarUint8Array(d));
		for (let n = decoding.readVarUint(a); n > 0; n--) {
			const id = decoding.readVarUint(a);
			decoding.readVarUint(a);
			out.set(id, JSON.parse(decoding.readVarString(a)) as Record<string, unknown>);
		}
	}
	return out;
}

describe('awareness', () => {
	it('coalesces the relay’s queries and does not charge their answers to the client', async () => {
		// A message budget of one: any charged answer beyond it would close the client (4429).
		const { clock, connect } = setup({ messagesPerSecond: 0, updateBurst: 1 });
		const honest = connect('mentor');
		await clock.settle();
		honest.receive(presenceMessage(11, 'Мария', 'наставник'));
		let answered = 0;
		for (let i = 0; i < 50; i++) {
			const joiner = connect('curator', 'ro');
			await clock.settle();
			joiner.socket.close(1000, 'bye');
			if (i % 10 === 9) await clock.advance(1_000);
			// The stock client answers every query it gets with its state.
			const queries = honest.socket.kinds().filter((k) => k === 'query-awareness').length;
			for (; answered < queries; answered++)
				honest.receive(presenceMessage(11, 'Мария', 'наставник', 2 + answered));
		}
		await clock.advance(1_000);
		const queries = honest.socket.kinds().filter((k) => k === 'query-awareness').length;
		expect(queries).toBeGreaterThan(0);
		expect(queries).toBeLessThanOrEqual(7); // 50 joins over ~5 s: ≤ 1 query per second, + trailing
		expect(honest.socket.closedWith).toBeNull();
	});

	it('stamps presence: a read-only connection is «наблюдатель», a read-write one carries its user id', async () => {
		const { clock, connect } = setup();
		const mentee = connect('mentee');
		const curator = connect('curator', 'ro');
		await clock.settle();
		curator.receive(presenceMessage(21, 'Наставник Иванов', 'наставник'));
		mentee.receive(presenceMessage(22, 'Петя', 'наставляемый'));
		const seen = states(mentee.socket);
		expect(seen.get(21)?.user).toEqual({ name: 'наблюдатель', role: 'наблюдатель' });
		expect(seen.get(22)?.user).toEqual({ name: 'Петя', role: 'наставляемый', id: 'mentee' });
		// A query answer relaying someone else's state: that entry is not the sender's to relay.
		curator.receive(
			awarenessMessage([
				[21, 5, '{"a":1}'],
				[22, 9, '{"user":{"name":"Петя-поддельный"}}']
			])
		);
		expect(states(mentee.socket).get(22)?.user).toEqual({
			name: 'Петя',
			role: 'наставляемый',
			id: 'mentee'
		});
	});

	it('closes only the sender of a deep or oversized state, before relaying it', async () => {
		const { clock, connect } = setup();
		const a = connect('mentor');
		const b = connect('mentee');
		await clock.settle();
		a.receive(deepAwarenessMessage(31, 17));
		expect(a.socket.closedWith?.code).toBe(4400);
		b.receive(awarenessMessage([[32, 1, JSON.stringify({ user: { name: 'x'.repeat(70_000) } })]]));
		expect(b.socket.closedWith?.code).toBe(4413);
		const c = connect('mentor');
		await clock.settle();
		expect(states(c.socket).size).toBe(0);
	});

	it('a client id first announced in presence cannot be written under by another participant', async () => {
		const { clock, connect, relay } = setup();
		const owner = connect('mentee');
		const intruder = connect('mentor');
		await clock.settle();
		owner.receive(presenceMessage(4242, 'Петя', 'наставляемый'));
		const forged = new Y.Doc();
		forged.clientID = 4242;
		forged.getMap('m').set('forged', 'x');
		intruder.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(forged)));
		await relay.flush();
		const real = new Y.Doc();
		real.clientID = 4242;
		real.getMap('m').set('real', 'y');
		owner.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(real)));
		await relay.flush();
		const stored = new Y.Doc();
		Y.applyUpdate(stored, await relay.getDocument(PROGRAM));
		expect(stored.getMap('m').toJSON()).toEqual({ real: 'y' });
		expect(intruder.socket.closedWith).toBeNull(); // dropped, not closed: it may be an honest re-send
	});
});
