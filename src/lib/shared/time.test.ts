import { describe, expect, it } from 'vitest';
import {
	DEFAULT_TIME_ZONE,
	RUSSIAN_TIME_ZONES,
	countOf,
	formatDateLong,
	formatDateTime,
	formatTimeIn,
	isTimeZone,
	localDate,
	plural,
	startOfDay,
	today,
	zoneOffsetMinutes,
	zoneOr
} from './time';

describe('today and localDate', () => {
	it('counts the day in the zone, not in UTC', () => {
		const t = Date.UTC(2026, 2, 10, 12, 0, 1); // 00:00:01 on 11 March in Kamchatka
		expect(today('Asia/Kamchatka', t)).toBe('2026-03-11');
		expect(today('Europe/Kaliningrad', t)).toBe('2026-03-10');
		expect(localDate(new Date(Date.UTC(2026, 2, 10, 21, 59, 59)), 'Europe/Kaliningrad')).toBe(
			'2026-03-10'
		);
		expect(localDate(Date.UTC(2026, 2, 10, 22, 0, 1), 'Europe/Kaliningrad')).toBe('2026-03-11');
	});

	it('a meeting at 09:00 in Vladivostok is on that day (it was the day before in UTC)', () => {
		const nineAm = Date.UTC(2026, 8, 1, 9) - 10 * 3_600_000;
		expect(new Date(nineAm).toISOString().slice(0, 10)).toBe('2026-08-31');
		expect(today('Asia/Vladivostok', nineAm)).toBe('2026-09-01');
	});

	it('knows local midnight and the offset', () => {
		expect(startOfDay('2026-03-11', 'Asia/Kamchatka')).toBe(Date.UTC(2026, 2, 10, 12));
		expect(startOfDay('2026-03-11', 'Europe/Moscow')).toBe(Date.UTC(2026, 2, 10, 21));
		expect(zoneOffsetMinutes(0, 'Asia/Omsk')).toBe(360);
		// Europe/Berlin keeps daylight saving: the offset changes over the year.
		expect(zoneOffsetMinutes(Date.UTC(2026, 0, 15), 'Europe/Berlin')).toBe(60);
		expect(zoneOffsetMinutes(Date.UTC(2026, 6, 15), 'Europe/Berlin')).toBe(120);
		expect(startOfDay('2026-07-15', 'Europe/Berlin')).toBe(Date.UTC(2026, 6, 14, 22));
	});
});

describe('zones', () => {
	it('validates IANA names and falls back to Moscow', () => {
		for (const z of RUSSIAN_TIME_ZONES) expect(isTimeZone(z.id)).toBe(true);
		expect(RUSSIAN_TIME_ZONES).toHaveLength(11);
		expect(isTimeZone('Mars/Olympus')).toBe(false);
		expect(isTimeZone('+03:00')).toBe(false);
		expect(isTimeZone('')).toBe(false);
		expect(isTimeZone(42)).toBe(false);
		expect(zoneOr(undefined)).toBe(DEFAULT_TIME_ZONE);
		expect(zoneOr('nonsense')).toBe('Europe/Moscow');
		expect(zoneOr('Asia/Yakutsk')).toBe('Asia/Yakutsk');
	});
});

describe('formatting', () => {
	it('prints instants in local time and calendar dates without a shift', () => {
		expect(formatDateTime(Date.UTC(2026, 2, 10, 12, 0, 1), 'Asia/Kamchatka')).toBe(
			'11.03.2026 00:00'
		);
		expect(formatDateTime(Date.UTC(2026, 2, 10, 12, 0, 1), 'Europe/Kaliningrad')).toBe(
			'10.03.2026 14:00'
		);
		expect(formatDateLong('2026-12-10')).toBe('10 декабря 2026 г.');
		expect(formatDateLong('2026-06-01', false)).toBe('1 июня');
	});

	// Written out by hand (the client's first render skips ICU's first format): ICU is the reference.
	it('writes every day of two years and every minute of a day as ICU writes them', () => {
		const long = new Intl.DateTimeFormat('ru-RU', {
			day: 'numeric',
			month: 'long',
			timeZone: 'UTC'
		});
		const longYear = new Intl.DateTimeFormat('ru-RU', {
			day: 'numeric',
			month: 'long',
			year: 'numeric',
			timeZone: 'UTC'
		});
		const hhmm = new Intl.DateTimeFormat('ru-RU', {
			hour: '2-digit',
			minute: '2-digit',
			timeZone: 'Asia/Vladivostok'
		});
		for (let t = Date.UTC(2026, 0, 1, 12); t < Date.UTC(2028, 0, 1); t += 86_400_000) {
			const day = new Date(t).toISOString().slice(0, 10);
			expect(formatDateLong(day)).toBe(longYear.format(t));
			expect(formatDateLong(day, false)).toBe(long.format(t));
		}
		for (let t = Date.UTC(2026, 5, 1); t < Date.UTC(2026, 5, 2); t += 60_000)
			expect(formatTimeIn(t, 'Asia/Vladivostok')).toBe(hhmm.format(t));
	});
});

describe('plural (Intl.PluralRules)', () => {
	const forms = { one: 'программа', few: 'программы', many: 'программ' };
	it.each([
		[0, 'программ'],
		[1, 'программа'],
		[2, 'программы'],
		[4, 'программы'],
		[5, 'программ'],
		[11, 'программ'],
		[14, 'программ'],
		[21, 'программа'],
		[22, 'программы'],
		[101, 'программа'],
		[111, 'программ'],
		[1.5, 'программы']
	])('%d → %s', (n, word) => {
		expect(plural(n, forms)).toBe(word);
	});
	it('countOf prints the number with its word', () => {
		expect(countOf(3, { one: 'этап', few: 'этапа', many: 'этапов' })).toBe('3 этапа');
	});
});
