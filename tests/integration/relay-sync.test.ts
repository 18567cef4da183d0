import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { metricsHeaders } from '../support/test-server';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import {
	ProgramEditor,
	createProgram,
	readProgram,
	type Actor,
	type ProgramSummary
} from '../../src/lib/shared/program/index';
import tomskBeginner from '../../src/lib/shared/program/templates/tomsk-heads-beginner';
import * as decoding from 'lib0/decoding';
import {
	MESSAGE_ACK,
	decodeStateVector,
	encodeAwarenessMessage,
	encodeDeviceStatus,
	encodeSyncUpdate,
	readAck,
	stateVectorCovers
} from '../../src/lib/shared/protocol';
import {
	connectClient,
	rawClient,
	rawUrl,
	startRelay,
	storedDoc,
	storedText,
	synced,
	text,
	waitFor,
	waitForAsync,
	type TestClient,
	type TestRelay
} from './relay-helpers';

describe('relay: sync with the stock y-websocket client', () => {
	let relay: TestRelay;
	const clients: TestClient[] = [];
	const client = (
		programId: string,
		userId: string,
		access: 'rw' | 'ro' = 'rw',
		params?: Record<string, string>
	) => {
		const c = connectClient(relay.wsBase, programId, relay.token(userId, programId, access), {
			params
		});
		clients.push(c);
		return c;
	};

	beforeAll(async () => {
		relay = await startRelay({
			RELAY_IDLE_UNLOAD_MS: '200',
			RELAY_SUMMARY_DEBOUNCE_MS: '50',
			RELAY_COMPACT_AFTER_UPDATES: '5'
		});
	});
	afterEach(() => {
		for (const c of clients.splice(0)) c.destroy();
	});
	afterAll(async () => {
		await relay?.close();
	});

	it('two clients converge, and a third joining later receives everything', async () => {
		await relay.createProgram('p-converge');
		const a = client('p-converge', 'mentor');
		const b = client('p-converge', 'mentee');
		await Promise.all([synced(a), synced(b)]);
		a.doc.getText('t').insert(0, 'наставник ');
		b.doc.getText('t').insert(0, 'наставляемый ');
		b.doc.getMap('m').set('stage', 'организационный');
		await waitFor(
			() => text(a.doc) === text(b.doc) && text(a.doc).length > 20,
			'a and b to converge'
		);
		expect(a.doc.getMap('m').get('stage')).toBe('организационный');

		const c = client('p-converge', 'curator', 'ro');
		await synced(c);
		await waitFor(() => text(c.doc) === text(a.doc), 'the late joiner to catch up');
		expect(c.doc.getMap('m').get('stage')).toBe('организационный');
		expect(await storedText(relay, 'p-converge')).toBe(text(a.doc));
	});

	it('a client offline with local edits reconnects and both sides converge', async () => {
		await relay.createProgram('p-offline');
		const a = client('p-offline', 'mentor');
		const b = client('p-offline', 'mentee');
		await Promise.all([synced(a), synced(b)]);
		a.doc.getText('t').insert(0, 'общий текст. ');
		await waitFor(() => text(b.doc) === text(a.doc), 'initial convergence');

		b.provider.disconnect();
		b.doc.getText('t').insert(text(b.doc).length, 'записано в школе без сети. ');
		a.doc.getText('t').insert(0, 'правка наставника. ');
		// "Nothing reaches a from the disconnected b": a fixed window, not a condition.
		await new Promise((r) => setTimeout(r, 100));
		expect(text(a.doc)).not.toContain('без сети');

		b.provider.connect();
		await waitFor(
			() =>
				text(a.doc) === text(b.doc) &&
				text(a.doc).includes('без сети') &&
				text(b.doc).includes('правка наставника'),
			'convergence after reconnect'
		);
		expect(await storedText(relay, 'p-offline')).toBe(text(a.doc));
	});

	it('serves a stored program after it was unloaded (loaded before the first sync answer)', async () => {
		await relay.createProgram('p-reload');
		const a = client('p-reload', 'mentor');
		await synced(a);
		a.doc.getText('t').insert(0, 'сохранено');
		await relay.server.relay.flush();
		a.destroy();
		clients.splice(clients.indexOf(a), 1);
		await waitFor(
			() => !relay.server.relay.loadedPrograms().includes('p-reload'),
			'the program to unload',
			5_000
		);

		const b = client('p-reload', 'mentee');
		// synced is set by the server's step 2: it must already contain the stored text.
		await synced(b);
		expect(text(b.doc)).toBe('сохранено');
	});

	it('acknowledges persisted batches (opt-in ?ack=1) with the server state vector', async () => {
		await relay.createProgram('p-ack');
		const a = client('p-ack', 'mentor', 'rw', { ack: '1', device: 'phone-1' });
		const acks: { persistedCount: number; sv: Map<number, number> }[] = [];
		a.provider.messageHandlers[MESSAGE_ACK] = (_enc: unknown, decoder: decoding.Decoder) => {
			const ack = readAck(decoder);
			acks.push({ persistedCount: ack.persistedCount, sv: decodeStateVector(ack.stateVector) });
		};
		await synced(a);
		await waitFor(() => acks.length > 0, 'the initial ack');
		for (let i = 0; i < 5; i++) a.doc.getText('t').insert(0, `правка ${i} `);
		a.provider.ws?.send(encodeDeviceStatus({ deviceId: 'phone-1', pending: 0 }));
		await waitFor(() => {
			const last = acks[acks.length - 1];
			return !!last && stateVectorCovers(last.sv, Y.decodeStateVector(Y.encodeStateVector(a.doc)));
		}, 'an ack covering every local edit');
		// 1 sync step 2 + 5 updates were sent on this connection, all durable.
		await waitFor(() => acks[acks.length - 1]?.persistedCount === 6, 'persistedCount 6');
		await relay.server.relay.flush();
		const facts = await relay.store.getFacts('p-ack');
		expect(facts).toHaveLength(1);
		expect(facts[0]).toMatchObject({ userId: 'mentor', deviceId: 'phone-1', pending: 0 });
		expect(facts[0]?.lastConnectedAt).toBeGreaterThan(0);
		expect(facts[0]?.lastUpdateAt).toBeGreaterThan(0);
		expect(facts[0]?.lastInSyncAt).toBeGreaterThan(0);
	});

	it('applies server edits (curator actions) durably and broadcasts them', async () => {
		await relay.createProgram('p-edit');
		const a = client('p-edit', 'mentee');
		await synced(a);
		a.doc.getText('t').insert(0, 'отчёт');
		await waitForAsync(
			async () => (await storedText(relay, 'p-edit')) === 'отчёт',
			'the report to be stored'
		);
		const result = await relay.server.relay.applyServerEdit(
			'p-edit',
			{ userId: 'curator-1', role: 'curator' },
			(doc, author) => {
				expect(text(doc)).toBe('отчёт');
				doc.getMap('reports').set('stage-1', { status: 'accepted', by: author.userId });
			}
		);
		expect(result.update).not.toBeNull();
		await waitFor(
			() => a.doc.getMap('reports').get('stage-1') !== undefined,
			'the server edit to reach the client'
		);
		expect(a.doc.getMap('reports').get('stage-1')).toEqual({ status: 'accepted', by: 'curator-1' });
		await expect(
			relay.server.relay.applyServerEdit('no-such-program', { userId: 'c' }, () => {})
		).rejects.toThrow(/unknown program/);
	});

	it('a real program: curator creates it by server edit, mentor edits, curator comments; summary stored', async () => {
		await relay.createProgram('p-real');
		const curator: Actor = { userId: 'curator-7', role: 'curator' };
		await relay.server.relay.applyServerEdit('p-real', curator, (doc) => {
			createProgram(doc, curator, tomskBeginner, {
				programId: 'p-real',
				organization: 'МАОУ СОШ № 1',
				startDate: '2026-09-01',
				participants: [
					{ role: 'mentor', name: 'Иванова Мария Петровна', userId: 'mentor-7' },
					{ role: 'mentee', name: 'Петров Сергей Иванович', userId: 'mentee-7' }
				]
			});
		});
		const m = client('p-real', 'mentor-7');
		await synced(m);
		const mentor = new ProgramEditor(m.doc, { userId: 'mentor-7', role: 'mentor' });
		const first = mentor.read().activities[0];
		expect(first).toBeDefined();
		mentor.completeActivity(first!.id, '2026-09-20');
		await waitForAsync(async () => {
			const d = await storedDoc(relay, 'p-real');
			return readProgram(d).activities.some((a) => a.id === first!.id && a.doneAt !== null);
		}, 'the completed activity to be stored');
		await relay.server.relay.applyServerEdit('p-real', curator, (doc) => {
			new ProgramEditor(doc, curator).commentActivity(first!.id, 'Хорошо, принято.');
		});
		await waitFor(
			() =>
				new ProgramEditor(m.doc, { userId: 'mentor-7', role: 'mentor' }).read().comments.length ===
				1,
			'the comment to reach the mentor'
		);
		await waitForAsync(
			async () => {
				const s = await relay.store.getSummary('p-real');
				return s !== null && (s.summary as ProgramSummary).title === tomskBeginner.titleRu;
			},
			'a summary of the program',
			5_000
		);
		const stored = await relay.store.getSummary('p-real');
		expect((stored?.summary as ProgramSummary).participants.length).toBeGreaterThanOrEqual(2);
	});

	it('deletions reach a reconnecting client whether they sit in the log tail or in the compacted state', async () => {
		await relay.createProgram('p-deletes');
		const a = client('p-deletes', 'mentor');
		const b = client('p-deletes', 'mentee');
		await Promise.all([synced(a), synced(b)]);
		for (let i = 0; i < 12; i++) a.doc.getText('t').insert(text(a.doc).length, `строка ${i}; `);
		await waitFor(() => text(b.doc) === text(a.doc), 'b to catch up');

		// 1: a delete-only change while b is offline, still in the unmerged tail.
		b.provider.disconnect();
		a.doc.getText('t').delete(0, 10);
		await waitForAsync(
			async () => (await storedText(relay, 'p-deletes')) === text(a.doc),
			'the delete to be stored'
		);
		b.provider.connect();
		await waitFor(
			() => b.provider.synced && text(b.doc) === text(a.doc),
			'b to receive the delete from the tail'
		);

		// 2: the same after the tail was merged (a fresh client with an empty state forces the merge).
		b.provider.disconnect();
		a.doc.getText('t').delete(0, 10);
		await waitForAsync(
			async () => (await storedText(relay, 'p-deletes')) === text(a.doc),
			'the second delete to be stored'
		);
		const fresh = client('p-deletes', 'curator', 'ro');
		await synced(fresh);
		expect(text(fresh.doc)).toBe(text(a.doc));
		b.provider.connect();
		await waitFor(
			() => b.provider.synced && text(b.doc) === text(a.doc),
			'b to receive the merged delete'
		);
		for (let i = 0; i < 6; i++) a.doc.getMap('m').set(`k${i}`, i);
		await waitFor(() => b.doc.getMap('m').get('k5') === 5, 'b to receive the map entries');

		// The log was compacted (threshold 5 rows) and a reload from storage gives the same document.
		await relay.server.relay.flush();
		// Compaction runs right after the commit (off the hot path); with PostgreSQL it takes a few
		// round trips, so wait for it rather than assume it finished with the flush.
		await waitForAsync(
			async () => (await relay.store.logLength('p-deletes')) < 5,
			'the log to be compacted'
		);
		for (const c of [a, b, fresh]) c.provider.disconnect();
		await waitFor(
			() => !relay.server.relay.loadedPrograms().includes('p-deletes'),
			'unload',
			5_000
		);
		const stored = await relay.store.load('p-deletes');
		expect(stored.state).not.toBeNull();
		expect(stored.updates).toHaveLength(0);
		const late = client('p-deletes', 'mentee');
		await synced(late);
		expect(text(late.doc)).toBe(text(a.doc));
	});

	it('an update stored before its dependency still reaches reconnecting clients (no fast path over gaps)', async () => {
		await relay.createProgram('p-gap');
		const b = client('p-gap', 'mentee');
		await synced(b);
		b.doc.getMap('m').set('b', 1);
		await waitForAsync(
			async () => (await storedDoc(relay, 'p-gap')).getMap('m').get('b') === 1,
			'b stored'
		);
		// Another device's two consecutive edits; the second arrives first.
		const other = new Y.Doc();
		const parts: Uint8Array[] = [];
		other.on('update', (u: Uint8Array) => parts.push(u));
		other.getText('t').insert(0, 'a');
		other.getText('t').insert(1, 'b');
		b.provider.disconnect();
		const raw = rawClient(rawUrl(relay, 'p-gap', relay.token('mentor', 'p-gap')));
		await raw.open;
		raw.send(encodeSyncUpdate(parts[1]!));
		await waitForAsync(
			async () => (await relay.store.load('p-gap')).updates.length >= 2,
			'the orphan stored'
		);
		// An empty client forces the tail into the base; then b reconnects with a state vector.
		const fresh = client('p-gap', 'curator', 'ro');
		await synced(fresh);
		b.provider.connect();
		await waitFor(() => b.provider.synced, 'b to resync');
		raw.send(encodeSyncUpdate(parts[0]!));
		await waitFor(() => text(b.doc) === 'ab' && text(fresh.doc) === 'ab', 'both to see "ab"');
		raw.ws.close();
	});

	it("a dropped connection's awareness states are removed for the others", async () => {
		await relay.createProgram('p-presence');
		const b = client('p-presence', 'mentee');
		await synced(b);
		const raw = rawClient(rawUrl(relay, 'p-presence', relay.token('mentor', 'p-presence')));
		await raw.open;
		const e = encoding.createEncoder();
		encoding.writeVarUint(e, 1);
		encoding.writeVarUint(e, 424242);
		encoding.writeVarUint(e, 3);
		encoding.writeVarString(e, JSON.stringify({ user: { name: 'Наставник' } }));
		raw.send(encodeAwarenessMessage(encoding.toUint8Array(e)));
		await waitFor(() => b.provider.awareness.getStates().has(424242), 'the presence to arrive');
		raw.ws.terminate(); // no goodbye from the client: the relay must announce the removal
		await waitFor(
			() => !b.provider.awareness.getStates().has(424242),
			'the presence to be removed'
		);
	});

	it('logged no errors (storage, summaries, compaction) during all of the above', () => {
		const errors = relay
			.logs()
			.split('\n')
			.filter((l) => l.includes('"level":"error"'));
		expect(errors).toEqual([]);
	});

	it('exposes relay metrics on /metrics', async () => {
		const body = await (
			await fetch(`http://127.0.0.1:${relay.port}/metrics`, { headers: metricsHeaders })
		).text();
		for (const name of [
			'relay_connections',
			'relay_loaded_programs',
			'relay_updates_in_total',
			'relay_updates_out_total',
			'relay_persist_seconds_bucket',
			'relay_commit_wait_seconds_bucket',
			'relay_rejected_messages_total',
			'relay_auth_failures_total'
		]) {
			expect(body).toContain(name);
		}
		expect(body).toMatch(/relay_updates_in_total\{[^}]*\} [1-9]/);
		// Every commit tells how long its oldest update waited for it (the acknowledgement's wait).
		expect(body).toMatch(/relay_commit_wait_seconds_count\{[^}]*\} [1-9]/);
	});
});

describe('relay: commits in a writer thread (RELAY_WRITER_THREAD=1)', () => {
	let relay: TestRelay;
	beforeAll(async () => {
		relay = await startRelay({
			RELAY_WRITER_THREAD: '1',
			RELAY_COMPACT_AFTER_UPDATES: '3',
			RELAY_SUMMARY_DEBOUNCE_MS: '20'
		});
	});
	afterAll(async () => {
		await relay?.close();
	});

	it('persists, compacts, summarizes and serves edits the same way', async () => {
		await relay.createProgram('p-thread');
		const a = connectClient(relay.wsBase, 'p-thread', relay.token('mentor', 'p-thread'));
		const b = connectClient(relay.wsBase, 'p-thread', relay.token('mentee', 'p-thread'));
		try {
			await Promise.all([synced(a), synced(b)]);
			for (let i = 0; i < 10; i++) a.doc.getText('t').insert(0, `${i}`);
			await waitFor(() => text(b.doc) === text(a.doc) && text(a.doc).length === 10, 'convergence');
			await relay.server.relay.applyServerEdit('p-thread', { userId: 'curator' }, (doc) =>
				doc.getMap('m').set('ok', true)
			);
			await waitFor(() => b.doc.getMap('m').get('ok') === true, 'the server edit');
			await waitForAsync(
				async () => (await storedText(relay, 'p-thread')) === text(a.doc),
				'storage'
			);
			expect(await relay.store.logLength('p-thread')).toBeLessThan(3);
			await waitForAsync(
				async () => (await relay.store.getSummary('p-thread')) !== null,
				'a summary'
			);
		} finally {
			a.destroy();
			b.destroy();
		}
	});
});
