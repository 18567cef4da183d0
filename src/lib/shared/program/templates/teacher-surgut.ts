// Teacher mentoring after Surgut 2022: a short-term personalized program (3 months to 1 year,
// §1.3.7) planned, carried out, assessed and corrected jointly by mentor and mentee (§1.11).
// The Surgut regulation lists no activities for a personalized program, so these are composed from
// its own wording (§1.3.7, §4.6.3.1: "предметное содержание, методика обучения и преподавания,
// воспитательная деятельность, ... работа с родителями"); the mentee category, form and length are
// chosen when the program is created.
import { type ProgramTemplate } from './types';

const template: ProgramTemplate = {
	id: 'teacher-surgut',
	titleRu: 'Персонализированная программа наставничества педагогического работника',
	kind: 'teacher',
	source:
		'Приказ департамента образования Администрации города Сургута от 12.09.2022, приложение 1 (составлено по тексту Положения)',
	form: 'educator-educator',
	types: ['traditional'],
	menteeCategory: 'teacher-young',
	durationMonths: 12,
	term: {
		minMonths: 3,
		maxMonths: 12,
		basis: 'Положение о наставничестве (Сургут, 2022), п. 1.3.7: от 3 месяцев до 1 года'
	},
	stages: [
		{
			kind: 'organizational',
			title: 'Организационный',
			months: 1,
			resultForm: 'info-note',
			activities: [
				{ title: 'Диагностика профессиональных затруднений наставляемого' },
				{ title: 'Оценка профессиональных компетенций наставляемого (входная самооценка)' },
				{ title: 'Выявление индивидуального запроса наставляемого' },
				{ title: 'Совместное составление персонализированной программы наставничества' }
			]
		},
		{
			kind: 'activity',
			title: 'Деятельностный',
			months: 9,
			resultForm: 'info-note',
			activities: [
				{ title: 'Консультации по предметному содержанию, методике обучения и преподавания' },
				{ title: 'Посещение и анализ уроков (занятий) наставника и наставляемого' },
				{
					title:
						'Консультации по воспитательной деятельности, организации урочной и внеурочной деятельности'
				},
				{ title: 'Работа с родителями (законными представителями) обучающихся' },
				{
					title:
						'Психолого-педагогическое сопровождение наставляемого, профилактика профессионального выгорания'
				},
				{
					title:
						'Подготовка к конкурсам профессионального мастерства, форумам, научно-практическим конференциям'
				}
			]
		},
		{
			kind: 'reflective',
			title: 'Рефлексивный',
			months: 2,
			resultForm: 'analytic-note',
			activities: [
				{
					title: 'Итоговая оценка профессиональных компетенций наставляемого (итоговая самооценка)'
				},
				{
					title:
						'Анкетирование наставника и наставляемого: удовлетворенность участием в программе наставничества'
				},
				{ title: 'Оценивание и коррекция персонализированной программы наставничества' },
				{
					title: 'Обобщение опыта: методические материалы по итогам программы',
					resultForm: 'methodical-materials'
				}
			]
		}
	]
};
export default template;
