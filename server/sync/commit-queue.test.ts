import { describe, expect, it } from 'vitest';
import {
	createCommitQueue,
	WAITING_COMMIT_GAP_MS,
	type CommitStats,
	type DurableItem,
	type QueuedUpdate
} from './commit-queue.js';
import { FakeClock, MemoryDocumentStore } from './test-fakes.js';

interface Item extends QueuedUpdate {
	name: string;
}

function setup(delayMs = 0, minGapMs = 0, maxBatch?: number) {
	const clock = new FakeClock();
	const store = new MemoryDocumentStore();
	const durable: Array<Array<DurableItem<Item>>> = [];
	const stats: CommitStats[] = [];
	const failed: Array<{ names: string[]; error: Error }> = [];
	const queue = createCommitQueue<Item>({
		store,
		clock,
		delayMs,
		minGapMs,
		...(maxBatch ? { maxBatch } : {}),
		durable: (batch, commit) => {
			durable.push(batch);
			stats.push(commit);
		},
		failed: (batch, error) => failed.push({ names: batch.map((i) => i.name), error })
	});
	const item = (name: string, update: Uint8Array | null = new Uint8Array([0, 0])): Item => ({
		name,
		programId: 'p',
		update,
		receivedAt: clock.now()
	});
	return { clock, store, queue, durable, stats, failed, item };
}

describe('commit queue', () => {
	it('commits what was queued in one turn as one append, in order, with sequence numbers', async () => {
		const { clock, store, queue, durable, item } = setup();
		queue.enqueue(item('a'));
		queue.enqueue(item('noop', null));
		queue.enqueue(item('b'));
		expect(store.appendCalls).toHaveLength(0);
		await clock.settle();
		expect(store.appendCalls).toHaveLength(1);
		expect(store.appendCalls[0]).toHaveLength(2); // the no-op orders acks, it is not stored
		expect(durable[0]?.map((d) => [d.item.name, d.seq])).toEqual([
			['a', 1],
			['noop', null],
			['b', 2]
		]);
	});

	it('commits at least minGapMs apart: what arrives sooner waits and goes in one commit; a lone update does not wait', async () => {
		const { clock, store, queue, durable, item } = setup(0, 5);
		// A lone update: on the next turn, no wait.
		queue.enqueue(item('a'));
		await clock.settle();
		expect(store.appendCalls).toHaveLength(1);
		// Load: updates 1 ms after that commit, and more in the following milliseconds.
		await clock.advance(1);
		queue.enqueue(item('b'));
		await clock.settle();
		await clock.advance(2);
		queue.enqueue(item('c'));
		await clock.settle();
		expect(store.appendCalls).toHaveLength(1);
		await clock.advance(2); // 5 ms after the first commit
		expect(store.appendCalls).toHaveLength(2);
		expect(durable.map((b) => b.map((d) => d.item.name))).toEqual([['a'], ['b', 'c']]);
		// Quiet again: the next update, 10 ms later, commits on the next turn.
		await clock.advance(10);
		queue.enqueue(item('d'));
		await clock.settle();
		expect(durable.map((b) => b.map((d) => d.item.name))).toEqual([['a'], ['b', 'c'], ['d']]);
	});

	it('an update whose delivery waits for its commit shortens the gap to WAITING_COMMIT_GAP_MS; then the gap is whole again', async () => {
		const { clock, store, queue, durable, item } = setup(0, 100);
		queue.enqueue(item('a'));
		await clock.settle();
		await clock.advance(1);
		queue.enqueue(item('b'));
		await clock.settle();
		await clock.advance(1);
		queue.enqueue({ ...item('claim'), deliveryWaits: true });
		await clock.settle();
		await clock.advance(WAITING_COMMIT_GAP_MS - 3);
		expect(store.appendCalls).toHaveLength(1);
		await clock.advance(1); // WAITING_COMMIT_GAP_MS after the first commit
		expect(durable.map((b) => b.map((d) => d.item.name))).toEqual([['a'], ['b', 'claim']]);
		// Nothing waiting any more: the next update waits the whole 100 ms.
		await clock.advance(1);
		queue.enqueue(item('c'));
		await clock.advance(50);
		expect(store.appendCalls).toHaveLength(2);
		await clock.advance(50);
		expect(durable.map((b) => b.map((d) => d.item.name))).toEqual([['a'], ['b', 'claim'], ['c']]);
	});

	it('a waiting update beyond a full batch keeps the shorter gap for the next commit', async () => {
		const { clock, queue, durable, item } = setup(0, 100, 2);
		queue.enqueue(item('a'));
		await clock.settle();
		await clock.advance(1);
		queue.enqueue(item('b'));
		queue.enqueue(item('c'));
		queue.enqueue({ ...item('claim'), deliveryWaits: true });
		await clock.settle(); // b and c: a full batch, at once
		expect(durable.map((b) => b.map((d) => d.item.name))).toEqual([['a'], ['b', 'c']]);
		await clock.advance(WAITING_COMMIT_GAP_MS);
		expect(durable.map((b) => b.map((d) => d.item.name))).toEqual([['a'], ['b', 'c'], ['claim']]);
	});

	it('commits at most maxBatch updates: a full batch does not wait for the gap, the rest waits its turn', async () => {
		const { clock, store, queue, durable, item } = setup(0, 100, 3);
		queue.enqueue(item('a'));
		await clock.settle();
		await clock.advance(1);
		queue.enqueue(item('b'));
		queue.enqueue(item('c'));
		await clock.settle();
		expect(store.appendCalls).toHaveLength(1); // within the gap: waiting
		queue.enqueue(item('d')); // three wait: full
		await clock.settle();
		expect(durable.map((b) => b.map((d) => d.item.name))).toEqual([['a'], ['b', 'c', 'd']]);
		// Five in one turn: three at once, the two left after the gap.
		for (const name of ['e', 'f', 'g', 'h', 'i']) queue.enqueue(item(name));
		await clock.settle();
		expect(durable.map((b) => b.map((d) => d.item.name))).toEqual([
			['a'],
			['b', 'c', 'd'],
			['e', 'f', 'g']
		]);
		await clock.advance(99);
		expect(durable).toHaveLength(3);
		await clock.advance(1);
		expect(durable.at(-1)?.map((d) => d.item.name)).toEqual(['h', 'i']);
		expect(store.appendCalls.map((c) => c.length)).toEqual([1, 3, 3, 2]);
	});

	it("tells how long each commit's oldest update waited for it to start", async () => {
		const { clock, queue, durable, stats, item } = setup(0, 100);
		queue.enqueue(item('a'));
		await clock.settle();
		await clock.advance(30);
		queue.enqueue(item('b')); // waits 70 ms for the gap
		await clock.advance(20);
		queue.enqueue(item('c'));
		await clock.advance(50);
		expect(durable.map((b) => b.map((d) => d.item.name))).toEqual([['a'], ['b', 'c']]);
		expect(stats.map((s) => [s.rows, s.waitedSeconds])).toEqual([
			[1, 0],
			[2, 0.07]
		]);
	});

	it('hands nothing over before the append resolves; queues the rest behind it', async () => {
		const { clock, store, queue, durable, item } = setup();
		store.hold();
		queue.enqueue(item('a'));
		await clock.settle();
		queue.enqueue(item('b'));
		queue.enqueue(item('c'));
		await clock.advance(10_000);
		expect(durable).toHaveLength(0);
		expect(store.appendCalls).toHaveLength(1);
		store.release();
		await clock.settle();
		expect(durable.map((b) => b.map((d) => d.item.name))).toEqual([['a'], ['b', 'c']]);
	});

	it('a failed append fails its whole batch and nothing of it is durable', async () => {
		const { clock, store, queue, durable, failed, item } = setup();
		store.hold();
		queue.enqueue(item('a'));
		queue.enqueue(item('b'));
		await clock.settle();
		store.failHeld(new Error('disk full'));
		await clock.settle();
		expect(durable).toHaveLength(0);
		expect(failed).toEqual([{ names: ['a', 'b'], error: new Error('disk full') }]);
	});

	it('waits for the flush delay after the first queued update', async () => {
		const { clock, store, queue, item } = setup(100);
		queue.enqueue(item('a'));
		await clock.advance(60);
		queue.enqueue(item('b'));
		await clock.advance(39);
		expect(store.appendCalls).toHaveLength(0);
		await clock.advance(1);
		expect(store.appendCalls.map((c) => c.length)).toEqual([2]);
	});

	it('flush() resolves once everything queued is committed', async () => {
		const { queue, durable, item } = setup(1_000_000);
		queue.enqueue(item('a'));
		await queue.flush();
		expect(durable).toHaveLength(1);
		expect(queue.length).toBe(0);
	});
});
