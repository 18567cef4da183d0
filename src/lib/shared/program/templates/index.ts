// The list of templates without their activities: the UI shows a picker from this and loads the
// chosen template lazily, so the activity texts do not weigh on the first page load.
import { ANY_TERM, type ProgramTemplate, type ProgramTerm, type TemplateInfo } from './types';

export { ANY_TERM } from './types';
export type {
	ProgramTemplate,
	ProgramTerm,
	TemplateActivity,
	TemplateInfo,
	TemplateStage
} from './types';

// The terms of the regulations, repeated here so the creation form can offer them without loading
// a template (templates.test.ts checks they equal the templates' own).
const TOMSK_TERM: ProgramTerm = {
	minMonths: 24,
	maxMonths: 24,
	basis: 'Положение о наставничестве руководителей (Томск, 2024), п. 1.2.6: 24 месяца'
};
const SURGUT_TERM: ProgramTerm = {
	minMonths: 3,
	maxMonths: 12,
	basis: 'Положение о наставничестве (Сургут, 2022), п. 1.3.7: от 3 месяцев до 1 года'
};

const lazy = (load: () => Promise<{ default: ProgramTemplate }>) => () =>
	load().then((m) => m.default);

export const TEMPLATES: readonly TemplateInfo[] = [
	{
		id: 'tomsk-heads-beginner',
		titleRu: 'Наставничество начинающих руководителей организаций на территории г. Томска',
		kind: 'tomsk-heads',
		term: TOMSK_TERM,
		durationMonths: 24,
		load: lazy(() => import('./tomsk-heads-beginner'))
	},
	{
		id: 'tomsk-heads-reserve',
		titleRu:
			'Модель наставничества «Резервиста» в образовательных организациях на территории г. Томска',
		kind: 'tomsk-heads',
		term: TOMSK_TERM,
		durationMonths: 24,
		load: lazy(() => import('./tomsk-heads-reserve'))
	},
	{
		id: 'tomsk-heads-low-results',
		titleRu:
			'Модель наставничества руководителей ОО, включенных в состав ШНОР, на территории г. Томска',
		kind: 'tomsk-heads',
		term: TOMSK_TERM,
		durationMonths: 24,
		load: lazy(() => import('./tomsk-heads-low-results'))
	},
	{
		id: 'tomsk-heads-low-efficiency',
		titleRu:
			'Наставничество руководителя, получившего по результатам оценки эффективности заключение о необходимости помощи наставника',
		kind: 'tomsk-heads',
		term: TOMSK_TERM,
		durationMonths: 24,
		load: lazy(() => import('./tomsk-heads-low-efficiency'))
	},
	{
		id: 'teacher-surgut',
		titleRu: 'Персонализированная программа наставничества педагогического работника',
		kind: 'teacher',
		term: SURGUT_TERM,
		durationMonths: 12,
		load: lazy(() => import('./teacher-surgut'))
	},
	{
		id: 'school-roadmap',
		titleRu: 'Дорожная карта внедрения целевой модели наставничества в образовательной организации',
		kind: 'school-roadmap',
		retired: true,
		durationMonths: 10,
		load: lazy(() => import('./school-roadmap'))
	},
	{
		id: 'college-roadmap',
		titleRu:
			'Дорожная карта внедрения модели наставничества в профессиональной образовательной организации',
		kind: 'college-roadmap',
		retired: true,
		durationMonths: 10,
		load: lazy(() => import('./college-roadmap'))
	},
	{
		id: 'learner',
		titleRu: 'Программа наставничества обучающегося',
		kind: 'learner',
		durationMonths: 9,
		load: lazy(() => import('./learner'))
	},
	{
		id: 'blank',
		titleRu: 'Пустая программа',
		kind: 'blank',
		durationMonths: 12,
		load: lazy(() => import('./blank'))
	}
];

export function loadTemplate(id: string): Promise<ProgramTemplate> {
	const t = TEMPLATES.find((x) => x.id === id);
	if (!t) return Promise.reject(new Error(`unknown template ${id}`));
	return t.load();
}

/** Templates offered for a new program (the retired roadmaps are not). */
export const CREATABLE_TEMPLATES: readonly TemplateInfo[] = TEMPLATES.filter((t) => !t.retired);

/** The term a template allows; a practice from the registry or a blank program: 1 to 60 months. */
export function termOf(
	template: Pick<ProgramTemplate, 'term'> | Pick<TemplateInfo, 'term'>
): ProgramTerm {
	return template.term ?? ANY_TERM;
}
