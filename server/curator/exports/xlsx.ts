/**
 * Excel tables curators hand in: the monitoring table (one row per program + the figures for
 * statistical forms + per-organization aggregates) and the registries (banks of mentors and
 * mentees, program bank, registry of successful practices).
 */
import { DEFAULT_TIME_ZONE } from '../../../src/lib/shared/time.js';
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
import { ruDate, ruDateTime } from './model.js';
import { exportSafe } from './export-safe.js';
import { STAGE_LABEL, templateTitle } from './scope-docs.js';
import type { ReserveEntry } from '../../../src/lib/shared/api/reserve.js';
import { addRegistrySheets, type RegistryOrganization } from './reserve-xlsx.js';

type Cell = string | number | null;

export function sheet(
	wb: ExcelJS.Workbook,
	name: string,
	title: string,
	headers: Array<[string, number]>,
	rows: Cell[][]
): ExcelJS.Worksheet {
	const ws = wb.addWorksheet(exportSafe(name), { views: [{ state: 'frozen', ySplit: 2 }] });
	ws.addRow([exportSafe(title)]).font = { bold: true, size: 13 };
	const h = ws.addRow(headers.map(([t]) => exportSafe(t)));
	h.font = { bold: true };
	h.alignment = { wrapText: true, vertical: 'middle' };
	h.eachCell((c) => {
		c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF4' } };
		c.border = { bottom: { style: 'thin' } };
	});
	headers.forEach(([, w], i) => (ws.getColumn(i + 1).width = w));
	for (const r of rows)
		ws.addRow(r.map((c) => (typeof c === 'string' ? exportSafe(c) : c))).alignment = {
			wrapText: true,
			vertical: 'top'
		};
	ws.autoFilter = { from: { row: 2, column: 1 }, to: { row: 2, column: headers.length } };
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
		ruDate(r.startDate),
		ruDate(r.endDate),
		r.progress.done,
		r.progress.total,
		r.progress.percent,
		r.overdue,
		ruDate(r.nextDeadline),
		r.reports.expected,
		r.reports.due,
		r.reports.submitted,
		r.reports.accepted,
		r.reports.returned,
		r.meetings.count,
		ruDate(r.meetings.lastDate),
		r.participants
			.filter((p) => p.role !== 'curator')
			.map(
				(p) =>
					`${p.name}: ${syncLabel[p.sync] ?? p.sync}${p.lastSeenAt ? ` (${ruDateTime(p.lastSeenAt, timeZone)})` : ''}`
			)
			.join('; '),
		ruDate(r.asOf)
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
		ruDate(p.birthDate),
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
			ruDateTime(c.createdAt, input.timeZone ?? DEFAULT_TIME_ZONE).slice(0, 10)
		])
	);
	addRegistrySheets(wb, input.title, input.organizations ?? [], input.reserve ?? []);
	return Buffer.from(await wb.xlsx.writeBuffer());
}
