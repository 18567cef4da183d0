/**
 * Excel tables curators hand in: the monitoring table (one row per program + the figures for
 * statistical forms + per-organization aggregates) and the registries (banks of mentors and
 * mentees, program bank, registry of successful practices).
 */
import { DEFAULT_TIME_ZONE, formatDateTime, localDate } from '../../../src/lib/shared/time.js';
import type ExcelJS from 'exceljs';
import {
	COMPLETION_REASON_LABELS,
	FORM_LABELS,
	MENTEE_CATEGORY_LABELS,
	PROGRAM_STATUS_LABELS,
	TYPE_LABELS,
	labelOf
} from '../../../src/lib/shared/program/index.js';
import type { DashboardRow, OrganizationAggregate } from '../dashboard.js';
import type { CountRow, Figures } from '../figures.js';
import { ruDateTime } from './model.js';
import { exportSafe } from './export-safe.js';
import { STAGE_LABEL, templateTitle } from './scope-docs.js';
import type { ReserveEntry } from '../../../src/lib/shared/api/reserve.js';
import { addRegistrySheets, type RegistryOrganization } from './reserve-xlsx.js';

/**
 * A calendar day ('YYYY-MM-DD') or an instant shown in a zone: written as a real Excel date
 * (a number with a date format), so the curator can sort, filter and compute with it.
 */
type DateCell = { date: string } | { at: number; zone: string };
type Cell = string | number | null | DateCell;

const DATE_FORMAT = 'dd.mm.yyyy';
const DATE_TIME_FORMAT = 'dd.mm.yyyy hh:mm';

/** A calendar day as a date cell (null: none, or not a date). */
export const day = (d: string | null | undefined): DateCell | null =>
	d && /^\d{4}-\d{2}-\d{2}$/.test(d) ? { date: d } : null;

/** An instant as a date-time cell in `zone` (Excel has no zones: the local wall-clock time). */
export const instant = (ms: number | null | undefined, zone: string): DateCell | null =>
	ms ? { at: ms, zone } : null;

/** The value ExcelJS writes, and its number format. */
export function excelValue(c: Cell): { value: string | number | Date | null; numFmt?: string } {
	if (c === null || typeof c !== 'object')
		return { value: typeof c === 'string' ? exportSafe(c) : c };
	if ('date' in c) {
		const [y, m, d] = c.date.split('-').map(Number) as [number, number, number];
		// ExcelJS turns a Date into a serial day number by its UTC time: UTC midnight is the day itself.
		return { value: new Date(Date.UTC(y, m - 1, d)), numFmt: DATE_FORMAT };
	}
	const [date, time] = formatDateTime(c.at, c.zone).split(' ') as [string, string];
	const [d, m, y] = date.split('.').map(Number) as [number, number, number];
	const [h, mi] = time.split(':').map(Number) as [number, number];
	return { value: new Date(Date.UTC(y, m - 1, d, h, mi)), numFmt: DATE_TIME_FORMAT };
}

/** Characters a column needs for a value (Excel widths are in characters of the default font). */
function widthOf(c: Cell): number {
	if (c === null) return 0;
	if (typeof c === 'number') return String(c).length + 1;
	if (typeof c === 'object') return 'date' in c ? 11 : 17;
	// Long texts wrap: they ask for a readable line, not their whole length.
	return Math.max(...c.split('\n').map((l) => l.length));
}

const MIN_WIDTH = 6;
const MAX_WIDTH = 50;

export function sheet(
	wb: ExcelJS.Workbook,
	name: string,
	title: string,
	headers: Array<[string, number]>,
	rows: Cell[][]
): ExcelJS.Worksheet {
	// The title row and the header row stay in view while scrolling.
	const ws = wb.addWorksheet(exportSafe(name), { views: [{ state: 'frozen', ySplit: 2 }] });
	ws.addRow([exportSafe(title)]).font = { bold: true, size: 13 };
	const h = ws.addRow(headers.map(([t]) => exportSafe(t)));
	h.font = { bold: true };
	h.alignment = { wrapText: true, vertical: 'middle' };
	h.eachCell((c) => {
		c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF4' } };
		c.border = { bottom: { style: 'thin' } };
	});
	for (const r of rows) {
		const cells = r.map(excelValue);
		const row = ws.addRow(cells.map((c) => c.value));
		row.alignment = { wrapText: true, vertical: 'top' };
		cells.forEach((c, i) => {
			if (c.numFmt) row.getCell(i + 1).numFmt = c.numFmt;
		});
	}
	// Widths that fit the content: the longest value (long texts wrap at MAX_WIDTH), at least the
	// header's longest word (headers wrap between words), never narrower than the filter button.
	// An empty sheet keeps the declared widths, so its headers are still readable.
	headers.forEach(([t, declared], i) => {
		const headerWord = Math.max(...t.split(/\s+/).map((w) => w.length)) + 3;
		const content = rows.reduce((m, r) => Math.max(m, widthOf(r[i] ?? null)), 0) + 2;
		ws.getColumn(i + 1).width = rows.length
			? Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, headerWord, content))
			: declared;
	});
	ws.autoFilter = {
		from: { row: 2, column: 1 },
		to: { row: Math.max(2, rows.length + 2), column: headers.length }
	};
	return ws;
}

const names = (r: DashboardRow, role: string) =>
	r.participants
		.filter((p) => p.role === role)
		.map((p) => p.name)
		.join(', ');
const syncLabel: Record<string, string> = {
	'in-sync': 'на связи, всё синхронизировано',
	pending: 'есть неотправленные изменения',
	stale: 'давно не выходил на связь',
	seen: 'изменения доставлены при последней связи',
	never: 'ни разу не подключался'
};

export function monitoringRows(rows: DashboardRow[], timeZone: string): Cell[][] {
	return rows.map((r, i) => [
		i + 1,
		r.organizationName ?? '',
		r.title,
		templateTitle(r.templateId ?? ''),
		r.form ? labelOf(FORM_LABELS, r.form) : '',
		r.types.map((t) => labelOf(TYPE_LABELS, t)).join('; '),
		r.category ? labelOf(MENTEE_CATEGORY_LABELS, r.category) : '',
		names(r, 'mentor'),
		names(r, 'mentee'),
		labelOf(PROGRAM_STATUS_LABELS, r.status),
		r.stage.phase === 'in-progress'
			? `${r.stage.index + 1}. ${r.stage.title ?? ''}`
			: STAGE_LABEL(r.stage.phase),
		day(r.startDate),
		day(r.endDate),
		r.progress.done,
		r.progress.total,
		r.progress.percent,
		r.overdue,
		day(r.nextDeadline),
		r.reports.expected,
		r.reports.due,
		r.reports.submitted,
		r.reports.accepted,
		r.reports.returned,
		r.meetings.count,
		day(r.meetings.lastDate),
		r.participants
			.filter((p) => p.role !== 'curator')
			.map(
				(p) =>
					`${p.name}: ${syncLabel[p.sync] ?? p.sync}${p.lastSeenAt ? ` (${ruDateTime(p.lastSeenAt, timeZone)})` : ''}`
			)
			.join('; '),
		instant(
			Math.max(
				0,
				...r.participants.filter((p) => p.role !== 'curator').map((p) => p.lastSeenAt ?? 0)
			),
			timeZone
		),
		day(r.asOf)
	]);
}

export const MONITORING_HEADERS: Array<[string, number]> = [
	['№', 5],
	['Организация', 24],
	['Программа', 36],
	['Модель (шаблон)', 30],
	['Форма наставничества', 22],
	['Вид наставничества', 22],
	['Категория наставляемого', 26],
	['Наставник', 26],
	['Наставляемый', 26],
	['Статус', 12],
	['Текущий этап', 22],
	['Начало', 11],
	['Окончание', 11],
	['Выполнено мероприятий', 11],
	['Всего мероприятий', 11],
	['Выполнение, %', 11],
	['Просрочено', 11],
	['Ближайший срок', 12],
	['Отчетов за срок', 10],
	['Отчетов не представлено к сроку', 12],
	['Отчетов на проверке', 11],
	['Отчетов принято', 10],
	['Отчетов возвращено', 11],
	['Встреч', 8],
	['Последняя встреча', 12],
	['Синхронизация устройств', 40],
	['Последний выход участников на связь (местное время)', 17],
	['Данные на дату', 12]
];

function countRows(rows: CountRow[], label: (k: string) => string): Cell[][] {
	return rows.map((r) => [r.key ? label(r.key) : 'не указано', r.programs, r.mentors, r.mentees]);
}

export async function monitoringWorkbook(input: {
	title: string;
	/** Zone of the scope: times of the sync column are local times there (default Europe/Moscow). */
	timeZone?: string;
	rows: DashboardRow[];
	figures: Figures;
	organizations?: OrganizationAggregate[];
}): Promise<Buffer> {
	// exceljs is loaded on the first export, not at server start.
	const { default: Excel } = await import('exceljs');
	const wb = new Excel.Workbook();
	wb.creator = 'Наставник';
	wb.created = new Date();
	sheet(
		wb,
		'Мониторинг программ',
		input.title,
		MONITORING_HEADERS,
		monitoringRows(input.rows, input.timeZone ?? DEFAULT_TIME_ZONE)
	);
	const f = input.figures;
	const fig: Cell[][] = [
		['Программ наставничества всего', f.programs.total],
		['реализуется', f.programs.active],
		['завершено', f.programs.completed],
		['в стадии проекта', f.programs.draft],
		['Наставников', f.participants.mentors],
		['Наставляемых', f.participants.mentees],
		['Наставников на одного наставляемого', f.participants.mentorsPerMentee],
		['Наставляемых на одного наставника', f.participants.menteesPerMentor],
		['Молодых педагогов (до 35 лет) в реестре', f.youngTeachers.inRegistry],
		['Молодых педагогов, включенных в программы', f.youngTeachers.covered],
		['Доля охвата молодых педагогов, %', f.youngTeachers.sharePercent],
		['из них в первые 3 года работы', f.youngTeachers.firstYearsCovered],
		['Завершено программ', f.completed.total],
		...Object.entries(f.completed.byReason).map(([k, n]): Cell[] => [
			`— ${labelOf(COMPLETION_REASON_LABELS, k)}`,
			n
		]),
		['Анкет удовлетворенности', f.satisfaction.surveys],
		['Средняя удовлетворенность наставников (1–10)', f.satisfaction.mentorAvg],
		['Средняя удовлетворенность наставляемых (1–10)', f.satisfaction.menteeAvg],
		['Программ с входной и итоговой самооценкой', f.assessment.programsWithBoth],
		['Средняя входная самооценка', f.assessment.entryAvg],
		['Средняя итоговая самооценка', f.assessment.exitAvg],
		['Прирост самооценки (баллы)', f.assessment.growthAvg],
		['Прирост самооценки, %', f.assessment.growthPercent],
		['Отчетов ожидается за весь срок', f.reports.expected],
		['Отчетов не представлено к сроку', f.reports.due],
		['Отчетов на проверке', f.reports.submitted],
		['Отчетов принято', f.reports.accepted],
		['Отчетов возвращено', f.reports.returned]
	];
	sheet(
		wb,
		'Показатели',
		'Показатели для статистических форм',
		[
			['Показатель', 50],
			['Значение', 14]
		],
		fig
	);
	const head: Array<[string, number]> = [
		['Значение', 50],
		['Программ', 12],
		['Наставников', 12],
		['Наставляемых', 12]
	];
	sheet(
		wb,
		'По формам',
		'Участники по формам наставничества',
		head,
		countRows(f.byForm, (k) => labelOf(FORM_LABELS, k))
	);
	sheet(
		wb,
		'По видам',
		'Участники по видам наставничества',
		head,
		countRows(f.byType, (k) => labelOf(TYPE_LABELS, k))
	);
	sheet(
		wb,
		'По категориям',
		'Участники по категориям наставляемых',
		head,
		countRows(f.byCategory, (k) => labelOf(MENTEE_CATEGORY_LABELS, k))
	);
	if (input.organizations?.length)
		sheet(
			wb,
			'По организациям',
			'Сведения по образовательным организациям',
			[
				['Организация', 36],
				['Программ', 10],
				['Реализуется', 10],
				['Завершено', 10],
				['Выполнение, %', 10],
				['С просрочкой', 10],
				['Отчетов не представлено', 12],
				['Отчетов на проверке', 12],
				['Отчетов принято', 10],
				['Неотправленные изменения', 12],
				['Давно не на связи', 12],
				['Наставников', 10],
				['Наставляемых', 10]
			],
			input.organizations.map((o) => [
				o.name,
				o.programs,
				o.active,
				o.completed,
				o.averageProgress,
				o.withOverdue,
				o.reportsDue,
				o.reportsSubmitted,
				o.reportsAccepted,
				o.pendingSync,
				o.stale,
				o.mentors,
				o.mentees
			])
		);
	return Buffer.from(await wb.xlsx.writeBuffer());
}

export interface RegistryPerson {
	fullName: string;
	organization: string;
	position: string | null;
	birthDate: string | null;
	ageGroup: string | null;
	experienceYears: number | null;
	category: string | null;
	email: string | null;
	phone: string | null;
	roles: string;
	programs: string;
	consent: string;
	mentorRequirements: string;
	notes: string | null;
}

export interface RegistryCase {
	title: string;
	organization: string;
	form: string | null;
	category: string | null;
	template: string | null;
	description: string;
	tags: string;
	createdAt: number;
}

export async function registriesWorkbook(input: {
	timeZone?: string;
	title: string;
	mentors: RegistryPerson[];
	mentees: RegistryPerson[];
	programs: DashboardRow[];
	cases: RegistryCase[];
	/** The management reserve and the organizations with their attributes (reserve-xlsx.ts). */
	reserve?: ReserveEntry[];
	organizations?: RegistryOrganization[];
}): Promise<Buffer> {
	// exceljs is loaded on the first export, not at server start.
	const { default: Excel } = await import('exceljs');
	const wb = new Excel.Workbook();
	wb.creator = 'Наставник';
	const personHead: Array<[string, number]> = [
		['№', 5],
		['ФИО', 32],
		['Организация', 26],
		['Должность', 22],
		['Дата рождения', 12],
		['Возрастная группа', 12],
		['Стаж, лет', 9],
		['Категория', 26],
		['Эл. почта', 22],
		['Телефон', 16],
		['Роли', 18],
		['Программы', 36],
		['Согласие на обработку ПДн', 18],
		['Требования к наставнику', 24],
		['Примечания', 24]
	];
	const personRow = (p: RegistryPerson, i: number): Cell[] => [
		i + 1,
		p.fullName,
		p.organization,
		p.position,
		day(p.birthDate),
		p.ageGroup === 'under-35'
			? 'до 35 лет'
			: p.ageGroup === '35-plus'
				? '35 лет и старше'
				: p.ageGroup === 'under-18'
					? 'до 18 лет'
					: '',
		p.experienceYears,
		p.category ? labelOf(MENTEE_CATEGORY_LABELS, p.category) : '',
		p.email,
		p.phone,
		p.roles,
		p.programs,
		p.consent,
		p.mentorRequirements,
		p.notes
	];
	sheet(
		wb,
		'Реестр наставников',
		`База наставников: ${input.title}`,
		personHead,
		input.mentors.map(personRow)
	);
	sheet(
		wb,
		'Реестр наставляемых',
		`База наставляемых: ${input.title}`,
		personHead,
		input.mentees.map(personRow)
	);
	sheet(
		wb,
		'Реестр программ',
		`База программ наставничества: ${input.title}`,
		MONITORING_HEADERS,
		monitoringRows(input.programs, input.timeZone ?? DEFAULT_TIME_ZONE)
	);
	sheet(
		wb,
		'Успешные практики',
		`Реестр успешных практик наставничества: ${input.title}`,
		[
			['№', 5],
			['Практика', 40],
			['Организация', 26],
			['Форма', 22],
			['Категория', 26],
			['Модель', 30],
			['Описание', 50],
			['Ключевые слова', 24],
			['Внесена', 12]
		],
		input.cases.map((c, i) => [
			i + 1,
			c.title,
			c.organization,
			c.form ? labelOf(FORM_LABELS, c.form) : '',
			c.category ? labelOf(MENTEE_CATEGORY_LABELS, c.category) : '',
			c.template ? templateTitle(c.template) : '',
			c.description,
			c.tags,
			day(localDate(c.createdAt, input.timeZone ?? DEFAULT_TIME_ZONE))
		])
	);
	addRegistrySheets(wb, input.title, input.organizations ?? [], input.reserve ?? []);
	return Buffer.from(await wb.xlsx.writeBuffer());
}
