/**
 * The curator API on the real server: a program created by identity from the Tomsk template,
 * participants editing over the relay, the dashboard following them (progress, reports, device
 * sync health), curator actions reaching the participants live and attributed to the curator,
 * access rules, and every export read back.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgramEditor, readProgram, type ProgramView } from '../../src/lib/shared/program/index';
import { encodeDeviceStatus } from '../../src/lib/shared/protocol';
import type { DashboardResult, DashboardRow } from '../../server/curator/dashboard';
import { connectClient, synced, waitFor, type TestClient } from './relay-helpers';
import { startCuratorServer, type CuratorTestServer } from './curator-server';
import { docxText, pdfPageCount } from './curator-fixtures';
import { metricsHeaders } from '../support/test-server';

let t: CuratorTestServer;
let programId: string;
let mentor: { id: string; cookie: string };
let mentee: { id: string; cookie: string };
let menteeClient: TestClient;
let mentorClient: TestClient;

type Dash = DashboardResult & { scope: { name: string } };

async function dashboard(query = '', cookie = t.curatorCookie): Promise<Dash> {
	const res = await t.get(
		`/api/curator/organizations/${t.organizationId}/dashboard${query}`,
		cookie
	);
	expect(res.status).toBe(200);
	return (await res.json()) as Dash;
}

async function rowWhen(
	pred: (r: DashboardRow) => boolean,
	what: string,
	ofProgram = programId
): Promise<DashboardRow> {
	let last: DashboardRow | undefined;
	let summaries = '';
	return waitFor(
		async () => {
			const d = await dashboard();
			last = d.rows.find((x) => x.programId === ofProgram);
			if (last && pred(last)) return last;
			summaries = await summarizerState();
			return null;
		},
		{
			// What the summarizer was doing, so a failure tells waiting (due, resting) from lost.
			what: () =>
				`the dashboard to show ${what}: ${JSON.stringify(last)}\nsummarizer: ${summaries}`,
			timeout: 15_000,
			interval: 50
		}
	);
}

/** The relay's summary metrics and the server's log lines about summaries (a failure's diagnosis). */
async function summarizerState(): Promise<string> {
	const res = await fetch(`${t.base}/metrics`, { headers: metricsHeaders });
	const metrics = (await res.text()).split('\n').filter((l) => l.startsWith('relay_summar'));
	const logs = t
		.logs()
		.split('\n')
		.filter((l) => /summar/i.test(l));
	return [...metrics, ...logs.slice(-5)].join('\n');
}

/** Each phone also holds the program's decisions document, read-only (/sync/<id>/decisions). */
const decisionsOf = new Map<TestClient, TestClient>();
const view = (c: TestClient): ProgramView => readProgram(c.doc, decisionsOf.get(c)?.doc ?? null);

beforeAll(async () => {
	t = await startCuratorServer({ RELAY_SUMMARY_DEBOUNCE_MS: '20', RELAY_FACTS_FLUSH_MS: '20' });
	mentor = await t.person('Иванова Мария Петровна', null);
	mentee = await t.person('Петров Сергей Иванович', null);
	const start = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
	const program = await t.server.programs.createProgram(t.curatorActor, {
		organizationId: t.organizationId,
		templateId: 'tomsk-heads-beginner',
		startDate: start,
		participants: [
			{ personId: mentor.id, role: 'mentor' },
			{ personId: mentee.id, role: 'mentee' }
		]
	});
	programId = program.id;
}, 60_000);

afterAll(async () => {
	for (const d of decisionsOf.values()) d.destroy();
	menteeClient?.destroy();
	mentorClient?.destroy();
	await t?.close();
});

describe('curator API', () => {
	it('the program page: the decisions this viewer may take, and the sync health alone', async () => {
		const page = await t.get(`/api/curator/programs/${programId}`, t.curatorCookie);
		expect(page.status).toBe(200);
		const body = (await page.json()) as { decisions: string[]; row: unknown };
		// The organization's curator of a head's program (Tomsk template): every decision but the
		// extension's, which is the department head's (server/identity/authority.ts).
		expect(body.decisions.sort()).toEqual(
			[
				'approve-program',
				'comment',
				'complete',
				'petition-change',
				'review-report',
				'set-form'
			].sort()
		);
		const row = await t.get(`/api/curator/programs/${programId}/row`, t.curatorCookie);
		expect(row.status).toBe(200);
		expect(((await row.json()) as { row: { programId: string } }).row.programId).toBe(programId);
		// As the program itself: nobody outside reads it.
		expect((await t.get(`/api/curator/programs/${programId}/row`)).status).toBe(401);
	});

	it('refuses anonymous requests and other scopes', async () => {
		expect((await t.get(`/api/curator/organizations/${t.organizationId}/dashboard`)).status).toBe(
			401
		);
		const other = await t.identity.createOrganization(
			t.admin,
			t.municipalityId,
			'МАОУ гимназия № 2'
		);
		const stranger = await t.person('Куратор Другой Школы', 'curator', other.id);
		const res = await t.get(
			`/api/curator/organizations/${t.organizationId}/dashboard`,
			stranger.cookie
		);
		expect([403, 404]).toContain(res.status);
		expect((await t.get(`/api/curator/programs/${programId}`, stranger.cookie)).status).toBe(404);
		// A mentee is not a curator.
		expect(
			(await t.get(`/api/curator/organizations/${t.organizationId}/dashboard`, mentee.cookie))
				.status
		).toBe(403);
		expect(
			(
				await t.post(
					`/api/curator/programs/${programId}/actions`,
					{ action: 'comment-activity', activityId: 'x', text: 'y' },
					mentee.cookie
				)
			).status
		).toBe(403);
	});

	it('shows a program created from the Tomsk template, nobody seen yet', async () => {
		const d = await dashboard();
		expect(d.scope.name).toBe('МАОУ СОШ № 1 г. Томска');
		expect(d.total).toBe(1);
		const r = d.rows[0] as DashboardRow;
		expect(r.templateId).toBe('tomsk-heads-beginner');
		expect(r.progress.done).toBe(0);
		expect(r.progress.total).toBeGreaterThan(10);
		expect(r.stage).toMatchObject({ phase: 'in-progress', index: 1, kind: 'consultative' });
		expect(r.overdue).toBeGreaterThan(0);
		expect(r.reports.due).toBe(1);
		// Both signed in a moment ago (curator-server.ts) and never connected: «ещё не подключался»,
		// not «давно не на связи» — the clock starts when the invitation is opened.
		expect(r.participants.filter((p) => p.role !== 'curator').map((p) => p.sync)).toEqual([
			'never',
			'never'
		]);
		expect(r.flags).toEqual(expect.arrayContaining(['overdue', 'reports-due']));
		expect(r.flags).not.toContain('stale');
		expect(r.flags).not.toContain('not-opened');
	});

	it('follows the participants: progress, pending changes of a device, then in sync', async () => {
		menteeClient = connectClient(t.wsBase, programId, t.token(mentee.id, programId), {
			params: { device: 'phone-mentee' }
		});
		mentorClient = connectClient(t.wsBase, programId, t.token(mentor.id, programId), {
			params: { device: 'phone-mentor' }
		});
		for (const [c, who] of [
			[menteeClient, mentee.id],
			[mentorClient, mentor.id]
		] as const)
			decisionsOf.set(
				c,
				connectClient(t.wsBase, `${programId}/decisions`, t.token(who, programId))
			);
		await synced(menteeClient);
		await synced(mentorClient);
		for (const d of decisionsOf.values()) await synced(d);
		const ed = new ProgramEditor(menteeClient.doc, { userId: mentee.id, role: 'mentee' });
		const first = view(menteeClient).activities[0];
		if (!first) throw new Error('no activities');
		ed.completeActivity(first.id, new Date().toISOString().slice(0, 10));
		const r1 = await rowWhen((r) => r.progress.done === 1, 'one activity done');
		const m1 = r1.participants.find((p) => p.userId === mentee.id);
		expect(m1?.lastEditAt).not.toBeNull();
		expect(m1?.devices.map((d) => d.deviceId)).toEqual(['phone-mentee']);

		// The mentee's phone reports 2 changes not yet on the server (e.g. before going offline).
		menteeClient.provider.ws?.send(encodeDeviceStatus({ deviceId: 'phone-mentee', pending: 2 }));
		const r2 = await rowWhen((r) => r.flags.includes('pending-sync'), 'pending changes');
		expect(r2.participants.find((p) => p.userId === mentee.id)?.sync).toBe('pending');
		expect((await dashboard('?flags=pending-sync')).total).toBe(1);
		menteeClient.provider.ws?.send(encodeDeviceStatus({ deviceId: 'phone-mentee', pending: 0 }));
		const r3 = await rowWhen((r) => !r.flags.includes('pending-sync'), 'in sync again');
		expect(r3.participants.find((p) => p.userId === mentee.id)?.sync).toBe('in-sync');
		expect(r3.flags).not.toContain('stale');
	});

	it('accepts and returns stage reports through the relay; participants see it live, attributed to the curator', async () => {
		const v = view(menteeClient);
		const stage1 = v.stages[0];
		if (!stage1) throw new Error('no stage');
		const ed = new ProgramEditor(menteeClient.doc, { userId: mentee.id, role: 'mentee' });
		const reportId = ed.startReport({ kind: 'stage', stageId: stage1.id });
		ed.setText(
			{ kind: 'report', id: reportId, field: 'text' },
			'Информационная справка: диагностика проведена.'
		);
		ed.submitReport(reportId);
		await rowWhen((r) => r.reports.submitted === 1, 'a submitted report');

		// Returning needs a comment; a bad id is a 404.
		expect(
			(
				await t.post(
					`/api/curator/programs/${programId}/actions`,
					{ action: 'return-report', reportId },
					t.curatorCookie
				)
			).status
		).toBe(400);
		expect(
			(
				await t.post(
					`/api/curator/programs/${programId}/actions`,
					{ action: 'accept-report', reportId: 'nope' },
					t.curatorCookie
				)
			).status
		).toBe(404);

		const ret = await t.post(
			`/api/curator/programs/${programId}/actions`,
			{ action: 'return-report', reportId, comment: 'Добавьте результаты диагностики' },
			t.curatorCookie
		);
		expect(ret.status).toBe(200);
		await waitFor(
			() => view(mentorClient).reports.find((x) => x.id === reportId)?.status === 'returned',
			'the mentor to see the return'
		);
		const returned = view(mentorClient).reports.find((x) => x.id === reportId);
		expect(returned?.reviewedBy).toBe(t.curatorActor.personId);
		expect(returned?.curatorComment?.toString()).toBe('Добавьте результаты диагностики');
		await rowWhen(
			(r) => r.reports.returned === 1 && r.flags.includes('reports-returned'),
			'a returned report'
		);

		ed.submitReport(reportId);
		await rowWhen((r) => r.reports.submitted === 1, 'resubmitted');
		const acc = await t.post(
			`/api/curator/programs/${programId}/actions`,
			{ action: 'accept-report', reportId, comment: 'Принято' },
			t.curatorCookie
		);
		expect(acc.status).toBe(200);
		await waitFor(
			() => view(menteeClient).reports.find((x) => x.id === reportId)?.status === 'accepted',
			'the mentee to see the acceptance'
		);
		const accepted = view(menteeClient).reports.find((x) => x.id === reportId);
		expect(accepted?.reviewedBy).toBe(t.curatorActor.personId);
		const curatorParticipant = view(menteeClient).participants.find(
			(p) => p.userId === t.curatorActor.personId
		);
		expect(curatorParticipant?.name).toBe('Сидорова Анна Викторовна');
		const r = await rowWhen((x) => x.reports.accepted === 1, 'an accepted report');
		expect(r.reports.due).toBe(0);

		// Accepting again is refused by the program's rules, in Russian.
		const again = await t.post(
			`/api/curator/programs/${programId}/actions`,
			{ action: 'accept-report', reportId },
			t.curatorCookie
		);
		expect(again.status).toBe(409);
		expect(((await again.json()) as { message: string }).message).toBe(
			'Отчет еще не представлен на проверку.'
		);
	});

	it('comments an activity; the comment reaches the phones', async () => {
		const act = view(menteeClient).activities[1];
		if (!act) throw new Error('no activity');
		const res = await t.post(
			`/api/curator/programs/${programId}/actions`,
			{ action: 'comment-activity', activityId: act.id, text: 'Приложите протокол встречи' },
			t.curatorCookie
		);
		expect(res.status).toBe(200);
		const { id } = (await res.json()) as { id: string };
		await waitFor(() => view(mentorClient).comments.some((c) => c.id === id), 'the comment');
		const c = view(mentorClient).comments.find((x) => x.id === id);
		expect(c?.targetId).toBe(act.id);
		expect(c?.createdBy).toBe(t.curatorActor.personId);
		expect(c?.text?.toString()).toBe('Приложите протокол встречи');
	});

	it('sets the form, types and category chosen when forming the pair (the template gives defaults)', async () => {
		const bad = await t.post(
			`/api/curator/programs/${programId}/actions`,
			{ action: 'set-form', form: 'no-such-form' },
			t.curatorCookie
		);
		expect(bad.status).toBe(400);
		const res = await t.post(
			`/api/curator/programs/${programId}/actions`,
			{
				action: 'set-form',
				types: ['traditional', 'situational'],
				menteeCategory: 'head-beginner'
			},
			t.curatorCookie
		);
		expect(res.status).toBe(200);
		await waitFor(
			() => view(mentorClient).meta.types.includes('situational'),
			'the types on the phone'
		);
		const r = await rowWhen((x) => x.types.includes('situational'), 'the types on the dashboard');
		expect(r.category).toBe('head-beginner');
		expect((await dashboard('?type=situational')).total).toBe(1);
		expect((await dashboard('?type=group')).total).toBe(0);
	});

	it('approves a draft program: «проект» becomes «реализуется» on the phones and the dashboard', async () => {
		expect(view(mentorClient).meta.status).toBe('draft');
		// A head's program is approved by the department head's order (Tomsk 2024 §3.2): not without it.
		const early = await t.post(
			`/api/curator/programs/${programId}/actions`,
			{ action: 'approve-program' },
			t.curatorCookie
		);
		expect(early.status).toBe(409);
		expect(((await early.json()) as { error: string }).error).toBe('order_required');
		const depHead = await t.identity.createPerson(
			t.admin,
			{ municipalityId: t.municipalityId },
			{ fullName: 'Начальникова Ирина Петровна', position: 'начальник департамента' }
		);
		await t.identity.assignRole(t.admin, depHead.id, 'department-head', {
			municipalityId: t.municipalityId
		});
		const depActor = await t.identity.actorFor(depHead.id);
		const orders = t.server.programs.orders;
		if (!orders) throw new Error('orders are not wired');
		const order = await orders.createOrder(depActor, {
			number: '12-п',
			issuedOn: '2026-09-01',
			kind: 'approve-programs',
			issuerId: depHead.id,
			programIds: [programId]
		});
		await orders.attachOrder(depActor, order.id);
		// …and on the mentor's written consent to the duties (Tomsk 2024 §3.4).
		const noConsent = await t.post(
			`/api/curator/programs/${programId}/actions`,
			{ action: 'approve-program' },
			t.curatorCookie
		);
		expect(((await noConsent.json()) as { error: string }).error).toBe('mentor_consent_required');
		await t.identity.recordConsent(t.admin, mentor.id, {
			kind: 'mentor-duties',
			givenOn: '2026-09-01'
		});
		const res = await t.post(
			`/api/curator/programs/${programId}/actions`,
			{ action: 'approve-program' },
			t.curatorCookie
		);
		expect(res.status).toBe(200);
		await waitFor(() => view(mentorClient).meta.status === 'active', 'the status on the phone');
		await rowWhen((x) => x.status === 'active', 'the status on the dashboard');
		const again = await t.post(
			`/api/curator/programs/${programId}/actions`,
			{ action: 'approve-program' },
			t.curatorCookie
		);
		expect(again.status).toBe(409);
		expect(((await again.json()) as { message: string }).message).toBe('Программа уже утверждена.');
	});

	it('the read-only program view carries the live document and the sync row', async () => {
		const res = await t.get(`/api/curator/programs/${programId}`, t.curatorCookie);
		expect(res.status).toBe(200);
		const body = (await res.json()) as {
			program: { meta: { title: string }; activities: unknown[] };
			row: DashboardRow;
			organizationName: string;
		};
		expect(body.program.meta.title).toBe(
			'Наставничество начинающих руководителей организаций на территории г. Томска'
		);
		expect(body.program.activities.length).toBe(view(menteeClient).activities.length);
		expect(body.row.programId).toBe(programId);
		expect(body.organizationName).toBe('МАОУ СОШ № 1 г. Томска');
	});

	it('exports: the program (DOCX, PDF), the stage справка, registries and monitoring (XLSX), the аналитическая справка', async () => {
		const docx = await t.get(
			`/api/curator/programs/${programId}/document?format=docx`,
			t.curatorCookie
		);
		expect(docx.status).toBe(200);
		expect(docx.headers.get('content-type')).toContain('wordprocessingml');
		const text = docxText(Buffer.from(await docx.arrayBuffer()));
		expect(text).toContain('Персонализированная программа наставничества');
		expect(text).toContain('УТВЕРЖДАЮ');
		expect(text).toContain('1. Профессиональные затруднения (дефициты) наставляемого');
		expect(text).toContain('6. План мероприятий (дорожная карта)');
		expect(text).toContain('1 ЭТАП. ОРГАНИЗАЦИОННЫЙ');
		expect(text).toContain(
			'Диагностика затруднений в деятельности вновь назначенных руководителей ОУ'
		);
		expect(text).toContain('Иванова Мария Петровна');
		expect(text).toMatch(/выполнено \d\d\.\d\d\.\d{4}/);
		expect(text).toContain('Выполнено мероприятий: 1 из');

		const pdf = await t.get(
			`/api/curator/programs/${programId}/document?format=pdf`,
			t.curatorCookie
		);
		const pdfBuf = Buffer.from(await pdf.arrayBuffer());
		expect(pdfBuf.subarray(0, 5).toString()).toBe('%PDF-');
		expect(pdfPageCount(pdfBuf)).toBeGreaterThanOrEqual(2);

		const stage1 = view(menteeClient).stages[0];
		const note = await t.get(
			`/api/curator/programs/${programId}/stages/${stage1?.id}/note?format=docx`,
			t.curatorCookie
		);
		const noteText = docxText(Buffer.from(await note.arrayBuffer()));
		expect(noteText).toContain('Информационная справка');
		expect(noteText).toContain('по итогам 1 этапа «Организационный»');
		expect(noteText).toContain('Информационная справка: диагностика проведена.');
		expect(noteText).toContain('принят');

		const reg = await t.get(
			`/api/curator/organizations/${t.organizationId}/exports/registries.xlsx`,
			t.curatorCookie
		);
		expect(reg.status).toBe(200);
		const wb = new ExcelJS.Workbook();
		await wb.xlsx.load(await reg.arrayBuffer());
		const mentors = wb.getWorksheet('Реестр наставников');
		expect(mentors?.getRow(3).getCell(2).value).toBe('Иванова Мария Петровна');
		expect(String(mentors?.getRow(3).getCell(12).value)).toContain(
			'Наставничество начинающих руководителей'
		);
		expect(wb.getWorksheet('Реестр наставляемых')?.getRow(3).getCell(2).value).toBe(
			'Петров Сергей Иванович'
		);
		expect(wb.getWorksheet('Реестр программ')?.rowCount).toBe(3);

		const mon = await t.get(
			`/api/curator/organizations/${t.organizationId}/exports/monitoring.xlsx`,
			t.curatorCookie
		);
		const wb2 = new ExcelJS.Workbook();
		await wb2.xlsx.load(await mon.arrayBuffer());
		const row = wb2.getWorksheet('Мониторинг программ')?.getRow(3);
		expect(row?.getCell(14).value).toBe(1);
		expect(row?.getCell(22).value).toBe(1);

		const an = await t.get(
			`/api/curator/organizations/${t.organizationId}/exports/note?kind=analytic-note&from=2025-01-01&to=2026-12-31`,
			t.curatorCookie
		);
		const anText = docxText(Buffer.from(await an.arrayBuffer()));
		expect(anText).toContain('Аналитическая справка');
		expect(anText).toContain('Отчетов по этапам принято\n1');
		const anPdf = await t.get(
			`/api/curator/organizations/${t.organizationId}/exports/note?kind=info-note&format=pdf`,
			t.curatorCookie
		);
		expect(
			Buffer.from(await anPdf.arrayBuffer())
				.subarray(0, 5)
				.toString()
		).toBe('%PDF-');
	});

	it('the municipal coordinator sees aggregates, figures and the calendar, not program texts', async () => {
		const coord = await t.person('Координатор ГИМЦ', 'coordinator');
		const res = await t.get(
			`/api/curator/municipalities/${t.municipalityId}/dashboard`,
			coord.cookie
		);
		expect(res.status).toBe(200);
		const d = (await res.json()) as Dash & {
			organizations: Array<{ name: string; programs: number }>;
		};
		expect(d.total).toBe(1);
		expect(d.organizations.find((o) => o.name === 'МАОУ СОШ № 1 г. Томска')?.programs).toBe(1);
		expect((await t.get(`/api/curator/programs/${programId}`, coord.cookie)).status).toBe(403);
		const fig = await t.get(
			`/api/curator/municipalities/${t.municipalityId}/figures`,
			coord.cookie
		);
		expect(
			((await fig.json()) as { figures: { participants: { mentees: number } } }).figures
				.participants.mentees
		).toBe(1);
		const cal = await t.get(
			`/api/curator/municipalities/${t.municipalityId}/calendar?year=2026`,
			coord.cookie
		);
		expect(((await cal.json()) as { events: unknown[] }).events.length).toBe(15);
		const rep = await t.get(
			`/api/curator/municipalities/${t.municipalityId}/exports/note?kind=analytic-report`,
			coord.cookie
		);
		expect(docxText(Buffer.from(await rep.arrayBuffer()))).toContain('Аналитический отчет');
	});

	it('completes the program with a reason and registers it as a successful practice', async () => {
		const today = new Date().toISOString().slice(0, 10);
		const early = await t.post(
			`/api/curator/programs/${programId}/case`,
			{ description: 'x', consentMentor: true, consentMentee: true },
			t.curatorCookie
		);
		expect(early.status).toBe(409);
		// Only a program whose plan is done in full is a successful practice (the refusals:
		// tests/integration/registries.test.ts): the mentee marks the rest of the plan done.
		await t.server.relay.applyServerEdit(programId, { userId: mentee.id, role: 'mentee' }, (d) => {
			const ed = new ProgramEditor(d, { userId: mentee.id, role: 'mentee' });
			for (const a of readProgram(d).activities)
				if (a.status !== 'done') ed.completeActivity(a.id, today);
		});
		const res = await t.post(
			`/api/curator/programs/${programId}/actions`,
			{
				action: 'complete',
				reason: 'plan-completed',
				date: today,
				note: 'Тестовое завершение'
			},
			t.curatorCookie
		);
		expect(res.status).toBe(200);
		await waitFor(
			() => view(menteeClient).completion?.reason === 'plan-completed',
			'completion on the phone'
		);
		expect(view(menteeClient).completion?.initiatedBy).toBe(t.curatorActor.personId);
		await rowWhen((r) => r.status === 'completed', 'completed');

		const noConsent = await t.post(
			`/api/curator/programs/${programId}/case`,
			{ description: 'Удачная диагностика', consentMentor: true, consentMentee: false },
			t.curatorCookie
		);
		expect(noConsent.status).toBe(409);
		const ok = await t.post(
			`/api/curator/programs/${programId}/case`,
			{
				description: 'Удачная диагностика затруднений',
				tags: ['диагностика'],
				consentMentor: true,
				consentMentee: true
			},
			t.curatorCookie
		);
		expect(ok.status).toBe(201);
		const { case: c } = (await ok.json()) as {
			case: { id: string; template: { stages: Array<{ activities: unknown[] }> } };
		};
		expect(c.template.stages.length).toBe(4);
		const found = await t.get(
			`/api/curator/cases?q=${encodeURIComponent('ДИАГНОСТИКА')}`,
			t.curatorCookie
		);
		expect(
			((await found.json()) as { cases: Array<{ id: string }> }).cases.map((x) => x.id)
		).toEqual([c.id]);
		const none = await t.get(
			`/api/curator/cases?q=${encodeURIComponent('астрономия')}`,
			t.curatorCookie
		);
		expect(((await none.json()) as { cases: unknown[] }).cases).toEqual([]);

		// The practice is reusable: a new pair gets its plan as their program.
		const reuse = await t.post(
			`/api/curator/cases/${c.id}/programs`,
			{
				organizationId: t.organizationId,
				title: 'Программа по практике',
				participants: [
					{ personId: mentor.id, role: 'mentor' },
					{ personId: mentee.id, role: 'mentee' }
				]
			},
			t.curatorCookie
		);
		expect(reuse.status).toBe(201);
		const { program: copy } = (await reuse.json()) as { program: { id: string; title: string } };
		expect(copy.title).toBe('Программа по практике');
		const copied = await rowWhen(() => true, 'the program made from the practice', copy.id);
		const planned = c.template.stages.reduce((n, st) => n + st.activities.length, 0);
		expect(copied.progress.total).toBe(planned);
		expect(copied.progress.done).toBe(0);

		const foreign = await t.post(
			`/api/curator/cases/no-such-case/programs`,
			{ organizationId: t.organizationId, participants: [{ personId: mentor.id, role: 'mentor' }] },
			t.curatorCookie
		);
		expect(foreign.status).toBe(404);
	});

	it('imports the bank from a table: the dry run lists the wrong rows in Russian, the import adds the rest', async () => {
		const csv = [
			'ФИО;Роль;Должность;Стаж',
			'Сидорова Анна Павловна;наставник;учитель математики;12',
			';наставляемый;учитель;1',
			'Кузнецов Илья Олегович;наставляемый;учитель физики;2'
		].join('\n');
		const body = {
			fileName: 'банк.csv',
			content: Buffer.from(csv, 'utf8').toString('base64')
		};
		const url = `/api/organizations/${t.organizationId}/import`;
		const dry = await t.post(url, { ...body, dryRun: true }, t.curatorCookie);
		expect(dry.status).toBe(200);
		const dryJson = (await dry.json()) as {
			report: { total: number; errors: { line: number }[]; applied: boolean };
			messages: string[];
		};
		expect(dryJson.report).toMatchObject({ total: 3, applied: false });
		expect(dryJson.report.errors.map((e) => e.line)).toEqual([3]);
		expect(dryJson.messages.join('\n')).toMatch(/^Строка 3: /);

		const real = await t.post(url, body, t.curatorCookie);
		const realJson = (await real.json()) as {
			report: { applied: boolean; adds: { people: number } };
		};
		expect(realJson.report).toMatchObject({ applied: true, adds: { people: 2 } });
		const people = (await (
			await t.get(`/api/organizations/${t.organizationId}/people`, t.curatorCookie)
		).json()) as { people: { fullName: string }[] };
		expect(people.people.map((p) => p.fullName)).toEqual(
			expect.arrayContaining(['Сидорова Анна Павловна', 'Кузнецов Илья Олегович'])
		);

		const notATable = await t.post(
			url,
			{ fileName: 'фото.jpg', content: Buffer.from('x').toString('base64') },
			t.curatorCookie
		);
		expect(notATable.status).toBe(400);
		expect(((await notATable.json()) as { message: string }).message).toBe(
			'Поддерживаются файлы .csv и .xlsx'
		);
	});
});
