import { describe, expect, it } from 'vitest';
import { breakLines, fitColumns, fitSize, pieces, widestPiece, type Measure } from './line-break';

/** A monospaced measure: every character is 0.6 of the size wide. */
const mono: Measure = (s, size) => s.length * size * 0.6;

describe('line breaking for PDF tables', () => {
	it('breaks only at spaces and after hyphens, never inside a word', () => {
		const lines = breakLines('Семинар-практикум «Стратегия и тактика школ»', 60, 10, mono);
		for (const l of lines) expect(mono(l, 10)).toBeLessThanOrEqual(60);
		expect(lines).toEqual(['Семинар-', 'практикум', '«Стратегия', 'и тактика', 'школ»']);
		expect(lines.join(' ').replace('- ', '-')).toBe('Семинар-практикум «Стратегия и тактика школ»');
	});

	it('keeps newlines and a hyphen at the start or end of a word', () => {
		expect(pieces('-5 а- б')).toEqual([
			{ text: '-5', space: true },
			{ text: 'а-', space: true },
			{ text: 'б', space: true }
		]);
		expect(breakLines('один\nдва', 1000, 10, mono)).toEqual(['один', 'два']);
	});

	it('a word longer than its column gets a smaller font, not a split', () => {
		// «Ответственный»: 13 characters = 78 pt at 10 pt; the column holds 60.
		expect(widestPiece('Ответственный за этап', 10, mono)).toBeCloseTo(78);
		const size = fitSize('Ответственный за этап', 60, 10, 5, mono);
		expect(size).toBeLessThan(10);
		expect(size).toBeGreaterThanOrEqual(5);
		expect(breakLines('Ответственный за этап', 60, size, mono)).toEqual([
			'Ответственный',
			'за этап'
		]);
		expect(fitSize('за этап', 60, 10, 5, mono)).toBe(10);
	});

	it('only a word no font size can hold (a pasted link) is cut, so it never overflows its cell', () => {
		const url = 'https://example.org/' + 'a'.repeat(200);
		const size = fitSize(url, 60, 10, 5, mono);
		expect(size).toBe(5);
		for (const l of breakLines(url, 60, size, mono)) expect(mono(l, size)).toBeLessThanOrEqual(60);
	});

	it('a column too narrow for its longest word takes room from columns with room to spare', () => {
		const out = fitColumns([100, 50, 50], [40, 80, 30]);
		expect(out[1]).toBeCloseTo(80);
		expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(200);
		expect(out[0]).toBeGreaterThanOrEqual(40);
		expect(out[2]).toBeGreaterThanOrEqual(30);
		// Nothing to take: widths stay.
		expect(fitColumns([50, 50], [60, 60])).toEqual([50, 50]);
	});
});
