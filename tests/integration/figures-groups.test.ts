/**
 * The figures' groupings by form and by mentee category (`byForm`, `byCategory`: the programs in
 * force and their distinct mentors and mentees), counted by hand over programs whose summaries
 * are written as the relay writes them. Both groupings are counted in one walk over the people
 * (figures.ts countTwoBy), each person's groups kept as bits; a program's form and category are
 * its document's text, so a scope may show more groups than those bits hold, and is then counted
 * group by group.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	computeFigures,
	type CountRow,
	figuresFor,
	municipalityFigures
} from '../../server/curator/figures';
import { addDays } from '../../src/lib/shared/time';
import { createDataset, participant, rewriteSummary, type Dataset } from './curator-fixtures';
import { testStorageEnv } from './test-storage';

let ds: Dataset;
let storageEnv: Awaited<ReturnType<typeof testStorageEnv>>;
let programs: string[] = [];

beforeAll(async () => {
	storageEnv = await testStorageEnv();
	ds = await createDataset({
		programs: 20,
		organizations: 2,
		seed: 31,
		...(storageEnv.env.DATABASE_URL ? { databaseUrl: storageEnv.env.DATABASE_URL } : {})
	});
	programs = ds.truth.map((p) => p.programId).sort();
}, 120_000);

afterAll(async () => {
	await ds.close();
	await storageEnv.cleanup();
	rmSync(ds.dataDir, { recursive: true, force: true });
});

interface Shape {
	form: string | null;
	category: string | null;
	mentors: string[];
	mentees: string[];
}

/** Writes each program's summary as the relay would: in force today with `shape`, or a draft. */
async function write(shapes: Array<Shape | 'draft'>): Promise<void> {
	expect(shapes).toHaveLength(programs.length);
	for (const [i, programId] of programs.entries()) {
		const shape = shapes[i]!;
		await rewriteSummary(ds, programId, (stored) => ({
			...stored,
			...(shape === 'draft'
				? { status: 'draft' }
				: {
						status: 'active',
						startDate: addDays(ds.today, -30),
						completion: null,
						form: shape.form,
						menteeCategory: shape.category,
						participants: [
							...shape.mentors.map(participant('mentor')),
							...shape.mentees.map(participant('mentee'))
						]
					})
		}));
	}
}

/** [programs, mentors, mentees] by key, in the figures' order. */
const counts = (rows: CountRow[]) => rows.map((r) => [r.key, r.programs, r.mentors, r.mentees]);

const today = () =>
	computeFigures(ds.sql, { organizationIds: ds.organizations.map((o) => o.id) }, { now: ds.now });

describe('programs and people by form and by category, counted by hand', () => {
	it('a person in several groups counts once in each; a missing and an empty form are one group', async () => {
		const draft = 'draft' as const;
		await write([
			{ form: 'head-head', category: 'a', mentors: ['m1'], mentees: ['e1'] }, // P0
			{ form: 'head-head', category: 'b', mentors: ['m1'], mentees: ['e2'] }, // P1
			{ form: 'pupil-pupil', category: 'a', mentors: ['m1', 'm2'], mentees: ['e1', 'e3'] }, // P2
			{ form: null, category: null, mentors: ['m3'], mentees: ['e4'] }, // P3
			{ form: '', category: '', mentors: ['m3'], mentees: ['e5'] }, // P4
			{ form: 'pupil-pupil', category: 'b', mentors: ['m2'], mentees: ['e3'] }, // P5
			...Array.from({ length: programs.length - 6 }, () => draft)
		]);
		const f = await today();
		expect(f.programs.inForce).toBe(6);
		// Most programs first, then by key: every group has two programs here.
		expect(counts(f.byForm)).toEqual([
			['', 2, 1, 2], // P3, P4: m3; e4, e5
			['head-head', 2, 1, 2], // P0, P1: m1; e1, e2
			['pupil-pupil', 2, 2, 2] // P2, P5: m1, m2; e1, e3
		]);
		expect(counts(f.byCategory)).toEqual([
			['', 2, 1, 2], // P3, P4: m3; e4, e5
			['a', 2, 2, 2], // P0, P2: m1, m2; e1, e3
			['b', 2, 2, 2] // P1, P5: m1, m2; e2, e3
		]);
		// Each person once in the scope: m1, m2, m3; e1 … e5.
		expect(f.participants).toMatchObject({ mentors: 3, mentees: 5 });
	});

	it('seventeen categories (more than one walk tells apart) are counted group by group, the same way', async () => {
		const categories = Array.from({ length: 17 }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);
		await write([
			// One mentor for all; a mentee of their own each, but e01 in the first two programs.
			...categories.map((category, i) => ({
				form: i < 10 ? 'head-head' : 'pupil-pupil',
				category,
				mentors: ['m1'],
				mentees: [`e${String(Math.max(i, 1)).padStart(2, '0')}`]
			})),
			...Array.from({ length: programs.length - 17 }, () => 'draft' as const)
		]);
		const f = await today();
		expect(f.programs.inForce).toBe(17);
		// c01 and c02 both have e01: one mentee each, as every category.
		expect(counts(f.byCategory)).toEqual(categories.map((c) => [c, 1, 1, 1]));
		// head-head: c01 … c10, m1; e01 (twice), e02 … e09 = 9. pupil-pupil: c11 … c17; e10 … e16.
		expect(counts(f.byForm)).toEqual([
			['head-head', 10, 1, 9],
			['pupil-pupil', 7, 1, 7]
		]);
	});

	it("a person's category is the first one known, in the scope's order, as the report's organizations are walked apart", async () => {
		// x1 and x2 are registered but have no category: their category is their form's side.
		// In the first organization x1 mentors heads and x2 is a head mentee; in the second,
		// both are pupils.
		const [a, b] = ds.organizations.map((o) => o.id) as [string, string];
		const shapes: Array<Shape | 'draft'> = programs.map(() => 'draft');
		const inOrg = (org: string, n: number) =>
			programs.flatMap((id, i) =>
				ds.truth.find((p) => p.programId === id)!.organizationId === org ? [i] : []
			)[n]!;
		shapes[inOrg(a, 0)] = { form: 'head-head', category: 'a', mentors: ['x1'], mentees: ['x2'] };
		shapes[inOrg(b, 0)] = {
			form: 'pupil-pupil',
			category: 'a',
			mentors: ['x1'],
			mentees: ['x2', 'p1']
		};
		await write(shapes);
		const period = { from: addDays(ds.today, -10), to: ds.today };
		for (const [ids, first] of [
			[[a, b], 'head'],
			[[b, a], 'pupil']
		] as const) {
			const scope = { organizationIds: [...ids] };
			const own = await figuresFor(ds.sql, scope, period, ds.now);
			expect(own.participants.byKind).toEqual(
				first === 'head'
					? { head: { mentors: 1, mentees: 1 }, pupil: { mentors: 0, mentees: 1 } }
					: { pupil: { mentors: 1, mentees: 2 } }
			);
			const report = await municipalityFigures(ds.sql, scope, period, { now: ds.now });
			expect(report.figures.participants).toEqual(own.participants);
			// Each organization's own: the second's pupils are x2 and p1 there, whichever is first.
			const rows = Object.fromEntries(ids.map((id, i) => [id, report.organizations[i]!]));
			expect(rows[a]!.participants).toEqual({ mentors: 1, mentees: 1, learners: { mentees: 0 } });
			expect(rows[b]!.participants).toEqual({ mentors: 1, mentees: 2, learners: { mentees: 2 } });
		}
	});
});
