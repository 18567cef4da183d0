import { describe, expect, it } from 'vitest';
import { UpdateLog } from './update-log.js';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('UpdateLog', () => {
	it('gives back what was pushed, in order, from any position, across growths', () => {
		const log = new UpdateLog();
		const pushed = Array.from({ length: 50 }, (_, i) => bytes(1 + (i % 7) * 40, i));
		for (const u of pushed) log.push(u);
		expect(log.length).toBe(50);
		expect(log.byteLength).toBe(pushed.reduce((n, u) => n + u.length, 0));
		expect(log.slice()).toEqual(pushed);
		expect(log.slice(45)).toEqual(pushed.slice(45));
		expect(log.slice(50)).toEqual([]);
	});

	it('keeps views handed out valid when it grows or drops its head', () => {
		const log = new UpdateLog();
		log.push(bytes(10, 1));
		log.push(bytes(10, 2));
		const before = log.slice();
		for (let i = 0; i < 100; i++) log.push(bytes(100, 3));
		log.dropFirst(1);
		expect(before).toEqual([bytes(10, 1), bytes(10, 2)]);
		expect(log.length).toBe(101);
		expect(log.slice()[0]).toEqual(bytes(10, 2));
		expect(log.byteLength).toBe(10 + 100 * 100);
		log.push(bytes(5, 4));
		expect(log.slice(101)).toEqual([bytes(5, 4)]);
		log.dropFirst(200);
		expect(log.length).toBe(0);
		expect(log.byteLength).toBe(0);
		expect(before[1]).toEqual(bytes(10, 2));
	});

	it('does not keep the buffer an update was a view of', () => {
		const read = new Uint8Array(65_536);
		const log = new UpdateLog();
		log.push(read.subarray(10, 50));
		expect(log.slice()[0]?.buffer).not.toBe(read.buffer);
		expect(log.slice()[0]?.buffer.byteLength).toBeLessThan(1024);
	});
});
