/**
 * The documents of an organization or a municipality for a period, each with its own sections:
 * - информационная справка о реализации и эффективности программ наставничества — the facts of
 *   the period (curators by 1 June, Divnogorsk 2022 roadmap 5.3), with the writer's пояснения;
 * - аналитическая справка of an organization (December monitoring, 5.4; Tomsk 2024 app., stage 4)
 *   — the figures against the previous period, the programs that need attention, and the
 *   conclusions, recommendations and management decisions the curator writes;
 * - аналитический отчет of a municipality (annual, 5.6–5.7) — the municipality's figures with
 *   dynamics, an analysis per organization, and the coordinator's conclusions, recommendations
 *   and management decisions.
 * Figures come from `figuresFor` (the period and the previous one, from the programs' history),
 * so a past period shows what was true then. Nothing here states what the system did not do.
 */
import {
	COMPLETION_REASON_LABELS,
	FORM_LABELS,
	MENTEE_CATEGORY_LABELS,
	STAGE_KIND_LABELS,
	TEMPLATES,
	TYPE_LABELS,
	labelOf
} from '../../../src/lib/shared/program/index.js';
import {
	SCOPE_DOC_KINDS,
	SCOPE_DOC_TITLES,
	WRITTEN_SECTIONS,
	WRITTEN_SECTION_LABELS,
	type PreviewBlock,
	type ScopeDocKind,
	type WrittenSection
} from '../../../src/lib/shared/api/scope-documents.js';
import type {
	CountRow,
	OrganizationFigures,
	PreviousFigures,
	ProgramCount,
	ScopeDocFigures
} from '../figures.js';
import { num, ruDate, ruDateTime, type Block, type DocModel } from './model.js';

export { SCOPE_DOC_KINDS, type ScopeDocKind };

export const STAGE_LABEL = (k: string): string =>
	k === 'not-started'
		? 'не начата'
		: k === 'finished'
			? 'сроки этапов истекли'
			: k === 'unscheduled'
				? 'без дат'
				: k === 'completed'
					? 'завершена'
					: k === 'custom'
						? 'этап дорожной карты'
						: labelOf(STAGE_KIND_LABELS, k);
export const templateTitle = (id: string): string =>
	TEMPLATES.find((t) => t.id === id)?.titleRu ?? (id || '—');

const SHY = '\u00ad';

/** One program as it was on the period's end date (the list of programs, the attention list). */
export interface ProgramLine {
	title: string;
	organizationName: string;
	status: string;
	stage: string;
	mentors: string[];
	mentees: string[];
	reportsDue: number;
	reportsAccepted: number;
	completion: { reason: string; date: string } | null;
}

export interface ScopeDocInput {
	kind: ScopeDocKind;
	scope: 'organization' | 'municipality';
	scopeName: string;
	period: { from: string; to: string };
	/** Today in the scope's zone: a period ending later shows the state of today. */
	today: string;
	timeZone: string;
	/**
	 * Figures of the period with `previous` (figuresFor, municipalityFigures), with the groupings
	 * by type, template and stage that the document shows.
	 */
	figures: ScopeDocFigures;
	/** Programs in force in the period, as on its end date. */
	programs: ProgramLine[];
	/**
	 * How many programs `programs` is the first of, by organization and title (the screen's
	 * preview lists the first PREVIEW_ROWS; the file all of them). Absent: all are there.
	 */
	programsTotal?: number;
	/** A municipality: each organization's figures of the period, with `previous`. */
	organizations?: Array<{ name: string; figures: OrganizationFigures }>;
	sections: Partial<Record<WrittenSection, string>>;
	/** The version being shown (null: nothing written yet). */
	version: { version: number; authorName: string; createdAt: number; handedIn: boolean } | null;
}

/** A figure as a document writes it: «—» when there is none. */
const fig = (x: number | null | undefined, digits = 0): string =>
	x === null || x === undefined ? '—' : digits ? num(x, digits) : String(x);

/** The change from the previous period: «+2», «−0,5», «без изменений», «—». */
export function change(
	now: number | null | undefined,
	before: number | null | undefined,
	digits = 0
): string {
	if (now === null || now === undefined || before === null || before === undefined) return '—';
	const d = Math.round((now - before) * 10 ** digits) / 10 ** digits;
	if (d === 0) return 'без изменений';
	const text = digits ? num(Math.abs(d), digits) : String(Math.abs(d));
	return `${d > 0 ? '+' : '−'}${text}`;
}

/** The figures both periods show, with how each is read from `Figures`. */
const DYNAMICS: Array<{
	label: string;
	get: (f: PreviousFigures) => number | null;
	digits?: number;
}> = [
	{ label: 'Программ реализовывалось в периоде', get: (f) => f.programs.inForce },
	{ label: 'Программ завершено в периоде', get: (f) => f.completed.inPeriod },
	{ label: 'Наставников (человек)', get: (f) => f.participants.mentors },
	{ label: 'Наставляемых (человек)', get: (f) => f.participants.mentees },
	{
		label: '— из них педагогических и руководящих работников',
		get: (f) => f.participants.pedagogues.mentees
	},
	{ label: '— из них обучающихся', get: (f) => f.participants.learners.mentees },
	{ label: 'Молодых педагогов (до 35 лет) в организациях', get: (f) => f.youngTeachers.inRegistry },
	{ label: '— из них наставляемых', get: (f) => f.youngTeachers.covered },
	{
		label: 'Охват молодых педагогов наставничеством, %',
		get: (f) => f.youngTeachers.sharePercent,
		digits: 1
	},
	{
		label: 'Прирост самооценки наставляемых, баллов (из 5)',
		get: (f) => f.assessment.growthAvg,
		digits: 2
	},
	{
		label: 'Удовлетворенность наставляемых (из 10)',
		get: (f) => f.satisfaction.menteeAvg,
		digits: 2
	},
	{ label: 'Отчетов по этапам принято', get: (f) => f.reports.accepted },
	{ label: 'Отчетов не представлено к сроку', get: (f) => f.reports.due }
];

function dynamicsTable(f: ScopeDocInput['figures']): Block {
	const p = f.previous ?? null;
	return {
		kind: 'table',
		headers: [
			'Показатель',
			p ? `${ruDate(p.period.from)} – ${ruDate(p.period.to)}` : 'Предыдущий период',
			`${ruDate(f.period.from)} – ${ruDate(f.period.to)}`,
			'Изменение'
		],
		widths: [46, 18, 18, 18],
		rows: DYNAMICS.map((d) => [
			d.label,
			p ? fig(d.get(p), d.digits) : '—',
			fig(d.get(f), d.digits),
			p ? change(d.get(f), d.get(p), d.digits) : '—'
		])
	};
}

function countTable(
	title: string,
	rows: CountRow[],
	label: (k: string) => string,
	previous?: ProgramCount[] | null
): Block {
	if (!rows.length && !previous?.length) return { kind: 'para', text: 'Программ в периоде нет.' };
	const keys = [...new Set([...rows.map((r) => r.key), ...(previous ?? []).map((r) => r.key)])];
	const at = <Row extends ProgramCount>(list: Row[] | null | undefined, k: string) =>
		list?.find((r) => r.key === k);
	return previous
		? {
				kind: 'table',
				headers: [
					title,
					'Программ в предыдущем периоде',
					'Программ',
					'Наставников',
					'Наставляемых'
				],
				widths: [32, 18, 14, 17, 19],
				rows: keys.map((k) => [
					k ? label(k) : 'не указано',
					String(at(previous, k)?.programs ?? 0),
					String(at(rows, k)?.programs ?? 0),
					String(at(rows, k)?.mentors ?? 0),
					String(at(rows, k)?.mentees ?? 0)
				])
			}
		: {
				kind: 'table',
				headers: [title, 'Программ', 'Наставников', 'Наставляемых'],
				widths: [46, 16, 18, 20],
				rows: keys.map((k) => [
					k ? label(k) : 'не указано',
					String(at(rows, k)?.programs ?? 0),
					String(at(rows, k)?.mentors ?? 0),
					String(at(rows, k)?.mentees ?? 0)
				])
			};
}

const participantsRows = (f: PreviousFigures): Array<[string, string]> => [
	['Наставников (человек)', String(f.participants.mentors)],
	['Наставляемых (человек)', String(f.participants.mentees)],
	[
		'Педагогических и руководящих работников: наставников / наставляемых',
		`${f.participants.pedagogues.mentors} / ${f.participants.pedagogues.mentees}`
	],
	[
		'Обучающихся: наставников / наставляемых',
		`${f.participants.learners.mentors} / ${f.participants.learners.mentees}`
	],
	['Наставляемых на одного наставника', fig(f.participants.menteesPerMentor, 2)]
];

const youngRows = (f: PreviousFigures): Array<[string, string]> => [
	['Молодых педагогов (до 35 лет) в организациях', String(f.youngTeachers.inRegistry)],
	['из них наставляемых в периоде', String(f.youngTeachers.covered)],
	[
		'Доля охвата',
		f.youngTeachers.sharePercent === null ? '—' : `${num(f.youngTeachers.sharePercent)} %`
	],
	['из них в первые 3 года работы', String(f.youngTeachers.firstYearsCovered)]
];

const resultRows = (f: PreviousFigures): Array<[string, string]> => [
	['Программ завершено (на конец периода)', String(f.completed.total)],
	['из них в периоде', String(f.completed.inPeriod)],
	...Object.entries(f.completed.byReason).map(([k, n]): [string, string] => [
		`— ${labelOf(COMPLETION_REASON_LABELS, k)}`,
		String(n)
	]),
	['Анкет удовлетворенности', String(f.satisfaction.surveys)],
	['Средняя удовлетворенность наставников (из 10)', fig(f.satisfaction.mentorAvg, 2)],
	['Средняя удовлетворенность наставляемых (из 10)', fig(f.satisfaction.menteeAvg, 2)],
	['Наставляемых с входной и итоговой самооценкой', String(f.assessment.menteesWithBoth)],
	['Средняя входная самооценка наставляемых (из 5)', fig(f.assessment.entryAvg, 2)],
	['Средняя итоговая самооценка наставляемых (из 5)', fig(f.assessment.exitAvg, 2)],
	[
		'Прирост самооценки наставляемых',
		f.assessment.growthAvg === null
			? '—'
			: `${num(f.assessment.growthAvg, 2)} балла (${num(f.assessment.growthPercent)} %)`
	]
];

const reportRows = (f: PreviousFigures): Array<[string, string]> => [
	['Отчетов по этапам принято', String(f.reports.accepted)],
	['на проверке у куратора', String(f.reports.submitted)],
	['возвращено на доработку', String(f.reports.returned)],
	['не представлено к сроку', String(f.reports.due)]
];

/** The rows of a table the screen's preview of a document shows; the file has them all. */
export const PREVIEW_ROWS = 200;

/** Says that a list shows only its first programs (the screen's preview of a large scope). */
function firstOnly(d: ScopeDocInput): Block[] {
	const total = d.programsTotal ?? d.programs.length;
	if (total <= d.programs.length) return [];
	return [
		{
			kind: 'para',
			text: `Показаны первые ${d.programs.length} из ${total} программ (по организациям и названиям); полный перечень — в файле документа.`
		}
	];
}

function programList(lines: ProgramLine[], municipal: boolean): Block {
	if (!lines.length) return { kind: 'para', text: 'Программ в периоде нет.' };
	return {
		kind: 'table',
		headers: [
			'№',
			'Программа',
			'Наставник',
			'Наставляемый',
			'Этап на конец периода',
			'Отчеты: принято / не представлено'
		],
		widths: [5, 29, 18, 18, 16, 14],
		rows: lines.map((l, i) => [
			String(i + 1),
			municipal && l.organizationName ? `${l.title} (${l.organizationName})` : l.title,
			l.mentors.join(', ') || '—',
			l.mentees.join(', ') || '—',
			STAGE_LABEL(l.stage),
			`${l.reportsAccepted} / ${l.reportsDue}`
		])
	};
}

/** Completed before its plan ran out, within the period (the attention list's second kind). */
const terminatedIn = (
	l: Pick<ProgramLine, 'completion'>,
	period: { from: string; to: string }
): boolean =>
	l.completion !== null &&
	l.completion.reason !== 'plan-completed' &&
	l.completion.date >= period.from &&
	l.completion.date <= period.to;

/** Programs the figures single out: reports not submitted on time, terminated by the curator. */
function attention(lines: ProgramLine[], period: { from: string; to: string }): Block[] {
	const late = lines.filter((l) => l.reportsDue > 0);
	const terminated = lines.filter((l) => terminatedIn(l, period));
	if (!late.length && !terminated.length)
		return [
			{
				kind: 'para',
				text: 'Программ с отчетами, не представленными к сроку, и программ, завершенных досрочно, в периоде нет.'
			}
		];
	return [
		{
			kind: 'table',
			headers: ['Программа', 'Что отмечено'],
			widths: [50, 50],
			rows: [
				...late.map((l) => [
					l.organizationName ? `${l.title} (${l.organizationName})` : l.title,
					`отчетов не представлено к сроку: ${l.reportsDue}`
				]),
				...terminated.map((l) => [
					l.organizationName ? `${l.title} (${l.organizationName})` : l.title,
					`завершена ${ruDate(l.completion!.date)}: ${labelOf(COMPLETION_REASON_LABELS, l.completion!.reason)}`
				])
			]
		}
	];
}

/** Per organization: the figures of the period against the previous one (the report's analysis). */
function organizationsTable(orgs: Array<{ name: string; figures: OrganizationFigures }>): Block {
	const pair = (before: number | undefined, now: number) =>
		before === undefined ? String(now) : `${before} → ${now}`;
	return {
		kind: 'table',
		// Soft hyphens (SHY): narrow columns break these words where Russian allows, not mid-syllable.
		headers: [
			'Организация',
			'Программ (было → стало)',
			`Настав${SHY}ников`,
			`Настав${SHY}ляемых (было → стало)`,
			`из них обучаю${SHY}щихся`,
			'Охват молодых педагогов, %',
			`Прирост само${SHY}оценки, баллов`,
			`Отчетов не представ${SHY}лено`
		],
		widths: [20, 12, 11, 13, 10, 13, 10, 11],
		rows: orgs.map(({ name, figures: f }) => [
			name,
			pair(f.previous?.programs.inForce, f.programs.inForce),
			String(f.participants.mentors),
			pair(f.previous?.participants.mentees, f.participants.mentees),
			String(f.participants.learners.mentees),
			fig(f.youngTeachers.sharePercent, 1),
			fig(f.assessment.growthAvg, 2),
			String(f.reports.due)
		])
	};
}

/** Forms and categories of the period against the previous one (the справка and the отчет alike). */
const formsAndCategories = (f: ScopeDocInput['figures']): Block[] => [
	countTable(
		'Форма наставничества',
		f.byForm,
		(k) => labelOf(FORM_LABELS, k),
		f.previous?.byForm ?? null
	),
	countTable(
		'Категория наставляемых',
		f.byCategory,
		(k) => labelOf(MENTEE_CATEGORY_LABELS, k),
		f.previous?.byCategory ?? null
	)
];

/** The written sections: the person's text, paragraph by paragraph; «Не заполнено.» when empty. */
function written(d: ScopeDocInput, n: number): Block[] {
	const out: Block[] = [];
	let i = n;
	for (const key of WRITTEN_SECTIONS[d.kind] as readonly WrittenSection[]) {
		const text = (d.sections[key] ?? '').trim();
		// The информационная справка's пояснения are optional: no heading without them.
		if (!text && d.kind === 'info-note') continue;
		out.push({ kind: 'heading', text: `${i++}. ${WRITTEN_SECTION_LABELS[key]}` });
		const paras = text
			.split(/\n\s*\n|\n/)
			.map((t) => t.trim())
			.filter(Boolean);
		if (!paras.length) out.push({ kind: 'para', text: 'Не заполнено.', italic: true });
		else for (const t of paras) out.push({ kind: 'para', text: t });
	}
	return out;
}

/** A grouping the document shows: made with its figures (ScopeDocFigures), or a caller's error. */
function shown(rows: CountRow[] | undefined, name: string, kind: ScopeDocKind): CountRow[] {
	if (!rows) throw new Error(`the figures of a ${kind} document were made without ${name}`);
	return rows;
}

export function scopeDocModel(d: ScopeDocInput): DocModel {
	const f = d.figures;
	const municipal = d.scope === 'municipality';
	const where = municipal ? `в образовательных организациях: ${d.scopeName}` : `в ${d.scopeName}`;
	const periodText = `за период с ${ruDate(d.period.from)} по ${ruDate(d.period.to)}`;
	const subject =
		d.kind === 'analytic-report'
			? 'по результатам мониторинга реализации целевой модели наставничества'
			: d.kind === 'info-note'
				? 'о реализации и эффективности персонализированных программ наставничества'
				: 'о реализации персонализированных программ наставничества';
	const blocks: Block[] = [
		{ kind: 'title', text: SCOPE_DOC_TITLES[d.kind] },
		{ kind: 'subtitle', text: `${subject} ${where} ${periodText}` }
	];
	if (d.period.to > d.today)
		blocks.push({
			kind: 'para',
			italic: true,
			text: `Период не закончился: сведения на ${ruDate(d.today)}.`
		});
	if (d.version)
		blocks.push({
			kind: 'para',
			italic: true,
			text: `Редакция ${d.version.version} от ${ruDateTime(d.version.createdAt, d.timeZone)}, ${d.version.authorName}${d.version.handedIn ? '. Сдана' : ''}.`
		});
	const general: Array<[string, string]> = [
		[municipal ? 'Муниципалитет' : 'Образовательная организация', d.scopeName],
		['Период', `с ${ruDate(d.period.from)} по ${ruDate(d.period.to)}`]
	];
	if (f.previous)
		general.push([
			'Сравнение с периодом',
			`с ${ruDate(f.previous.period.from)} по ${ruDate(f.previous.period.to)}`
		]);
	if (municipal && d.organizations)
		general.push(
			['Образовательных организаций', String(d.organizations.length)],
			[
				'из них реализовывали программы в периоде',
				String(d.organizations.filter((o) => o.figures.programs.inForce > 0).length)
			]
		);
	// The analytic documents give the programs in force in their dynamics table.
	if (d.kind === 'info-note')
		general.push(['Программ реализовывалось в периоде', String(f.programs.inForce)]);
	general.push(
		['Программ на конец периода: реализуется', String(f.programs.active)],
		['завершено', String(f.programs.completed)],
		['в стадии проекта (не утверждены)', String(f.programs.draft)]
	);

	if (d.kind === 'info-note') {
		blocks.push(
			{ kind: 'heading', text: '1. Общие сведения' },
			{ kind: 'fields', rows: [...general, ...participantsRows(f)] },
			{ kind: 'heading', text: '2. Формы наставничества' },
			countTable('Форма наставничества', f.byForm, (k) => labelOf(FORM_LABELS, k)),
			{ kind: 'heading', text: '3. Виды наставничества' },
			countTable('Вид наставничества', shown(f.byType, 'byType', d.kind), (k) =>
				labelOf(TYPE_LABELS, k)
			),
			{ kind: 'heading', text: '4. Категории наставляемых' },
			countTable('Категория наставляемых', f.byCategory, (k) => labelOf(MENTEE_CATEGORY_LABELS, k)),
			{ kind: 'heading', text: '5. Охват молодых педагогов (до 35 лет)' },
			{ kind: 'fields', rows: youngRows(f) },
			{ kind: 'heading', text: '6. Ход реализации программ' },
			countTable('Этап (на конец периода)', shown(f.byStage, 'byStage', d.kind), STAGE_LABEL),
			{ kind: 'fields', rows: reportRows(f) },
			{ kind: 'heading', text: '7. Результативность' },
			{ kind: 'fields', rows: resultRows(f) },
			{ kind: 'heading', text: '8. Перечень программ' },
			programList(d.programs, municipal),
			...firstOnly(d),
			...written(d, 9)
		);
	} else if (d.kind === 'analytic-note') {
		blocks.push(
			{ kind: 'heading', text: '1. Общие сведения' },
			{ kind: 'fields', rows: general },
			{ kind: 'heading', text: '2. Показатели и их динамика' },
			dynamicsTable(f),
			{ kind: 'heading', text: '3. Формы наставничества и категории наставляемых' },
			...formsAndCategories(f),
			{ kind: 'heading', text: '4. Ход реализации программ' },
			countTable('Этап (на конец периода)', shown(f.byStage, 'byStage', d.kind), STAGE_LABEL),
			{ kind: 'fields', rows: reportRows(f) },
			{ kind: 'heading', text: '5. Результативность и удовлетворенность' },
			{ kind: 'fields', rows: resultRows(f) },
			{ kind: 'heading', text: '6. Программы, требующие внимания' },
			...attention(d.programs, d.period),
			...firstOnly(d),
			...written(d, 7)
		);
	} else {
		blocks.push(
			{ kind: 'heading', text: '1. Общие сведения' },
			{ kind: 'fields', rows: general },
			{ kind: 'heading', text: '2. Показатели муниципалитета и их динамика' },
			dynamicsTable(f),
			{ kind: 'heading', text: '3. Анализ по образовательным организациям' },
			d.organizations?.length
				? organizationsTable(d.organizations)
				: { kind: 'para', text: 'Образовательных организаций нет.' },
			{ kind: 'heading', text: '4. Формы наставничества и категории наставляемых' },
			...formsAndCategories(f),
			{ kind: 'heading', text: '5. Охват молодых педагогов и результативность' },
			{ kind: 'fields', rows: [...youngRows(f), ...resultRows(f)] },
			{ kind: 'heading', text: '6. Программы, требующие внимания' },
			...attention(d.programs, d.period),
			...firstOnly(d),
			...written(d, 7)
		);
	}
	// «Исполнитель»: whoever wrote the version (a curator, or the coordinator for a school).
	blocks.push({ kind: 'signatures', lines: [['Исполнитель', d.version?.authorName ?? '']] });
	return {
		name: `${SCOPE_DOC_TITLES[d.kind]} ${d.scopeName} ${ruDate(d.period.from)}–${ruDate(d.period.to)}`.slice(
			0,
			120
		),
		title: `${SCOPE_DOC_TITLES[d.kind]} ${subject}`,
		landscape: false,
		blocks
	};
}

/**
 * What the screen shows of a document: its blocks without the signature lines. `frozen`: a
 * handed-in version, which keeps every line of a large scope — its tables are shown to their
 * first PREVIEW_ROWS rows (a document read now was made with its lists that short: firstOnly).
 */
export function previewOf(model: DocModel, frozen = false): PreviewBlock[] {
	const out: PreviewBlock[] = [];
	for (const b of model.blocks)
		switch (b.kind) {
			case 'title':
			case 'subtitle':
			case 'heading':
			case 'para':
				out.push({ kind: b.kind, text: b.text });
				break;
			case 'fields':
				out.push({ kind: 'fields', rows: b.rows });
				break;
			case 'table':
				out.push({
					kind: 'table',
					headers: b.headers,
					rows: frozen ? b.rows.slice(0, PREVIEW_ROWS) : b.rows
				});
				if (frozen && b.rows.length > PREVIEW_ROWS)
					out.push({
						kind: 'para',
						text: `Показаны первые ${PREVIEW_ROWS} строк из ${b.rows.length}; полностью — в файле документа.`
					});
				break;
			default:
				break;
		}
	return out;
}
