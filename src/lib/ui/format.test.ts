import { describe, expect, it } from 'vitest';
import { formatDate, plural } from './format';

describe('plural', () => {
	const forms: [string, string, string] = ['изменение', 'изменения', 'изменений'];
	it.each([
		[1, 'изменение'],
		[2, 'изменения'],
		[4, 'изменения'],
		[5, 'изменений'],
		[11, 'изменений'],
		[12, 'изменений'],
		[21, 'изменение'],
		[22, 'изменения'],
		[111, 'изменений'],
		[0, 'изменений']
	])('%i → %s', (n, expected) => {
		expect(plural(n, forms)).toBe(expected);
	});
});

describe('formatDate', () => {
	it('formats a calendar date in Russian without a time-zone shift', () => {
		expect(formatDate('2026-12-10')).toBe('10 декабря');
		expect(formatDate('2026-06-01')).toBe('1 июня');
	});
	it('returns what it cannot parse unchanged', () => {
		expect(formatDate('завтра')).toBe('завтра');
	});
});
