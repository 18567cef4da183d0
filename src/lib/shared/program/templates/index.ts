// The list of templates without their activities: the UI shows a picker from this and loads the
// chosen template lazily, so the activity texts do not weigh on the first page load.
import type { ProgramTemplate, TemplateInfo } from './types';

export type { ProgramTemplate, TemplateActivity, TemplateInfo, TemplateStage } from './types';

const lazy = (load: () => Promise<{ default: ProgramTemplate }>) => () =>
	load().then((m) => m.default);

export const TEMPLATES: readonly TemplateInfo[] = [
	{
		id: 'tomsk-heads-beginner',
		titleRu: 'Наставничество начинающих руководителей организаций на территории г. Томска',
		kind: 'tomsk-heads',
		load: lazy(() => import('./tomsk-heads-beginner'))
	},
	{
		id: 'tomsk-heads-reserve',
		titleRu:
			'Модель наставничества «Резервиста» в образовательных организациях на территории г. Томска',
		kind: 'tomsk-heads',
		load: lazy(() => import('./tomsk-heads-reserve'))
	},
	{
		id: 'tomsk-heads-low-results',
		titleRu:
			'Модель наставничества руководителей ОО, включенных в состав ШНОР, на территории г. Томска',
		kind: 'tomsk-heads',
		load: lazy(() => import('./tomsk-heads-low-results'))
	},
	{
		id: 'tomsk-heads-low-efficiency',
		titleRu:
			'Наставничество руководителя, получившего по результатам оценки эффективности заключение о необходимости помощи наставника',
		kind: 'tomsk-heads',
		load: lazy(() => import('./tomsk-heads-low-efficiency'))
	},
	{
		id: 'teacher-surgut',
		titleRu: 'Персонализированная программа наставничества педагогического работника',
		kind: 'teacher',
		load: lazy(() => import('./teacher-surgut'))
	},
	{
		id: 'school-roadmap',
		titleRu: 'Дорожная карта внедрения целевой модели наставничества в образовательной организации',
		kind: 'school-roadmap',
		load: lazy(() => import('./school-roadmap'))
	},
	{
		id: 'college-roadmap',
		titleRu:
			'Дорожная карта внедрения модели наставничества в профессиональной образовательной организации',
		kind: 'college-roadmap',
		load: lazy(() => import('./college-roadmap'))
	},
	{ id: 'blank', titleRu: 'Пустая программа', kind: 'blank', load: lazy(() => import('./blank')) }
];

export function loadTemplate(id: string): Promise<ProgramTemplate> {
	const t = TEMPLATES.find((x) => x.id === id);
	if (!t) return Promise.reject(new Error(`unknown template ${id}`));
	return t.load();
}
