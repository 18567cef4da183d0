import { describe, expect, it } from 'vitest';
import { formatDate, formatTime, plural } from './format';

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

// Written out by hand (see dayInWords): what ICU's ru-RU would print is the reference.
describe('formatDate and formatTime against Intl', () => {
	it('writes a year of days and a day of minutes as Intl.DateTimeFormat("ru-RU") would', () => {
		const now = new Date(2026, 10, 21);
		const short = new Intl.DateTimeFormat('ru-RU', { day: 'numeric', month: 'long' });
		const full = new Intl.DateTimeFormat('ru-RU', {
			day: 'numeric',
			month: 'long',
			year: 'numeric'
		});
		for (let d = new Date(2026, 0, 1); d.getFullYear() < 2028; d.setDate(d.getDate() + 1)) {
			const iso = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
			expect(formatDate(iso, { now })).toBe((d.getFullYear() === 2026 ? short : full).format(d));
		}
		const hhmm = new Intl.DateTimeFormat('ru-RU', { hour: '2-digit', minute: '2-digit' });
		for (let m = 0; m < 24 * 60; m++) {
			const at = new Date(2026, 5, 1, 0, m);
			expect(formatTime(at.toISOString())).toBe(hhmm.format(at));
		}
	});
});
