/**
 * The programs' history (`curator_program_history`, one row of figure facts per program per day
 * it changed) held in memory per database, compact and kept current: the figures of any date or
 * period over a region's 100,000 programs (700,000 rows) become a scan of typed arrays, where
 * each figure used to read and parse every row of its period (issue 18: 3.3 s for a past date,
 * 14 s for a half-year with the previous one, 31 s for a municipality's analytic report).
 *
 * Current without a change feed. Every history write goes with its program's index row, in one
 * transaction and with the same `computed_at` (server/storage/curator-index.ts), so a program
 * whose index `computed_at` is the one seen when its rows were read still has those rows. Before
 * each figure the caller gives the scope's fingerprint of the index (`indexFingerprint`: count,
 * max and a checksum of `computed_at`); when it differs from what is held, the programs written
 * since the last one seen (less a margin for commits in flight and clocks of other instances)
 * are read again, and if the fingerprint still differs — an instance whose clock lags, a program
 * deleted — every program's `computed_at` is compared. Rows are read in pages, never all at once.
 *
 * Memory: one typed array per column (F), ~110 MB at 700,000 rows, loaded on the first figure
 * asked for (12–13 s at 100,000 programs on PostgreSQL), not at start: a relay that serves no
 * curator holds none of it.
 */
import type { FigureFacts } from '../../src/lib/shared/figures.js';
import type { SqlClient } from '../storage/sql.js';

/** Strings to small integers, and back. */
class Interner {
	private readonly ids = new Map<string, number>();
	readonly values: string[] = [];
	id(value: string): number {
		let id = this.ids.get(value);
		if (id === undefined) {
			id = this.values.length;
			this.ids.set(value, id);
			this.values.push(value);
		}
		return id;
	}
	find(value: string): number | undefined {
		return this.ids.get(value);
	}
	/** Gives value i the number `to[i]` (`to`: a permutation of 0 … size − 1). */
	renumber(to: Int32Array): void {
		const values = this.values.slice();
		for (let i = 0; i < values.length; i++) this.values[to[i]!] = values[i]!;
		// Existing keys set again while iterating: no key is added, so each is visited once.
		for (const [value, id] of this.ids) this.ids.set(value, to[id]!);
	}
	get size(): number {
		return this.values.length;
	}
}

/** No value (a null string, date or number in the facts). */
export const NONE = -1;

/** The integer columns of the rows (one typed array each: a scan reads only its columns). */
export const F = {
	day: 0,
	org: 1,
	status: 2,
	stage: 3,
	form: 4,
	category: 5,
	template: 6,
	/** The program's list of types (`typeKeys`, `typeLists`). */
	types: 7,
	start: 8,
	end: 9,
	reason: 10,
	completion: 11,
	pOff: 12,
	pLen: 13,
	aOff: 14,
	aLen: 15,
	expected: 16,
	due: 17,
	submitted: 18,
	accepted: 19,
	returned: 20,
	feedback: 21
} as const;
const INTS = 22;
/** The real columns: the feedback's averages (NaN: none). */
const REALS = 2;

/** The slots of HistoryProjection.buffer: each array one computation uses at once. */
export const Slot = {
	rows: 0,
	starts: 1,
	last: 2,
	active: 3,
	inForce: 4,
	mentors: 5,
	mentees: 6,
	sorted: 7,
	packOff: 8,
	packPeople: 9,
	mentorBits: 10,
	menteeBits: 11,
	scopeMentors: 12,
	scopeMentees: 13
} as const;
export type Slot = (typeof Slot)[keyof typeof Slot];

/** A participant in the pool: the person's number × 4, + 2 for a mentee, + 1 when registered. */
export const MENTEE = 2;
export const REGISTERED = 1;

/** A history day as an integer that sorts as the text does: 2025-12-15 → 20251215. */
export const dayNumber = (day: string): number =>
	Number(day.slice(0, 4)) * 10_000 + Number(day.slice(5, 7)) * 100 + Number(day.slice(8, 10));

export interface ProgramEntry {
	id: string;
	/** The program's number in this projection (never reused): an index of per-program arrays. */
	num: number;
	/** The organization of the program's index row, and its computed_at (NaN: no index row). */
	indexOrg: string | null;
	computedAt: number;
	/** Row numbers, by day. */
	rows: number[];
}

/**
 * An organization's programs packed for a scan: a region's figure reads 100,000 programs, and
 * following each one's object and row array cost it 40 ms of cache misses; these arrays are read
 * in order. Program i's rows are rows[start[i]] … rows[start[i + 1] - 1], by day.
 */
export interface OrgLayout {
	programs: ProgramEntry[];
	nums: Int32Array;
	/** The organization of each program's index row (its number in `orgs`; NONE: no index row). */
	indexOrgs: Int32Array;
	start: Int32Array;
	rows: Int32Array;
	/**
	 * Every program here has its rows and index row in this organization alone (or in none): none
	 * was moved from or to another. A scan of several organizations then reads these programs as
	 * this organization's own scan does, so its part of that scan is this organization's.
	 */
	pure: boolean;
}

/** The fingerprint of a scope's index rows: count, max and checksum of computed_at. */
export interface Fingerprint {
	n: number;
	max: number;
	sum: number;
}

/** The checksum's modulus: the sum of 100,000 residues stays an exact double on both sides. */
const MOD = 1_000_003;

/** The SQL of the fingerprint of `curator_program_index` rows matching `where`. */
export const fingerprintSql = (where: string): string =>
	`SELECT count(*) AS n, max(computed_at) AS mx, sum(computed_at % ${MOD}) AS s
		FROM curator_program_index WHERE ${where}`;

export const toFingerprint = (row: Record<string, unknown> | undefined): Fingerprint => ({
	n: Number(row?.n ?? 0),
	max: Number(row?.mx ?? 0),
	sum: Number(row?.s ?? 0)
});

/** Margin for commits in flight and other instances' clocks when reading what changed. */
const MARGIN_MS = 2 * 60_000;
const PAGE = 5_000;
const RELOAD_CHUNK = 500;

type HistoryRow = {
	program_id: string;
	day: string;
	organization_id: string | null;
	facts: string;
};

export class HistoryProjection {
	readonly programs = new Map<string, ProgramEntry>();
	/** Programs by the organizations of their rows and index row. */
	readonly byOrg = new Map<string, Set<ProgramEntry>>();
	readonly orgs = new Interner();
	/** Statuses, stages, forms, categories, templates, types, reasons: one table of words. */
	readonly words = new Interner();
	/** Dates of the facts (start, end, completion) as written, compared as text per figure. */
	readonly dates = new Interner();
	/**
	 * Participant keys (registry ids, or `<program>/<participant>` for the unregistered). Numbered
	 * again by compaction (`personEpoch` counts those times): what holds a number across a
	 * refresh checks the epoch.
	 */
	readonly persons = new Interner();
	personEpoch = 0;
	/** The lists of types, each list once (a row's `types`). */
	readonly typeKeys = new Interner();
	readonly typeLists: string[][] = [];

	/** The integer columns (F), each indexed by row number. */
	cols: Int32Array[] = Array.from({ length: INTS }, () => new Int32Array(1024));
	reals = new Float64Array(REALS * 1024);
	/** Participants (see MENTEE), and mentee self-assessments as (person, entry, exit). */
	people = new Int32Array(4096);
	assessments = new Float64Array(3 * 1024);
	rowCount = 0;
	peopleCount = 0;
	assessmentCount = 0;
	/** Rows no program refers to any more (replaced): compacted when they are most. */
	private dead = 0;
	/** The largest computed_at seen in the index. */
	private maxSeen = 0;
	private loaded: Promise<void> | null = null;
	/** Each organization's fingerprint of the held index rows (kept as rows come and go). */
	private readonly stats = new Map<
		string,
		{ n: number; sum: number; max: number; maxGone: boolean }
	>();
	private scratch: Marks = newMarks(0);
	private segmentScratch: Marks = newMarks(0);
	private visits = 0;
	private visitMarks = new Int32Array(1024);
	private programCount = 0;
	/** Each organization's packed programs, dropped whenever one of its programs changes. */
	private readonly layouts = new Map<string, OrgLayout>();
	private readonly buffers: Int32Array[] = [];
	private queue: Promise<unknown> = Promise.resolve();
	/** Counts the changes of the held rows (`changes`). */
	private changeCount = 0;
	/**
	 * The recent changes of the held rows, each with the first day it changed: a figure of a past
	 * date reads no row after it, so one computed before a change of later days is still right
	 * (`unchangedThrough`). Older changes than these are forgotten from `forgotten` on.
	 */
	private readonly changes: Array<{ change: number; day: number }> = [];
	private forgotten = 0;

	constructor(private readonly db: SqlClient) {}

	/**
	 * A number for one computation's visits of programs, and the array that holds, by program
	 * number, the last visit (a program in several of the scope's organizations is seen once).
	 */
	nextVisit(): { visit: number; visited: Int32Array } {
		if (this.visitMarks.length < this.programCount)
			this.visitMarks = new Int32Array(this.programCount * 2);
		return { visit: ++this.visits, visited: this.visitMarks };
	}

	/** The organization's programs packed for a scan, built again after any of them changed. */
	layoutOf(org: string): OrgLayout | undefined {
		const known = this.layouts.get(org);
		if (known) return known;
		const set = this.byOrg.get(org);
		if (!set) return undefined;
		const programs = [...set];
		let total = 0;
		for (const p of programs) total += p.rows.length;
		const layout: OrgLayout = {
			programs,
			nums: new Int32Array(programs.length),
			indexOrgs: new Int32Array(programs.length),
			start: new Int32Array(programs.length + 1),
			rows: new Int32Array(total),
			pure: true
		};
		const self = this.orgs.id(org);
		const orgCol = this.cols[F.org]!;
		let k = 0;
		programs.forEach((p, i) => {
			layout.nums[i] = p.num;
			layout.indexOrgs[i] = p.indexOrg === null ? NONE : this.orgs.id(p.indexOrg);
			if (p.indexOrg !== null && p.indexOrg !== org) layout.pure = false;
			for (const row of p.rows) {
				layout.rows[k++] = row;
				const rowOrg = orgCol[row]!;
				if (rowOrg !== NONE && rowOrg !== self) layout.pure = false;
			}
			layout.start[i + 1] = k;
		});
		this.layouts.set(org, layout);
		return layout;
	}

	/**
	 * A reused array of at least `size` for slot `slot` (Slot) of one computation, its contents
	 * left from the last one: a region's figure would otherwise allocate ~10 MB of arrays, and
	 * that much new memory outside the heap makes the collector run a full collection. Only for a
	 * computation that does not await before it is done with the array (the next one reuses it).
	 */
	buffer(slot: Slot, size: number): Int32Array {
		let b = this.buffers[slot];
		if (!b || b.length < size)
			this.buffers[slot] = b = new Int32Array(Math.max(size, Math.ceil((b?.length ?? 0) * 1.5)));
		return b;
	}

	/** The packed layouts of every organization `p` is in are stale (its rows or index changed). */
	private touch(p: ProgramEntry): void {
		if (this.layouts.size === 0) return;
		if (p.indexOrg !== null) this.layouts.delete(p.indexOrg);
		const orgCol = this.cols[F.org]!;
		for (const row of p.rows) {
			const org = orgCol[row]!;
			if (org !== NONE) this.layouts.delete(this.orgs.values[org]!);
		}
	}

	/**
	 * Brings the held history up to date for the scope's organizations, given the index's
	 * fingerprint for them read just before. Serialized: one refresh at a time.
	 */
	refresh(organizationIds: string[], fingerprint: Fingerprint): Promise<void> {
		const run = this.queue.then(async () => {
			await (this.loaded ??= this.loadAll().catch((error: unknown) => {
				this.loaded = null;
				throw error;
			}));
			if (this.matches(organizationIds, fingerprint)) return;
			await this.reloadChanged(
				await this.db.all<IndexRow>(
					`SELECT program_id, organization_id, computed_at FROM curator_program_index WHERE computed_at >= ?`,
					[this.maxSeen - MARGIN_MS]
				),
				false
			);
			if (this.matches(organizationIds, fingerprint)) return;
			await this.reloadChanged(
				await this.db.all<IndexRow>(
					'SELECT program_id, organization_id, computed_at FROM curator_program_index'
				),
				true
			);
		});
		this.queue = run.catch(() => undefined);
		return run;
	}

	/** The held rows' version: a result records it to ask `unchangedThrough` later. */
	get version(): number {
		return this.changeCount;
	}

	/**
	 * Whether no held row of a day on or before `day` changed since `version`: what a past date's
	 * figures read is the same.
	 */
	unchangedThrough(day: number, version: number): boolean {
		if (version < this.forgotten) return false;
		for (let i = this.changes.length - 1; i >= 0 && this.changes[i]!.change > version; i--)
			if (this.changes[i]!.day <= day) return false;
		return true;
	}

	private changed(day: number): void {
		if (day === Number.POSITIVE_INFINITY) return;
		this.changes.push({ change: ++this.changeCount, day });
		// A curator asks about past dates now and then; a region writes all day long.
		if (this.changes.length > 4_096) this.forgotten = this.changes.splice(0, 2_048).at(-1)!.change;
	}

	/** The first day whose rows differ between a program's rows before and after (∞: none). */
	private firstChange(before: number[], after: number[]): number {
		const day = this.cols[F.day]!;
		const n = Math.min(before.length, after.length);
		for (let i = 0; i < n; i++)
			if (!this.sameRow(before[i]!, after[i]!)) return Math.min(day[before[i]!]!, day[after[i]!]!);
		if (before.length > n) return day[before[n]!]!;
		if (after.length > n) return day[after[n]!]!;
		return Number.POSITIVE_INFINITY;
	}

	/** Whether two rows hold the same day, organization and facts. */
	private sameRow(a: number, b: number): boolean {
		if (a === b) return true;
		const c = this.cols;
		for (let k = 0; k < INTS; k++)
			if (k !== F.pOff && k !== F.aOff && c[k]![a] !== c[k]![b]) return false;
		for (let k = 0; k < REALS; k++)
			if (!Object.is(this.reals[a * REALS + k], this.reals[b * REALS + k])) return false;
		const len = c[F.pLen]![a]!;
		for (let k = 0, x = c[F.pOff]![a]!, y = c[F.pOff]![b]!; k < len; k++)
			if (this.people[x + k] !== this.people[y + k]) return false;
		for (let k = 0, x = 3 * c[F.aOff]![a]!, y = 3 * c[F.aOff]![b]!; k < 3 * c[F.aLen]![a]!; k++)
			if (!Object.is(this.assessments[x + k], this.assessments[y + k])) return false;
		return true;
	}

	/** Whether the held index rows of the organizations have this fingerprint. */
	private matches(organizationIds: string[], fp: Fingerprint): boolean {
		let n = 0;
		let max = 0;
		let sum = 0;
		for (const org of new Set(organizationIds)) {
			const st = this.stats.get(org);
			if (!st) continue;
			if (st.maxGone) {
				st.max = 0;
				for (const p of this.byOrg.get(org) ?? [])
					if (p.indexOrg === org && p.computedAt > st.max) st.max = p.computedAt;
				st.maxGone = false;
			}
			n += st.n;
			sum += st.sum;
			if (st.max > max) max = st.max;
		}
		return n === fp.n && (n === 0 || (max === fp.max && sum === fp.sum));
	}

	/** Adds (1) or takes away (-1) a program's index row from its organization's fingerprint. */
	private count(p: ProgramEntry, sign: 1 | -1): void {
		if (p.indexOrg === null || Number.isNaN(p.computedAt)) return;
		let st = this.stats.get(p.indexOrg);
		if (!st) this.stats.set(p.indexOrg, (st = { n: 0, sum: 0, max: 0, maxGone: false }));
		st.n += sign;
		st.sum += sign * (p.computedAt % MOD);
		if (sign === 1) st.max = Math.max(st.max, p.computedAt);
		else if (p.computedAt >= st.max) st.maxGone = true;
	}

	private async loadAll(): Promise<void> {
		// The index first: a program written after this read has a newer computed_at than the one
		// kept, so the next refresh reads it again, whichever of its rows the pages below saw.
		const index = await this.db.all<IndexRow>(
			'SELECT program_id, organization_id, computed_at FROM curator_program_index'
		);
		for (const r of index) this.setIndex(this.entry(r.program_id), r);
		let after: [string, string] | null = null;
		for (;;) {
			const page: HistoryRow[] = await this.db.all<HistoryRow>(
				`SELECT program_id, day, organization_id, facts FROM curator_program_history
					${after ? 'WHERE (program_id, day) > (?, ?)' : ''} ORDER BY program_id, day LIMIT ${PAGE}`,
				after ?? []
			);
			for (const r of page) this.addRow(this.entry(r.program_id), r);
			if (page.length < PAGE) break;
			const last = page[page.length - 1]!;
			after = [last.program_id, last.day];
		}
		// Doubling left up to twice the room the rows need: a tenth more than they use, and the
		// rows numbered organization by organization.
		this.compact();
	}

	/** Reads again the history of the programs whose index row is not the one held. */
	private async reloadChanged(index: IndexRow[], complete: boolean): Promise<void> {
		const changed: string[] = [];
		for (const r of index) {
			const p = this.programs.get(r.program_id);
			if (!p || p.computedAt !== Number(r.computed_at) || p.indexOrg !== r.organization_id)
				changed.push(r.program_id);
		}
		if (complete) {
			// Programs gone from the index (deleted: their history went with them).
			const present = new Set(index.map((r) => r.program_id));
			for (const p of [...this.programs.values()])
				if (!present.has(p.id) && !Number.isNaN(p.computedAt)) changed.push(p.id);
		}
		const byId = new Map(index.map((r) => [r.program_id, r]));
		for (let i = 0; i < changed.length; i += RELOAD_CHUNK) {
			const chunk = changed.slice(i, i + RELOAD_CHUNK);
			const rows = await this.db.all<HistoryRow>(
				`SELECT program_id, day, organization_id, facts FROM curator_program_history
					WHERE program_id IN (${chunk.map(() => '?').join(',')}) ORDER BY program_id, day`,
				chunk
			);
			// (clear() leaves the old rows readable until compaction, after the chunks.)
			const before = chunk.map((id) => this.entry(id).rows);
			for (const id of chunk) this.clear(this.entry(id));
			for (const r of rows) this.addRow(this.entry(r.program_id), r);
			for (const [k, id] of chunk.entries()) {
				const p = this.entry(id);
				const r = byId.get(id);
				// Its rows alone: a past date's scan counts a row by the row's own organization, not
				// by where the index puts the program (a move writes a row of its day).
				this.changed(this.firstChange(before[k]!, p.rows));
				if (r) this.setIndex(p, r);
				else {
					// No index row: deleted (its history went with it), or history alone.
					this.touch(p);
					this.count(p, -1);
					p.computedAt = Number.NaN;
					if (p.rows.length === 0) {
						if (p.indexOrg !== null) this.byOrg.get(p.indexOrg)?.delete(p);
						this.programs.delete(id);
					}
				}
			}
		}
		if (this.dead > 100_000 && this.dead > this.rowCount / 2) this.compact();
	}

	private entry(id: string): ProgramEntry {
		let p = this.programs.get(id);
		if (!p)
			this.programs.set(
				id,
				(p = {
					id,
					num: this.programCount++,
					indexOrg: null,
					computedAt: Number.NaN,
					rows: []
				})
			);
		return p;
	}

	private setIndex(p: ProgramEntry, r: IndexRow): void {
		this.touch(p);
		this.count(p, -1);
		const before = p.indexOrg;
		// Left in the set of an organization some of its rows still have (a program moved).
		if (before !== null && before !== r.organization_id) {
			const org = this.orgs.find(before);
			if (!p.rows.some((row) => this.cols[F.org]![row] === org)) this.byOrg.get(before)?.delete(p);
		}
		p.indexOrg = r.organization_id;
		p.computedAt = Number(r.computed_at);
		this.count(p, 1);
		if (p.computedAt > this.maxSeen) this.maxSeen = p.computedAt;
		if (p.indexOrg !== null) this.orgSet(p.indexOrg).add(p);
		this.touch(p);
	}

	private orgSet(org: string): Set<ProgramEntry> {
		let set = this.byOrg.get(org);
		if (!set) this.byOrg.set(org, (set = new Set()));
		return set;
	}

	private clear(p: ProgramEntry): void {
		this.touch(p);
		for (const row of p.rows) {
			const org = this.cols[F.org]![row]!;
			if (org !== NONE) {
				const id = this.orgs.values[org]!;
				if (id !== p.indexOrg) this.byOrg.get(id)?.delete(p);
			}
		}
		this.dead += p.rows.length;
		p.rows = [];
	}

	private addRow(p: ProgramEntry, r: HistoryRow): void {
		let facts: FigureFacts;
		try {
			facts = JSON.parse(r.facts) as FigureFacts;
		} catch {
			return; // a damaged row counts as no row, as it always has
		}
		const row = this.append(facts, dayNumber(r.day), r.organization_id);
		if (r.organization_id !== null) this.orgSet(r.organization_id).add(p);
		const days = p.rows;
		let i = days.length;
		const dayCol = this.cols[F.day]!;
		const day = dayCol[row]!;
		while (i > 0 && dayCol[days[i - 1]!]! > day) i--;
		if (!this.shareParticipants(row, days[i - 1])) this.shareParticipants(row, days[i]);
		days.splice(i, 0, row);
		this.touch(p);
	}

	/**
	 * The row just appended takes its participants from `other` (a row of the same program next to
	 * it by day) when they are the same list, and gives back its own copy. A program's people
	 * rarely change from one day to the next: its rows then share one list, which the figures mark
	 * once (figures.ts, InForce.peopleRows), and the history holds once.
	 */
	private shareParticipants(row: number, other: number | undefined): boolean {
		if (other === undefined) return false;
		const pOff = this.cols[F.pOff]!;
		const pLen = this.cols[F.pLen]!;
		const len = pLen[row]!;
		const at = pOff[row]!;
		const from = pOff[other]!;
		if (len === 0 || pLen[other] !== len || at + len !== this.peopleCount) return false;
		for (let k = 0; k < len; k++) if (this.people[at + k] !== this.people[from + k]) return false;
		pOff[row] = from;
		this.peopleCount = at;
		return true;
	}

	private word = (v: string | null | undefined): number =>
		typeof v === 'string' ? this.words.id(v) : NONE;
	private date = (v: string | null | undefined): number =>
		typeof v === 'string' ? this.dates.id(v) : NONE;

	private append(f: FigureFacts, day: number, org: string | null): number {
		const row = this.rowCount++;
		this.ensureRows(row + 1);
		const c = this.cols;
		const types = Array.isArray(f.types) ? f.types : [];
		const typesId = this.typeKeys.id(types.join('\u0000'));
		this.typeLists[typesId] ??= [...types];
		c[F.day]![row] = day;
		c[F.org]![row] = org === null ? NONE : this.orgs.id(org);
		c[F.status]![row] = this.word(f.status);
		c[F.stage]![row] = this.word(f.stage);
		c[F.form]![row] = this.word(f.form);
		c[F.category]![row] = this.word(f.category);
		c[F.template]![row] = this.word(f.templateId);
		c[F.types]![row] = typesId;
		c[F.start]![row] = this.date(f.startDate);
		c[F.end]![row] = this.date(f.endDate);
		c[F.reason]![row] = f.completion ? this.word(f.completion.reason) : NONE;
		c[F.completion]![row] = f.completion ? this.date(f.completion.date) : NONE;
		const participants = Array.isArray(f.participants) ? f.participants : [];
		c[F.pOff]![row] = this.peopleCount;
		c[F.pLen]![row] = participants.length;
		if (this.peopleCount + participants.length > this.people.length)
			this.people = grow(this.people, this.peopleCount + participants.length);
		for (const x of participants)
			this.people[this.peopleCount++] =
				this.persons.id(x.key) * 4 + (x.role === 'mentor' ? 0 : MENTEE) + (x.registered ? 1 : 0);
		const assessed = Array.isArray(f.menteeAssessment) ? f.menteeAssessment : [];
		c[F.aOff]![row] = this.assessmentCount;
		c[F.aLen]![row] = assessed.length;
		if (3 * (this.assessmentCount + assessed.length) > this.assessments.length)
			this.assessments = grow(this.assessments, 3 * (this.assessmentCount + assessed.length));
		for (const m of assessed) {
			const a = 3 * this.assessmentCount++;
			this.assessments[a] = this.persons.id(m.key);
			this.assessments[a + 1] = m.entry ?? Number.NaN;
			this.assessments[a + 2] = m.exit ?? Number.NaN;
		}
		const reports = f.reports ?? { expected: 0, due: 0, submitted: 0, accepted: 0, returned: 0 };
		c[F.expected]![row] = reports.expected ?? 0;
		c[F.due]![row] = reports.due ?? 0;
		c[F.submitted]![row] = reports.submitted ?? 0;
		c[F.accepted]![row] = reports.accepted ?? 0;
		c[F.returned]![row] = reports.returned ?? 0;
		c[F.feedback]![row] = f.feedback?.count ?? 0;
		this.reals[row * REALS] = f.feedback?.mentorAvg ?? Number.NaN;
		this.reals[row * REALS + 1] = f.feedback?.menteeAvg ?? Number.NaN;
		return row;
	}

	/** A row's word (status, stage, form…) or date column as text; null for none. */
	private wordAt(row: number, k: number): string | null {
		const id = this.cols[k]![row]!;
		return id === NONE ? null : this.words.values[id]!;
	}
	private dateAt(row: number, k: number): string | null {
		const id = this.cols[k]![row]!;
		return id === NONE ? null : this.dates.values[id]!;
	}

	/**
	 * The few facts of a row that lists filter on, without its participants and assessments. No
	 * closures made per call: a list filters a region's 100,000 rows through it. `into`: filled
	 * in place of a new object (a filter that keeps nothing of it: one object for all the rows).
	 */
	brief(row: number, into?: FactsBrief): FactsBrief {
		const reason = this.wordAt(row, F.reason);
		const out = into ?? ({} as FactsBrief);
		out.status = this.wordAt(row, F.status) ?? 'draft';
		out.templateId = this.wordAt(row, F.template);
		out.startDate = this.dateAt(row, F.start);
		out.endDate = this.dateAt(row, F.end);
		out.completion =
			reason !== null ? { reason, date: this.dateAt(row, F.completion) ?? '' } : null;
		out.reportsDue = this.cols[F.due]![row]!;
		return out;
	}

	/** The facts of a row, as `figureFacts` made them. */
	facts(row: number): FigureFacts {
		const i = (k: number) => this.cols[k]![row]!;
		const word = (k: number) => this.wordAt(row, k);
		const participants: FigureFacts['participants'] = [];
		for (let k = i(F.pOff), end = k + i(F.pLen); k < end; k++) {
			const v = this.people[k]!;
			participants.push({
				key: this.persons.values[v >> 2]!,
				role: v & MENTEE ? 'mentee' : 'mentor',
				registered: (v & REGISTERED) === REGISTERED
			});
		}
		const menteeAssessment: FigureFacts['menteeAssessment'] = [];
		for (let k = i(F.aOff), end = k + i(F.aLen); k < end; k++) {
			const entry = this.assessments[3 * k + 1]!;
			const exit = this.assessments[3 * k + 2]!;
			menteeAssessment.push({
				key: this.persons.values[this.assessments[3 * k]!]!,
				entry: Number.isNaN(entry) ? null : entry,
				exit: Number.isNaN(exit) ? null : exit
			});
		}
		const real = (v: number) => (Number.isNaN(v) ? null : v);
		const { status, templateId, startDate, endDate, completion } = this.brief(row);
		return {
			status,
			stage: word(F.stage) ?? '',
			form: word(F.form),
			types: [...(this.typeLists[i(F.types)] ?? [])],
			category: word(F.category),
			templateId,
			startDate,
			endDate,
			completion,
			participants,
			menteeAssessment,
			feedback: {
				count: i(F.feedback),
				mentorAvg: real(this.reals[row * REALS]!),
				menteeAvg: real(this.reals[row * REALS + 1]!)
			},
			reports: {
				expected: i(F.expected),
				due: i(F.due),
				submitted: i(F.submitted),
				accepted: i(F.accepted),
				returned: i(F.returned)
			}
		};
	}

	/**
	 * Scratch arrays for one computation at a time (computations run without awaiting): a person
	 * counts as marked in a group while the array holds that group's number (`next()`), so
	 * nothing is cleared or allocated per group.
	 */
	marks(): Marks {
		if (this.scratch.mentors.length < this.persons.size)
			this.scratch = newMarks(Math.max(1024, this.persons.size * 2));
		return this.scratch;
	}

	/** A second set of marks, apart from `marks()`: each organization's, where a walk marks both. */
	segmentMarks(): Marks {
		if (this.segmentScratch.mentors.length < this.persons.size)
			this.segmentScratch = newMarks(Math.max(1024, this.persons.size * 2));
		return this.segmentScratch;
	}

	/** The feedback averages of a row (NaN: none). */
	mentorAvg(row: number): number {
		return this.reals[row * REALS]!;
	}
	menteeAvg(row: number): number {
		return this.reals[row * REALS + 1]!;
	}

	/** Room for `rows` rows in every column. */
	private ensureRows(rows: number): void {
		if (rows <= this.cols[0]!.length) return;
		this.cols = this.cols.map((col) => grow(col, rows));
		this.reals = grow(this.reals, rows * REALS);
	}

	/**
	 * Copies the rows programs refer to into fresh arrays, leaving the replaced ones behind, and
	 * numbers them organization by organization (each program's rows together, by day): a scope's
	 * scan then reads each column in order instead of at places spread over the whole region (a
	 * program's rows were as far apart as the programs were in the order they were read in).
	 * Column by column, so it needs room for one more column at a time, not a second copy.
	 */
	compact(): void {
		const placed = new Set<ProgramEntry>();
		const order: ProgramEntry[] = [];
		const place = (p: ProgramEntry) => {
			if (placed.has(p)) return;
			placed.add(p);
			order.push(p);
		};
		for (const set of this.byOrg.values()) for (const p of set) place(p);
		for (const p of this.programs.values()) place(p);
		let live = 0;
		for (const p of order) live += p.rows.length;
		// The old number of each new row.
		const from = new Int32Array(live);
		let next = 0;
		for (const p of order)
			p.rows = p.rows.map((row) => {
				from[next] = row;
				return next++;
			});
		const size = Math.ceil(live * 1.1) + 1024;
		const moved = (col: Int32Array) => {
			const out = new Int32Array(size);
			for (let i = 0; i < live; i++) out[i] = col[from[i]!]!;
			return out;
		};
		const pOff = this.cols[F.pOff]!;
		const aOff = this.cols[F.aOff]!;
		for (let k = 0; k < INTS; k++)
			if (k !== F.pOff && k !== F.aOff) this.cols[k] = moved(this.cols[k]!);
		const pLen = this.cols[F.pLen]!;
		const aLen = this.cols[F.aLen]!;
		let peopleCount = 0;
		let assessmentCount = 0;
		for (let i = 0; i < live; i++) {
			peopleCount += pLen[i]!;
			assessmentCount += aLen[i]!;
		}
		const people = new Int32Array(Math.ceil(peopleCount * 1.1) + 4096);
		const assessments = new Float64Array(3 * (Math.ceil(assessmentCount * 1.1) + 1024));
		const reals = new Float64Array(REALS * size);
		const newPOff = new Int32Array(size);
		const newAOff = new Int32Array(size);
		// The people numbered again in the rows' new order: a scan's people then come in the order
		// of their numbers too, and the arrays a figure marks them in by number are read in order,
		// not at places spread over a region's 200,000 people (they were numbered as first read).
		const personTo = new Int32Array(this.persons.size).fill(NONE);
		let persons = 0;
		const renumbered = (person: number): number =>
			personTo[person] === NONE ? (personTo[person] = persons++) : personTo[person]!;
		let pAt = 0;
		let aAt = 0;
		for (let i = 0; i < live; i++) {
			const old = from[i]!;
			// A list the row before shared (shareParticipants) stays shared.
			if (i > 0 && pOff[old] === pOff[from[i - 1]!] && pLen[i] === pLen[i - 1])
				newPOff[i] = newPOff[i - 1]!;
			else {
				newPOff[i] = pAt;
				for (let k = pOff[old]!, end = k + pLen[i]!; k < end; k++) {
					const v = this.people[k]!;
					people[pAt++] = renumbered(v >> 2) * 4 + (v & 3);
				}
			}
			newAOff[i] = aAt;
			const a0 = 3 * aOff[old]!;
			for (let k = 0; k < aLen[i]!; k++) {
				assessments[3 * (aAt + k)] = renumbered(this.assessments[a0 + 3 * k]!);
				assessments[3 * (aAt + k) + 1] = this.assessments[a0 + 3 * k + 1]!;
				assessments[3 * (aAt + k) + 2] = this.assessments[a0 + 3 * k + 2]!;
			}
			aAt += aLen[i]!;
			for (let k = 0; k < REALS; k++) reals[i * REALS + k] = this.reals[old * REALS + k]!;
		}
		// People no held row names any more keep a number, after the others.
		for (let person = 0; person < personTo.length; person++) renumbered(person);
		this.persons.renumber(personTo);
		this.personEpoch++;
		this.cols[F.pOff] = newPOff;
		this.cols[F.aOff] = newAOff;
		this.people = people;
		this.assessments = assessments;
		this.reals = reals;
		this.rowCount = live;
		this.peopleCount = pAt;
		this.assessmentCount = aAt;
		this.dead = 0;
		this.layouts.clear();
	}
}

type IndexRow = {
	program_id: string;
	organization_id: string | null;
	computed_at: number | string;
};

function grow<T extends Int32Array | Float64Array>(array: T, atLeast: number): T {
	const next = new (array.constructor as new (n: number) => T)(Math.max(atLeast, array.length * 2));
	next.set(array);
	return next;
}

export type FactsBrief = Pick<
	FigureFacts,
	'status' | 'templateId' | 'startDate' | 'endDate' | 'completion'
> & { reportsDue: number };

export interface Marks {
	mentors: Int32Array;
	mentees: Int32Array;
	/** A person's category (an index of the caller's list), valid where `kindMarks` holds the mark. */
	kinds: Int8Array;
	kindMarks: Int32Array;
	next(): number;
}

function newMarks(size: number): Marks {
	let mark = 0;
	const marks: Marks = {
		mentors: new Int32Array(size),
		mentees: new Int32Array(size),
		kinds: new Int8Array(size),
		kindMarks: new Int32Array(size),
		next: () => {
			if (mark === 0x7fff_ffff) {
				mark = 0;
				marks.mentors.fill(0);
				marks.mentees.fill(0);
				marks.kindMarks.fill(0);
			}
			return ++mark;
		}
	};
	return marks;
}

const projections = new WeakMap<SqlClient, HistoryProjection>();

/** The held history of a database (one per database client: each instance holds its own). */
export function historyOf(db: SqlClient): HistoryProjection {
	let p = projections.get(db);
	if (!p) projections.set(db, (p = new HistoryProjection(db)));
	return p;
}
