// daysInMonth counts instead of asking a Date (issue 18: it runs for every date a summary reads);
// it must answer exactly what the Date did, for every input the date functions can give it.
import { describe, expect, it } from 'vitest';
import { addMonths, daysInMonth, isIsoDate } from './dates';

const byDate = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

describe('daysInMonth', () => {
	it('equals the Date answer for every month of years -1 to 10001, and outside 1–12', () => {
		for (let y = -1; y <= 10_001; y++)
			for (let m = -13; m <= 14; m++) {
				const counted = daysInMonth(y, m);
				if (counted !== byDate(y, m)) expect(counted, `${y}-${m}`).toBe(byDate(y, m));
			}
		for (const [y, m] of [
			[2024.5, 2],
			[2024, 2.5],
			[NaN, 2],
			[2024, NaN],
			[300_000, 1]
		] as const)
			expect(daysInMonth(y, m)).toBe(byDate(y, m));
	});

	it('leap days and month ends through the public functions', () => {
		expect(isIsoDate('2024-02-29')).toBe(true);
		expect(isIsoDate('2100-02-29')).toBe(false);
		expect(isIsoDate('2000-02-29')).toBe(true);
		expect(isIsoDate('2025-04-31')).toBe(false);
		expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
		expect(addMonths('2023-01-31', 1)).toBe('2023-02-28');
	});
});
