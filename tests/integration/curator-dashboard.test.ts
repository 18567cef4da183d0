/**
 * The curator dashboard, figures and exports against a generated data set with known truth,
 * stored through the relay's DocumentStore (the index triggers run as in production).
 */
import { rmSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	organizationAggregates,
	queryDashboard,
	type DashboardRow
} from '../../server/curator/dashboard';
import { computeFigures, figuresFor } from '../../server/curator/figures';
import { defaultCalendar } from '../../src/lib/shared/calendar';
import { monitoringCalendar } from '../../server/curator/calendar';
import { renderDocx } from '../../server/curator/exports/docx';
import { renderPdf } from '../../server/curator/exports/pdf';
import { scopeDocModel } from '../../server/curator/exports/scope-docs';
import { monitoringWorkbook } from '../../server/curator/exports/xlsx';
import { TEMPLATES, addDays, loadTemplate } from '../../src/lib/shared/program/index';
import * as Y from 'yjs';
import { createRefresher } from '../../server/curator/refresh';
import { computeSummary, writeSummaries } from '../../server/sync/summaries';
import { programSummary } from '../../server/sync/summary';
import { createLogger } from '../../server/logger';
import {
	countOverdue,
	createDataset,
	docxText,
	pdfPageCount,
	type Dataset,
	type ProgramTruth
} from './curator-fixtures';

let ds: Dataset;
let truthById: Map<string, ProgramTruth>;
const PROGRAMS = 420;

beforeAll(async () => {
	ds = await createDataset({ programs: PROGRAMS, organizations: 2, seed: 7 });
	truthById = new Map(ds.truth.map((t) => [t.programId, t]));
}, 120_000);

afterAll(async () => {
	await ds.close();
	rmSync(ds.dataDir, { recursive: true, force: true });
});

const scopeOf = (orgIds: string[]) => ({ organizationIds: orgIds });
async function allRows(
	orgIds: string[],
	q: Parameters<typeof queryDashboard>[2] = {}
): Promise<DashboardRow[]> {
	const out: DashboardRow[] = [];
	for (let offset = 0; ; offset += 100) {
		const r = await queryDashboard(
			ds.sql,
			scopeOf(orgIds),
			{ staleDays: ds.staleDays, ...q, offset, limit: 100 },
			{ now: ds.now }
		);
		out.push(...r.rows);
		if (r.rows.length < 100) return out;
	}
}

describe('curator dashboard over stored summaries', () => {
	it('lists every program of the organization with figures matching the known truth', async () => {
		for (const org of ds.organizations) {
			const rows = await allRows([org.id]);
			const expected = ds.truth.filter((t) => t.organizationId === org.id);
			expect(rows.length).toBe(expected.length);
			for (const r of rows) {
				const t = truthById.get(r.programId);
				expect(t, r.programId).toBeDefined();
				if (!t) continue;
				expect(r.organizationId).toBe(org.id);
				expect(r.organizationName).toBe(org.name);
				expect(r.status).toBe(t.status);
				expect(r.progress).toEqual({ done: t.done, total: t.total, percent: t.percent });
				expect(r.overdue).toBe(t.overdue);
				expect(r.reports.due).toBe(t.reportsDue);
				expect(r.reports.submitted).toBe(t.reportsSubmitted);
				expect(r.reports.accepted).toBe(t.reportsAccepted);
				expect(r.reports.returned).toBe(t.reportsReturned);
				expect(r.flags.includes('pending-sync')).toBe(t.pending);
				expect(r.flags.includes('stale')).toBe(t.stale);
				const mentee = r.participants.find((p) => p.userId === t.mentee);
				const mentor = r.participants.find((p) => p.userId === t.mentor);
				// Nobody is connected in the data set: last contact an hour ago, with or without unsent changes.
				expect(mentee?.sync).toBe(t.pending ? 'pending' : 'seen');
				expect(mentee?.devices[0]?.pending).toBe(t.pending ? 3 : 0);
				expect(mentor?.name).toBe(t.mentorName);
				expect(r.flags.includes('not-opened')).toBe(t.notOpened);
				if (t.notOpened) expect(mentor?.sync).toBe('not-opened');
				expect(r.asOf).toBe(ds.today);
			}
		}
	});

	it('totals and problem filters count exactly the programs with the problem', async () => {
		const org = ds.organizations[0];
		if (!org) throw new Error('no org');
		const mine = ds.truth.filter((t) => t.organizationId === org.id);
		const r = await queryDashboard(
			ds.sql,
			scopeOf([org.id]),
			{ staleDays: ds.staleDays, limit: 5 },
			{ now: ds.now }
		);
		expect(r.total).toBe(mine.length);
		expect(r.totals.withOverdue).toBe(mine.filter((t) => t.overdue > 0).length);
		expect(r.totals.overdueActivities).toBe(mine.reduce((a, t) => a + t.overdue, 0));
		expect(r.totals.reportsDue).toBe(mine.reduce((a, t) => a + t.reportsDue, 0));
		expect(r.totals.reportsSubmitted).toBe(mine.reduce((a, t) => a + t.reportsSubmitted, 0));
		expect(r.totals.reportsAccepted).toBe(mine.reduce((a, t) => a + t.reportsAccepted, 0));
		expect(r.totals.pendingSync).toBe(mine.filter((t) => t.pending).length);
		expect(r.totals.stale).toBe(mine.filter((t) => t.stale).length);
		expect(r.totals.completed).toBe(mine.filter((t) => t.status === 'completed').length);
		expect(r.outdated).toBe(0);

		const count = async (flags: Parameters<typeof queryDashboard>[2]['flags']) =>
			(
				await queryDashboard(
					ds.sql,
					scopeOf([org.id]),
					{ staleDays: ds.staleDays, flags },
					{ now: ds.now }
				)
			).total;
		expect(await count(['overdue'])).toBe(mine.filter((t) => t.overdue > 0).length);
		expect(await count(['reports-due'])).toBe(mine.filter((t) => t.reportsDue > 0).length);
		expect(await count(['pending-sync'])).toBe(mine.filter((t) => t.pending).length);
		expect(await count(['stale'])).toBe(mine.filter((t) => t.stale).length);
		expect(await count(['not-opened'])).toBe(mine.filter((t) => t.notOpened).length);
		expect(await count(['overdue', 'stale'])).toBe(
			mine.filter((t) => t.overdue > 0 && t.stale).length
		);
		// A wider threshold: fewer stale programs.
		const wide = (
			await queryDashboard(
				ds.sql,
				scopeOf([org.id]),
				{ staleDays: 30, flags: ['stale'] },
				{ now: ds.now }
			)
		).total;
		expect(wide).toBeLessThan(await count(['stale']));
	});

	it('filters by template, status and stage; sorts; searches names ignoring case and ё', async () => {
		const org = ds.organizations[1];
		if (!org) throw new Error('no org');
		const mine = ds.truth.filter((t) => t.organizationId === org.id);
		const tomsk = await allRows([org.id], { templateId: 'tomsk-heads-beginner' });
		expect(tomsk.length).toBe(mine.filter((t) => t.templateId === 'tomsk-heads-beginner').length);
		expect(tomsk.every((r) => r.templateId === 'tomsk-heads-beginner')).toBe(true);
		const completed = await allRows([org.id], { status: 'completed' });
		expect(completed.length).toBe(mine.filter((t) => t.status === 'completed').length);
		const activityStage = await allRows([org.id], { stage: 'activity' });
		expect(
			activityStage.every((r) => r.stage.kind === 'activity' && r.stage.phase === 'in-progress')
		).toBe(true);

		const byProgress = await allRows([org.id], { sort: 'progress', dir: 'desc' });
		for (let i = 1; i < byProgress.length; i++)
			expect((byProgress[i - 1] as DashboardRow).progress.percent).toBeGreaterThanOrEqual(
				(byProgress[i] as DashboardRow).progress.percent
			);
		const byDeadline = (await allRows([org.id], { sort: 'next-deadline' }))
			.map((r) => r.nextDeadline)
			.filter((d): d is string => d !== null);
		expect([...byDeadline].sort()).toEqual(byDeadline);

		const someone = mine[3] as ProgramTruth;
		const surname = someone.mentorName.split(' ')[0] as string;
		const found = await allRows([org.id], { q: surname.toUpperCase() });
		const expected = mine.filter(
			(t) => t.mentorName.includes(surname) || t.menteeName.includes(surname)
		);
		expect(found.length).toBe(expected.length);
		expect(found.some((r) => r.programId === someone.programId)).toBe(true);
	});

	it('municipal view aggregates organizations', async () => {
		const ids = ds.organizations.map((o) => o.id);
		const aggs = await organizationAggregates(ds.sql, ids, {
			now: ds.now,
			staleDays: ds.staleDays
		});
		expect(aggs.length).toBe(2);
		for (const a of aggs) {
			const mine = ds.truth.filter((t) => t.organizationId === a.organizationId);
			expect(a.programs).toBe(mine.length);
			expect(a.completed).toBe(mine.filter((t) => t.status === 'completed').length);
			expect(a.withOverdue).toBe(mine.filter((t) => t.overdue > 0).length);
			expect(a.stale).toBe(mine.filter((t) => t.stale).length);
			expect(a.pendingSync).toBe(mine.filter((t) => t.pending).length);
		}
		const all = await queryDashboard(
			ds.sql,
			scopeOf(ids),
			{ staleDays: ds.staleDays },
			{ now: ds.now }
		);
		expect(all.total).toBe(PROGRAMS);
		expect(all.facets.organization[ids[0] as string]).toBe(
			ds.truth.filter((t) => t.organizationId === ids[0]).length
		);
	});

	it('figures for statistical forms match the truth', async () => {
		const ids = ds.organizations.map((o) => o.id);
		const f = await computeFigures(ds.sql, scopeOf(ids), { now: ds.now });
		expect(f.programs.total).toBe(PROGRAMS);
		expect(f.programs.completed).toBe(ds.truth.filter((t) => t.status === 'completed').length);
		// In force today: approved and started, or completed today or later (none here: 4 days ago).
		const inForce = ds.truth.filter(
			(t) =>
				(t.status === 'active' && t.startDate <= ds.today) ||
				(t.status === 'completed' && (t.completedOn ?? '') >= ds.today)
		);
		expect(f.programs.inForce).toBe(inForce.length);
		// Each program has its own mentor and mentee: people = programs in force.
		expect(f.participants.mentors).toBe(new Set(inForce.map((t) => t.mentor)).size);
		expect(f.participants.mentees).toBe(new Set(inForce.map((t) => t.mentee)).size);
		// Feedback and exit assessments come with completion: none of those is in force today.
		expect(f.satisfaction.programsWithFeedback).toBe(inForce.filter((t) => t.feedback).length);
		expect(f.assessment.programsWithBoth).toBe(inForce.filter((t) => t.exitAvg !== null).length);
		expect(f.byTemplate.reduce((a, r) => a + r.programs, 0)).toBe(inForce.length);
		const formOf = new Map<string, string>();
		for (const t of TEMPLATES) formOf.set(t.id, (await loadTemplate(t.id)).form ?? '');
		const expectedForms = new Map<string, number>();
		for (const t of inForce)
			expectedForms.set(
				formOf.get(t.templateId) ?? '',
				(expectedForms.get(formOf.get(t.templateId) ?? '') ?? 0) + 1
			);
		expect(new Map(f.byForm.map((r) => [r.key, r.programs]))).toEqual(expectedForms);
		expect(f.completed.byReason['curator-initiative']).toBe(f.programs.completed);
		// Over the last 30 days the completed programs are in force, with their surveys and exit
		// self-assessments (entry 2, 3 → exit 4, 5 of the mentee: +2).
		const month = await computeFigures(ds.sql, scopeOf(ids), {
			now: ds.now,
			period: { from: addDays(ds.today, -30), to: ds.today }
		});
		const withFb = ds.truth.filter((t) => t.feedback);
		const avg = (xs: number[]) =>
			Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100;
		expect(month.satisfaction.programsWithFeedback).toBe(withFb.length);
		expect(month.satisfaction.mentorAvg).toBe(avg(withFb.map((t) => t.feedback?.mentor ?? 0)));
		expect(month.satisfaction.menteeAvg).toBe(avg(withFb.map((t) => t.feedback?.mentee ?? 0)));
		expect(month.assessment.programsWithBoth).toBe(
			ds.truth.filter((t) => t.exitAvg !== null).length
		);
		expect(month.assessment.growthAvg).toBe(2);
		expect(month.completed.inPeriod).toBe(f.programs.completed);
	});

	it('the calendar lists the monitoring dates with live counts', async () => {
		const ids = ds.organizations.map((o) => o.id);
		const ev = await monitoringCalendar(
			ds.sql,
			{ ...scopeOf(ids), kind: 'municipality', id: 'm', name: 'г. Томск' },
			{
				year: 2026,
				today: ds.today,
				config: defaultCalendar(),
				organizations: ds.organizations.map((o) => ({ id: o.id, name: o.name }))
			}
		);
		// Both seeds' items (src/lib/shared/calendar.ts), by date.
		expect(ev.map((e) => e.date)).toEqual([
			'2026-01-31',
			'2026-01-31',
			'2026-03-31',
			'2026-05-31',
			'2026-05-31',
			'2026-06-01',
			'2026-06-10',
			'2026-07-01',
			'2026-08-31',
			'2026-08-31',
			'2026-09-30',
			'2026-12-10',
			'2026-12-20',
			'2026-12-25',
			'2026-12-31'
		]);
		expect(ev[0]?.state).toBe('past');
		expect(ev.find((e) => e.itemId === '06-10-reports')?.figures[0]?.value).toBeGreaterThan(0);
		expect(ev.find((e) => e.itemId === '12-annual')?.documents[0]).toMatchObject({
			kind: 'scope-document',
			docKind: 'analytic-report'
		});
	});
	it("the calendar's practice items count the practices entered by the end of their day, by hand", async () => {
		const [a, b] = ds.organizations;
		if (!a || !b) throw new Error('two organizations');
		// A practice per program (one program gives one practice).
		const taken = new Set<string>();
		const programOf = (org: string) => {
			const id = ds.truth.find((t) => t.organizationId === org && !taken.has(t.programId))!;
			taken.add(id.programId);
			return id.programId;
		};
		// Moscow time, the default zone: 2026-03-31 ends at 2026-03-31T21:00Z.
		const practices = [
			{ id: 'p-before', org: a.id, at: '2026-03-10T09:00:00Z' }, // 03-31, 08-31
			{ id: 'p-late', org: a.id, at: '2026-03-31T20:30:00Z' }, // 23:30 MSK: 03-31, 08-31
			{ id: 'p-next', org: a.id, at: '2026-03-31T21:10:00Z' }, // 04-01 00:10 MSK: 08-31
			{ id: 'p-midnight', org: a.id, at: '2026-03-31T21:00:00Z' }, // 04-01 00:00 MSK: 08-31
			{ id: 'p-withdrawn', org: a.id, at: '2026-03-05T09:00:00Z', withdrawn: true }, // never
			{ id: 'p-other', org: b.id, at: '2026-03-01T09:00:00Z' } // not the scope's
		];
		for (const p of practices)
			await ds.sql.run(
				`INSERT INTO curator_cases (id, program_id, organization_id, title, description, tags,
					consent_mentor, consent_mentee, snapshot, created_by, created_at, withdrawn_at)
					VALUES (?, ?, ?, 'Практика', '', '[]', 1, 1, '{}', 'curator', ?, ?)`,
				[p.id, programOf(p.org), p.org, Date.parse(p.at), p.withdrawn ? Date.parse(p.at) : null]
			);
		try {
			const ev = await monitoringCalendar(
				ds.sql,
				{ ...scopeOf([a.id]), kind: 'organization', id: a.id, name: a.name },
				{ year: 2026, today: '2026-09-15', config: defaultCalendar(), organizations: [] }
			);
			const count = (itemId: string) =>
				ev.find((e) => e.itemId === itemId)?.figures.map((f) => [f.label, f.value]);
			expect(count('03-best-practices')).toEqual([['практик в реестре успешных практик', 2]]);
			expect(count('08-best-practices')).toEqual([['практик в реестре успешных практик', 4]]);
		} finally {
			await ds.sql.run(
				`DELETE FROM curator_cases WHERE id IN (${practices.map(() => '?').join(',')})`,
				practices.map((p) => p.id)
			);
		}
	});
});

describe('exports from the same data', () => {
	it('monitoring XLSX has one row per program with the dashboard figures, and the figures sheet', async () => {
		const org = ds.organizations[0];
		if (!org) throw new Error('no org');
		const rows = await allRows([org.id]);
		const figures = await computeFigures(ds.sql, scopeOf([org.id]), { now: ds.now });
		const buf = await monitoringWorkbook({ title: 'Мониторинг', rows, figures });
		const wb = new ExcelJS.Workbook();
		// exceljs types want its own Buffer flavour.
		await wb.xlsx.load(buf as unknown as ArrayBuffer);
		const ws = wb.getWorksheet('Мониторинг программ');
		if (!ws) throw new Error('no sheet');
		expect(ws.getRow(2).getCell(3).value).toBe('Программа');
		expect(ws.rowCount).toBe(rows.length + 2);
		const header = (ws.getRow(2).values as unknown[]).map(String);
		const col = (name: string) => header.indexOf(name);
		for (let i = 0; i < rows.length; i++) {
			const r = ws.getRow(i + 3);
			const row = rows[i] as DashboardRow;
			const t = truthById.get(row.programId) as ProgramTruth;
			expect(r.getCell(col('Программа')).value).toBe(t.title);
			expect(r.getCell(col('Наставник')).value).toBe(t.mentorName);
			expect(r.getCell(col('Выполнено мероприятий')).value).toBe(t.done);
			expect(r.getCell(col('Всего мероприятий')).value).toBe(t.total);
			expect(r.getCell(col('Просрочено')).value).toBe(t.overdue);
			expect(r.getCell(col('Отчетов не представлено к сроку')).value).toBe(t.reportsDue);
			expect(r.getCell(col('Отчетов принято')).value).toBe(t.reportsAccepted);
			expect(String(r.getCell(col('Синхронизация устройств')).value)).toContain(
				t.pending ? 'есть неотправленные изменения' : 'изменения доставлены'
			);
		}
		const fs = wb.getWorksheet('Показатели');
		const fig = new Map<string, unknown>();
		fs?.eachRow((r) => fig.set(String(r.getCell(1).value), r.getCell(2).value));
		expect(fig.get('Программ наставничества всего')).toBe(rows.length);
		expect(fig.get('завершено')).toBe(
			ds.truth.filter((t) => t.organizationId === org.id && t.status === 'completed').length
		);
		expect(wb.getWorksheet('По формам')?.rowCount).toBeGreaterThan(2);
	});

	it('аналитический отчет (DOCX) has the sections and the figures; the PDF renders', async () => {
		const ids = ds.organizations.map((o) => o.id);
		const period = { from: '2025-09-01', to: '2026-05-31' };
		const figures = await figuresFor(ds.sql, scopeOf(ids), period, ds.now);
		const model = scopeDocModel({
			kind: 'analytic-report',
			scope: 'municipality',
			scopeName: 'г. Томск',
			period,
			today: ds.today,
			timeZone: 'Europe/Moscow',
			figures,
			programs: [],
			organizations: await Promise.all(
				ds.organizations.map(async (o) => ({
					name: o.name,
					figures: await figuresFor(ds.sql, scopeOf([o.id]), period, ds.now)
				}))
			),
			sections: { conclusions: 'Вывод координатора.' },
			version: null
		});
		const docx = await renderDocx(model);
		const text = docxText(docx);
		expect(text).toContain('Аналитический отчет');
		expect(text).toContain('1. Общие сведения');
		expect(text).toContain('2. Показатели муниципалитета и их динамика');
		expect(text).toContain('3. Анализ по образовательным организациям');
		expect(text).toContain('7. Выводы\nВывод координатора.');
		expect(text).toContain(
			`Программ реализовывалось в периоде\n${figures.previous?.programs.inForce}\n${figures.programs.inForce}`
		);
		for (const o of ds.organizations) expect(text).toContain(o.name);
		const pdf = await renderPdf(model);
		expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
		expect(pdfPageCount(pdf)).toBeGreaterThan(1);
	});
});

describe('time passing without edits', () => {
	it('the refresher recomputes exactly the summaries whose figures changed with the date', async () => {
		const later = Date.parse('2026-04-20T12:00:00Z');
		const org = ds.organizations[0];
		if (!org) throw new Error('no org');
		const before = await queryDashboard(
			ds.sql,
			scopeOf([org.id]),
			{ staleDays: ds.staleDays },
			{ now: later }
		);
		expect(before.outdated).toBeGreaterThan(0);
		const refresher = createRefresher(
			{
				db: ds.sql,
				// The relay's part (the one writer of summaries), over the stored documents.
				summaries: {
					async refreshSummaries(ids: string[]) {
						for (const id of ids) {
							const d = await ds.store.load(id);
							const bytes = Y.mergeUpdates([...(d.state ? [d.state] : []), ...d.updates]);
							await writeSummaries(ds.store, [
								computeSummary(id, bytes, d.lastSeq, programSummary, later)
							]);
						}
						return ids.length;
					}
				},
				logger: createLogger('error'),
				now: () => later
			},
			3_600_000
		);
		let n = 0;
		while ((n = await refresher.runOnce(1000)) > 0) expect(n).toBeGreaterThan(0);
		refresher.stop();
		const after = await queryDashboard(
			ds.sql,
			scopeOf([org.id]),
			{ staleDays: ds.staleDays },
			{ now: later }
		);
		expect(after.outdated).toBe(0);
		for (const r of (await allRows([org.id])).slice(0, 60)) {
			const d = await ds.store.load(r.programId);
			const bytes = Y.mergeUpdates([...(d.state ? [d.state] : []), ...d.updates]);
			expect(r.overdue, r.programId).toBe(countOverdue(bytes, '2026-04-20'));
		}
	});
});
