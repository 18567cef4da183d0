/**
 * Figures for statistical forms and monitoring (DOMAIN.md §3, docs/curator.md «Показатели»), as
 * the forms define them: people counted once per period, pupils apart from pedagogues, young
 * pedagogues by the regulation's definition, growth from the mentee's own self-assessment only,
 * completed programs as completed — each for a date or a period, read from the programs' history
 * (curator_program_history: one row of summary facts per program per day it changed), so a past
 * date shows what was true then and programs that did not exist then are not counted.
 *
 * The one entry point for documents: `figuresAt(db, scope, date)` and `figuresFor(db, scope,
 * period)` (with the previous period, for dynamics). The definitions shown beside each figure
 * are FIGURE_DEFINITIONS (src/lib/shared/figures.ts).
 */
import {
	FORM_SIDES,
	STAFF_KINDS,
	staffKindOf,
	type FigureFacts,
	type StaffKind
} from '../../src/lib/shared/figures.js';
import {
	DEFAULT_TIME_ZONE,
	addDays,
	addMonths,
	daysBetween,
	startOfDay,
	today as todayIn
} from '../../src/lib/shared/time.js';
import type { SqlClient } from '../storage/sql.js';
import { cancelledProgramIds } from './cancelled.js';
import type { Scope } from './dashboard.js';
import type {
	CountRow,
	FigurePeriod,
	Figures,
	PeopleCount
} from '../../src/lib/shared/api/curator.js';

export type { CountRow, FigurePeriod, Figures };

/**
 * Statuses that never count in any figure. The one exclusion filter: a status added later
 * (cancelled, archived) is excluded here and nowhere else.
 */
export const EXCLUDED_STATUSES: ReadonlySet<string> = new Set(['cancelled', 'archived']);
const counted = (f: FigureFacts): boolean => !EXCLUDED_STATUSES.has(f.status);

const r2 = (x: number | null | undefined): number | null =>
	x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 100) / 100;
const pct1 = (part: number, whole: number): number | null =>
	whole ? Math.round((part / whole) * 1000) / 10 : null;
const mean = (xs: number[]): number | null =>
	xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;

function ageOn(birthDate: string, day: string): number {
	const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
	const [y, m, d] = day.split('-').map(Number) as [number, number, number];
	return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

/** The period asked for, made whole: see FigurePeriod. */
export function resolvePeriod(
	period: FigurePeriod,
	today: string
): { from: string; to: string; kind: 'date' | 'period' } {
	const to = period.to ?? today;
	if (!period.from) return { from: to, to, kind: 'date' };
	const from = period.from <= to ? period.from : to;
	return { from, to, kind: 'period' };
}

/**
 * The period of the same length that ends the day before `from` (dynamics): whole months give the
 * same number of months before (a half-year → the previous half-year), else the same days.
 */
export function previousPeriod(period: { from: string; to: string }): { from: string; to: string } {
	const to = addDays(period.from, -1);
	const after = addDays(period.to, 1);
	if (period.from.endsWith('-01') && after.endsWith('-01')) {
		const [fy, fm] = period.from.split('-').map(Number) as [number, number];
		const [ay, am] = after.split('-').map(Number) as [number, number];
		const months = (ay - fy) * 12 + (am - fm);
		return { from: addMonths(period.from, -months), to };
	}
	return { from: addDays(to, -daysBetween(period.from, period.to)), to };
}

/**
 * A program is in force in the period when, on some day of it, it was being carried out
 * (approved, started) or it was completed within the period. Drafts (not yet approved) are not.
 */
function inForce(f: FigureFacts, from: string, to: string): boolean {
	if (f.status === 'active') return !f.startDate || f.startDate <= to;
	if (f.status === 'completed') return !f.completion || f.completion.date >= from;
	return false;
}

interface ProgramHistory {
	programId: string;
	organizationId: string | null;
	/** The state on `to` (the last row on or before it). */
	last: FigureFacts;
	/** The rows from the state on `from` to the state on `to`. */
	rows: FigureFacts[];
}

type HistoryRow = {
	program_id: string;
	organization_id: string | null;
	day: string;
	computed_at: number;
};

/**
 * Parsed facts by history row, per database: a row never changes once written for its
 * (program, day, computed_at), so repeated figures (the screen, the calendar's dates, a document
 * and its previous period) read the narrow columns only and parse nothing again.
 */
const factsCache = new WeakMap<SqlClient, Map<string, FigureFacts>>();
const CACHE_LIMIT = 100_000;
const cacheKey = (r: HistoryRow) => `${r.program_id}\u0000${r.day}\u0000${r.computed_at}`;

/** The rows a query selects, with their facts (from the cache, else read and parsed). */
async function rowsWithFacts(
	db: SqlClient,
	select: (columns: string) => string,
	params: unknown[]
): Promise<Array<HistoryRow & { facts: FigureFacts }>> {
	let cache = factsCache.get(db);
	if (!cache) factsCache.set(db, (cache = new Map()));
	const narrow = await db.all<HistoryRow>(
		select('h.program_id, h.organization_id, h.day, h.computed_at'),
		params
	);
	const missing = narrow.some((r) => !cache.has(cacheKey(r)));
	const rows: Array<HistoryRow & { facts?: string }> = missing
		? await db.all<HistoryRow & { facts: string }>(
				select('h.program_id, h.organization_id, h.day, h.computed_at, h.facts'),
				params
			)
		: narrow;
	const out: Array<HistoryRow & { facts: FigureFacts }> = [];
	for (const r of rows) {
		const key = cacheKey(r);
		let facts = cache.get(key);
		if (!facts) {
			try {
				facts = JSON.parse(r.facts ?? '') as FigureFacts;
			} catch {
				continue;
			}
			if (cache.size >= CACHE_LIMIT)
				for (const k of [...cache.keys()].slice(0, CACHE_LIMIT / 10)) cache.delete(k);
			cache.set(key, facts);
		}
		out.push({ ...r, facts });
	}
	return out;
}

/** Each program's rows from its state on `from` through `to`; programs without a row did not exist. */
async function loadHistory(
	db: SqlClient,
	organizationIds: string[],
	from: string,
	to: string,
	/** `from` is today or later: each program's latest row is the one of its current summary. */
	current = false
): Promise<ProgramHistory[]> {
	if (organizationIds.length === 0) return [];
	const orgs = organizationIds.map(() => '?').join(',');
	// Today: the row of the day of each program's current summary (its index entry's `as_of`), by
	// primary key from the index (CROSS JOIN: SQLite keeps that order) — no scan of the history.
	const opening = current
		? await rowsWithFacts(
				db,
				(c) => `SELECT ${c} FROM curator_program_index i CROSS JOIN curator_program_history h
					WHERE i.organization_id IN (${orgs}) AND h.program_id = i.program_id AND h.day = i.as_of`,
				organizationIds
			)
		: await rowsWithFacts(
				db,
				(c) => `SELECT ${c} FROM curator_program_history h
					JOIN (SELECT program_id, max(day) AS day FROM curator_program_history
						WHERE organization_id IN (${orgs}) AND day <= ? GROUP BY program_id) m
					ON m.program_id = h.program_id AND m.day = h.day`,
				[...organizationIds, from]
			);
	const within =
		to > from
			? await rowsWithFacts(
					db,
					(c) => `SELECT ${c} FROM curator_program_history h
						WHERE h.organization_id IN (${orgs}) AND h.day > ? AND h.day <= ?`,
					[...organizationIds, from, to]
				)
			: [];
	const byProgram = new Map<
		string,
		Array<{ day: string; org: string | null; facts: FigureFacts }>
	>();
	for (const r of [...opening, ...within]) {
		const list = byProgram.get(r.program_id) ?? [];
		list.push({ day: r.day, org: r.organization_id, facts: r.facts });
		byProgram.set(r.program_id, list);
	}
	// records (issue 16): a cancelled program (created by mistake, a duplicate) is neither a failure
	// nor a success, at any date.
	const cancelled = await cancelledProgramIds(db);
	const out: ProgramHistory[] = [];
	for (const [programId, list] of byProgram) {
		if (cancelled.has(programId)) continue;
		list.sort((x, y) => (x.day < y.day ? -1 : x.day > y.day ? 1 : 0));
		const last = list[list.length - 1]!;
		out.push({
			programId,
			organizationId: last.org,
			last: last.facts,
			rows: list.map((x) => x.facts)
		});
	}
	return out;
}

/**
 * Each program of the organizations as it was on `date` (its last history row on or before it),
 * the excluded statuses left out: programs that did not exist then are not in the list.
 */
export async function programsAt(
	db: SqlClient,
	organizationIds: string[],
	date: string
): Promise<Array<{ programId: string; facts: FigureFacts }>> {
	return (await loadHistory(db, organizationIds, date, date))
		.filter((p) => counted(p.last))
		.map((p) => ({ programId: p.programId, facts: p.last }));
}

interface RegistryPerson {
	id: string;
	organization_id: string | null;
	position: string | null;
	staff_kind: string | null;
	birth_date: string | null;
	age_group: string | null;
	minor: number;
	experience_years: number | null;
	active: number;
	created_at: number;
}

/** Figures for the period (or date) asked for, without the previous period. */
export async function computeFigures(
	db: SqlClient,
	scope: Scope,
	options: { now?: number; period?: FigurePeriod } = {}
): Promise<Figures> {
	const zone = scope.timeZone ?? DEFAULT_TIME_ZONE;
	const today = todayIn(zone, options.now ?? Date.now());
	const { from, to, kind } = resolvePeriod(options.period ?? {}, today);
	const ids = scope.organizationIds;
	// The same figures again while nothing they read has changed: every summary write moves its
	// program's computed_at (the history row is written with it), every registry edit a person's
	// updated_at; the sums and counts over the scope change with any of them.
	const version = await scopeVersion(db, ids);
	const key = JSON.stringify([ids, zone, today, from, to, version]);
	let cached = resultCache.get(db);
	if (!cached) resultCache.set(db, (cached = new Map()));
	const hit = cached.get(key);
	if (hit) return structuredClone(hit);
	const result = await compute(db, ids, zone, today, from, to, kind);
	if (cached.size >= 200) cached.delete(cached.keys().next().value as string);
	cached.set(key, structuredClone(result));
	return result;
}

const resultCache = new WeakMap<SqlClient, Map<string, Figures>>();

/** What the figures of a scope read, as a few sums: changes whenever any of it changes. */
async function scopeVersion(db: SqlClient, ids: string[]): Promise<string> {
	if (ids.length === 0) return '';
	const marks = ids.map(() => '?').join(',');
	const programs = await db.get<Record<string, unknown>>(
		`SELECT count(*) AS n, sum(computed_at) AS s FROM curator_program_index WHERE organization_id IN (${marks})`,
		ids
	);
	const people = await db.get<Record<string, unknown>>(
		`SELECT count(*) AS n, sum(updated_at) AS s, sum(active) AS a FROM people WHERE organization_id IN (${marks})`,
		ids
	);
	const links = await db.get<Record<string, unknown>>(
		`SELECT count(*) AS n FROM program_info pi JOIN program_participants pp ON pp.program_id = pi.program_id
			WHERE pi.organization_id IN (${marks})`,
		ids
	);
	const cancellations = await db.get<Record<string, unknown>>(
		`SELECT count(*) AS n, sum(cancelled_at) AS s FROM program_cancellations`
	);
	return [
		programs?.n,
		programs?.s,
		people?.n,
		people?.s,
		people?.a,
		links?.n,
		cancellations?.n,
		cancellations?.s
	]
		.map(String)
		.join(':');
}

async function compute(
	db: SqlClient,
	ids: string[],
	zone: string,
	today: string,
	from: string,
	to: string,
	kind: 'date' | 'period'
): Promise<Figures> {
	const programs = (await loadHistory(db, ids, from, to, from >= today)).filter((p) =>
		counted(p.last)
	);

	// The registry: staff category and age of the people of the scope and of every participant.
	const registry = new Map<string, RegistryPerson>();
	if (ids.length > 0)
		for (const r of await db.all<RegistryPerson>(
			`SELECT id, organization_id, position, staff_kind, birth_date, age_group, minor,
					experience_years, active, created_at
				FROM people WHERE organization_id IN (${ids.map(() => '?').join(',')})`,
			ids
		))
			registry.set(r.id, r);
	// …and the participants from other organizations (a head mentoring another school's head), as
	// the registry links them to the scope's programs now.
	if (ids.length > 0)
		for (const r of await db.all<RegistryPerson>(
			`SELECT p.id, p.organization_id, p.position, p.staff_kind, p.birth_date, p.age_group, p.minor,
					p.experience_years, p.active, p.created_at
				FROM program_info pi
				JOIN program_participants pp ON pp.program_id = pi.program_id
				JOIN people p ON p.id = pp.person_id
				WHERE pi.organization_id IN (${ids.map(() => '?').join(',')})
					AND (p.organization_id IS NULL OR p.organization_id NOT IN (${ids.map(() => '?').join(',')}))`,
			[...ids, ...ids]
		))
			registry.set(r.id, r);

	// Programs in force in the period, with the facts of their last row in it.
	const active: Array<{ p: ProgramHistory; facts: FigureFacts }> = [];
	for (const p of programs)
		for (let i = p.rows.length - 1; i >= 0; i--)
			if (inForce(p.rows[i]!, from, to)) {
				active.push({ p, facts: p.rows[i]! });
				break;
			}

	// People: each counted once, in each role; their category from the registry, else the form.
	const kindOf = new Map<string, StaffKind | 'unknown'>();
	const mentors = new Set<string>();
	const mentees = new Set<string>();
	for (const { p } of active)
		for (const row of p.rows) {
			if (!inForce(row, from, to)) continue;
			const sides = row.form ? FORM_SIDES[row.form] : undefined;
			for (const x of row.participants) {
				(x.role === 'mentor' ? mentors : mentees).add(x.key);
				if (kindOf.get(x.key) && kindOf.get(x.key) !== 'unknown') continue;
				const r = x.registered ? registry.get(x.key) : undefined;
				kindOf.set(
					x.key,
					(r ? staffKindOf(r.staff_kind, r.position) : null) ??
						(sides ? sides[x.role] : null) ??
						'unknown'
				);
			}
		}
	// One pass: mentors and mentees per category.
	const byKind: Record<string, PeopleCount> = {};
	for (const [set, role] of [
		[mentors, 'mentors'],
		[mentees, 'mentees']
	] as const)
		for (const key of set) {
			const k = kindOf.get(key) ?? 'unknown';
			(byKind[k] ??= { mentors: 0, mentees: 0 })[role]++;
		}
	const groupCount = (kinds: Array<StaffKind | 'unknown'>): PeopleCount => ({
		mentors: kinds.reduce((n, k) => n + (byKind[k]?.mentors ?? 0), 0),
		mentees: kinds.reduce((n, k) => n + (byKind[k]?.mentees ?? 0), 0)
	});

	// Groups by form, type, category, template: programs in force and their distinct people.
	const group = (keys: (f: FigureFacts) => Array<string | null>): CountRow[] => {
		const acc = new Map<string, { programs: number; mentors: Set<string>; mentees: Set<string> }>();
		for (const { facts } of active)
			for (const key of new Set(keys(facts).map((k) => k ?? ''))) {
				const g = acc.get(key) ?? { programs: 0, mentors: new Set(), mentees: new Set() };
				g.programs++;
				for (const x of facts.participants)
					(x.role === 'mentor' ? g.mentors : g.mentees).add(x.key);
				acc.set(key, g);
			}
		return [...acc.entries()]
			.map(([key, g]) => ({
				key,
				programs: g.programs,
				mentors: g.mentors.size,
				mentees: g.mentees.size
			}))
			.sort((a, b) => b.programs - a.programs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
	};

	// The state on `to`: every program that existed then.
	const status = (s: string) => programs.filter((p) => p.last.status === s).length;
	const stages = new Map<
		string,
		{ programs: number; mentors: Set<string>; mentees: Set<string> }
	>();
	for (const p of programs) {
		const g = stages.get(p.last.stage) ?? { programs: 0, mentors: new Set(), mentees: new Set() };
		g.programs++;
		for (const x of p.last.participants) (x.role === 'mentor' ? g.mentors : g.mentees).add(x.key);
		stages.set(p.last.stage, g);
	}
	const byReason: Record<string, number> = {};
	let inPeriod = 0;
	for (const p of programs) {
		const c = p.last.status === 'completed' ? p.last.completion : null;
		if (!c) continue;
		byReason[c.reason] = (byReason[c.reason] ?? 0) + 1;
		if (c.date >= from && c.date <= to) inPeriod++;
	}
	const reports = { expected: 0, due: 0, submitted: 0, accepted: 0, returned: 0 };
	for (const p of programs)
		for (const k of Object.keys(reports) as Array<keyof typeof reports>)
			reports[k] += p.last.reports[k] ?? 0;

	// Satisfaction (the feedback surveys of the programs in force).
	let surveys = 0;
	const mentorSat: number[] = [];
	const menteeSat: number[] = [];
	let withFeedback = 0;
	for (const { facts } of active) {
		surveys += facts.feedback.count;
		if (facts.feedback.count > 0) withFeedback++;
		if (facts.feedback.mentorAvg !== null) mentorSat.push(facts.feedback.mentorAvg);
		if (facts.feedback.menteeAvg !== null) menteeSat.push(facts.feedback.menteeAvg);
	}

	// Growth: each mentee's own entry and exit self-assessment (never the mentor's).
	const entries: number[] = [];
	const exits: number[] = [];
	const programsWithBoth = new Set<string>();
	for (const { p, facts } of active)
		for (const m of facts.menteeAssessment ?? [])
			if (m.entry !== null && m.exit !== null) {
				entries.push(m.entry);
				exits.push(m.exit);
				programsWithBoth.add(p.programId);
			}
	const entryAvg = mean(entries);
	const exitAvg = mean(exits);
	const growth = entryAvg !== null && exitAvg !== null ? exitAvg - entryAvg : null;

	// Young pedagogues: pedagogical staff of the scope's registry under 35 on `to`.
	const endOfTo = startOfDay(addDays(to, 1), zone);
	let young = 0;
	let covered = 0;
	let firstYears = 0;
	for (const r of registry.values()) {
		if (!r.organization_id || !ids.includes(r.organization_id)) continue;
		if (!r.active || r.minor || r.created_at >= endOfTo) continue;
		if (staffKindOf(r.staff_kind, r.position) !== 'pedagogue') continue;
		let under35: boolean;
		if (r.birth_date && /^\d{4}-\d{2}-\d{2}$/.test(r.birth_date)) {
			const age = ageOn(r.birth_date, to);
			under35 = age >= 18 && age < 35;
		} else under35 = r.age_group === 'under-35';
		if (!under35) continue;
		young++;
		if (mentees.has(r.id)) {
			covered++;
			if (r.experience_years !== null && r.experience_years <= 3) firstYears++;
		}
	}

	const people = new Set([...mentors, ...mentees]).size;
	return {
		period: { from, to },
		kind,
		programs: {
			total: programs.length,
			draft: status('draft'),
			active: status('active'),
			completed: status('completed'),
			inForce: active.length
		},
		participants: {
			mentors: mentors.size,
			mentees: mentees.size,
			people,
			mentorsPerMentee: mentees.size ? r2(mentors.size / mentees.size) : null,
			menteesPerMentor: mentors.size ? r2(mentees.size / mentors.size) : null,
			pedagogues: groupCount(['pedagogue', 'head']),
			learners: groupCount(['pupil', 'student']),
			others: groupCount(['other', 'unknown']),
			byKind: Object.fromEntries(
				[...STAFF_KINDS, 'unknown'].filter((k) => byKind[k]).map((k) => [k, byKind[k]!])
			)
		},
		byForm: group((f) => [f.form]),
		byType: group((f) => f.types).filter((r) => r.key !== ''),
		byCategory: group((f) => [f.category]),
		byTemplate: group((f) => [f.templateId]),
		byStage: [...stages.entries()]
			.map(([key, g]) => ({
				key,
				programs: g.programs,
				mentors: g.mentors.size,
				mentees: g.mentees.size
			}))
			.sort((a, b) => b.programs - a.programs || (a.key < b.key ? -1 : 1)),
		completed: { total: status('completed'), byReason, inPeriod },
		youngTeachers: {
			inRegistry: young,
			covered,
			sharePercent: pct1(covered, young),
			firstYearsCovered: firstYears
		},
		satisfaction: {
			surveys,
			mentorAvg: r2(mean(mentorSat)),
			menteeAvg: r2(mean(menteeSat)),
			programsWithFeedback: withFeedback
		},
		assessment: {
			programsWithBoth: programsWithBoth.size,
			menteesWithBoth: entries.length,
			entryAvg: r2(entryAvg),
			exitAvg: r2(exitAvg),
			growthAvg: r2(growth),
			growthPercent:
				entryAvg && growth !== null ? Math.round((growth / entryAvg) * 1000) / 10 : null
		},
		reports
	};
}

/** The figures on date `date` (the state then). */
export function figuresAt(
	db: SqlClient,
	scope: Scope,
	date: string,
	now?: number
): Promise<Figures> {
	return computeFigures(db, scope, { period: { to: date }, ...(now !== undefined ? { now } : {}) });
}

/**
 * The figures of a period and, as `previous`, of the period of the same length before it (a
 * date: the state then, and no previous). What documents show as dynamics.
 */
export async function figuresFor(
	db: SqlClient,
	scope: Scope,
	period: FigurePeriod,
	now?: number
): Promise<Figures> {
	const opts = now !== undefined ? { now } : {};
	const current = await computeFigures(db, scope, { ...opts, period });
	if (current.kind !== 'period' || !current.period.from || !current.period.to)
		return { ...current, previous: null };
	const prev = previousPeriod({ from: current.period.from, to: current.period.to });
	return { ...current, previous: await computeFigures(db, scope, { ...opts, period: prev }) };
}
