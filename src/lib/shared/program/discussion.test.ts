// Mentor ↔ mentee comments on an activity or a report: authorship, validation, removal by the
// author only, and convergence of comments posted concurrently (offline) on several replicas.
import * as Y from 'yjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProgramEditor } from './api';
import { programToJSON, readProgram } from './read';
import { DISCUSSION, DISCUSSION_ROOT, ITEM } from './schema';
import { ProgramValidationError } from './validate';
import { forgedAuthorship } from './authorship';
import { curator, head, ids, mentee, mentor, newProgram, replica, sync } from './test-utils';
import type { Actor } from './schema';

const at = (iso: string) => () => new Date(iso);
const ed = (doc: Y.Doc, actor: Actor, iso = '2025-09-10T10:00:00.000Z') =>
	new ProgramEditor(doc, actor, { clock: at(iso) });
const thread = (doc: Y.Doc) =>
	readProgram(doc, doc).discussion.map((c) => `${c.authorRole}: ${c.text}`);

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

describe('mentor ↔ mentee comments', () => {
	it('are attributed to the acting person, with their name and role, on an activity and a report', () => {
		const doc = newProgram();
		const { view, stages } = ids(doc);
		const activity = view.activities[0]!.id;
		const report = ed(doc, mentor).startReport({ kind: 'stage', stageId: stages[0]! });
		ed(doc, mentor, '2025-09-10T10:00:00.000Z').postComment(
			{ kind: 'activity', id: activity },
			'  Анкету заполните до пятницы.  '
		);
		ed(doc, mentee, '2025-09-10T11:30:00.000Z').postComment(
			{ kind: 'report', id: report },
			'Добавила выводы по анкете.'
		);
		const d = readProgram(doc, doc).discussion;
		expect(d).toMatchObject([
			{
				targetKind: 'activity',
				targetId: activity,
				text: 'Анкету заполните до пятницы.',
				authorId: 'u-mentor',
				authorRole: 'mentor',
				authorName: 'Иванова М. П.',
				postedAt: '2025-09-10T10:00:00.000Z'
			},
			{
				targetKind: 'report',
				targetId: report,
				text: 'Добавила выводы по анкете.',
				authorId: 'u-mentee',
				authorRole: 'mentee',
				authorName: 'Петров С. И.'
			}
		]);
		expect(readProgram(doc, doc).problems).toEqual([]);
	});

	it('refuses bad input and people who are not the mentor or mentee, writing nothing', () => {
		const doc = newProgram();
		const activity = ids(doc).view.activities[0]!.id;
		const before = Y.encodeStateAsUpdate(doc);
		const target = { kind: 'activity' as const, id: activity };
		expect(rejects(() => ed(doc, mentor).postComment(target, '   '), 'empty').messageRu).toBe(
			'Заполните поле.'
		);
		expect(
			rejects(() => ed(doc, mentor).postComment(target, 'я'.repeat(2001)), 'too-long').messageRu
		).toContain('2000');
		rejects(() => ed(doc, mentor).postComment({ kind: 'activity', id: 'nope' }, 'x'), 'not-found');
		rejects(
			() => ed(doc, mentor).postComment({ kind: 'meeting' as 'activity', id: activity }, 'x'),
			'invalid-enum'
		);
		rejects(() => ed(doc, curator).postComment(target, 'Куратор пишет'), 'forbidden');
		rejects(() => ed(doc, head).postComment(target, 'Руководитель пишет'), 'forbidden');
		// A mentor of another program (a valid role, but not listed here).
		const stranger = ed(doc, { userId: 'u-other-mentor', role: 'mentor' });
		expect(rejects(() => stranger.postComment(target, 'Чужой'), 'forbidden').messageRu).toBe(
			'Комментировать могут только наставник и наставляемый этой программы.'
		);
		expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
		// A removed activity takes no new comments.
		const removed = ids(doc).view.activities[1]!.id;
		ed(doc, mentor).removeActivity(removed);
		const afterRemoval = Y.encodeStateAsUpdate(doc);
		rejects(() => ed(doc, mentor).postComment({ kind: 'activity', id: removed }, 'x'), 'not-found');
		expect(Y.encodeStateAsUpdate(doc)).toEqual(afterRemoval);
		expect(readProgram(doc, doc).discussion).toEqual([]);
	});

	it('only the author removes a comment; a removal forged by the partner is ignored by readers', () => {
		const doc = newProgram();
		const activity = ids(doc).view.activities[0]!.id;
		const id = ed(doc, mentor).postComment({ kind: 'activity', id: activity }, 'Мой комментарий');
		expect(rejects(() => ed(doc, mentee).removeOwnComment(id), 'forbidden').messageRu).toBe(
			'Удалить можно только свой комментарий.'
		);
		expect(thread(doc)).toEqual(['mentor: Мой комментарий']);
		// A stock client writing the removal keys directly, under its own name.
		const map = doc
			.getArray<Y.Map<unknown>>(DISCUSSION_ROOT)
			.toArray()
			.find((m) => m.get(ITEM.id) === id)!;
		doc.transact(() => {
			map.set(ITEM.removed, true);
			map.set(ITEM.removedBy, 'u-mentee');
		});
		expect(thread(doc)).toEqual(['mentor: Мой комментарий']);
		expect(readProgram(doc, doc).problems.join()).toContain('removal by someone other');
		ed(doc, mentor).removeOwnComment(id);
		expect(thread(doc)).toEqual([]);
	});

	it('a comment under a name that is not a mentor or mentee of the program is not shown', () => {
		const doc = newProgram();
		const activity = ids(doc).view.activities[0]!.id;
		// Written by a stock client that claims to be the curator, and one by nobody.
		for (const author of ['u-curator', 'u-nobody'])
			doc.getArray(DISCUSSION_ROOT).push([
				new Y.Map<unknown>(
					Object.entries({
						[ITEM.id]: `forged${author.slice(2)}`,
						[ITEM.createdBy]: author,
						[DISCUSSION.targetKind]: 'activity',
						[DISCUSSION.targetId]: activity,
						[DISCUSSION.text]: 'Подделка',
						[DISCUSSION.postedAt]: '2025-09-10T10:00:00.000Z'
					})
				)
			]);
		// And malformed ones: a number as text, an unknown target kind, no time.
		doc.getArray(DISCUSSION_ROOT).push([42, new Y.Text('x')]);
		expect(readProgram(doc, doc).discussion).toEqual([]);
		expect(readProgram(doc, doc).problems.length).toBeGreaterThanOrEqual(3);
	});

	it('a document where someone claimed the name with another shared type still reads', () => {
		const doc = newProgram();
		doc.getMap('discussion').set('x', 1);
		const v = readProgram(doc, doc);
		expect(v.discussion).toEqual([]);
		expect(v.activities.length).toBeGreaterThan(0);
		expect(v.problems.join()).toContain('discussion');
		const activity = v.activities[0]!.id;
		const before = Y.encodeStateAsUpdate(doc);
		expect(
			rejects(
				() => ed(doc, mentor).postComment({ kind: 'activity', id: activity }, 'x'),
				'invalid-state'
			).messageRu
		).toBe('Комментарии этой программы не удалось прочитать. Сообщите куратору.');
		expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
	});

	it('comments posted offline on two phones merge into one thread in posting order on both', () => {
		const a = newProgram();
		const b = replica(a);
		const activity = ids(a).view.activities[0]!.id;
		const target = { kind: 'activity' as const, id: activity };
		ed(b, mentee, '2025-09-10T09:00:00.000Z').postComment(target, 'Офлайн, раньше');
		ed(a, mentor, '2025-09-10T09:05:00.000Z').postComment(target, 'Онлайн, позже');
		ed(b, mentee, '2025-09-10T09:10:00.000Z').postComment(target, 'Офлайн, ещё позже');
		sync(a, b);
		const expected = [
			'mentee: Офлайн, раньше',
			'mentor: Онлайн, позже',
			'mentee: Офлайн, ещё позже'
		];
		expect(thread(a)).toEqual(expected);
		expect(thread(b)).toEqual(expected);
	});

	it('converges for random comments and removals on three replicas under random syncs (property)', () => {
		fc.assert(
			fc.property(
				fc.array(
					fc.record({
						replica: fc.integer({ min: 0, max: 2 }),
						who: fc.constantFrom(mentor, mentee),
						kind: fc.constantFrom('post', 'post', 'remove', 'sync'),
						minute: fc.integer({ min: 0, max: 59 }),
						text: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== '')
					}),
					{ maxLength: 30 }
				),
				(ops) => {
					const base = newProgram();
					const activity = ids(base).view.activities[0]!.id;
					const docs = [base, replica(base), replica(base)];
					const posted: Array<{ id: string; by: string }> = [];
					for (const op of ops) {
						const doc = docs[op.replica]!;
						if (op.kind === 'sync') {
							sync(doc, docs[(op.replica + 1) % 3]!);
							continue;
						}
						const e = ed(
							doc,
							op.who,
							`2025-09-10T10:${String(op.minute).padStart(2, '0')}:00.000Z`
						);
						if (op.kind === 'post') {
							posted.push({
								id: e.postComment({ kind: 'activity', id: activity }, op.text),
								by: op.who.userId
							});
							continue;
						}
						const own = readProgram(doc, doc).discussion.find((c) => c.authorId === op.who.userId);
						if (own) e.removeOwnComment(own.id);
					}
					sync(...docs);
					const views = docs.map((d) => programToJSON(readProgram(d, d)));
					expect(views[1]).toEqual(views[0]);
					expect(views[2]).toEqual(views[0]);
					const shown = readProgram(base, base).discussion;
					// Sorted by time, then id; every shown comment is one that was posted, by its poster.
					for (let i = 1; i < shown.length; i++)
						expect(shown[i - 1]!.postedAt <= shown[i]!.postedAt).toBe(true);
					for (const c of shown) expect(posted.find((x) => x.id === c.id)?.by).toBe(c.authorId);
					// Nothing removed is lost from the document: removed ones are kept, hidden.
					expect(base.getArray(DISCUSSION_ROOT).length).toBe(posted.length);
				}
			),
			{ numRuns: 60 }
		);
	});

	describe('authorship on the bytes of an update (what the relay checks)', () => {
		/** The update one action produces on `doc`. */
		const updateOf = (doc: Y.Doc, fn: () => void): Uint8Array => {
			const seen: Uint8Array[] = [];
			const on = (u: Uint8Array) => seen.push(u);
			doc.on('update', on);
			fn();
			doc.off('update', on);
			return Y.mergeUpdates(seen);
		};
		const stockComment = (doc: Y.Doc, id: string, fields: Record<string, unknown>) =>
			doc
				.getArray(DISCUSSION_ROOT)
				.push([new Y.Map<unknown>(Object.entries({ [ITEM.id]: id, ...fields }))]);

		it('accepts what the honest editor writes, as its author, and ignores other updates', () => {
			const doc = newProgram();
			const activity = ids(doc).view.activities[0]!.id;
			const target = { kind: 'activity' as const, id: activity };
			const first = updateOf(doc, () => ed(doc, mentor).postComment(target, 'Первый'));
			const second = updateOf(doc, () => ed(doc, mentor).postComment(target, 'Второй'));
			expect(forgedAuthorship(first, 'u-mentor')).toBeNull();
			expect(forgedAuthorship(second, 'u-mentor')).toBeNull();
			// The same bytes sent by the mentee: someone else's comment.
			expect(forgedAuthorship(second, 'u-mentee')).toBe('comment attributed to another person');
			const id = readProgram(doc, doc).discussion[0]!.id;
			expect(
				forgedAuthorship(
					updateOf(doc, () => ed(doc, mentor).removeOwnComment(id)),
					'u-mentor'
				)
			).toBeNull();
			const typing = updateOf(doc, () =>
				ed(doc, mentee).editText({ kind: 'diagnosis', field: 'goals' }, 0, 0, 'createdBy')
			);
			expect(forgedAuthorship(typing, 'u-mentee')).toBeNull();
			const plan = updateOf(doc, () =>
				ed(doc, mentee).addActivity({ stageId: ids(doc).stages[0]!, title: 'Новое' })
			);
			expect(forgedAuthorship(plan, 'u-mentee')).toBeNull();
			expect(forgedAuthorship(new Uint8Array([1, 2, 3]), 'u-mentee')).toBeNull();
		});

		it("refuses a stock client posting under the partner's name, or without one", () => {
			const doc = newProgram();
			const activity = ids(doc).view.activities[0]!.id;
			const fields = {
				[DISCUSSION.targetKind]: 'activity',
				[DISCUSSION.targetId]: activity,
				[DISCUSSION.text]: 'От имени наставника',
				[DISCUSSION.postedAt]: '2025-09-10T10:00:00.000Z'
			};
			const forged = updateOf(doc, () =>
				stockComment(doc, 'forged1', { ...fields, [ITEM.createdBy]: 'u-mentor' })
			);
			expect(forgedAuthorship(forged, 'u-mentee')).toBe('comment attributed to another person');
			const anonymous = updateOf(doc, () => stockComment(doc, 'forged2', fields));
			expect(forgedAuthorship(anonymous, 'u-mentee')).toBe('comment attributed to another person');
			// Setting the author afterwards, on the map already stored.
			const later = updateOf(doc, () => {
				const m = doc
					.getArray<Y.Map<unknown>>(DISCUSSION_ROOT)
					.toArray()
					.find((x) => x.get(ITEM.id) === 'forged2')!;
				m.set(ITEM.createdBy, 'u-mentor');
			});
			expect(forgedAuthorship(later, 'u-mentee')).toBe('author of an existing item rewritten');
		});

		it('an author overwritten later (invisible on the bytes) hides the comment from every reader', () => {
			const doc = newProgram();
			const activity = ids(doc).view.activities[0]!.id;
			const id = ed(doc, mentee).postComment(
				{ kind: 'activity', id: activity },
				'Написал наставляемый'
			);
			const rewrite = updateOf(doc, () => {
				const m = doc
					.getArray<Y.Map<unknown>>(DISCUSSION_ROOT)
					.toArray()
					.find((x) => x.get(ITEM.id) === id)!;
				m.set(ITEM.createdBy, 'u-mentor');
			});
			expect(forgedAuthorship(rewrite, 'u-mentee')).toBeNull();
			expect(readProgram(doc, doc).discussion).toEqual([]);
			expect(readProgram(doc, doc).problems.join()).toContain('author rewritten');
			// The same on a replica that only ever saw the merged document.
			const fresh = replica(doc);
			expect(readProgram(fresh, fresh).discussion).toEqual([]);
		});
	});
});
