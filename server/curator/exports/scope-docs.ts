/**
 * Documents over an organization or a municipality for a chosen period, from the curator index:
 * - информационная справка о реализации и эффективности программ наставничества (curators, by
 *   1 June; December monitoring — Divnogorsk 2022 roadmap 5.3 / 5.4);
 * - аналитическая справка for the organization;
 * - аналитический отчет по результатам мониторинга for the municipality (annual, 5.7).
 * Same figures as the dashboard and the statistical forms: one source.
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
import { PROGRAMS, countOf, plural } from '../../../src/lib/shared/time.js';
import type { DashboardRow, OrganizationAggregate } from '../dashboard.js';
import type { CountRow, Figures } from '../figures.js';
import { num, ruDate, type Block, type DocModel } from './model.js';

export const SCOPE_DOC_KINDS = ['info-note', 'analytic-note', 'analytic-report'] as const;
export type ScopeDocKind = (typeof SCOPE_DOC_KINDS)[number];

const TITLES: Record<ScopeDocKind, string> = {
	'info-note': 'Информационная справка',
	'analytic-note': 'Аналитическая справка',
	'analytic-report': 'Аналитический отчет'
};

export const STAGE_LABEL = (k: string): string =>
	k === 'not-started'
		? 'не начата'
		: k === 'finished'
			? 'сроки этапов истекли'
			: k === 'unscheduled'
				? 'без дат'
				: labelOf(STAGE_KIND_LABELS, k);
export const templateTitle = (id: string): string =>
	TEMPLATES.find((t) => t.id === id)?.titleRu ?? (id || '—');

function countTable(title: string, rows: CountRow[], label: (k: string) => string): Block[] {
	return [
		{ kind: 'heading', text: title },
		rows.length
			? {
					kind: 'table',
					headers: ['Значение', 'Программ', 'Наставников', 'Наставляемых'],
					widths: [52, 16, 16, 16],
					rows: rows.map((r) => [
						r.key ? label(r.key) : 'не указано',
						String(r.programs),
						String(r.mentors),
						String(r.mentees)
					])
				}
			: { kind: 'para', text: 'Нет данных.' }
	];
}

export interface ScopeDocInput {
	kind: ScopeDocKind;
	scope: 'organization' | 'municipality';
	scopeName: string;
	period: { from: string | null; to: string | null };
	today: string;
	figures: Figures;
	rows: DashboardRow[];
	organizations?: OrganizationAggregate[];
	staleDays: number;
}

export function scopeDocModel(d: ScopeDocInput): DocModel {
	const f = d.figures;
	const where =
		d.scope === 'organization'
			? `в ${d.scopeName}`
			: `в образовательных организациях: ${d.scopeName}`;
	const period =
		d.period.from || d.period.to
			? `за период с ${ruDate(d.period.from)} по ${ruDate(d.period.to ?? d.today)}`
			: `на ${ruDate(d.today)}`;
	const subject =
		d.kind === 'analytic-report'
			? 'по результатам мониторинга реализации целевой модели наставничества'
			: d.kind === 'info-note'
				? 'о реализации и эффективности персонализированных программ наставничества'
				: 'о реализации персонализированных программ наставничества';
	const withOverdue = d.rows.filter((r) => r.overdue > 0);
	const stale = d.rows.filter((r) => r.flags.includes('stale'));
	const pending = d.rows.filter((r) => r.flags.includes('pending-sync'));
	const avgProgress = d.rows.length
		? Math.round(d.rows.reduce((a, r) => a + r.progress.percent, 0) / d.rows.length)
		: 0;

	const blocks: Block[] = [
		{ kind: 'title', text: TITLES[d.kind] },
		{ kind: 'subtitle', text: `${subject} ${where} ${period}` },
		{ kind: 'heading', text: '1. Общие сведения' },
		{
			kind: 'fields',
			rows: [
				[d.scope === 'organization' ? 'Образовательная организация' : 'Муниципалитет', d.scopeName],
				['Период', period],
				['Программ наставничества всего', String(f.programs.total)],
				['из них реализуется', String(f.programs.active)],
				['из них завершено', String(f.programs.completed)],
				['в стадии проекта', String(f.programs.draft)],
				['Наставников', String(f.participants.mentors)],
				['Наставляемых', String(f.participants.mentees)],
				['Наставляемых на одного наставника', num(f.participants.menteesPerMentor, 2)]
			]
		},
		...countTable('2. Формы наставничества', f.byForm, (k) => labelOf(FORM_LABELS, k)),
		...countTable('3. Виды наставничества', f.byType, (k) => labelOf(TYPE_LABELS, k)),
		...countTable('4. Категории наставляемых', f.byCategory, (k) =>
			labelOf(MENTEE_CATEGORY_LABELS, k)
		),
		{ kind: 'heading', text: '5. Охват молодых педагогов (до 35 лет)' },
		{
			kind: 'fields',
			rows: [
				['Молодых педагогов в реестре', String(f.youngTeachers.inRegistry)],
				['из них включены в программы наставничества', String(f.youngTeachers.covered)],
				[
					'Доля охвата',
					f.youngTeachers.sharePercent === null ? '—' : `${num(f.youngTeachers.sharePercent)} %`
				],
				['из них в первые 3 года работы', String(f.youngTeachers.firstYearsCovered)]
			]
		},
		{ kind: 'heading', text: '6. Ход реализации программ' },
		{
			kind: 'fields',
			rows: [
				['Средний процент выполнения планов мероприятий', `${avgProgress} %`],
				['Программ с просроченными мероприятиями', String(withOverdue.length)],
				['Просроченных мероприятий', String(d.rows.reduce((a, r) => a + r.overdue, 0))],
				['Отчетов ожидается за весь срок', String(f.reports.expected)],
				['Отчетов к сроку не представлено', String(f.reports.due)],
				['Отчетов на проверке у куратора', String(f.reports.submitted)],
				['Отчетов принято', String(f.reports.accepted)],
				['Отчетов возвращено на доработку', String(f.reports.returned)]
			]
		},
		...countTable('Распределение программ по этапам', f.byStage, STAGE_LABEL),
		{ kind: 'heading', text: '7. Результативность' },
		{
			kind: 'fields',
			rows: [
				['Завершено программ', String(f.completed.total)],
				...Object.entries(f.completed.byReason).map(([k, n]): [string, string] => [
					`— ${labelOf(COMPLETION_REASON_LABELS, k)}`,
					String(n)
				]),
				['Анкет удовлетворенности', String(f.satisfaction.surveys)],
				['Средняя удовлетворенность наставников (из 10)', num(f.satisfaction.mentorAvg, 2)],
				['Средняя удовлетворенность наставляемых (из 10)', num(f.satisfaction.menteeAvg, 2)],
				['Программ с входной и итоговой самооценкой', String(f.assessment.programsWithBoth)],
				['Средняя входная самооценка', num(f.assessment.entryAvg, 2)],
				['Средняя итоговая самооценка', num(f.assessment.exitAvg, 2)],
				[
					'Прирост самооценки',
					f.assessment.growthAvg === null
						? '—'
						: `${num(f.assessment.growthAvg, 2)} (${num(f.assessment.growthPercent)} %)`
				]
			]
		}
	];
	if (d.organizations && d.organizations.length) {
		blocks.push(
			{ kind: 'heading', text: '8. Сведения по образовательным организациям' },
			{
				kind: 'table',
				headers: [
					'Организация',
					'Программ',
					'Реализуется',
					'Завершено',
					'Выполнение, %',
					'С просрочкой',
					'Отчетов не представлено',
					'Наставников',
					'Наставляемых'
				],
				widths: [28, 9, 9, 9, 9, 9, 9, 9, 9],
				rows: d.organizations.map((o) => [
					o.name,
					String(o.programs),
					String(o.active),
					String(o.completed),
					String(o.averageProgress),
					String(o.withOverdue),
					String(o.reportsDue),
					String(o.mentors),
					String(o.mentees)
				])
			}
		);
	}
	blocks.push(
		{ kind: 'heading', text: `${d.organizations?.length ? 9 : 8}. Перечень программ` },
		{
			kind: 'table',
			headers: [
				'№',
				'Программа',
				'Наставник',
				'Наставляемый',
				'Этап',
				'Выполнено',
				'Просрочено',
				'Отчеты: не предст. / принято'
			],
			widths: [5, 25, 16, 16, 12, 9, 8, 9],
			rows: d.rows.map((r, i) => [
				String(i + 1),
				d.scope === 'municipality' && r.organizationName
					? `${r.title} (${r.organizationName})`
					: r.title,
				r.participants
					.filter((p) => p.role === 'mentor')
					.map((p) => p.name)
					.join(', ') || '—',
				r.participants
					.filter((p) => p.role === 'mentee')
					.map((p) => p.name)
					.join(', ') || '—',
				r.status === 'completed'
					? 'завершена'
					: r.stage.phase === 'in-progress'
						? `${r.stage.index + 1}. ${r.stage.title ?? ''}`
						: STAGE_LABEL(r.stage.phase),
				`${r.progress.done}/${r.progress.total} (${r.progress.percent} %)`,
				String(r.overdue),
				`${r.reports.due} / ${r.reports.accepted}`
			])
		}
	);
	const conclusions: string[] = [];
	conclusions.push(
		`${plural(f.programs.active, { one: 'Реализуется', few: 'Реализуются', many: 'Реализуется' })} ${countOf(f.programs.active, PROGRAMS)} наставничества, средний процент выполнения планов мероприятий — ${avgProgress} %.`
	);
	if (withOverdue.length)
		conclusions.push(
			`В ${countOf(withOverdue.length, { one: 'программе', few: 'программах', many: 'программах' })} есть просроченные мероприятия: куратору рекомендовано провести встречи с парами и при необходимости инициировать корректировку программ.`
		);
	if (f.reports.due)
		conclusions.push(
			`Не представлено к сроку отчетов: ${f.reports.due}. Наставникам и наставляемым направлены напоминания.`
		);
	if (f.reports.submitted)
		conclusions.push(
			`На проверке у куратора ${countOf(f.reports.submitted, { one: 'отчет', few: 'отчета', many: 'отчетов' })}.`
		);
	if (stale.length)
		conclusions.push(
			`У ${countOf(stale.length, { one: 'программы', few: 'программ', many: 'программ' })} данные участника не поступали более ${countOf(d.staleDays, { one: 'дня', few: 'дней', many: 'дней' })}: сведения по ним могут быть неполными.`
		);
	if (pending.length)
		conclusions.push(
			`С ${countOf(pending.length, { one: 'устройства', few: 'устройств', many: 'устройств' })} сообщено о неотправленных изменениях.`
		);
	if (f.youngTeachers.sharePercent !== null)
		conclusions.push(
			`Охват молодых педагогов наставничеством — ${num(f.youngTeachers.sharePercent)} %.`
		);
	if (f.assessment.growthAvg !== null)
		conclusions.push(
			`Прирост самооценки профессиональных компетенций наставляемых — ${num(f.assessment.growthAvg, 2)} балла (${num(f.assessment.growthPercent)} %).`
		);
	blocks.push(
		{ kind: 'heading', text: 'Выводы' },
		...conclusions.map((t): Block => ({ kind: 'para', text: t }))
	);
	blocks.push({
		kind: 'signatures',
		lines: [[d.scope === 'organization' ? 'Куратор' : 'Муниципальный координатор', '____________']]
	});
	return {
		name: `${TITLES[d.kind]} ${d.scopeName}`.slice(0, 80),
		title: `${TITLES[d.kind]} ${subject}`,
		landscape: false,
		blocks
	};
}
