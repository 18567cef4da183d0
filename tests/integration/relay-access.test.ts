import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { metricsHeaders } from '../support/test-server';
import { mintAccessToken } from '../../server/auth/tokens';
import { CloseCode, MESSAGE_SYNC, SYNC_STEP2 } from '../../src/lib/shared/protocol';
import {
	connectClient,
	emptyStep1,
	rawClient,
	rawUrl,
	startRelay,
	storedText,
	synced,
	text,
	textUpdateMessage,
	waitFor,
	type TestClient,
	type TestRelay
} from './relay-helpers';

describe('relay: access', () => {
	let relay: TestRelay;
	const clients: TestClient[] = [];

	beforeAll(async () => {
		relay = await startRelay();
		await relay.createProgram('p-secret');
		await relay.createProgram('p-other');
	});
	afterEach(() => {
		for (const c of clients.splice(0)) c.destroy();
	});
	afterAll(async () => {
		await relay?.close();
	});

	/** Opens a raw connection, sends an update right away, and returns the close code and anything received. */
	async function refused(url: string) {
		const c = rawClient(url);
		c.ws.once('open', () => {
			c.send(emptyStep1());
			c.send(textUpdateMessage('взлом'));
		});
		const closed = await c.closed;
		return { ...closed, received: c.messages.length };
	}

	async function logCount(programId: string): Promise<number> {
		await relay.server.relay.flush();
		const stored = await relay.store.load(programId);
		return stored.updates.length + (stored.state ? 1 : 0);
	}

	it('refuses a connection without a token (4401), before any document byte', async () => {
		const r = await refused(rawUrl(relay, 'p-secret'));
		expect(r).toMatchObject({ code: CloseCode.UNAUTHENTICATED, received: 0 });
		expect(await logCount('p-secret')).toBe(0);
	});

	it('refuses a token with a bad signature (4401)', async () => {
		const good = relay.token('mentor', 'p-secret');
		const [payload] = good.split('.');
		const forged = mintAccessToken('x'.repeat(40), {
			userId: 'mentor',
			programId: 'p-secret',
			access: 'rw',
			expiresAt: Date.now() + 60_000
		});
		for (const token of [
			`${payload}.${forged.split('.')[1]}`,
			`${payload}.AAAA`,
			'garbage',
			`${good}x`
		]) {
			const r = await refused(rawUrl(relay, 'p-secret', token));
			expect(r, token).toMatchObject({ code: CloseCode.UNAUTHENTICATED, received: 0 });
		}
		expect(await logCount('p-secret')).toBe(0);
	});

	it('refuses an expired token (4408)', async () => {
		const r = await refused(
			rawUrl(relay, 'p-secret', relay.token('mentor', 'p-secret', 'rw', -1_000))
		);
		expect(r).toMatchObject({ code: CloseCode.AUTH_EXPIRED, received: 0 });
		expect(await logCount('p-secret')).toBe(0);
	});

	it('refuses a token for another program (4403) and an unknown program (4404)', async () => {
		const r = await refused(rawUrl(relay, 'p-secret', relay.token('mentor', 'p-other')));
		expect(r).toMatchObject({ code: CloseCode.FORBIDDEN, received: 0 });
		const u = await refused(rawUrl(relay, 'p-missing', relay.token('mentor', 'p-missing')));
		expect(u).toMatchObject({ code: CloseCode.NOT_FOUND, received: 0 });
		expect(await logCount('p-secret')).toBe(0);
		expect(await logCount('p-missing')).toBe(0);
	});

	it('the stock client tells a refusal from a network failure and stops reconnecting', async () => {
		const c = connectClient(relay.wsBase, 'p-secret', relay.token('mentor', 'p-other'));
		clients.push(c);
		const closed: number[] = [];
		c.provider.on('closed', (event: { code: number }) => closed.push(event.code));
		await waitFor(() => closed.length > 0, 'the closed event');
		expect(closed).toEqual([CloseCode.FORBIDDEN]);
		expect(c.provider.shouldConnect).toBe(false);
	});

	it('a read-only connection receives everything and sends awareness, but its writes are dropped and counted', async () => {
		const writer = connectClient(relay.wsBase, 'p-secret', relay.token('mentor', 'p-secret', 'rw'));
		const curator = connectClient(
			relay.wsBase,
			'p-secret',
			relay.token('curator', 'p-secret', 'ro')
		);
		clients.push(writer, curator);
		await Promise.all([synced(writer), synced(curator)]);
		writer.doc.getText('t').insert(0, 'план');
		await waitFor(() => text(curator.doc) === 'план', 'the curator to receive the plan');

		curator.doc.getText('t').insert(0, 'куратор правит ');
		curator.provider.awareness.setLocalStateField('user', { name: 'Куратор' });
		await waitFor(
			() =>
				// Stamped by the relay (server/sync/awareness.ts): a read-only connection is an observer.
				[...writer.provider.awareness.getStates().values()].some(
					(s) => s.user?.name === 'наблюдатель'
				),
			"the curator's awareness to reach the mentor"
		);
		expect(
			[...writer.provider.awareness.getStates().values()].some((s) => s.user?.name === 'Куратор')
		).toBe(false);
		// A raw ro client sending step 2 + update directly.
		const raw = rawClient(rawUrl(relay, 'p-secret', relay.token('curator', 'p-secret', 'ro')));
		await raw.open;
		raw.send(textUpdateMessage('взлом'));
		const step2 = new Uint8Array([
			MESSAGE_SYNC,
			SYNC_STEP2,
			...textUpdateMessage('взлом2').slice(2)
		]);
		raw.send(step2);
		// "The read-only writes change nothing": a fixed window, not a condition.
		await new Promise((r) => setTimeout(r, 150));
		expect(text(writer.doc)).toBe('план');
		expect(await storedText(relay, 'p-secret')).toBe('план');
		const metrics = await (
			await fetch(`http://127.0.0.1:${relay.port}/metrics`, { headers: metricsHeaders })
		).text();
		const dropped = /relay_rejected_messages_total\{reason="read_only"[^}]*\} (\d+)/.exec(metrics);
		expect(Number(dropped?.[1])).toBeGreaterThanOrEqual(3);
		raw.ws.close();
	});

	it('closes a connection whose token expires with 4408; the client keeps its local edits', async () => {
		await relay.createProgram('p-expiry');
		const c = connectClient(
			relay.wsBase,
			'p-expiry',
			relay.token('mentee', 'p-expiry', 'rw', 1_500)
		);
		clients.push(c);
		const closed: number[] = [];
		c.provider.on('closed', (event: { code: number }) => closed.push(event.code));
		await synced(c);
		await waitFor(() => closed.length > 0, 'the expiry close', 5_000);
		expect(closed).toEqual([CloseCode.AUTH_EXPIRED]);
		c.doc.getText('t').insert(0, 'после истечения');
		expect(text(c.doc)).toBe('после истечения');
		// With a fresh token it reconnects and the kept edit reaches the server.
		c.provider.params = { token: relay.token('mentee', 'p-expiry') };
		c.provider.connect();
		await waitFor(() => c.provider.synced, 'resync with a new token');
		await waitFor(
			async () => (await storedText(relay, 'p-expiry')) === 'после истечения',
			'the kept edit to be stored'
		);
		expect(await storedText(relay, 'p-expiry')).toBe('после истечения');
	});

	it('closeWhere closes the matching live connections (e.g. a revoked user) and no others', async () => {
		const victim = rawClient(rawUrl(relay, 'p-other', relay.token('revoked-user', 'p-other')));
		const bystander = rawClient(rawUrl(relay, 'p-other', relay.token('mentee', 'p-other')));
		await Promise.all([victim.open, bystander.open]);
		await waitFor(
			() => relay.server.relay.connections().filter((c) => c.programId === 'p-other').length === 2,
			'registration'
		);
		expect(
			relay.server.relay.closeWhere(
				(c) => c.userId === 'revoked-user',
				CloseCode.UNAUTHENTICATED,
				'session revoked'
			)
		).toBe(1);
		expect((await victim.closed).code).toBe(CloseCode.UNAUTHENTICATED);
		expect(bystander.ws.readyState).toBe(bystander.ws.OPEN);
		bystander.ws.close();
	});

	it('never logs tokens', () => {
		expect(relay.logs()).not.toMatch(/token=[A-Za-z0-9_-]{10}/);
		// Every token's payload segment starts with base64url('{"') = 'eyJ'.
		expect(relay.logs()).not.toContain('eyJ');
		expect(relay.logs()).toContain('refusing sync connection');
	});
});
