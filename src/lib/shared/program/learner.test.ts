// Issue 15, «Student mentoring modelled right»: a pupil's program is not the school's rollout
// roadmap and not a pedagogue's program. It has the pupil and student forms, result forms that fit
// a learner, and no pedagogue-only sections (no «профессиональные затруднения» for an 8th-grader).
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { diagnosisLabels, isLearnerProgram, LEARNER_FORMS, resultFormsFor } from './audience';
import { createProgram } from './create';
import { FORM_LABELS, RESULT_FORM_LABELS } from './labels';
import { readProgram } from './read';
import { CREATABLE_TEMPLATES, TEMPLATES, loadTemplate } from './templates/index';
import { curator, fixedClock } from './test-utils';
import type { ProgramValidationError } from './validate';

const PEDAGOGUE_WORDS = /профессиональн|затруднени|урок|методическ|педагогическ/i;

function make(form: string | undefined) {
	const doc = new Y.Doc();
	return loadTemplate('learner').then((t) => {
		createProgram(doc, curator, t, {
			startDate: '2025-09-01',
			clock: fixedClock,
			...(form ? { form: form as keyof typeof FORM_LABELS } : {})
		});
		return readProgram(doc);
	});
}

describe('a learner’s program', () => {
	it('the roadmaps are not offered as a program; the learner template is', () => {
		const ids = CREATABLE_TEMPLATES.map((t) => t.id);
		expect(ids).toContain('learner');
		expect(ids).not.toContain('school-roadmap');
		expect(ids).not.toContain('college-roadmap');
	});

	it('has no pedagogue-only activity, and every activity a result form that fits a learner', async () => {
		const t = await loadTemplate('learner');
		const acts = t.stages.flatMap((s) => s.activities);
		expect(acts.length).toBe(9);
		for (const a of acts) {
			expect(a.title, a.title).not.toMatch(PEDAGOGUE_WORDS);
			expect(['work-plan', 'meeting-record', 'questionnaire', 'learner-result']).toContain(
				a.resultForm
			);
			expect(RESULT_FORM_LABELS[a.resultForm!]).not.toBe('Другое');
		}
	});

	it('the plan offers a learner’s forms of the result, a pedagogue’s program the справки', () => {
		const labels = (xs: string[]) => xs.map((x) => RESULT_FORM_LABELS[x as 'other']);
		expect(labels(resultFormsFor(true))).toEqual([
			'План совместной работы',
			'Запись в журнале встреч',
			'Анкета',
			'Результат наставляемого (проект, работа, участие в конкурсе)',
			'Другое'
		]);
		expect(resultFormsFor(false)).not.toContain('meeting-record');
		expect(resultFormsFor(false)).toContain('analytic-note');
		// A form already set (by an older app, or before the change) stays offered.
		expect(resultFormsFor(true, 'info-note')[0]).toBe('info-note');
	});

	it('takes the pupil and student forms, its mentee category following the form', async () => {
		const cases: Array<[string, string]> = [
			['pupil-pupil', 'pupil'],
			['student-pupil', 'pupil'],
			['educator-pupil', 'pupil'],
			['employer-pupil', 'pupil'],
			['employer-student', 'student'],
			['student-student', 'student'],
			['lecturer-student', 'student']
		];
		expect(Object.keys(LEARNER_FORMS).sort()).toEqual(cases.map((c) => c[0]).sort());
		for (const [form, category] of cases) {
			const v = await make(form);
			expect(v.meta.form).toBe(form);
			expect(v.meta.menteeCategory).toBe(category);
			expect(v.problems).toEqual([]);
		}
		// The default is «ученик – ученик».
		expect((await make(undefined)).meta.form).toBe('pupil-pupil');
	});

	it('a program made from a roadmap before stays readable, listed by its title, a learner’s', async () => {
		const doc = new Y.Doc();
		createProgram(doc, curator, await loadTemplate('school-roadmap'), {
			startDate: '2025-09-01',
			clock: fixedClock
		});
		const v = readProgram(doc);
		expect(v.problems).toEqual([]);
		expect(v.activities.length).toBe(34);
		expect(isLearnerProgram(v.meta)).toBe(true);
		const entry = TEMPLATES.find((t) => t.id === v.meta.templateId);
		expect(entry?.titleRu).toBe(
			'Дорожная карта внедрения целевой модели наставничества в образовательной организации'
		);
		expect(entry?.retired).toBe(true);
	});

	it('a pedagogue’s form is refused with the learner forms named in Russian', async () => {
		try {
			await make('teacher-teacher');
			throw new Error('accepted');
		} catch (e) {
			const err = e as ProgramValidationError;
			expect(err.field).toBe('form');
			expect(err.messageRu).toContain('«ученик – ученик»');
			expect(err.messageRu).toContain('«работодатель – студент»');
		}
	});

	it('its diagnosis speaks of a learner, a teacher’s of professional difficulties', async () => {
		const v = await make('educator-pupil');
		expect(isLearnerProgram(v.meta)).toBe(true);
		for (const l of Object.values(diagnosisLabels(true)))
			expect(l.label + l.hint).not.toMatch(PEDAGOGUE_WORDS);
		expect(diagnosisLabels(false).difficulties.label).toBe(
			'Профессиональные затруднения (дефициты)'
		);
		// A program made from a roadmap before (a pupil's, as shipped then) reads as a learner's.
		expect(isLearnerProgram({ templateId: 'school-roadmap', menteeCategory: null })).toBe(true);
		expect(
			isLearnerProgram({ templateId: 'teacher-surgut', menteeCategory: 'teacher-young' })
		).toBe(false);
	});
});
