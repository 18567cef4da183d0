/**
 * The figures of a past date while the region keeps writing. A past date's figures read no
 * history row of a later day, so they are kept while only later days change (figures.ts,
 * computeFigures; HistoryProjection.unchangedThrough) — and must be computed again the moment a
 * row of one of their days changes, a program is cancelled or deleted. Counted by hand over
 * summaries written as the relay writes them, each with its day (`asOf`).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitoringCalendar } from '../../server/curator/calendar';
import { computeFigures, figuresAt, municipalityFigures } from '../../server/curator/figures';
import { defaultCalendar } from '../../src/lib/shared/calendar';
import { addDays } from '../../src/lib/shared/time';
import { createDataset, participant, rewriteSummary, type Dataset } from './curator-fixtures';

let ds: Dataset;
let programs: string[] = [];

beforeAll(async () => {
	ds = await createDataset({ programs: 8, organizations: 2, seed: 47 });
	programs = ds.truth.map((p) => p.programId).sort();
}, 120_000);

afterAll(async () => {
	await ds.close();
	rmSync(ds.dataDir, { recursive: true, force: true });
});

/** Writes program `i`'s summary of day `asOf` as the relay would: in force, with these mentees. */
const write = (i: number, asOf: string, mentees: string[]) =>
	rewriteSummary(ds, programs[i]!, (stored) => ({
		...stored,
		asOf,
		status: 'active',
		startDate: addDays(ds.today, -90),
		completion: null,
		participants: [participant('mentor')(`m${i}`), ...mentees.map(participant('mentee'))]
	}));

const scope = () => ({ organizationIds: ds.organizations.map((o) => o.id) });
const menteesOn = async (date: string) =>
	(await figuresAt(ds.sql, scope(), date, ds.now)).participants.mentees;

describe("a past date's figures while the region writes", () => {
	it('stay the same while later days change, and follow a change of one of their days', async () => {
		const day = (n: number) => addDays(ds.today, n);
		const d = day(-10);
		// Every program in force since 30 days ago, a mentee of its own each.
		for (let i = 0; i < programs.length; i++) await write(i, day(-30), [`e${i}`]);
		expect(await menteesOn(d)).toBe(8);

		// Today, program 0 takes a second mentee: the past date reads as it did.
		await write(0, ds.today, ['e0', 'today']);
		expect(await menteesOn(d)).toBe(8);
		expect(await menteesOn(day(-1))).toBe(8);

		// A row of the day before `d` changes (program 1 with a second mentee then): counted.
		await write(1, day(-11), ['e1', 'before']);
		expect(await menteesOn(d)).toBe(9);
		// A row of `d` itself changes: counted too.
		await write(2, d, ['e2', 'on the day']);
		expect(await menteesOn(d)).toBe(10);
		// A row of a day after `d` (but before today) does not change `d`, only its own days.
		await write(3, day(-9), ['e3', 'after']);
		expect(await menteesOn(d)).toBe(10);
		expect(await menteesOn(day(-9))).toBe(11);
		// The row of the day before `d` changes again, back to one mentee.
		await write(1, day(-11), ['e1']);
		expect(await menteesOn(d)).toBe(9);
	});

	it('follow a program cancelled today', async () => {
		const d = addDays(ds.today, -10);
		const before = await figuresAt(ds.sql, scope(), d, ds.now);
		// records (issue 16): a cancelled program counts at no date.
		await ds.sql.run(
			`INSERT INTO program_cancellations (program_id, reason, cancelled_at) VALUES (?, 'mistake', ?)`,
			[programs[4]!, ds.now]
		);
		const cancelled = await figuresAt(ds.sql, scope(), d, ds.now);
		expect(cancelled.programs.total).toBe(before.programs.total - 1);
		expect(cancelled.participants.mentees).toBe(before.participants.mentees - 1);
	});

	it('follow a program deleted today', async () => {
		const d = addDays(ds.today, -10);
		const before = await figuresAt(ds.sql, scope(), d, ds.now);
		// Its index row and history go with it (the foreign keys' cascade).
		await ds.sql.run('DELETE FROM programs WHERE id = ?', [programs[5]!]);
		const after = await figuresAt(ds.sql, scope(), d, ds.now);
		expect(after.programs.total).toBe(before.programs.total - 1);
		expect(after.participants.mentees).toBe(before.participants.mentees - 1);
	});

	it('count a program moved today where its rows of those days were', async () => {
		const d = addDays(ds.today, -10);
		const own = ds.truth.find((t) => t.programId === programs[6])!.organizationId;
		const from = ds.organizations.find((o) => o.id === own)!;
		const to = ds.organizations.find((o) => o.id !== from.id)!;
		const mentees = async (org: { id: string }) =>
			(await figuresAt(ds.sql, { organizationIds: [org.id] }, d, ds.now)).participants.mentees;
		const [fromBefore, toBefore] = [await mentees(from), await mentees(to)];
		// Moved: its next summary writes today's row, and the index, under the new organization.
		await ds.sql.run('UPDATE programs SET organization_id = ? WHERE id = ?', [to.id, programs[6]!]);
		await write(6, ds.today, ['e6']);
		// On `d` it was the first organization's: counted there, not in the other.
		expect(await mentees(from)).toBe(fromBefore);
		expect(await mentees(to)).toBe(toBefore);
	});
});

describe('a program moved between organizations before a date', () => {
	it('is counted on that date by the organization it was in, not also by the one it left', async () => {
		const day = (n: number) => addDays(ds.today, n);
		const own = ds.truth.find((t) => t.programId === programs[7])!.organizationId;
		const left = ds.organizations.find((o) => o.id === own)!;
		const joined = ds.organizations.find((o) => o.id !== left.id)!;
		const ids = ds.organizations.map((o) => o.id);
		const figures = (org: { id: string }, date: string) =>
			figuresAt(ds.sql, { organizationIds: [org.id] }, date, ds.now);
		const region = (date: string) => figuresAt(ds.sql, scope(), date, ds.now);
		// The analytic report's table: each organization's programs in force in a week after the move.
		const week = { from: day(-12), to: day(-5) };
		const report = async () => {
			const r = await municipalityFigures(ds.sql, scope(), week, { now: ds.now });
			const inForce = (org: { id: string }) =>
				r.organizations[ids.indexOf(org.id)]!.programs.inForce;
			return { left: inForce(left), joined: inForce(joined), region: r.figures.programs.inForce };
		};
		const d = day(-10);
		const before = { left: await figures(left, d), joined: await figures(joined, d) };
		const regionBefore = await region(d);
		const reportBefore = await report();
		// Moved twenty days ago: its summary of that day is written under the new organization.
		await ds.sql.run('UPDATE programs SET organization_id = ? WHERE id = ?', [
			joined.id,
			programs[7]!
		]);
		await write(7, day(-20), ['e7', 'after the move']);
		const after = { left: await figures(left, d), joined: await figures(joined, d) };
		const regionAfter = await region(d);
		expect(after.left.programs.total).toBe(before.left.programs.total - 1);
		expect(after.joined.programs.total).toBe(before.joined.programs.total + 1);
		expect(after.left.participants.mentees + after.joined.participants.mentees).toBe(
			regionAfter.participants.mentees
		);
		expect(regionAfter.programs.total).toBe(regionBefore.programs.total);
		// Before the move it was the first one's.
		const earlier = day(-25);
		expect((await figures(left, earlier)).programs.total).toBe(before.left.programs.total);
		// A period after the move: the report's rows count it once, in the organization it joined.
		const reportAfter = await report();
		expect(reportAfter).toEqual({
			left: reportBefore.left - 1,
			joined: reportBefore.joined + 1,
			region: reportBefore.region
		});
		expect(reportAfter.left + reportAfter.joined).toBe(reportAfter.region);
	});
});

describe("the calendar's items still ahead", () => {
	it("show the figures of the service's today, not of the wall clock's", async () => {
		const scope = {
			organizationIds: ds.organizations.map((o) => o.id),
			kind: 'municipality' as const,
			id: 'm',
			name: 'Муниципалитет'
		};
		const calendarMentees = async () =>
			(
				await monitoringCalendar(ds.sql, scope, {
					year: Number(ds.today.slice(0, 4)),
					today: ds.today,
					now: ds.now,
					config: defaultCalendar(),
					organizations: []
				})
			)
				.find((e) => e.itemId === '08-mentee-list')
				?.figures.find((f) => f.label === 'наставляемых')?.value;
		const todayMentees = async () =>
			(await computeFigures(ds.sql, scope, { now: ds.now })).participants.mentees;
		const before = await todayMentees();
		expect(await calendarMentees()).toBe(before);
		// A program of a zone ahead already writes tomorrow's row (its own today): the service's
		// figures of today count its latest summary, two mentees where it had one.
		await write(7, addDays(ds.today, 1), ['e7', 'ahead']);
		expect(await todayMentees()).toBe(before + 1);
		expect(await calendarMentees()).toBe(before + 1);
	});
});
