import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { generateRealisticProgram } from './fixtures';
import { readProgram } from './read';
import { SUMMARY_VERSION, summarize } from './summary';
import { curator, editor, ids, mentee, mentor, newProgram } from './test-utils';

describe('summarize', () => {
	it('a fresh program', () => {
		const doc = newProgram();
		const s = summarize(doc, '2025-10-05', doc);
		expect(s).toMatchObject({
			v: SUMMARY_VERSION,
			asOf: '2025-10-05',
			status: 'draft',
			startDate: '2025-09-01',
			endDate: '2027-08-31',
			form: 'head-head',
			menteeCategory: 'head-beginner',
			mentors: 1,
			mentees: 1,
			stage: {
				phase: 'in-progress',
				index: 1,
				title: 'Консультационный',
				kind: 'consultative',
				start: '2025-10-01',
				end: '2026-01-31',
				count: 4
			},
			progress: { done: 0, total: 22, percent: 0 },
			overdue: { count: 4 },
			nextDeadline: { date: '2026-01-31' },
			reports: {
				expected: 9,
				due: 1,
				draft: 0,
				submitted: 0,
				accepted: 0,
				returned: 0,
				nextDueDate: '2025-12-10'
			},
			meetings: { count: 0, lastDate: null },
			feedback: { count: 0, mentorAvg: null, menteeAvg: null },
			assessment: { entryCount: 0, exitCount: 0, entryAvg: null, exitAvg: null },
			completion: null,
			changeRequests: { pending: 0, approved: 0, rejected: 0 },
			curatorComments: 0,
			problems: []
		});
		expect(s.overdue.ids).toHaveLength(4);
		expect(s.stages.map((x) => [x.title, x.total])).toEqual([
			['Организационный', 4],
			['Консультационный', 9],
			['Деятельностный', 7],
			['Рефлексивный', 2]
		]);
		expect(summarize(doc, new Date('2025-10-05T12:00:00Z'))).toEqual(s);
	});

	it('counts, averages and completion', () => {
		const doc = newProgram();
		const { view, menteeP, mentorP, stages } = ids(doc);
		const ed = editor(doc, mentee);
		const cur = editor(doc, curator);
		ed.completeActivity(view.activities[0]!.id, '2025-09-10');
		ed.logMeeting({
			date: '2025-09-03',
			format: 'in-person',
			kind: 'organizational',
			topic: 'Первая встреча'
		});
		ed.logMeeting({ date: '2025-09-17', format: 'remote', kind: 'regular', topic: 'Регулярная' });
		ed.setAssessment('entry', menteeP, 'Лидерство', 2);
		ed.setAssessment('entry', menteeP, 'Контроль', 3);
		ed.setAssessment('exit', menteeP, 'Лидерство', 5);
		ed.setFeedback({ participantId: menteeP, satisfaction: 9, date: '2027-08-01' });
		editor(doc, mentor).setFeedback({
			participantId: mentorP,
			satisfaction: 7,
			date: '2027-08-01'
		});
		const r = ed.startReport({ kind: 'stage', stageId: stages[0]! });
		ed.submitReport(r, '2025-10-01');
		cur.acceptReport(r, '2025-10-02');
		cur.commentActivity(view.activities[1]!.id, 'Где справка?');
		cur.requestChange({ kind: 'correction', reason: 'Сменить форму', date: '2025-10-03' });
		editor(doc, mentor).completeProgram({
			reason: 'participant-initiative',
			date: '2025-10-04',
			note: 'переезд'
		});
		const s = summarize(doc, '2025-10-05', doc);
		expect(s).toMatchObject({
			status: 'completed',
			progress: { done: 1, total: 22, percent: 5 },
			meetings: { count: 2, lastDate: '2025-09-17', byKind: { organizational: 1, regular: 1 } },
			assessment: { entryCount: 2, exitCount: 1, entryAvg: 2.5, exitAvg: 5 },
			feedback: { count: 2, mentorAvg: 7, menteeAvg: 9 },
			reports: { accepted: 1, due: 0 },
			curatorComments: 1,
			changeRequests: { pending: 1 },
			completion: { reason: 'participant-initiative', date: '2025-10-04' },
			lastEdits: {
				'u-mentee': '2025-09-01T08:00Z',
				'u-curator': '2025-09-01T08:00Z',
				'u-mentor': '2025-09-01T08:00Z'
			}
		});
		// No free text beyond titles and names: nothing typed into notes or reports leaks.
		expect(JSON.stringify(s)).not.toMatch(/переезд|Где справка|Сменить форму/);
	});

	it('the realistic two-year program: shape, size, and a small flat record', () => {
		const { doc, stats } = generateRealisticProgram(7);
		expect(stats.edits).toBeGreaterThanOrEqual(5000);
		expect(stats.activities).toBeGreaterThanOrEqual(40);
		expect(stats.meetings).toBe(60);
		expect(stats.reports).toBe(8);
		const v1 = Y.encodeStateAsUpdate(doc).byteLength;
		const v2 = Y.encodeStateAsUpdateV2(doc).byteLength;
		expect(v1).toBeLessThan(200 * 1024);
		expect(v2).toBeLessThan(200 * 1024);
		const s = summarize(doc, '2026-09-01', doc);
		expect(s.problems).toEqual([]);
		expect(s.meetings.count).toBe(60);
		expect(s.reports.submitted + s.reports.accepted).toBe(8);
		expect(s.assessment.exitAvg).toBeGreaterThan(s.assessment.entryAvg ?? 5);
		expect(JSON.stringify(s).length).toBeLessThan(4000);
		// Deterministic: the same seed gives the same program.
		const again = generateRealisticProgram(7);
		expect(readProgram(again.doc, again.doc).activities.map((a) => a.title)).toEqual(
			readProgram(doc, doc).activities.map((a) => a.title)
		);
		expect(Y.encodeStateAsUpdate(again.doc)).toEqual(Y.encodeStateAsUpdate(doc));
	});
});
