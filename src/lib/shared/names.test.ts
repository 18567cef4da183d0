import { describe, expect, it } from 'vitest';
import { shortName, shortNames } from './names';

const nb = (s: string) => s.replace(/ /g, '\u00a0');

describe('shortName', () => {
	it('writes the surname and initials with non-breaking spaces', () => {
		expect(shortName('Иванова Мария Сергеевна')).toBe(nb('Иванова М. С.'));
		expect(shortName('  Петров   Пётр ')).toBe(nb('Петров П.'));
		expect(shortName('Сидоров')).toBe('Сидоров');
		expect(shortName('Иванова М. С.')).toBe(nb('Иванова М. С.'));
		expect(shortName('Ким Анна-мария Юрьевна')).toBe(nb('Ким А.-М. Ю.'));
		expect(shortName('')).toBe('');
	});
	it('joins several', () => {
		expect(shortNames(['Иванова Мария Сергеевна', 'Петров Пётр Петрович'])).toBe(
			`${nb('Иванова М. С.')}, ${nb('Петров П. П.')}`
		);
	});
});
