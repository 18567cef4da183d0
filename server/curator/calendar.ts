/**
 * The monitoring calendar (Tomsk 2024 order p. 3; Divnogorsk 2022 roadmap 5.2–5.7): what is due
 * when, with live counts, and which generated document pre-fills it.
 *   10 June / 10 December — mentors' semi-annual reports;
 *   January and May — monitoring of forms of mentoring and of inclusion;
 *   by 1 June — справка on implementation and effectiveness of the programs (curators);
 *   by 1 July — data for the regional monitoring (municipality);
 *   December — monitoring of implementation (информационная справка);
 *   annually (December) — аналитический отчет.
 */
import { addDays, plural, type PluralForms } from '../../src/lib/shared/time.js';
import { notCancelled } from './cancelled.js';
import type { SqlClient } from '../storage/sql.js';
import type { Scope } from './dashboard.js';
import { figuresAt, programsAt, type Figures } from './figures.js';
import type { CalendarDocument, CalendarEvent } from '../../src/lib/shared/api/curator.js';

export type { CalendarDocument, CalendarEvent };

const addDaysIso = (d: string, n: number) => addDays(d, n);

export async function monitoringCalendar(
	db: SqlClient,
	scope: Scope,
	opts: { year: number; today: string; municipal: boolean }
): Promise<CalendarEvent[]> {
	const y = opts.year;
	const ids = scope.organizationIds;
	// Cancelled programs owe nothing (server/curator/cancelled.ts).
	const inScope =
		(ids.length ? `organization_id IN (${ids.map(() => '?').join(',')})` : '1 = 0') +
		` AND ${notCancelled('program_id')}`;
	const scalar = async (sql: string, p: unknown[]) =>
		(await db.get<{ n: number | null }>(sql, p))?.n ?? 0;
	// Each item's figures are those of its date (the state then, from the programs' history: a
	// program created later is not counted); a date still ahead shows today's state.
	const asOf = (date: string) => (date <= opts.today ? date : opts.today);
	const cache = new Map<string, Promise<Figures>>();
	const at = (date: string): Promise<Figures> => {
		const d = asOf(date);
		let f = cache.get(d);
		if (!f) cache.set(d, (f = figuresAt(db, scope, d)));
		return f;
	};
	/** Programs owing the semi-annual report of `period` (YYYY-06 / YYYY-12): ran ≥ 1 month before the date and overlap the half-year. */
	const semiannual = async (period: string, due: string) => {
		const monthBefore = addDaysIso(due, -30);
		const halfYearBefore = addDaysIso(due, -183);
		const expected = (await programsAt(db, ids, asOf(due))).filter(
			({ facts: f }) =>
				f.startDate !== null &&
				f.startDate <= monthBefore &&
				(f.endDate === null || f.endDate >= halfYearBefore)
		).length;
		// After the date, a report still missing is listed in the summary's due keys.
		const missing =
			due <= opts.today
				? await scalar(
						`SELECT count(*) AS n FROM curator_program_index i JOIN program_summaries s ON s.program_id = i.program_id
							WHERE ${inScope.replace('organization_id', 'i.organization_id').replace(notCancelled('program_id'), notCancelled('i.program_id'))} AND instr(s.summary, ?) > 0`,
						[...ids, `"mentor:${period}"`]
					)
				: null;
		const figures = [{ label: 'программ должны представить отчет', value: expected }];
		if (missing !== null) figures.push({ label: 'отчет не представлен', value: missing });
		return figures;
	};
	/** Monitoring of forms and of the inclusion of pedagogues and pupils (Divnogorsk 2022 p. 5.2). */
	const inclusion = async (date: string) => {
		const f = await at(date);
		return [
			{ label: 'программ реализуется', value: f.programs.active },
			{ label: 'форм наставничества', value: f.byForm.filter((r) => r.key !== '').length },
			{ label: 'наставляемых-педагогов', value: f.participants.pedagogues.mentees },
			{ label: 'наставляемых-обучающихся', value: f.participants.learners.mentees }
		];
	};
	const acYear = (to: string) => ({ from: `${Number(to.slice(0, 4)) - 1}-09-01`, to });

	const events: Omit<CalendarEvent, 'state'>[] = [
		{
			id: `${y}-01-monitoring`,
			date: `${y}-01-31`,
			title: 'Мониторинг форм наставничества и включенности педагогов и обучающихся (январь)',
			basis: 'Дорожная карта (Дивногорск, 2022), п. 5.2',
			responsible: opts.municipal ? 'МКУ ГИМЦ' : 'куратор ОО (данные для ГИМЦ)',
			figures: await inclusion(`${y}-01-31`),
			documents: [{ kind: 'monitoring-xlsx', label: 'Таблица мониторинга (XLSX)' }]
		},
		{
			id: `${y}-05-monitoring`,
			date: `${y}-05-31`,
			title: 'Мониторинг форм наставничества и включенности педагогов и обучающихся (май)',
			basis: 'Дорожная карта (Дивногорск, 2022), п. 5.2',
			responsible: opts.municipal ? 'МКУ ГИМЦ' : 'куратор ОО (данные для ГИМЦ)',
			figures: await inclusion(`${y}-05-31`),
			documents: [{ kind: 'monitoring-xlsx', label: 'Таблица мониторинга (XLSX)' }]
		},
		{
			id: `${y}-06-01-note`,
			date: `${y}-06-01`,
			title:
				'Информационная справка о реализации и эффективности программ наставничества (не позднее 1 июня)',
			basis: 'Дорожная карта (Дивногорск, 2022), п. 5.3',
			responsible: 'куратор ОО',
			figures: [
				{ label: 'программ реализуется', value: (await at(`${y}-06-01`)).programs.active },
				{ label: 'завершено', value: (await at(`${y}-06-01`)).programs.completed }
			],
			documents: [
				{
					kind: 'note',
					docKind: 'info-note',
					label: 'Информационная справка (DOCX / PDF)',
					...acYear(`${y}-05-31`)
				}
			]
		},
		{
			id: `${y}-06-10-reports`,
			date: `${y}-06-10`,
			title: 'Отчеты наставников о реализации программ (до 10 июня)',
			basis: 'Положение о наставничестве руководителей (Томск, 2024), п. 3 распоряжения',
			responsible: 'наставники; прием — куратор',
			figures: await semiannual(`${y}-06`, `${y}-06-10`),
			documents: [
				{ kind: 'dashboard', label: 'Программы с непредставленными отчетами', flag: 'reports-due' }
			]
		},
		{
			id: `${y}-07-01-regional`,
			date: `${y}-07-01`,
			title:
				'Данные для регионального мониторинга реализации целевой модели наставничества (не позднее 1 июля)',
			basis: 'Дорожная карта (Дивногорск, 2022), п. 5.5',
			responsible: opts.municipal ? 'МКУ ГИМЦ' : 'куратор ОО (данные для ГИМЦ)',
			figures: [
				{ label: 'программ', value: (await at(`${y}-07-01`)).programs.total },
				{ label: 'наставляемых', value: (await at(`${y}-07-01`)).participants.mentees }
			],
			documents: [{ kind: 'monitoring-xlsx', label: 'Таблица мониторинга с показателями (XLSX)' }]
		},
		{
			id: `${y}-12-10-reports`,
			date: `${y}-12-10`,
			title: 'Отчеты наставников о реализации программ (до 10 декабря)',
			basis: 'Положение о наставничестве руководителей (Томск, 2024), п. 3 распоряжения',
			responsible: 'наставники; прием — куратор',
			figures: await semiannual(`${y}-12`, `${y}-12-10`),
			documents: [
				{ kind: 'dashboard', label: 'Программы с непредставленными отчетами', flag: 'reports-due' }
			]
		},
		{
			id: `${y}-12-monitoring`,
			date: `${y}-12-20`,
			title: 'Мониторинг внедрения и реализации целевой модели наставничества (декабрь)',
			basis: 'Дорожная карта (Дивногорск, 2022), п. 5.4',
			responsible: 'МКУ ГИМЦ, кураторы ОО',
			figures: [{ label: 'программ реализуется', value: (await at(`${y}-12-20`)).programs.active }],
			documents: [
				{
					kind: 'note',
					docKind: 'info-note',
					label: 'Информационная справка (DOCX / PDF)',
					from: `${y}-01-01`,
					to: `${y}-12-31`
				}
			]
		},
		{
			id: `${y}-12-annual`,
			date: `${y}-12-31`,
			title: opts.municipal
				? 'Аналитический отчет по результатам мониторинга реализации целевой модели наставничества (ежегодно)'
				: 'Аналитическая справка о реализации программ наставничества за год',
			basis: 'Дорожная карта (Дивногорск, 2022), п. 5.7',
			responsible: opts.municipal ? 'МКУ ГИМЦ' : 'куратор ОО',
			figures: [{ label: 'программ', value: (await at(`${y}-12-31`)).programs.total }],
			documents: [
				{
					kind: 'note',
					docKind: opts.municipal ? 'analytic-report' : 'analytic-note',
					label: opts.municipal
						? 'Аналитический отчет (DOCX / PDF)'
						: 'Аналитическая справка (DOCX / PDF)',
					from: `${y}-01-01`,
					to: `${y}-12-31`
				}
			]
		}
	];
	const soon = addDaysIso(opts.today, 30);
	return events.map((e) => ({
		...e,
		figures: e.figures.map((f) => ({ ...f, label: agreeing(f.value, f.label) })),
		state: e.date < opts.today ? 'past' : e.date <= soon ? 'soon' : 'upcoming'
	}));
}

/**
 * The figures' words are written for «5» above («программ реализуется»); the one that agrees with
 * the figure is shown («1 программа реализуется», «0 отчетов не представлено»).
 */
const AGREEING: Readonly<Record<string, PluralForms>> = {
	'программ должны представить отчет': {
		one: 'программа должна представить отчет',
		few: 'программы должны представить отчет',
		many: 'программ должны представить отчет'
	},
	'отчет не представлен': {
		one: 'отчет не представлен',
		few: 'отчета не представлено',
		many: 'отчетов не представлено'
	},
	'программ реализуется': {
		one: 'программа реализуется',
		few: 'программы реализуются',
		many: 'программ реализуется'
	},
	'форм наставничества': {
		one: 'форма наставничества',
		few: 'формы наставничества',
		many: 'форм наставничества'
	},
	'наставляемых-педагогов': {
		one: 'наставляемый-педагог',
		few: 'наставляемых-педагога',
		many: 'наставляемых-педагогов'
	},
	'наставляемых-обучающихся': {
		one: 'наставляемый-обучающийся',
		few: 'наставляемых-обучающихся',
		many: 'наставляемых-обучающихся'
	},
	завершено: { one: 'завершена', few: 'завершено', many: 'завершено' },
	программ: { one: 'программа', few: 'программы', many: 'программ' },
	наставляемых: { one: 'наставляемый', few: 'наставляемых', many: 'наставляемых' }
};
const agreeing = (n: number, label: string) => {
	const forms = AGREEING[label];
	return forms ? plural(n, forms) : label;
};
