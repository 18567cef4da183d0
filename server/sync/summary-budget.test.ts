/**
 * Issue 18: when every program changes every few seconds, recomputing each summary as soon as
 * its edits settled took most of a core away from delivery. Background summaries now keep to a
 * budget (SUMMARY_CPU_SHARE of a core): a burst of due programs is summarized slice by slice
 * with rests in between, each program coalescing its changes until its turn — and none is lost.
 */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createLogger } from '../logger.js';
import { DEFAULT_RELAY_CONFIG } from './config.js';
import { encodeSyncUpdate } from './protocol.js';
import { createRelay, type Relay } from './relay.js';
import { FakeClock, FakeSocket, MemoryDocumentStore } from './test-fakes.js';
import { computeSummary } from './summaries.js';
import { programSummary } from './summary.js';
import { generateRealisticProgram } from '../../src/lib/shared/program/fixtures.js';

let relays: Relay[] = [];
afterEach(async () => {
	for (const r of relays) await r.close();
	relays = [];
});

/** Work that takes real CPU time, like summarizing a real program (~2–3 ms). */
function busy(ms: number) {
	const end = performance.now() + ms;
	while (performance.now() < end);
}

describe('summary budget', () => {
	it('a burst of changed programs is summarized in budgeted slices, every one of them in the end', async () => {
		const clock = new FakeClock();
		const store = new MemoryDocumentStore();
		const summarized = new Map<string, number>();
		const relay = createRelay({
			store,
			authorize: async () => ({ deny: 'unauthenticated' }),
			logger: createLogger('silent'),
			registry: new Registry(),
			config: { ...DEFAULT_RELAY_CONFIG, summaryDebounceMs: 1_000 },
			clock,
			summarize: (doc) => {
				busy(3);
				const keys = [...doc.getMap('m').keys()].sort();
				summarized.set(String(doc.getMap('m').get('program')), keys.length);
				return { keys };
			}
		});
		relays.push(relay);
		const programs = Array.from({ length: 40 }, (_, i) => `p${i}`);
		for (const [i, programId] of programs.entries()) {
			await store.createProgram(programId);
			const socket = new FakeSocket();
			const attached = relay.attach(socket, {
				programId,
				grant: { userId: 'u1', access: 'rw', expiresAt: clock.now() + 3_600_000 },
				ip: '10.0.0.1',
				device: 'u1-phone',
				wantsAcks: true
			});
			socket.onClose = attached.closed;
			await clock.settle();
			const doc = new Y.Doc();
			doc.clientID = 1000 + i;
			doc.getMap('m').set('program', programId);
			attached.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(doc)));
		}
		await clock.settle();
		// All due together: the first slice runs, then the budget makes the rest wait.
		await clock.advance(1_500);
		expect(summarized.size).toBeGreaterThan(0);
		expect(summarized.size).toBeLessThan(programs.length);
		// Given time, every program gets its summary.
		await clock.advance(60_000);
		expect([...summarized.keys()].sort()).toEqual([...programs].sort());
		for (const programId of programs)
			expect((await store.getSummary(programId))?.summary).toEqual({ keys: ['program'] });
	});
});

describe('summary from the parts', () => {
	it('equals the summary of the merged document (no merge needed first)', () => {
		const program = generateRealisticProgram(3, { edits: 400 });
		const base = Y.encodeStateAsUpdate(program.doc);
		const tail: Uint8Array[] = [];
		for (let i = 0; i < 3; i++) {
			const before = Y.encodeStateVector(program.doc);
			program.doc.getMap(`extra-${i}`).set('k', i);
			tail.push(Y.encodeStateAsUpdate(program.doc, before));
		}
		const now = Date.parse('2025-03-01T09:00:00Z');
		const fromParts = computeSummary('p', [base, ...tail], 7, programSummary, now);
		const fromMerged = computeSummary('p', Y.mergeUpdates([base, ...tail]), 7, programSummary, now);
		expect(fromParts.summary).toEqual(fromMerged.summary);
		expect(fromParts.summary).toEqual(programSummary(program.doc, new Date(now), null));
	});
});
