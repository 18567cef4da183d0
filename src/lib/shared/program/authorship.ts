// Who a client update says wrote a comment or attached a file, checked against who sent it. The relay knows the
// sender (the authenticated session) and calls this before it stores an update
// (server/sync/authorship.ts); the program core is where the rule lives, so the phone's editor,
// the readers and the relay agree on what an honest comment looks like.
//
// It works on the update alone (the relay keeps no decoded document): the entries of a map
// created or first set in an update carry their parent and key (Yjs writes the parent of an item
// that has no left or right neighbour), so a new comment's `createdBy` is visible here.
// A later overwrite of `createdBy` is not (it has a neighbour); readers refuse those instead
// (read.ts: a comment whose author entry is not its first value is not shown).
import * as Y from 'yjs';
import { ATTACHMENT, DISCUSSION, ITEM } from './schema';

const MARKS = [ITEM.createdBy, DISCUSSION.postedAt].map((k) => new TextEncoder().encode(k));

/** Whether `bytes` contain `needle` (a cheap filter: typing updates name neither key). */
function contains(bytes: Uint8Array, needle: Uint8Array): boolean {
	const first = needle[0];
	outer: for (let i = bytes.indexOf(first ?? 0); i >= 0 && i <= bytes.length - needle.length;) {
		for (let j = 1; j < needle.length; j++) {
			if (bytes[i + j] !== needle[j]) {
				i = bytes.indexOf(first ?? 0, i + 1);
				continue outer;
			}
		}
		return true;
	}
	return false;
}

const key = (id: Y.ID) => `${id.client}:${id.clock}`;

/**
 * null when every author the update asserts is `userId`; else an English reason. Refused:
 * - a new comment (a map created in the update with `targetKind` and `postedAt`, the shape
 *   `ProgramEditor.postComment` writes) whose `createdBy` is missing or another person's;
 * - a new attachment (a map created with `targetKind` and `hash`, `ProgramEditor.attach`) whose
 *   `createdBy` is missing or another person's;
 * - a `createdBy` set on a map the update does not create (honest clients write it only when
 *   they create an item, and always as themselves).
 * An update that does not decode is left to the relay's other checks (null).
 */
export function forgedAuthorship(update: Uint8Array, userId: string): string | null {
	if (!MARKS.some((m) => contains(update, m))) return null;
	let structs: Array<Y.Item | Y.GC | Y.Skip>;
	try {
		structs = Y.decodeUpdate(update).structs;
	} catch {
		return null;
	}
	const created = new Set<string>();
	const entries = new Map<string, Map<string, unknown>>();
	for (const s of structs) {
		if (!(s instanceof Y.Item)) continue;
		if (s.content instanceof Y.ContentType) created.add(key(s.id));
		const parent = s.parent as unknown;
		if (!(parent instanceof Y.ID) || typeof s.parentSub !== 'string') continue;
		const value = s.content instanceof Y.ContentAny ? s.content.arr[0] : s.content;
		let group = entries.get(key(parent));
		if (!group) entries.set(key(parent), (group = new Map()));
		group.set(s.parentSub, value);
	}
	for (const [parent, group] of entries) {
		const isNew = created.has(parent);
		const comment = isNew && group.has(DISCUSSION.targetKind) && group.has(DISCUSSION.postedAt);
		if (comment && group.get(ITEM.createdBy) !== userId)
			return 'comment attributed to another person';
		const attachment = isNew && group.has(ATTACHMENT.targetKind) && group.has(ATTACHMENT.hash);
		if (attachment && group.get(ITEM.createdBy) !== userId)
			return 'attachment attributed to another person';
		if (!isNew && group.has(ITEM.createdBy) && group.get(ITEM.createdBy) !== userId)
			return 'author of an existing item rewritten';
	}
	return null;
}
