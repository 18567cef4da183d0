/**
 * The curator index's counters (curator_index_counts, server/storage/curator-counts.ts) against a
 * plain count of the index, after random summary writes, device facts, deletes, moves between
 * organizations and cancellations — on SQLite, and on PostgreSQL under `npm run test:postgres`
 * (TEST_STORAGE) — and the dashboard's totals, pickers' counts and per-organization aggregates
 * read from them against the same figures counted over the index.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRealisticProgram } from '../../src/lib/shared/program/fixtures.js';
import { summarize } from '../../src/lib/shared/program/summary.js';
import {
	COUNT_KEY,
	COUNT_SUMS,
	SEARCH_TOTALS_COLUMNS,
	TOTALS_COLUMNS,
	flagsSql,
	foldCounts
} from '../../server/storage/curator-counts.js';
import {
	openPostgresStorage,
	openSqliteStorage,
	type Storage
} from '../../server/storage/index.js';
import {
	organizationAggregates,
	queryDashboard,
	staleByFactsSql
} from '../../server/curator/dashboard.js';
import { SORT_KEYS, type DashboardQuery } from '../../src/lib/shared/api/curator.js';
import { plainDashboard } from './curator-plain.js';
import { TEST_STORAGE, createTestDatabase, type TestDatabase } from './test-storage.js';

/** A small deterministic generator (mulberry32): the same operations on every run. */
function random(seed: number) {
	let a = seed;
	return () => {
		a = (a + 0x6d2b79f5) | 0;
		let t = Math.imul(a ^ (a >>> 15), 1 | a);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
}

const ORGS = ['org-a', 'org-b', 'org-c', 'org-d'];
/** Two organizations share a name (schools renamed alike): the sort by organization keeps each one's programs together. */
const orgName = (o: string) => `Школа ${o === 'org-d' ? 'org-b' : o}`;
const NOW = Date.parse('2025-06-01T12:00:00Z');

let storage: Storage;
let pgDatabase: TestDatabase | null = null;
let dir = '';

beforeAll(async () => {
	if (TEST_STORAGE === 'postgres') {
		pgDatabase = await createTestDatabase();
		storage = await openPostgresStorage(pgDatabase.url);
	} else {
		dir = mkdtempSync(path.join(tmpdir(), 'curator-counts-'));
		storage = openSqliteStorage(dir);
	}
	for (const o of ORGS) {
		await storage.sql.run(
			'INSERT INTO municipalities (id, name, created_at) VALUES (?, ?, 0) ON CONFLICT DO NOTHING',
			['mun', 'Город']
		);
		await storage.sql.run(
			'INSERT INTO organizations (id, municipality_id, name, created_at) VALUES (?, ?, ?, 0)',
			[o, 'mun', orgName(o)]
		);
	}
});

afterAll(async () => {
	await storage?.close();
	await pgDatabase?.drop();
	if (dir) rmSync(dir, { recursive: true, force: true });
});

const DAY = 86_400_000;

/** The mentors' and mentees' user ids of the summaries. */
function peopleOf(list: unknown[]): string[] {
	const ids = new Set<string>();
	for (const s of list)
		for (const p of (s as { participants?: Array<{ userId?: string; role?: string }> })
			.participants ?? [])
			if (p.userId && (p.role === 'mentor' || p.role === 'mentee')) ids.add(p.userId);
	return [...ids];
}

const SURNAMES = ['Орлова', 'Волкова', 'Зайцева', 'Павлова', 'Семёнова'];
const TITLES = ['Адаптация', 'Наставничество руководителя', 'Резерв', 'Адаптация'];

/**
 * Summaries of a few generated programs on several days: different stages, overdue, reports;
 * titles (some alike) and participants' surnames varied, so searches and sorts by title find
 * some programs and not others.
 */
function summaries(): unknown[] {
	const out: unknown[] = [];
	for (let seed = 1; seed <= 4; seed++) {
		const { doc } = generateRealisticProgram(seed, { edits: 60 });
		for (const day of ['2024-10-01', '2025-01-20', '2025-05-20', '2026-09-01']) {
			const summary = summarize(doc, day);
			const k = out.length;
			out.push({
				...summary,
				title: `${TITLES[k % TITLES.length]} ${seed}`,
				participants: summary.participants.map((p, n) => ({
					...p,
					name: `${SURNAMES[(k + n) % SURNAMES.length]} ${p.name}`
				}))
			});
		}
	}
	return out;
}

const key = [...COUNT_KEY, 'flags'];
const sums = ['n', ...COUNT_SUMS];

/** The counters summed per key, and the same figures counted over the index rows. */
async function counters(sql: Storage['sql']) {
	const order = key.map((_, k) => k + 1).join(', ');
	const counted = await sql.all<Record<string, unknown>>(
		`SELECT ${key.join(', ')}, ${sums.map((c) => `sum(${c}) AS ${c}`).join(', ')}
			FROM curator_index_counts GROUP BY ${order} HAVING sum(n) <> 0 ORDER BY ${order}`
	);
	const plain = await sql.all<Record<string, unknown>>(
		`SELECT ${COUNT_KEY.map((c) => `i.${c}`).join(', ')}, ${flagsSql('i')} AS flags, count(*) AS n,
				${COUNT_SUMS.map((c) => `sum(i.${c}) AS ${c}`).join(', ')}
			FROM curator_program_index i GROUP BY ${order} ORDER BY ${order}`
	);
	const numbers = (rows: Array<Record<string, unknown>>) =>
		rows.map((r) =>
			Object.fromEntries(
				Object.entries(r).map(([k, v]) => [k, sums.includes(k) || k === 'flags' ? Number(v) : v])
			)
		);
	return { counted: numbers(counted), plain: numbers(plain) };
}

/**
 * The narrow totals table (migration 150) holds each index row's totals columns, no more, no less;
 * the search totals table (migration 151) the same columns and the search text of each program
 * that has both.
 */
async function expectTotalsInStep(sql: Storage['sql']) {
	const columns = TOTALS_COLUMNS.join(', ');
	const read = async (table: string, select = columns) =>
		(await sql.all<Record<string, unknown>>(`SELECT ${select} FROM ${table} ORDER BY 1`)).map((r) =>
			Object.fromEntries(
				Object.entries(r).map(([k, v]) => [k, typeof v === 'string' || v === null ? v : Number(v)])
			)
		);
	const index = await read('curator_program_index');
	expect(await read('curator_program_totals')).toEqual(index);
	const searched = await read(
		'curator_program_index i JOIN curator_program_search s ON s.program_id = i.program_id',
		SEARCH_TOTALS_COLUMNS.map((c) => (c === 'search' ? 's.search' : `i.${c}`)).join(', ')
	);
	expect(searched.length).toBeGreaterThan(0);
	expect(await read('curator_search_totals', SEARCH_TOTALS_COLUMNS.join(', '))).toEqual(searched);
	return index.length;
}

/**
 * Each organization's mentors and mentees as the triggers keep them (migration 157): the links of
 * each person to the organization's programs that are indexed and not cancelled, as a plain
 * grouping of the participants counts them. Returns how many people rows there are.
 */
async function expectOrgPeopleInStep(sql: Storage['sql']) {
	const read = async (query: string) =>
		(await sql.all<{ org: string; role: string; person: string; links: number }>(query)).map(
			(r) => ({ ...r, links: Number(r.links) })
		);
	const kept = await read(
		`SELECT organization_id AS org, role, person_id AS person, links FROM curator_org_people
			ORDER BY 1, 2, 3`
	);
	const plain = await read(
		`SELECT j.organization_id AS org, pp.role, pp.person_id AS person, count(*) AS links
			FROM program_participants pp JOIN curator_program_index j ON j.program_id = pp.program_id
			WHERE pp.role IN ('mentor', 'mentee') AND j.organization_id IS NOT NULL
				AND pp.program_id NOT IN (SELECT program_id FROM program_cancellations)
			GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`
	);
	expect(kept).toEqual(plain);
	// …and their counts per organization and role (migration 161), folded or not, are those rows'.
	const counts = async (from: string, n: string) =>
		(
			await sql.all<{ org: string; role: string; n: number }>(
				`SELECT organization_id AS org, role, ${n} AS n FROM ${from}
					GROUP BY 1, 2 HAVING ${n} <> 0 ORDER BY 1, 2`
			)
		).map((r) => ({ ...r, n: Number(r.n) }));
	const rows = await counts('curator_org_people', 'count(*)');
	expect(await counts('curator_org_people_counts', 'sum(n)')).toEqual(rows);
	await foldCounts(sql);
	expect(await counts('curator_org_people_counts', 'sum(n)')).toEqual(rows);
	return kept.length;
}

/** The stale clock says stale exactly where each participant's facts do, for several thresholds. */
async function expectStaleClockRight(sql: Storage['sql']) {
	for (const days of [1, 3, 7, 12, 30]) {
		const cutoff = NOW - days * DAY;
		const byClock = await sql.all<{ program_id: string }>(
			`SELECT i.program_id FROM curator_program_index i
				WHERE i.status != 'completed' AND i.stale_clock < ? ORDER BY i.program_id`,
			[cutoff]
		);
		const facts = staleByFactsSql({ sql: '1 = 1', params: [] }, cutoff);
		const byFacts = await sql.all<{ program_id: string }>(
			`SELECT i.program_id FROM curator_program_index i WHERE ${facts.sql} ORDER BY i.program_id`,
			facts.params
		);
		expect({ days, stale: byClock }).toEqual({ days, stale: byFacts });
	}
}

describe('curator index counters and stale clock', () => {
	it('equal a plain count of the index after random writes, deletes, moves, cancellations, sessions and participants', async () => {
		const { sql, documents: store } = storage;
		const pool = summaries();
		const people = peopleOf(pool);
		for (const id of people)
			await sql.run(
				'INSERT INTO people (id, full_name, created_at, updated_at) VALUES (?, ?, 0, 0) ON CONFLICT DO NOTHING',
				[id, id]
			);
		const next = random(18);
		const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)] as T;
		const live = new Map<string, number>(); // program → its last throughSeq
		let created = 0;
		const write = async (programId: string) => {
			const seq = (live.get(programId) ?? 0) + 1;
			live.set(programId, seq);
			await store.saveSummaries([
				{ programId, summary: pick(pool), docBytes: 1, throughSeq: seq, computedAt: NOW }
			]);
		};
		const facts = async (programId: string) => {
			const summary = (await store.getSummary(programId))?.summary as {
				participants?: Array<{ userId?: string }>;
			};
			const userId = pick(summary.participants?.filter((p) => p.userId) ?? [])?.userId ?? 'nobody';
			await store.saveFacts([
				{
					programId,
					userId,
					deviceId: `d${Math.floor(next() * 2)}`,
					lastConnectedAt: NOW - Math.floor(next() * 20) * DAY,
					pending: Math.floor(next() * 2),
					pendingReportedAt: NOW - 1000 + created++
				}
			]);
		};
		for (let step = 0; step < 400; step++) {
			const r = next();
			const ids = [...live.keys()];
			if (r < 0.3 || ids.length < 5) {
				const id = `p${created++}`;
				await store.createProgram(id, pick(ORGS));
				await write(id);
			} else if (r < 0.55) {
				// A batch of several programs, as the relay writes them.
				const batch = [...new Set([pick(ids), pick(ids), pick(ids)])];
				await store.saveSummaries(
					batch.map((programId) => {
						const seq = (live.get(programId) ?? 0) + 1;
						live.set(programId, seq);
						return {
							programId,
							summary: pick(pool),
							docBytes: 1,
							throughSeq: seq,
							computedAt: NOW
						};
					})
				);
			} else if (r < 0.7) await facts(pick(ids));
			else if (r < 0.8) {
				// Moved to another organization: the index follows at the program's next summary.
				const id = pick(ids);
				await sql.run('UPDATE programs SET organization_id = ? WHERE id = ?', [pick(ORGS), id]);
				await write(id);
			} else if (r < 0.88) {
				// Deleted: the index row goes by the foreign key's cascade.
				const id = pick(ids);
				await sql.run('DELETE FROM programs WHERE id = ?', [id]);
				live.delete(id);
			} else if (r < 0.95) {
				const id = pick(ids);
				await sql.run(
					`INSERT INTO program_cancellations (program_id, reason, cancelled_at) VALUES (?, 'mistake', 0)
						ON CONFLICT DO NOTHING`,
					[id]
				);
			} else if (r < 0.96) {
				await sql.run('DELETE FROM program_cancellations WHERE program_id = ?', [pick(ids)]);
			} else if (r < 0.98) await foldCounts(sql);
			// What moves the stale clock besides the device facts: sessions and participants.
			const person = pick(people);
			const q = next();
			if (q < 0.08)
				await sql.run(
					`INSERT INTO sessions (id, token_hash, person_id, device_name, method, created_at,
						last_used_at, expires_at) VALUES (?, ?, ?, 'phone', 'invitation', ?, ?, ?)`,
					[`s${step}`, `h${step}`, person, NOW - Math.floor(next() * 20) * DAY, NOW, NOW + DAY]
				);
			else if (q < 0.1)
				// A merge moves a person's sessions to the kept record.
				await sql.run('UPDATE sessions SET person_id = ? WHERE person_id = ?', [
					pick(people),
					person
				]);
			else if (q < 0.18 && ids.length > 0)
				await sql.run(
					`INSERT INTO program_participants (program_id, person_id, role, added_at)
						VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
					[
						pick([...live.keys()]),
						person,
						pick(['mentor', 'mentee', 'mentee', 'curator']),
						NOW - Math.floor(next() * 20) * DAY
					]
				);
			else if (q < 0.21)
				await sql.run('DELETE FROM program_participants WHERE person_id = ?', [person]);
			else if (q < 0.23)
				// A merge moves a person's links to the kept record (where it has none in that program).
				await sql.run(
					`UPDATE program_participants SET person_id = ? WHERE person_id = ? AND program_id NOT IN
						(SELECT program_id FROM program_participants WHERE person_id = ?)`,
					[pick(people), person, person]
				);
			else if (q < 0.25 && ids.length > 0)
				await sql.run('UPDATE program_participants SET role = ? WHERE program_id = ?', [
					pick(['mentor', 'mentee']),
					pick(ids)
				]);
			if (step % 100 === 99) {
				const { counted, plain } = await counters(sql);
				expect(counted).toEqual(plain);
				await expectStaleClockRight(sql);
				await expectTotalsInStep(sql);
				await expectOrgPeopleInStep(sql);
			}
		}
		const before = await counters(sql);
		expect(before.counted).toEqual(before.plain);
		await expectStaleClockRight(sql);
		expect(await expectTotalsInStep(sql)).toBeGreaterThan(20);
		expect(await expectOrgPeopleInStep(sql)).toBeGreaterThan(10);
		expect(before.plain.length).toBeGreaterThan(5);
		// Folded: one row per key, the same sums.
		await foldCounts(sql);
		await foldCounts(sql);
		const after = await counters(sql);
		expect(after.counted).toEqual(after.plain);
		const rows = await sql.get<{ n: number }>('SELECT count(*) AS n FROM curator_index_counts');
		expect(Number(rows?.n)).toBe(after.plain.length);
	});

	it('give the dashboard the totals, pickers and aggregates a count over the index gives', async () => {
		const { sql } = storage;
		const scope = { organizationIds: ORGS };
		const queries: DashboardQuery[] = [
			{},
			{ flags: ['overdue'] },
			{ flags: ['reports-due', 'pending-sync'] },
			{ status: 'active' },
			{ organizationId: 'org-b', flags: ['problems'] }
		];
		for (const query of queries) {
			const result = await queryDashboard(sql, scope, query, { now: NOW });
			const scanned = await queryDashboard(sql, scope, query, { now: NOW, counters: false });
			expect(result.totals).toEqual(scanned.totals);
			expect(result.facets).toEqual(scanned.facets);
			expect(result.outdated).toBe(scanned.outdated);
		}
		const aggregates = await organizationAggregates(sql, ORGS, { now: NOW });
		const plain = await sql.all<{ org: string; n: number; active: number; progress: number }>(
			`SELECT organization_id AS org, count(*) AS n,
					sum(CASE WHEN status = 'active' THEN 1 ELSE 0 END) AS active,
					round(avg(progress_percent)) AS progress
				FROM curator_program_index
				WHERE program_id NOT IN (SELECT program_id FROM program_cancellations)
				GROUP BY organization_id ORDER BY organization_id`
		);
		expect(
			aggregates
				.filter((a) => a.programs > 0)
				.map((a) => ({
					org: a.organizationId,
					n: a.programs,
					active: a.active,
					progress: a.averageProgress
				}))
				.sort((a, b) => (a.org < b.org ? -1 : 1))
		).toEqual(
			plain.map((p) => ({
				org: p.org,
				n: Number(p.n),
				active: Number(p.active),
				progress: Number(p.progress)
			}))
		);
		// Each person once however many of the organization's programs they are in.
		const people = await sql.all<{ org: string; mentors: number; mentees: number }>(
			`SELECT j.organization_id AS org,
					count(DISTINCT CASE WHEN pp.role = 'mentor' THEN pp.person_id END) AS mentors,
					count(DISTINCT CASE WHEN pp.role = 'mentee' THEN pp.person_id END) AS mentees
				FROM program_participants pp JOIN curator_program_index j ON j.program_id = pp.program_id
				WHERE j.program_id NOT IN (SELECT program_id FROM program_cancellations)
				GROUP BY j.organization_id`
		);
		const expected = new Map(people.map((p) => [p.org, [Number(p.mentors), Number(p.mentees)]]));
		expect(expected.size).toBeGreaterThan(1);
		for (const a of aggregates)
			expect([a.organizationId, a.mentors, a.mentees]).toEqual([
				a.organizationId,
				...(expected.get(a.organizationId) ?? [0, 0])
			]);
	});

	it('answer every query shape as a plain count and sort of the index rows do', async () => {
		const { sql } = storage;
		const scope = { organizationIds: ORGS };
		// Words, a template, a stage kind of the data set: a search that finds some programs, a
		// combination of the pickers that exists and one of existing values that has no program
		// (the planner's rare case).
		const texts = await sql.all<{ search: string }>('SELECT search FROM curator_program_search');
		const half = texts.length / 2;
		// The words of the texts by how far their count (as the search finds them: substrings) is
		// from half of the programs.
		const words = [...new Set(texts.flatMap((t) => t.search.split(/\s+/)))]
			.filter((w) => w.length >= 4)
			.map((w) => [w, texts.filter((t) => t.search.includes(w)).length] as const)
			.filter(([, n]) => n < texts.length)
			.sort((a, b) => Math.abs(a[1] - half) - Math.abs(b[1] - half) || (a[0] < b[0] ? -1 : 1))
			.map(([w]) => w);
		const groups = await sql.all<{ t: string; k: string; s: string; types: string }>(
			`SELECT template_id AS t, stage_kind AS k, status AS s, types FROM curator_program_index
				WHERE stage_phase = 'in-progress' AND stage_kind IS NOT NULL
				GROUP BY template_id, stage_kind, status, types ORDER BY count(*) DESC, 1, 2, 3`
		);
		const common = groups[0] as { t: string; k: string; s: string; types: string };
		const has = new Set(groups.map((g) => `${g.t} ${g.k} ${g.s}`));
		const kinds = [...new Set(groups.map((g) => g.k))];
		const absentKind = kinds.find((k) => !has.has(`${common.t} ${k} ${common.s}`)) ?? 'custom';
		const type = common.types.split(',').filter(Boolean)[0];
		const queries: DashboardQuery[] = [
			{},
			{ q: words[0]?.toUpperCase() },
			{ q: `${words[1]} ${words[2]}`, sort: 'next-deadline' },
			{ q: 'ъъъъ' },
			{ q: words[0], stage: common.k },
			{ templateId: common.t, stage: common.k, status: common.s },
			{ templateId: common.t, stage: absentKind, status: common.s },
			{ templateId: common.t, stage: common.k },
			{ flags: ['stale'] },
			{ flags: ['stale', 'reports-due'], sort: 'last-seen' },
			{ flags: ['not-opened'] },
			{ flags: ['overdue'], sort: 'overdue', dir: 'desc' },
			{ type, sort: 'last-activity', dir: 'desc' },
			...SORT_KEYS.flatMap((sort) => [{ sort }, { sort, dir: 'desc' as const }]),
			// A search's page is matched first, then sorted (searchedPageSql): every sort key.
			...SORT_KEYS.map((sort, n) => ({
				q: words[n % 3],
				sort,
				dir: n % 2 ? ('desc' as const) : ('asc' as const)
			})),
			// A search's totals are counted beside its text (migration 151), its page over the search
			// rows: the same matches, whatever the words — a part of a word, capitals and ё, LIKE's
			// wildcards taken literally, a word and a filter, three words, one program.
			{ q: words[0]?.slice(1, -1), flags: ['stale'] },
			{ q: ` ${words[1]?.toUpperCase().replace(/Е/g, 'Ё')}  `, status: common.s },
			{ q: '%' },
			{ q: `${words[0]?.slice(0, 2)}_` },
			{ q: `${words[0]} ${words[1]} ${words[2]}`, flags: ['not-opened'] },
			{ q: words[0], flags: ['overdue', 'reports-due'], sort: 'progress', dir: 'desc' },
			{ q: words[0], orgKind: 'school' },
			{ q: words[1], type, templateId: common.t }
		];
		const found: number[] = [];
		for (const query of queries) {
			const plain = await plainDashboard(sql, ORGS, query, NOW);
			found.push(plain.total);
			for (const offset of [0, 5]) {
				const result = await queryDashboard(
					sql,
					scope,
					{ ...query, offset, limit: 7 },
					{ now: NOW }
				);
				const totals = Object.fromEntries(
					Object.entries(result.totals).map(([k, v]) => [k, Number(v)])
				);
				expect({ query, total: result.total, totals, outdated: result.outdated }).toEqual({
					query,
					total: plain.total,
					totals: plain.totals,
					outdated: plain.outdated
				});
				expect({ query, offset, page: result.rows.map((r) => r.programId) }).toEqual({
					query,
					offset,
					page: plain.order.slice(offset, offset + 7)
				});
			}
		}
		// The data set has what the shapes are about: programs found by a word, by a word and a
		// stage, by the pickers' common combination; stale and not-opened programs; none for «ъъъъ».
		const [all, word, , none, wordStage, combination, absent] = found;
		expect({ all, word, none, wordStage, combination, absent }).toEqual({
			all: expect.any(Number),
			word: expect.any(Number),
			none: 0,
			wordStage: expect.any(Number),
			combination: expect.any(Number),
			absent: 0
		});
		for (const n of [word, wordStage, combination, found[8], found[10]])
			expect(n).toBeGreaterThan(0);
		expect(word).toBeLessThan(all as number);
	});
});
