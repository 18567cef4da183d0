/**
 * The relay's side of "no path drops stored bytes": a program whose stored parts cannot be merged
 * (content nested deeper than Yjs can merge, acknowledged by an older relay) keeps every part
 * when its log is compacted. The refusal is logged in English and counted in /metrics
 * (relay_compactions_refused_total, relay_merge_failures_total); honest updates keep being
 * stored; the retry waits for the log to grow instead of running after every commit.
 */
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createLogger } from '../logger.js';
import { DEFAULT_RELAY_CONFIG } from './config.js';
import { encodeSyncUpdate } from './protocol.js';
import type { Relay } from './relay.js';
import { FakeClock, MemoryDocumentStore, attachPhone, fakeClockRelay } from './test-fakes.js';

const PROGRAM = 'p1';
let relays: Relay[] = [];
afterEach(async () => {
	for (const r of relays) await r.close();
	relays = [];
});

function deepUpdate(): Uint8Array {
	let v: unknown = 1;
	for (let i = 0; i < 5_000; i++) v = { a: v };
	const doc = new Y.Doc();
	doc.getMap('m').set('deep', v);
	return Y.encodeStateAsUpdate(doc);
}

async function metric(registry: Registry, name: string): Promise<number> {
	const m = await registry.getSingleMetric(name)?.get();
	return (m?.values ?? []).reduce((n, v) => n + v.value, 0);
}

describe('compaction refused, nothing dropped', () => {
	it('keeps the log and the state, logs a warning and counts it in /metrics', async () => {
		const lines: string[] = [];
		const sink = new Writable({
			write(chunk: Buffer, _e, done) {
				lines.push(chunk.toString());
				done();
			}
		});
		const clock = new FakeClock();
		const store = new MemoryDocumentStore();
		const registry = new Registry();
		await store.createProgram(PROGRAM);
		const honest = new Y.Doc();
		honest.clientID = 7;
		honest.getMap('m').set('template', 'содержимое шаблона');
		const stored = [Y.encodeStateAsUpdate(honest), deepUpdate()];
		await store.append(stored.map((data) => ({ programId: PROGRAM, data, receivedAt: 0 })));

		const { relay } = fakeClockRelay({
			store,
			clock,
			registry,
			logger: createLogger('warn', sink),
			config: { compactAfterUpdates: 3 },
			summarize: () => ({})
		});
		relays.push(relay);
		const { socket, attached } = attachPhone(relay, clock, PROGRAM);
		await clock.settle();

		const writer = new Y.Doc();
		writer.clientID = 1;
		for (let i = 0; i < 4; i++) {
			const before = Y.encodeStateVector(writer);
			writer.getMap('m').set(`k${i}`, 'v');
			attached.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(writer, before)));
			await clock.settle();
		}
		// Every update acknowledged and stored; nothing folded away.
		expect(socket.acks()).toEqual([1, 2, 3, 4]);
		expect(await store.logLength(PROGRAM)).toBe(6);
		const after = await store.load(PROGRAM);
		expect(after.state).toBeNull();
		expect(after.updates.slice(0, 2)).toEqual(stored);

		expect(await metric(registry, 'relay_compactions_refused_total')).toBeGreaterThanOrEqual(1);
		expect(await metric(registry, 'relay_merge_failures_total')).toBeGreaterThanOrEqual(1);
		const log = lines.join('');
		expect(log).toMatch(/compaction refused: the log and the previous state are kept as they are/);
		expect(log).toMatch(/merging stored updates failed; every part is kept as it is/);
		// Refused at 3 rows: the next attempt waits for 6, not after every commit.
		expect(await metric(registry, 'relay_compactions_refused_total')).toBeLessThanOrEqual(2);

		// Unloading compacts once more: refused again, still nothing dropped.
		socket.close(1000, 'bye');
		await clock.advance(DEFAULT_RELAY_CONFIG.idleUnloadMs + 1_000);
		expect(relay.loadedPrograms()).toEqual([]);
		expect(await store.logLength(PROGRAM)).toBe(6);
	});
});
