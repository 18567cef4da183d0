/**
 * The monitoring calendar of a municipality (issue 15): its items — what is due when, who is
 * responsible, which live figures it shows and which document it pre-fills — as the municipal
 * coordinator configures them, with the seeds' calendars as presets:
 * - Дорожная карта (Дивногорск, 2022), пп. 4.2, 5.1–5.7, 6.2;
 * - Положение о наставничестве руководителей (Томск, 2024): распоряжение п. 3 (отчеты наставников до
 *   10 июня и 10 декабря), п. 3.3 (куратор ежегодно актуализирует список наставляемых, мониторинг,
 *   итоговый аналитический отчет).
 * Shared by the server (server/curator/calendar.ts computes each item's figures) and the screen
 * (src/routes/curator/calendar). Labels are the regulations' words; no code is shown on screen.
 */
import { pad } from './time';

/** Who carries an item out: the municipality's responsible body (its name is configured) or a role. */
export const RESPONSIBLE_PARTIES = ['body', 'curators', 'heads', 'mentors'] as const;
export type ResponsibleParty = (typeof RESPONSIBLE_PARTIES)[number];
export const RESPONSIBLE_LABELS: Record<Exclude<ResponsibleParty, 'body'>, string> = {
	curators: 'кураторы в ОО',
	heads: 'руководители ОО',
	mentors: 'наставники'
};

/** Which live figures an item shows (server/curator/calendar.ts). */
export const CALENDAR_MEASURES = [
	'none',
	'inclusion',
	'programs',
	'regional',
	'semiannual-reports',
	'cases',
	'mentee-list'
] as const;
export type CalendarMeasure = (typeof CALENDAR_MEASURES)[number];
export const MEASURE_LABELS: Record<CalendarMeasure, string> = {
	none: 'без показателей',
	inclusion: 'формы наставничества и включенность педагогов и обучающихся',
	programs: 'программы: реализуется, завершено',
	regional: 'программы и наставляемые (для регионального мониторинга)',
	'semiannual-reports': 'отчеты наставников за полугодие',
	cases: 'реестр успешных практик',
	'mentee-list': 'наставляемые и молодые педагоги'
};

/**
 * What an item pre-fills. 'analytic-note' is the organization's аналитическая справка (in the
 * municipality's calendar: one per organization); 'analytic-report' the municipality's
 * аналитический отчет; 'info-note' the scope's информационная справка.
 */
export const CALENDAR_DOCUMENTS = [
	'info-note',
	'analytic-note',
	'analytic-report',
	'monitoring-xlsx',
	'registries-xlsx',
	'reports-due'
] as const;
export type CalendarDocumentKind = (typeof CALENDAR_DOCUMENTS)[number];
export const CALENDAR_DOCUMENT_LABELS: Record<CalendarDocumentKind, string> = {
	'info-note': 'Информационная справка',
	'analytic-note': 'Аналитическая справка организации',
	'analytic-report': 'Аналитический отчет муниципалитета',
	'monitoring-xlsx': 'Таблица мониторинга (XLSX)',
	'registries-xlsx': 'Реестры: наставники, наставляемые, программы, успешные практики (XLSX)',
	'reports-due': 'Программы с непредставленными отчетами'
};

/** The period a pre-filled document covers, from the item's date. */
export const DOCUMENT_PERIODS = ['year', 'academic-year', 'half-year'] as const;
export type DocumentPeriodKind = (typeof DOCUMENT_PERIODS)[number];
export const DOCUMENT_PERIOD_LABELS: Record<DocumentPeriodKind, string> = {
	year: 'календарный год',
	'academic-year': 'учебный год (сентябрь – май)',
	'half-year': 'полугодие'
};

export interface CalendarItem {
	/** Stable within the municipality's calendar (letters, digits, dashes). */
	id: string;
	title: string;
	/** Month 1–12 and day 1–31 of the due date, every year. */
	month: number;
	day: number;
	/** The regulation's point, e.g. «Дорожная карта (Дивногорск, 2022), п. 5.2». */
	basis: string;
	responsible: ResponsibleParty[];
	/** Anyone else responsible, in words (e.g. «комитет по общему образованию»). */
	responsibleOther: string;
	measure: CalendarMeasure;
	documents: CalendarDocumentKind[];
	period: DocumentPeriodKind;
}

export interface CalendarConfig {
	/** The preset it started from (PRESETS), or null. */
	preset: string | null;
	/** The municipality's responsible body, e.g. «МКУ ГИМЦ», «департамент образования …». */
	bodyName: string;
	items: CalendarItem[];
}

/** The body named when the coordinator has not set one: a role, not an institution's name. */
export const DEFAULT_BODY_NAME = 'муниципальный координатор';

const DIV = 'Дорожная карта (Дивногорск, 2022)';
const TOMSK = 'Положение о наставничестве руководителей (Томск, 2024)';

const item = (
	i: Omit<CalendarItem, 'responsibleOther' | 'period' | 'documents' | 'measure'> &
		Partial<CalendarItem>
): CalendarItem => ({
	responsibleOther: '',
	measure: 'none',
	documents: [],
	period: 'year',
	...i
});

/** The items the regulations set twice a year, one function each (the months differ only). */
const MONTH_NAME: Readonly<Record<number, string>> = { 1: 'январь', 5: 'май' };
const sites = (month: 1 | 5) =>
	item({
		id: `${pad(month)}-sites`,
		title: `Мониторинг сайтов образовательных организаций: локальные акты и методические рекомендации по наставничеству (${MONTH_NAME[month]})`,
		month,
		day: 31,
		basis: `${DIV}, п. 5.1`,
		responsible: ['body']
	});
const inclusion = (month: 1 | 5) =>
	item({
		id: `${pad(month)}-monitoring`,
		title: `Мониторинг форм наставничества и включенности педагогов и обучающихся (${MONTH_NAME[month]})`,
		month,
		day: 31,
		basis: `${DIV}, п. 5.2`,
		responsible: ['body', 'curators'],
		measure: 'inclusion',
		documents: ['monitoring-xlsx']
	});
const mentorReports = (month: 6 | 12) =>
	item({
		id: `${pad(month)}-10-reports`,
		title: `Отчеты руководителей, осуществляющих функции наставника (до 10 ${month === 6 ? 'июня' : 'декабря'})`,
		month,
		day: 10,
		basis: `${TOMSK}, п. 3 распоряжения`,
		responsible: ['mentors'],
		responsibleOther:
			'комитет по общему образованию, комитет по дошкольному образованию, отдел воспитания и дополнительного образования',
		measure: 'semiannual-reports',
		documents: ['reports-due']
	});

const DIVNOGORSK_ITEMS: CalendarItem[] = [
	sites(1),
	inclusion(1),
	item({
		id: '03-best-practices',
		title:
			'Трансляция лучших практик наставничества на мероприятиях разного уровня, представление в МАОП и РАОП (январь – март)',
		month: 3,
		day: 31,
		basis: `${DIV}, п. 4.2`,
		responsible: ['body', 'heads', 'curators'],
		measure: 'cases',
		documents: ['registries-xlsx']
	}),
	sites(5),
	inclusion(5),
	item({
		id: '06-01-note',
		title:
			'Мониторинг реализации и эффективности программ наставничества на уровне организации: информационная справка (не позднее 1 июня)',
		month: 6,
		day: 1,
		basis: `${DIV}, п. 5.3`,
		responsible: ['curators'],
		measure: 'programs',
		documents: ['info-note'],
		period: 'academic-year'
	}),
	item({
		id: '07-01-regional',
		title:
			'Сбор и анализ данных для регионального мониторинга реализации целевой модели наставничества (не позднее 1 июля)',
		month: 7,
		day: 1,
		basis: `${DIV}, п. 5.5`,
		responsible: ['body'],
		measure: 'regional',
		documents: ['monitoring-xlsx']
	}),
	item({
		id: '08-best-practices',
		title: 'Трансляция лучших практик наставничества (август)',
		month: 8,
		day: 31,
		basis: `${DIV}, п. 4.2`,
		responsible: ['body', 'heads', 'curators'],
		measure: 'cases',
		documents: ['registries-xlsx']
	}),
	item({
		id: '09-control',
		title:
			'Контроль исполнения мероприятий муниципальной дорожной карты: контрольно-аналитические материалы (сентябрь)',
		month: 9,
		day: 30,
		basis: `${DIV}, п. 6.2`,
		responsible: ['body'],
		measure: 'programs',
		documents: ['monitoring-xlsx']
	}),
	item({
		id: '12-monitoring',
		title: 'Мониторинг внедрения и реализации целевой модели наставничества (декабрь)',
		month: 12,
		day: 20,
		basis: `${DIV}, п. 5.4`,
		responsible: ['body', 'curators'],
		measure: 'programs',
		documents: ['analytic-note', 'analytic-report']
	}),
	item({
		id: '12-recommendations',
		title: 'Рекомендации по результатам мониторинга и принятие управленческих решений (ежегодно)',
		month: 12,
		day: 25,
		basis: `${DIV}, п. 5.6`,
		responsible: ['body'],
		measure: 'none',
		documents: ['analytic-report']
	}),
	item({
		id: '12-annual',
		title:
			'Аналитический отчет по результатам мониторинга реализации целевой модели наставничества (ежегодно)',
		month: 12,
		day: 31,
		basis: `${DIV}, п. 5.7`,
		responsible: ['body'],
		measure: 'programs',
		documents: ['analytic-report']
	})
];

const TOMSK_ITEMS: CalendarItem[] = [
	mentorReports(6),
	item({
		id: '08-mentee-list',
		title:
			'Актуализация списка руководителей и резервистов, которых необходимо включить в наставничество в качестве наставляемых (не реже раза в год)',
		month: 8,
		day: 31,
		basis: `${TOMSK}, п. 3.3`,
		responsible: ['body'],
		measure: 'mentee-list',
		documents: ['registries-xlsx']
	}),
	mentorReports(12),
	item({
		id: '12-monitoring',
		title:
			'Мониторинг эффективности и результативности реализации системы наставничества, оценка вовлеченности наставляемых (декабрь)',
		month: 12,
		day: 20,
		basis: `${TOMSK}, п. 3.3`,
		responsible: ['body'],
		measure: 'programs',
		documents: ['analytic-note', 'analytic-report']
	}),
	item({
		id: '12-annual',
		title:
			'Итоговый аналитический отчет о реализации системы наставничества и персонализированных программ наставничества руководителей',
		month: 12,
		day: 31,
		basis: `${TOMSK}, п. 3.3`,
		responsible: ['body'],
		measure: 'programs',
		documents: ['analytic-report']
	})
];

/** The items of both seeds in one calendar: Divnogorsk's roadmap and the Tomsk reports and list. */
const COMBINED_ITEMS: CalendarItem[] = [
	...DIVNOGORSK_ITEMS,
	...TOMSK_ITEMS.filter((t) => !DIVNOGORSK_ITEMS.some((d) => d.id === t.id))
];

export interface CalendarPreset {
	id: string;
	label: string;
	bodyName: string;
	items: CalendarItem[];
}

export const CALENDAR_PRESETS: readonly CalendarPreset[] = [
	{
		id: 'combined',
		label: 'Дорожная карта (Дивногорск, 2022) и отчеты наставников (Томск, 2024)',
		bodyName: DEFAULT_BODY_NAME,
		items: COMBINED_ITEMS
	},
	{
		id: 'divnogorsk-2022',
		label: 'Дорожная карта (Дивногорск, 2022)',
		bodyName: 'МКУ ГИМЦ',
		items: DIVNOGORSK_ITEMS
	},
	{
		id: 'tomsk-2024',
		label: 'Положение о наставничестве руководителей (Томск, 2024)',
		bodyName: 'департамент образования администрации Города Томска',
		items: TOMSK_ITEMS
	}
];

/** A municipality without a configured calendar: both seeds' items, no institution's name. */
export function defaultCalendar(): CalendarConfig {
	const p = CALENDAR_PRESETS[0]!;
	return { preset: p.id, bodyName: p.bodyName, items: structuredClone(p.items) };
}

export function presetCalendar(id: string): CalendarConfig | null {
	const p = CALENDAR_PRESETS.find((x) => x.id === id);
	return p ? { preset: p.id, bodyName: p.bodyName, items: structuredClone(p.items) } : null;
}

/** «МКУ ГИМЦ, кураторы в ОО»: the responsible of an item in words. */
export function responsibleText(i: CalendarItem, bodyName: string): string {
	const parts = i.responsible.map((r) =>
		r === 'body' ? bodyName || DEFAULT_BODY_NAME : RESPONSIBLE_LABELS[r]
	);
	if (i.responsibleOther.trim()) parts.push(i.responsibleOther.trim());
	return parts.join(', ') || '—';
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The item's due date in `year` (29 February in a common year: 28). */
export function itemDate(i: Pick<CalendarItem, 'month' | 'day'>, year: number): string {
	const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
	const max = i.month === 2 && !leap ? 28 : DAYS_IN_MONTH[i.month - 1]!;
	const d = Math.min(i.day, max);
	return `${year}-${String(i.month).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The period a document pre-filled by an item due on `date` covers. */
export function itemPeriod(kind: DocumentPeriodKind, date: string): { from: string; to: string } {
	const y = Number(date.slice(0, 4));
	const m = Number(date.slice(5, 7));
	switch (kind) {
		case 'year':
			return { from: `${y}-01-01`, to: `${y}-12-31` };
		case 'academic-year': {
			// The academic year that ended by the date (or is ending: a date in June – August).
			const start = m >= 9 ? y : y - 1;
			return { from: `${start}-09-01`, to: `${start + 1}-05-31` };
		}
		case 'half-year': {
			// The half-year reported on: the one a month before the date falls in (10 June → the
			// first half; 5 July → the first half; 15 January → the second half of the year before).
			const hy = m === 1 ? y - 1 : y;
			const hm = m === 1 ? 12 : m - 1;
			return hm <= 6
				? { from: `${hy}-01-01`, to: `${hy}-06-30` }
				: { from: `${hy}-07-01`, to: `${hy}-12-31` };
		}
	}
}

/** Checks a configuration from the coordinator: a Russian message per problem, none when valid. */
export function calendarProblems(c: CalendarConfig): string[] {
	const out: string[] = [];
	const ids = new Set<string>();
	if (c.items.length > 100) out.push('В календаре не больше 100 пунктов');
	c.items.forEach((i, n) => {
		const at = `Пункт ${n + 1}`;
		if (!i.title.trim()) out.push(`${at}: укажите мероприятие`);
		if (ids.has(i.id)) out.push(`${at}: повторяется`);
		ids.add(i.id);
		if (!(i.month >= 1 && i.month <= 12)) out.push(`${at}: неверный месяц`);
		else if (!(i.day >= 1 && i.day <= DAYS_IN_MONTH[i.month - 1]!))
			out.push(`${at}: неверный день`);
		if (i.responsible.length === 0 && !i.responsibleOther.trim())
			out.push(`${at}: укажите ответственных`);
	});
	return out;
}
