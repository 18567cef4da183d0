import { describe, expect, it } from 'vitest';
import { DEFAULT_RELAY_CONFIG } from './config.js';
import { sessionLimits, TokenBucket } from './limits.js';
import type { LiveRoom } from './rooms.js';
import { Session } from './session.js';
import { FakeSocket } from './test-fakes.js';

function session() {
	const socket = new FakeSocket();
	const info = {
		id: 1,
		programId: 'p',
		userId: 'u',
		access: 'rw' as const,
		sessionId: undefined,
		deviceId: undefined,
		ip: '10.0.0.1',
		connectedAt: 0,
		expiresAt: 1
	};
	const room = { sessions: new Set() } as unknown as LiveRoom;
	return {
		socket,
		s: new Session(socket, room, info, true, sessionLimits(DEFAULT_RELAY_CONFIG, 0))
	};
}

describe('session state', () => {
	it('loading holds messages and sends nothing; ready hands them over once', () => {
		const { s, socket } = session();
		expect(s.hold(new Uint8Array([1]))).toBe(true);
		expect(s.deliver(new Uint8Array([2]))).toBe(false);
		expect(socket.sent).toHaveLength(0);
		expect(s.becomeReady()).toEqual([new Uint8Array([1])]);
		expect(s.state.kind).toBe('syncing');
		expect(s.becomeReady()).toBeNull();
		expect(s.hold(new Uint8Array([3]))).toBe(false);
		expect(s.deliver(new Uint8Array([2]))).toBe(true);
	});

	it('is in sync once live and everything it sent is durable', () => {
		const { s } = session();
		s.becomeReady();
		s.receivedCount = 2;
		s.persistedCount = 2;
		expect(s.inSync).toBe(false); // no step 2 from the client yet
		s.handshakeDone();
		expect(s.state.kind).toBe('live');
		expect(s.inSync).toBe(true);
		s.receivedCount = 3;
		expect(s.inSync).toBe(false);
	});

	it('closes once, remembering whether it had synced', () => {
		const { s } = session();
		s.becomeReady();
		expect(s.beginClosing(4400)).toBe(true);
		expect(s.beginClosing(4401)).toBe(false);
		expect(s.state).toEqual({ kind: 'closing', code: 4400, wasReady: true });
		expect(s.ready).toBe(false);
		expect(s.wasReady).toBe(true);
		expect(s.deliver(new Uint8Array([1]))).toBe(false);
		const loading = session().s;
		loading.beginClosing(1012);
		expect(loading.wasReady).toBe(false);
	});
});

describe('token bucket', () => {
	it('allows the burst, then the rate', () => {
		const bucket = new TokenBucket(2, 3, 0);
		expect([0, 0, 0, 0].map(() => bucket.take(0))).toEqual([true, true, true, false]);
		expect(bucket.take(499)).toBe(false);
		expect(bucket.take(1_000)).toBe(true);
	});
});
