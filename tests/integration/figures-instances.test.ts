/**
 * Figures are read from the programs' history held in memory by each server instance
 * (server/curator/history-projection.ts, issue 18). What a curator must be able to rely on: the
 * figures one instance shows include what another instance wrote a moment before — whatever
 * that instance's clock says — and equal what a fresh instance reads from the database.
 *
 * Two storages over one database (SQLite in one directory, or one PostgreSQL database under
 * `npm run test:postgres`): the data set's, which writes as the relay does (saveSummaries), and a
 * second one, which only reads figures. A third, opened last, reads everything afresh.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	type CountRow,
	computeFigures,
	figuresAt,
	figuresFor,
	listedPrograms,
	municipalityFigures
} from '../../server/curator/figures';
import {
	fingerprintSql,
	historyOf,
	HistoryProjection,
	toFingerprint
} from '../../server/curator/history-projection';
import { historyStatement } from '../../server/storage/curator-index';
import { openPostgresStorage, openSqliteStorage, type Storage } from '../../server/storage/index';
import { addDays } from '../../src/lib/shared/time';
import { createDataset, type Dataset } from './curator-fixtures';
import { testStorageEnv } from './test-storage';

let ds: Dataset;
let storageEnv: Awaited<ReturnType<typeof testStorageEnv>>;
const opened: Storage[] = [];

async function openInstance(): Promise<Storage> {
	const s = storageEnv.env.DATABASE_URL
		? await openPostgresStorage(storageEnv.env.DATABASE_URL)
		: openSqliteStorage(ds.dataDir);
	opened.push(s);
	return s;
}

beforeAll(async () => {
	storageEnv = await testStorageEnv();
	ds = await createDataset({
		programs: 60,
		// A third organization stays apart when a program moves between the first two.
		organizations: 3,
		seed: 23,
		...(storageEnv.env.DATABASE_URL ? { databaseUrl: storageEnv.env.DATABASE_URL } : {})
	});
}, 120_000);

afterAll(async () => {
	for (const s of opened) await s.close();
	await ds.close();
	await storageEnv.cleanup();
	rmSync(ds.dataDir, { recursive: true, force: true });
});

type Stored = { program_id: string; summary: string; through_seq: number; computed_at: number };

/** The program's stored summary, and the summary itself changed by `change`. */
async function changedSummary(
	programId: string,
	change: (summary: Record<string, unknown>) => void
): Promise<{ stored: Stored; summary: Record<string, unknown> }> {
	const stored = await ds.sql.get<Stored>(
		'SELECT program_id, summary, through_seq, computed_at FROM program_summaries WHERE program_id = ?',
		[programId]
	);
	if (!stored) throw new Error(`no summary for ${programId}`);
	const summary = JSON.parse(stored.summary) as Record<string, unknown>;
	change(summary);
	return { stored, summary };
}

/** Rewrites a program's stored summary as the relay of another instance would. */
async function rewrite(
	programId: string,
	change: (summary: Record<string, unknown>) => void,
	computedAt: (stored: Stored) => number
): Promise<void> {
	const { stored, summary } = await changedSummary(programId, change);
	await ds.store.saveSummaries([
		{
			programId,
			summary,
			docBytes: 1,
			throughSeq: Number(stored.through_seq) + 1,
			computedAt: computedAt({ ...stored, computed_at: Number(stored.computed_at) })
		}
	]);
}

/**
 * The analytic report reads the municipality and its organizations at once: the same figures as
 * each scope's own (an organization's: what the report's table shows of them), for a period (with
 * the previous one) and for today (a date: none).
 */
async function expectReportAsOwn(sql: Storage['sql'], ids: string[]): Promise<void> {
	// The second period's previous one holds the rows of a month ago (its programs in force).
	let comparedWith = 0;
	const periods = [
		{ from: addDays(ds.today, -182), to: ds.today },
		{ from: addDays(ds.today, -20), to: ds.today },
		{}
	];
	for (const period of periods) {
		const report = await municipalityFigures(sql, { organizationIds: ids }, period, {
			now: ds.now
		});
		const own = await figuresFor(sql, { organizationIds: ids }, period, ds.now);
		expect(report.figures).toEqual(own);
		// The previous period as screens and documents compare with it: that period's own figures
		// without the groupings they show for their own period only, its forms and categories by
		// their programs.
		if (own.previous) {
			const { from, to } = own.previous.period;
			const asOwn = await computeFigures(
				sql,
				{ organizationIds: ids },
				{ now: ds.now, period: { from: from!, to: to! } }
			);
			const { byType: _t, byTemplate: _p, byStage: _s, byForm, byCategory, ...rest } = asOwn;
			const programsOf = (rows: CountRow[]) => rows.map(({ key, programs }) => ({ key, programs }));
			expect(own.previous).toEqual({
				...rest,
				byForm: programsOf(byForm),
				byCategory: programsOf(byCategory)
			});
		}
		if (own.previous?.programs.inForce) comparedWith++;
		// Each organization's growth its own (organizationRow sums it in the scope's walk).
		expect(new Set(report.organizations.map((o) => o.assessment.growthAvg)).size).toBeGreaterThan(
			1
		);
		// The analytic report's: the same, without those groupings of its own period either.
		const { byType, byTemplate, byStage, ...withoutGroupings } = report.figures;
		expect([byType, byTemplate, byStage].every((rows) => rows!.length > 0)).toBe(true);
		const lean = await municipalityFigures(sql, { organizationIds: ids }, period, {
			now: ds.now,
			groupings: false
		});
		expect(lean.figures).toEqual(withoutGroupings);
		expect(lean.organizations).toEqual(report.organizations);
		for (const [i, id] of ids.entries()) {
			const own = await figuresFor(sql, { organizationIds: [id] }, period, ds.now);
			expect(own).toMatchObject(report.organizations[i]!);
		}
	}
	expect(comparedWith).toBeGreaterThan(0);
	await expectListingAsOwn(sql, ids);
}

/**
 * The report's lists, read from its period's own scan where the period ends by today: what
 * listedPrograms lists of the same period as on its end (today, for a period that ends later),
 * whole and cut to the first organizations' lines, its attention list and all in force.
 */
async function expectListingAsOwn(sql: Storage['sql'], ids: string[]): Promise<void> {
	// Names in another order than the ids'.
	const orgName = (id: string | null) => (id ? [...id].reverse().join('') : '');
	let cut = 0;
	for (const period of [
		{ from: addDays(ds.today, -182), to: ds.today },
		{ from: addDays(ds.today, -400), to: addDays(ds.today, -20) },
		{ from: addDays(ds.today, -90), to: addDays(ds.today, 60) }
	])
		for (const attentionOnly of [false, true])
			for (const limit of [Infinity, 3]) {
				const query = { period, attentionOnly, limit, orgName };
				const scope = { organizationIds: ids };
				const { listing } = await municipalityFigures(sql, scope, period, {
					now: ds.now,
					listing: query
				});
				const asOf = period.to <= ds.today ? period.to : ds.today;
				const own = await listedPrograms(sql, ids, asOf, query);
				expect(listing).toEqual(own);
				if (own.programs.length < own.total) cut++;
			}
	expect(cut).toBeGreaterThan(0);
}

const participantsOf = (summary: Record<string, unknown>): unknown[] =>
	Array.isArray(summary.participants) ? (summary.participants as unknown[]) : [];
const mentee = (id: string) => ({ id, role: 'mentee', name: 'Новый', userId: null });

/** Writes the program's history row of an earlier day: its current summary, changed. */
async function rewriteHistory(
	programId: string,
	day: string,
	change: (summary: Record<string, unknown>) => void
): Promise<void> {
	const { summary } = await changedSummary(programId, change);
	const statement = historyStatement(programId, summary, day, Date.parse(`${day}T12:00:00Z`));
	if (!statement) throw new Error(`no history row for ${day}`);
	await ds.sql.run(statement.sql, statement.params);
}

async function activeProgram(orgId: string, skip: Set<string>): Promise<string> {
	const rows = await ds.sql.all<{ program_id: string }>(
		`SELECT program_id FROM curator_program_index WHERE organization_id = ? AND status = 'active'
			ORDER BY program_id`,
		[orgId]
	);
	const id = rows.map((r) => r.program_id).find((p) => !skip.has(p));
	if (!id) throw new Error('no active program left');
	skip.add(id);
	return id;
}

const complete = (today: string) => (s: Record<string, unknown>) => {
	s.status = 'completed';
	s.completion = { reason: 'plan', date: today };
};

describe('figures held by each instance', () => {
	it("show another instance's writes at once, whatever that instance's clock says", async () => {
		const reader = await openInstance();
		const org = ds.organizations[0]!;
		const scope = { organizationIds: [org.id] };
		const used = new Set<string>();
		const before = await computeFigures(reader.sql, scope, { now: ds.now });
		const pastBefore = await figuresAt(reader.sql, scope, addDays(ds.today, -60), ds.now);
		expect(before.programs.active).toBeGreaterThan(3);

		// An instance whose clock is an hour ahead of every write so far completes a program.
		const latest = await ds.sql.get<{ t: number }>(
			'SELECT max(computed_at) AS t FROM program_summaries'
		);
		const ahead0 = Number(latest?.t) + 3_600_000;
		await rewrite(await activeProgram(org.id, used), complete(ds.today), () => ahead0);
		const ahead = await computeFigures(reader.sql, scope, { now: ds.now });
		expect(ahead.programs.active).toBe(before.programs.active - 1);
		expect(ahead.programs.completed).toBe(before.programs.completed + 1);
		expect(ahead.completed.inPeriod).toBe(before.completed.inPeriod + 1);

		// One whose clock lags behind it completes another: older than anything the reader has seen,
		// still the program's newest summary.
		await rewrite(await activeProgram(org.id, used), complete(ds.today), (s) => s.computed_at + 1);
		const behind = await computeFigures(reader.sql, scope, { now: ds.now });
		expect(behind.programs.active).toBe(before.programs.active - 2);
		expect(behind.programs.completed).toBe(before.programs.completed + 2);

		// The past stays as it was: today's rows do not rewrite history.
		expect(await figuresAt(reader.sql, scope, addDays(ds.today, -60), ds.now)).toEqual(pastBefore);
	});

	it('equal, after many writes in both organizations, what a fresh instance reads', async () => {
		const ids = ds.organizations.map((o) => o.id);
		const period = { from: addDays(ds.today, -182), to: ds.today };
		// Some programs of each organization a month ago, with a mentee who has left since, or
		// who was replaced by today's: the period's people are those of all its rows, not only of
		// the last.
		const people = async () =>
			(await figuresFor((await openInstance()).sql, { organizationIds: ids }, period, ds.now))
				.participants;
		const before = await people();
		const earlier = new Set<string>();
		for (const [i, org] of [...ids, ...ids].entries()) {
			const id = await activeProgram(org, earlier);
			earlier.add(id);
			await rewriteHistory(id, addDays(ds.today, -30), (s) => {
				const list = participantsOf(s) as Array<{ role?: string }>;
				const replaced = list.findIndex((p) => p.role === 'mentee');
				s.participants =
					i % 2 === 0 || replaced < 0
						? [...list, mentee(`left${i}`)]
						: list.map((p, k) => (k === replaced ? mentee(`replaced${i}`) : p));
			});
		}
		// Hand count: six mentees more (one each), as many mentors.
		expect(await people()).toMatchObject({
			mentors: before.mentors,
			mentees: before.mentees + 6
		});
		const reader = await openInstance();
		await figuresFor(reader.sql, { organizationIds: ids }, period, ds.now);
		const used = new Set<string>();
		// A mentee's self-assessment of another growth in each organization (the data set's
		// programs all grow alike).
		for (const [k, org] of ds.organizations.entries())
			await rewrite(
				await activeProgram(org.id, used),
				(s) => {
					const list = participantsOf(s) as Array<{ id?: string; role?: string }>;
					const assessed = list.find((p) => p.role === 'mentee');
					s.assessment = {
						mentees: [{ participantId: assessed?.id, entryAvg: 1 + k, exitAvg: 5 }]
					};
				},
				(s) => s.computed_at + 1
			);
		for (let i = 0; i < 6; i++) {
			const org = ds.organizations[i % 3]!;
			const id = await activeProgram(org.id, used);
			await rewrite(
				id,
				i % 3 === 0
					? complete(ds.today)
					: (s) => {
							// A new mentee joins (people are counted once per period).
							s.participants = [...participantsOf(s), mentee(`joined${i}`)];
						},
				(s) => s.computed_at + 1 + i
			);
		}
		await expectReportAsOwn(reader.sql, ids);
		// A program moved to the other organization: its next summary's rows are that one's, its
		// month-old row stays the first's.
		const moved = [...earlier][0]!;
		await ds.sql.run('UPDATE programs SET organization_id = ? WHERE id = ?', [
			ds.organizations[1]!.id,
			moved
		]);
		// …where a new mentee joins it (theirs, not the first's).
		await rewrite(
			moved,
			(s) => {
				s.participants = [...participantsOf(s), mentee('joinedAfterMove')];
			},
			(s) => s.computed_at + 10
		);
		const held = await figuresFor(reader.sql, { organizationIds: ids }, period, ds.now);
		const fresh = await figuresFor(
			(await openInstance()).sql,
			{ organizationIds: ids },
			period,
			ds.now
		);
		expect(held).toEqual(fresh);
		await expectReportAsOwn(reader.sql, ids);
		// Each organization in the municipality's order and in another, and one twice.
		await expectReportAsOwn(reader.sql, [ids[2]!, ids[0]!, ids[2]!, ids[1]!]);
		for (const org of ds.organizations)
			expect(
				await computeFigures(reader.sql, { organizationIds: [org.id] }, { now: ds.now })
			).toEqual(
				await computeFigures(
					(await openInstance()).sql,
					{ organizationIds: [org.id] },
					{ now: ds.now }
				)
			);
	});

	it("show another instance's registry writes at once: people, participants, people of other organizations", async () => {
		const reader = await openInstance();
		const a = ds.organizations[0]!;
		const b = ds.organizations[1]!;
		const scope = { organizationIds: [a.id] };
		const figures = () => computeFigures(reader.sql, scope, { now: ds.now });
		const fresh = async () => computeFigures((await openInstance()).sql, scope, { now: ds.now });
		const before = await figures();
		const person = (id: string, org: string, kind: string, birth: string) =>
			ds.sql.run(
				`INSERT INTO people (id, organization_id, full_name, staff_kind, birth_date, active, minor,
						created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?)`,
				[id, org, id, kind, birth, ds.now, ds.now]
			);

		// A young pedagogue registered in the organization, then found to be older.
		await person('young', a.id, 'pedagogue', '2001-03-01');
		const added = await figures();
		expect(added.youngTeachers.inRegistry).toBe(before.youngTeachers.inRegistry + 1);
		await ds.sql.run(
			"UPDATE people SET birth_date = '1970-03-01', updated_at = ? WHERE id = 'young'",
			[ds.now + 1]
		);
		expect((await figures()).youngTeachers.inRegistry).toBe(before.youngTeachers.inRegistry);

		// A mentor of one of its programs, registered in the other organization as a pupil, is linked
		// to the program; then their category is corrected — a write of the other organization's.
		const program = await activeProgram(a.id, new Set());
		const summary = JSON.parse(
			(
				await ds.sql.get<{ summary: string }>(
					'SELECT summary FROM program_summaries WHERE program_id = ?',
					[program]
				)
			)?.summary ?? '{}'
		) as { participants?: Array<{ userId?: string; role: string }> };
		// The registry's person id is what the document names the participant's account.
		const mentor = summary.participants?.find((p) => p.role === 'mentor')?.userId;
		if (!mentor) throw new Error(`no mentor in ${program}`);
		await ds.sql.run(
			`INSERT INTO program_info (program_id, organization_id, title, template_id, created_at)
				VALUES (?, ?, 'Программа', 'teacher-teacher', ?) ON CONFLICT (program_id) DO NOTHING`,
			[program, a.id, ds.now]
		);
		await person(mentor, b.id, 'pupil', '2010-01-01');
		await ds.sql.run(
			`INSERT INTO program_participants (program_id, person_id, role, added_at)
				VALUES (?, ?, 'mentor', ?)`,
			[program, mentor, ds.now]
		);
		const linked = await figures();
		expect(linked.participants.learners.mentors).toBe(before.participants.learners.mentors + 1);
		expect(linked).toEqual(await fresh());
		await ds.sql.run("UPDATE people SET staff_kind = 'pedagogue', updated_at = ? WHERE id = ?", [
			ds.now + 2,
			mentor
		]);
		const corrected = await figures();
		expect(corrected.participants.learners.mentors).toBe(before.participants.learners.mentors);
		expect(corrected.participants.pedagogues.mentors).toBe(
			linked.participants.pedagogues.mentors + 1
		);
		expect(corrected).toEqual(await fresh());

		// The link removed: the mentor is no longer the registry's person in this scope.
		await ds.sql.run('DELETE FROM program_participants WHERE program_id = ? AND person_id = ?', [
			program,
			mentor
		]);
		const unlinked = await figures();
		expect(unlinked.participants.pedagogues.mentors).toBe(before.participants.pedagogues.mentors);
		expect(unlinked).toEqual(await fresh());
	});

	it("open a period with each program's state on its first day: a row of that day, not the one before it", async () => {
		const ids = ds.organizations.map((o) => o.id);
		const program = await activeProgram(ds.organizations[2]!.id, new Set());
		const day = addDays(ds.today, -50);
		const period = { from: day, to: addDays(day, 3) };
		// (A history row written by hand moves no fingerprint: a fresh instance reads it.)
		const mentees = async () =>
			(await figuresFor((await openInstance()).sql, { organizationIds: ids }, period, ds.now))
				.participants.mentees;
		// The program's row of the period's first day: today's people.
		await rewriteHistory(program, day, () => {});
		const before = await mentees();
		// A row ten days earlier with one more mentee, who had left by the first day.
		await rewriteHistory(program, addDays(day, -10), (s) => {
			s.participants = [...participantsOf(s), mentee('leftBeforeThePeriod')];
		});
		expect(await mentees()).toBe(before);
		// And one within the period: counted (the period's people are those of all its rows).
		await rewriteHistory(program, addDays(day, 2), (s) => {
			s.participants = [...participantsOf(s), mentee('joinedInThePeriod')];
		});
		expect(await mentees()).toBe(before + 1);
	});

	it('keep every row, its participants shared with the day before or not, through a compaction', async () => {
		// Two programs with rows of two months ago that repeat today's (their lists shared).
		const same = new Set<string>();
		for (const org of ds.organizations.slice(0, 2)) {
			const id = await activeProgram(org.id, same);
			for (const day of [-61, -60]) await rewriteHistory(id, addDays(ds.today, day), () => {});
		}
		const h = new HistoryProjection(ds.sql);
		const ids = ds.organizations.map((o) => o.id);
		await h.refresh(ids, toFingerprint(await ds.sql.get(fingerprintSql('1 = 1'))));
		const rows = () =>
			Object.fromEntries(
				[...h.programs.values()].map((p) => [p.id, p.rows.map((r) => h.facts(r))])
			);
		const held = rows();
		// A list repeated by the next day is held once (the load compacts, too).
		const listed = Object.values(held)
			.flat()
			.reduce((n, facts) => n + facts.participants.length, 0);
		const people = h.peopleCount;
		expect(people).toBeLessThan(listed);
		h.compact();
		expect(rows()).toEqual(held);
		expect(h.peopleCount).toBe(people);
	});

	it('count each person in their category after a compaction numbers the people again', async () => {
		const ids = ds.organizations.map((o) => o.id);
		const scope = { organizationIds: ids };
		// Every mentor in the registry as a head of their organization: a category by the person's
		// number (the form would make them pedagogues).
		for (const r of await ds.sql.all<{ summary: string; organization_id: string }>(
			`SELECT s.summary, i.organization_id FROM program_summaries s
				JOIN curator_program_index i ON i.program_id = s.program_id`
		)) {
			const { participants } = JSON.parse(r.summary) as {
				participants?: Array<{ userId?: string; role: string }>;
			};
			for (const p of participants ?? [])
				if (p.role === 'mentor' && p.userId)
					await ds.sql.run(
						`INSERT INTO people (id, organization_id, full_name, staff_kind, active, minor,
								created_at, updated_at) VALUES (?, ?, ?, 'head', 1, 0, ?, ?)
							ON CONFLICT (id) DO NOTHING`,
						[p.userId, r.organization_id, p.userId, ds.now, ds.now]
					);
		}
		const reader = await openInstance();
		const period = (days: number) => ({ from: addDays(ds.today, -days), to: ds.today });
		const heads = (await figuresFor(reader.sql, scope, period(100), ds.now)).participants.byKind
			.head;
		expect(heads?.mentors).toBeGreaterThan(0);
		// A mentee joins a program of the first organization: numbered after everyone held, then,
		// by the compaction, among that program's people (everyone after them moves on by one).
		await rewrite(
			await activeProgram(ds.organizations[0]!.id, new Set()),
			(s) => {
				s.participants = [...participantsOf(s), mentee('joinedBeforeCompaction')];
			},
			(s) => s.computed_at + 20
		);
		// The registry as the figures read it, by the people's numbers before the compaction.
		await figuresFor(reader.sql, scope, period(101), ds.now);
		historyOf(reader.sql).compact();
		const held = await figuresFor(reader.sql, scope, period(102), ds.now);
		const fresh = await figuresFor((await openInstance()).sql, scope, period(102), ds.now);
		// (The categories first: what a numbering out of step gets wrong.)
		expect(held.participants.byKind).toEqual(fresh.participants.byKind);
		expect(held).toEqual(fresh);
	});
});
