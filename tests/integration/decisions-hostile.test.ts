/**
 * Decisions are server-enforced (issue 13): hostile participants over the real relay try to write
 * every decision — a verdict («принят», «возвращен») with a comment attributed to the curator, a
 * curator comment, approval, the curator's completion, an extension petition and decision — with
 * the stock y-websocket client and with a raw y-protocols client, online, offline-then-reconnect,
 * and under a forged origin, transaction origin and client id; into the co-written document (the
 * legacy places of those fields) and into the decisions document (/sync/<id>/decisions). Nothing
 * is stored as a decision; the curator's program view, the dashboard and the export stay
 * correct; the honest co-written part keeps syncing. Then: a curator decision through the HTTP
 * action reaches an open phone, and a legacy document's decisions are migrated.
 */
import WebSocket from 'ws';
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintAccessToken } from '../../server/auth/tokens';
import {
	ProgramEditor,
	readProgram,
	userOrigin,
	type ProgramView
} from '../../src/lib/shared/program/index';
import { encodeSyncStep1, encodeSyncUpdate } from '../../src/lib/shared/protocol';
import { DecisionsSync } from '../../src/lib/sync/decisions-sync';
import { docxText } from './curator-fixtures';
import { api, signIn, startWorld, type TestServer, type World } from './identity-fixture';
import { connectClient, synced, waitFor, type TestClient } from './relay-helpers';

/** The decisions document's layout, spelled out (a storage format: docs/program-document.md). */
function decisionsRoot(doc: Y.Doc) {
	return {
		reports: doc.getMap<unknown>('decisions.reports'),
		comments: doc.getArray<unknown>('decisions.comments'),
		changes: doc.getMap<unknown>('decisions.changes'),
		program: doc.getMap<unknown>('decisions.program')
	};
}

let t: TestServer;
let w: World;
let p1: string;
const cookies: Record<string, string> = {};
/** Ids in p1 the forgeries aim at. */
let target: { reportId: string; activityId: string; changeId: string; curatorId: string };
let honestMentor: TestClient;
let honestMentee: TestClient;
const clients: TestClient[] = [];
const sockets: WebSocket[] = [];

const FORGED_COMMENT = 'Подделка: отчет принят куратором';

function token(userId: string, programId: string, access: 'rw' | 'ro' = 'rw'): string {
	return mintAccessToken(t.server.secret, {
		userId,
		programId,
		access,
		expiresAt: Date.now() + 3_600_000
	});
}

function stock(personId: string, docId: string, access: 'rw' | 'ro' = 'rw'): TestClient {
	const c = connectClient(`${t.wsBase}/sync`, docId, token(personId, p1, access));
	clients.push(c);
	return c;
}

/**
 * Every decision written the way the app before this change wrote it: into the co-written
 * document, attributed to the curator, under the curator's transaction origin.
 */
function forgeCoWritten(doc: Y.Doc): void {
	doc.transact(() => {
		const reports = doc.getArray<Y.Map<unknown>>('reports');
		for (const m of reports) {
			if (m.get('id') !== target.reportId) continue;
			m.set('status', 'accepted');
			m.set('reviewedAt', '2026-09-20');
			m.set('reviewedBy', target.curatorId);
			const c = m.get('curatorComment');
			if (c instanceof Y.Text) c.insert(0, FORGED_COMMENT);
		}
		const comment = new Y.Map<unknown>();
		comment.set('id', 'forgedComment1');
		comment.set('targetId', target.activityId);
		comment.set('text', new Y.Text(FORGED_COMMENT));
		comment.set('createdBy', target.curatorId);
		doc.getArray('comments').push([comment]);
		doc.getMap('meta').set('status', 'completed');
		doc.getMap('completion').set('record', {
			reason: 'curator-initiative',
			date: '2026-09-21',
			note: FORGED_COMMENT,
			initiatedBy: target.curatorId,
			initiatorRole: 'curator'
		});
		for (const m of doc.getArray<Y.Map<unknown>>('changeRequests')) {
			if (m.get('id') !== target.changeId) continue;
			m.set('petitionedBy', target.curatorId);
			m.set('status', 'approved');
			m.set('decidedBy', target.curatorId);
			m.set('decidedAt', '2026-09-21');
			m.set('months', 24);
		}
	}, userOrigin(target.curatorId));
}

/** The same decisions in the decisions document's own layout. */
function forgeDecisions(doc: Y.Doc): void {
	doc.transact(() => {
		const d = decisionsRoot(doc);
		const v = new Y.Map<unknown>();
		v.set('status', 'accepted');
		v.set('reviewedAt', '2026-09-20');
		v.set('reviewedBy', target.curatorId);
		v.set('submission', null);
		v.set('curatorComment', new Y.Text(FORGED_COMMENT));
		d.reports.set(target.reportId, v);
		const comment = new Y.Map<unknown>();
		comment.set('id', 'forgedComment2');
		comment.set('targetId', target.activityId);
		comment.set('text', new Y.Text(FORGED_COMMENT));
		d.comments.push([comment]);
		d.program.set('approval', { by: target.curatorId, date: '2026-09-20' });
		d.program.set('completion', {
			reason: 'curator-initiative',
			date: '2026-09-21',
			note: FORGED_COMMENT,
			initiatedBy: target.curatorId,
			initiatorRole: 'curator'
		});
		d.changes.set(target.changeId, {
			petitionedBy: target.curatorId,
			status: 'approved',
			decidedBy: target.curatorId,
			decidedAt: '2026-09-21',
			months: 24
		});
	}, userOrigin(target.curatorId));
}

/** A forged update from a fresh document that claims `clientId` (e.g. the server's). */
function forgedUpdate(
	base: Uint8Array,
	forge: (doc: Y.Doc) => void,
	clientId?: number
): Uint8Array {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, base);
	if (clientId !== undefined) doc.clientID = clientId;
	const sv = Y.encodeStateVector(doc);
	forge(doc);
	const update = Y.encodeStateAsUpdate(doc, sv);
	doc.destroy();
	return update;
}

/** A raw y-protocols client with a session cookie (and the app's Origin, or a forged one). */
async function rawSend(
	docId: string,
	cookie: string,
	updates: Uint8Array[],
	origin = t.base
): Promise<number> {
	const ws = new WebSocket(`${t.wsBase}/sync/${docId}?device=raw`, {
		headers: { cookie, origin }
	});
	sockets.push(ws);
	ws.on('error', () => undefined);
	const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
	const opened = await new Promise<boolean>((resolve) => {
		ws.once('open', () => resolve(true));
		ws.once('close', () => resolve(false));
	});
	if (!opened) return closed;
	ws.send(encodeSyncStep1(new Uint8Array([0])));
	for (const u of updates) ws.send(encodeSyncUpdate(u));
	// Give the relay time to commit what it would commit, then leave.
	await new Promise((r) => setTimeout(r, 300));
	ws.close();
	return closed;
}

async function stored(docId: string): Promise<Y.Doc> {
	await t.server.relay.flush();
	const doc = new Y.Doc();
	Y.applyUpdate(doc, await t.server.relay.getDocument(docId));
	return doc;
}

async function curatorView(): Promise<ProgramView & { raw: Record<string, unknown> }> {
	const r = await api(t, 'GET', `/api/curator/programs/${p1}`, { cookie: cookies.curator1 });
	expect(r.status).toBe(200);
	return r.body.program as ProgramView & { raw: Record<string, unknown> };
}

/** What every reader must still show after the attacks: the honest state. */
async function expectHonest(): Promise<void> {
	const v = await curatorView();
	const rep = v.reports.find((r) => r.id === target.reportId);
	expect(rep?.status).toBe('submitted');
	expect(rep?.reviewedBy).toBeNull();
	expect(v.comments).toEqual([]);
	expect(v.completion).toBeNull();
	expect(v.meta.status).toBe('draft');
	const change = v.changeRequests.find((c) => c.id === target.changeId);
	expect(change?.status).toBe('requested');
	expect(change?.petitionedBy).toBeNull();
	// Nothing stored in the decisions document but its start mark.
	const dec = await stored(`${p1}/decisions`);
	const d = decisionsRoot(dec);
	expect(d.reports.size).toBe(0);
	expect(d.comments.length).toBe(0);
	expect(d.changes.size).toBe(0);
	expect([...d.program.keys()]).toEqual(['imported']);
	dec.destroy();
	// The dashboard (stored summary) and the program export.
	await t.server.relay.flushSummaries();
	const dash = await api(t, 'GET', `/api/curator/organizations/${w.org1}/dashboard`, {
		cookie: cookies.curator1
	});
	expect(dash.status).toBe(200);
	const row = (dash.body.rows as Array<Record<string, unknown>>).find((r) => r.programId === p1);
	expect(row?.status).toBe('draft');
	expect((row?.reports as Record<string, number>).accepted).toBe(0);
	expect((row?.reports as Record<string, number>).submitted).toBe(1);
	const docx = await fetch(`${t.base}/api/curator/programs/${p1}/document?format=docx`, {
		headers: { cookie: cookies.curator1 ?? '' }
	});
	expect(docx.status).toBe(200);
	expect(docxText(Buffer.from(await docx.arrayBuffer()))).not.toContain('Подделка');
}

/** The honest co-written part still syncs between the two participants' phones. */
async function expectCoWritingWorks(mark: string): Promise<void> {
	new ProgramEditor(honestMentor.doc, { userId: w.people.mentor1, role: 'mentor' }).setText(
		{ kind: 'diagnosis', field: 'goals' },
		mark
	);
	await waitFor(
		() => readProgram(honestMentee.doc).diagnosis.texts.goals.toString() === mark,
		`«${mark}» to reach the mentee`
	);
	const doc = await stored(p1);
	expect(readProgram(doc).diagnosis.texts.goals.toString()).toBe(mark);
	doc.destroy();
}

beforeAll(async () => {
	({ t, w } = await startWorld({ RELAY_SUMMARY_DEBOUNCE_MS: '20' }));
	p1 = w.programs.p1;
	for (const who of ['mentor1', 'mentee1', 'curator1', 'head1', 'curator1b'] as const)
		cookies[who] = (await signIn(t, w.people[who])).cookie;
	// The honest phones: mentor and mentee on the program.
	honestMentor = stock(w.people.mentor1, p1);
	honestMentee = stock(w.people.mentee1, p1);
	await Promise.all([synced(honestMentor), synced(honestMentee)]);
	const mentee = new ProgramEditor(honestMentee.doc, { userId: w.people.mentee1, role: 'mentee' });
	const view = readProgram(honestMentee.doc);
	const stage = view.stages[0]!;
	const reportId = mentee.startReport({ kind: 'stage', stageId: stage.id });
	mentee.setText({ kind: 'report', id: reportId, field: 'text' }, 'Этап пройден, результаты ниже.');
	mentee.submitReport(reportId, '2026-09-15');
	const changeId = mentee.requestChange({
		kind: 'extension',
		months: 3,
		reason: 'Болезнь наставляемого',
		date: '2026-09-15'
	});
	await waitFor(
		() => readProgram(honestMentor.doc).changeRequests.some((c) => c.id === changeId),
		'the request at the mentor'
	);
	new ProgramEditor(honestMentor.doc, { userId: w.people.mentor1, role: 'mentor' }).consentChange(
		changeId,
		'2026-09-16'
	);
	target = {
		reportId,
		changeId,
		activityId: view.activities[0]!.id,
		curatorId: w.people.curator1
	};
	await waitFor(async () => {
		const doc = await stored(p1);
		const ok = readProgram(doc).changeRequests.some((c) => Object.keys(c.consents).length === 2);
		doc.destroy();
		return ok;
	}, 'the honest state to be stored');
}, 90_000);

afterAll(async () => {
	for (const c of clients) c.destroy();
	for (const s of sockets) s.terminate();
	await t?.close();
});

describe('decisions are server-enforced', () => {
	const roles = [
		['mentee', 'mentee1'],
		['mentor', 'mentor1'],
		// A read-only person on the program's socket: the organization's head (ro over the relay).
		['read-only head of the organization', 'head1']
	] as const;

	for (const [label, who] of roles) {
		const access = who === 'head1' ? 'ro' : 'rw';
		it(`the ${label}: the stock y-websocket client online, into both documents`, async () => {
			const co = stock(w.people[who], p1, access);
			const dec = stock(w.people[who], `${p1}/decisions`, access);
			await Promise.all([synced(co), synced(dec)]);
			forgeCoWritten(co.doc);
			forgeDecisions(dec.doc);
			await expectCoWritingWorks(`цели ${who} онлайн`);
			if (access === 'rw') {
				// The forgery reached the relay and was stored in the co-written document (a
				// participant may write there): every reader ignores it.
				const doc = await stored(p1);
				expect(doc.getArray('comments').length).toBeGreaterThan(0);
				doc.destroy();
			}
			await expectHonest();
			co.destroy();
			dec.destroy();
		});

		it(`the ${label}: the stock client offline, then reconnecting`, async () => {
			const co = stock(w.people[who], p1, access);
			const dec = stock(w.people[who], `${p1}/decisions`, access);
			await Promise.all([synced(co), synced(dec)]);
			co.provider.disconnect();
			dec.provider.disconnect();
			forgeCoWritten(co.doc);
			forgeDecisions(dec.doc);
			co.provider.connect();
			dec.provider.connect();
			await Promise.all([synced(co), synced(dec)]);
			await expectCoWritingWorks(`цели ${who} после офлайна`);
			await expectHonest();
			co.destroy();
			dec.destroy();
		});

		it(`the ${label}: a raw y-protocols client with a forged Origin, origin and client id`, async () => {
			const coBase = await t.server.relay.getDocument(p1);
			const decBase = await t.server.relay.getDecisions(p1);
			// The server's own client id in the decisions document, and the curator's name.
			const decDoc = new Y.Doc();
			Y.applyUpdate(decDoc, decBase);
			const serverClient = [...Y.decodeStateVector(decBase).keys()][0] ?? 1;
			decDoc.destroy();
			// A forged Origin header is refused at the upgrade (cross-site websocket).
			expect(
				await rawSend(
					p1,
					cookies[who]!,
					[forgedUpdate(coBase, forgeCoWritten)],
					'https://evil.example'
				)
			).toBe(4401);
			// Under its own client id, then under one the server or a partner wrote with.
			const coClient = [...Y.decodeStateVector(coBase).keys()][0] ?? 1;
			await rawSend(p1, cookies[who]!, [
				forgedUpdate(coBase, forgeCoWritten),
				forgedUpdate(coBase, forgeCoWritten, coClient)
			]);
			await rawSend(`${p1}/decisions`, cookies[who]!, [
				forgedUpdate(decBase, forgeDecisions),
				forgedUpdate(decBase, forgeDecisions, serverClient)
			]);
			await expectCoWritingWorks(`цели ${who} сырой клиент`);
			await expectHonest();
		});
	}

	it('a curator of another organization cannot even open the decisions document', async () => {
		const code = await rawSend(`${p1}/decisions`, cookies.curator1b!, []);
		expect([4403, 4404]).toContain(code);
		await expectHonest();
	});

	it('a participant cannot block the curator by naming him a participant in the co-written document', async () => {
		// The co-written document is the participants' to write, so it cannot say who may decide:
		// the registry's participants do (server/identity/authority.ts, `decisionRefusal`).
		const phone = stock(w.people.mentee1, p1);
		await synced(phone);
		const editor = new ProgramEditor(phone.doc, { userId: w.people.mentee1, role: 'mentee' });
		const forged = editor.addParticipant({
			role: 'mentee',
			name: 'Куратор (вписан подопечным)',
			userId: w.people.curator1
		});
		await waitFor(async () => {
			const doc = await stored(p1);
			const listed = readProgram(doc).participants.some(
				(p) => p.userId === w.people.curator1 && p.role === 'mentee'
			);
			doc.destroy();
			return listed;
		}, 'the forged participant entry to be stored');
		const res = await api(t, 'POST', `/api/curator/programs/${p1}/actions`, {
			cookie: cookies.curator1,
			body: { action: 'comment-activity', activityId: target.activityId, text: 'Срок?' }
		});
		expect(res.status, JSON.stringify(res.body)).toBe(200);
		editor.removeParticipant(forged);
		phone.destroy();
	});

	it("the curator's decision through the HTTP action arrives at an open phone", async () => {
		const phone = stock(w.people.mentee1, p1);
		// The phone's decisions document through the PWA's own module (src/lib/sync/decisions-sync.ts).
		const phoneDecisions = { doc: new Y.Doc() };
		const decisionsSync = new DecisionsSync({
			programId: p1,
			doc: phoneDecisions.doc,
			serverUrl: `${t.wsBase}/sync`,
			deviceId: 'phone-mentee',
			token: token(w.people.mentee1, p1),
			WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket
		});
		decisionsSync.start();
		await synced(phone);
		await waitFor(() => decisionsSync.provider.synced, 'the decisions document on the phone');
		const view = () => readProgram(phone.doc, phoneDecisions.doc);
		expect(view().reports.find((r) => r.id === target.reportId)?.status).toBe('submitted');
		const res = await api(t, 'POST', `/api/curator/programs/${p1}/actions`, {
			cookie: cookies.curator1,
			body: { action: 'accept-report', reportId: target.reportId, comment: 'Хороший отчет' }
		});
		expect(res.status).toBe(200);
		await waitFor(
			() => view().reports.find((r) => r.id === target.reportId)?.status === 'accepted',
			'the verdict on the phone'
		);
		const rep = view().reports.find((r) => r.id === target.reportId)!;
		expect(rep.reviewedBy).toBe(w.people.curator1);
		expect(rep.curatorComment?.toString()).toBe('Хороший отчет');
		// Approval and an extension, decided by the curator, also reach the phone. A teacher's
		// program is approved by the order of the organization's head (Surgut 2022 §4.6): the
		// curator records it, signed by the head, and attaches it first.
		const order = await api(t, 'POST', '/api/orders', {
			cookie: cookies.curator1,
			body: {
				number: '41-о',
				issuedOn: '2026-09-02',
				kind: 'approve-programs',
				issuerId: w.people.head1,
				programIds: [p1]
			}
		});
		expect(order.status, JSON.stringify(order.body)).toBe(201);
		const attached = await api(
			t,
			'POST',
			`/api/orders/${(order.body.order as { id: string }).id}/attach`,
			{ cookie: cookies.curator1 }
		);
		expect(attached.status, JSON.stringify(attached.body)).toBe(200);
		for (const body of [
			{ action: 'approve-program' },
			{ action: 'petition-change', changeId: target.changeId },
			{ action: 'approve-change', changeId: target.changeId }
		]) {
			const r = await api(t, 'POST', `/api/curator/programs/${p1}/actions`, {
				cookie: cookies.curator1,
				body
			});
			expect(r.status, JSON.stringify(r.body)).toBe(200);
		}
		await waitFor(
			() =>
				view().changeRequests.find((c) => c.id === target.changeId)?.status === 'approved' &&
				view().meta.status === 'active',
			'approval and extension on the phone'
		);
		// The extension moved the program's end and the last stage's default deadlines.
		const before = readProgram(phone.doc);
		const after = view();
		const lastStage = after.stages[after.stages.length - 1]!;
		const lastActs = after.activities.filter((a) => a.stageId === lastStage.id);
		expect(lastActs.length).toBeGreaterThan(0);
		for (const a of lastActs) {
			const old = before.activities.find((x) => x.id === a.id)!;
			expect(a.deadline! > old.deadline!).toBe(true);
		}
		// The dashboard follows.
		await t.server.relay.flushSummaries();
		const dash = await api(t, 'GET', `/api/curator/organizations/${w.org1}/dashboard`, {
			cookie: cookies.curator1
		});
		const row = (dash.body.rows as Array<Record<string, unknown>>).find((r) => r.programId === p1);
		expect(row?.status).toBe('active');
		expect((row?.reports as Record<string, number>).accepted).toBe(1);
		// A phone's attempt to undo the verdict in the decisions document changes nothing.
		phoneDecisions.doc.transact(() =>
			decisionsRoot(phoneDecisions.doc).reports.delete(target.reportId)
		);
		await new Promise((r) => setTimeout(r, 300));
		const v = await curatorView();
		expect(v.reports.find((r) => r.id === target.reportId)?.status).toBe('accepted');
		decisionsSync.destroy();
		phoneDecisions.doc.destroy();
	});

	it('legacy documents: decision fields in the co-written document are migrated once and read', async () => {
		const curator = await t.server.identity.actorFor(w.people.curator1);
		const legacy = (
			await t.server.programs.createProgram(curator, {
				organizationId: w.org1,
				templateId: 'teacher-surgut',
				startDate: '2026-09-01',
				participants: [
					{ personId: w.people.mentor2, role: 'mentor' },
					{ personId: w.people.mentee2, role: 'mentee' }
				]
			})
		).id;
		// As before this change: no decisions document, decisions in the co-written one.
		await t.server.storage.sql.run('DELETE FROM programs WHERE id = ?', [`${legacy}/decisions`]);
		let reportId = '';
		let activityId = '';
		await t.server.relay.applyServerEdit(legacy, { userId: w.people.mentee2 }, (doc) => {
			const ed = new ProgramEditor(doc, { userId: w.people.mentee2, role: 'mentee' });
			const v = readProgram(doc);
			activityId = v.activities[0]!.id;
			reportId = ed.startReport({ kind: 'stage', stageId: v.stages[0]!.id });
			ed.submitReport(reportId, '2026-09-15');
		});
		await t.server.relay.applyServerEdit(legacy, { userId: w.people.curator1 }, (doc) => {
			// What the old app wrote for an accepted report, a comment and an approval.
			doc.getMap('meta').set('status', 'active');
			for (const m of doc.getArray<Y.Map<unknown>>('reports')) {
				m.set('status', 'accepted');
				m.set('reviewedAt', '2026-09-16');
				m.set('reviewedBy', w.people.curator1);
				(m.get('curatorComment') as Y.Text).insert(0, 'Принято без замечаний');
			}
			const c = new Y.Map<unknown>();
			c.set('id', 'legacyComment');
			c.set('targetId', activityId);
			c.set('text', new Y.Text('Старый комментарий'));
			doc.getArray('comments').push([c]);
		});
		const r = await api(t, 'GET', `/api/curator/programs/${legacy}`, { cookie: cookies.curator1 });
		expect(r.status).toBe(200);
		const v = r.body.program as ProgramView;
		expect(v.meta.status).toBe('active');
		const rep = v.reports.find((x) => x.id === reportId)!;
		expect(rep.status).toBe('accepted');
		expect(rep.reviewedBy).toBe(w.people.curator1);
		expect(rep.curatorComment as unknown).toBe('Принято без замечаний');
		expect(v.comments.map((c) => c.text as unknown)).toEqual(['Старый комментарий']);
		// Migrated into the stored decisions document (once: a forged legacy field written now is ignored).
		const dec = await stored(`${legacy}/decisions`);
		expect(decisionsRoot(dec).reports.size).toBe(1);
		dec.destroy();
		await t.server.relay.applyServerEdit(legacy, { userId: w.people.mentee2 }, (doc) => {
			const m = new Y.Map<unknown>();
			m.set('id', 'lateForgery');
			m.set('targetId', activityId);
			m.set('text', new Y.Text(FORGED_COMMENT));
			doc.getArray('comments').push([m]);
		});
		const again = await api(t, 'GET', `/api/curator/programs/${legacy}`, {
			cookie: cookies.curator1
		});
		expect((again.body.program as ProgramView).comments.length).toBe(1);
	});
});
