/**
 * A comment is its sender's (authorship.ts, over the in-memory transport and store): the mentee's
 * own comment is stored and reaches the mentor; a comment the mentee writes under the mentor's
 * name with a stock Yjs client is refused (4403) before anything is stored or forwarded; the same
 * for a file attached under the partner's name (issue 17).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode, encodeSyncUpdate } from './protocol.js';
import type { Relay } from './relay.js';
import { attachPhone, fakeClockRelay } from './test-fakes.js';
import { ProgramEditor, readProgram } from '../../src/lib/shared/program/index.js';
import {
	ATTACHMENT,
	ATTACHMENTS_ROOT,
	DISCUSSION,
	DISCUSSION_ROOT,
	ITEM
} from '../../src/lib/shared/program/schema.js';
import { mentee, mentor, newProgram, replica } from '../../src/lib/shared/program/test-utils.js';

const PROGRAM = 'p1';
let relays: Relay[] = [];
afterEach(async () => {
	for (const r of relays) await r.close();
	relays = [];
});

/**
 * The mentee's and the mentor's phones on a new program the mentee uploaded; `menteeDoc` is her
 * replica of it, `activity` its first activity.
 */
async function twoPhones() {
	const { relay, clock, store } = fakeClockRelay();
	relays.push(relay);
	void store.createProgram(PROGRAM);
	const connect = (userId: string) => {
		const { attached, socket } = attachPhone(relay, clock, PROGRAM, { userId });
		return { ...attached, socket };
	};
	const base = newProgram();
	const activity = readProgram(base, base).activities[0]!.id;
	const phoneOfMentee = connect(mentee.userId);
	const phoneOfMentor = connect(mentor.userId);
	await clock.settle();
	phoneOfMentee.receive(encodeSyncUpdate(Y.encodeStateAsUpdate(base)));
	await clock.settle();

	/** The mentee's phone sends `update`: accepted. */
	async function accepted(update: Uint8Array) {
		phoneOfMentee.receive(encodeSyncUpdate(update));
		await clock.settle();
		expect(phoneOfMentee.socket.closedWith).toBeNull();
	}
	/** The mentee's phone sends `update`: refused for `reason`, neither stored nor delivered. */
	async function refused(update: Uint8Array, reason: string) {
		const delivered = phoneOfMentor.socket.kinds().length;
		const appended = store.appendCalls.flat().length;
		phoneOfMentee.receive(encodeSyncUpdate(update));
		await clock.settle();
		expect(phoneOfMentee.socket.closedWith).toEqual({ code: CloseCode.FORBIDDEN, reason });
		expect(store.appendCalls.flat().length).toBe(appended);
		expect(phoneOfMentor.socket.kinds().length).toBe(delivered);
	}
	/** The program as the relay stores it. */
	async function stored() {
		const doc = new Y.Doc();
		Y.applyUpdate(doc, await relay.getDocument(PROGRAM));
		return readProgram(doc, doc);
	}
	return { menteeDoc: replica(base), activity, accepted, refused, stored };
}

/** The update one action makes on `doc`. */
function updateOf(doc: Y.Doc, fn: () => void): Uint8Array {
	const seen: Uint8Array[] = [];
	const on = (u: Uint8Array) => seen.push(u);
	doc.on('update', on);
	fn();
	doc.off('update', on);
	return Y.mergeUpdates(seen);
}

describe('comments at the relay', () => {
	it("stores the sender's own comment and refuses one under the partner's name", async () => {
		const { menteeDoc, activity, accepted, refused, stored } = await twoPhones();
		// Honest: through the editor, as herself.
		const own = updateOf(menteeDoc, () =>
			new ProgramEditor(menteeDoc, mentee).postComment(
				{ kind: 'activity', id: activity },
				'Мой комментарий'
			)
		);
		await accepted(own);

		// Hostile: a stock client writes a comment signed by the mentor.
		const forged = updateOf(menteeDoc, () =>
			menteeDoc.getArray(DISCUSSION_ROOT).push([
				new Y.Map<unknown>(
					Object.entries({
						[ITEM.id]: 'forgedComment',
						[ITEM.createdBy]: mentor.userId,
						[DISCUSSION.targetKind]: 'activity',
						[DISCUSSION.targetId]: activity,
						[DISCUSSION.text]: 'Наставник согласен со всем',
						[DISCUSSION.postedAt]: '2025-09-10T10:00:00.000Z'
					})
				)
			])
		);
		await refused(forged, 'comment attributed to another person');
		expect((await stored()).discussion.map((c) => [c.authorId, c.text])).toEqual([
			[mentee.userId, 'Мой комментарий']
		]);
	});
});

describe('attachments at the relay', () => {
	it("stores the sender's own attachment and refuses one under the partner's name", async () => {
		const { menteeDoc, activity, accepted, refused, stored } = await twoPhones();
		const own = updateOf(menteeDoc, () =>
			new ProgramEditor(menteeDoc, mentee).attach(
				{ kind: 'activity', id: activity },
				{ hash: 'a'.repeat(64), name: 'Конспект.pdf', type: 'application/pdf', size: 1000 }
			)
		);
		await accepted(own);

		// Hostile: a stock client attaches a file under the mentor's name.
		const forged = updateOf(menteeDoc, () =>
			menteeDoc.getArray(ATTACHMENTS_ROOT).push([
				new Y.Map<unknown>(
					Object.entries({
						[ITEM.id]: 'forgedFile',
						[ITEM.createdBy]: mentor.userId,
						[ITEM.createdAt]: '2025-09-10T10:00:00.000Z',
						[ATTACHMENT.targetKind]: 'activity',
						[ATTACHMENT.targetId]: activity,
						[ATTACHMENT.hash]: 'b'.repeat(64),
						[ATTACHMENT.name]: 'Согласие наставника.pdf',
						[ATTACHMENT.type]: 'application/pdf',
						[ATTACHMENT.size]: 1000
					})
				)
			])
		);
		await refused(forged, 'attachment attributed to another person');
		expect((await stored()).attachments.map((a) => [a.authorId, a.name])).toEqual([
			[mentee.userId, 'Конспект.pdf']
		]);
	});
});
