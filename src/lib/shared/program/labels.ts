// Every enum of the program document with its Russian label, in one place.
// The keys are what is stored in the Yjs document: they are stable forever (never rename one,
// see docs/program-document.md); the labels are presentation and may be reworded freely.
// Wording follows the regulations in /work/shared/seeds (Tomsk 2024, Surgut 2022, Tomsk region 2020).

/** Forms of mentoring (форма наставничества). */
export const FORM_LABELS = {
	'teacher-teacher': 'учитель – учитель',
	'educator-educator': 'педагог – педагог',
	'head-teacher': 'руководитель ОО – учитель',
	'head-head': 'руководитель – руководитель',
	'reservist-head': 'резервист – руководитель',
	'pupil-pupil': 'ученик – ученик',
	'student-pupil': 'студент – ученик',
	'employer-pupil': 'работодатель – ученик',
	'educator-pupil': 'педагог – ученик',
	'employer-student': 'работодатель – студент',
	'student-student': 'студент – студент',
	'lecturer-student': 'преподаватель – студент',
	'university-young-teacher': 'педагог вуза/колледжа – молодой педагог'
} as const;
export type MentoringForm = keyof typeof FORM_LABELS;

/** Types of mentoring (вид наставничества); a program may combine several. */
export const TYPE_LABELS = {
	traditional: 'традиционная (один-на-один)',
	group: 'в группе',
	virtual: 'виртуальная (дистанционная)',
	'short-term': 'краткосрочная (целеполагающая)',
	reverse: 'реверсивная',
	situational: 'ситуационная',
	speed: 'скоростная'
} as const;
export type MentoringType = keyof typeof TYPE_LABELS;

/** Model / category of the mentee (Tomsk 2024 §3.6.1, Surgut 2022 §1.3.5, Tomsk region 2020). */
export const MENTEE_CATEGORY_LABELS = {
	'head-beginner': 'начинающий (вновь назначенный) руководитель',
	'head-reservist': 'резервист (резерв управленческих кадров)',
	'head-low-results': 'руководитель ОО, включенной в состав ШНОР',
	'head-low-efficiency': 'руководитель с результатом оценки эффективности 50 % и ниже',
	'teacher-young': 'молодой педагог, только пришедший в профессию',
	'teacher-experienced': 'опытный педагог, осваивающий новую технологию или навыки',
	'teacher-new': 'новый педагог в коллективе',
	'teacher-non-pedagogical': 'педагог, имеющий непедагогическое профильное образование',
	pupil: 'обучающийся',
	student: 'студент',
	other: 'другое'
} as const;
export type MenteeCategory = keyof typeof MENTEE_CATEGORY_LABELS;

export const ROLE_LABELS = {
	mentor: 'наставник',
	mentee: 'наставляемый',
	curator: 'куратор',
	head: 'руководитель ОО'
} as const;
export type Role = keyof typeof ROLE_LABELS;

/** Participants stored in the program (the head acts from outside, by order). */
export const PARTICIPANT_ROLES = ['mentor', 'mentee', 'curator'] as const;
export type ParticipantRole = (typeof PARTICIPANT_ROLES)[number];

export const PROGRAM_STATUS_LABELS = {
	draft: 'проект',
	active: 'реализуется',
	completed: 'завершена'
} as const;
export type ProgramStatus = keyof typeof PROGRAM_STATUS_LABELS;

export const STAGE_KIND_LABELS = {
	organizational: 'Организационный',
	consultative: 'Консультационный',
	activity: 'Деятельностный',
	reflective: 'Рефлексивный',
	custom: 'Этап'
} as const;
export type StageKind = keyof typeof STAGE_KIND_LABELS;

/** Form of the result (форма представления результата). */
export const RESULT_FORM_LABELS = {
	'info-note': 'Информационная справка',
	'analytic-note': 'Аналитическая справка',
	'analytic-report': 'Аналитический отчет',
	'methodical-materials': 'Методические материалы',
	// Forms that fit a pupil's or a student's program (Tomsk region 2020, roadmap steps 20–27, 31):
	// what a pair of learners actually produces, instead of «Другое» everywhere.
	'work-plan': 'План совместной работы',
	'meeting-record': 'Запись в журнале встреч',
	questionnaire: 'Анкета',
	'learner-result': 'Результат наставляемого (проект, работа, участие в конкурсе)',
	other: 'Другое'
} as const;
export type ResultForm = keyof typeof RESULT_FORM_LABELS;

export const ACTIVITY_STATUS_LABELS = {
	planned: 'запланировано',
	'in-progress': 'выполняется',
	done: 'выполнено',
	cancelled: 'отменено'
} as const;
export type ActivityStatus = keyof typeof ACTIVITY_STATUS_LABELS;

export const MEETING_FORMAT_LABELS = {
	'in-person': 'очно',
	remote: 'дистанционно'
} as const;
export type MeetingFormat = keyof typeof MEETING_FORMAT_LABELS;

/** Kinds of meetings (Tomsk region 2020 roadmap, steps 20–25). */
export const MEETING_KIND_LABELS = {
	organizational: 'первая, организационная встреча',
	trial: 'пробная рабочая встреча',
	planning: 'встреча-планирование',
	regular: 'регулярная встреча',
	final: 'заключительная встреча'
} as const;
export type MeetingKind = keyof typeof MEETING_KIND_LABELS;

export const REPORT_KIND_LABELS = {
	stage: 'отчет по этапу',
	'mentor-semiannual': 'отчет наставника (до 10 июня / до 10 декабря)'
} as const;
export type ReportKind = keyof typeof REPORT_KIND_LABELS;

export const REPORT_STATUS_LABELS = {
	draft: 'черновик',
	submitted: 'представлен',
	accepted: 'принят',
	returned: 'возвращен на доработку'
} as const;
export type ReportStatus = keyof typeof REPORT_STATUS_LABELS;

/** Tomsk 2024 §7.1. */
export const COMPLETION_REASON_LABELS = {
	'plan-completed':
		'завершение плана мероприятий персонализированной программы наставничества в полном объеме',
	'participant-initiative':
		'по инициативе наставника или наставляемого и/или обоюдному решению (по уважительным обстоятельствам)',
	'curator-initiative':
		'по инициативе куратора (в случае недолжного исполнения персонализированной программы наставничества)'
} as const;
export type CompletionReason = keyof typeof COMPLETION_REASON_LABELS;

/** Tomsk 2024 §7.2. */
export const CHANGE_KIND_LABELS = {
	extension: 'продление срока реализации программы',
	correction: 'корректировка содержания программы'
} as const;
export type ChangeKind = keyof typeof CHANGE_KIND_LABELS;

export const CHANGE_STATUS_LABELS = {
	requested: 'ходатайство подано',
	approved: 'одобрено',
	rejected: 'отклонено'
} as const;
export type ChangeStatus = keyof typeof CHANGE_STATUS_LABELS;

export const ASSESSMENT_PHASE_LABELS = {
	entry: 'входная самооценка',
	exit: 'итоговая самооценка'
} as const;
export type AssessmentPhase = keyof typeof ASSESSMENT_PHASE_LABELS;

export const TEMPLATE_KIND_LABELS = {
	'tomsk-heads': 'наставничество руководителей (Томск, 2024)',
	teacher: 'наставничество педагогических работников (Сургут, 2022)',
	'school-roadmap': 'дорожная карта образовательной организации (Томская область, 2020)',
	'college-roadmap':
		'дорожная карта профессиональной образовательной организации (Томская область, 2020)',
	learner: 'наставничество обучающихся (Томская область, 2020)',
	blank: 'пустая программа'
} as const;
export type TemplateKind = keyof typeof TEMPLATE_KIND_LABELS;

/** Russian label of a stored enum value; unknown values (written by a newer app) are shown as is. */
export function labelOf<T extends Record<string, string>>(labels: T, key: string): string {
	return Object.prototype.hasOwnProperty.call(labels, key) ? (labels[key] as string) : key;
}

export function isKeyOf<T extends Record<string, string>>(labels: T, v: unknown): v is keyof T {
	return typeof v === 'string' && Object.prototype.hasOwnProperty.call(labels, v);
}
