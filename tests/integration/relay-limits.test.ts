import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { CloseCode, encodeAwarenessMessage, encodeSyncUpdate } from '../../src/lib/shared/protocol';
import {
	connectClient,
	rawClient,
	rawUrl,
	startRelay,
	storedDoc,
	storedText,
	synced,
	text,
	textUpdateMessage,
	waitFor,
	type RawClient,
	type TestClient,
	type TestRelay
} from './relay-helpers';

const MAX_MESSAGE = 64 * 1024;
const BURST = 20;

describe('relay: limits and malformed input', () => {
	let relay: TestRelay;
	let a: TestClient;
	let b: TestClient;
	let round = 0;
	const raws: RawClient[] = [];

	beforeAll(async () => {
		relay = await startRelay({
			RELAY_MAX_MESSAGE_BYTES: String(MAX_MESSAGE),
			RELAY_MAX_DOCUMENT_BYTES: String(200 * 1024),
			RELAY_UPDATE_BURST: String(BURST),
			RELAY_UPDATES_PER_SECOND: '5'
		});
		await relay.createProgram('p-limits');
		a = connectClient(relay.wsBase, 'p-limits', relay.token('mentor', 'p-limits'));
		b = connectClient(relay.wsBase, 'p-limits', relay.token('mentee', 'p-limits'));
		await Promise.all([synced(a), synced(b)]);
	});
	afterEach(() => {
		for (const r of raws.splice(0)) r.ws.terminate();
	});
	afterAll(async () => {
		a?.destroy();
		b?.destroy();
		await relay?.close();
	});

	/** The well-behaved pair keeps syncing: a writes, b receives, and it is stored. */
	async function wellBehavedStillSyncs() {
		const marker = `[ok ${++round}]`;
		a.doc.getText('t').insert(text(a.doc).length, marker);
		await waitFor(() => text(b.doc).includes(marker), `b to receive ${marker}`);
		expect(a.provider.wsconnected && b.provider.wsconnected).toBe(true);
	}

	async function offend(
		messages: (Uint8Array | string)[],
		expected: number,
		token = relay.token('intruder', 'p-limits')
	) {
		const before = await storedText(relay, 'p-limits');
		const raw = rawClient(rawUrl(relay, 'p-limits', token));
		raws.push(raw);
		await raw.open;
		for (const m of messages) raw.ws.send(m);
		const closed = await raw.closed;
		expect(closed.code).toBe(expected);
		expect(await storedText(relay, 'p-limits')).toBe(before);
		await wellBehavedStillSyncs();
		return closed;
	}

	it('closes an oversized message with 4413 and stores nothing', async () => {
		const big = textUpdateMessage('я'.repeat(MAX_MESSAGE));
		expect(big.length).toBeGreaterThan(MAX_MESSAGE);
		await offend([big], CloseCode.MESSAGE_TOO_LARGE);
	});

	it('closes garbage bytes, text frames and unknown types with 4400', async () => {
		await offend(
			[new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
			CloseCode.MALFORMED
		);
		await offend([new Uint8Array([0, 2, 6, 9, 9, 9, 9, 9, 9])], CloseCode.MALFORMED); // framed garbage update
		await offend(['hello'], CloseCode.MALFORMED);
		await offend([new Uint8Array([42, 0])], CloseCode.MALFORMED);
		const e = encoding.createEncoder();
		encoding.writeVarUint(e, 1);
		encoding.writeVarUint(e, 7);
		encoding.writeVarUint(e, 1);
		encoding.writeVarString(e, '{not json');
		await offend([encodeAwarenessMessage(encoding.toUint8Array(e))], CloseCode.MALFORMED);
	});

	it('closes a truncated update with 4400 and stores nothing', async () => {
		const doc = new Y.Doc();
		doc.getText('t').insert(0, 'обрезанное обновление');
		doc.getMap('m').set('k', 'v');
		const update = Y.encodeStateAsUpdate(doc);
		// Truncated frame (the varUint8Array length says more than there is) …
		const message = encodeSyncUpdate(update);
		await offend([message.slice(0, message.length - 5)], CloseCode.MALFORMED);
		// … and a well-framed update whose content is cut short.
		for (const cut of [1, 3, 8]) {
			await offend([encodeSyncUpdate(update.slice(0, update.length - cut))], CloseCode.MALFORMED);
		}
	});

	it('closes an update flood with 4429; only updates within the allowance are stored', async () => {
		const before = await storedDoc(relay, 'p-limits');
		const flooder = new Y.Doc();
		Y.applyUpdate(flooder, Y.encodeStateAsUpdate(before));
		const updates: Uint8Array[] = [];
		flooder.on('update', (u: Uint8Array) => updates.push(encodeSyncUpdate(u)));
		for (let i = 0; i < 100; i++) flooder.getText('flood').insert(0, `${i},`);
		const raw = rawClient(rawUrl(relay, 'p-limits', relay.token('mentor', 'p-limits')));
		raws.push(raw);
		await raw.open;
		for (const u of updates) raw.send(u);
		expect((await raw.closed).code).toBe(CloseCode.RATE_LIMITED);
		const after = await storedDoc(relay, 'p-limits');
		const flood = after.getText('flood').toString().split(',').filter(Boolean);
		// The allowance (burst + a little refill) was accepted in order, nothing after the breach.
		expect(flood.length).toBeGreaterThanOrEqual(BURST);
		expect(flood.length).toBeLessThanOrEqual(BURST + 2);
		expect(flood.map(Number).sort((x, y) => x - y)).toEqual([...Array(flood.length).keys()]);
		await wellBehavedStillSyncs();
	});

	it('closes an update that would make the document too large with 4507', async () => {
		const raw = rawClient(rawUrl(relay, 'p-limits', relay.token('mentor', 'p-limits')));
		raws.push(raw);
		await raw.open;
		const chunk = 'ы'.repeat(20_000); // ~40 KB per update
		for (let i = 0; i < 8; i++) raw.send(textUpdateMessage(`${i}${chunk}`));
		expect((await raw.closed).code).toBe(CloseCode.DOCUMENT_TOO_LARGE);
		await relay.server.relay.flush();
		const stored = await relay.server.relay.getDocument('p-limits');
		expect(stored.length).toBeLessThanOrEqual(200 * 1024);
		await wellBehavedStillSyncs();
	});
});

describe('relay: connections per address and dead sockets', () => {
	let relay: TestRelay;
	beforeAll(async () => {
		relay = await startRelay({ RELAY_MAX_CONNECTIONS_PER_IP: '2', RELAY_PING_INTERVAL_MS: '100' });
		await relay.createProgram('p-ip');
	});
	afterAll(async () => {
		await relay?.close();
	});

	it('refuses connections beyond the per-address limit with 4529', async () => {
		const token = relay.token('mentor', 'p-ip');
		const first = rawClient(rawUrl(relay, 'p-ip', token));
		const second = rawClient(rawUrl(relay, 'p-ip', token));
		await Promise.all([first.open, second.open]);
		const third = rawClient(rawUrl(relay, 'p-ip', token));
		expect((await third.closed).code).toBe(CloseCode.TOO_MANY_CONNECTIONS);
		expect(first.ws.readyState).toBe(first.ws.OPEN);
		first.ws.close();
		await first.closed;
		await waitFor(() => relay.server.relay.connections().length === 1, 'the slot to free up');
		const fourth = rawClient(rawUrl(relay, 'p-ip', token));
		await fourth.open;
		second.ws.close();
		fourth.ws.close();
		await Promise.all([second.closed, fourth.closed]);
	});

	it('terminates a socket that stops answering pings', async () => {
		const raw = rawClient(rawUrl(relay, 'p-ip', relay.token('mentor', 'p-ip')));
		await raw.open;
		await waitFor(() => relay.server.relay.connections().length === 1, 'registration');
		// Stop reading: the automatic pong is never sent.
		(raw.ws as unknown as { _socket: { pause(): void } })._socket.pause();
		await waitFor(
			() => relay.server.relay.connections().length === 0,
			'the dead socket to be dropped',
			3_000
		);
		raw.ws.terminate();
	});
});

describe('relay: per-address limit behind a trusted proxy', () => {
	let relay: TestRelay;
	beforeAll(async () => {
		relay = await startRelay({ RELAY_MAX_CONNECTIONS_PER_IP: '1', RELAY_TRUSTED_PROXY_HOPS: '1' });
		await relay.createProgram('p-proxy');
	});
	afterAll(async () => {
		await relay?.close();
	});

	it('counts the address the proxy saw, not the proxy', async () => {
		const token = relay.token('mentor', 'p-proxy');
		const url = rawUrl(relay, 'p-proxy', token);
		const school1 = rawClient(url, { 'x-forwarded-for': '198.51.100.7, 10.0.0.1' });
		const school2 = rawClient(url, { 'x-forwarded-for': '198.51.100.99, 10.0.0.2' });
		await Promise.all([school1.open, school2.open]);
		// A forged leftmost entry does not help: the entry appended by the proxy counts.
		const again = rawClient(url, { 'x-forwarded-for': '203.0.113.5, 10.0.0.1' });
		expect((await again.closed).code).toBe(CloseCode.TOO_MANY_CONNECTIONS);
		school1.ws.close();
		school2.ws.close();
		await Promise.all([school1.closed, school2.closed]);
	});
});
