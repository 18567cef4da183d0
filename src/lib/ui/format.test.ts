import { describe, expect, it } from 'vitest';
import { formatDate, plural } from './format';

describe('plural', () => {
	const forms = { one: 'изменение', few: 'изменения', many: 'изменений' };
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
	const now = new Date(2026, 10, 21);
	it('formats a calendar date in Russian without a time-zone shift', () => {
		expect(formatDate('2026-12-10', { now })).toBe('10 декабря');
		expect(formatDate('2026-06-01', { now })).toBe('1 июня');
	});
	it('names the year when it is not the current one, or when asked to', () => {
		expect(formatDate('2027-03-15', { now })).toBe('15 марта 2027 г.');
		expect(formatDate('2026-03-15', { now, year: 'always' })).toBe('15 марта 2026 г.');
	});
	it('returns what it cannot parse unchanged', () => {
		expect(formatDate('завтра')).toBe('завтра');
	});
});
