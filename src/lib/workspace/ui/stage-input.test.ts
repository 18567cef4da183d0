import { describe, expect, it } from 'vitest';
import { stageInput } from './stage-input';

describe('stageInput: what the add and rename stage forms submit', () => {
	it('trims the title and keeps the months', () => {
		expect(stageInput('  Адаптация ', 3)).toEqual({ title: 'Адаптация', months: 3 });
	});
	it('refuses an empty or blank title with a Russian message', () => {
		expect(stageInput('', 1)).toBe('Введите название этапа.');
		expect(stageInput('   ', 1)).toBe('Введите название этапа.');
	});
	it('counts an empty or invalid duration as 0 months (a cleared number field binds null)', () => {
		expect(stageInput('Этап', null as unknown as number)).toEqual({ title: 'Этап', months: 0 });
		expect(stageInput('Этап', Number.NaN)).toEqual({ title: 'Этап', months: 0 });
	});
});
