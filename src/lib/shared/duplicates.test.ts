import { describe, expect, it } from 'vitest';
import { duplicateReason, normalizeName, normalizePhone } from './duplicates';

describe('the duplicate rule', () => {
	it('normalizes names, e-mails and phones', () => {
		expect(normalizeName('  Семёнова  Анна-Мария,  ПЕТРОВНА ')).toBe(
			'семенова анна-мария петровна'
		);
		expect(normalizePhone('8 (913) 123-45-67')).toBe('9131234567');
		expect(normalizePhone('+7 913 123 45 67')).toBe('9131234567');
		expect(normalizePhone('12-34')).toBeNull();
	});
	it('matches by name and compatible birth date, e-mail or phone; not namesakes born apart', () => {
		const a = { fullName: 'Семёнова Анна Петровна', birthDate: '2009-04-01' };
		expect(
			duplicateReason(a, { fullName: 'семенова анна  петровна', birthDate: '2009-04-01' })
		).toBe('name-birth');
		expect(duplicateReason(a, { fullName: 'Семенова Анна Петровна' })).toBe('name');
		expect(
			duplicateReason(a, { fullName: 'Семенова Анна Петровна', birthDate: '2010-01-01' })
		).toBeNull();
		expect(
			duplicateReason(
				{ fullName: 'А', email: ' Ivanova@School.ru' },
				{ fullName: 'Б', email: 'ivanova@school.ru' }
			)
		).toBe('email');
		expect(
			duplicateReason(
				{ fullName: 'А', phone: '89131234567' },
				{ fullName: 'Б', phone: '+7 913 123-45-67' }
			)
		).toBe('phone');
		expect(duplicateReason({ fullName: 'Иванов И. И.' }, { fullName: 'Петров П. П.' })).toBeNull();
	});
});
