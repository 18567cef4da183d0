import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, addMonths, calendarDate, daysBetween, isIsoDate, stampOf } from './dates';
import * as L from './labels';
import { compareOrder, initialKeys, isOrderKey, keyBetween } from './order';
import { ProgramValidationError, checkDate, checkEnum, checkInt, checkText } from './validate';

describe('dates', () => {
	it('accepts only real calendar days', () => {
		expect(isIsoDate('2025-02-28')).toBe(true);
		expect(isIsoDate('2024-02-29')).toBe(true);
		for (const bad of [
			'2025-02-29',
			'2025-13-01',
			'2025-1-01',
			'01.09.2025',
			'2025-09-01T00:00',
			20250901,
			null,
			'1899-12-31',
			'2201-01-01'
		])
			expect(isIsoDate(bad)).toBe(false);
	});
	it('adds months clamping the day, and days across years', () => {
		expect(addMonths('2025-01-31', 1)).toBe('2025-02-28');
		expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
		expect(addMonths('2025-09-01', 15)).toBe('2026-12-01');
		expect(addMonths('2025-03-15', -3)).toBe('2024-12-15');
		expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
		expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
		expect(daysBetween('2025-09-01', '2025-10-01')).toBe(30);
	});
	it('reads the calendar day of an instant in a chosen time zone, never the device one', () => {
		const t = new Date('2025-09-01T20:30:00Z');
		expect(calendarDate(t)).toBe('2025-09-01');
		expect(calendarDate(t, 7 * 60)).toBe('2025-09-02'); // Tomsk
		expect(calendarDate('2025-09-01')).toBe('2025-09-01');
		expect(() => calendarDate('garbage')).toThrow();
		expect(stampOf(t)).toBe('2025-09-01T20:30Z');
	});
});

describe('order keys', () => {
	const key = fc
		.array(fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'), {
			minLength: 1,
			maxLength: 8
		})
		.map((c) => c.join(''))
		.filter(isOrderKey);
	it('keyBetween is strictly between its neighbours', () => {
		fc.assert(
			fc.property(key, key, (a, b) => {
				if (a === b) return;
				const [lo, hi] = a < b ? [a, b] : [b, a];
				const k = keyBetween(lo, hi);
				expect(isOrderKey(k)).toBe(true);
				expect(lo < k && k < hi).toBe(true);
				expect(keyBetween(lo, null) > lo).toBe(true);
				expect(keyBetween(null, hi) < hi).toBe(true);
			}),
			{ numRuns: 500 }
		);
	});
	it('degrades instead of throwing on ties and garbage', () => {
		expect(keyBetween('V', 'V') > 'V').toBe(true);
		expect(isOrderKey(keyBetween('not a key!', 'x'))).toBe(true);
		expect(isOrderKey(keyBetween(null, null))).toBe(true);
	});
	it('appending 1000 times stays short; initial keys are sorted and distinct', () => {
		let k: string | null = null;
		for (let i = 0; i < 1000; i++) k = keyBetween(k, null);
		expect((k as string).length).toBeLessThan(30);
		for (const n of [0, 1, 2, 9, 34, 59, 60, 200]) {
			const ks = initialKeys(n);
			expect(ks.length).toBe(n);
			expect(new Set(ks).size).toBe(n);
			expect([...ks].sort()).toEqual(ks);
			expect(ks.every(isOrderKey)).toBe(true);
		}
	});
	it('ties are broken by id', () => {
		expect(compareOrder({ order: 'V', id: 'a' }, { order: 'V', id: 'b' })).toBeLessThan(0);
	});
});

describe('labels', () => {
	it('every enum value has a Russian label', () => {
		const all = [
			L.FORM_LABELS,
			L.TYPE_LABELS,
			L.MENTEE_CATEGORY_LABELS,
			L.ROLE_LABELS,
			L.PROGRAM_STATUS_LABELS,
			L.STAGE_KIND_LABELS,
			L.RESULT_FORM_LABELS,
			L.ACTIVITY_STATUS_LABELS,
			L.MEETING_FORMAT_LABELS,
			L.MEETING_KIND_LABELS,
			L.REPORT_KIND_LABELS,
			L.REPORT_STATUS_LABELS,
			L.COMPLETION_REASON_LABELS,
			L.CHANGE_KIND_LABELS,
			L.CHANGE_STATUS_LABELS,
			L.ASSESSMENT_PHASE_LABELS,
			L.TEMPLATE_KIND_LABELS
		];
		for (const labels of all)
			for (const v of Object.values(labels)) expect(v).toMatch(/[а-яА-ЯёЁ]/);
		expect(L.FORM_LABELS['teacher-teacher']).toBe('учитель – учитель');
		expect(Object.keys(L.FORM_LABELS)).toHaveLength(13);
		expect(Object.keys(L.TYPE_LABELS)).toHaveLength(7);
		expect(L.MEETING_FORMAT_LABELS).toEqual({ 'in-person': 'очно', remote: 'дистанционно' });
		expect(L.labelOf(L.REPORT_STATUS_LABELS, 'returned')).toBe('возвращен на доработку');
		expect(L.labelOf(L.REPORT_STATUS_LABELS, 'from-the-future')).toBe('from-the-future');
	});
});

describe('validation', () => {
	it('throws typed errors with a Russian message', () => {
		const cases: Array<() => unknown> = [
			() => checkDate('deadline', '31.12.2025'),
			() => checkEnum('form', L.FORM_LABELS, 'boss – slave'),
			() => checkText('title', 'x'.repeat(301), 300),
			() => checkText('title', '   ', 300),
			() => checkInt('score', 6, 1, 5),
			() => checkInt('score', 2.5, 1, 5)
		];
		for (const c of cases) {
			try {
				c();
				expect.unreachable();
			} catch (e) {
				expect(e).toBeInstanceOf(ProgramValidationError);
				const err = e as ProgramValidationError;
				expect(err.messageRu).toMatch(/[а-яА-Я]/);
				expect(err.message).toMatch(/[a-z]/);
			}
		}
	});
});
