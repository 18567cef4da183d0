/**
 * The calendar's item «Отчеты руководителей, осуществляющих функции наставника (до 10 июня)»
 * counts the programs that owe the semi-annual report on its date: head mentoring only (Tomsk
 * 2024), running a month before the date and overlapping the half-year. Counted by hand over
 * summaries written as the relay writes them; the programs share their dates and differ in their
 * templates (or share all three), and the count asks once per distinct plan (figures.ts, plansAt).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitoringCalendar } from '../../server/curator/calendar';
import { defaultCalendar } from '../../src/lib/shared/calendar';
import { createDataset, rewriteSummary, type Dataset } from './curator-fixtures';

let ds: Dataset;
let programs: string[] = [];

beforeAll(async () => {
	ds = await createDataset({ programs: 8, organizations: 1, seed: 53 });
	programs = ds.truth.map((p) => p.programId).sort();
}, 120_000);

afterAll(async () => {
	await ds.close();
	rmSync(ds.dataDir, { recursive: true, force: true });
});

interface Plan {
	templateId: string;
	startDate: string;
	endDate: string;
}

/** Each program's summary of 2026-06-01, as the relay writes it. */
async function write(plans: Plan[]): Promise<void> {
	expect(plans).toHaveLength(programs.length);
	for (const [i, programId] of programs.entries()) {
		await rewriteSummary(ds, programId, (stored) => ({
			...stored,
			...plans[i]!,
			asOf: '2026-06-01',
			status: 'active',
			completion: null
		}));
	}
}

describe('the programs owing the mentor report of 10 June', () => {
	it('are the head mentoring programs running a month before and overlapping the half-year, by hand', async () => {
		const year = { startDate: '2026-01-10', endDate: '2027-01-09' };
		await write([
			{ templateId: 'tomsk-heads-beginner', ...year }, // owes
			{ templateId: 'tomsk-heads-beginner', ...year }, // owes: the same plan counts twice
			{ templateId: 'teacher-surgut', ...year }, // Surgut 2022 asks for no such report
			{ templateId: 'learner', ...year }, // nor the Tomsk region 2020 programme
			{ templateId: 'blank', ...year }, // a blank program has no regulation
			// Started 2026-05-20, less than a month before 10 June (the first one's end).
			{ templateId: 'tomsk-heads-beginner', startDate: '2026-05-20', endDate: '2027-01-09' },
			// Ended 2025-12-01, before the half-year began (2025-12-09).
			{ templateId: 'tomsk-heads-beginner', startDate: '2024-12-02', endDate: '2025-12-01' },
			// The same start, ended within the half-year: owes it.
			{ templateId: 'tomsk-heads-beginner', startDate: '2024-12-02', endDate: '2025-12-19' }
		]);
		const events = await monitoringCalendar(
			ds.sql,
			{ organizationIds: [ds.organizations[0]!.id], kind: 'organization', id: 'o', name: 'Школа' },
			{
				year: 2026,
				today: '2026-09-15',
				now: Date.parse('2026-09-15T09:00:00Z'),
				config: defaultCalendar(),
				organizations: []
			}
		);
		const owing = (itemId: string) => events.find((e) => e.itemId === itemId)?.figures[0];
		expect(owing('06-10-reports')).toEqual({
			label: 'программ, которые должны представить отчет',
			value: 3
		});
		// 10 December, still ahead (as on today): running since 10 November and
		// overlapping the half-year from 10 June — both of the first plan and the one of 20 May.
		expect(owing('12-10-reports')).toEqual({
			label: 'программ, которые должны представить отчет',
			value: 3
		});
	});
});
