/**
 * Registry of successful practices (реестр успешных практик, Divnogorsk 2022): a curator marks a
 * successfully completed program (its plan carried out in full: rules.ts canBecomeCase) as a case, with the consent of its mentor and mentee. The case keeps a
 * snapshot of the plan (stages and activities, no personal data) in the shape of a program
 * template, so it can be searched and reused to create a new program.
 */
import { randomBytes } from 'node:crypto';
import {
	canBecomeCase,
	type ProgramTemplate,
	type ProgramView
} from '../../src/lib/shared/program/index.js';
import type { SqlClient } from '../storage/sql.js';
import { fold } from './dashboard.js';
import type { CaseRecord } from '../../src/lib/shared/api/curator.js';

export type { CaseRecord };

interface CaseRow {
	id: string;
	program_id: string;
	organization_id: string | null;
	title: string;
	description: string;
	tags: string;
	template_id: string | null;
	form: string | null;
	category: string | null;
	consent_mentor: number;
	consent_mentee: number;
	consent_note: string | null;
	snapshot: string;
	created_by: string;
	created_at: number;
	withdrawn_at: number | null;
}

const toCase = (r: CaseRow): CaseRecord => ({
	id: r.id,
	programId: r.program_id,
	organizationId: r.organization_id,
	title: r.title,
	description: r.description,
	tags: r.tags ? r.tags.split(',').filter(Boolean) : [],
	templateId: r.template_id,
	form: r.form,
	category: r.category,
	consentMentor: r.consent_mentor === 1,
	consentMentee: r.consent_mentee === 1,
	consentNote: r.consent_note,
	createdBy: r.created_by,
	createdAt: r.created_at,
	withdrawnAt: r.withdrawn_at,
	template: JSON.parse(r.snapshot) as ProgramTemplate
});

/** The plan of a program as a template: stages, months, activities (titles and result forms). */
export function planSnapshot(v: ProgramView, caseId: string, title: string): ProgramTemplate {
	return {
		id: `case-${caseId}`,
		titleRu: title,
		kind: 'blank',
		source: `Реестр успешных практик: программа «${v.meta.title}»`,
		...(v.meta.form ? { form: v.meta.form } : {}),
		types: v.meta.types,
		...(v.meta.menteeCategory ? { menteeCategory: v.meta.menteeCategory } : {}),
		...(v.meta.model ? { model: v.meta.model } : {}),
		durationMonths: v.meta.durationMonths ?? v.stages.reduce((a, s) => a + s.months, 0),
		stages: v.stages.map((s) => ({
			kind: s.kind,
			title: s.title,
			months: s.months,
			...(s.resultForm ? { resultForm: s.resultForm } : {}),
			activities: v.activities
				.filter((a) => a.stageId === s.id && a.status !== 'cancelled')
				.map((a) => ({ title: a.title, ...(a.resultForm ? { resultForm: a.resultForm } : {}) }))
		}))
	};
}

export class CaseError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		readonly messageRu: string
	) {
		super(code);
	}
}

export async function createCase(
	db: SqlClient,
	input: {
		view: ProgramView;
		programId: string;
		organizationId: string | null;
		title?: string;
		description: string;
		tags: string[];
		consentMentor: boolean;
		consentMentee: boolean;
		consentNote?: string | null;
		createdBy: string;
		now: number;
	}
): Promise<CaseRecord> {
	const v = input.view;
	const rule = canBecomeCase(v);
	if (!rule.ok) throw new CaseError(409, rule.reason.replace(/-/g, '_'), rule.messageRu);
	const hasMentor = v.participants.some((p) => p.role === 'mentor');
	const hasMentee = v.participants.some((p) => p.role === 'mentee');
	if ((hasMentor && !input.consentMentor) || (hasMentee && !input.consentMentee))
		throw new CaseError(
			409,
			'no_consent',
			'Нужно согласие наставника и наставляемого на включение практики в реестр.'
		);
	const existing = await db.get<{ id: string }>(
		'SELECT id FROM curator_cases WHERE program_id = ? AND withdrawn_at IS NULL',
		[input.programId]
	);
	if (existing)
		throw new CaseError(409, 'exists', 'Программа уже внесена в реестр успешных практик.');
	const id = randomBytes(9).toString('base64url');
	const title = (input.title?.trim() || v.meta.title).slice(0, 300);
	const snapshot = planSnapshot(v, id, title);
	await db.run('DELETE FROM curator_cases WHERE program_id = ? AND withdrawn_at IS NOT NULL', [
		input.programId
	]);
	await db.run(
		`INSERT INTO curator_cases (id, program_id, organization_id, title, description, tags, template_id, form, category,
			consent_mentor, consent_mentee, consent_note, snapshot, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		[
			id,
			input.programId,
			input.organizationId,
			title,
			input.description.slice(0, 5000),
			input.tags
				.map((t) => t.trim().replace(/,/g, ' '))
				.filter(Boolean)
				.slice(0, 20)
				.join(','),
			v.meta.templateId,
			v.meta.form,
			v.meta.menteeCategory,
			input.consentMentor ? 1 : 0,
			input.consentMentee ? 1 : 0,
			input.consentNote ?? null,
			JSON.stringify(snapshot),
			input.createdBy,
			input.now
		]
	);
	return (await getCase(db, id)) as CaseRecord;
}

export async function getCase(db: SqlClient, id: string): Promise<CaseRecord | null> {
	const r = await db.get<CaseRow>('SELECT * FROM curator_cases WHERE id = ?', [id]);
	return r ? toCase(r) : null;
}

/** Cases visible in the scope (organizations), searchable by words in title, description, tags and activities. */
export async function listCases(
	db: SqlClient,
	organizationIds: string[] | null,
	filter: { q?: string; form?: string; category?: string } = {}
): Promise<CaseRecord[]> {
	const where = ['withdrawn_at IS NULL'];
	const params: unknown[] = [];
	if (organizationIds) {
		where.push(
			organizationIds.length
				? `organization_id IN (${organizationIds.map(() => '?').join(',')})`
				: '1 = 0'
		);
		params.push(...organizationIds);
	}
	if (filter.form) {
		where.push('form = ?');
		params.push(filter.form);
	}
	if (filter.category) {
		where.push('category = ?');
		params.push(filter.category);
	}
	const rows = (
		await db.all<CaseRow>(
			`SELECT * FROM curator_cases WHERE ${where.join(' AND ')} ORDER BY created_at DESC`,
			params
		)
	).map(toCase);
	const words = filter.q ? fold(filter.q).split(/\s+/).filter(Boolean) : [];
	if (!words.length) return rows;
	return rows.filter((c) => {
		const hay = fold(
			[
				c.title,
				c.description,
				c.tags.join(' '),
				...c.template.stages.flatMap((s) => [s.title, ...s.activities.map((a) => a.title)])
			].join(' ')
		);
		return words.every((w) => hay.includes(w));
	});
}

export async function withdrawCase(db: SqlClient, id: string, now: number): Promise<boolean> {
	return (
		(await db.run(
			'UPDATE curator_cases SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL',
			[now, id]
		)) > 0
	);
}
