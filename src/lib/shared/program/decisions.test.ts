// The decisions document in the kernel: readers take decisions from it alone; a verdict answers
// one submission; an approved extension moves the end and the last stage's deadlines; legacy
// documents are imported once.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ProgramEditor } from './api';
import { decisionsEmpty } from './decisions';
import { importLegacyDecisions } from './legacy-decisions';
import { readProgram } from './read';
import { programEndDate } from './rules';
import { summarize } from './summary';
import { curator, fixedClock, mentee, mentor, newProgram } from './test-utils';

function setup() {
	const doc = newProgram();
	const decisions = new Y.Doc();
	const o = { clock: fixedClock, decisions };
	const ed = (a: typeof mentor) => new ProgramEditor(doc, a, o);
	const stageId = readProgram(doc, decisions).stages[0]!.id;
	const reportId = ed(mentee).startReport({ kind: 'stage', stageId });
	ed(mentee).submitReport(reportId, '2025-10-01');
	return { doc, decisions, ed, reportId };
}

describe('decisions document', () => {
	it('a decision forged into the co-written document is ignored by readProgram and summarize', () => {
		const { doc, decisions, reportId } = setup();
		doc.transact(() => {
			for (const m of doc.getArray<Y.Map<unknown>>('reports')) {
				m.set('status', 'accepted');
				m.set('reviewedBy', curator.userId);
			}
			doc.getMap('meta').set('status', 'active');
			doc.getMap('completion').set('record', {
				reason: 'curator-initiative',
				date: '2025-10-02',
				initiatedBy: curator.userId,
				initiatorRole: 'curator'
			});
			const c = new Y.Map<unknown>();
			c.set('id', 'forged000001');
			c.set('targetId', 'x');
			c.set('text', new Y.Text('x'));
			doc.getArray('comments').push([c]);
		});
		const v = readProgram(doc, decisions);
		expect(v.reports.find((r) => r.id === reportId)?.status).toBe('submitted');
		expect(v.reports[0]?.reviewedBy).toBeNull();
		expect(v.meta.status).toBe('draft');
		expect(v.completion).toBeNull();
		expect(v.comments).toEqual([]);
		const s = summarize(doc, '2025-10-05', decisions);
		expect(s.status).toBe('draft');
		expect(s.reports.accepted).toBe(0);
		// A participant's own completion names a mentor or mentee; one naming the curator does not count.
		expect(readProgram(doc, null).completion).toBeNull();
	});

	it('a return answers one submission; acceptance is final; the phone cannot decide', () => {
		const { doc, decisions, ed, reportId } = setup();
		ed(curator).returnReport(reportId, 'Дополните', '2025-10-02');
		expect(readProgram(doc, decisions).reports[0]?.status).toBe('returned');
		expect(decisionsEmpty(decisions)).toBe(false);
		ed(mentee).submitReport(reportId, '2025-10-03');
		expect(readProgram(doc, decisions).reports[0]?.status).toBe('submitted');
		ed(curator).acceptReport(reportId, '2025-10-04', 'Хорошо');
		const r = readProgram(doc, decisions).reports[0]!;
		expect(r.status).toBe('accepted');
		expect(r.curatorComment?.toString()).toBe('Хорошо');
		expect(() => ed(mentee).submitReport(reportId, '2025-10-05')).toThrow();
		const phone = new ProgramEditor(doc, curator, { decisions, decisionsReadOnly: true });
		expect(() => phone.approveProgram()).toThrow(/written by the server/);
		try {
			phone.approveProgram();
		} catch (e) {
			expect((e as { messageRu: string }).messageRu).toMatch(/при подключении к сети/);
		}
	});

	it('an approved extension moves the end and the default deadlines of the last stage', () => {
		const { doc, decisions, ed } = setup();
		const before = readProgram(doc, decisions);
		const id = ed(mentee).requestChange({ kind: 'extension', months: 3, reason: 'Болезнь' });
		ed(mentor).consentChange(id);
		ed(curator).petitionChange(id);
		ed(curator).decideChange(id, 'approved', '2025-10-10');
		const after = readProgram(doc, decisions);
		expect(programEndDate(after)! > programEndDate(before)!).toBe(true);
		const last = after.stages[after.stages.length - 1]!.id;
		const moved = after.activities.filter((a) => a.stageId === last);
		expect(moved.length).toBeGreaterThan(0);
		for (const a of moved)
			expect(a.deadline! > before.activities.find((b) => b.id === a.id)!.deadline!).toBe(true);
		// Changing the request's months afterwards (co-written) changes nothing.
		doc.getArray<Y.Map<unknown>>('changeRequests').get(0).set('months', 24);
		expect(programEndDate(readProgram(doc, decisions))).toBe(programEndDate(after));
	});

	it('legacy decisions are imported once into an empty decisions document', () => {
		const { doc, reportId } = setup();
		doc.transact(() => {
			for (const m of doc.getArray<Y.Map<unknown>>('reports')) {
				m.set('status', 'returned');
				m.set('reviewedAt', '2025-10-02');
				m.set('reviewedBy', curator.userId);
				m.delete('submission');
				(m.get('curatorComment') as Y.Text).insert(0, 'Дополните');
			}
			doc.getMap('meta').set('status', 'active');
		});
		const decisions = new Y.Doc();
		expect(importLegacyDecisions(doc, decisions, '2026-01-01T00:00:00Z')).toBe(true);
		const v = readProgram(doc, decisions);
		expect(v.meta.status).toBe('active');
		const r = v.reports.find((x) => x.id === reportId)!;
		expect(r.status).toBe('returned');
		expect(r.curatorComment?.toString()).toBe('Дополните');
		expect(importLegacyDecisions(doc, decisions, '2026-01-02T00:00:00Z')).toBe(false);
	});
});
