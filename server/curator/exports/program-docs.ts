/**
 * Documents of one program, from the live document (a ProgramView):
 * - the personalized mentoring program (ППН) for signing — structure of the Tomsk 2024
 *   appendices: participants, form / type / model, term, diagnosis, the roadmap by stages
 *   (мероприятие / форма представления результата / срок / ответственный / отметка), meetings,
 *   reports, self-assessment, feedback, completion, signatures;
 * - the информационная справка on a stage (the report due after each stage).
 */
import {
	ACTIVITY_STATUS_LABELS,
	ASSESSMENT_PHASE_LABELS,
	COMPLETION_REASON_LABELS,
	FORM_LABELS,
	MEETING_FORMAT_LABELS,
	MEETING_KIND_LABELS,
	MENTEE_CATEGORY_LABELS,
	PROGRAM_STATUS_LABELS,
	REPORT_KIND_LABELS,
	REPORT_STATUS_LABELS,
	RESULT_FORM_LABELS,
	TYPE_LABELS,
	expectedReports,
	labelOf,
	programEndDate,
	progress,
	stageTimeline,
	type ProgramView
} from '../../../src/lib/shared/program/index.js';
import { percent, ruDate, type Block, type DocModel } from './model.js';

const names = (v: ProgramView, role: string) =>
	v.participants
		.filter((p) => p.role === role)
		.map((p) => p.name)
		.join(', ') || '—';

const txt = (t: { toString(): string } | null | undefined) => (t ? t.toString().trim() : '');

function activityMark(a: ProgramView['activities'][number]): string {
	if (a.status === 'done') return `выполнено${a.doneAt ? ` ${ruDate(a.doneAt)}` : ''}`;
	return labelOf(ACTIVITY_STATUS_LABELS, a.status);
}

function header(v: ProgramView, organizationName: string): Block[] {
	const end = programEndDate(v);
	return [
		{
			kind: 'fields',
			rows: [
				['Образовательная организация', v.meta.organization || organizationName || '—'],
				['Наставник', names(v, 'mentor')],
				[
					v.participants.filter((p) => p.role === 'mentee').length > 1
						? 'Наставляемые'
						: 'Наставляемый',
					names(v, 'mentee')
				],
				['Куратор', names(v, 'curator')],
				['Форма наставничества', v.meta.form ? labelOf(FORM_LABELS, v.meta.form) : '—'],
				['Вид наставничества', v.meta.types.map((t) => labelOf(TYPE_LABELS, t)).join('; ') || '—'],
				[
					'Категория наставляемого (модель)',
					[
						v.meta.menteeCategory ? labelOf(MENTEE_CATEGORY_LABELS, v.meta.menteeCategory) : '',
						v.meta.model
					]
						.filter(Boolean)
						.join('; ') || '—'
				],
				[
					'Срок реализации',
					v.meta.durationMonths
						? `${v.meta.durationMonths} мес., с ${ruDate(v.meta.startDate)} по ${ruDate(end)}`
						: '—'
				],
				[
					'Статус программы',
					labelOf(PROGRAM_STATUS_LABELS, v.completion ? 'completed' : v.meta.status)
				]
			]
		}
	];
}

export function programModel(
	v: ProgramView,
	ctx: { organizationName: string; today: string }
): DocModel {
	const blocks: Block[] = [
		{
			kind: 'approval',
			lines: [
				'УТВЕРЖДАЮ',
				'Руководитель образовательной организации',
				'____________________ / ____________ /',
				'«___» ____________ 20___ г.'
			]
		},
		{ kind: 'title', text: 'Персонализированная программа наставничества' },
		{ kind: 'subtitle', text: v.meta.title },
		...header(v, ctx.organizationName)
	];
	const diag: Array<[string, keyof ProgramView['diagnosis']['texts']]> = [
		['1. Профессиональные затруднения (дефициты) наставляемого', 'difficulties'],
		['2. Запрос наставляемого', 'request'],
		['3. Сильные стороны наставляемого', 'strengths'],
		['4. Цели программы', 'goals'],
		['5. Ожидаемые результаты', 'expectedResults']
	];
	for (const [title, f] of diag) {
		blocks.push({ kind: 'heading', text: title });
		blocks.push({ kind: 'para', text: txt(v.diagnosis.texts[f]) || '—' });
	}

	blocks.push({ kind: 'heading', text: '6. План мероприятий (дорожная карта)' });
	const tl = stageTimeline(v);
	const rows: string[][] = [];
	const groupRows: number[] = [];
	v.stages.forEach((s, si) => {
		const span = tl[si];
		groupRows.push(rows.length);
		rows.push([
			`${si + 1} ЭТАП. ${s.title.toUpperCase()} (${s.months} мес.${span ? `, ${ruDate(span.start)} – ${ruDate(span.end)}` : ''})`
		]);
		v.activities
			.filter((a) => a.stageId === s.id)
			.forEach((a, ai) =>
				rows.push([
					`${si + 1}.${ai + 1}`,
					a.title,
					labelOf(RESULT_FORM_LABELS, a.resultForm ?? s.resultForm ?? 'other'),
					ruDate(a.deadline),
					a.responsible || '—',
					activityMark(a)
				])
			);
	});
	const orphans = v.activities.filter(
		(a) => !a.stageId || !v.stages.some((s) => s.id === a.stageId)
	);
	if (orphans.length) {
		groupRows.push(rows.length);
		rows.push(['Мероприятия вне этапов']);
		orphans.forEach((a, i) =>
			rows.push([
				`${i + 1}`,
				a.title,
				a.resultForm ? labelOf(RESULT_FORM_LABELS, a.resultForm) : '—',
				ruDate(a.deadline),
				a.responsible || '—',
				activityMark(a)
			])
		);
	}
	blocks.push({
		kind: 'table',
		headers: [
			'№',
			'Мероприятие',
			'Форма представления результата',
			'Срок',
			'Ответственный',
			'Отметка о выполнении'
		],
		widths: [6, 32, 19, 12, 13, 18],
		rows,
		groupRows
	});
	const p = progress(v);
	blocks.push({
		kind: 'para',
		text: `Выполнено мероприятий: ${p.done} из ${p.total} (${percent(p.done, p.total)}) на ${ruDate(ctx.today)}.`
	});

	blocks.push({ kind: 'heading', text: '7. Встречи наставника и наставляемого' });
	blocks.push(
		v.meetings.length
			? {
					kind: 'table',
					headers: ['Дата', 'Встреча', 'Формат', 'Тема', 'Договоренности'],
					widths: [12, 20, 12, 26, 30],
					rows: v.meetings.map((m) => [
						ruDate(m.date),
						m.kind ? labelOf(MEETING_KIND_LABELS, m.kind) : '—',
						m.format ? labelOf(MEETING_FORMAT_LABELS, m.format) : '—',
						m.topic || '—',
						txt(m.agreements) || '—'
					])
				}
			: { kind: 'para', text: 'Встречи не проводились.' }
	);

	blocks.push({ kind: 'heading', text: '8. Отчеты' });
	const stageTitle = (id: string | null) => v.stages.find((s) => s.id === id)?.title ?? '';
	blocks.push({
		kind: 'table',
		headers: ['Отчет', 'Срок', 'Состояние', 'Представлен', 'Решение куратора'],
		widths: [34, 12, 18, 12, 24],
		rows: expectedReports(v).map((e) => [
			e.kind === 'stage'
				? `Отчет по этапу «${stageTitle(e.stageId)}»`
				: `${labelOf(REPORT_KIND_LABELS, e.kind)}: ${e.period ?? ''}`,
			ruDate(e.dueDate),
			e.state === 'missing' ? 'не представлен' : labelOf(REPORT_STATUS_LABELS, e.state),
			ruDate(e.report?.submittedAt),
			e.report?.reviewedAt
				? `${ruDate(e.report.reviewedAt)} ${txt(e.report.curatorComment)}`.trim()
				: '—'
		])
	});

	if (v.assessments.length) {
		blocks.push({ kind: 'heading', text: '9. Самооценка профессиональных компетенций' });
		const comps = [...new Set(v.assessments.map((a) => `${a.participantId}\u0000${a.competency}`))];
		blocks.push({
			kind: 'table',
			headers: [
				'Участник',
				'Компетенция',
				labelOf(ASSESSMENT_PHASE_LABELS, 'entry'),
				labelOf(ASSESSMENT_PHASE_LABELS, 'exit')
			],
			widths: [28, 40, 16, 16],
			rows: comps.map((k) => {
				const [pid, comp] = k.split('\u0000') as [string, string];
				const score = (ph: string) =>
					v.assessments.find(
						(a) => a.participantId === pid && a.competency === comp && a.phase === ph
					)?.score;
				return [
					v.participants.find((x) => x.id === pid)?.name ?? '—',
					comp,
					String(score('entry') ?? '—'),
					String(score('exit') ?? '—')
				];
			})
		});
	}
	if (v.feedback.length) {
		blocks.push({ kind: 'heading', text: '10. Удовлетворенность участников (обратная связь)' });
		blocks.push({
			kind: 'table',
			headers: ['Участник', 'Роль', 'Оценка (1–10)', 'Комментарий'],
			widths: [30, 15, 15, 40],
			rows: v.feedback.map((f) => [
				v.participants.find((x) => x.id === f.participantId)?.name ?? '—',
				f.role === 'mentor' ? 'наставник' : 'наставляемый',
				String(f.satisfaction),
				f.comment || '—'
			])
		});
	}
	if (v.completion) {
		blocks.push({ kind: 'heading', text: 'Завершение программы' });
		blocks.push({
			kind: 'para',
			text: `${ruDate(v.completion.date)}: ${labelOf(COMPLETION_REASON_LABELS, v.completion.reason)}. ${v.completion.note}`.trim()
		});
	}
	blocks.push({
		kind: 'signatures',
		lines: [
			['Наставник', names(v, 'mentor')],
			['Наставляемый', names(v, 'mentee')],
			['Куратор', names(v, 'curator')]
		]
	});
	return {
		name: `ППН ${v.meta.title}`.slice(0, 80),
		title: `Персонализированная программа наставничества: ${v.meta.title}`,
		blocks
	};
}

/** Информационная справка по итогам этапа. */
export function stageNoteModel(
	v: ProgramView,
	stageId: string,
	ctx: { organizationName: string; today: string }
): DocModel | null {
	const si = v.stages.findIndex((s) => s.id === stageId);
	const stage = v.stages[si];
	if (!stage) return null;
	const span = stageTimeline(v)[si];
	const acts = v.activities.filter((a) => a.stageId === stageId && a.status !== 'cancelled');
	const done = acts.filter((a) => a.status === 'done').length;
	const overdue = acts.filter(
		(a) => a.status !== 'done' && a.deadline !== null && a.deadline < ctx.today
	).length;
	const report = expectedReports(v).find((e) => e.key === `stage:${stageId}`);
	const meetings = span
		? v.meetings.filter((m) => m.date && m.date >= span.start && m.date <= span.end)
		: [];
	const blocks: Block[] = [
		{ kind: 'title', text: 'Информационная справка' },
		{
			kind: 'subtitle',
			text: `по итогам ${si + 1} этапа «${stage.title}» персонализированной программы наставничества «${v.meta.title}»`
		},
		...header(v, ctx.organizationName),
		{
			kind: 'fields',
			rows: [
				['Этап', `${si + 1}. ${stage.title}`],
				[
					'Сроки этапа',
					span ? `${ruDate(span.start)} – ${ruDate(span.end)} (${stage.months} мес.)` : '—'
				],
				[
					'Выполнено мероприятий этапа',
					`${done} из ${acts.length} (${percent(done, acts.length)})`
				],
				['Просрочено мероприятий', String(overdue)],
				['Проведено встреч за этап', String(meetings.length)],
				[
					'Отчет по этапу',
					report
						? report.state === 'missing'
							? 'не представлен'
							: labelOf(REPORT_STATUS_LABELS, report.state)
						: '—'
				],
				['Дата составления', ruDate(ctx.today)]
			]
		},
		{ kind: 'heading', text: 'Выполнение мероприятий этапа' },
		{
			kind: 'table',
			headers: [
				'№',
				'Мероприятие',
				'Форма представления результата',
				'Срок',
				'Отметка о выполнении'
			],
			widths: [6, 42, 19, 13, 20],
			rows: acts.map((a, i) => [
				`${si + 1}.${i + 1}`,
				a.title,
				labelOf(RESULT_FORM_LABELS, a.resultForm ?? stage.resultForm ?? 'other'),
				ruDate(a.deadline),
				activityMark(a)
			])
		}
	];
	if (meetings.length)
		blocks.push(
			{ kind: 'heading', text: 'Встречи' },
			{
				kind: 'table',
				headers: ['Дата', 'Встреча', 'Формат', 'Тема'],
				widths: [15, 30, 15, 40],
				rows: meetings.map((m) => [
					ruDate(m.date),
					m.kind ? labelOf(MEETING_KIND_LABELS, m.kind) : '—',
					m.format ? labelOf(MEETING_FORMAT_LABELS, m.format) : '—',
					m.topic || '—'
				])
			}
		);
	blocks.push({ kind: 'heading', text: 'Результаты этапа (отчет наставляемого)' });
	blocks.push({ kind: 'para', text: txt(report?.report?.text) || 'Текст отчета не представлен.' });
	if (report?.report?.reviewedAt)
		blocks.push({
			kind: 'para',
			italic: true,
			text: `Решение куратора от ${ruDate(report.report.reviewedAt)}: ${labelOf(REPORT_STATUS_LABELS, report.report.status)}. ${txt(report.report.curatorComment)}`.trim()
		});
	blocks.push({
		kind: 'signatures',
		lines: [
			['Наставник', names(v, 'mentor')],
			['Наставляемый', names(v, 'mentee')],
			['Куратор', names(v, 'curator')]
		]
	});
	return {
		name: `Информационная справка, этап ${si + 1}`,
		title: `Информационная справка по итогам этапа «${stage.title}»`,
		blocks
	};
}
