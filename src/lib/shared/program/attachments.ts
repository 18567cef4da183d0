// The attachment references of a program document (issue 17). The bytes are elsewhere (the
// device's blob store, the server's content-addressed store); here is only what the document says:
// which file (hash, name, type, size) is attached to which activity, meeting or report, by whom.
import * as Y from 'yjs';
import {
	ATTACHMENT_HASH_PATTERN,
	ATTACHMENT_LIMITS,
	ATTACHMENT_TYPES,
	maxBytesOf,
	type AttachmentType
} from '../api/attachments';
import { Problems, listItems, liveAuthor, type ParticipantView } from './read';
import { ATTACHMENT, ATTACHMENTS_ROOT, ITEM } from './schema';
import { isId } from './validate';

export type AttachmentTarget = 'activity' | 'meeting' | 'report';
export const ATTACHMENT_TARGETS: readonly AttachmentTarget[] = ['activity', 'meeting', 'report'];

export interface AttachmentView {
	id: string;
	targetKind: AttachmentTarget;
	targetId: string;
	hash: string;
	name: string;
	type: AttachmentType;
	size: number;
	kind: 'image' | 'document';
	authorId: string;
	authorRole: 'mentor' | 'mentee';
	authorName: string;
	/** ISO time on the author's device. */
	createdAt: string;
}

const HASH = new RegExp(ATTACHMENT_HASH_PATTERN);

/**
 * The live attachments, oldest first. Each is attributed to `createdBy`, which must be a mentor or
 * mentee of the program (anything else is skipped); a removal counts only when its author made it
 * (`removedBy` = `createdBy`), so a partner cannot make someone's evidence disappear. Malformed
 * references (a bad hash, a type outside ATTACHMENT_TYPES, a size over its limit) are skipped and
 * reported.
 */
export function readAttachments(
	doc: Y.Doc,
	participants: readonly ParticipantView[],
	p: Problems = new Problems()
): AttachmentView[] {
	let arr: Y.Array<unknown>;
	try {
		arr = doc.getArray<unknown>(ATTACHMENTS_ROOT);
	} catch {
		p.add('attachments: the name holds another shared type');
		return [];
	}
	const out: AttachmentView[] = [];
	for (const { id, map } of listItems(arr, p, 'attachments', true)) {
		const c = `attachment ${id}`;
		const who = liveAuthor(map, participants, p, c);
		if (!who) continue;
		const targetKind = map.get(ATTACHMENT.targetKind);
		const targetId = map.get(ATTACHMENT.targetId);
		const hash = map.get(ATTACHMENT.hash);
		const name = map.get(ATTACHMENT.name);
		const type = map.get(ATTACHMENT.type);
		const size = map.get(ATTACHMENT.size);
		const createdAt = map.get(ITEM.createdAt);
		if (
			!(ATTACHMENT_TARGETS as readonly unknown[]).includes(targetKind) ||
			!isId(targetId) ||
			typeof hash !== 'string' ||
			!HASH.test(hash) ||
			typeof name !== 'string' ||
			name.trim() === '' ||
			typeof type !== 'string' ||
			!Object.hasOwn(ATTACHMENT_TYPES, type) ||
			typeof size !== 'number' ||
			!Number.isInteger(size) ||
			size < 1 ||
			size > maxBytesOf(type as AttachmentType) ||
			typeof createdAt !== 'string' ||
			Number.isNaN(Date.parse(createdAt))
		) {
			p.add(`${c}: malformed`);
			continue;
		}
		out.push({
			id,
			targetKind: targetKind as AttachmentTarget,
			targetId,
			hash,
			name: name.slice(0, ATTACHMENT_LIMITS.nameMaxLength),
			type: type as AttachmentType,
			size,
			kind: ATTACHMENT_TYPES[type as AttachmentType].kind,
			authorId: who.userId ?? '',
			authorRole: who.role,
			authorName: who.name,
			createdAt
		});
	}
	return out.sort((a, b) =>
		a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1
	);
}

/** The hashes the document refers to (live attachments): what the server must keep. */
export function referencedHashes(
	doc: Y.Doc,
	participants: readonly ParticipantView[]
): Set<string> {
	return new Set(readAttachments(doc, participants).map((a) => a.hash));
}
