import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { mergeUpdatesInRuns } from './merge-updates';

/** A small deterministic generator (the same cases on every run). */
function random(seed: number) {
	let s = seed >>> 0;
	return () => {
		s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
		return s / 2 ** 32;
	};
}

/**
 * The updates of `clients` people editing one document together, in the order they were made:
 * typing and deleting in a text, map entries overwritten, list items pushed and removed.
 */
function session(seed: number, clients: number, edits: number): Uint8Array[] {
	const rnd = random(seed);
	const docs = Array.from({ length: clients }, () => new Y.Doc());
	const updates: Uint8Array[] = [];
	for (const doc of docs)
		doc.on('update', (update: Uint8Array, origin: unknown) => {
			if (origin === 'remote') return;
			updates.push(update);
			for (const other of docs) if (other !== doc) Y.applyUpdate(other, update, 'remote');
		});
	for (let i = 0; i < edits; i++) {
		const doc = docs[Math.floor(rnd() * clients)] as Y.Doc;
		doc.transact(() => {
			const text = doc.getText('notes');
			const pick = rnd();
			if (pick < 0.6 || text.length < 4) text.insert(Math.floor(rnd() * (text.length + 1)), 'аб');
			else if (pick < 0.8) text.delete(Math.floor(rnd() * (text.length - 2)), 2);
			else if (pick < 0.9) doc.getArray<number>('list').push([i]);
			else if (doc.getArray('list').length > 0) doc.getArray('list').delete(0, 1);
			doc.getMap<number>('seen').set(`c${i % clients}`, i);
		});
	}
	return updates;
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

describe('mergeUpdatesInRuns', () => {
	it.each([
		[1, 2, 600],
		[2, 3, 1_100],
		[3, 5, 200],
		[4, 2, 129],
		[5, 2, 128]
	])(
		'gives the flat merge byte for byte (seed %i: %i clients, %i edits)',
		(seed, clients, edits) => {
			const updates = session(seed, clients, edits);
			expect(same(mergeUpdatesInRuns(updates), Y.mergeUpdates(updates))).toBe(true);
		}
	);

	it('merges a stored state with the updates after it as the flat merge does', () => {
		const updates = session(6, 2, 900);
		const state = Y.mergeUpdates(updates.slice(0, 300));
		const parts = [state, ...updates.slice(300)];
		expect(same(mergeUpdatesInRuns(parts), Y.mergeUpdates(parts))).toBe(true);
	});

	it('keeps what waits behind a gap, and the gap is filled by a later merge', () => {
		// A phone's updates with some missing (not received yet): the ones after a missing update
		// are pending structs the merge must keep, as the flat merge keeps them.
		const updates = session(7, 3, 700);
		const missing = new Set([5, 40, 41, 300, 650]);
		const received = updates.filter((_, i) => !missing.has(i));
		const partial = mergeUpdatesInRuns(received);
		expect(same(partial, Y.mergeUpdates(received))).toBe(true);

		const whole = mergeUpdatesInRuns([partial, ...updates.filter((_, i) => missing.has(i))]);
		const doc = new Y.Doc();
		Y.applyUpdate(doc, whole);
		const expected = new Y.Doc();
		for (const u of updates) Y.applyUpdate(expected, u);
		expect(doc.getText('notes').toString()).toBe(expected.getText('notes').toString());
		expect(doc.getArray('list').toArray()).toEqual(expected.getArray('list').toArray());
		expect(doc.getMap('seen').toJSON()).toEqual(expected.getMap('seen').toJSON());
		expect(same(Y.encodeStateVector(doc), Y.encodeStateVector(expected))).toBe(true);
		expect(doc.store.pendingStructs).toBeNull();
	});

	it('applies to the document the updates make, one by one', () => {
		const updates = session(8, 4, 1_000);
		const doc = new Y.Doc();
		Y.applyUpdate(doc, mergeUpdatesInRuns(updates));
		const expected = new Y.Doc();
		for (const u of updates) Y.applyUpdate(expected, u);
		expect(doc.getText('notes').toString()).toBe(expected.getText('notes').toString());
		expect(same(Y.encodeStateAsUpdate(doc), Y.encodeStateAsUpdate(expected))).toBe(true);
	});

	it('throws on a part that does not decode, as the flat merge does', () => {
		const updates = session(9, 2, 100);
		const parts = [
			...updates.slice(0, 70),
			new Uint8Array([0xff, 0xff, 0xff]),
			...updates.slice(70)
		];
		expect(() => Y.mergeUpdates(parts)).toThrow();
		expect(() => mergeUpdatesInRuns(parts)).toThrow();
	});
});
