import { describe, expect, it } from 'vitest';
import { previousPeriod, resolvePeriod } from './figures';

describe('periods of the figures', () => {
	it('reads a date, a period, and today', () => {
		expect(resolvePeriod({}, '2026-03-16')).toEqual({
			from: '2026-03-16',
			to: '2026-03-16',
			kind: 'date'
		});
		expect(resolvePeriod({ to: '2025-12-15' }, '2026-03-16')).toEqual({
			from: '2025-12-15',
			to: '2025-12-15',
			kind: 'date'
		});
		expect(resolvePeriod({ from: '2026-01-01' }, '2026-03-16')).toEqual({
			from: '2026-01-01',
			to: '2026-03-16',
			kind: 'period'
		});
	});

	it('the previous period: whole months → as many months before, else as many days', () => {
		expect(previousPeriod({ from: '2026-01-01', to: '2026-06-30' })).toEqual({
			from: '2025-07-01',
			to: '2025-12-31'
		});
		expect(previousPeriod({ from: '2026-01-01', to: '2026-12-31' })).toEqual({
			from: '2025-01-01',
			to: '2025-12-31'
		});
		expect(previousPeriod({ from: '2025-09-01', to: '2026-05-31' })).toEqual({
			from: '2024-12-01',
			to: '2025-08-31'
		});
		// 75 days → the 75 days before.
		expect(previousPeriod({ from: '2026-01-01', to: '2026-03-16' })).toEqual({
			from: '2025-10-18',
			to: '2025-12-31'
		});
	});
});
