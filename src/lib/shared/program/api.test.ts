import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { ProgramEditor } from './api';
import { createProgram } from './create';
import { readProgram, programToJSON } from './read';
import { SCHEMA_VERSION, root } from './schema';
import { createUndoManager } from './undo';
import { ProgramValidationError } from './validate';
import beginner from './templates/tomsk-heads-beginner';
import {
	curator,
	editor,
	head,
	ids,
	mentee,
	mentor,
	newProgram,
	replica,
	sync
} from './test-utils';

const expectError = (fn: () => unknown, code: string) => {
	try {
		fn();
	} catch (e) {
		expect(e).toBeInstanceOf(ProgramValidationError);
		expect((e as ProgramValidationError).code).toBe(code);
		expect((e as ProgramValidationError).messageRu).toMatch(/[а-яА-Я]/);
		return;
	}
	expect.unreachable(`expected ${code}`);
};

describe('create', () => {
	it('writes the skeleton in one transaction, once', () => {
		const doc = new Y.Doc();
		let tx = 0;
		const origins: unknown[] = [];
		doc.on('update', (_u: Uint8Array, origin: unknown) => {
			tx++;
			origins.push(origin);
		});
		const { programId } = createProgram(doc, curator, beginner, {
			startDate: '2025-09-01',
			programId: 'prog-1'
		});
		expect(tx).toBe(1);
		expect(origins).toEqual([{ kind: 'program-user', userId: curator.userId }]);
		expect(programId).toBe('prog-1');
		const v = readProgram(doc, doc);
		expect(v.meta).toMatchObject({
			schemaVersion: SCHEMA_VERSION,
			title: beginner.titleRu,
			form: 'head-head',
			menteeCategory: 'head-beginner',
			status: 'draft',
			durationMonths: 24
		});
		expectError(
			() => createProgram(doc, curator, beginner, { startDate: '2025-09-01' }),
			'invalid-state'
		);
		expectError(
			() => createProgram(new Y.Doc(), curator, beginner, { startDate: '2025-02-30' }),
			'invalid-date'
		);
		expectError(
			() => createProgram(new Y.Doc(), head, beginner, { startDate: '2025-09-01' }),
			'forbidden'
		);
	});
});

describe('validation: nothing is written when a value is rejected', () => {
	it('rejects bad dates, enums, lengths, ids and roles', () => {
		const doc = newProgram();
		const ed = editor(doc, mentor);
		const { view, stages } = ids(doc);
		const a = view.activities[0]!.id;
		const before = Y.encodeStateVector(doc);
		expectError(() => ed.setDeadline(a, '2025-9-1'), 'invalid-date');
		expectError(() => ed.setDeadline(a, '2025-02-29'), 'invalid-date');
		expectError(() => ed.completeActivity(a, ''), 'invalid-date');
		expectError(() => ed.editActivity(a, { status: 'finished' as never }), 'invalid-enum');
		expectError(() => ed.editActivity(a, { status: 'done' }), 'invalid-state');
		expectError(() => ed.editActivity(a, { title: 'x'.repeat(301) }), 'too-long');
		expectError(() => ed.editActivity(a, { title: '  ' }), 'empty');
		expectError(() => ed.addActivity({ stageId: 'nope', title: 'Новое' }), 'not-found');
		expectError(
			() => ed.addActivity({ stageId: stages[0]!, title: 'Новое', resultForm: 'essay' as never }),
			'invalid-enum'
		);
		expectError(() => ed.moveActivity(a, stages[1]!, -1), 'invalid-number');
		expectError(
			() =>
				ed.logMeeting({ date: '2025-09-05', format: 'zoom' as never, kind: 'regular', topic: '' }),
			'invalid-enum'
		);
		expectError(
			() =>
				ed.logMeeting({ date: '2025-09-05', format: 'remote', kind: 'party' as never, topic: '' }),
			'invalid-enum'
		);
		expectError(() => ed.setMeta({ form: 'boss – slave' as never }), 'invalid-enum');
		expectError(() => ed.setMeta({ types: ['traditional', 'weird' as never] }), 'invalid-enum');
		expectError(() => ed.setMeta({ durationMonths: 0 }), 'invalid-number');
		expectError(() => ed.setMeta({ status: 'completed' }), 'invalid-state');
		expectError(
			() => ed.editText({ kind: 'diagnosis', field: 'difficulties' }, 5, 0, 'x'),
			'invalid-number'
		);
		expectError(
			() => ed.editText({ kind: 'diagnosis', field: 'difficulties' }, 0, 0, 'x'.repeat(20_001)),
			'too-long'
		);
		expectError(
			() => ed.setAssessment('entry', ids(doc).menteeP, 'Лидерство', 6),
			'invalid-number'
		);
		expectError(
			() => ed.setAssessment('midterm' as never, ids(doc).menteeP, 'Лидерство', 3),
			'invalid-enum'
		);
		expectError(() => ed.acceptReport('x'), 'forbidden');
		expectError(
			() =>
				editor(doc, curator).addActivity({ stageId: stages[0]!, title: 'Куратор не правит план' }),
			'forbidden'
		);
		expectError(
			() => editor(doc, curator).editText({ kind: 'diagnosis', field: 'goals' }, 0, 0, 'x'),
			'forbidden'
		);
		expectError(() => editor(doc, head).setMeta({ title: 'Новое' }), 'forbidden');
		expectError(() => new ProgramEditor(doc, { userId: 'bad id!', role: 'mentor' }), 'invalid-id');
		expect(Y.encodeStateVector(doc)).toEqual(before);
	});
});

describe('editing', () => {
	it('records who changed each item last and when', () => {
		const doc = newProgram();
		const ed = new ProgramEditor(doc, mentee, { clock: () => new Date('2025-10-02T09:15:42Z') });
		const a = ids(doc).view.activities[0]!.id;
		ed.setDeadline(a, '2025-10-10');
		const v = readProgram(doc, doc).activities.find((x) => x.id === a)!;
		expect(v).toMatchObject({
			deadline: '2025-10-10',
			deadlineEdited: true,
			updatedBy: 'u-mentee',
			updatedAt: '2025-10-02T09:15Z',
			createdBy: 'u-curator'
		});
		ed.editText({ kind: 'diagnosis', field: 'strengths' }, 0, 0, 'Умеет слушать');
		expect(readProgram(doc, doc).diagnosis.info.strengths).toEqual({
			updatedBy: 'u-mentee',
			updatedAt: '2025-10-02T09:15Z'
		});
	});

	it('move sets two keys and keeps the same Y.Map in place', () => {
		const doc = newProgram();
		const ed = editor(doc, mentor);
		const { view, stages } = ids(doc);
		const a = view.activities[0]!;
		const arr = root(doc).activities;
		const mapBefore = arr.get(0);
		const len = arr.length;
		ed.moveActivity(a.id, stages[2]!, 1);
		expect(arr.length).toBe(len);
		expect(arr.get(0)).toBe(mapBefore);
		const v = readProgram(doc, doc);
		const inStage = v.activities.filter((x) => x.stageId === stages[2]);
		expect(inStage.map((x) => x.id).indexOf(a.id)).toBe(1);
		ed.moveActivity(a.id, stages[2]!, 0);
		expect(readProgram(doc, doc).activities.filter((x) => x.stageId === stages[2])[0]!.id).toBe(
			a.id
		);
		ed.moveActivity(a.id, stages[2]!);
		expect(
			readProgram(doc, doc)
				.activities.filter((x) => x.stageId === stages[2])
				.at(-1)!.id
		).toBe(a.id);
	});

	it('soft removal hides an item and restore brings it back with its notes', () => {
		const doc = newProgram();
		const ed = editor(doc, mentor);
		const a = ids(doc).view.activities[3]!.id;
		ed.editText({ kind: 'activity', id: a, field: 'notes' }, 0, 0, 'важные заметки');
		ed.removeActivity(a);
		expect(readProgram(doc, doc).activities.some((x) => x.id === a)).toBe(false);
		expectError(() => ed.setDeadline(a, '2025-10-01'), 'not-found');
		ed.restoreActivity(a);
		expect(
			readProgram(doc, doc)
				.activities.find((x) => x.id === a)
				?.notes?.toString()
		).toBe('важные заметки');
		const m = ed.logMeeting({
			date: '2025-09-03',
			format: 'in-person',
			kind: 'organizational',
			topic: 'Знакомство'
		});
		ed.removeMeeting(m);
		expect(readProgram(doc, doc).meetings).toHaveLength(0);
		ed.restoreMeeting(m);
		expect(readProgram(doc, doc).meetings).toHaveLength(1);
	});

	it('meetings, texts, reports, comments, assessments, feedback read back as typed objects', () => {
		const doc = newProgram();
		const ed = editor(doc, mentor);
		const cur = editor(doc, curator);
		const { view, menteeP, mentorP, stages } = ids(doc);
		const m = ed.logMeeting({
			date: '2025-09-03',
			format: 'remote',
			kind: 'organizational',
			topic: 'Знакомство',
			notes: 'обсудили',
			agreements: 'встречаться по средам'
		});
		ed.setText({ kind: 'meeting', id: m, field: 'notes' }, 'обсудили план');
		const r = ed.startReport({ kind: 'mentor-semiannual', period: '2025-12' });
		expectError(
			() => ed.startReport({ kind: 'mentor-semiannual', period: '2025-11' }),
			'invalid-date'
		);
		ed.setText({ kind: 'report', id: r, field: 'text' }, 'Отчет');
		expectError(() => cur.acceptReport(r), 'invalid-state');
		ed.submitReport(r, '2025-12-05');
		cur.returnReport(r, 'Уточните результаты', '2025-12-06');
		expectError(() => cur.returnReport(r, ''), 'empty');
		const c = cur.commentActivity(view.activities[0]!.id, 'Приложите справку');
		ed.setAssessment('entry', menteeP, 'Лидерство', 2);
		ed.setAssessment('entry', menteeP, 'Лидерство', 3);
		ed.setAssessment('exit', menteeP, 'Лидерство', 5);
		ed.setFeedback({ participantId: mentorP, satisfaction: 9, date: '2027-08-01' });
		expectError(
			() => ed.setFeedback({ participantId: ids(doc).curatorP, satisfaction: 9 }),
			'invalid-state'
		);
		expectError(
			() => ed.setFeedback({ participantId: mentorP, satisfaction: 11 }),
			'invalid-number'
		);
		const v = readProgram(doc, doc);
		expect(v.problems).toEqual([]);
		expect(programToJSON(v)).toMatchObject({
			meetings: [
				{
					id: m,
					date: '2025-09-03',
					format: 'remote',
					kind: 'organizational',
					topic: 'Знакомство',
					notes: 'обсудили план',
					agreements: 'встречаться по средам'
				}
			],
			reports: [
				{
					id: r,
					kind: 'mentor-semiannual',
					period: '2025-12',
					status: 'returned',
					text: 'Отчет',
					curatorComment: 'Уточните результаты',
					submittedAt: '2025-12-05',
					reviewedAt: '2025-12-06',
					reviewedBy: 'u-curator'
				}
			],
			comments: [
				{
					id: c,
					targetId: view.activities[0]!.id,
					text: 'Приложите справку',
					createdBy: 'u-curator'
				}
			],
			assessments: [
				{ phase: 'entry', participantId: menteeP, competency: 'Лидерство', score: 3 },
				{ phase: 'exit', participantId: menteeP, competency: 'Лидерство', score: 5 }
			],
			feedback: [{ participantId: mentorP, role: 'mentor', satisfaction: 9 }]
		});
		expect(v.stages.map((s) => s.id)).toEqual(stages);
	});

	it('reschedules default deadlines after the start date changes, keeping manual ones', () => {
		const doc = newProgram();
		const ed = editor(doc, mentor);
		const { view } = ids(doc);
		ed.setDeadline(view.activities[0]!.id, '2025-09-15');
		ed.setMeta({ startDate: '2025-10-01' });
		expect(ed.rescheduleDeadlines()).toBe(21);
		const v = readProgram(doc, doc);
		expect(v.activities[0]!.deadline).toBe('2025-09-15');
		expect(v.activities[1]!.deadline).toBe('2025-10-31');
	});

	it('group programs: several mentees', () => {
		const doc = newProgram();
		const ed = editor(doc, curator);
		ed.addParticipant({ role: 'mentee', name: 'Смирнова О. Н.', userId: 'u-mentee2' });
		expectError(() => ed.addParticipant({ role: 'head' as never, name: 'X' }), 'invalid-enum');
		const v = readProgram(doc, doc);
		expect(v.participants.filter((p) => p.role === 'mentee')).toHaveLength(2);
	});
});

describe('per-user undo', () => {
	it('undoes one whole action of this user only', () => {
		const doc = newProgram();
		const docB = replica(doc);
		const um = createUndoManager(doc, mentor.userId);
		const ed = editor(doc, mentor);
		const edB = editor(docB, mentee);
		const { view, stages } = ids(doc);
		const a = view.activities[0]!.id;
		ed.moveActivity(a, stages[2]!, 0);
		edB.editText({ kind: 'diagnosis', field: 'request' }, 0, 0, 'Запрос наставляемого');
		sync(doc, docB);
		// The move set stageId, order, updatedAt: one undo step reverts all of it.
		um.undo();
		const v = readProgram(doc, doc);
		expect(v.activities.find((x) => x.id === a)?.stageId).toBe(stages[0]);
		expect(v.activities[0]!.id).toBe(a);
		expect(v.diagnosis.texts.request.toString()).toBe('Запрос наставляемого');
		um.redo();
		expect(readProgram(doc, doc).activities.find((x) => x.id === a)?.stageId).toBe(stages[2]);
	});
	it("undo of my deadline edit keeps the partner's concurrent completion of the same activity", () => {
		const doc = newProgram();
		const docB = replica(doc);
		const um = createUndoManager(doc, mentor.userId);
		const a = ids(doc).view.activities[0]!.id;
		editor(doc, mentor).setDeadline(a, '2025-10-20');
		editor(docB, mentee).completeActivity(a, '2025-09-15');
		sync(doc, docB);
		um.undo();
		sync(doc, docB);
		for (const d of [doc, docB])
			expect(readProgram(d, d).activities.find((x) => x.id === a)).toMatchObject({
				deadline: '2025-09-30',
				status: 'done',
				doneBy: 'u-mentee'
			});
	});
	it('a semi-annual report is started by the mentor', () => {
		const doc = newProgram();
		expectError(
			() => editor(doc, mentee).startReport({ kind: 'mentor-semiannual', period: '2025-12' }),
			'forbidden'
		);
		const r = editor(doc, mentor).startReport({ kind: 'mentor-semiannual', period: '2025-12' });
		editor(doc, mentee).editText(
			{ kind: 'report', id: r, field: 'text' },
			0,
			0,
			'Раздел наставляемого'
		);
		expect(readProgram(doc, doc).reports[0]?.text?.toString()).toBe('Раздел наставляемого');
	});
	it('undoes a removal and a completion step by step', () => {
		const doc = newProgram();
		const um = createUndoManager(doc, mentee.userId);
		const ed = editor(doc, mentee);
		const a = ids(doc).view.activities[1]!.id;
		ed.completeActivity(a, '2025-09-10');
		ed.removeActivity(a);
		um.undo();
		expect(readProgram(doc, doc).activities.find((x) => x.id === a)?.status).toBe('done');
		um.undo();
		const back = readProgram(doc, doc).activities.find((x) => x.id === a)!;
		expect(back.status).toBe('planned');
		expect(back.doneAt).toBeNull();
		const m = ed.logMeeting({
			date: '2025-09-03',
			format: 'in-person',
			kind: 'organizational',
			topic: 'Первая встреча'
		});
		um.undo();
		expect(readProgram(doc, doc).meetings.find((x) => x.id === m)).toBeUndefined();
	});
});

describe('schema evolution', () => {
	it('an older app keeps keys and types it does not know', () => {
		const doc = newProgram();
		const newer = replica(doc);
		// A newer app added a key to activities, a meta key and a whole new top-level list.
		const r = root(newer);
		const act = r.activities.get(0) as Y.Map<unknown>;
		newer.transact(() => {
			act.set('evidenceUrl', 'https://example.org/doc');
			r.meta.set('region', 'Томская область');
			r.meta.set('schemaVersion', SCHEMA_VERSION + 1);
			newer.getArray('mentorTrainings').push(['курсы 2025']);
			act.set('status', 'waiting-approval'); // a status value this app does not know
		});
		sync(doc, newer);
		const ed = editor(doc, mentor);
		const id = act.get('id') as string;
		ed.setDeadline(id, '2025-09-20');
		ed.editActivity(id, { title: 'Переименовано' });
		ed.setMeta({ title: 'Новое название' });
		sync(doc, newer);
		expect(act.get('evidenceUrl')).toBe('https://example.org/doc');
		expect(act.get('status')).toBe('waiting-approval');
		expect(r.meta.get('region')).toBe('Томская область');
		expect(r.meta.get('schemaVersion')).toBe(SCHEMA_VERSION + 1); // never lowered
		expect(newer.getArray('mentorTrainings').toArray()).toEqual(['курсы 2025']);
		const v = readProgram(doc, doc);
		expect(v.activities.find((x) => x.id === id)?.status).toBe('planned'); // shown with a default…
		expect(v.problems.some((p) => p.includes('status'))).toBe(true); // …and reported
	});
	it('a newer app can make older ones read-only', () => {
		const doc = newProgram();
		root(doc).meta.set('minWriterVersion', SCHEMA_VERSION + 1);
		expectError(() => editor(doc, mentor).setMeta({ title: 'X' }), 'schema-too-new');
		expect(readProgram(doc, doc).meta.title).toBe(beginner.titleRu);
	});
	it('opens a document written before any key existed (empty doc)', () => {
		const v = readProgram(new Y.Doc());
		expect(v.meta.schemaVersion).toBe(0);
		expect(v.activities).toEqual([]);
	});
});
