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
import { byRussian } from '../../src/lib/shared/names.js';
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
import {
	F,
	MENTEE,
	NONE,
	REGISTERED,
	dayNumber,
	fingerprintSql,
	historyOf,
	toFingerprint,
	type FactsBrief,
	type Fingerprint,
	type HistoryProjection,
	type Marks,
	Slot,
	type OrgLayout,
	type ProgramEntry
} from './history-projection.js';
import type { Scope } from './dashboard.js';
import type {
	CountRow,
	FigurePeriod,
	Figures,
	OwnGroupings,
	PeopleCount,
	PreviousFigures,
	ProgramCount,
	ScopeDocFigures
} from '../../src/lib/shared/api/curator.js';

export type { CountRow, FigurePeriod, Figures, PreviousFigures, ProgramCount, ScopeDocFigures };

/**
 * Statuses that never count in any figure. The one exclusion filter: a status added later
 * (cancelled, archived) is excluded here and nowhere else.
 */
export const EXCLUDED_STATUSES: ReadonlySet<string> = new Set(['cancelled', 'archived']);

const r2 = (x: number | null | undefined): number | null =>
	x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 100) / 100;
const pct1 = (part: number, whole: number): number | null =>
	whole ? Math.round((part / whole) * 1000) / 10 : null;
/**
 * Values summed in order, for their mean: a region's 100,000 scores are added up as they are
 * read, not collected into arrays first (garbage a report then had to collect).
 */
class Sum {
	n = 0;
	total = 0;
	add(x: number): void {
		this.n++;
		this.total += x;
	}
	mean(): number | null {
		return this.n ? this.total / this.n : null;
	}
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
 * The `n` programs of a scope with their rows for a period (from each one's state on `from`
 * through `to`), flat: program i's row numbers are rows[start[i]] … rows[start[i + 1] - 1], by
 * day, the last its state on `to`. Typed arrays sized once for a region, not arrays grown by
 * 700,000 pushes (what the collector then spent a quarter of a figure on). `programs`: the
 * programs themselves, when asked for.
 */
interface ScopeRows {
	n: number;
	start: Int32Array;
	rows: Int32Array;
	programs: ProgramEntry[] | null;
	/** With `programs`: each one's index row's organization (its number in the history; NONE: none). */
	indexOrgs: Int32Array | null;
	/** The scope's organizations in the order scanned, and where each one's programs end. */
	segments: Segments;
}

/**
 * The organizations of a scan, each once, in order: organization j's programs are those from
 * ends[j − 1] (0 for the first) to ends[j] − 1. `pure[j]` (OrgLayout.pure): they are just what
 * that organization's own scan reads.
 */
interface Segments {
	orgs: string[];
	ends: Int32Array;
	pure: Uint8Array;
}

const NO_SEGMENTS: Segments = { orgs: [], ends: new Int32Array(0), pure: new Uint8Array(0) };

/** The layout of an organization with no program held. */
const NO_PROGRAMS: OrgLayout = {
	programs: [],
	nums: new Int32Array(0),
	indexOrgs: new Int32Array(0),
	start: new Int32Array(1),
	rows: new Int32Array(0),
	pure: true
};

/** Program i's last row (its state on `to`). */
const lastRow = (s: ScopeRows, i: number): number => s.rows[s.start[i + 1]! - 1]!;

/** Each program's last row. */
function lastRows(h: HistoryProjection, s: ScopeRows): Int32Array {
	const out = h.buffer(Slot.last, s.n);
	for (let i = 0; i < s.n; i++) out[i] = lastRow(s, i);
	return first(out, s.n);
}

/** The first `n` values of a typed array (a view, not a copy). */
const first = (a: Int32Array, n: number): Int32Array => a.subarray(0, n);

/** What one computation reads of the held history, with the period's comparisons made once. */
class PeriodView {
	readonly active: number;
	readonly completed: number;
	private readonly planCompleted: number;
	private readonly excluded: Set<number>;
	/** Per date of the facts (interned text): on or before `to`, on or after `from`. */
	private readonly beforeTo: Uint8Array;
	private readonly afterFrom: Uint8Array;
	private readonly status: Int32Array;
	private readonly start: Int32Array;
	private readonly reason: Int32Array;
	private readonly completion: Int32Array;
	private readonly due: Int32Array;

	constructor(h: HistoryProjection, from: string, to: string) {
		const word = (w: string) => h.words.find(w) ?? -2;
		this.active = word('active');
		this.completed = word('completed');
		this.planCompleted = word('plan-completed');
		this.excluded = new Set([...EXCLUDED_STATUSES].map(word));
		// The columns read per row (one computation runs without awaiting: they stay these arrays).
		this.status = h.cols[F.status]!;
		this.start = h.cols[F.start]!;
		this.reason = h.cols[F.reason]!;
		this.completion = h.cols[F.completion]!;
		this.due = h.cols[F.due]!;
		const dates = h.dates.values;
		this.beforeTo = new Uint8Array(dates.length);
		this.afterFrom = new Uint8Array(dates.length);
		for (let i = 0; i < dates.length; i++) {
			this.beforeTo[i] = dates[i]! <= to ? 1 : 0;
			this.afterFrom[i] = dates[i]! >= from ? 1 : 0;
		}
	}

	counted(row: number): boolean {
		return !this.excluded.has(this.status[row]!);
	}

	/**
	 * A program is in force in the period when, on some day of it, it was being carried out
	 * (approved, started) or it was completed within the period. Drafts (not yet approved) are not.
	 */
	inForce(row: number): boolean {
		const status = this.status[row]!;
		if (status === this.active) {
			const start = this.start[row]!;
			return start === NONE || this.beforeTo[start] === 1;
		}
		if (status === this.completed) {
			if (this.reason[row] === NONE) return true;
			const date = this.completion[row]!;
			return date === NONE || this.afterFrom[date] === 1;
		}
		return false;
	}

	/**
	 * Whether a document for the period lists the program by its row (on the period's last day):
	 * carried out in the period (active, started by its end) or completed in it (a completion
	 * without a reason: whenever); `attentionOnly`: of those, the ones with reports due or
	 * terminated early within the period (what scope-docs' attention table shows).
	 */
	listed(row: number, attentionOnly: boolean): boolean {
		const reason = this.reason[row]!;
		const date = this.completion[row]!;
		// In force, but for a completion with a reason and no date (a list does not place it).
		const carriedOut =
			this.inForce(row) &&
			!(this.status[row] === this.completed && reason !== NONE && date === NONE);
		if (!carriedOut || !attentionOnly) return carriedOut;
		return (
			this.due[row]! > 0 ||
			(reason !== NONE && reason !== this.planCompleted && this.dateFrom(date) && this.dateTo(date))
		);
	}

	/** The period's date on or after `from` (a date of the facts, by its number). */
	dateFrom(date: number): boolean {
		return date !== NONE && this.afterFrom[date] === 1;
	}
	dateTo(date: number): boolean {
		return date !== NONE && this.beforeTo[date] === 1;
	}
}

/**
 * Each program of the organizations with its rows from its state on `from` (its last row on or
 * before it) through `to`, the rows of those organizations only; programs without a row did not
 * exist. `current` (`from` is today or later): each program's latest row is its current summary's.
 */
function programRows(
	h: HistoryProjection,
	organizationIds: string[],
	from: string,
	to: string,
	current: boolean,
	cancelled: Set<string>,
	/** Only the programs whose state on `to` counts. */
	view: PeriodView,
	withPrograms = false
): ScopeRows {
	// The organizations by their number in the held history (a row's org: NONE is never in it).
	const scopeOrgs = organizationIds.map((o) => h.orgs.id(o));
	const inScope = new Uint8Array(h.orgs.size);
	for (const id of scopeOrgs) inScope[id] = 1;
	// records (issue 16): a cancelled program (created by mistake, a duplicate) is neither a
	// failure nor a success, at any date. By program number (few: mistakes and duplicates).
	const cancelledNums = new Set<number>();
	for (const id of cancelled) {
		const p = h.programs.get(id);
		if (p) cancelledNums.add(p.num);
	}
	const fromDay = dayNumber(from);
	const toDay = dayNumber(to);
	const dayCol = h.cols[F.day]!;
	const orgCol = h.cols[F.org]!;
	// Each organization's layout, by segment.
	const orgs = [...new Set(organizationIds)];
	const layouts = orgs.map((org) => h.layoutOf(org) ?? NO_PROGRAMS);
	const segments: Segments = {
		orgs,
		ends: new Int32Array(orgs.length),
		pure: Uint8Array.from(layouts, (layout) => (layout.pure ? 1 : 0))
	};
	let heldRows = 0;
	let heldPrograms = 0;
	for (const layout of layouts) {
		heldRows += layout.rows.length;
		heldPrograms += layout.nums.length;
	}
	const rows = h.buffer(Slot.rows, heldRows);
	const starts = h.buffer(Slot.starts, heldPrograms + 1);
	starts[0] = 0;
	const programs: ProgramEntry[] | null = withPrograms ? [] : null;
	const programOrgs = withPrograms ? new Int32Array(heldPrograms) : null;
	let n = 0;
	let len = 0;
	const { visit, visited } = h.nextVisit();
	for (const [j, layout] of layouts.entries()) {
		const { nums, indexOrgs, start, rows: held } = layout;
		for (let i = 0; i < nums.length; i++) {
			const num = nums[i]!;
			if (visited[num] === visit) continue;
			visited[num] = visit;
			const a = start[i]!;
			const b = start[i + 1]!;
			if (a === b || (cancelledNums.size > 0 && cancelledNums.has(num))) continue;
			const begin = len;
			// The held rows are by day: each loop stops where its days end.
			if (current) {
				const indexOrg = indexOrgs[i]!;
				const opening = indexOrg !== NONE && inScope[indexOrg] === 1 ? held[b - 1]! : NONE;
				if (opening !== NONE) rows[len++] = opening;
				for (let k = b - 1; k >= a; k--) {
					const r = held[k]!;
					const day = dayCol[r]!;
					if (day <= fromDay) break;
					if (day <= toDay && r !== opening && inScope[orgCol[r]!] === 1) rows[len++] = r;
				}
			} else {
				// The first row after `from`, by halving: a period late in a program's years would
				// otherwise walk every earlier row to find its state on `from`.
				let lo = a;
				let hi = b;
				while (lo < hi) {
					const mid = (lo + hi) >>> 1;
					if (dayCol[held[mid]!]! > fromDay) hi = mid;
					else lo = mid + 1;
				}
				// Its state on `from` is its last row by then, counted where that row is: a program
				// that left the scope before `from` is the other organization's on it, not also ours.
				const opening = lo > a ? held[lo - 1]! : NONE;
				if (opening !== NONE && inScope[orgCol[opening]!] === 1) rows[len++] = opening;
				for (let k = lo; k < b; k++) {
					const r = held[k]!;
					if (dayCol[r]! > toDay) break;
					if (inScope[orgCol[r]!] === 1) rows[len++] = r;
				}
			}
			if (len === begin) continue;
			// Today's latest row may be later than `from` (a program in a zone ahead): by day.
			if (current && len - begin > 1)
				rows.subarray(begin, len).sort((x, y) => dayCol[x]! - dayCol[y]!);
			if (!view.counted(rows[len - 1]!)) {
				len = begin;
				continue;
			}
			if (programs) {
				programOrgs![programs.length] = indexOrgs[i]!;
				programs.push(layout.programs[i]!);
			}
			starts[++n] = len;
		}
		segments.ends[j] = n;
	}
	return {
		n,
		start: first(starts, n + 1),
		rows: first(rows, len),
		programs,
		indexOrgs: programOrgs,
		segments
	};
}

/**
 * The programs of the organizations that existed on `date` (each with its last history row on or
 * before it, the excluded statuses left out), with what the request read (sourcesOf) when given.
 * The rows are valid until the caller awaits again (a refresh may renumber them).
 */
async function programsAt(
	db: SqlClient,
	organizationIds: string[],
	date: string,
	sources?: Sources,
	withPrograms = true
): Promise<{ h: HistoryProjection; scope: ScopeRows }> {
	const { h, cancelled } = sources
		? await sources.load()
		: { h: await currentHistory(db, organizationIds), cancelled: await cancelledProgramIds(db) };
	return { h, scope: scanAt(h, organizationIds, date, cancelled, withPrograms) };
}

/** programsAt's scan of the held history, as loaded. */
function scanAt(
	h: HistoryProjection,
	organizationIds: string[],
	date: string,
	cancelled: Set<string>,
	withPrograms = true
): ScopeRows {
	const view = new PeriodView(h, date, date);
	return programRows(h, organizationIds, date, date, false, cancelled, view, withPrograms);
}

/** What a document for `period` lists (PeriodView.listed): listedPrograms' query. */
export interface ListingQuery {
	period: { from: string; to: string };
	attentionOnly: boolean;
	limit: number;
	orgName: (id: string | null) => string;
}

/** The programs a document lists: how many, and those of its first lines (ListingQuery.limit). */
export interface Listing {
	total: number;
	programs: Array<{ programId: string; facts: FigureFacts }>;
}

/**
 * The programs a document for `period` lists (PeriodView.listed), as on `date`, with their facts
 * then: how many there are, and those of the first organizations by name (`orgName`), whole, up
 * to `limit` (the screen's preview). Only those are made into facts, and only their programs'
 * objects are read (following 80,000 of them cost a region's report 30 ms of cache misses).
 */
export async function listedPrograms(
	db: SqlClient,
	organizationIds: string[],
	date: string,
	q: ListingQuery,
	sources?: Sources
): Promise<Listing> {
	if (organizationIds.length === 0) return { total: 0, programs: [] };
	const { h, scope } = await programsAt(db, organizationIds, date, sources);
	return listingOf(h, scope, new PeriodView(h, q.period.from, q.period.to), q);
}

/**
 * The listing of a scan with its programs (programRows' `withPrograms`) whose last rows are the
 * state on the listing's date: programsAt's, or a period's ending on that date.
 */
function listingOf(
	h: HistoryProjection,
	scope: ScopeRows,
	view: PeriodView,
	q: ListingQuery
): Listing {
	const rows = lastRows(h, scope);
	const listed = new Int32Array(rows.length);
	let total = 0;
	for (let i = 0; i < rows.length; i++)
		if (view.listed(rows[i]!, q.attentionOnly)) listed[total++] = i;
	// By the organization of each program's index row (its number in the history; NONE → 0).
	const orgOf = scope.indexOrgs!;
	let shown: Uint8Array | null = null;
	if (total > q.limit) {
		const counts = new Int32Array(h.orgs.size + 1);
		for (let k = 0; k < total; k++) counts[orgOf[listed[k]!]! + 1]!++;
		const name = (n: number) => q.orgName(n === 0 ? null : h.orgs.values[n - 1]!);
		const orgs = [...counts.keys()].filter((n) => counts[n]! > 0);
		orgs.sort((a, b) => byRussian(name(a), name(b)));
		shown = new Uint8Array(counts.length);
		for (let k = 0, n = 0; k < orgs.length && n < q.limit; k++) {
			shown[orgs[k]!] = 1;
			n += counts[orgs[k]!]!;
		}
	}
	const programs: Listing['programs'] = [];
	for (let k = 0; k < total; k++) {
		const i = listed[k]!;
		if (shown && shown[orgOf[i]! + 1] !== 1) continue;
		programs.push({ programId: scope.programs![i]!.id, facts: h.facts(rows[i]!) });
	}
	return { total, programs };
}

/** A program's plan: what the calendar asks of the programs owing a report. */
export type PlanFacts = Pick<FactsBrief, 'templateId' | 'startDate' | 'endDate'>;

/**
 * The distinct plans (template, start, end) of the programs of the organizations that existed on
 * `date` (programsAt), each with how many programs have it: a region's 100,000 programs share a
 * few hundred plans, so a question about plans is asked of those, not of every program.
 */
export async function plansAt(
	db: SqlClient,
	organizationIds: string[],
	date: string,
	sources?: Sources
): Promise<Array<{ plan: PlanFacts; programs: number }>> {
	if (organizationIds.length === 0) return [];
	const { h, scope } = await programsAt(db, organizationIds, date, sources, false);
	const template = h.cols[F.template]!;
	const start = h.cols[F.start]!;
	const end = h.cols[F.end]!;
	const span = h.dates.size + 1;
	const counts = new Map<number, { row: number; programs: number }>();
	for (const row of lastRows(h, scope)) {
		// Interned: a plan is three numbers (NONE + 1 = 0 for none).
		const key = ((template[row]! + 1) * span + (start[row]! + 1)) * span + (end[row]! + 1);
		const known = counts.get(key);
		if (known) known.programs++;
		else counts.set(key, { row, programs: 1 });
	}
	const text = (values: string[], id: number) => (id === NONE ? null : values[id]!);
	return [...counts.values()].map(({ row, programs }) => ({
		plan: {
			templateId: text(h.words.values, template[row]!),
			startDate: text(h.dates.values, start[row]!),
			endDate: text(h.dates.values, end[row]!)
		},
		programs
	}));
}

/** The held history, brought up to date for the organizations. */
async function currentHistory(
	db: SqlClient,
	organizationIds: string[],
	fingerprint?: Fingerprint
): Promise<HistoryProjection> {
	const h = historyOf(db);
	await h.refresh(organizationIds, fingerprint ?? (await indexFingerprint(db, organizationIds)));
	return h;
}

async function indexFingerprint(db: SqlClient, ids: string[]): Promise<Fingerprint> {
	return toFingerprint(
		await db.get<Record<string, unknown>>(
			fingerprintSql(`organization_id IN (${ids.map(() => '?').join(',')})`),
			ids
		)
	);
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

/**
 * What the figures of a scope read — the history, the registry, the cancellations — with the
 * version of it all, read once for the periods of one request (a period and the previous one, a
 * municipality's organizations).
 */
export interface Sources {
	/** Changes whenever anything the figures read changes (the result cache's key). */
	version: string;
	/** `version` less the held history's part: the registry's and the cancellations'. */
	besidesHistory: string;
	load(): Promise<{ h: HistoryProjection; registry: Registry; cancelled: Set<string> }>;
}

export async function sourcesOf(db: SqlClient, ids: string[]): Promise<Sources> {
	// Every summary write moves its program's computed_at (the history row is written with it),
	// every registry edit a person's updated_at; the sums and counts over the scope change with
	// any of them.
	// (Apart: PostgreSQL reads them on separate connections at once.)
	const [fingerprint, version] = await Promise.all([
		ids.length ? indexFingerprint(db, ids) : { n: 0, max: 0, sum: 0 },
		scopeVersion(db, ids)
	]);
	let loaded: ReturnType<Sources['load']> | null = null;
	return {
		version: [fingerprint.n, fingerprint.max, fingerprint.sum, version.all].map(String).join(':'),
		besidesHistory: version.all,
		load: () =>
			(loaded ??= (async () => {
				// At once: a round trip each (the history's only when it changed), none needs another.
				const [h, registry, cancelled] = await Promise.all([
					ids.length ? currentHistory(db, ids, fingerprint) : historyOf(db),
					readRegistry(db, ids, version.registry),
					cancelledProgramIds(db)
				]);
				return { h, registry, cancelled };
			})())
	};
}

/** Figures for the period (or date) asked for, without the previous period. */
export function computeFigures(
	db: SqlClient,
	scope: Scope,
	options?: { now?: number; period?: FigurePeriod },
	sources?: Sources
): Promise<Figures>;
/** `previous`: as a previous period is compared with (PreviousFigures, without the groupings). */
export function computeFigures(
	db: SqlClient,
	scope: Scope,
	options: { now?: number; period?: FigurePeriod; previous: true },
	sources?: Sources
): Promise<PreviousFigures>;
export async function computeFigures(
	db: SqlClient,
	scope: Scope,
	options: { now?: number; period?: FigurePeriod; previous?: boolean } = {},
	sources?: Sources
): Promise<Figures | PreviousFigures> {
	const zone = scope.timeZone ?? DEFAULT_TIME_ZONE;
	const today = todayIn(zone, options.now ?? Date.now());
	const { from, to, kind } = resolvePeriod(options.period ?? {}, today);
	const ids = scope.organizationIds;
	const read = sources ?? (await sourcesOf(db, ids));
	// The same figures again while nothing they read has changed. A period ended before today
	// reads no row of a later day (programRows), and a region's phones write today's rows all
	// day long: its figures hold while no row of its days changed (HistoryProjection.version).
	const past = to < today;
	const key = JSON.stringify([
		ids,
		zone,
		today,
		from,
		to,
		options.previous === true,
		past ? read.besidesHistory : read.version
	]);
	let cached = resultCache.get(db);
	if (!cached) resultCache.set(db, (cached = new Map()));
	const hit = cached.get(key);
	if (hit && !past) return structuredClone(hit.figures);
	const loaded = await read.load();
	if (hit && loaded.h.unchangedThrough(dayNumber(to), hit.history))
		return structuredClone(hit.figures);
	const history = loaded.h.version;
	const q = { zone, from, to, kind, current: from >= today };
	const result = options.previous
		? compute(loaded, ids, q, { groupings: false, previous: true })
		: compute(loaded, ids, q);
	cached.delete(key);
	if (cached.size >= 200) cached.delete(cached.keys().next().value as string);
	cached.set(key, { figures: structuredClone(result), history });
	return result;
}

const resultCache = new WeakMap<
	SqlClient,
	Map<string, { figures: Figures | PreviousFigures; history: number }>
>();

/**
 * What the figures of a scope read besides the index (its fingerprint), as a few sums: changes
 * whenever any of it changes (`all`); `registry`: whenever the people the figures read from the
 * registry change.
 */
async function scopeVersion(
	db: SqlClient,
	ids: string[]
): Promise<{ all: string; registry: string }> {
	if (ids.length === 0) return { all: '', registry: '' };
	const marks = ids.map(() => '?').join(',');
	// Each organization's registry clock (storage/registry-clock.ts): any write of its people, its
	// programs, their participants or the people of other organizations in them moves it on.
	const [clocks, cancellations] = await Promise.all([
		db.get<Record<string, unknown>>(
			`SELECT count(*) AS n, sum(changes) AS s FROM curator_registry_clock
				WHERE organization_id IN (${marks})`,
			ids
		),
		db.get<Record<string, unknown>>(
			`SELECT count(*) AS n, sum(cancelled_at) AS s FROM program_cancellations`
		)
	]);
	const registry = [clocks?.n, clocks?.s].map(String).join(':');
	return {
		all: [registry, cancellations?.n, cancellations?.s].map(String).join(':'),
		registry
	};
}

/** A person of the registry with what the figures derive from the row, derived once. */
interface RegistryEntry extends RegistryPerson {
	kind: StaffKind | null;
	/** The birth date as a day number (dayNumber), when it is a date. */
	birth: number | null;
}

/**
 * The registry's people by id, and the scope's own pedagogues by organization (active adults whose
 * category is pedagogue: the only ones the young pedagogues' figure looks at).
 */
interface Registry {
	byId: Map<string, RegistryEntry>;
	pedagoguesByOrg: Map<string, RegistryEntry[]>;
	/** The registry by the held history's person numbers (registryByPerson), once per history size. */
	byPerson?: RegistryByPerson;
}

interface RegistryByPerson {
	history: HistoryProjection;
	persons: number;
	/** The history's numbering of people it was made for (HistoryProjection.personEpoch). */
	epoch: number;
	/** Each person's category (an index of KINDS), -1 where the registry tells none. */
	kinds: Int8Array;
	/** Each organization's pedagogues, packed for the young pedagogues' figure. */
	pedagogues: Map<string, Pedagogues>;
}

/** An organization's pedagogues (Registry.pedagoguesByOrg) as arrays, one element each. */
interface Pedagogues {
	createdAt: Float64Array;
	/** The birth date as a day number (dayNumber); NONE: none recorded. */
	birth: Int32Array;
	/** 1: recorded as under 35 (age_group), where no birth date is. */
	under35: Uint8Array;
	/** The person's number in the held history (NONE: in no program's history). */
	person: Int32Array;
	/** 1: in their first 3 years of work (experience ≤ 3). */
	firstYears: Uint8Array;
}

/** The registry's categories and pedagogues by person number: lookups by key done once. */
function registryByPerson(registry: Registry, h: HistoryProjection): RegistryByPerson {
	const known = registry.byPerson;
	if (
		known &&
		known.history === h &&
		known.persons === h.persons.size &&
		known.epoch === h.personEpoch
	)
		return known;
	const kinds = new Int8Array(h.persons.size).fill(-1);
	for (const r of registry.byId.values()) {
		const person = h.persons.find(r.id);
		if (person !== undefined && r.kind !== null) kinds[person] = KINDS.indexOf(r.kind);
	}
	const pedagogues = new Map<string, Pedagogues>();
	for (const [org, list] of registry.pedagoguesByOrg) {
		const packed: Pedagogues = {
			createdAt: new Float64Array(list.length),
			birth: new Int32Array(list.length),
			under35: new Uint8Array(list.length),
			person: new Int32Array(list.length),
			firstYears: new Uint8Array(list.length)
		};
		list.forEach((r, i) => {
			packed.createdAt[i] = r.created_at;
			packed.birth[i] = r.birth ?? NONE;
			packed.under35[i] = r.age_group === 'under-35' ? 1 : 0;
			packed.person[i] = h.persons.find(r.id) ?? NONE;
			packed.firstYears[i] = r.experience_years !== null && r.experience_years <= 3 ? 1 : 0;
		});
		pedagogues.set(org, packed);
	}
	return (registry.byPerson = {
		history: h,
		persons: h.persons.size,
		epoch: h.personEpoch,
		kinds,
		pedagogues
	});
}

/**
 * The registry as the scope's figures read it, kept while its version (scopeVersion) holds: a
 * region's 200,000 people are not read again for each date or period a curator picks.
 */
async function readRegistry(db: SqlClient, ids: string[], version: string): Promise<Registry> {
	let cache = registryCache.get(db);
	if (!cache) registryCache.set(db, (cache = new Map()));
	const key = JSON.stringify([ids, version]);
	const hit = cache.get(key);
	if (hit) return hit;
	const registry = await readRegistryRows(db, ids);
	for (const k of cache.keys()) if (k.startsWith(`[${JSON.stringify(ids)},`)) cache.delete(k);
	if (cache.size >= 8) cache.delete(cache.keys().next().value as string);
	cache.set(key, registry);
	return registry;
}

const registryCache = new WeakMap<SqlClient, Map<string, Registry>>();

/** The registry: staff category and age of the people of the scope and of every participant. */
async function readRegistryRows(db: SqlClient, ids: string[]): Promise<Registry> {
	const registry = new Map<string, RegistryEntry>();
	const pedagoguesByOrg = new Map<string, RegistryEntry[]>();
	if (ids.length === 0) return { byId: registry, pedagoguesByOrg };
	// Written out, not spread from the driver's row: a literal's fixed shape keeps the loops over
	// 200,000 entries on fast property access (spread rows read ~40 times slower here).
	const entry = (r: RegistryPerson): RegistryEntry => ({
		id: r.id,
		organization_id: r.organization_id,
		position: r.position,
		staff_kind: r.staff_kind,
		birth_date: r.birth_date,
		age_group: r.age_group,
		minor: r.minor,
		experience_years: r.experience_years,
		active: r.active,
		created_at: Number(r.created_at),
		kind: staffKindOf(r.staff_kind, r.position),
		birth: r.birth_date && /^\d{4}-\d{2}-\d{2}$/.test(r.birth_date) ? dayNumber(r.birth_date) : null
	});
	const marks = ids.map(() => '?').join(',');
	for (const r of await db.all<RegistryPerson>(
		`SELECT id, organization_id, position, staff_kind, birth_date, age_group, minor,
				experience_years, active, created_at
			FROM people WHERE organization_id IN (${marks})`,
		ids
	))
		registry.set(r.id, entry(r));
	// …and the participants from other organizations (a head mentoring another school's head), as
	// the registry links them to the scope's programs now.
	for (const r of await db.all<RegistryPerson>(
		`SELECT p.id, p.organization_id, p.position, p.staff_kind, p.birth_date, p.age_group, p.minor,
				p.experience_years, p.active, p.created_at
			FROM program_info pi
			JOIN program_participants pp ON pp.program_id = pi.program_id
			JOIN people p ON p.id = pp.person_id
			WHERE pi.organization_id IN (${marks})
				AND (p.organization_id IS NULL OR p.organization_id NOT IN (${marks}))`,
		[...ids, ...ids]
	))
		registry.set(r.id, entry(r));
	for (const r of registry.values())
		if (r.organization_id !== null && r.kind === 'pedagogue' && r.active && !r.minor) {
			let list = pedagoguesByOrg.get(r.organization_id);
			if (!list) pedagoguesByOrg.set(r.organization_id, (list = []));
			list.push(r);
		}
	return { byId: registry, pedagoguesByOrg };
}

const KINDS: Array<StaffKind | 'unknown'> = [...STAFF_KINDS, 'unknown'];
const UNKNOWN = KINDS.length - 1;

/**
 * The people of some rows copied together, in the rows' order: row i's are
 * people[off[i]] … people[off[i + 1] - 1]. Each grouping of a figure reads them again, group by
 * group; from here it reads one small array in order, not three large ones (the rows' offsets
 * and lengths, the pool) at scattered places (a third of a region's figure went to those misses).
 */
interface PackedPeople {
	off: Int32Array;
	people: Int32Array;
}

function packPeople(h: HistoryProjection, rows: Int32Array): PackedPeople {
	const pOff = h.cols[F.pOff]!;
	const pLen = h.cols[F.pLen]!;
	const off = h.buffer(Slot.packOff, rows.length + 1);
	let total = 0;
	off[0] = 0;
	for (let i = 0; i < rows.length; i++) off[i + 1] = total += pLen[rows[i]!]!;
	const people = h.buffer(Slot.packPeople, total);
	const pool = h.people;
	for (let i = 0; i < rows.length; i++) {
		const from = pOff[rows[i]!]!;
		people.set(pool.subarray(from, from + off[i + 1]! - off[i]!), off[i]!);
	}
	return { off, people: first(people, total) };
}

/**
 * Counts programs and distinct mentors and mentees per group: each group's rows apart, people
 * marked in arrays by their number (a fresh mark per group), not collected into sets.
 */
function countGroups(pack: PackedPeople, groups: Groups, marks: Marks): CountRow[] {
	const out: CountRow[] = [];
	const counted = new Int32Array(2);
	for (const [key, runs] of groups) {
		const mark = marks.next();
		counted.fill(0);
		let programs = 0;
		for (const positions of runs) {
			programs += positions.length;
			markRun(pack, positions, marks, mark, counted);
		}
		out.push({ key, programs, mentors: counted[0]!, mentees: counted[1]! });
	}
	return out.sort(byPrograms);
}

/** The most groups `countTwoBy` tells apart in one grouping (half of a person's bits each). */
const GROUP_BITS = 16;

/**
 * A grouping's groups as countTwoBy meets them: by word number + 1 of its column (0: none), each
 * a number in the order first met, a null and an empty word the same group ('').
 */
class WordGroups {
	readonly keys: string[] = [];
	readonly groupOf: Int8Array;
	constructor(private readonly words: string[]) {
		this.groupOf = new Int8Array(words.length + 1).fill(-1);
	}

	/** The group of word number + 1 `at` met for the first time; -1 past GROUP_BITS groups. */
	add(at: number): number {
		const key = at === 0 ? '' : this.words[at - 1]!;
		let g = this.keys.indexOf(key);
		if (g === -1) {
			if (this.keys.length === GROUP_BITS) return -1;
			g = this.keys.push(key) - 1;
		}
		return (this.groupOf[at] = g);
	}
}

/**
 * Programs and distinct mentors and mentees per group of two groupings at once (forms and
 * categories): one walk over the rows' people, each person's groups seen kept as bits (the
 * first grouping's in the low half, the other's in the high), where countGroups packs the
 * people and marks them group by group, once per grouping. null when a grouping has more than
 * GROUP_BITS groups (countGroups then).
 */
function countTwoBy(
	h: HistoryProjection,
	rows: Int32Array,
	a: number,
	b: number,
	marks: Marks
): [CountRow[], CountRow[]] | null {
	const colA = h.cols[a]!;
	const colB = h.cols[b]!;
	const groupsA = new WordGroups(h.words.values);
	const groupsB = new WordGroups(h.words.values);
	const byA = groupsA.groupOf;
	const byB = groupsB.groupOf;
	// Per group: programs, mentors, mentees; the first grouping's, then the other's.
	const counts = new Int32Array(6 * GROUP_BITS);
	const people = h.people;
	const pOff = h.cols[F.pOff]!;
	const pLen = h.cols[F.pLen]!;
	// A person's bits count where their mark is this walk's (no clearing of a region's arrays).
	const mark = marks.next();
	const mentorMarks = marks.mentors;
	const menteeMarks = marks.mentees;
	const mentorBits = h.buffer(Slot.mentorBits, h.persons.size);
	const menteeBits = h.buffer(Slot.menteeBits, h.persons.size);
	for (let i = 0; i < rows.length; i++) {
		const row = rows[i]!;
		let ga = byA[colA[row]! + 1]!;
		if (ga === -1 && (ga = groupsA.add(colA[row]! + 1)) === -1) return null;
		let gb = byB[colB[row]! + 1]!;
		if (gb === -1 && (gb = groupsB.add(colB[row]! + 1)) === -1) return null;
		counts[3 * ga]!++;
		counts[3 * (GROUP_BITS + gb)]!++;
		const both = (1 << ga) | (1 << (GROUP_BITS + gb));
		for (let k = pOff[row]!, end = k + pLen[row]!; k < end; k++) {
			const v = people[k]!;
			const person = v >> 2;
			const mentee = (v & MENTEE) !== 0;
			const seen = mentee ? menteeMarks : mentorMarks;
			const bits = mentee ? menteeBits : mentorBits;
			if (seen[person] !== mark) {
				seen[person] = mark;
				bits[person] = 0;
			}
			const fresh = both & ~bits[person]!;
			if (fresh === 0) continue;
			bits[person]! |= fresh;
			// Mentors' counts after the group's programs, then mentees'.
			const at = mentee ? 2 : 1;
			if (fresh & (1 << ga)) counts[3 * ga + at]!++;
			if (fresh >>> GROUP_BITS) counts[3 * (GROUP_BITS + gb) + at]!++;
		}
	}
	const rowsOf = (keys: string[], base: number): CountRow[] =>
		keys
			.map((key, g) => ({
				key,
				programs: counts[3 * (base + g)]!,
				mentors: counts[3 * (base + g) + 1]!,
				mentees: counts[3 * (base + g) + 2]!
			}))
			.sort(byPrograms);
	return [rowsOf(groupsA.keys, 0), rowsOf(groupsB.keys, GROUP_BITS)];
}

/** Programs per group, without their people. */
function programsOf(groups: Groups): ProgramCount[] {
	const out: ProgramCount[] = [];
	for (const [key, runs] of groups) {
		let programs = 0;
		for (const positions of runs) programs += positions.length;
		out.push({ key, programs });
	}
	return out.sort(byPrograms);
}

/** Groups by their programs, most first, then by key. */
const byPrograms = (a: ProgramCount, b: ProgramCount): number =>
	b.programs - a.programs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Marks the mentors and mentees of the packed rows at `positions` not yet marked `mark`, adding
 * them to `counted` (mentors, mentees). The loop every grouping of a figure runs over a region's
 * rows: its arrays in locals, indexed, so the compiler keeps it tight.
 */
function markRun(
	pack: PackedPeople,
	positions: Int32Array,
	marks: Marks,
	mark: number,
	counted: Int32Array
): void {
	const { off, people } = pack;
	const mentorMarks = marks.mentors;
	const menteeMarks = marks.mentees;
	let mentors = 0;
	let mentees = 0;
	for (let i = 0; i < positions.length; i++) {
		const at = positions[i]!;
		for (let k = off[at]!, end = off[at + 1]!; k < end; k++) {
			const v = people[k]!;
			const person = v >> 2;
			if (v & MENTEE) {
				if (menteeMarks[person] !== mark) {
					menteeMarks[person] = mark;
					mentees++;
				}
			} else if (mentorMarks[person] !== mark) {
				mentorMarks[person] = mark;
				mentors++;
			}
		}
	}
	counted[0]! += mentors;
	counted[1]! += mentees;
}

/**
 * Marks each mentor and mentee of the rows once (`mark`), with their category: the registry's,
 * else the side of the program's form, else unknown — the first known one a person gets stays.
 * A function of its own: its loop over a region's rows is optimized apart from the rest.
 */
function markPeople(
	h: HistoryProjection,
	rows: Int32Array,
	registry: RegistryByPerson,
	marks: Marks,
	mark: number
): { mentors: Int32Array; mentees: Int32Array } {
	// Each form's sides as categories (KINDS), by the form's word number; -1: no sides.
	const mentorSide = new Int8Array(h.words.size).fill(-1);
	const menteeSide = new Int8Array(h.words.size).fill(-1);
	for (const [form, sides] of Object.entries(FORM_SIDES)) {
		const id = h.words.find(form);
		if (id === undefined) continue;
		mentorSide[id] = KINDS.indexOf(sides.mentor);
		menteeSide[id] = KINDS.indexOf(sides.mentee);
	}
	const people = h.people;
	const pOff = h.cols[F.pOff]!;
	const pLen = h.cols[F.pLen]!;
	const formCol = h.cols[F.form]!;
	const { kinds, kindMarks } = marks;
	const mentorMarks = marks.mentors;
	const menteeMarks = marks.mentees;
	const known = registry.kinds;
	const mentors = h.buffer(Slot.mentors, h.persons.size);
	const mentees = h.buffer(Slot.mentees, h.persons.size);
	let mentorCount = 0;
	let menteeCount = 0;
	for (let i = 0; i < rows.length; i++) {
		const row = rows[i]!;
		const form = formCol[row]!;
		for (let k = pOff[row]!, end = k + pLen[row]!; k < end; k++) {
			const v = people[k]!;
			const person = v >> 2;
			const mentee = (v & MENTEE) !== 0;
			if (mentee) {
				if (menteeMarks[person] !== mark) {
					menteeMarks[person] = mark;
					mentees[menteeCount++] = person;
				}
			} else if (mentorMarks[person] !== mark) {
				mentorMarks[person] = mark;
				mentors[mentorCount++] = person;
			}
			if (kindMarks[person] === mark && kinds[person] !== UNKNOWN) continue;
			const recorded = v & REGISTERED ? known[person]! : -1;
			const side = form === NONE ? -1 : mentee ? menteeSide[form]! : mentorSide[form]!;
			kinds[person] = recorded !== -1 ? recorded : side !== -1 ? side : UNKNOWN;
			kindMarks[person] = mark;
		}
	}
	return { mentors: first(mentors, mentorCount), mentees: first(mentees, menteeCount) };
}

/** One segment's people as markPeople marked them, valid while its callback runs. */
interface SegmentPeople {
	mentors: Int32Array;
	mentees: Int32Array;
	/** The segment's marks: its people are those marked `mark`, with their category in `kinds`. */
	marks: Marks;
	mark: number;
}

/**
 * markPeople over each segment's rows apart (`ends`: InForce.peopleEnds), as each organization's
 * own figures mark its people, then each segment's people added to the scope's: each person
 * once, with the category of the first segment that knows one — what one walk over all the rows
 * gives (a person's first known category), where a report that needs both walked them twice.
 */
function markBySegment(
	h: HistoryProjection,
	rows: Int32Array,
	ends: Int32Array,
	registry: RegistryByPerson,
	marks: Marks,
	mark: number,
	each: (j: number, people: SegmentPeople) => void
): { mentors: Int32Array; mentees: Int32Array } {
	const own = h.segmentMarks();
	const mentors = h.buffer(Slot.scopeMentors, h.persons.size);
	const mentees = h.buffer(Slot.scopeMentees, h.persons.size);
	let mentorCount = 0;
	let menteeCount = 0;
	const { kinds, kindMarks } = marks;
	const adopt = (person: number) => {
		if (kindMarks[person] === mark && kinds[person] !== UNKNOWN) return;
		kinds[person] = own.kinds[person]!;
		kindMarks[person] = mark;
	};
	for (let j = 0; j < ends.length; j++) {
		const segmentMark = own.next();
		const segment = rows.subarray(j === 0 ? 0 : ends[j - 1]!, ends[j]!);
		const people = markPeople(h, segment, registry, own, segmentMark);
		for (const person of people.mentors) {
			if (marks.mentors[person] !== mark) {
				marks.mentors[person] = mark;
				mentors[mentorCount++] = person;
			}
			adopt(person);
		}
		for (const person of people.mentees) {
			if (marks.mentees[person] !== mark) {
				marks.mentees[person] = mark;
				mentees[menteeCount++] = person;
			}
			adopt(person);
		}
		each(j, { ...people, marks: own, mark: segmentMark });
	}
	return { mentors: first(mentors, mentorCount), mentees: first(mentees, menteeCount) };
}

/** Young pedagogues of the scope's registry on `to` (under 35), and how many are mentees. */
function youngPedagogues(
	known: RegistryByPerson,
	ids: string[],
	to: string,
	endOfTo: number,
	menteeMarks: Int32Array,
	mark: number
): { young: number; covered: number; firstYears: number } {
	let young = 0;
	let covered = 0;
	let firstYears = 0;
	const toDay = dayNumber(to);
	for (const org of new Set(ids)) {
		const p = known.pedagogues.get(org);
		if (!p) continue;
		for (let i = 0; i < p.person.length; i++) {
			if (p.createdAt[i]! >= endOfTo) continue;
			const birth = p.birth[i]!;
			// Whole years between two day numbers (YYYYMMDD): the age on `to`.
			const age = Math.floor((toDay - birth) / 10_000);
			const under35 = birth === NONE ? p.under35[i] === 1 : age >= 18 && age < 35;
			if (!under35) continue;
			young++;
			const person = p.person[i]!;
			if (person !== NONE && menteeMarks[person] === mark) {
				covered++;
				firstYears += p.firstYears[i]!;
			}
		}
	}
	return { young, covered, firstYears };
}

/**
 * The rows in force in the period: each program's last (its facts), and those that tell its
 * people; in the scope's order, so each organization's are a run of each (segmentRows).
 */
interface InForce {
	active: Int32Array;
	/**
	 * Each program's first row in force and each later one whose participants or form differ from
	 * the one before: a row that repeats both (its program's people on another day, the common
	 * case: HistoryProjection.shareParticipants) marks no one new in markPeople.
	 */
	peopleRows: Int32Array;
	/** Where each segment's (ScopeRows.segments) active rows and people rows end. */
	activeEnds: Int32Array;
	peopleEnds: Int32Array;
}

function inForceOf(h: HistoryProjection, view: PeriodView, scope: ScopeRows): InForce {
	const active = h.buffer(Slot.active, scope.n);
	const peopleRows = h.buffer(Slot.inForce, scope.rows.length);
	const { ends } = scope.segments;
	const activeEnds = new Int32Array(ends.length);
	const peopleEnds = new Int32Array(ends.length);
	const pOff = h.cols[F.pOff]!;
	const pLen = h.cols[F.pLen]!;
	const form = h.cols[F.form]!;
	let programs = 0;
	let rowCount = 0;
	let segment = 0;
	const { start, rows } = scope;
	for (let i = 0; i < scope.n; i++) {
		for (; segment < ends.length && ends[segment]! <= i; segment++) {
			activeEnds[segment] = programs;
			peopleEnds[segment] = rowCount;
		}
		let last = NONE;
		for (let k = start[i]!; k < start[i + 1]!; k++) {
			const row = rows[k]!;
			if (!view.inForce(row)) continue;
			if (
				last === NONE ||
				pOff[row] !== pOff[last] ||
				pLen[row] !== pLen[last] ||
				form[row] !== form[last]
			)
				peopleRows[rowCount++] = row;
			last = row;
		}
		if (last !== NONE) active[programs++] = last;
	}
	for (; segment < ends.length; segment++) {
		activeEnds[segment] = programs;
		peopleEnds[segment] = rowCount;
	}
	return {
		active: first(active, programs),
		peopleRows: first(peopleRows, rowCount),
		activeEnds,
		peopleEnds
	};
}

/** Mentors and mentees per category (KINDS). */
function countByKind(
	kinds: Int8Array,
	mentors: Int32Array,
	mentees: Int32Array
): Record<string, PeopleCount> {
	const counts = new Int32Array(2 * KINDS.length);
	for (const person of mentors) counts[2 * (kinds[person] ?? UNKNOWN)]!++;
	for (const person of mentees) counts[2 * (kinds[person] ?? UNKNOWN) + 1]!++;
	const byKind: Record<string, PeopleCount> = {};
	KINDS.forEach((k, i) => {
		if (counts[2 * i] || counts[2 * i + 1])
			byKind[k] = { mentors: counts[2 * i]!, mentees: counts[2 * i + 1]! };
	});
	return byKind;
}

/**
 * Rows grouped by a key: each group's rows (their positions in the list grouped) as one or more
 * runs of a single array (a key's runs: a null and an empty word are the same key; a row of
 * several types is in each type's group).
 */
type Groups = Map<string, Int32Array[]>;

/**
 * The rows' positions by a column's number (col[row] + shift, 0 … size − 1), each group a run
 * of one array, in order: a counting sort.
 */
function runsBy(
	h: HistoryProjection,
	rows: Int32Array,
	size: number,
	col: Int32Array,
	shift: number
): Int32Array[] {
	const counts = new Int32Array(size + 1);
	for (let i = 0; i < rows.length; i++) counts[col[rows[i]!]! + shift + 1]!++;
	for (let i = 1; i <= size; i++) counts[i]! += counts[i - 1]!;
	const sorted = h.buffer(Slot.sorted, rows.length);
	const at = counts.slice(0, size);
	for (let i = 0; i < rows.length; i++) sorted[at[col[rows[i]!]! + shift]!++] = i;
	const runs: Int32Array[] = [];
	for (let i = 0; i < size; i++) runs.push(sorted.subarray(counts[i]!, counts[i + 1]!));
	return runs;
}

function addRun(groups: Groups, key: string, run: Int32Array): void {
	if (run.length === 0) return;
	const known = groups.get(key);
	if (known) known.push(run);
	else groups.set(key, [run]);
}

/** The rows by the word of a column (a null or empty word: the key ''), words looked up once. */
function groupsBy(h: HistoryProjection, rows: Int32Array, k: number): Groups {
	const col = h.cols[k]!;
	// By word number + 1 (0: none).
	const runs = runsBy(h, rows, h.words.size + 1, col, 1);
	const groups: Groups = new Map();
	runs.forEach((run, i) => addRun(groups, i === 0 ? '' : h.words.values[i - 1]!, run));
	return groups;
}

/** The rows by each of their types (a row with several types is in each of them once). */
function groupsByType(h: HistoryProjection, rows: Int32Array): Groups {
	const col = h.cols[F.types]!;
	const runs = runsBy(h, rows, h.typeKeys.size, col, 0);
	const groups: Groups = new Map();
	runs.forEach((run, id) => {
		for (const type of new Set(h.typeLists[id] ?? [])) addRun(groups, type, run);
	});
	return groups;
}

/** The programs' state on `to` (their last rows): statuses, completions, reports. */
function stateOn(h: HistoryProjection, view: PeriodView, lastRows: Int32Array) {
	const status = h.cols[F.status]!;
	const reason = h.cols[F.reason]!;
	const completion = h.cols[F.completion]!;
	const [expected, due, submitted, accepted, returned] = [
		F.expected,
		F.due,
		F.submitted,
		F.accepted,
		F.returned
	].map((k) => h.cols[k]!) as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
	const statusCount = new Int32Array(h.words.size);
	const byReason: Record<string, number> = {};
	let inPeriod = 0;
	const reports = { expected: 0, due: 0, submitted: 0, accepted: 0, returned: 0 };
	for (const last of lastRows) {
		const s = status[last]!;
		if (s !== NONE) statusCount[s]!++;
		if (s === view.completed && reason[last] !== NONE) {
			const r = h.words.values[reason[last]!]!;
			byReason[r] = (byReason[r] ?? 0) + 1;
			const date = completion[last]!;
			if (view.dateFrom(date) && view.dateTo(date)) inPeriod++;
		}
		reports.expected += expected[last]!;
		reports.due += due[last]!;
		reports.submitted += submitted[last]!;
		reports.accepted += accepted[last]!;
		reports.returned += returned[last]!;
	}
	return { lastRows, statusCount, byReason, inPeriod, reports };
}

/** The feedback surveys of the rows. */
function satisfactionOf(h: HistoryProjection, rows: Int32Array) {
	const feedback = h.cols[F.feedback]!;
	let surveys = 0;
	let withFeedback = 0;
	const mentorSat = new Sum();
	const menteeSat = new Sum();
	for (const row of rows) {
		const count = feedback[row]!;
		surveys += count;
		if (count > 0) withFeedback++;
		const mentor = h.mentorAvg(row);
		const mentee = h.menteeAvg(row);
		if (!Number.isNaN(mentor)) mentorSat.add(mentor);
		if (!Number.isNaN(mentee)) menteeSat.add(mentee);
	}
	return { surveys, mentorSat, menteeSat, withFeedback };
}

/** Entry and exit self-assessments summed (growthOf). */
interface Growth {
	entries: Sum;
	exits: Sum;
}

/**
 * The mentees' own entry and exit self-assessments of the rows, where both are given; with
 * `ends` (InForce.activeEnds), also each segment's (an organization's run of the rows), summed in
 * the same walk: its organization's row of the analytic report does not walk them again.
 */
function growthOf(h: HistoryProjection, rows: Int32Array, ends?: Int32Array) {
	const aOff = h.cols[F.aOff]!;
	const aLen = h.cols[F.aLen]!;
	const a = h.assessments;
	const entries = new Sum();
	const exits = new Sum();
	const segments: Growth[] = [];
	let segment: Growth = { entries, exits };
	let segmentEnd = rows.length;
	const nextSegment = () => {
		segment = { entries: new Sum(), exits: new Sum() };
		segments.push(segment);
		segmentEnd = ends![segments.length - 1]!;
	};
	if (ends) nextSegment();
	let programsWithBoth = 0;
	for (let i = 0; i < rows.length; i++) {
		while (i >= segmentEnd) nextSegment();
		const row = rows[i]!;
		let both = false;
		for (let k = aOff[row]!, end = k + aLen[row]!; k < end; k++) {
			const entry = a[3 * k + 1]!;
			const exit = a[3 * k + 2]!;
			if (Number.isNaN(entry) || Number.isNaN(exit)) continue;
			entries.add(entry);
			exits.add(exit);
			if (ends) {
				segment.entries.add(entry);
				segment.exits.add(exit);
			}
			both = true;
		}
		if (both) programsWithBoth++;
	}
	while (ends && segments.length < ends.length) nextSegment();
	return { entries, exits, programsWithBoth, segments };
}

/** The mean entry and exit self-assessments and the growth between them (null: none). */
function averages(entries: Sum, exits: Sum) {
	const entryAvg = entries.mean();
	const exitAvg = exits.mean();
	const growth = entryAvg !== null && exitAvg !== null ? exitAvg - entryAvg : null;
	return { entryAvg, exitAvg, growth };
}

/** What a computation reads (Sources.load). */
type Loaded = Awaited<ReturnType<Sources['load']>>;

/** A period as `compute` takes it. */
interface PeriodOf {
	zone: string;
	from: string;
	to: string;
	kind: 'date' | 'period';
	current: boolean;
}

interface ComputeOptions {
	/** The period's comparisons, when the caller made them already. */
	view?: PeriodView;
	/**
	 * Each segment's (organization's) people as the scope's are marked, with its growth summed in
	 * the same walk as the scope's (valid while it runs): what the analytic report's rows read.
	 */
	eachSegment?: (
		scope: ScopeRows,
		inForce: InForce,
		j: number,
		people: SegmentPeople,
		growth: Growth
	) => void;
	/** Reads the scan further once the figures are made (its rows are valid until it returns). */
	after?: (scope: ScopeRows, inForce: InForce) => void;
	/** The scan with its programs (ScopeRows.programs), for `after`. */
	withPrograms?: boolean;
}

/** Figures without the groupings by type, template and stage. */
type ShownFigures = Omit<Figures, OwnGroupings | 'previous'>;

function compute(read: Loaded, ids: string[], q: PeriodOf, options?: ComputeOptions): Figures;
/** A previous period as documents compare with it (PreviousFigures). */
function compute(
	read: Loaded,
	ids: string[],
	q: PeriodOf,
	options: ComputeOptions & { groupings: false; previous: true }
): PreviousFigures;
/** `groupings` false: without the groupings by type, template and stage. */
function compute(
	read: Loaded,
	ids: string[],
	q: PeriodOf,
	options: ComputeOptions & { groupings: boolean }
): Figures | ShownFigures;
function compute(
	{ h, registry, cancelled }: Loaded,
	ids: string[],
	q: PeriodOf,
	{
		view = new PeriodView(h, q.from, q.to),
		eachSegment,
		after,
		withPrograms = false,
		groupings = true,
		previous = false
	}: ComputeOptions & {
		groupings?: boolean;
		previous?: boolean;
	} = {}
): Figures | ShownFigures | PreviousFigures {
	const { from, to, kind } = q;
	const programs: ScopeRows = ids.length
		? programRows(h, ids, from, to, q.current, cancelled, view, withPrograms)
		: {
				n: 0,
				start: new Int32Array(1),
				rows: new Int32Array(0),
				programs: null,
				indexOrgs: null,
				segments: NO_SEGMENTS
			};

	// Programs in force in the period, with the facts of their last row in it; and the rows in
	// force of theirs that tell the people of the period.
	const inForce = inForceOf(h, view, programs);
	const { active, peopleRows } = inForce;

	// Growth: each mentee's own entry and exit self-assessment (never the mentor's); each
	// segment's too, for eachSegment.
	const { entries, exits, programsWithBoth, segments } = growthOf(
		h,
		active,
		eachSegment ? inForce.activeEnds : undefined
	);
	const { entryAvg, exitAvg, growth } = averages(entries, exits);

	// People: each counted once, in each role; their category from the registry, else the form.
	const marks = h.marks();
	const everyone = marks.next();
	const kindOf = marks.kinds;
	const known = registryByPerson(registry, h);
	const { mentors: mentorList, mentees: menteeList } = eachSegment
		? markBySegment(h, peopleRows, inForce.peopleEnds, known, marks, everyone, (j, people) =>
				eachSegment(programs, inForce, j, people, segments[j]!)
			)
		: markPeople(h, peopleRows, known, marks, everyone);
	const byKind = countByKind(kindOf, mentorList, menteeList);
	const groupCount = (kinds: Array<StaffKind | 'unknown'>): PeopleCount => ({
		mentors: kinds.reduce((n, k) => n + (byKind[k]?.mentors ?? 0), 0),
		mentees: kinds.reduce((n, k) => n + (byKind[k]?.mentees ?? 0), 0)
	});
	let distinctPeople = mentorList.length;
	for (const person of menteeList) if (marks.mentors[person] !== everyone) distinctPeople++;

	// The state on `to`: every program that existed then.
	const state = stateOn(h, view, lastRows(h, programs));
	const status = (s: string) => {
		const id = h.words.find(s);
		return id === undefined ? 0 : state.statusCount[id]!;
	};
	const { byReason, inPeriod, reports } = state;

	// Satisfaction (the feedback surveys of the programs in force).
	const { surveys, mentorSat, menteeSat, withFeedback } = satisfactionOf(h, active);

	// Young pedagogues: pedagogical staff of the scope's registry under 35 on `to`.
	const { young, covered, firstYears } = youngPedagogues(
		known,
		ids,
		to,
		startOfDay(addDays(to, 1), q.zone),
		marks.mentees,
		everyone
	);

	// (After the young pedagogues: the groups' marks replace the period's.)
	// Groups by form, type, category, template: programs in force and their distinct people (a
	// previous period's forms and categories: their programs, all that documents compare).
	let inForcePeople: PackedPeople | null = null;
	const group = (groups: Groups) =>
		countGroups((inForcePeople ??= packPeople(h, active)), groups, marks);
	const [byForm, byCategory] = previous
		? [programsOf(groupsBy(h, active, F.form)), programsOf(groupsBy(h, active, F.category))]
		: (countTwoBy(h, active, F.form, F.category, marks) ?? [
				group(groupsBy(h, active, F.form)),
				group(groupsBy(h, active, F.category))
			]);

	const figures: PreviousFigures = {
		period: { from, to },
		kind,
		programs: {
			total: programs.n,
			draft: status('draft'),
			active: status('active'),
			completed: status('completed'),
			inForce: active.length
		},
		participants: {
			mentors: mentorList.length,
			mentees: menteeList.length,
			people: distinctPeople,
			mentorsPerMentee: menteeList.length ? r2(mentorList.length / menteeList.length) : null,
			menteesPerMentor: mentorList.length ? r2(menteeList.length / mentorList.length) : null,
			pedagogues: groupCount(['pedagogue', 'head']),
			learners: groupCount(['pupil', 'student']),
			others: groupCount(['other', 'unknown']),
			byKind: Object.fromEntries(KINDS.filter((k) => byKind[k]).map((k) => [k, byKind[k]!]))
		},
		byForm,
		byCategory,
		completed: { total: status('completed'), byReason, inPeriod },
		youngTeachers: {
			inRegistry: young,
			covered,
			sharePercent: pct1(covered, young),
			firstYearsCovered: firstYears
		},
		satisfaction: {
			surveys,
			mentorAvg: r2(mentorSat.mean()),
			menteeAvg: r2(menteeSat.mean()),
			programsWithFeedback: withFeedback
		},
		assessment: {
			programsWithBoth,
			menteesWithBoth: entries.n,
			entryAvg: r2(entryAvg),
			exitAvg: r2(exitAvg),
			growthAvg: r2(growth),
			growthPercent:
				entryAvg && growth !== null ? Math.round((growth / entryAvg) * 1000) / 10 : null
		},
		reports
	};
	// The groupings no document shows of a previous period (the programs' people packed again by
	// stage, three more counts over a region's rows).
	const more = groupings && {
		byType: group(groupsByType(h, active)).filter((r) => r.key !== ''),
		byTemplate: group(groupsBy(h, active, F.template)),
		byStage: countGroups(
			packPeople(h, state.lastRows),
			groupsBy(h, state.lastRows, F.stage),
			marks
		).sort((a, b) => b.programs - a.programs || (a.key < b.key ? -1 : 1))
	};
	after?.(programs, inForce);
	return more ? { ...figures, ...more } : figures;
}

/** The figures on date `date` (the state then). */
export function figuresAt(
	db: SqlClient,
	scope: Scope,
	date: string,
	now?: number,
	/** What several dates of one request read once (sourcesOf). */
	sources?: Sources
): Promise<Figures> {
	return computeFigures(
		db,
		scope,
		{ period: { to: date }, ...(now !== undefined ? { now } : {}) },
		sources
	);
}

/**
 * The figures of a period and, as `previous`, of the period of the same length before it (a
 * date: the state then, and no previous). What screens and documents show as dynamics: the
 * previous period without the groupings by people, which none of them compares.
 */
export async function figuresFor(
	db: SqlClient,
	scope: Scope,
	period: FigurePeriod,
	now?: number,
	/** What the request reads of the scope's sources, when it read them already (sourcesOf). */
	read?: Sources
): Promise<Figures> {
	const opts = now !== undefined ? { now } : {};
	const sources = read ?? (await sourcesOf(db, scope.organizationIds));
	const current = await computeFigures(db, scope, { ...opts, period }, sources);
	if (current.kind !== 'period' || !current.period.from || !current.period.to)
		return { ...current, previous: null };
	const prev = previousPeriod({ from: current.period.from, to: current.period.to });
	return {
		...current,
		previous: await computeFigures(db, scope, { ...opts, period: prev, previous: true }, sources)
	};
}

/**
 * What the municipal analytic report's table says of one organization (scope-docs'
 * organizationsTable), by the figures' own definitions: a subset of Figures, so a whole Figures is
 * one too.
 */
export interface OrganizationFigures {
	programs: { inForce: number };
	participants: { mentors: number; mentees: number; learners: { mentees: number } };
	youngTeachers: { sharePercent: number | null };
	assessment: { growthAvg: number | null };
	reports: { due: number };
	/** The period of the same length before (a date: none). */
	previous?: { programs: { inForce: number }; participants: { mentees: number } } | null;
}

/** One period of a municipality's figures, as `compute` and `organizationFigures` take it. */
interface PeriodQuery extends PeriodOf {
	view: PeriodView;
}

/**
 * One organization's programs in a period, as a scan read them: programs p0 … p1 − 1 of `scope`
 * and their rows in force (runs of the scan's InForce).
 */
interface OrgRows {
	scope: ScopeRows;
	p0: number;
	p1: number;
	active: Int32Array;
	peopleRows: Int32Array;
	/** Its growth and people, when the scope's walk made them already (eachSegment). */
	walked?: { growth: Growth; people: SegmentPeople };
}

/** Segment j of a scan (see Segments) as one organization's rows. */
function segmentRows(
	scope: ScopeRows,
	inForce: InForce,
	j: number,
	walked?: OrgRows['walked']
): OrgRows {
	const before = (ends: Int32Array) => (j === 0 ? 0 : ends[j - 1]!);
	return {
		scope,
		p0: before(scope.segments.ends),
		p1: scope.segments.ends[j]!,
		active: inForce.active.subarray(before(inForce.activeEnds), inForce.activeEnds[j]),
		peopleRows: inForce.peopleRows.subarray(before(inForce.peopleEnds), inForce.peopleEnds[j]),
		...(walked ? { walked } : {})
	};
}

/** The organization's own scan (its programs read apart from the others': a moved program). */
function ownRows(
	h: HistoryProjection,
	org: string,
	cancelled: Set<string>,
	p: PeriodQuery
): OrgRows {
	const scope = programRows(h, [org], p.from, p.to, p.current, cancelled, p.view);
	return { scope, p0: 0, p1: scope.n, ...inForceOf(h, p.view, scope) };
}

/** What the table shows of the previous period of one organization. */
type PreviousRow = NonNullable<OrganizationFigures['previous']>;

function previousRow(h: HistoryProjection, rows: OrgRows, known: RegistryByPerson): PreviousRow {
	const { mentees } = rows.walked?.people ?? ownPeople(h, rows.peopleRows, known);
	return { programs: { inForce: rows.active.length }, participants: { mentees: mentees.length } };
}

/** The people of an organization's rows read apart from the scope's walk, marked. */
function ownPeople(h: HistoryProjection, rows: Int32Array, known: RegistryByPerson): SegmentPeople {
	const marks = h.marks();
	const mark = marks.next();
	return { ...markPeople(h, rows, known, marks, mark), marks, mark };
}

/**
 * One organization's OrganizationFigures of the period: the same rows, people and registry as its
 * Figures, without the groupings, statuses and surveys the table does not show (those made 200
 * organizations' figures cost as much as the municipality's own, issue 18).
 */
function organizationRow(
	h: HistoryProjection,
	org: string,
	rows: OrgRows,
	known: RegistryByPerson,
	to: string,
	/** The first instant after `to` in the zone (the registry's people created before it count). */
	endOfTo: number
): Omit<OrganizationFigures, 'previous'> {
	const { mentors, mentees, marks, mark } =
		rows.walked?.people ?? ownPeople(h, rows.peopleRows, known);
	let learnerMentees = 0;
	for (const person of mentees) {
		const kind = KINDS[marks.kinds[person]!];
		if (kind === 'pupil' || kind === 'student') learnerMentees++;
	}
	const { young, covered } = youngPedagogues(known, [org], to, endOfTo, marks.mentees, mark);
	const { entries, exits } = rows.walked?.growth ?? growthOf(h, rows.active);
	const { growth } = averages(entries, exits);
	const due = h.cols[F.due]!;
	let reportsDue = 0;
	for (let i = rows.p0; i < rows.p1; i++) reportsDue += due[lastRow(rows.scope, i)]!;
	return {
		programs: { inForce: rows.active.length },
		participants: {
			mentors: mentors.length,
			mentees: mentees.length,
			learners: { mentees: learnerMentees }
		},
		youngTeachers: { sharePercent: pct1(covered, young) },
		assessment: { growthAvg: r2(growth) },
		reports: { due: reportsDue }
	};
}

/**
 * A municipality's figures of a period, with the previous one as its documents compare with it
 * (PreviousFigures), and each of its organizations' OrganizationFigures (the analytic report): the
 * history, the registry and the cancellations read once for all of them.
 */
export async function municipalityFigures(
	db: SqlClient,
	scope: Scope,
	period: FigurePeriod,
	{
		now = Date.now(),
		sources: read,
		listing,
		groupings = true,
		onListing
	}: {
		now?: number;
		/** What the request read of the scope's sources already (sourcesOf). */
		sources?: Sources;
		/**
		 * With what the report lists as on the period's end (or today, if that is later): read
		 * from the period's own scan when the period ends by today, as listedPrograms reads it (a
		 * region's programs are scanned once less).
		 */
		listing?: ListingQuery;
		/** false: without the groupings by type, template and stage (ScopeDocFigures). */
		groupings?: boolean;
		/**
		 * Given the listing as soon as the period's own scan made it, before the previous period
		 * is computed: the caller's reads for it go to the database meanwhile.
		 */
		onListing?: (listing: Listing) => void;
	} = {}
): Promise<{
	figures: ScopeDocFigures;
	organizations: OrganizationFigures[];
	listing: Listing | null;
}> {
	const ids = scope.organizationIds;
	const zone = scope.timeZone ?? DEFAULT_TIME_ZONE;
	const today = todayIn(zone, now);
	const loaded = await (read ?? (await sourcesOf(db, ids))).load();
	const { h, registry, cancelled } = loaded;
	const resolved = resolvePeriod(period, today);
	const query = (p: { from: string; to: string; kind: 'date' | 'period' }): PeriodQuery => ({
		zone,
		...p,
		current: p.from >= today,
		view: new PeriodView(h, p.from, p.to)
	});
	const q = query(resolved);
	const known = registryByPerson(registry, h);
	const endOfTo = startOfDay(addDays(q.to, 1), zone);
	// Each organization's part of the municipality's own scan where it is just its own scan
	// (Segments.pure): read while the scan's rows are valid.
	const rowsNow = new Map<string, Omit<OrganizationFigures, 'previous'>>();
	const rowsBefore = new Map<string, PreviousRow>();
	// The period's last rows are the listing's when it ends by today (a later end: the listing is
	// as on today, so by a scan of its own).
	const listFromScan =
		listing !== undefined &&
		ids.length > 0 &&
		!q.current &&
		q.to <= today &&
		listing.period.from === q.from &&
		listing.period.to === q.to;
	let listed: Listing | null = null;
	const current = compute(loaded, ids, q, {
		view: q.view,
		groupings,
		withPrograms: listFromScan,
		eachSegment: (scope, inForce, j, people, growth) => {
			const org = scope.segments.orgs[j]!;
			if (scope.segments.pure[j])
				rowsNow.set(
					org,
					organizationRow(
						h,
						org,
						segmentRows(scope, inForce, j, { growth, people }),
						known,
						q.to,
						endOfTo
					)
				);
		},
		after: (scope) => {
			if (listFromScan) listed = listingOf(h, scope, q.view, listing);
		}
	});
	if (listing && !listed) {
		const asOf = listing.period.to <= today ? listing.period.to : today;
		const view = new PeriodView(h, listing.period.from, listing.period.to);
		listed = ids.length
			? listingOf(h, scanAt(h, ids, asOf, cancelled), view, listing)
			: { total: 0, programs: [] };
	}
	// The others (a program moved between them) by their own scans, while q's view holds.
	const rows = ids.map(
		(org) =>
			rowsNow.get(org) ??
			organizationRow(h, org, ownRows(h, org, cancelled, q), known, q.to, endOfTo)
	);
	if (listed && onListing) {
		onListing(listed);
		// The caller's reads are sent once the driver's own ticks have run.
		await new Promise((sent) => setImmediate(sent));
	}
	// The previous period over the history as it is now (a refresh may have run meanwhile).
	const prev =
		resolved.kind === 'period' ? query({ ...previousPeriod(resolved), kind: 'period' }) : null;
	const knownBefore = registryByPerson(registry, h);
	const previous =
		prev &&
		compute(loaded, ids, prev, {
			view: prev.view,
			eachSegment: (scope, inForce, j, people, growth) => {
				if (scope.segments.pure[j])
					rowsBefore.set(
						scope.segments.orgs[j]!,
						previousRow(h, segmentRows(scope, inForce, j, { growth, people }), knownBefore)
					);
			},
			groupings: false,
			previous: true
		});
	const before = (org: string) =>
		!prev
			? null
			: (rowsBefore.get(org) ?? previousRow(h, ownRows(h, org, cancelled, prev), knownBefore));
	return {
		figures: { ...current, previous },
		organizations: ids.map((org, i) => ({ ...rows[i]!, previous: before(org) })),
		listing: listed
	};
}
