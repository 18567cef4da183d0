/**
 * Documents of one program, from the live document (a ProgramView):
 * - the personalized mentoring program (ППН) for signing — structure of the Tomsk 2024
 *   appendices: the approver the program's regulation names, participants, form / type / model,
 *   the current term (extensions included), diagnosis, the roadmap by stages (мероприятие /
 *   форма представления результата / срок / ответственный / отметка), meetings, reports,
 *   self-assessment, feedback, completion, signatures;
 * - the document due after a stage, of the type the appendix names for it (информационная
 *   справка, аналитическая справка, аналитический отчет), each with its own sections;
 * - the mentor's semi-annual report (by 10 June / 10 December), where the regulation asks for it.
 * Every sentence here is either the participants' own text or a figure read from the document:
 * nothing claims an action the system did not take.
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
	REPORT_STATUS_LABELS,
	RESULT_FORM_LABELS,
	TYPE_LABELS,
	addDays,
	expectedReports,
	halfYearLabel,
	labelOf,
	mentorReportsRequired,
	programApprover,
	programEndDate,
	progress,
	semiannualDeadlines,
	stageDocumentForm,
	stageTimeline,
	writtenNotOwed,
	type ExpectedReport,
	type ProgramView,
	type StageDocumentForm
} from '../../../src/lib/shared/program/index.js';
import { MONTHS, countOf, formatDateLong, today } from '../../../src/lib/shared/time.js';
import { ATTACHMENT_TYPES } from '../../../src/lib/shared/api/attachments.js';
import type { AttachmentView } from '../../../src/lib/shared/program/attachments.js';
import { diagnosisLabels, isLearnerProgram } from '../../../src/lib/shared/program/audience.js';
import { namesShort } from '../../../src/lib/shared/names.js';
import { programTerm } from '../../../src/lib/shared/program/term.js';
import { num, percent, ruDate, type Block, type DocModel } from './model.js';

export interface ProgramDocContext {
	organizationName: string;
	today: string;
}

const people = (v: ProgramView, role: string) =>
	v.participants.filter((p) => p.role === role).map((p) => p.name);
const names = (v: ProgramView, role: string) => people(v, role).join(', ') || '—';

/** Whom a document is about, for its file name: «Иванова М.С.» (the mentee(s)). */
const aboutWhom = (v: ProgramView): string => namesShort(people(v, 'mentee'));

/** A file name: the document type and the mentee («ППН Иванова М.С.»), at most 120 characters. */
function fileName(type: string, v: ProgramView): string {
	const who = aboutWhom(v);
	return (who ? `${type} ${who}` : `${type} ${v.meta.title}`).slice(0, 120);
}

const txt = (t: { toString(): string } | null | undefined) => (t ? t.toString().trim() : '');

const stageName = (v: ProgramView, si: number): string => {
	const s = v.stages[si];
	return s?.title.trim() || `Этап ${si + 1}`;
};

function activityMark(a: ProgramView['activities'][number]): string {
	if (a.status === 'done') return `выполнено${a.doneAt ? ` ${ruDate(a.doneAt)}` : ''}`;
	return labelOf(ACTIVITY_STATUS_LABELS, a.status);
}

function header(v: ProgramView, organizationName: string): Block {
	return {
		kind: 'fields',
		rows: [
			['Образовательная организация', v.meta.organization || organizationName || '—'],
			['Наставник', names(v, 'mentor')],
			[people(v, 'mentee').length > 1 ? 'Наставляемые' : 'Наставляемый', names(v, 'mentee')],
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
			['Срок реализации', programTerm(v)],
			[
				'Статус программы',
				labelOf(PROGRAM_STATUS_LABELS, v.completion ? 'completed' : v.meta.status)
			]
		]
	};
}

/** The name of a report as documents write it (no codes: «Отчет наставника за I полугодие 2027 г.»). */
function reportTitle(
	v: ProgramView,
	e: Pick<ExpectedReport, 'kind' | 'stageId' | 'period'>
): string {
	if (e.kind === 'stage') {
		const si = v.stages.findIndex((s) => s.id === e.stageId);
		const stage = v.stages[si];
		return stage
			? `${labelOf(RESULT_FORM_LABELS, stageDocumentForm(stage))} по итогам ${si + 1} этапа «${stageName(v, si)}»`
			: 'Отчет по этапу';
	}
	return `Отчет наставника за ${halfYearLabel(e.period)}`;
}

const reportState = (e: ExpectedReport | undefined): string =>
	!e ? '—' : e.state === 'missing' ? 'не представлен' : labelOf(REPORT_STATUS_LABELS, e.state);

const signatures = (v: ProgramView): Block => ({
	kind: 'signatures',
	lines: [
		['Наставник', names(v, 'mentor')],
		['Наставляемый', names(v, 'mentee')],
		['Куратор', names(v, 'curator')]
	]
});

// ---------------------------------------------------------------------------------- the ППН

export function programModel(v: ProgramView, ctx: ProgramDocContext): DocModel {
	const approver = programApprover(v.meta.templateId);
	const blocks: Block[] = [
		{
			kind: 'approval',
			lines: [
				'УТВЕРЖДАЮ',
				approver.position,
				'____________________ / ____________ /',
				'«___» ____________ 20___ г.'
			]
		},
		{ kind: 'title', text: 'Персонализированная программа наставничества' },
		{ kind: 'subtitle', text: v.meta.title },
		header(v, ctx.organizationName)
	];
	// A pupil's program asks about studies and interests, not professional deficits (the same
	// stored fields, worded as on the pupil's screen: audience.ts).
	const learner = isLearnerProgram(v.meta) ? diagnosisLabels(true) : null;
	const diag: Array<[string, keyof ProgramView['diagnosis']['texts']]> = [
		[
			`1. ${learner?.difficulties.label ?? 'Профессиональные затруднения (дефициты)'} наставляемого`,
			'difficulties'
		],
		['2. Запрос наставляемого', 'request'],
		[`3. ${learner?.strengths.label ?? 'Сильные стороны'} наставляемого`, 'strengths'],
		[`4. ${learner?.goals.label ?? 'Цели программы'}`, 'goals'],
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
			`${si + 1} ЭТАП. ${stageName(v, si).toUpperCase()} (${countOf(s.months, MONTHS)}${span ? `, ${ruDate(span.start)} – ${ruDate(span.end)}` : ''})`
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
	blocks.push(meetingsTable(v.meetings) ?? { kind: 'para', text: 'Встречи не проводились.' });

	blocks.push({ kind: 'heading', text: '8. Отчеты' });
	blocks.push({
		kind: 'table',
		headers: ['Отчет', 'Срок', 'Состояние', 'Представлен', 'Решение куратора'],
		widths: [34, 12, 18, 12, 24],
		rows: [...expectedReports(v), ...writtenNotOwed(v)].map((e) => [
			reportTitle(v, e),
			e.required ? ruDate(e.dueDate) : 'не требуется',
			reportState(e),
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
		blocks.push(feedbackTable(v));
	}
	if (v.completion) {
		blocks.push({ kind: 'heading', text: 'Завершение программы' });
		blocks.push({
			kind: 'para',
			text: `${ruDate(v.completion.date)}: ${labelOf(COMPLETION_REASON_LABELS, v.completion.reason)}. ${v.completion.note}`.trim()
		});
	}
	blocks.push(signatures(v));
	return {
		name: fileName('ППН', v),
		title: `Персонализированная программа наставничества: ${v.meta.title}`,
		blocks
	};
}

function meetingsTable(meetings: ProgramView['meetings']): Block | null {
	if (!meetings.length) return null;
	return {
		kind: 'table',
		headers: ['Дата', 'Встреча', 'Формат', 'Тема', 'Договоренности'],
		widths: [12, 20, 12, 26, 30],
		rows: meetings.map((m) => [
			ruDate(m.date),
			m.kind ? labelOf(MEETING_KIND_LABELS, m.kind) : '—',
			m.format ? labelOf(MEETING_FORMAT_LABELS, m.format) : '—',
			m.topic || '—',
			txt(m.agreements) || '—'
		])
	};
}

function feedbackTable(v: ProgramView): Block {
	return {
		kind: 'table',
		headers: ['Участник', 'Роль', 'Оценка (1–10)', 'Комментарий'],
		widths: [30, 15, 15, 40],
		rows: v.feedback.map((f) => [
			v.participants.find((x) => x.id === f.participantId)?.name ?? '—',
			f.role === 'mentor' ? 'наставник' : 'наставляемый',
			String(f.satisfaction),
			f.comment || '—'
		])
	};
}

// ------------------------------------------------------------------- the stage document

interface StageFacts {
	si: number;
	stage: ProgramView['stages'][number];
	form: StageDocumentForm;
	span: { start: string; end: string } | undefined;
	report: ExpectedReport | undefined;
}

const meetingsIn = (v: ProgramView, span: { start: string; end: string } | undefined) =>
	span
		? v.meetings.filter((m) => m.date !== null && m.date >= span.start && m.date <= span.end)
		: [];

/** A file's size as people read it: «850 КБ», «2,4 МБ». */
export function fileSizeLabel(bytes: number): string {
	if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} КБ`;
	return `${(Math.round((bytes / (1024 * 1024)) * 10) / 10).toString().replace('.', ',')} МБ`;
}

/**
 * The attachments of a stage (issue 17): those of its activities and its report, and those of
 * the meetings within its dates — what the evidence of the stage is.
 */
export function stageAttachments(v: ProgramView, stageId: string): AttachmentView[] {
	const si = v.stages.findIndex((s) => s.id === stageId);
	const span = stageTimeline(v)[si];
	const activities = new Set(v.activities.filter((a) => a.stageId === stageId).map((a) => a.id));
	const reports = new Set(v.reports.filter((r) => r.stageId === stageId).map((r) => r.id));
	const meetings = new Set(meetingsIn(v, span).map((m) => m.id));
	return v.attachments.filter((a) =>
		a.targetKind === 'activity'
			? activities.has(a.targetId)
			: a.targetKind === 'report'
				? reports.has(a.targetId)
				: meetings.has(a.targetId)
	);
}

/** What an attachment is attached to, in words. */
function attachedTo(v: ProgramView, a: AttachmentView): string {
	if (a.targetKind === 'activity')
		return `мероприятие «${v.activities.find((x) => x.id === a.targetId)?.title ?? ''}»`;
	if (a.targetKind === 'meeting') {
		const m = v.meetings.find((x) => x.id === a.targetId);
		return m?.date ? `встреча ${ruDate(m.date)}` : 'встреча';
	}
	return 'отчет по этапу';
}

/** The stage's attachments as a table (name, type, size, author, date, to what), or a sentence. */
function attachmentsBlock(v: ProgramView, stageId: string): Block {
	const list = stageAttachments(v, stageId);
	if (list.length === 0) return { kind: 'para', text: 'Файлов и фотографий к этапу не приложено.' };
	return {
		kind: 'table',
		headers: ['Файл', 'Тип', 'Размер', 'Автор', 'Дата', 'К чему приложен'],
		widths: [26, 8, 10, 20, 12, 24],
		rows: list.map((a) => {
			const at = Date.parse(a.createdAt);
			return [
				a.name,
				ATTACHMENT_TYPES[a.type].ext.toUpperCase(),
				fileSizeLabel(a.size),
				a.authorName,
				Number.isFinite(at) ? ruDate(today(v.meta.timeZone, at)) : '',
				attachedTo(v, a)
			];
		})
	};
}

/** The mentee's entry → exit self-assessment per competency (the mentor's own is not growth). */
export function menteeDynamics(v: ProgramView): {
	rows: Array<{ who: string; competency: string; entry: number | null; exit: number | null }>;
	entryAvg: number | null;
	exitAvg: number | null;
} {
	const mentees = new Map(
		v.participants.filter((p) => p.role === 'mentee').map((p) => [p.id, p.name])
	);
	const keys = [
		...new Set(
			v.assessments
				.filter((a) => mentees.has(a.participantId))
				.map((a) => `${a.participantId}\u0000${a.competency}`)
		)
	];
	const rows = keys.map((k) => {
		const [pid, competency] = k.split('\u0000') as [string, string];
		const score = (phase: string) =>
			v.assessments.find(
				(a) => a.participantId === pid && a.competency === competency && a.phase === phase
			)?.score ?? null;
		return { who: mentees.get(pid) ?? '—', competency, entry: score('entry'), exit: score('exit') };
	});
	// Averages over the competencies assessed at both points, so they compare like with like.
	const both = rows.filter((r) => r.entry !== null && r.exit !== null);
	const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
	return {
		rows,
		entryAvg: avg(both.map((r) => r.entry as number)),
		exitAvg: avg(both.map((r) => r.exit as number))
	};
}

const signed = (x: number) => `${x > 0 ? '+' : x < 0 ? '−' : ''}${num(Math.abs(x))}`;

function stageFactsBlock(v: ProgramView, f: StageFacts, ctx: ProgramDocContext): Block {
	const acts = v.activities.filter((a) => a.stageId === f.stage.id && a.status !== 'cancelled');
	const done = acts.filter((a) => a.status === 'done').length;
	const overdue = acts.filter(
		(a) => a.status !== 'done' && a.deadline !== null && a.deadline < ctx.today
	).length;
	const meetings = meetingsIn(v, f.span).length;
	return {
		kind: 'fields',
		rows: [
			['Этап программы', `${f.si + 1}. ${stageName(v, f.si)}`],
			[
				'Сроки этапа',
				f.span
					? `${ruDate(f.span.start)} – ${ruDate(f.span.end)} (${countOf(f.stage.months, MONTHS)})`
					: '—'
			],
			['Выполнено мероприятий этапа', `${done} из ${acts.length} (${percent(done, acts.length)})`],
			['Просрочено мероприятий', String(overdue)],
			['Проведено встреч за этап', String(meetings)],
			['Отчет по этапу', reportState(f.report)],
			['Дата составления', ruDate(ctx.today)]
		]
	};
}

function stageActivitiesTable(v: ProgramView, f: StageFacts): Block {
	const acts = v.activities.filter((a) => a.stageId === f.stage.id && a.status !== 'cancelled');
	return {
		kind: 'table',
		headers: ['№', 'Мероприятие', 'Форма представления результата', 'Срок', 'Отметка о выполнении'],
		widths: [6, 42, 19, 13, 20],
		rows: acts.map((a, i) => [
			`${f.si + 1}.${i + 1}`,
			a.title,
			labelOf(RESULT_FORM_LABELS, a.resultForm ?? f.stage.resultForm ?? 'other'),
			ruDate(a.deadline),
			activityMark(a)
		])
	};
}

function reportTextBlocks(f: StageFacts, heading: string): Block[] {
	const out: Block[] = [
		{ kind: 'heading', text: heading },
		{ kind: 'para', text: txt(f.report?.report?.text) || 'Текст отчета не представлен.' }
	];
	const r = f.report?.report;
	if (r?.reviewedAt)
		out.push({
			kind: 'para',
			italic: true,
			text: `Решение куратора от ${ruDate(r.reviewedAt)}: ${labelOf(REPORT_STATUS_LABELS, r.status)}. ${txt(r.curatorComment)}`.trim()
		});
	return out;
}

/** Results against the goals: the plan of every stage up to this one, done and not done. */
function planByStages(v: ProgramView, upTo: number, ctx: ProgramDocContext): Block[] {
	const tl = stageTimeline(v);
	const p = progress(v);
	const rows = v.stages.slice(0, upTo + 1).map((s, si) => {
		const b = p.byStage[s.id] ?? { done: 0, total: 0 };
		const overdue = v.activities.filter(
			(a) =>
				a.stageId === s.id &&
				a.status !== 'done' &&
				a.status !== 'cancelled' &&
				a.deadline !== null &&
				a.deadline < ctx.today
		).length;
		const span = tl[si];
		return [
			`${si + 1}. ${stageName(v, si)}`,
			span ? `${ruDate(span.start)} – ${ruDate(span.end)}` : '—',
			String(b.done),
			String(b.total),
			percent(b.done, b.total),
			String(overdue)
		];
	});
	const open = v.activities.filter(
		(a) =>
			a.status !== 'done' &&
			a.status !== 'cancelled' &&
			v.stages.slice(0, upTo + 1).some((s) => s.id === a.stageId)
	);
	const out: Block[] = [
		{
			kind: 'table',
			headers: ['Этап', 'Сроки', 'Выполнено', 'Всего', 'Выполнение', 'Просрочено'],
			widths: [28, 26, 11, 10, 13, 12],
			rows
		}
	];
	if (open.length)
		out.push(
			{ kind: 'para', text: 'Не выполнены мероприятия:' },
			{
				kind: 'table',
				headers: ['Мероприятие', 'Срок', 'Состояние'],
				widths: [60, 18, 22],
				rows: open.map((a) => [a.title, ruDate(a.deadline), activityMark(a)])
			}
		);
	return out;
}

function dynamicsBlocks(v: ProgramView): Block[] {
	const d = menteeDynamics(v);
	if (!d.rows.length)
		return [
			{ kind: 'para', text: 'Самооценка компетенций наставляемого в программе не заполнена.' }
		];
	return [
		{
			kind: 'table',
			headers: ['Наставляемый', 'Компетенция', 'Входная', 'Итоговая', 'Изменение'],
			widths: [24, 36, 13, 13, 14],
			rows: d.rows.map((r) => [
				r.who,
				r.competency,
				r.entry === null ? '—' : String(r.entry),
				r.exit === null ? '—' : String(r.exit),
				r.entry !== null && r.exit !== null ? signed(r.exit - r.entry) : '—'
			])
		}
	];
}

/** Conclusions that are figures read from the program, stated as such. */
function conclusions(v: ProgramView, upTo: number, ctx: ProgramDocContext): string[] {
	const out: string[] = [];
	const stages = v.stages.slice(0, upTo + 1);
	const acts = v.activities.filter(
		(a) => a.status !== 'cancelled' && stages.some((s) => s.id === a.stageId)
	);
	const done = acts.filter((a) => a.status === 'done').length;
	const overdue = acts.filter(
		(a) => a.status !== 'done' && a.deadline !== null && a.deadline < ctx.today
	).length;
	out.push(
		done === acts.length && acts.length > 0
			? `План мероприятий этапов 1–${upTo + 1} выполнен полностью (${done} из ${acts.length}).`
			: `План мероприятий этапов 1–${upTo + 1} выполнен на ${percent(done, acts.length)} (${done} из ${acts.length})${overdue ? `; с истекшим сроком не выполнено: ${overdue}` : ''}.`
	);
	const d = menteeDynamics(v);
	if (d.entryAvg !== null && d.exitAvg !== null)
		out.push(
			`Средняя самооценка компетенций наставляемого: входная ${num(d.entryAvg)}, итоговая ${num(d.exitAvg)} балла (изменение ${signed(d.exitAvg - d.entryAvg)}).`
		);
	else if (d.rows.some((r) => r.entry !== null))
		out.push('Итоговая самооценка наставляемого не заполнена: динамику оценить нельзя.');
	else out.push('Входная самооценка наставляемого не заполнена: динамику оценить нельзя.');
	const stageReports = expectedReports(v).filter(
		(e) => e.kind === 'stage' && stages.some((s) => s.id === e.stageId)
	);
	const accepted = stageReports.filter((e) => e.state === 'accepted').length;
	out.push(`Отчеты по этапам приняты куратором: ${accepted} из ${stageReports.length}.`);
	const mentee = v.feedback.filter((f) => f.role === 'mentee');
	if (mentee.length)
		out.push(
			`Удовлетворенность наставляемого программой: ${num(mentee.reduce((a, f) => a + f.satisfaction, 0) / mentee.length)} из 10.`
		);
	return out;
}

function goalsBlocks(v: ProgramView): Block[] {
	return [
		{ kind: 'para', bold: true, text: 'Цели программы' },
		{ kind: 'para', text: txt(v.diagnosis.texts.goals) || '—' },
		{ kind: 'para', bold: true, text: 'Ожидаемые результаты' },
		{ kind: 'para', text: txt(v.diagnosis.texts.expectedResults) || '—' }
	];
}

const STAGE_DOC_FILE: Record<StageDocumentForm, string> = {
	'info-note': 'Информационная справка',
	'analytic-note': 'Аналитическая справка',
	'analytic-report': 'Аналитический отчет'
};

/**
 * The document due after a stage, of the type the appendix names for that stage: an
 * информационная справка informs (what was done, the meetings, the report), an аналитическая
 * справка analyses (results against the goals, the mentee's self-assessment entry → exit,
 * conclusions), an аналитический отчет adds the whole course of the program (meetings, reports,
 * satisfaction) to the analysis.
 */
export function stageNoteModel(
	v: ProgramView,
	stageId: string,
	ctx: ProgramDocContext
): DocModel | null {
	const si = v.stages.findIndex((s) => s.id === stageId);
	const stage = v.stages[si];
	if (!stage) return null;
	const f: StageFacts = {
		si,
		stage,
		form: stageDocumentForm(stage),
		span: stageTimeline(v)[si],
		report: expectedReports(v).find((e) => e.key === `stage:${stageId}`)
	};
	const type = labelOf(RESULT_FORM_LABELS, f.form);
	const blocks: Block[] = [
		{ kind: 'title', text: type },
		{
			kind: 'subtitle',
			text: `по итогам ${si + 1} этапа «${stageName(v, si)}» персонализированной программы наставничества «${v.meta.title}»`
		},
		header(v, ctx.organizationName)
	];
	if (f.form === 'info-note') {
		blocks.push(
			{ kind: 'heading', text: '1. Сведения об этапе' },
			stageFactsBlock(v, f, ctx),
			{ kind: 'heading', text: '2. Выполнение мероприятий этапа' },
			stageActivitiesTable(v, f)
		);
		const meetings = meetingsIn(v, f.span);
		blocks.push(
			{ kind: 'heading', text: '3. Встречи наставника и наставляемого за этап' },
			meetingsTable(meetings) ?? { kind: 'para', text: 'Встреч за этап не записано.' },
			...reportTextBlocks(f, '4. Результаты этапа (отчет участников)'),
			{ kind: 'heading', text: '5. Приложения: файлы и фотографии этапа' },
			attachmentsBlock(v, stageId)
		);
	} else {
		const report = f.form === 'analytic-report';
		let n = 0;
		const h = (text: string): Block => ({ kind: 'heading', text: `${++n}. ${text}` });
		blocks.push(
			h('Сведения об этапе'),
			stageFactsBlock(v, f, ctx),
			h('Цели и ожидаемые результаты программы'),
			...goalsBlocks(v),
			h('Результаты относительно целей: выполнение плана мероприятий'),
			...planByStages(v, si, ctx),
			h('Динамика самооценки профессиональных компетенций наставляемого'),
			...dynamicsBlocks(v)
		);
		if (report) {
			blocks.push(
				h('Встречи наставника и наставляемого'),
				meetingsTable(v.meetings) ?? { kind: 'para', text: 'Встреч не записано.' },
				h('Отчеты'),
				{
					kind: 'table',
					headers: ['Отчет', 'Срок', 'Состояние'],
					widths: [56, 18, 26],
					rows: expectedReports(v)
						.filter((e) => e.dueDate <= (f.span?.end ?? ctx.today))
						.map((e) => [reportTitle(v, e), ruDate(e.dueDate), reportState(e)])
				},
				h('Удовлетворенность участников'),
				v.feedback.length
					? feedbackTable(v)
					: { kind: 'para', text: 'Анкеты удовлетворенности не заполнены.' }
			);
		}
		blocks.push(
			h('Выводы'),
			...conclusions(v, si, ctx).map((text): Block => ({ kind: 'para', text })),
			...reportTextBlocks(
				f,
				`${++n}. ${report ? 'Анализ, выводы и перспективы участников (текст отчета)' : 'Анализ и выводы участников (текст отчета)'}`
			),
			h('Приложения: файлы и фотографии этапа'),
			attachmentsBlock(v, stageId)
		);
	}
	blocks.push(signatures(v));
	return {
		name: fileName(`${STAGE_DOC_FILE[f.form]} этап ${si + 1}`, v),
		title: `${type} по итогам этапа «${stageName(v, si)}»`,
		blocks
	};
}

// ------------------------------------------------------- the mentor's semi-annual report

/** The days a semi-annual report covers: from the day after the previous due date (or the start) to its own. */
export function halfYearSpan(
	v: ProgramView,
	period: string
): { from: string; to: string; due: string } | null {
	const start = v.meta.startDate;
	const end = programEndDate(v);
	if (!start || !end) return null;
	const all = semiannualDeadlines(start, end);
	const i = all.findIndex((d) => d.period === period);
	const cur = all[i];
	if (!cur) return null;
	const prev = all[i - 1];
	const from = prev ? addDays(prev.dueDate, 1) : start;
	return { from: from < start ? start : from, to: cur.dueDate, due: cur.dueDate };
}

/**
 * The mentor's report by 10 June / 10 December (Tomsk 2024, order p. 3), from the report the
 * mentor writes in the program. Null: the regulation does not ask for it, or no such period.
 */
export function mentorReportModel(
	v: ProgramView,
	period: string,
	ctx: ProgramDocContext
): DocModel | null {
	if (!mentorReportsRequired(v.meta.templateId)) return null;
	const span = halfYearSpan(v, period);
	if (!span) return null;
	const e = expectedReports(v).find((x) => x.key === `mentor:${period}`);
	const inSpan = (d: string | null) => d !== null && d >= span.from && d <= span.to;
	const acts = v.activities.filter(
		(a) => a.status !== 'cancelled' && (inSpan(a.deadline) || inSpan(a.doneAt))
	);
	const meetings = v.meetings.filter((m) => inSpan(m.date));
	const stageReports = expectedReports(v).filter((x) => x.kind === 'stage' && inSpan(x.dueDate));
	const done = acts.filter((a) => a.status === 'done').length;
	const stageOf = (id: string | null) => {
		const si = v.stages.findIndex((s) => s.id === id);
		return si < 0 ? '—' : `${si + 1}. ${stageName(v, si)}`;
	};
	const blocks: Block[] = [
		{ kind: 'title', text: 'Отчет наставника' },
		{
			kind: 'subtitle',
			text: `о реализации персонализированной программы наставничества «${v.meta.title}» за ${halfYearLabel(period)}`
		},
		header(v, ctx.organizationName),
		{
			kind: 'fields',
			rows: [
				['Отчетный период', `${ruDate(span.from)} – ${ruDate(span.to)}`],
				['Срок представления', `до ${formatDateLong(span.due)}`],
				['Состояние отчета', reportState(e)],
				['Дата составления', ruDate(ctx.today)]
			]
		},
		{ kind: 'heading', text: '1. Выполнение плана мероприятий за период' },
		acts.length
			? {
					kind: 'table',
					headers: ['Этап', 'Мероприятие', 'Срок', 'Отметка о выполнении'],
					widths: [20, 46, 14, 20],
					rows: acts.map((a) => [stageOf(a.stageId), a.title, ruDate(a.deadline), activityMark(a)])
				}
			: { kind: 'para', text: 'Мероприятий со сроком в этом периоде нет.' },
		{
			kind: 'para',
			text: `Выполнено мероприятий периода: ${done} из ${acts.length} (${percent(done, acts.length)}).`
		},
		{ kind: 'heading', text: '2. Встречи наставника и наставляемого за период' },
		meetingsTable(meetings) ?? { kind: 'para', text: 'Встреч за период не записано.' },
		{ kind: 'heading', text: '3. Отчеты по этапам со сроком в периоде' },
		stageReports.length
			? {
					kind: 'table',
					headers: ['Отчет', 'Срок', 'Состояние'],
					widths: [56, 18, 26],
					rows: stageReports.map((x) => [reportTitle(v, x), ruDate(x.dueDate), reportState(x)])
				}
			: { kind: 'para', text: 'Отчетов по этапам со сроком в этом периоде нет.' },
		{ kind: 'heading', text: '4. Отчет наставника' },
		{ kind: 'para', text: txt(e?.report?.text) || 'Текст отчета наставником не написан.' }
	];
	const r = e?.report;
	if (r?.reviewedAt)
		blocks.push({
			kind: 'para',
			italic: true,
			text: `Решение куратора от ${ruDate(r.reviewedAt)}: ${labelOf(REPORT_STATUS_LABELS, r.status)}. ${txt(r.curatorComment)}`.trim()
		});
	blocks.push({ kind: 'signatures', lines: [['Наставник', names(v, 'mentor')]] });
	return {
		name: fileName(`Отчет наставника ${halfYearLabel(period)}`, v),
		title: `Отчет наставника за ${halfYearLabel(period)}: ${v.meta.title}`,
		blocks
	};
}
