// A pupil's or a student's personalized program (Tomsk region 2020, распоряжение № 420-р/№ 261):
// the forms «ученик – ученик», «студент – ученик», «работодатель – ученик», «педагог – ученик»
// (§3.2.1) and «работодатель – студент», «студент – студент», «преподаватель – студент» (§3.2.3).
// The regulation gives no plan for a pair of learners, only the roadmap's steps that concern the
// pair itself (20–25, 27, 31); these activities are those steps, in their own wording where they
// fit a pair, and nothing of a pedagogue's program (no professional difficulties, no methodical
// materials). The form and the category (pupil / student) are chosen when the program is created.
import { type ProgramTemplate } from './types';

const template: ProgramTemplate = {
	id: 'learner',
	titleRu: 'Программа наставничества обучающегося',
	kind: 'learner',
	source:
		'Распоряжение ДОО и ДПО Томской области от 27.05.2020 № 420-р/№ 261 (формы наставничества обучающихся, п. 3.2; составлено по шагам 20–27, 31 «дорожной карты»)',
	form: 'pupil-pupil',
	types: ['traditional'],
	menteeCategory: 'pupil',
	// One school year; the regulation sets no term of its own.
	durationMonths: 9,
	stages: [
		{
			kind: 'organizational',
			title: 'Организационный',
			months: 1,
			activities: [
				{
					title: 'Проведение первой, организационной, встречи наставника и наставляемого',
					resultForm: 'meeting-record'
				},
				{
					title: 'Проведение второй, пробной рабочей, встречи наставника и наставляемого',
					resultForm: 'meeting-record'
				},
				{
					title:
						'Проведение встречи-планирования рабочего процесса в рамках программы наставничества с наставником и наставляемым',
					resultForm: 'work-plan'
				}
			]
		},
		{
			kind: 'activity',
			title: 'Деятельностный',
			months: 7,
			activities: [
				{ title: 'Регулярные встречи наставника и наставляемого', resultForm: 'meeting-record' },
				{
					title:
						'Совместная работа наставника и наставляемого по плану (проект, учебная задача, конкурс)',
					resultForm: 'learner-result'
				},
				{
					title: 'Сбор обратной связи от наставника и наставляемого',
					resultForm: 'questionnaire'
				}
			]
		},
		{
			kind: 'reflective',
			title: 'Рефлексивный',
			months: 1,
			activities: [
				{
					title: 'Проведение заключительной встречи наставника и наставляемого',
					resultForm: 'meeting-record'
				},
				{
					title:
						'Анкетирование участников. Проведение мониторинга личной удовлетворенности участием в программе наставничества',
					resultForm: 'questionnaire'
				},
				{
					title:
						'Оценка участников по заданным параметрам, проведение второго, заключающего этапа мониторинга влияния программы на всех участников',
					resultForm: 'questionnaire'
				}
			]
		}
	]
};
export default template;
