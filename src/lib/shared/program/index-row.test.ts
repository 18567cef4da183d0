import { describe, expect, it } from 'vitest';
import { generateRealisticProgram } from './fixtures';
import { curatorIndexEntry, curatorIndexRow, foldSearchText } from './index-row';
import { summarize } from './summary';

describe('curatorIndexRow', () => {
	const { doc } = generateRealisticProgram(3, { edits: 400 });
	const summary = summarize(doc, '2025-03-15', doc);

	it('copies the summary fields the dashboard filters and sorts by', () => {
		const row = curatorIndexRow(summary);
		expect(row).toMatchObject({
			as_of: '2025-03-15',
			title: summary.title,
			template_id: summary.templateId,
			form: summary.form,
			types: `,${summary.types.join(',')},`,
			category: summary.menteeCategory,
			status: summary.status,
			stage_phase: summary.stage.phase,
			stage_index: summary.stage.index,
			stage_count: summary.stage.count,
			stage_title: summary.stage.title,
			stage_kind: summary.stage.kind,
			stage_end: summary.stage.end,
			start_date: summary.startDate,
			end_date: summary.endDate,
			progress_done: summary.progress.done,
			progress_total: summary.progress.total,
			progress_percent: summary.progress.percent,
			overdue_count: summary.overdue.count,
			next_deadline: summary.nextDeadline?.date ?? null,
			reports_expected: summary.reports.expected,
			reports_due: summary.reports.due,
			reports_accepted: summary.reports.accepted,
			next_report_due: summary.reports.nextDueDate,
			meetings_count: summary.meetings.count,
			last_meeting: summary.meetings.lastDate,
			mentors: 1,
			mentees: 1,
			feedback_count: summary.feedback.count,
			mentor_avg: summary.feedback.mentorAvg,
			entry_count: summary.assessment.entryCount,
			changes_pending: summary.changeRequests.pending,
			curator_comments: summary.curatorComments,
			problems: 0
		});
		expect(row.meetings_count).toBeGreaterThan(0);
		expect(row.last_edit_at).toBe(Object.values(summary.lastEdits).sort().at(-1));
	});

	it('search text holds the title and the names, folded; users are the mentor and mentee', () => {
		const entry = curatorIndexEntry(summary);
		expect(entry.search).toBe(
			foldSearchText(`${summary.title} ${summary.participants.map((p) => p.name).join(' ')}`)
		);
		expect(entry.search).not.toMatch(/[A-ZА-ЯЁё]/);
		expect(entry.users.sort()).toEqual(['mentee3', 'mentor3']);
	});

	it('gives the defaults for a damaged or empty summary', () => {
		expect(curatorIndexRow(null)).toMatchObject({
			as_of: '',
			title: '',
			types: ',,',
			status: 'draft',
			stage_phase: 'unscheduled',
			stage_index: -1,
			progress_percent: 0,
			mentor_avg: null,
			last_edit_at: null,
			problems: 0
		});
		expect(curatorIndexRow({ progress: { percent: 33.4 }, problems: ['x', 'y'] })).toMatchObject({
			progress_percent: 33,
			problems: 2
		});
	});

	it('folds ASCII and Cyrillic, ё to е', () => {
		expect(foldSearchText('Ёлкина Анна SMITH')).toBe('елкина анна smith');
	});
});
