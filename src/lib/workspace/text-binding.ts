import * as Y from 'yjs';

/** Applies a local edit: (index, deleteCount, insert). Goes through the program API. */
export type TextWriter = (index: number, deleteCount: number, insert: string) => void;

/** The smallest single replacement that turns `before` into `after` (common prefix and suffix kept). */
export function minimalEdit(
	before: string,
	after: string
): { index: number; deleteCount: number; insert: string } | null {
	if (before === after) return null;
	let start = 0;
	const max = Math.min(before.length, after.length);
	while (start < max && before[start] === after[start]) start++;
	let endBefore = before.length;
	let endAfter = after.length;
	while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
		endBefore--;
		endAfter--;
	}
	return { index: start, deleteCount: endBefore - start, insert: after.slice(start, endAfter) };
}

/**
 * Binds a <textarea> or <input> to a Y.Text so that two people typing in the same field merge
 * character by character. Local input becomes the minimal edit, written through `write` (the
 * program API, with the user's origin, so per-user undo covers typing). Remote changes update the
 * field and keep the caret where it was, anchored to Yjs relative positions captured whenever the
 * caret moves — before a remote change can shift the indices.
 *
 * `text` may be null when the field has never been written: the first edit creates it, and the
 * caller binds again with the new Y.Text.
 */
export function bindText(
	field: HTMLTextAreaElement | HTMLInputElement,
	text: Y.Text | null,
	write: TextWriter,
	onError: (error: unknown) => void = console.error
): () => void {
	const current = () => (text ? text.toString() : '');
	if (field.value !== current()) field.value = current();
	let anchor: { start: Y.RelativePosition; end: Y.RelativePosition } | null = null;

	const captureCaret = () => {
		if (!text || document.activeElement !== field || field.value !== text.toString()) return;
		anchor = {
			start: Y.createRelativePositionFromTypeIndex(text, field.selectionStart ?? 0),
			end: Y.createRelativePositionFromTypeIndex(text, field.selectionEnd ?? 0)
		};
	};

	const onInput = () => {
		const edit = minimalEdit(current(), field.value);
		if (edit) {
			try {
				write(edit.index, edit.deleteCount, edit.insert);
			} catch (error) {
				// Rejected (too long, no right): show the stored value again, never a phantom one.
				field.value = current();
				onError(error);
			}
		}
		captureCaret();
	};

	const onChange = () => {
		if (!text || field.value === text.toString()) return;
		field.value = text.toString();
		if (anchor && text.doc && document.activeElement === field) {
			const a = Y.createAbsolutePositionFromRelativePosition(anchor.start, text.doc);
			const b = Y.createAbsolutePositionFromRelativePosition(anchor.end, text.doc);
			if (a && b) field.setSelectionRange(a.index, b.index);
		}
	};

	field.addEventListener('input', onInput);
	field.addEventListener('focus', captureCaret);
	field.addEventListener('keyup', captureCaret);
	field.addEventListener('pointerup', captureCaret);
	document.addEventListener('selectionchange', captureCaret);
	text?.observe(onChange);
	return () => {
		field.removeEventListener('input', onInput);
		field.removeEventListener('focus', captureCaret);
		field.removeEventListener('keyup', captureCaret);
		field.removeEventListener('pointerup', captureCaret);
		document.removeEventListener('selectionchange', captureCaret);
		text?.unobserve(onChange);
	};
}
