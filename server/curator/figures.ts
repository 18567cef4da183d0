/**
 * Figures for statistical forms and monitoring (DOMAIN.md §3): participants by form, type and
 * category; mentors per mentee; young teachers (under 35) covered; completed programs; average
 * satisfaction from the feedback surveys; growth between the entry and exit self-assessments.
 * All from the curator index (summaries) plus the people registry for ages — no document is read.
 */
import { DEFAULT_TIME_ZONE, today as todayIn } from '../../src/lib/shared/time.js';
import type { SqlClient } from '../storage/sql.js';
import { notCancelled } from './cancelled.js';
import type { Scope } from './dashboard.js';
import type { CountRow, FigurePeriod, Figures } from '../../src/lib/shared/api/curator.js';

export type { CountRow, FigurePeriod, Figures };

const r2 = (x: number | null | undefined): number | null =>
	x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 100) / 100;

function ageOn(birthDate: string, day: string): number {
	const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
	const [y, m, d] = day.split('-').map(Number) as [number, number, number];
	return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

const countIf = (cond: string) => `coalesce(sum(CASE WHEN ${cond} THEN 1 ELSE 0 END), 0)`;

export async function computeFigures(
	db: SqlClient,
	scope: Scope,
	options: { now?: number; period?: FigurePeriod } = {}
): Promise<Figures> {
	const now = options.now ?? Date.now();
	const today = todayIn(scope.timeZone ?? DEFAULT_TIME_ZONE, now);
	const from = options.period?.from ?? null;
	const to = options.period?.to ?? null;
	const ids = scope.organizationIds;
	const where: string[] = [
		ids.length ? `i.organization_id IN (${ids.map(() => '?').join(',')})` : '1 = 0'
	];
	const params: unknown[] = [...ids];
	// records (issue 16): cancelled programs are neither failures nor successes.
	where.push(notCancelled('i.program_id'));
	if (to) {
		where.push('(i.start_date IS NULL OR i.start_date <= ?)');
		params.push(to);
	}
	if (from) {
		where.push(
			'(coalesce(i.completion_date, i.end_date) IS NULL OR coalesce(i.completion_date, i.end_date) >= ?)'
		);
		params.push(from);
	}
	const w = where.join(' AND ');

	const totals = (await db.get<Record<string, number>>(
		`SELECT count(*) AS total,
				${countIf("i.status = 'draft'")} AS draft,
				${countIf("i.status = 'active'")} AS active,
				${countIf("i.status = 'completed'")} AS completed,
				coalesce(sum(i.mentors), 0) AS mentors,
				coalesce(sum(i.mentees), 0) AS mentees,
				coalesce(sum(i.reports_expected), 0) AS expected,
				coalesce(sum(i.reports_due), 0) AS due,
				coalesce(sum(i.reports_submitted), 0) AS submitted,
				coalesce(sum(i.reports_accepted), 0) AS accepted,
				coalesce(sum(i.reports_returned), 0) AS returned,
				${countIf('i.completion_date IS NOT NULL AND (CAST(? AS TEXT) IS NULL OR i.completion_date >= ?) AND (CAST(? AS TEXT) IS NULL OR i.completion_date <= ?)')} AS "completedInPeriod"
			FROM curator_program_index i WHERE ${w}`,
		[from, from, to, to, ...params]
	)) as Record<string, number>;

	const group = async (expr: string, fromClause = 'curator_program_index i'): Promise<CountRow[]> =>
		(
			await db.all<{ key: string | null } & Omit<CountRow, 'key'>>(
				`SELECT ${expr} AS key, count(*) AS programs, coalesce(sum(i.mentors), 0) AS mentors,
						coalesce(sum(i.mentees), 0) AS mentees
					FROM ${fromClause} WHERE ${w} GROUP BY 1 ORDER BY programs DESC, key`,
				params
			)
		).map((r) => ({ ...r, key: r.key ?? '' }));

	const byReason: Record<string, number> = {};
	for (const r of await db.all<{ k: string; n: number }>(
		`SELECT i.completion_reason AS k, count(*) AS n FROM curator_program_index i
			WHERE ${w} AND i.completion_reason IS NOT NULL GROUP BY 1`,
		params
	))
		byReason[r.k] = r.n;

	const fb = (await db.get<{
		surveys: number;
		mentorAvg: number | null;
		menteeAvg: number | null;
		programsWithFeedback: number;
	}>(
		`SELECT coalesce(sum(i.feedback_count), 0) AS surveys,
				avg(i.mentor_avg) AS "mentorAvg", avg(i.mentee_avg) AS "menteeAvg",
				${countIf('i.feedback_count > 0')} AS "programsWithFeedback"
			FROM curator_program_index i WHERE ${w}`,
		params
	)) as {
		surveys: number;
		mentorAvg: number | null;
		menteeAvg: number | null;
		programsWithFeedback: number;
	};

	const as = (await db.get<{
		n: number;
		entryAvg: number | null;
		exitAvg: number | null;
		growth: number | null;
	}>(
		`SELECT count(*) AS n, avg(i.entry_avg) AS "entryAvg", avg(i.exit_avg) AS "exitAvg",
				avg(i.exit_avg - i.entry_avg) AS growth
			FROM curator_program_index i WHERE ${w} AND i.entry_avg IS NOT NULL AND i.exit_avg IS NOT NULL`,
		params
	)) as { n: number; entryAvg: number | null; exitAvg: number | null; growth: number | null };

	// Young teachers: adults under 35 in the registry of the scope, and those who are mentees.
	const people = ids.length
		? await db.all<{
				id: string;
				birth_date: string | null;
				age_group: string | null;
				minor: number;
				experience_years: number | null;
				covered: number | boolean;
			}>(
				`SELECT p.id, p.birth_date, p.age_group, p.minor, p.experience_years,
						EXISTS (SELECT 1 FROM program_participants pp JOIN curator_program_index i ON i.program_id = pp.program_id
							WHERE pp.person_id = p.id AND pp.role = 'mentee' AND ${w}) AS covered
					FROM people p WHERE p.active = 1 AND p.organization_id IN (${ids.map(() => '?').join(',')})`,
				[...params, ...ids]
			)
		: [];
	let young = 0;
	let covered = 0;
	let firstYears = 0;
	for (const p of people) {
		if (p.minor) continue;
		let under35: boolean;
		if (p.birth_date && /^\d{4}-\d{2}-\d{2}$/.test(p.birth_date)) {
			const age = ageOn(p.birth_date, today);
			under35 = age >= 18 && age < 35;
		} else under35 = p.age_group === 'under-35';
		if (!under35) continue;
		young++;
		if (p.covered) {
			covered++;
			if (p.experience_years !== null && p.experience_years <= 3) firstYears++;
		}
	}

	const mentors = totals.mentors ?? 0;
	const mentees = totals.mentees ?? 0;
	return {
		period: { from, to },
		programs: {
			total: totals.total ?? 0,
			draft: totals.draft ?? 0,
			active: totals.active ?? 0,
			completed: totals.completed ?? 0
		},
		participants: {
			mentors,
			mentees,
			mentorsPerMentee: mentees ? r2(mentors / mentees) : null,
			menteesPerMentor: mentors ? r2(mentees / mentors) : null
		},
		byForm: await group('i.form'),
		byType: (db.dialect === 'postgres'
			? await group(
					'j.value',
					"curator_program_index i, unnest(string_to_array(trim(both ',' from i.types), ',')) AS j(value)"
				)
			: await group(
					'j.value',
					"curator_program_index i, json_each('[\"' || replace(trim(i.types, ','), ',', '\",\"') || '\"]') j"
				)
		).filter((r) => r.key !== ''),
		byCategory: await group('i.category'),
		byTemplate: await group('i.template_id'),
		byStage: await group(
			"CASE WHEN i.stage_phase = 'in-progress' THEN coalesce(i.stage_kind, 'custom') ELSE i.stage_phase END"
		),
		completed: { total: totals.completed ?? 0, byReason, inPeriod: totals.completedInPeriod ?? 0 },
		youngTeachers: {
			inRegistry: young,
			covered,
			sharePercent: young ? Math.round((covered / young) * 1000) / 10 : null,
			firstYearsCovered: firstYears
		},
		satisfaction: {
			surveys: fb.surveys,
			mentorAvg: r2(fb.mentorAvg),
			menteeAvg: r2(fb.menteeAvg),
			programsWithFeedback: fb.programsWithFeedback
		},
		assessment: {
			programsWithBoth: as.n,
			entryAvg: r2(as.entryAvg),
			exitAvg: r2(as.exitAvg),
			growthAvg: r2(as.growth),
			growthPercent:
				as.entryAvg && as.growth !== null ? Math.round((as.growth / as.entryAvg) * 1000) / 10 : null
		},
		reports: {
			expected: totals.expected ?? 0,
			due: totals.due ?? 0,
			submitted: totals.submitted ?? 0,
			accepted: totals.accepted ?? 0,
			returned: totals.returned ?? 0
		}
	};
}
