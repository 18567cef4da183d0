import { describe, expect, it } from 'vitest';
import { DueQueue } from './due-queue.js';

const drain = (q: DueQueue<string>, until = Infinity) => {
	const out: string[] = [];
	for (let k = q.pop(until); k !== undefined; k = q.pop(until)) out.push(k);
	return out;
};

describe('DueQueue', () => {
	it('gives the keys due by a time, earliest first, and keeps the rest', () => {
		const q = new DueQueue<string>();
		for (const [k, at] of [
			['c', 30],
			['a', 10],
			['d', 40],
			['b', 20]
		] as const)
			q.set(k, at);
		expect(drain(q, 25)).toEqual(['a', 'b']);
		expect(q.size).toBe(2);
		expect(q.pop(29)).toBeUndefined();
		expect(drain(q)).toEqual(['c', 'd']);
		expect(q.size).toBe(0);
	});

	it('follows a key moved later, or earlier, and drops a deleted one', () => {
		const q = new DueQueue<string>();
		q.set('a', 10);
		q.set('b', 20);
		q.set('c', 30);
		q.set('a', 35); // postponed: an edit came before it was due
		q.set('c', 5); // brought forward
		q.delete('b');
		expect(q.has('b')).toBe(false);
		expect(drain(q, 20)).toEqual(['c']);
		expect(drain(q, 34)).toEqual([]);
		expect(drain(q)).toEqual(['a']);
	});

	it('says when the earliest key is due, past moved and deleted keys', () => {
		const q = new DueQueue<string>();
		expect(q.nextAt()).toBeUndefined();
		q.set('a', 10);
		q.set('b', 20);
		expect(q.nextAt()).toBe(10);
		q.set('a', 30); // moved later
		expect(q.nextAt()).toBe(20);
		q.delete('b');
		expect(q.nextAt()).toBe(30);
		q.set('c', 5);
		expect(q.nextAt()).toBe(5);
		expect(drain(q)).toEqual(['c', 'a']);
		expect(q.nextAt()).toBeUndefined();
	});

	it('gives a key once however often it moved, and again only when set again', () => {
		const q = new DueQueue<string>();
		for (let t = 1; t <= 100; t++) q.set('busy', t * 10); // edited every tick
		q.set('quiet', 500);
		q.set('busy', 50); // then set earlier than its last time
		expect(drain(q)).toEqual(['busy', 'quiet']);
		q.set('busy', 7);
		expect(drain(q)).toEqual(['busy']);
	});

	it('stays in order over many random moves (against a sorted list)', () => {
		const q = new DueQueue<number>();
		const times = new Map<number, number>();
		let seed = 7;
		const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
		for (let i = 0; i < 5_000; i++) {
			const key = Math.floor(random() * 300);
			if (random() < 0.1) {
				q.delete(key);
				times.delete(key);
			} else {
				const at = Math.floor(random() * 1_000);
				q.set(key, at);
				times.set(key, at);
			}
		}
		const got: Array<[number, number]> = [];
		for (let k = q.pop(Infinity); k !== undefined; k = q.pop(Infinity))
			got.push([k, times.get(k)!]);
		expect(got.map(([, at]) => at)).toEqual([...times.values()].sort((a, b) => a - b));
		expect(new Set(got.map(([k]) => k))).toEqual(new Set(times.keys()));
	});
});
