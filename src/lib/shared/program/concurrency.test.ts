// Two people editing the same thing while offline, then syncing.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { programToJSON, readProgram } from './read';
import { expectedReports } from './rules';
import { root } from './schema';
import { summarize } from './summary';
import { curator, editor, ids, mentee, mentor, newProgram, replica, sync } from './test-utils';

const same = (a: Y.Doc, b: Y.Doc) =>
	expect(programToJSON(readProgram(a, a))).toEqual(programToJSON(readProgram(b, b)));

describe('concurrent edits', () => {
	it('two users typing in the same difficulty text keep both insertions', () => {
		const a = newProgram();
		const b = replica(a);
		editor(a, mentor).editText(
			{ kind: 'diagnosis', field: 'difficulties' },
			0,
			0,
			'Планирование. '
		);
		sync(a, b);
		editor(a, mentor).editText({ kind: 'diagnosis', field: 'difficulties' }, 14, 0, 'Контроль.');
		editor(b, mentee).editText({ kind: 'diagnosis', field: 'difficulties' }, 0, 0, 'Финансы. ');
		editor(b, mentee).editText({ kind: 'diagnosis', field: 'difficulties' }, 23, 0, ' Кадры.');
		sync(a, b);
		const t = readProgram(a, a).diagnosis.texts.difficulties.toString();
		expect(t).toBe(readProgram(b, b).diagnosis.texts.difficulties.toString());
		for (const part of ['Финансы. ', 'Планирование. ', 'Контроль.', ' Кадры.'])
			expect(t).toContain(part);
		expect(t.length).toBe('Финансы. Планирование. Контроль. Кадры.'.length);
	});

	it('one completes an activity while the other edits its deadline: both survive', () => {
		const a = newProgram();
		const b = replica(a);
		const id = ids(a).view.activities[2]!.id;
		editor(a, mentee).completeActivity(id, '2025-09-20');
		editor(b, mentor).setDeadline(id, '2025-10-15');
		sync(a, b);
		same(a, b);
		expect(readProgram(a, a).activities.find((x) => x.id === id)).toMatchObject({
			status: 'done',
			doneAt: '2025-09-20',
			doneBy: 'u-mentee',
			deadline: '2025-10-15'
		});
	});

	it('concurrent move and edit (title, notes) of the same activity both survive', () => {
		const a = newProgram();
		const b = replica(a);
		const { view, stages } = ids(a);
		const id = view.activities[0]!.id;
		editor(a, mentor).moveActivity(id, stages[2]!, 0);
		editor(b, mentee).editActivity(id, { title: 'Диагностика затруднений (уточнено)' });
		editor(b, mentee).editText({ kind: 'activity', id, field: 'notes' }, 0, 0, 'анкета готова');
		sync(a, b);
		same(a, b);
		const act = readProgram(a, a).activities.filter((x) => x.id === id);
		expect(act).toHaveLength(1);
		expect(act[0]).toMatchObject({
			stageId: stages[2],
			title: 'Диагностика затруднений (уточнено)'
		});
		expect(act[0]!.notes?.toString()).toBe('анкета готова');
	});

	it('concurrent moves of one activity never duplicate it', () => {
		const a = newProgram();
		const b = replica(a);
		const c = replica(a);
		const { view, stages } = ids(a);
		const id = view.activities[5]!.id;
		const n = root(a).activities.length;
		editor(a, mentor).moveActivity(id, stages[0]!, 0);
		editor(b, mentee).moveActivity(id, stages[3]!, 1);
		editor(c, mentor).moveActivity(id, stages[2]!);
		sync(a, b, c);
		same(a, b);
		same(b, c);
		expect(root(a).activities.length).toBe(n);
		expect(readProgram(a, a).activities.filter((x) => x.id === id)).toHaveLength(1);
	});

	it('concurrent inserts at the same position are ordered the same everywhere', () => {
		const a = newProgram();
		const b = replica(a);
		const { stages } = ids(a);
		const x = editor(a, mentor).addActivity({ stageId: stages[0]!, title: 'A', index: 1 });
		const y = editor(b, mentee).addActivity({ stageId: stages[0]!, title: 'B', index: 1 });
		sync(a, b);
		same(a, b);
		const order = readProgram(a, a)
			.activities.filter((v) => v.stageId === stages[0])
			.map((v) => v.id);
		expect(order.slice(1, 3).sort()).toEqual([x, y].sort());
	});

	it('removal concurrent with an edit: the item stays removed but the edit is kept (restore shows it)', () => {
		const a = newProgram();
		const b = replica(a);
		const id = ids(a).view.activities[1]!.id;
		editor(a, mentor).removeActivity(id);
		editor(b, mentee).setDeadline(id, '2025-11-11');
		sync(a, b);
		expect(readProgram(a, a).activities.some((x) => x.id === id)).toBe(false);
		editor(a, mentor).restoreActivity(id);
		expect(readProgram(a, a).activities.find((x) => x.id === id)?.deadline).toBe('2025-11-11');
	});

	it('mentor and mentee consent concurrently: both consents are kept', () => {
		const a = newProgram();
		const req = editor(a, curator).requestChange({
			kind: 'extension',
			months: 2,
			reason: 'Болезнь',
			date: '2026-01-10'
		});
		const b = replica(a);
		editor(a, mentor).consentChange(req, '2026-01-11');
		editor(b, mentee).consentChange(req, '2026-01-12');
		sync(a, b);
		const { mentorP, menteeP } = ids(a);
		expect(readProgram(a, a).changeRequests[0]!.consents).toEqual({
			[mentorP]: '2026-01-11',
			[menteeP]: '2026-01-12'
		});
	});

	it('two stage reports started offline for the same stage resolve to one expected report', () => {
		const a = newProgram();
		const b = replica(a);
		const s = ids(a).stages[0]!;
		const r1 = editor(a, mentor).startReport({ kind: 'stage', stageId: s });
		const r2 = editor(b, mentee).startReport({ kind: 'stage', stageId: s });
		editor(b, mentee).submitReport(r2, '2025-10-01');
		sync(a, b);
		expect(r1).not.toBe(r2);
		const e = expectedReports(readProgram(a, a)).find((x) => x.stageId === s)!;
		expect(e.report?.id).toBe(r2); // the submitted one wins over the draft
		expect(expectedReports(readProgram(b, b)).find((x) => x.stageId === s)?.report?.id).toBe(r2);
		expect(summarize(a, '2025-10-02', a).reports).toMatchObject({ draft: 0, submitted: 1, due: 0 });
		// Later calls reuse an existing report instead of creating a third one.
		expect([r1, r2]).toContain(editor(a, mentor).startReport({ kind: 'stage', stageId: s }));
	});

	it('two concurrent completions never mix their fields; the curator can reopen', () => {
		const a = newProgram();
		const b = replica(a);
		editor(a, mentee).completeProgram({
			reason: 'participant-initiative',
			date: '2026-02-01',
			note: 'переезд'
		});
		editor(b, curator).completeProgram({ reason: 'curator-initiative', date: '2026-02-03' });
		sync(a, b);
		same(a, b);
		const c = readProgram(a, a).completion!;
		const fromMentee = {
			reason: 'participant-initiative',
			date: '2026-02-01',
			note: 'переезд',
			initiatorRole: 'mentee'
		};
		const fromCurator = {
			reason: 'curator-initiative',
			date: '2026-02-03',
			note: '',
			initiatorRole: 'curator'
		};
		expect([fromMentee, fromCurator]).toContainEqual({
			reason: c.reason,
			date: c.date,
			note: c.note,
			initiatorRole: c.initiatorRole
		});
		editor(a, curator).reopenProgram();
		expect(readProgram(a, a).completion).toBeNull();
		expect(readProgram(a, a).meta.status).toBe('active');
	});

	it('each API action is exactly one update with the author as origin', () => {
		const a = newProgram();
		const { view, stages, menteeP } = ids(a);
		const origins: unknown[] = [];
		a.on('update', (_u: Uint8Array, o: unknown) => origins.push(o));
		const ed = editor(a, mentor);
		const id = view.activities[0]!.id;
		ed.moveActivity(id, stages[1]!, 2);
		ed.completeActivity(id, '2025-09-10');
		ed.logMeeting({
			date: '2025-09-03',
			format: 'in-person',
			kind: 'trial',
			topic: 'Пробная встреча',
			notes: 'n',
			agreements: 'a'
		});
		ed.setAssessment('entry', menteeP, 'Лидерство', 3);
		ed.setText({ kind: 'diagnosis', field: 'goals' }, 'Цель');
		expect(origins).toHaveLength(5);
		expect(new Set(origins).size).toBe(1);
		expect(origins[0]).toBe(ed.origin);
	});
});
