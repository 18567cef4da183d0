import { describe, expect, it } from 'vitest';
import { FORM_LABELS } from './program/labels';
import { FORM_SIDES, figureFacts, staffKindOf } from './figures';

describe('staff category of a person', () => {
	it('takes the recorded category, else reads the position by the nomenclature', () => {
		expect(staffKindOf('pedagogue', 'лаборант')).toBe('pedagogue');
		expect(staffKindOf(null, 'Учитель математики')).toBe('pedagogue');
		expect(staffKindOf(null, 'воспитатель')).toBe('pedagogue');
		expect(staffKindOf(null, 'педагог-психолог')).toBe('pedagogue');
		expect(staffKindOf(null, 'педагог-организатор')).toBe('pedagogue');
		expect(staffKindOf(null, 'преподаватель')).toBe('pedagogue');
		expect(staffKindOf(null, 'директор')).toBe('head');
		expect(staffKindOf(null, 'Заместитель директора по УВР, учитель истории')).toBe('head');
		expect(staffKindOf(null, 'заведующий')).toBe('head');
		expect(staffKindOf(null, 'ученик 8 класса')).toBe('pupil');
		expect(staffKindOf(null, 'обучающийся')).toBe('pupil');
		expect(staffKindOf(null, 'студент 2 курса')).toBe('student');
		expect(staffKindOf(null, 'лаборант')).toBe('other');
		expect(staffKindOf(null, 'представитель работодателя')).toBe('other');
		expect(staffKindOf(null, '')).toBeNull();
		expect(staffKindOf('nonsense', null)).toBeNull();
	});

	it('knows both sides of every form of mentoring', () => {
		expect(Object.keys(FORM_SIDES).sort()).toEqual(Object.keys(FORM_LABELS).sort());
		expect(FORM_SIDES['educator-pupil']).toEqual({ mentor: 'pedagogue', mentee: 'pupil' });
	});
});

describe('figure facts of a stored summary', () => {
	it('keeps people as registry keys, once per role; the mentee assessment by person', () => {
		const f = figureFacts(
			{
				status: 'completed',
				stage: { phase: 'in-progress', kind: 'organizational' },
				completion: { reason: 'curator-initiative', date: '2026-03-10' },
				participants: [
					{ id: 'a', role: 'mentor', userId: 'u1', name: 'М' },
					{ id: 'b', role: 'mentee', userId: 'u2', name: 'Н' },
					{ id: 'c', role: 'mentee', userId: null, name: 'Без реестра' },
					{ id: 'd', role: 'curator', userId: 'u3', name: 'К' }
				],
				assessment: { mentees: [{ participantId: 'b', entryAvg: 2, exitAvg: 4 }] }
			},
			'prog1'
		);
		// A completed program is «completed», whatever stage its dates say.
		expect(f.stage).toBe('completed');
		expect(f.participants).toEqual([
			{ key: 'u1', role: 'mentor', registered: true },
			{ key: 'u2', role: 'mentee', registered: true },
			{ key: 'prog1/c', role: 'mentee', registered: false }
		]);
		expect(f.menteeAssessment).toEqual([{ key: 'u2', entry: 2, exit: 4 }]);
	});

	it('gives defaults for a damaged or older summary', () => {
		const f = figureFacts({ participants: 'x', stage: null }, 'p');
		expect(f).toMatchObject({ status: 'draft', stage: 'unscheduled', participants: [] });
		expect(f.menteeAssessment).toEqual([]);
		expect(figureFacts(null, 'p').reports.accepted).toBe(0);
	});
});
