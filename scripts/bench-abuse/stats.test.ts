import { describe, expect, it } from 'vitest';
import { Link, formatMs, median, percentile, sortedPercentile } from './stats';

describe('bench:abuse latency statistics', () => {
	it('nearest-rank percentile', () => {
		const xs = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted
		expect(percentile(xs, 99)).toBe(99);
		expect(percentile(xs, 50)).toBe(50);
		expect(percentile(xs, 100)).toBe(100);
		expect(percentile([7], 99)).toBe(7);
		expect(percentile([], 99)).toBeNaN();
	});

	it("bench:relay's percentile of sorted values: the value at floor(p% × n)", () => {
		const xs = Array.from({ length: 100 }, (_, i) => i + 1); // 1 … 100, sorted
		expect(sortedPercentile(xs, 99)).toBe(100);
		expect(sortedPercentile(xs, 50)).toBe(51);
		expect(sortedPercentile(xs, 100)).toBe(100);
		expect(sortedPercentile([7], 99)).toBe(7);
		expect(sortedPercentile([], 99)).toBeNaN();
	});

	it('median of odd and even counts; a lost window (∞) counts as the highest', () => {
		expect(median([9, 1, 5])).toBe(5);
		expect(median([4, 1, 3, 2])).toBe(2.5);
		expect(median([1, Infinity, 2])).toBe(2);
		expect(median([])).toBeNaN();
	});

	it('lost edits make the p99 infinite once they are more than 1 %', () => {
		const ok = Array.from({ length: 198 }, () => 10);
		expect(percentile([...ok, Infinity], 99)).toBe(10);
		expect(percentile([...ok, Infinity, Infinity, Infinity], 99)).toBe(Infinity);
	});

	it('a receiver that sees edit n has received every earlier edit, at that time', () => {
		const link = new Link();
		link.send(0); // 0
		link.send(100); // 1
		link.send(200); // 2
		link.send(300); // 3, never seen
		link.see(1, 150); // 0 and 1 arrive at 150
		link.see(0, 160); // an older number changes nothing
		link.see(2, 210);
		expect(link.latencies(0, 1000, 1000)).toEqual([150, 50, 10, Infinity]);
		// Only edits sent in the window, and arrivals after `asOf` do not count yet.
		expect(link.latencies(100, 250, 180)).toEqual([50, Infinity]);
		// A number beyond what was sent (a recreated sender) marks only what exists.
		link.see(99, 400);
		expect(link.latencies(300, 301, 1000)).toEqual([100]);
	});

	it('formats lost and missing figures', () => {
		expect(formatMs(Infinity)).toBe('∞');
		expect(formatMs(NaN)).toBe('—');
		expect(formatMs(1.234, 2)).toBe('1.23');
	});
});
