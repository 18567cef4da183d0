import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { mapIndex, minimalEdit, type TextDelta } from './text-binding';

describe('minimalEdit', () => {
	it('finds an insertion in the middle', () => {
		expect(minimalEdit('abc', 'abXc')).toEqual({ index: 2, deleteCount: 0, insert: 'X' });
	});
	it('finds a deletion', () => {
		expect(minimalEdit('hello world', 'hello')).toEqual({ index: 5, deleteCount: 6, insert: '' });
	});
	it('finds a replacement of a selection', () => {
		expect(minimalEdit('один два три', 'один 2 три')).toEqual({
			index: 5,
			deleteCount: 3,
			insert: '2'
		});
	});
	it('handles repeated characters without over-deleting', () => {
		expect(minimalEdit('aaa', 'aaaa')).toEqual({ index: 3, deleteCount: 0, insert: 'a' });
	});
	it('returns null when nothing changed', () => {
		expect(minimalEdit('same', 'same')).toBeNull();
	});
});

describe('minimalEdit with the caret', () => {
	it('places a repeated letter where it was typed, not at the end of the run', () => {
		// «ab|b» + «b» → «abbb»: typed at 2.
		expect(
			minimalEdit('abb', 'abbb', { selectionBefore: { start: 2, end: 2 }, caretAfter: 3 })
		).toEqual({ index: 2, deleteCount: 0, insert: 'b' });
		// Without hints the smallest edit is at the end.
		expect(minimalEdit('abb', 'abbb')).toEqual({ index: 3, deleteCount: 0, insert: 'b' });
	});
	it('places a backspace in a run of equal letters at the caret', () => {
		expect(
			minimalEdit('aaaa', 'aaa', { selectionBefore: { start: 2, end: 2 }, caretAfter: 1 })
		).toEqual({ index: 1, deleteCount: 1, insert: '' });
	});
	it('places a forward delete at the caret', () => {
		expect(
			minimalEdit('aaaa', 'aaa', { selectionBefore: { start: 1, end: 1 }, caretAfter: 1 })
		).toEqual({ index: 1, deleteCount: 1, insert: '' });
	});
	it('replaces exactly the selection on paste, even when the pasted text starts alike', () => {
		expect(
			minimalEdit('один два три', 'один дважды три', {
				selectionBefore: { start: 5, end: 8 },
				caretAfter: 11
			})
		).toEqual({ index: 5, deleteCount: 3, insert: 'дважды' });
	});
	it('uses the caret alone when there is no selection hint', () => {
		expect(minimalEdit('aa', 'aaa', { caretAfter: 1 })).toEqual({
			index: 0,
			deleteCount: 0,
			insert: 'a'
		});
	});
	it('ignores hints that do not fit the text', () => {
		expect(
			minimalEdit('abc', 'abXc', { selectionBefore: { start: 9, end: 12 }, caretAfter: 99 })
		).toEqual({ index: 2, deleteCount: 0, insert: 'X' });
	});
	it('always yields an edit that turns before into after', () => {
		fc.assert(
			fc.property(
				fc.string({ unit: fc.constantFrom('a', 'b', 'я') }),
				fc.string({ unit: fc.constantFrom('a', 'b', 'я') }),
				fc.option(fc.nat(12)),
				fc.option(fc.tuple(fc.nat(12), fc.nat(12))),
				(before, after, caret, sel) => {
					const edit = minimalEdit(before, after, {
						caretAfter: caret,
						selectionBefore: sel ? { start: Math.min(...sel), end: Math.max(...sel) } : null
					});
					const result = edit
						? before.slice(0, edit.index) +
							edit.insert +
							before.slice(edit.index + edit.deleteCount)
						: before;
					expect(result).toBe(after);
				}
			)
		);
	});
});

describe('mapIndex', () => {
	/** Applies the delta of one change to a Y.Text and maps `pos` through it. */
	function through(
		base: string,
		change: (t: Y.Text) => void,
		pos: number,
		stick?: 'left' | 'right'
	) {
		const doc = new Y.Doc();
		const text = doc.getText('t');
		text.insert(0, base);
		let delta: TextDelta = [];
		text.observe((e) => (delta = e.delta as TextDelta));
		change(text);
		return { at: mapIndex(pos, delta, stick), value: text.toString() };
	}
	it('shifts past insertions before the position and stays before ones after it', () => {
		expect(through('abcdef', (t) => t.insert(1, 'XY'), 3).at).toBe(5);
		expect(through('abcdef', (t) => t.insert(4, 'XY'), 3).at).toBe(3);
	});
	it('at an insertion exactly there: stays before it (left) or goes past it (right)', () => {
		expect(through('abcdef', (t) => t.insert(3, 'XY'), 3, 'left').at).toBe(3);
		expect(through('abcdef', (t) => t.insert(3, 'XY'), 3, 'right').at).toBe(5);
	});
	it('moves back over deletions before it and to the start of a deletion around it', () => {
		expect(through('abcdef', (t) => t.delete(0, 2), 4).at).toBe(2);
		expect(through('abcdef', (t) => t.delete(2, 3), 3).at).toBe(2);
		expect(through('abcdef', (t) => t.delete(4, 2), 3).at).toBe(3);
	});
	it('keeps the same character under the position through random changes', () => {
		fc.assert(
			fc.property(
				fc.string({ minLength: 1, maxLength: 20 }),
				fc.array(fc.tuple(fc.nat(), fc.nat(4), fc.string({ maxLength: 4 })), { maxLength: 5 }),
				fc.nat(),
				(base, ops, p) => {
					const doc = new Y.Doc();
					const text = doc.getText('t');
					text.insert(0, base);
					const pos = p % base.length;
					// Mark the character under pos so we can find it after the changes.
					const rel = Y.createRelativePositionFromTypeIndex(text, pos);
					let delta: TextDelta = [];
					text.observe((e) => (delta = e.delta as TextDelta));
					let expectedDeleted = false;
					doc.transact(() => {
						for (const [i, d, s] of ops) {
							const at = i % (text.length + 1);
							const del = Math.min(d, text.length - at);
							text.delete(at, del);
							text.insert(at, s.replace(/[\uD800-\uDFFF]/g, 'x'));
						}
					});
					const abs = Y.createAbsolutePositionFromRelativePosition(rel, doc);
					expectedDeleted = !abs || abs.index >= text.length;
					const mapped = mapIndex(pos, delta, 'right');
					if (!expectedDeleted && abs) expect(mapped).toBe(abs.index);
				}
			)
		);
	});
});
