// Whose program it is: a pedagogue's (teacher, head) or a learner's (a pupil or a student, Tomsk
// region 2020 §3.2). A learner's program speaks of a learner: no «профессиональные затруднения»
// for an 8th-grader, and its forms are the pupil and student forms only.
import type { MenteeCategory, MentoringForm, ResultForm } from './labels';
import type { DiagnosisField } from './schema';

/** Forms of learners' mentoring (Tomsk region 2020, §3.2.1 and §3.2.3), with the mentee each implies. */
export const LEARNER_FORMS: Readonly<Partial<Record<MentoringForm, MenteeCategory>>> = {
	'pupil-pupil': 'pupil',
	'student-pupil': 'pupil',
	'employer-pupil': 'pupil',
	'educator-pupil': 'pupil',
	'employer-student': 'student',
	'student-student': 'student',
	'lecturer-student': 'student'
};

export const isLearnerForm = (form: string | null | undefined): form is MentoringForm =>
	typeof form === 'string' && Object.prototype.hasOwnProperty.call(LEARNER_FORMS, form);

/** Templates whose programs are learners' (the retired roadmaps made pupils' programs once). */
const LEARNER_TEMPLATES = new Set(['learner', 'school-roadmap', 'college-roadmap']);

/** Whether a program is a learner's: by its template, its mentee category or its form. */
export function isLearnerProgram(meta: {
	templateId?: string | null;
	menteeCategory?: string | null;
	form?: string | null;
}): boolean {
	return (
		LEARNER_TEMPLATES.has(meta.templateId ?? '') ||
		meta.menteeCategory === 'pupil' ||
		meta.menteeCategory === 'student' ||
		isLearnerForm(meta.form)
	);
}

export interface FieldLabel {
	label: string;
	hint: string;
}

const PEDAGOGUE: Record<DiagnosisField, FieldLabel> = {
	difficulties: {
		label: 'Профессиональные затруднения (дефициты)',
		hint: 'С чем наставляемому трудно в работе сейчас.'
	},
	request: { label: 'Запрос наставляемого', hint: 'Чего наставляемый ждет от наставничества.' },
	strengths: { label: 'Сильные стороны', hint: 'На что можно опереться.' },
	goals: { label: 'Цели программы', hint: 'Чего пара хочет достичь к концу программы.' },
	expectedResults: { label: 'Ожидаемые результаты', hint: 'Как будет видно, что цели достигнуты.' }
};

// The same stored fields, worded for a learner (the roadmap's «запросы наставляемых», step 6).
const LEARNER: Record<DiagnosisField, FieldLabel> = {
	difficulties: {
		label: 'Трудности в учебе и общении',
		hint: 'Что дается наставляемому трудно: предметы, привычки, общение.'
	},
	request: { label: 'Запрос наставляемого', hint: 'Чего наставляемый ждет от наставника.' },
	strengths: { label: 'Интересы и сильные стороны', hint: 'Что нравится и что получается.' },
	goals: { label: 'Цели', hint: 'Чего пара хочет достичь к концу программы.' },
	expectedResults: {
		label: 'Ожидаемые результаты',
		hint: 'Проект, оценки, участие в конкурсе, выбор профессии.'
	}
};

/** Labels of the diagnosis fields for this program. */
export function diagnosisLabels(learner: boolean): Record<DiagnosisField, FieldLabel> {
	return learner ? LEARNER : PEDAGOGUE;
}

/**
 * Forms of the result offered for an activity: a learner's pair produces a plan, meeting records,
 * questionnaires and their own results; a pedagogue's program the справки, отчеты and методические
 * материалы of the regulations. «Другое» in both; a form already set stays offered.
 */
export function resultFormsFor(learner: boolean, current?: string | null): ResultForm[] {
	const list: ResultForm[] = learner
		? ['work-plan', 'meeting-record', 'questionnaire', 'learner-result', 'other']
		: ['info-note', 'analytic-note', 'analytic-report', 'methodical-materials', 'other'];
	return current && !list.includes(current as ResultForm) ? [current as ResultForm, ...list] : list;
}
