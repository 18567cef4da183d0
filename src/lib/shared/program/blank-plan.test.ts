// A blank program («Пустая программа») built from scratch: stages and activities added, renamed,
// reordered and removed by mentor and mentee, merged like every other edit (issue 16).
import { describe, expect, it } from 'vitest';
import { readProgram } from './read';
import blank from './templates/blank';
import { editor, mentee, mentor, newProgram, replica, sync } from './test-utils';

const titles = (doc: ReturnType<typeof newProgram>) =>
	readProgram(doc, doc).stages.map((s) => s.title);

describe('a blank program built from scratch', () => {
	it('starts with no stage; stages are added, renamed, reordered, removed and restored', () => {
		const doc = newProgram(blank);
		expect(readProgram(doc, doc).stages).toEqual([]);
		const e = editor(doc, mentor);
		const a = e.addStage({ title: 'Знакомство', months: 1 });
		const b = e.addStage({ title: 'Практика', months: 3 });
		const c = e.addStage({ title: 'Итоги', months: 1 });
		expect(titles(doc)).toEqual(['Знакомство', 'Практика', 'Итоги']);
		e.editStage(b, { title: 'Работа в классе' });
		e.moveStage(c, 0);
		expect(titles(doc)).toEqual(['Итоги', 'Знакомство', 'Работа в классе']);
		e.moveStage(c, 2);
		expect(titles(doc)).toEqual(['Знакомство', 'Работа в классе', 'Итоги']);
		const x = e.addActivity({ stageId: a, title: 'Первая встреча' });
		const y = e.addActivity({ stageId: a, title: 'Пробная встреча' });
		e.removeActivity(x);
		e.removeStage(a);
		let v = readProgram(doc, doc);
		expect(v.stages.map((s) => s.title)).toEqual(['Работа в классе', 'Итоги']);
		expect(v.activities.map((t) => t.id)).toEqual([]);
		e.restoreStage(a);
		v = readProgram(doc, doc);
		expect(v.stages.map((s) => s.title)).toEqual(['Знакомство', 'Работа в классе', 'Итоги']);
		// The activity removed before the stage stays removed; the one removed with it is back.
		expect(v.activities.map((t) => t.id)).toEqual([y]);
	});

	it('merges a reorder by one with a rename and an activity by the other', () => {
		const doc = newProgram(blank);
		const e = editor(doc, mentor);
		const a = e.addStage({ title: 'Первый', months: 1 });
		const b = e.addStage({ title: 'Второй', months: 1 });
		const other = replica(doc);
		editor(doc, mentor).moveStage(b, 0);
		editor(other, mentee).editStage(b, { title: 'Второй (переименован)' });
		const act = editor(other, mentee).addActivity({ stageId: b, title: 'Мероприятие' });
		sync(doc, other);
		for (const d of [doc, other]) {
			const v = readProgram(d, d);
			expect(v.stages.map((s) => s.title)).toEqual(['Второй (переименован)', 'Первый']);
			expect(v.activities.map((t) => [t.id, t.stageId])).toEqual([[act, b]]);
		}
		expect(a).toBeTruthy();
	});

	it('a curator cannot change the plan', () => {
		const doc = newProgram(blank);
		const id = editor(doc, mentor).addStage({ title: 'Этап', months: 1 });
		expect(() =>
			editor(doc, { userId: 'u-curator', role: 'curator' }).removeStage(id)
		).toThrowError();
	});
});
