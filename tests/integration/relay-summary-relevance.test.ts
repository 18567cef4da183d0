import { afterEach, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createProgram, loadTemplate, summarize } from '../../src/lib/shared/program';
import { generateRealisticProgram } from '../../src/lib/shared/program/fixtures';
import { storeInitialDocument } from '../../server/programs/program-document';
import { connectClient, startRelay, synced, waitFor, type TestRelay } from './relay-helpers';

/**
 * Issue 18, as an outsider's bench found it: stock y-websocket clients typing into a text of
 * their own cost the relay a summary of the whole program per program and minute, though no
 * summary reads that text. Over real sockets, against the real server and SQLite: what no
 * summary reads (a text of the client's own, the discussion) leaves the curator's summary as it
 * was, and everything a summary reads is still summarized — also when it comes in the same
 * transaction as the rest.
 */
let relay: TestRelay | null = null;
afterEach(async () => {
	await relay?.close();
	relay = null;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('summarizes what a summary reads, and not a text of a client of its own or the discussion', async () => {
	relay = await startRelay({ RELAY_SUMMARY_DEBOUNCE_MS: '30', RELAY_SUMMARY_MAX_WAIT_MS: '200' });
	const r = relay;
	const programId = 'relevance';
	const doc = new Y.Doc();
	createProgram(
		doc,
		{ userId: 'curator-1', role: 'curator' },
		await loadTemplate('teacher-surgut'),
		{
			programId,
			startDate: '2026-09-01'
		}
	);
	await r.store.createProgram(programId);
	await r.store.append([{ programId, data: Y.encodeStateAsUpdate(doc), receivedAt: 1 }]);

	const phone = connectClient(r.wsBase, programId, r.token('mentor-1', programId));
	await synced(phone);
	const stored = () => r.store.getSummary(programId);
	const title = async () => ((await stored())?.summary as { title?: string } | undefined)?.title;
	// The program had no summary: its first is written when it loads.
	await waitFor(async () => (await stored())?.throughSeq === 1, 'the first summary');
	const first = await stored();

	/** Edits on the phone, then waits until the relay has stored them. */
	const edit = async (fn: (d: Y.Doc) => void) => {
		const seq = (await r.store.load(programId)).lastSeq;
		fn(phone.doc);
		await waitFor(async () => (await r.store.load(programId)).lastSeq > seq, 'the edit stored');
	};
	// What the outsider's clients send: two characters in a text and a time in a map of their own.
	for (let i = 0; i < 5; i++)
		await edit((d) =>
			d.transact(() => {
				d.getText('bench-notes').insert(0, 'ab');
				d.getMap('bench').set('mentor-1', i);
			})
		);
	// A message in the discussion, and a deletion in the client's own text.
	await edit((d) => d.getArray('discussion').push([new Y.Map([['text', 'Привет']])]));
	await edit((d) => d.getText('bench-notes').delete(0, 4));
	// Many times the debounce and the max wait: nothing was due.
	await sleep(1_000);
	expect(await stored()).toEqual(first);

	// The same kind of edit, with a change of the title in the same transaction: summarized.
	await edit((d) =>
		d.transact(() => {
			d.getText('bench-notes').insert(0, 'ab');
			d.getMap('meta').set('title', 'Программа после правки');
		})
	);
	await waitFor(async () => (await title()) === 'Программа после правки', 'the new title');
	const lastSeq = (await r.store.load(programId)).lastSeq;
	expect((await stored())?.throughSeq).toBe(lastSeq);
	// A deletion alone, of what the summary reads.
	await edit((d) => d.getMap('meta').delete('title'));
	await waitFor(async () => (await title()) !== 'Программа после правки', 'the title deleted');
	phone.destroy();
});

it('does not summarize again when phones reconnect: their sync resends every deletion they know', async () => {
	relay = await startRelay({ RELAY_SUMMARY_DEBOUNCE_MS: '30', RELAY_SUMMARY_MAX_WAIT_MS: '200' });
	const r = relay;
	// A program with two years of edits (deletions among them), created as the API creates one.
	const program = generateRealisticProgram(1, { edits: 1000 });
	const update = Y.encodeStateAsUpdate(program.doc);
	expect(Y.decodeUpdate(update).ds.clients.size).toBeGreaterThan(0);
	await storeInitialDocument(r.store, null, 'p', {
		update,
		summary: summarize(program.doc, new Date())
	});
	const first = await r.store.getSummary('p');
	for (let round = 0; round < 2; round++) {
		const phones = ['mentor1', 'mentee1'].map((user) => {
			const doc = new Y.Doc();
			Y.applyUpdate(doc, update);
			return connectClient(r.wsBase, 'p', r.token(user, 'p'), { doc });
		});
		for (const phone of phones) await synced(phone);
		await sleep(500);
		for (const phone of phones) phone.destroy();
	}
	// Their sync steps were stored (each carries the delete set), and changed nothing summarized.
	expect((await r.store.load('p')).lastSeq).toBeGreaterThan(first?.throughSeq ?? 0);
	expect(await r.store.getSummary('p')).toEqual(first);
});

it('summarizes a deletion a phone made offline, sent with the rest of its delete set when it reconnects', async () => {
	relay = await startRelay({ RELAY_SUMMARY_DEBOUNCE_MS: '30', RELAY_SUMMARY_MAX_WAIT_MS: '200' });
	const r = relay;
	const program = generateRealisticProgram(1, { edits: 1000 });
	const update = Y.encodeStateAsUpdate(program.doc);
	await storeInitialDocument(r.store, null, 'p', {
		update,
		summary: summarize(program.doc, new Date())
	});
	const title = async () =>
		((await r.store.getSummary('p'))?.summary as { title?: string | null } | undefined)?.title;
	expect(await title()).toBeTruthy();
	// Offline, the phone deletes the program's title; its first message once connected is its
	// sync step: nothing the relay lacks but this deletion, among all the others it knows.
	const doc = new Y.Doc();
	Y.applyUpdate(doc, update);
	doc.getMap('meta').delete('title');
	const phone = connectClient(r.wsBase, 'p', r.token('mentor1', 'p'), { doc });
	await synced(phone);
	await waitFor(async () => !(await title()), 'the deletion summarized');
	phone.destroy();
});
