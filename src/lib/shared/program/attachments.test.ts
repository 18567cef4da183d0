// Attachments (issue 17) in the program document: the reference the editor writes, the limits it
// checks, removal by the author only, a forged author refused at the relay's check and skipped by
// readers, and two replicas attaching offline converging on the same list.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { ProgramEditor, type NewAttachment } from './api';
import { readProgram } from './read';
import { ATTACHMENT, ATTACHMENTS_ROOT, ITEM } from './schema';
import { ProgramValidationError } from './validate';
import { forgedAuthorship } from './authorship';
import { curator, ids, mentee, mentor, newProgram, replica, sync } from './test-utils';
import type { Actor } from './schema';

const at = (iso: string) => () => new Date(iso);
const ed = (doc: Y.Doc, actor: Actor, iso = '2025-09-10T10:00:00.000Z') =>
	new ProgramEditor(doc, actor, { clock: at(iso) });
const hashOf = (c: string) => c.repeat(64);
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const photo: NewAttachment = {
	hash: hashOf('a'),
	name: 'Встреча 12 сентября.jpg',
	type: 'image/jpeg',
	size: 812_345
};
const plan: NewAttachment = {
	hash: hashOf('b'),
	name: 'План урока.docx',
	type: DOCX,
	size: 45_000
};
const names = (doc: Y.Doc) => readProgram(doc, doc).attachments.map((a) => a.name);

function rejects(fn: () => unknown, code: string): ProgramValidationError {
	try {
		fn();
	} catch (e) {
		expect(e).toBeInstanceOf(ProgramValidationError);
		expect((e as ProgramValidationError).code).toBe(code);
		return e as ProgramValidationError;
	}
	throw new Error('expected a ProgramValidationError');
}

function meetingOf(doc: Y.Doc): string {
	return ed(doc, mentor).logMeeting({
		date: '2025-09-12',
		format: 'in-person',
		kind: 'organizational',
		topic: 'Знакомство'
	});
}

describe('attachments', () => {
	it('are references attributed to the acting person, on an activity, a meeting and a report', () => {
		const doc = newProgram();
		const { view, stages } = ids(doc);
		const activity = view.activities[0]!.id;
		const meeting = meetingOf(doc);
		const report = ed(doc, mentor).startReport({ kind: 'stage', stageId: stages[0]! });
		ed(doc, mentor, '2025-09-12T10:00:00.000Z').attach({ kind: 'meeting', id: meeting }, photo);
		ed(doc, mentee, '2025-09-12T10:00:30.000Z').attach({ kind: 'activity', id: activity }, plan);
		ed(doc, mentee, '2025-09-12T10:01:00.000Z').attach(
			{ kind: 'report', id: report },
			{ ...plan, name: '  Отчет.pdf ', type: 'application/pdf' }
		);
		const r = readProgram(doc, doc);
		expect(r.problems).toEqual([]);
		expect(r.attachments).toMatchObject([
			{
				targetKind: 'meeting',
				targetId: meeting,
				hash: photo.hash,
				name: photo.name,
				type: 'image/jpeg',
				kind: 'image',
				size: 812_345,
				authorId: 'u-mentor',
				authorRole: 'mentor',
				authorName: 'Иванова М. П.',
				createdAt: '2025-09-12T10:00:00.000Z'
			},
			{ targetKind: 'activity', targetId: activity, kind: 'document', authorRole: 'mentee' },
			{ targetKind: 'report', targetId: report, name: 'Отчет.pdf', kind: 'document' }
		]);
	});

	it('refuses bad files, unknown targets and people other than the mentor or mentee, writing nothing', () => {
		const doc = newProgram();
		const activity = ids(doc).view.activities[0]!.id;
		const target = { kind: 'activity' as const, id: activity };
		const before = Y.encodeStateAsUpdate(doc);
		expect(
			rejects(
				() => ed(doc, mentor).attach(target, { ...photo, type: 'text/html', name: 'x.html' }),
				'invalid-enum'
			).messageRu
		).toContain('Такой тип файла не принимается');
		expect(
			rejects(
				() => ed(doc, mentor).attach(target, { ...photo, size: 11 * 1024 * 1024 }),
				'too-long'
			).messageRu
		).toBe('Файл слишком большой: не более 10 МБ.');
		expect(
			rejects(() => ed(doc, mentor).attach(target, { ...plan, size: 26 * 1024 * 1024 }), 'too-long')
				.messageRu
		).toBe('Файл слишком большой: не более 25 МБ.');
		rejects(() => ed(doc, mentor).attach(target, { ...photo, size: 0 }), 'invalid-number');
		rejects(() => ed(doc, mentor).attach(target, { ...photo, hash: 'ABC' }), 'invalid-state');
		rejects(() => ed(doc, mentor).attach(target, { ...photo, name: '   ' }), 'empty');
		rejects(() => ed(doc, mentor).attach({ kind: 'meeting', id: activity }, photo), 'not-found');
		rejects(
			() => ed(doc, mentor).attach({ kind: 'stage' as 'meeting', id: activity }, photo),
			'invalid-enum'
		);
		rejects(() => ed(doc, curator).attach(target, photo), 'forbidden');
		// A mentor who is not listed in this program.
		rejects(
			() => ed(doc, { userId: 'u-stranger', role: 'mentor' }).attach(target, photo),
			'forbidden'
		);
		expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
	});

	it('are removed by their author only; a removal by the partner is ignored by readers', () => {
		const doc = newProgram();
		const activity = ids(doc).view.activities[0]!.id;
		const id = ed(doc, mentor).attach({ kind: 'activity', id: activity }, photo);
		expect(rejects(() => ed(doc, mentee).removeAttachment(id), 'forbidden').messageRu).toBe(
			'Удалить можно только свой файл.'
		);
		// A stock client marks it removed anyway: readers keep it.
		const m = doc.getArray<Y.Map<unknown>>(ATTACHMENTS_ROOT).get(0);
		doc.transact(() => {
			m.set(ITEM.removed, true);
			m.set(ITEM.removedBy, mentee.userId);
		});
		expect(names(doc)).toEqual([photo.name]);
		ed(doc, mentor).removeAttachment(id);
		expect(names(doc)).toEqual([]);
	});

	it('a reference under someone else’s name: refused at the relay’s check and skipped by readers', () => {
		const doc = newProgram();
		const activity = ids(doc).view.activities[0]!.id;
		const mine = replica(doc);
		const seen: Uint8Array[] = [];
		mine.on('update', (u: Uint8Array) => seen.push(u));
		ed(mine, mentee).attach({ kind: 'activity', id: activity }, plan);
		expect(forgedAuthorship(Y.mergeUpdates(seen), mentee.userId)).toBeNull();
		seen.length = 0;
		mine.getArray(ATTACHMENTS_ROOT).push([
			new Y.Map<unknown>(
				Object.entries({
					[ITEM.id]: 'forged',
					[ITEM.createdBy]: mentor.userId,
					[ITEM.createdAt]: '2025-09-12T10:00:00.000Z',
					[ATTACHMENT.targetKind]: 'activity',
					[ATTACHMENT.targetId]: activity,
					[ATTACHMENT.hash]: hashOf('c'),
					[ATTACHMENT.name]: 'Подложный.pdf',
					[ATTACHMENT.type]: 'application/pdf',
					[ATTACHMENT.size]: 10
				})
			)
		]);
		expect(forgedAuthorship(Y.mergeUpdates(seen), mentee.userId)).toBe(
			'attachment attributed to another person'
		);
		// Rewriting the author of one's own attachment later (the relay cannot see it): readers skip it.
		const own = mine.getArray<Y.Map<unknown>>(ATTACHMENTS_ROOT).get(0);
		own.set(ITEM.createdBy, mentor.userId);
		const r = readProgram(mine, mine);
		expect(r.attachments.map((a) => [a.name, a.authorId])).toEqual([
			['Подложный.pdf', mentor.userId]
		]);
		expect(r.problems).toContain(`attachment ${own.get(ITEM.id)}: author rewritten`);
	});

	it('a reference whose time is not a time is skipped (screens format it in the program’s zone)', () => {
		const doc = newProgram();
		const activity = ids(doc).view.activities[0]!.id;
		ed(doc, mentee).attach({ kind: 'activity', id: activity }, plan);
		doc.getArray<Y.Map<unknown>>(ATTACHMENTS_ROOT).get(0).set(ITEM.createdAt, 'вчера');
		const r = readProgram(doc, doc);
		expect(r.attachments).toEqual([]);
		expect(r.problems.some((x) => x.endsWith(': malformed'))).toBe(true);
	});

	it('attached offline on two phones converge to the same list, in the same order', () => {
		const base = newProgram();
		const activity = ids(base).view.activities[0]!.id;
		const meeting = meetingOf(base);
		const a = replica(base);
		const b = replica(base);
		ed(a, mentor, '2025-09-12T10:00:00.000Z').attach({ kind: 'meeting', id: meeting }, photo);
		ed(b, mentee, '2025-09-12T09:59:00.000Z').attach({ kind: 'activity', id: activity }, plan);
		const removedLater = ed(a, mentor, '2025-09-12T10:05:00.000Z').attach(
			{ kind: 'activity', id: activity },
			{ ...plan, hash: hashOf('d'), name: 'Черновик.docx' }
		);
		ed(a, mentor).removeAttachment(removedLater);
		sync(a, b);
		expect(names(a)).toEqual([plan.name, photo.name]);
		expect(readProgram(a, a).attachments).toEqual(readProgram(b, b).attachments);
		expect(Y.encodeStateVector(a)).toEqual(Y.encodeStateVector(b));
	});
});
