import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { decodeStateVector, encodeStateVector, inspectUpdate } from './protocol.js';
import { MergeFailedError, RoomDocument, mergeSafely } from './room.js';

function edits(clientId: number, n: number): { doc: Y.Doc; updates: Uint8Array[] } {
	const doc = new Y.Doc();
	doc.clientID = clientId;
	const updates: Uint8Array[] = [];
	doc.on('update', (u: Uint8Array) => updates.push(u));
	for (let i = 0; i < n; i++) doc.getArray('a').push([i]);
	return { doc, updates };
}

const absorbAll = (room: RoomDocument, updates: Uint8Array[], firstSeq = 1) =>
	updates.forEach((u, i) => room.absorb(u, inspectUpdate(u).ranges, firstSeq + i));

describe('RoomDocument', () => {
	it('programs edited in lockstep merge their tails at different updates, not all at once', () => {
		const { updates } = edits(1, 400);
		const rooms = Array.from({ length: 100 }, () => new RoomDocument());
		const mergedAt = new Map<RoomDocument, number>();
		updates.forEach((u, i) => {
			for (const room of rooms) {
				room.absorb(u, inspectUpdate(u).ranges, i + 1);
				if (!mergedAt.has(room) && room.parts().length === 1 && i > 0) mergedAt.set(room, i + 1);
			}
		});
		const at = [...mergedAt.values()];
		expect(at).toHaveLength(100);
		expect(Math.min(...at)).toBeGreaterThanOrEqual(256);
		expect(Math.max(...at)).toBeLessThan(384);
		// Spread over the range: no update count is where more than a few of them merge.
		const most = Math.max(...[...new Set(at)].map((n) => at.filter((x) => x === n).length));
		expect(most).toBeLessThanOrEqual(10);
	});

	it('programs edited in lockstep merge their tails by bytes at different updates too', () => {
		// With a fixed 64 KB every program edited alike passed it at the same update, as with the
		// count (the test above). Updates of ~175 bytes: the bytes bound comes before the
		// count's (a compaction floor of 600: 856 at the earliest).
		const doc = new Y.Doc();
		doc.clientID = 7;
		const updates: Uint8Array[] = [];
		doc.on('update', (u: Uint8Array) => updates.push(u));
		for (let i = 0; i < 700; i++)
			doc.transact(() => {
				doc.getText('notes').insert(0, 'ab');
				doc.getMap('bench').set(`edit-by-a-phone-${i % 2}`, `${i}`.padStart(150, '-'));
			});
		const rooms = Array.from({ length: 50 }, () => new RoomDocument(undefined, null, 600));
		const mergedAt = new Map<RoomDocument, number>();
		let largestTail = 0;
		updates.forEach((u, i) => {
			for (const room of rooms) {
				room.absorb(u, inspectUpdate(u).ranges, i + 1);
				const tail = room.parts().slice(1);
				largestTail = Math.max(
					largestTail,
					tail.reduce((n, p) => n + p.length, 0)
				);
				if (!mergedAt.has(room) && tail.length === 0) mergedAt.set(room, i + 1);
			}
		});
		const at = [...mergedAt.values()];
		expect(at).toHaveLength(50);
		const most = Math.max(...[...new Set(at)].map((n) => at.filter((x) => x === n).length));
		expect(most).toBeLessThanOrEqual(10);
		// Still bounded: 96 KB at most, and the update that crossed it.
		expect(largestTail).toBeLessThanOrEqual(96 * 1024 + Math.max(...updates.map((u) => u.length)));
	});

	it('leaves the tail to compaction below its threshold, and still bounds it past it', () => {
		// A program whose compaction comes at 600 rows: merging its tail at 256–383 first merged
		// every update twice. Where compaction does not come (another instance leads it, or it
		// was refused), the tail is still merged, 256–383 updates past the threshold.
		const { doc, updates } = edits(1, 1_000);
		const room = new RoomDocument(undefined, null, 600);
		absorbAll(room, updates.slice(0, 600));
		expect(room.parts()).toHaveLength(601);
		let mergedAt = 0;
		updates.slice(600).forEach((u, i) => {
			room.absorb(u, inspectUpdate(u).ranges, 601 + i);
			if (!mergedAt && room.parts().length === 1) mergedAt = 601 + i;
		});
		expect(mergedAt).toBeGreaterThanOrEqual(600 + 256);
		expect(mergedAt).toBeLessThan(600 + 384);
		const copy = new Y.Doc();
		for (const part of room.parts()) Y.applyUpdate(copy, part);
		expect(copy.getArray('a').toArray()).toEqual(doc.getArray('a').toArray());
	});

	it('holds the document as merged state + tail and keeps its state vector without decoding', () => {
		const { doc, updates } = edits(1, 5);
		const room = new RoomDocument();
		absorbAll(room, updates);
		expect(room.lastSeq).toBe(5);
		expect(room.logRows).toBe(5);
		expect(room.stateVector()).toEqual(new Map([[1, 5]]));
		expect(Y.encodeStateVectorFromUpdate(room.merged())).toEqual(Y.encodeStateVector(doc));
	});

	it('answers sync step 2 with what the client lacks', () => {
		const { doc, updates } = edits(1, 6);
		const room = new RoomDocument();
		absorbAll(room, updates.slice(0, 3));
		room.merged(); // base: the first three
		absorbAll(room, updates.slice(3), 4);
		const client = new Y.Doc();
		// An empty client, one that has the base, one that has part of the base.
		for (const have of [0, 3, 2]) {
			const c = new Y.Doc();
			for (const u of updates.slice(0, have)) Y.applyUpdate(c, u);
			const sv = Y.encodeStateVector(c);
			Y.applyUpdate(c, room.stepTwo(decodeStateVector(sv), sv));
			expect(c.getArray('a').toArray()).toEqual(doc.getArray('a').toArray());
		}
		client.destroy();
	});

	it('recomputes the state vector after an update with a gap', () => {
		const { updates } = edits(1, 3);
		const room = new RoomDocument();
		absorbAll(room, [updates[0] as Uint8Array]);
		room.absorb(updates[2] as Uint8Array, inspectUpdate(updates[2] as Uint8Array).ranges, 2);
		// The third update waits for the second: the document's state vector stays at clock 1.
		expect(room.stateVector()).toEqual(new Map([[1, 1]]));
		room.absorb(updates[1] as Uint8Array, inspectUpdate(updates[1] as Uint8Array).ranges, 3);
		const doc = new Y.Doc();
		Y.applyUpdate(doc, room.merged());
		expect(doc.getArray('a').toArray()).toEqual([0, 1, 2]);
	});

	it('gives a client id to the first user writing under it', () => {
		const room = new RoomDocument();
		expect(room.claimClientIds('u1', new Set([1, 2]), true)).toEqual([1, 2]);
		expect(room.claimClientIds('u1', new Set([1, 3]), true)).toEqual([3]);
		expect(room.claimClientIds('u2', new Set([1]), true)).toBeNull();
		expect(room.claimClientIds('u2', new Set([1]), false)).toEqual([]);
	});

	it('loads from storage and yields its compaction input', () => {
		const { doc, updates } = edits(1, 4);
		const state = Y.mergeUpdates(updates.slice(0, 2));
		const room = RoomDocument.fromStored({
			state,
			stateVector: Y.encodeStateVectorFromUpdate(state),
			updates: updates.slice(2),
			lastSeq: 9,
			clientOwners: [[1, 'u1']]
		});
		expect(room.owners.get(1)).toBe('u1');
		expect(room.logRows).toBe(2);
		const input = room.compactionInput();
		expect(input).toMatchObject({ throughSeq: 9, rows: 2 });
		expect(input.stateVector).toEqual(encodeStateVector(new Map([[1, 4]])));
		expect(Y.encodeStateVectorFromUpdate(input.merged as Uint8Array)).toEqual(
			Y.encodeStateVector(doc)
		);
		room.compacted(input.rows);
		expect(room.logRows).toBe(0);
	});

	it('never skips a part that cannot be merged: reports it and throws, keeping the parts', () => {
		const { updates } = edits(1, 2);
		const problems: string[] = [];
		const report = {
			undecodableRow: () => problems.push('row'),
			mergeFailed: () => problems.push('merge')
		};
		const bad = new Uint8Array([9, 9, 9]);
		expect(() => mergeSafely([updates[0] as Uint8Array, bad], report)).toThrow(MergeFailedError);
		expect(problems).toEqual(['merge']);
		// A room whose stored parts do not merge keeps every part and proposes no merged state.
		const room = RoomDocument.fromStored(
			{
				state: null,
				stateVector: null,
				updates: [updates[0] as Uint8Array, bad],
				lastSeq: 2,
				clientOwners: []
			},
			report
		);
		expect(() => room.merged()).toThrow(MergeFailedError);
		expect(room.bytes).toBe(2 + (updates[0] as Uint8Array).length + bad.length); // empty base + both parts
		expect(room.compactionInput()).toMatchObject({ merged: null, throughSeq: 2, rows: 2 });
	});

	it('after a failed merge tries again when the tail has doubled, in bytes as in count', () => {
		const doc = new Y.Doc();
		const updates: Uint8Array[] = [];
		doc.on('update', (u: Uint8Array) => updates.push(u));
		for (let i = 0; i < 1_500; i++) doc.getMap('m').set(`k${i % 3}`, `${i}`.padStart(150, '-'));
		let failures = 0;
		const report = { undecodableRow: () => undefined, mergeFailed: () => failures++ };
		const room = RoomDocument.fromStored(
			{ state: null, stateVector: null, updates: [], lastSeq: 0, clientOwners: [] },
			report
		);
		room.absorb(new Uint8Array([9, 9, 9]), null, 1);
		absorbAll(room, updates, 2);
		// ~260 KB of tail: a try at 64–96 KB, then at each doubling, not at every update past it.
		expect(room.parts().length).toBe(1 + 1 + updates.length);
		expect(failures).toBeGreaterThanOrEqual(1);
		expect(failures).toBeLessThanOrEqual(3);
	});

	it('keeps a tail update without the message buffer it came in, and the same document', () => {
		// Fewer than the smallest merge threshold (256): all of them stay in the tail.
		const { doc, updates } = edits(1, 200);
		const room = new RoomDocument();
		// Each update as the relay receives it: a view into a big socket read.
		const reads = updates.map((u) => {
			const read = new Uint8Array(65_536);
			read.set(u, 100);
			return read.subarray(100, 100 + u.length);
		});
		absorbAll(room, reads);
		const tail = room.parts().slice(1);
		expect(tail).toHaveLength(200);
		// One buffer for the whole tail, none of the reads.
		expect(new Set(tail.map((u) => u.buffer)).size).toBe(1);
		for (const [i, u] of tail.entries()) {
			expect(u.buffer).not.toBe(reads[i]?.buffer);
			expect(u).toEqual(updates[i]);
		}
		expect(Y.encodeStateVectorFromUpdate(room.merged())).toEqual(Y.encodeStateVector(doc));
	});
});
