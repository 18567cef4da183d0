// The statistical figures' shared vocabulary: who a participant is (кадровая категория), what the
// forms of mentoring say about the two sides, and the facts of a program's summary that the
// figures are computed from — stored per program per day (server: curator_program_history), so a
// figure for a past date reads what was true then. Pure, defensive (a damaged or older summary
// still gives facts), no UI or server imports.
import type { ProgramSummary } from './program/summary';

/**
 * Staff category of a person (registry `people.staff_kind`). Pedagogues and heads are staff
 * (педагогические работники / руководители, Постановление Правительства РФ № 225 — Surgut 2022
 * §1.3.3); pupils and students are обучающиеся (Tomsk region 2020) and are reported apart.
 */
export const STAFF_KIND_LABELS = {
	pedagogue: 'педагогический работник',
	head: 'руководитель (заместитель руководителя)',
	pupil: 'обучающийся (ученик)',
	student: 'студент',
	other: 'другое (работодатель, специалист)'
} as const;
export type StaffKind = keyof typeof STAFF_KIND_LABELS;
export const STAFF_KINDS = Object.keys(STAFF_KIND_LABELS) as StaffKind[];

export const isStaffKind = (v: unknown): v is StaffKind =>
	typeof v === 'string' && Object.prototype.hasOwnProperty.call(STAFF_KIND_LABELS, v);

/** Heads of an organization and their deputies (руководящие должности of the nomenclature). */
const HEAD_WORDS = /директор|заведующ|руководител|заместител|начальник|ректор|проректор/;
/** Pedagogical positions of the nomenclature (Постановление № 225, раздел I), by their stems. */
const PEDAGOGUE_WORDS =
	/учител|педагог|воспитател|преподавател|методист|логопед|дефектолог|тьютор|концертмейстер|инструктор|тренер|вожат|мастер производственного|музыкальный руководитель|советник директора по воспитанию|психолог/;
const PUPIL_WORDS = /ученик|ученица|обучающ|школьник|воспитанник/;
const STUDENT_WORDS = /студент|курсант/;

/**
 * The staff category of a person: the recorded one, else inferred from the position (должность)
 * by the nomenclature's words; null when nothing tells. A deputy head who also teaches
 * («заместитель директора, учитель») is a head: the first named position decides.
 */
export function staffKindOf(
	recorded: string | null | undefined,
	position: string | null | undefined
): StaffKind | null {
	if (isStaffKind(recorded)) return recorded;
	const p = (position ?? '').toLowerCase().replace(/ё/g, 'е');
	if (!p.trim()) return null;
	const first = p.split(/[,;/]/)[0] ?? p;
	for (const part of [first, p]) {
		if (STUDENT_WORDS.test(part)) return 'student';
		if (PUPIL_WORDS.test(part)) return 'pupil';
		if (HEAD_WORDS.test(part) && !/педагог-организатор/.test(part)) return 'head';
		if (PEDAGOGUE_WORDS.test(part)) return 'pedagogue';
	}
	return 'other';
}

/**
 * Who the mentor and the mentee of a form of mentoring are («наставник – наставляемый», Tomsk
 * region 2020 §3.2, Surgut 2022 §2.3.1, Tomsk 2024): the category of a participant the registry
 * does not describe.
 */
export const FORM_SIDES: Record<string, { mentor: StaffKind; mentee: StaffKind }> = {
	'teacher-teacher': { mentor: 'pedagogue', mentee: 'pedagogue' },
	'educator-educator': { mentor: 'pedagogue', mentee: 'pedagogue' },
	'head-teacher': { mentor: 'head', mentee: 'pedagogue' },
	'head-head': { mentor: 'head', mentee: 'head' },
	'reservist-head': { mentor: 'head', mentee: 'pedagogue' },
	'pupil-pupil': { mentor: 'pupil', mentee: 'pupil' },
	'student-pupil': { mentor: 'student', mentee: 'pupil' },
	'employer-pupil': { mentor: 'other', mentee: 'pupil' },
	'educator-pupil': { mentor: 'pedagogue', mentee: 'pupil' },
	'employer-student': { mentor: 'other', mentee: 'student' },
	'student-student': { mentor: 'student', mentee: 'student' },
	'lecturer-student': { mentor: 'pedagogue', mentee: 'student' },
	'university-young-teacher': { mentor: 'pedagogue', mentee: 'pedagogue' }
};

/** Pupils and students (обучающиеся) as opposed to staff (работники). */
export const isLearner = (k: StaffKind | null): boolean => k === 'pupil' || k === 'student';

/** A participant of a program as the figures count them: a person, once. */
export interface FactParticipant {
	/** The registry person id; `<programId>/<participantId>` for someone the registry does not know. */
	key: string;
	role: 'mentor' | 'mentee';
	/** Whether `key` is a registry person (their staff category and age come from the registry). */
	registered: boolean;
}

/** The facts of one program on one day (a row of curator_program_history). */
export interface FigureFacts {
	status: string;
	/** 'completed' for completed programs; else the stage phase, or its kind while in progress. */
	stage: string;
	form: string | null;
	types: string[];
	category: string | null;
	templateId: string | null;
	startDate: string | null;
	endDate: string | null;
	completion: { reason: string; date: string } | null;
	participants: FactParticipant[];
	/** Per mentee: the average of the mentee's own entry and exit self-assessment (1–5). */
	menteeAssessment: Array<{ key: string; entry: number | null; exit: number | null }>;
	feedback: { count: number; mentorAvg: number | null; menteeAvg: number | null };
	reports: { expected: number; due: number; submitted: number; accepted: number; returned: number };
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
	typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number =>
	typeof v === 'number' && Number.isFinite(v) ? Math.round(v) : 0;
const real = (v: unknown): number | null =>
	typeof v === 'number' && Number.isFinite(v) ? v : null;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The stage a figure shows: completed programs are «завершена», whatever their dates say. */
export function figureStage(status: string, phase: string, kind: string | null): string {
	if (status === 'completed') return 'completed';
	return phase === 'in-progress' ? (kind ?? 'custom') : phase;
}

/** The facts of a stored summary (ProgramSummary, or anything: defaults for what is missing). */
export function figureFacts(summary: ProgramSummary | unknown, programId: string): FigureFacts {
	const s = obj(summary);
	const stage = obj(s.stage);
	const status = text(s.status) ?? 'draft';
	const completion = obj(s.completion);
	const reports = obj(s.reports);
	const feedback = obj(s.feedback);
	const participants: FactParticipant[] = [];
	const keyOf = new Map<string, string>();
	const seen = new Set<string>();
	for (const raw of list(s.participants)) {
		const p = obj(raw);
		const role = p.role;
		if (role !== 'mentor' && role !== 'mentee') continue;
		const userId = text(p.userId);
		const key = userId && userId.length <= 64 ? userId : `${programId}/${text(p.id) ?? '?'}`;
		if (typeof p.id === 'string') keyOf.set(p.id, key);
		if (seen.has(`${role}:${key}`)) continue;
		seen.add(`${role}:${key}`);
		participants.push({ key, role, registered: key === userId });
	}
	const menteeAssessment: FigureFacts['menteeAssessment'] = [];
	for (const raw of list(obj(s.assessment).mentees)) {
		const m = obj(raw);
		const key = keyOf.get(text(m.participantId) ?? '');
		if (!key) continue;
		menteeAssessment.push({ key, entry: real(m.entryAvg), exit: real(m.exitAvg) });
	}
	return {
		status,
		stage: figureStage(status, text(stage.phase) ?? 'unscheduled', text(stage.kind)),
		form: text(s.form),
		types: list(s.types).filter((t): t is string => typeof t === 'string'),
		category: text(s.menteeCategory),
		templateId: text(s.templateId),
		startDate: text(s.startDate),
		endDate: text(s.endDate),
		completion:
			text(completion.reason) && text(completion.date)
				? { reason: completion.reason as string, date: completion.date as string }
				: null,
		participants,
		menteeAssessment,
		feedback: {
			count: int(feedback.count),
			mentorAvg: real(feedback.mentorAvg),
			menteeAvg: real(feedback.menteeAvg)
		},
		reports: {
			expected: int(reports.expected),
			due: int(reports.due),
			submitted: int(reports.submitted),
			accepted: int(reports.accepted),
			returned: int(reports.returned)
		}
	};
}

/**
 * Each figure with its definition and its source in the regulations (/work/shared/seeds): shown
 * beside the figure in the UI (src/routes/curator/figures) and tabled in docs/curator.md.
 */
export const FIGURE_DEFINITIONS = {
	programs: {
		label: 'Программ',
		definition:
			'Персонализированные программы, существовавшие на конец периода (на дату), по их статусу на ту дату: проект (не утверждена), реализуется, завершена.',
		source:
			'Дорожная карта (Дивногорск, 2022), п. 3.2 «Формирование базы программ»; Положение (Томск, 2024), п. 7'
	},
	inForce: {
		label: 'Реализовывалось в периоде',
		definition:
			'Программы, которые в какой-либо день периода реализовывались (утверждены и начались) или были завершены в периоде; проекты не считаются.',
		source: 'Дорожная карта (Дивногорск, 2022), пп. 5.2–5.4'
	},
	mentors: {
		label: 'Наставников',
		definition:
			'Люди, бывшие наставниками в программах, реализовывавшихся в периоде; каждый считается один раз, сколько бы программ он ни вел.',
		source:
			'Положение (Сургут, 2022), п. 1.3.4; Дорожная карта (Дивногорск, 2022), пп. 3.3, 5.2 («включенность»)'
	},
	mentees: {
		label: 'Наставляемых',
		definition:
			'Люди, бывшие наставляемыми в программах, реализовывавшихся в периоде; каждый считается один раз (групповая программа — каждый участник группы).',
		source: 'Положение (Сургут, 2022), п. 1.3.5; Дорожная карта (Дивногорск, 2022), пп. 3.3, 5.2'
	},
	pedagogues: {
		label: 'Педагоги и руководители',
		definition:
			'Участники — педагогические и руководящие работники: по кадровой категории в реестре (или должности), а если человек не в реестре — по форме наставничества программы.',
		source:
			'Положение (Сургут, 2022), п. 1.3.3 (номенклатура должностей, Постановление № 225); Дорожная карта (Дивногорск, 2022), п. 5.2'
	},
	learners: {
		label: 'Обучающиеся',
		definition:
			'Участники — ученики и студенты (формы «ученик – ученик», «студент – ученик», «педагог – ученик» и др.); считаются отдельно от педагогов.',
		source:
			'Распоряжение (Томская область, 2020), п. 3.2; Дорожная карта (Дивногорск, 2022), п. 5.2 («педагогов и обучающихся»)'
	},
	youngTeachers: {
		label: 'Охват молодых педагогов',
		definition:
			'Молодые педагоги — педагогические работники организации из реестра (не руководители, не обучающиеся), моложе 35 лет на конец периода; охвачены — бывшие наставляемыми в периоде. Доля = охвачено / всего.',
		source:
			'Положение (Сургут, 2022), пп. 1.3.3, 1.3.5 («молодой педагог»), 1.6; возраст до 35 лет — DOMAIN.md §3 (в текстах положений возраст не указан)'
	},
	growth: {
		label: 'Прирост самооценки компетенций',
		definition:
			'Средняя итоговая минус средняя входная самооценка наставляемых (1–5), только по наставляемым, у которых есть обе; самооценка наставника не учитывается. Процент — от входного уровня.',
		source:
			'Положение (Сургут, 2022), п. 1.3.7 (программа по итогам оценки профессиональных компетенций); Положение (Томск, 2024), прил. 1–4, п. 4.1'
	},
	satisfaction: {
		label: 'Удовлетворенность',
		definition:
			'Средняя оценка (из 10) в анкетах удовлетворенности наставников и наставляемых программ, реализовывавшихся в периоде.',
		source:
			'Распоряжение (Томская область, 2020), дорожная карта, шаг 27; Положение (Динской район, 2021), план работы'
	},
	byStage: {
		label: 'По этапам',
		definition:
			'Программы на конец периода по этапу, в котором они были; завершенные программы — «завершена», а не по датам этапов.',
		source: 'Положение (Томск, 2024), прил. 1–4 (этапы), п. 7 (завершение)'
	},
	completed: {
		label: 'Завершено',
		definition:
			'Программы, завершенные к концу периода, по причине завершения; «в периоде» — с датой завершения внутри периода.',
		source: 'Положение (Томск, 2024), п. 7.1'
	},
	reports: {
		label: 'Отчеты по этапам',
		definition:
			'Отчеты по этапам программ на конец периода: принято, на проверке, не представлено к сроку.',
		source: 'Положение (Томск, 2024), прил. 1–4 (форма представления результата)'
	}
} as const satisfies Record<string, { label: string; definition: string; source: string }>;
export type FigureKey = keyof typeof FIGURE_DEFINITIONS;
