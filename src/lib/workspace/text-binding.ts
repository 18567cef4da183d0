import * as Y from 'yjs';

/** Applies a local edit: (index, deleteCount, insert). Goes through the program API. */
export type TextWriter = (index: number, deleteCount: number, insert: string) => void;

/** One replacement: `deleteCount` characters at `index` give way to `insert`. */
export interface TextEdit {
	index: number;
	deleteCount: number;
	insert: string;
}

/** What the browser tells about where an edit happened (all optional). */
export interface EditHints {
	/** The selection just before the edit (from `beforeinput`), in `before`'s coordinates. */
	selectionBefore?: { start: number; end: number } | null;
	/** The caret just after the edit, in `after`'s coordinates. */
	caretAfter?: number | null;
}

/**
 * The single replacement that turns `before` into `after`. Without hints: the smallest one (common
 * prefix and suffix kept). With hints it is placed where the person actually typed: typing «a»
 * after «a» in «aa|b» inserts at the caret, not at the end of the run of «a» — the difference
 * decides which neighbour a concurrent insertion lands beside.
 */
export function minimalEdit(before: string, after: string, hints: EditHints = {}): TextEdit | null {
	if (before === after) return null;
	let maxPrefix = Math.min(before.length, after.length);
	let maxSuffix = maxPrefix;
	const caret = hints.caretAfter;
	if (caret != null && caret >= 0 && caret <= after.length) {
		// The edit ends at the caret (typing, paste) or starts there (deleting).
		maxPrefix = Math.min(maxPrefix, caret);
		maxSuffix = Math.min(maxSuffix, after.length - caret);
	}
	const sel = hints.selectionBefore;
	if (sel && sel.start >= 0 && sel.end >= sel.start && sel.end <= before.length) {
		// Typing, pasting and deleting replace the selection (or act at the collapsed caret).
		maxPrefix = Math.min(maxPrefix, sel.start);
		maxSuffix = Math.min(maxSuffix, before.length - sel.end);
	}
	const prefixFrom = (limit: number) => {
		let n = 0;
		while (n < limit && before[n] === after[n]) n++;
		return n;
	};
	const suffixFrom = (limit: number) => {
		let n = 0;
		while (n < limit && before[before.length - 1 - n] === after[after.length - 1 - n]) n++;
		return n;
	};
	const shorter = Math.min(before.length, after.length);
	let start: number;
	let suffix: number;
	if (caret != null && caret >= 0 && caret <= after.length) {
		// Anchor at the caret first: an insertion ends there, a deletion starts there.
		suffix = suffixFrom(maxSuffix);
		start = prefixFrom(Math.min(maxPrefix, shorter - suffix));
	} else {
		start = prefixFrom(maxPrefix);
		suffix = suffixFrom(Math.min(maxSuffix, shorter - start));
	}
	return {
		index: start,
		deleteCount: before.length - suffix - start,
		insert: after.slice(start, after.length - suffix)
	};
}

/** One Yjs text delta (Y.YTextEvent.delta): retain, insert or delete operations in order. */
export type TextDelta = ReadonlyArray<{
	insert?: string | object | unknown[];
	retain?: number;
	delete?: number;
}>;

const insertLength = (insert: unknown): number => (typeof insert === 'string' ? insert.length : 1);

/**
 * Where index `pos` of the text before `delta` is after it. An insertion exactly at `pos` goes
 * after the position when `stick` is 'left' (the position stays before it), before it when
 * 'right'. A position inside deleted text moves to where the deletion was.
 */
export function mapIndex(pos: number, delta: TextDelta, stick: 'left' | 'right' = 'left'): number {
	let old = 0;
	let shift = 0;
	for (const op of delta) {
		if (op.retain !== undefined) {
			old += op.retain;
			if (old > pos) break;
		} else if (op.insert !== undefined) {
			if (old < pos || (old === pos && stick === 'right')) shift += insertLength(op.insert);
			else break;
		} else if (op.delete !== undefined) {
			if (old >= pos) break;
			if (old + op.delete <= pos) {
				shift -= op.delete;
				old += op.delete;
			} else {
				shift -= pos - old;
				break;
			}
		}
	}
	return pos + shift;
}

/** A remote change applied to the field in place (setRangeText keeps scroll and IME state). */
function applyDelta(field: HTMLTextAreaElement | HTMLInputElement, delta: TextDelta): void {
	let index = 0;
	for (const op of delta) {
		if (op.retain !== undefined) index += op.retain;
		else if (op.insert !== undefined) {
			const s = typeof op.insert === 'string' ? op.insert : '';
			field.setRangeText(s, index, index, 'preserve');
			index += s.length;
		} else if (op.delete !== undefined) {
			field.setRangeText('', index, index + op.delete, 'preserve');
		}
	}
}

const ACTS_AT_SELECTION =
	/^(insertText|insertLineBreak|insertParagraph|insertFromPaste|delete(Content|Word|SoftLine|HardLine))/;

export interface UndoTarget {
	undo(): unknown;
	redo(): unknown;
}

export interface BindOptions {
	onError?: (error: unknown) => void;
	/** The person's own undo manager: Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y in the field use it. */
	undo?: UndoTarget | null;
}

/**
 * Binds a <textarea> or <input> to a Y.Text so that two people typing in the same field merge
 * character by character.
 *
 * - Local input becomes one edit placed at the caret (see `minimalEdit`), written through `write`
 *   (the program API, with the user's origin, so per-user undo covers typing).
 * - Remote changes are applied as deltas (setRangeText), not by replacing the value, and the
 *   caret and selection are restored from Y.RelativePosition captured just before each remote
 *   transaction. A collapsed caret sticks to the character before it, so a partner typing at the
 *   same place goes after the caret, never between a person's own keystrokes.
 * - During IME composition nothing is written and the field is not touched: remote changes wait
 *   (their deltas are kept) and the composed text is written once on compositionend, placed
 *   through those deltas.
 * - Undo/redo keys go to the person's own Y.UndoManager (the browser's own field history would
 *   replay stale positions over a partner's text).
 *
 * `text` may be null when the field has never been written: the first edit creates it, and the
 * caller binds again with the new Y.Text.
 */
export function bindText(
	field: HTMLTextAreaElement | HTMLInputElement,
	text: Y.Text | null,
	write: TextWriter,
	options: BindOptions = {}
): () => void {
	const onError = options.onError ?? console.error;
	const current = () => (text ? text.toString() : '');
	/** What the field showed when it last matched the Y.Text. */
	let shown = current();
	if (field.value !== shown) field.value = shown;
	/** Remote deltas applied to the Y.Text since `shown`, not yet in the field (IME composing). */
	let behind: TextDelta[] = [];
	let composing = false;
	let writing = false;
	let selectionBefore: { start: number; end: number } | null = null;
	let anchor: { start: Y.RelativePosition; end: Y.RelativePosition; backward: boolean } | null =
		null;
	const focused = () => field.ownerDocument.activeElement === field;

	/** Writes whatever the field has that the Y.Text has not, then shows the Y.Text again. */
	const flush = () => {
		if (composing) return;
		const value = field.value;
		const edit = minimalEdit(shown, value, {
			selectionBefore: behind.length === 0 ? selectionBefore : null,
			caretAfter: field.selectionEnd
		});
		selectionBefore = null;
		let caret: number | null = null;
		if (edit) {
			// Place the edit through the remote changes that arrived meanwhile.
			let start = edit.index;
			let end = edit.index + edit.deleteCount;
			for (const delta of behind) {
				start = mapIndex(start, delta, edit.deleteCount > 0 ? 'right' : 'left');
				end = Math.max(start, mapIndex(end, delta, 'left'));
			}
			// Rejected, the caret stays where the edit was.
			caret = start;
			writing = true;
			try {
				write(start, end - start, edit.insert);
				caret = start + edit.insert.length;
			} catch (error) {
				onError(error);
			} finally {
				writing = false;
			}
		} else if (behind.length > 0) {
			// Nothing of ours (a composition cancelled): the caret follows the held remote changes.
			let at = field.selectionEnd ?? 0;
			for (const delta of behind) at = mapIndex(at, delta, 'left');
			caret = at;
		}
		behind = [];
		shown = current();
		if (field.value !== shown) {
			// A rejected edit (too long, no right) or remote changes held back during composition.
			field.value = shown;
			if (caret != null && focused()) {
				const at = Math.min(caret, shown.length);
				field.setSelectionRange(at, at);
			}
		}
	};

	const onBeforeInput = (event: Event) => {
		const type = (event as InputEvent).inputType;
		if (type === 'historyUndo' || type === 'historyRedo') {
			if (options.undo) {
				event.preventDefault();
				if (type === 'historyUndo') options.undo.undo();
				else options.undo.redo();
			}
			return;
		}
		// Only edits that act at the selection; a drop or an autocorrection may act elsewhere.
		selectionBefore =
			!composing && field.value === shown && ACTS_AT_SELECTION.test(type ?? '')
				? { start: field.selectionStart ?? 0, end: field.selectionEnd ?? 0 }
				: null;
	};

	const onInput = (event: Event) => {
		if (composing || (event as InputEvent).isComposing) return;
		flush();
	};

	const onCompositionStart = () => {
		composing = true;
	};
	const onCompositionEnd = () => {
		composing = false;
		flush();
	};

	const onKeyDown = (event: KeyboardEvent) => {
		if (!options.undo || !(event.ctrlKey || event.metaKey) || event.altKey) return;
		// By key or by physical key: the Russian layout gives «я» and «н» on the same keys.
		const z = event.key.toLowerCase() === 'z' || event.code === 'KeyZ';
		const y = event.key.toLowerCase() === 'y' || event.code === 'KeyY';
		if (z && !event.shiftKey) {
			event.preventDefault();
			options.undo.undo();
		} else if ((z && event.shiftKey) || (y && !event.shiftKey)) {
			event.preventDefault();
			options.undo.redo();
		}
	};

	/**
	 * Just before a batch of transactions: where the caret is, as positions that survive remote
	 * edits. Not 'beforeTransaction': reading an event's delta in an observer runs a transaction of
	 * its own after the change, and a caret captured then would be anchored in the wrong text.
	 */
	const onBeforeTransaction = () => {
		anchor = null;
		if (!text || writing || composing || !focused() || field.value !== shown) return;
		if (text.length !== shown.length) return;
		const start = field.selectionStart ?? 0;
		const end = field.selectionEnd ?? start;
		anchor = {
			// A collapsed caret sticks to the character before it; a selection keeps its characters.
			start: Y.createRelativePositionFromTypeIndex(text, start, start === end ? -1 : 0),
			end: Y.createRelativePositionFromTypeIndex(text, end, -1),
			backward: field.selectionDirection === 'backward'
		};
	};

	const onChange = (event: Y.YTextEvent, transaction: Y.Transaction) => {
		if (!text || writing) return;
		const delta = event.delta as TextDelta;
		if (composing || field.value !== shown) {
			// Never touch the field mid-composition: the IME would commit into the wrong place.
			behind.push(delta);
			if (!composing) queueMicrotask(flush);
			return;
		}
		const wasFocused = focused();
		applyDelta(field, delta);
		shown = current();
		if (field.value !== shown) field.value = shown; // defensive: never show a different text
		if (!wasFocused || !text.doc) return;
		if (transaction.origin instanceof Y.UndoManager) {
			// One's own undo: the caret goes where the undone change was.
			const at = lastTouched(delta);
			field.setSelectionRange(at, at);
			return;
		}
		if (!anchor) return;
		const a = Y.createAbsolutePositionFromRelativePosition(anchor.start, text.doc);
		const b = Y.createAbsolutePositionFromRelativePosition(anchor.end, text.doc);
		if (a && b)
			field.setSelectionRange(
				Math.min(a.index, b.index),
				Math.max(a.index, b.index),
				anchor.backward ? 'backward' : 'forward'
			);
	};

	field.addEventListener('beforeinput', onBeforeInput);
	field.addEventListener('input', onInput);
	field.addEventListener('compositionstart', onCompositionStart);
	field.addEventListener('compositionend', onCompositionEnd);
	field.addEventListener('keydown', onKeyDown as EventListener);
	text?.doc?.on('beforeAllTransactions', onBeforeTransaction);
	text?.observe(onChange);
	return () => {
		field.removeEventListener('beforeinput', onBeforeInput);
		field.removeEventListener('input', onInput);
		field.removeEventListener('compositionstart', onCompositionStart);
		field.removeEventListener('compositionend', onCompositionEnd);
		field.removeEventListener('keydown', onKeyDown as EventListener);
		text?.doc?.off('beforeAllTransactions', onBeforeTransaction);
		text?.unobserve(onChange);
	};
}

/** The index just after the last change of a delta (in the new text). */
function lastTouched(delta: TextDelta): number {
	let index = 0;
	let last = 0;
	for (const op of delta) {
		if (op.retain !== undefined) index += op.retain;
		else if (op.insert !== undefined) {
			index += insertLength(op.insert);
			last = index;
		} else if (op.delete !== undefined) last = index;
	}
	return last;
}
