// Creating a program from a template: the whole skeleton (meta, stages, activities with computed
// deadlines, participants, every free-text field) is written by one person in one transaction.
// Creating nested Y.Text/Y.Map up front matters: if two replicas created the same nested type
// lazily under the same key, one of them would be discarded together with what was typed into it.
import * as Y from 'yjs';
import { addDays, addMonths, stampOf } from './dates';
import {
	FORM_LABELS,
	MENTEE_CATEGORY_LABELS,
	TYPE_LABELS,
	type MenteeCategory,
	type MentoringForm,
	type MentoringType,
	type ParticipantRole
} from './labels';
import { LEARNER_FORMS, isLearnerForm } from './audience';
import { initialKeys } from './order';
import {
	ACTIVITY,
	DIAGNOSIS_FIELDS,
	ITEM,
	META,
	PARTICIPANT,
	SCHEMA_VERSION,
	STAGE,
	diagnosisText,
	randomId,
	root,
	userOrigin,
	type Actor
} from './schema';
import { ANY_TERM, type ProgramTemplate, type ProgramTerm } from './templates/types';
import { DEFAULT_TIME_ZONE, MONTHS, TIME_ZONE_ERROR_RU, countOf, isTimeZone } from '../time';
import {
	ProgramValidationError,
	LIMITS,
	checkDate,
	checkEnum,
	checkId,
	checkText,
	forbidden,
	invalidState
} from './validate';

export interface CreateProgramOptions {
	programId?: string;
	/** Default: the template's title. */
	title?: string;
	organization?: string;
	startDate: string;
	/** Default: the template's duration. */
	durationMonths?: number;
	form?: MentoringForm;
	types?: MentoringType[];
	menteeCategory?: MenteeCategory;
	participants?: Array<{ role: ParticipantRole; name: string; userId?: string }>;
	/** IANA zone of the organization ('Asia/Vladivostok'); default Europe/Moscow. */
	timeZone?: string;
	clock?: () => Date;
	newId?: () => string;
}

export function createProgram(
	doc: Y.Doc,
	actor: Actor,
	template: ProgramTemplate,
	opts: CreateProgramOptions
): { programId: string } {
	checkId('userId', actor.userId);
	if (actor.role === 'head') throw forbidden('createProgram');
	const newId = opts.newId ?? randomId;
	const programId = opts.programId === undefined ? newId() : checkId('programId', opts.programId);
	const startDate = checkDate('startDate', opts.startDate);
	const title = checkText('title', opts.title ?? template.titleRu, LIMITS.title);
	const organization = checkText('organization', opts.organization ?? '', LIMITS.title, {
		allowEmpty: true
	});
	const duration = checkTerm(template, opts.durationMonths ?? template.durationMonths);
	const form = opts.form ?? template.form;
	if (form !== undefined) checkEnum('form', FORM_LABELS, form);
	// A learner's program takes a learner form, and its mentee (pupil or student) follows the form.
	const learner = template.kind === 'learner';
	if (learner && !isLearnerForm(form)) throw learnerFormError();
	const types = [
		...new Set((opts.types ?? template.types).map((t) => checkEnum('types', TYPE_LABELS, t)))
	];
	const cat =
		opts.menteeCategory ??
		(learner && form ? LEARNER_FORMS[form] : undefined) ??
		template.menteeCategory;
	if (cat !== undefined) checkEnum('menteeCategory', MENTEE_CATEGORY_LABELS, cat);
	const people = (opts.participants ?? []).map((p) => ({
		role: checkEnum('role', { mentor: '', mentee: '', curator: '' }, p.role),
		name: checkText('name', p.name, LIMITS.name),
		userId: p.userId === undefined ? undefined : checkId('userId', p.userId)
	}));
	const timeZone = opts.timeZone ?? DEFAULT_TIME_ZONE;
	if (!isTimeZone(timeZone))
		throw new ProgramValidationError(
			'invalid-enum',
			'timeZone',
			'timeZone: unknown time zone',
			TIME_ZONE_ERROR_RU
		);
	const stamp = stampOf((opts.clock ?? (() => new Date()))());
	const r = root(doc);
	if (r.meta.get(META.programId) !== undefined)
		throw invalidState('programId', 'document already holds a program', 'Программа уже создана.');

	const stamps = {
		[ITEM.createdBy]: actor.userId,
		[ITEM.createdAt]: stamp,
		[ITEM.updatedBy]: actor.userId,
		[ITEM.updatedAt]: stamp
	};
	doc.transact(() => {
		const meta: Array<[string, unknown]> = [
			[META.schemaVersion, SCHEMA_VERSION],
			[META.programId, programId],
			[META.templateId, template.id],
			[META.title, title],
			[META.organization, organization],
			[META.types, types],
			[META.model, template.model ?? ''],
			[META.startDate, startDate],
			[META.durationMonths, duration],
			[META.status, 'draft'],
			[META.createdBy, actor.userId],
			[META.createdAt, stamp],
			[META.timeZone, timeZone]
		];
		if (form) meta.push([META.form, form]);
		if (cat) meta.push([META.menteeCategory, cat]);
		for (const [k, v] of meta) r.meta.set(k, v);

		r.participants.push(
			people.map(
				(p) =>
					new Y.Map<unknown>(
						Object.entries({
							[ITEM.id]: newId(),
							[PARTICIPANT.role]: p.role,
							[PARTICIPANT.name]: p.name,
							...(p.userId ? { [PARTICIPANT.userId]: p.userId } : {}),
							...stamps
						})
					)
			)
		);

		const stageKeys = initialKeys(template.stages.length);
		const months = fitStageMonths(
			template.stages.map((st) => st.months),
			duration
		);
		let cum = 0;
		template.stages.forEach((st, si) => {
			const stageId = newId();
			cum += months[si] ?? 0;
			const end = addDays(addMonths(startDate, cum), -1);
			r.stages.push([
				new Y.Map<unknown>(
					Object.entries({
						[ITEM.id]: stageId,
						[STAGE.kind]: st.kind,
						[STAGE.title]: st.title,
						[STAGE.months]: months[si] ?? 0,
						[STAGE.order]: stageKeys[si],
						...(st.resultForm ? { [STAGE.resultForm]: st.resultForm } : {}),
						...stamps
					})
				)
			]);
			const keys = initialKeys(st.activities.length);
			r.activities.push(
				st.activities.map((a, ai) => {
					const rf = a.resultForm ?? st.resultForm;
					return new Y.Map<unknown>(
						Object.entries({
							[ITEM.id]: newId(),
							[ACTIVITY.stageId]: stageId,
							[ACTIVITY.order]: keys[ai],
							[ACTIVITY.title]: a.title,
							...(rf ? { [ACTIVITY.resultForm]: rf } : {}),
							[ACTIVITY.deadline]: end,
							[ACTIVITY.responsible]: '',
							[ACTIVITY.status]: 'planned',
							[ACTIVITY.notes]: new Y.Text(),
							...stamps
						})
					);
				})
			);
		});
		// Top-level texts exist by name on every replica; touching them here only makes the
		// layout explicit for readers that list doc.share.
		for (const f of DIAGNOSIS_FIELDS) diagnosisText(doc, f);
	}, userOrigin(actor.userId));
	return { programId };
}

/** A learner's program (template `learner`) with a pedagogue's form. */
export function learnerFormError(): ProgramValidationError {
	return new ProgramValidationError(
		'invalid-enum',
		'form',
		'form: a learner program takes a learner form',
		`Для программы обучающегося выберите форму наставничества обучающихся: ${Object.keys(
			LEARNER_FORMS
		)
			.map((f) => `«${FORM_LABELS[f as MentoringForm]}»`)
			.join(', ')}.`
	);
}

/** «24 месяца», «от 3 до 12 месяцев»: the term as the regulation states it. */
export function termText(term: ProgramTerm): string {
	return term.minMonths === term.maxMonths
		? countOf(term.minMonths, MONTHS)
		: `от ${term.minMonths} до ${countOf(term.maxMonths, MONTHS_GENITIVE)}`;
}
const MONTHS_GENITIVE = { one: 'месяца', few: 'месяцев', many: 'месяцев' };

/**
 * The term chosen at creation must be one the template's regulation allows (Surgut 2022 §1.3.7:
 * 3 months to a year; Tomsk 2024 §1.2.6: 24 months); a longer stay is an extension (§7.2), decided
 * later on a petition, never a longer term at creation.
 */
export function checkTerm(template: Pick<ProgramTemplate, 'term'>, months: unknown): number {
	const term = template.term ?? ANY_TERM;
	if (
		typeof months !== 'number' ||
		!Number.isInteger(months) ||
		months < term.minMonths ||
		months > term.maxMonths
	)
		throw new ProgramValidationError(
			'invalid-number',
			'durationMonths',
			`durationMonths: expected an integer in ${term.minMonths}..${term.maxMonths}`,
			term.basis
				? `Срок реализации программы по этому шаблону — ${termText(term)} (${term.basis}).`
				: `Срок реализации программы — ${termText(term)}.`
		);
	return months;
}

/**
 * Stage lengths for a program shorter than its template's stages (a Surgut teacher program runs
 * 3 months to a year): scaled down proportionally, each stage at least a month while the duration
 * allows, largest remainders first. Longer programs keep the template's lengths (Tomsk: 15 months
 * of stages in a 24-month program).
 */
export function fitStageMonths(months: number[], duration: number): number[] {
	const sum = months.reduce((a, b) => a + b, 0);
	if (sum <= duration) return [...months];
	const min = months.map((m) => (m > 0 && duration >= months.length ? 1 : 0));
	const ideal = months.map((m) => (m / sum) * duration);
	const out = ideal.map((x, i) => Math.max(min[i] ?? 0, Math.floor(x)));
	let total = out.reduce((a, b) => a + b, 0);
	// Too long because of the one-month minimums: shorten the longest stages.
	while (total > duration) {
		let j = 0;
		out.forEach((m, i) => {
			if (m - (min[i] ?? 0) > (out[j] ?? 0) - (min[j] ?? 0)) j = i;
		});
		out[j] = (out[j] ?? 0) - 1;
		total--;
	}
	// Too short because of rounding down: largest remainders first.
	const order = ideal
		.map((x, i) => ({ i, r: x - Math.floor(x) }))
		.sort((a, b) => b.r - a.r || a.i - b.i);
	for (let k = 0; total < duration; k = (k + 1) % order.length, total++) {
		const i = order[k]!.i;
		out[i] = (out[i] ?? 0) + 1;
	}
	return out;
}
