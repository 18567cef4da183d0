import { describe, expect, it } from 'vitest';
import { readProgram } from './read';
import {
	approvedExtensionMonths,
	canApproveChange,
	canComplete,
	canRequestChange,
	currentStage,
	defaultDeadline,
	effectiveStatus,
	expectedReports,
	missingConsents,
	nextDeadline,
	overdueActivities,
	programEndDate,
	progress,
	reportsDue,
	semiannualDeadlines,
	stageTimeline
} from './rules';
import { createProgram } from './create';
import blank from './templates/blank';
import { curator, editor, head, ids, mentee, mentor, newProgram } from './test-utils';
import * as Y from 'yjs';

describe('stage timeline and current stage', () => {
	const doc = newProgram();
	const v = readProgram(doc, doc);
	it('stages follow each other from the start date (1 + 4 + 9 + 1 months)', () => {
		expect(stageTimeline(v).map((s) => [s.start, s.end])).toEqual([
			['2025-09-01', '2025-09-30'],
			['2025-10-01', '2026-01-31'],
			['2026-02-01', '2026-10-31'],
			['2026-11-01', '2026-11-30']
		]);
		expect(defaultDeadline(v, v.stages[1]!.id)).toBe('2026-01-31');
		expect(programEndDate(v)).toBe('2027-08-31'); // 24 months
	});
	it('current stage by date', () => {
		expect(currentStage(v, '2025-08-31')).toEqual({
			phase: 'not-started',
			stageId: null,
			index: -1
		});
		expect(currentStage(v, '2025-09-01')).toMatchObject({ phase: 'in-progress', index: 0 });
		expect(currentStage(v, '2025-09-30')).toMatchObject({ phase: 'in-progress', index: 0 });
		expect(currentStage(v, '2025-10-01')).toMatchObject({ phase: 'in-progress', index: 1 });
		expect(currentStage(v, '2026-06-15')).toMatchObject({
			phase: 'in-progress',
			index: 2,
			stageId: v.stages[2]!.id
		});
		expect(currentStage(v, '2026-11-30')).toMatchObject({ phase: 'in-progress', index: 3 });
		expect(currentStage(v, '2027-01-01')).toMatchObject({ phase: 'finished', index: 3 });
		const b = new Y.Doc();
		createProgram(b, curator, blank, { startDate: '2025-09-01' });
		expect(currentStage(readProgram(b, b), '2025-10-01').phase).toBe('unscheduled');
	});
});

describe('progress, overdue, next deadline', () => {
	it('counts done over non-cancelled activities, per stage', () => {
		const doc = newProgram();
		const ed = editor(doc, mentee);
		const v0 = readProgram(doc, doc);
		const [a, b, c] = v0.activities;
		ed.completeActivity(a!.id, '2025-09-10');
		ed.completeActivity(b!.id, '2025-09-11');
		ed.editActivity(c!.id, { status: 'cancelled' });
		const p = progress(readProgram(doc, doc));
		expect(p).toMatchObject({ done: 2, total: 21 });
		expect(p.byStage[v0.stages[0]!.id]).toEqual({ done: 2, total: 3 });
		expect(p.byStage[v0.stages[1]!.id]).toEqual({ done: 0, total: 9 });
	});
	it('an activity is overdue the day after its deadline, unless done or cancelled', () => {
		const doc = newProgram();
		const ed = editor(doc, mentee);
		const v0 = readProgram(doc, doc);
		expect(overdueActivities(v0, '2025-09-30')).toHaveLength(0);
		expect(overdueActivities(v0, '2025-10-01')).toHaveLength(4);
		ed.completeActivity(v0.activities[0]!.id, '2025-09-20');
		ed.editActivity(v0.activities[1]!.id, { status: 'cancelled' });
		ed.setDeadline(v0.activities[2]!.id, '2025-10-15');
		const v1 = readProgram(doc, doc);
		expect(overdueActivities(v1, '2025-10-01').map((a) => a.id)).toEqual([v0.activities[3]!.id]);
		expect(nextDeadline(v1, '2025-10-01')).toEqual({
			date: '2025-10-15',
			activityId: v0.activities[2]!.id
		});
		expect(nextDeadline(v1, '2025-09-01')).toEqual({
			date: '2025-09-30',
			activityId: v0.activities[3]!.id
		});
		expect(nextDeadline(v1, '2030-01-01')).toBeNull();
	});
});

describe('reports due', () => {
	it('mentor reports by 10 June and 10 December while the program runs', () => {
		expect(semiannualDeadlines('2025-09-01', '2027-08-31').map((d) => d.dueDate)).toEqual([
			'2025-12-10',
			'2026-06-10',
			'2026-12-10',
			'2027-06-10',
			'2027-12-10'
		]);
		// Started less than a month before 10 December: the first report is in June.
		expect(semiannualDeadlines('2025-11-20', '2026-05-31').map((d) => d.period)).toEqual([
			'2026-06'
		]);
	});
	it('a report after each stage, and the semi-annual ones; due = date has come and not submitted/accepted', () => {
		const doc = newProgram();
		const v0 = readProgram(doc, doc);
		const exp = expectedReports(v0);
		expect(exp.filter((e) => e.kind === 'stage').map((e) => e.dueDate)).toEqual([
			'2025-09-30',
			'2026-01-31',
			'2026-10-31',
			'2026-11-30'
		]);
		expect(exp.filter((e) => e.kind === 'mentor-semiannual')).toHaveLength(5);
		expect(reportsDue(v0, '2025-09-29')).toHaveLength(0);
		expect(reportsDue(v0, '2025-09-30').map((e) => e.key)).toEqual([`stage:${v0.stages[0]!.id}`]);
		expect(reportsDue(v0, '2025-12-10')).toHaveLength(2);

		const ed = editor(doc, mentee);
		const cur = editor(doc, curator);
		const r1 = ed.startReport({ kind: 'stage', stageId: v0.stages[0]!.id });
		expect(ed.startReport({ kind: 'stage', stageId: v0.stages[0]!.id })).toBe(r1);
		expect(reportsDue(readProgram(doc, doc), '2025-10-01')).toHaveLength(1); // draft is still due
		ed.submitReport(r1, '2025-10-01');
		expect(reportsDue(readProgram(doc, doc), '2025-10-01')).toHaveLength(0);
		cur.returnReport(r1, 'Добавьте выводы', '2025-10-02');
		expect(reportsDue(readProgram(doc, doc), '2025-10-02').map((e) => e.state)).toEqual([
			'returned'
		]);
		ed.submitReport(r1, '2025-10-03');
		cur.acceptReport(r1, '2025-10-04');
		const e = expectedReports(readProgram(doc, doc))[0]!;
		expect(e.state).toBe('accepted');
		expect(e.report?.id).toBe(r1);
	});
	it('semi-annual reports stop at an early completion', () => {
		const doc = newProgram();
		editor(doc, mentor).completeProgram({ reason: 'participant-initiative', date: '2026-03-01' });
		expect(
			expectedReports(readProgram(doc, doc))
				.filter((e) => e.kind === 'mentor-semiannual')
				.map((e) => e.period)
		).toEqual(['2025-12', '2026-06']);
	});
});

describe('completion (Tomsk §7.1)', () => {
	it('plan completed in full only when every activity is done', () => {
		const doc = newProgram();
		const v0 = readProgram(doc, doc);
		expect(canComplete(v0, 'plan-completed', mentor, '2027-01-10')).toMatchObject({
			ok: false,
			reason: 'plan-not-done'
		});
		const ed = editor(doc, mentee);
		for (const a of v0.activities) ed.completeActivity(a.id, '2026-11-30');
		expect(canComplete(readProgram(doc, doc), 'plan-completed', mentor, '2027-01-10')).toEqual({
			ok: true
		});
		expect(canComplete(readProgram(doc, doc), 'plan-completed', head, '2027-01-10').ok).toBe(false);
	});
	it('by initiative of mentor or mentee; by the curator for improper execution', () => {
		const v = readProgram(newProgram());
		expect(canComplete(v, 'participant-initiative', mentee, '2026-01-10').ok).toBe(true);
		expect(canComplete(v, 'participant-initiative', mentor, '2026-01-10').ok).toBe(true);
		expect(canComplete(v, 'participant-initiative', curator, '2026-01-10').ok).toBe(false);
		expect(canComplete(v, 'curator-initiative', curator, '2026-01-10').ok).toBe(true);
		expect(canComplete(v, 'curator-initiative', mentor, '2026-01-10').ok).toBe(false);
		expect(canComplete(v, 'curator-initiative', curator, '2025-08-01')).toMatchObject({
			ok: false,
			reason: 'before-start'
		});
		expect(canComplete(v, 'curator-initiative', curator, 'tomorrow')).toMatchObject({
			ok: false,
			reason: 'invalid-date'
		});
	});
	it('a completed program cannot be completed again nor extended', () => {
		const doc = newProgram();
		editor(doc, curator).completeProgram({ reason: 'curator-initiative', date: '2026-02-01' });
		const v = readProgram(doc, doc);
		expect(effectiveStatus(v)).toBe('completed');
		expect(canComplete(v, 'participant-initiative', mentee, '2026-03-01')).toMatchObject({
			ok: false,
			reason: 'already-completed'
		});
		expect(canRequestChange(v, mentor).ok).toBe(false);
	});
});

describe('extension and correction (Tomsk §7.2)', () => {
	it('needs mutual consent of mentor and mentee and the curator petition; extends the end date', () => {
		const doc = newProgram();
		const { mentorP, menteeP } = ids(doc);
		const req = editor(doc, mentee).requestChange({
			kind: 'extension',
			months: 3,
			reason: 'Длительная болезнь',
			date: '2027-06-01'
		});
		const find = () => readProgram(doc, doc).changeRequests.find((c) => c.id === req)!;
		expect(missingConsents(readProgram(doc, doc), find())).toEqual([mentorP]);
		expect(canApproveChange(readProgram(doc, doc), find(), curator)).toMatchObject({
			ok: false,
			reason: 'no-petition'
		});
		editor(doc, curator).petitionChange(req);
		expect(canApproveChange(readProgram(doc, doc), find(), curator)).toMatchObject({
			ok: false,
			reason: 'no-consent'
		});
		editor(doc, mentor).consentChange(req, '2027-06-02');
		expect(find().consents).toEqual({ [menteeP]: '2027-06-01', [mentorP]: '2027-06-02' });
		expect(canApproveChange(readProgram(doc, doc), find(), mentor)).toMatchObject({
			ok: false,
			reason: 'role'
		});
		expect(canApproveChange(readProgram(doc, doc), find(), curator)).toEqual({ ok: true });
		editor(doc, curator).decideChange(req, 'approved', '2027-06-05');
		const v = readProgram(doc, doc);
		expect(approvedExtensionMonths(v)).toBe(3);
		expect(programEndDate(v)).toBe('2027-11-30');
		expect(canApproveChange(v, find(), curator)).toMatchObject({ ok: false, reason: 'decided' });
	});
});

describe('stage lengths of shorter programs', () => {
	it('a 3..12 month teacher program scales its stages to fit', async () => {
		const { fitStageMonths } = await import('./create');
		expect(fitStageMonths([1, 9, 2], 12)).toEqual([1, 9, 2]);
		expect(fitStageMonths([1, 4, 9, 1], 24)).toEqual([1, 4, 9, 1]);
		expect(fitStageMonths([1, 9, 2], 3)).toEqual([1, 1, 1]);
		expect(fitStageMonths([1, 9, 2], 6)).toEqual([1, 4, 1]);
		expect(fitStageMonths([1, 9, 2], 9)).toEqual([2, 6, 1]);
		expect(fitStageMonths([1, 9, 2], 2)).toEqual([0, 2, 0]);
		for (let d = 1; d <= 12; d++)
			expect(fitStageMonths([1, 9, 2], d).reduce((a, b) => a + b, 0)).toBe(d);
		const teacher = (await import('./templates/teacher-surgut')).default;
		const doc = new Y.Doc();
		createProgram(doc, curator, teacher, { startDate: '2025-09-01', durationMonths: 3 });
		const v = readProgram(doc, doc);
		expect(v.stages.map((s) => s.months)).toEqual([1, 1, 1]);
		expect(programEndDate(v)).toBe('2025-11-30');
		expect(stageTimeline(v).at(-1)?.end).toBe('2025-11-30');
		expect(v.activities.at(-1)?.deadline).toBe('2025-11-30');
	});
});
