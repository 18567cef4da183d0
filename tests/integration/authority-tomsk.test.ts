import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ProgramEditor, programEndDate, readProgram } from '../../src/lib/shared/program/index';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import { docxText } from './curator-fixtures';
import { api, signIn, startTestServer, type TestServer } from './identity-fixture';

/**
 * Head mentoring as Tomsk 2024 prescribes it (§§1.2.4, 3.2, 3.4, 7.2), over the real server:
 * the department's curator forms a pair of heads from two schools, the head of the department
 * approves it by order (generated as DOCX from the live records, signed, attached), the mentor
 * consents in writing to the duties for two years; nobody decides about their own program, and an
 * extension of a head's program is decided only by the head of the department.
 */
describe('authority: head mentoring in Tomsk', () => {
	let t: TestServer;
	const ids = {} as Record<
		| 'mun'
		| 'schoolA'
		| 'schoolB'
		| 'mentorHead'
		| 'menteeHead'
		| 'schoolCurator'
		| 'depCurator'
		| 'depHead'
		| 'program'
		| 'order',
		string
	>;
	const cookies = {} as Record<
		'mentorHead' | 'menteeHead' | 'schoolCurator' | 'depCurator' | 'depHead',
		string
	>;
	/** The program as a phone holding both documents sees it (verdicts live in the decisions one). */
	const docOf = async (programId: string) => {
		const doc = new Y.Doc();
		Y.applyUpdate(doc, await t.server.relay.getDocument(programId));
		const decisions = new Y.Doc();
		Y.applyUpdate(decisions, await t.server.relay.getDecisions(programId));
		return readProgram(doc, decisions);
	};
	const act = (who: keyof typeof cookies, body: unknown) =>
		api(t, 'POST', `/api/curator/programs/${ids.program}/actions`, { cookie: cookies[who], body });
	/** A participant's own edit, as their phone would send it (the relay's server edit as them). */
	const asParticipant = (
		userId: string,
		role: 'mentor' | 'mentee',
		edit: (e: ProgramEditor) => void
	) =>
		t.server.relay.applyServerEdit(ids.program, { userId, role }, (doc) =>
			edit(new ProgramEditor(doc, { userId, role }))
		);

	beforeAll(async () => {
		t = await startTestServer();
		const id = t.server.identity;
		const sys = SYSTEM_ACTOR;
		ids.mun = (await id.createMunicipality(sys, 'Город Томск')).id;
		ids.schoolA = (await id.createOrganization(sys, ids.mun, 'МАОУ СОШ № 40 г. Томска')).id;
		ids.schoolB = (await id.createOrganization(sys, ids.mun, 'МАОУ СОШ № 7 г. Томска')).id;
		const person = async (
			scope: { organizationId: string } | { municipalityId: string },
			fullName: string,
			position: string,
			role: 'head' | 'curator' | 'municipal-curator' | 'department-head'
		) => {
			const p = await id.createPerson(sys, scope, { fullName, position, birthDate: '1975-03-01' });
			await id.assignRole(sys, p.id, role, scope);
			return p.id;
		};
		ids.mentorHead = await person(
			{ organizationId: ids.schoolA },
			'Громова Наталья Сергеевна',
			'директор',
			'head'
		);
		ids.menteeHead = await person(
			{ organizationId: ids.schoolB },
			'Белов Артём Викторович',
			'директор',
			'head'
		);
		ids.schoolCurator = await person(
			{ organizationId: ids.schoolB },
			'Ершова Ольга Ильинична',
			'заместитель директора',
			'curator'
		);
		ids.depCurator = await person(
			{ municipalityId: ids.mun },
			'Кравцова Марина Андреевна',
			'главный специалист департамента образования',
			'municipal-curator'
		);
		ids.depHead = await person(
			{ municipalityId: ids.mun },
			'Соболев Игорь Павлович',
			'начальник департамента образования',
			'department-head'
		);
		for (const k of ['mentorHead', 'menteeHead', 'schoolCurator', 'depCurator', 'depHead'] as const)
			cookies[k] = (await signIn(t, ids[k])).cookie;
	});

	afterAll(async () => {
		await t?.close();
	});

	it('the department curator forms a pair of heads from two schools (the mentor heads another school)', async () => {
		const r = await api(t, 'POST', '/api/programs', {
			cookie: cookies.depCurator,
			body: {
				organizationId: ids.schoolB,
				templateId: 'tomsk-heads-beginner',
				startDate: '2026-09-01',
				participants: [
					{ personId: ids.mentorHead, role: 'mentor' },
					{ personId: ids.menteeHead, role: 'mentee' }
				]
			}
		});
		expect(r.status, JSON.stringify(r.body)).toBe(201);
		ids.program = (r.body.program as { id: string }).id;
		const view = await docOf(ids.program);
		expect(view.participants.map((p) => [p.role, p.userId])).toEqual(
			expect.arrayContaining([
				['mentor', ids.mentorHead],
				['mentee', ids.menteeHead]
			])
		);
		// The school's own curator may also take a head of another school as mentor.
		const other = await t.server.identity.createPerson(
			SYSTEM_ACTOR,
			{ organizationId: ids.schoolB },
			{ fullName: 'Зайцева Вера Олеговна', position: 'заместитель директора' }
		);
		const bySchool = await api(t, 'POST', '/api/programs', {
			cookie: cookies.schoolCurator,
			body: {
				organizationId: ids.schoolB,
				templateId: 'tomsk-heads-reserve',
				participants: [
					{ personId: ids.mentorHead, role: 'mentor' },
					{ personId: other.id, role: 'mentee' }
				]
			}
		});
		expect(bySchool.status, JSON.stringify(bySchool.body)).toBe(201);
		// Both see it in their lists; the department head too.
		for (const who of ['depCurator', 'depHead', 'menteeHead', 'mentorHead'] as const) {
			const mine = await api(t, 'GET', '/api/programs', { cookie: cookies[who] });
			const list = mine.body.programs as Array<{ id: string }>;
			expect(
				list.some((p) => p.id === ids.program),
				who
			).toBe(true);
		}
	});

	it('the program is not approved without the order; the order is signed only by the department head', async () => {
		const early = await act('depCurator', { action: 'approve-program' });
		expect(early.status).toBe(409);
		expect(early.body.error).toBe('order_required');
		const wrongIssuer = await api(t, 'POST', '/api/orders', {
			cookie: cookies.depCurator,
			body: {
				number: '15-н',
				issuedOn: '2026-09-01',
				kind: 'approve-programs',
				issuerId: ids.mentorHead,
				programIds: [ids.program]
			}
		});
		expect(wrongIssuer.status).toBe(400);
		// The school curator cannot record the department's order about a head's program.
		const bySchool = await api(t, 'POST', '/api/orders', {
			cookie: cookies.schoolCurator,
			body: {
				number: '15-н',
				issuedOn: '2026-09-01',
				kind: 'approve-programs',
				issuerId: ids.depHead,
				programIds: [ids.program]
			}
		});
		expect(bySchool.status).toBe(403);
	});

	it('the order is generated as DOCX from the live data and attached', async () => {
		const r = await api(t, 'POST', '/api/orders', {
			cookie: cookies.depCurator,
			body: {
				number: '15-н',
				issuedOn: '2026-09-01',
				kind: 'approve-programs',
				issuerId: ids.depHead,
				programIds: [ids.program]
			}
		});
		expect(r.status, JSON.stringify(r.body)).toBe(201);
		const order = r.body.order as { id: string; attachedAt: number | null; organizationId: null };
		ids.order = order.id;
		expect(order.attachedAt).toBeNull();
		expect(order.organizationId).toBeNull();
		const file = await fetch(`${t.base}/api/orders/${ids.order}/docx`, {
			headers: { cookie: cookies.depCurator }
		});
		expect(file.status).toBe(200);
		expect(file.headers.get('content-type')).toContain('wordprocessingml');
		const text = docxText(Buffer.from(await file.arrayBuffer()));
		for (const s of [
			'ПРИКАЗ',
			'15-н',
			'1 сентября 2026 г.',
			'Громова Наталья Сергеевна',
			'МАОУ СОШ № 40 г. Томска',
			'Белов Артём Викторович',
			'МАОУ СОШ № 7 г. Томска',
			'Соболев Игорь Павлович',
			'начальник департамента образования'
		])
			expect(text).toContain(s);
		// A participant of the program is no recorder of orders.
		const byMentee = await api(t, 'POST', `/api/orders/${ids.order}/attach`, {
			cookie: cookies.menteeHead
		});
		expect([403, 404]).toContain(byMentee.status);
		const attached = await api(t, 'POST', `/api/orders/${ids.order}/attach`, {
			cookie: cookies.depCurator
		});
		expect(attached.status).toBe(200);
		expect((attached.body.order as { attachedAt: number }).attachedAt).toEqual(expect.any(Number));
		const list = await api(t, 'GET', `/api/orders?programId=${ids.program}`, {
			cookie: cookies.depHead
		});
		expect((list.body.orders as Array<{ id: string }>).map((o) => o.id)).toEqual([ids.order]);
	});

	it('the mentor consents in writing to the duties for two years', async () => {
		// Without the mentor's written consent the pair is not approved, order or not (Tomsk 2024 §3.4).
		const early = await act('depCurator', { action: 'approve-program' });
		expect(early.status, JSON.stringify(early.body)).toBe(409);
		expect(early.body.error).toBe('mentor_consent_required');
		const r = await api(t, 'POST', `/api/people/${ids.mentorHead}/consents`, {
			cookie: cookies.depCurator,
			body: { kind: 'mentor-duties', givenOn: '2026-09-01', documentRef: 'вх. № 112' }
		});
		expect(r.status, JSON.stringify(r.body)).toBe(201);
		const c = r.body.consent as { kind: string; validUntil: string; representativeName: string };
		expect(c.kind).toBe('mentor-duties');
		expect(c.validUntil).toBe('2028-09-01');
		expect(c.representativeName).toBe('Громова Наталья Сергеевна');
		// The department curator cannot issue a sign-in link for a head (wider rights).
		const link = await api(t, 'POST', '/api/invitations', {
			cookie: cookies.depCurator,
			body: { personId: ids.menteeHead }
		});
		expect([403, 404]).toContain(link.status);
	});

	it('the mentee-head cannot approve his own program or move it to «реализуется»', async () => {
		const r = await act('menteeHead', { action: 'approve-program' });
		expect(r.status).toBe(403);
		expect((await docOf(ids.program)).meta.status).toBe('draft');
		const ok = await act('depCurator', { action: 'approve-program' });
		expect(ok.status, JSON.stringify(ok.body)).toBe(200);
		expect((await docOf(ids.program)).meta.status).toBe('active');
	});

	it('the mentee-head cannot accept or return his own report, nor comment or complete it', async () => {
		const view = await docOf(ids.program);
		const stageId = view.stages[0]?.id ?? '';
		let reportId = '';
		await asParticipant(ids.menteeHead, 'mentee', (e) => {
			reportId = e.startReport({ kind: 'stage', stageId });
			e.submitReport(reportId);
		});
		for (const body of [
			{ action: 'accept-report', reportId },
			{ action: 'return-report', reportId, comment: 'Доработать' },
			{ action: 'comment-activity', activityId: view.activities[0]?.id ?? '', text: 'Хорошо' },
			{ action: 'complete', reason: 'plan-completed', date: '2026-10-01' }
		]) {
			const r = await act('menteeHead', body);
			expect(r.status, body.action).toBe(403);
		}
		// The mentor (a head, of another school) cannot either: no curator rights over school B.
		expect([403, 404]).toContain(
			(await act('mentorHead', { action: 'accept-report', reportId })).status
		);
		const report = (await docOf(ids.program)).reports.find((x) => x.id === reportId);
		expect(report?.status).toBe('submitted');
		const accepted = await act('depCurator', { action: 'accept-report', reportId });
		expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
		expect((await docOf(ids.program)).reports.find((x) => x.id === reportId)?.status).toBe(
			'accepted'
		);
	});

	it("an extension of a head's program: not by the school curator, by the department head", async () => {
		let changeId = '';
		await asParticipant(ids.menteeHead, 'mentee', (e) => {
			changeId = e.requestChange({ kind: 'extension', months: 3, reason: 'Болезнь' });
		});
		await asParticipant(ids.mentorHead, 'mentor', (e) => e.consentChange(changeId));
		const petition = await act('depCurator', { action: 'petition-change', changeId });
		expect(petition.status, JSON.stringify(petition.body)).toBe(200);
		const before = programEndDate(await docOf(ids.program));
		for (const who of ['schoolCurator', 'depCurator', 'menteeHead'] as const) {
			const r = await act(who, { action: 'approve-change', changeId });
			expect(r.status, who).toBe(403);
		}
		expect(programEndDate(await docOf(ids.program))).toBe(before);
		const ok = await act('depHead', { action: 'approve-change', changeId });
		expect(ok.status, JSON.stringify(ok.body)).toBe(200);
		const after = await docOf(ids.program);
		expect(after.changeRequests.find((c) => c.id === changeId)?.status).toBe('approved');
		expect(programEndDate(after)).not.toBe(before);
		expect(programEndDate(after)).toBe('2028-11-30');
	});
	it("a teacher's program is approved by the order of the school's head (Surgut 2022 §4.6)", async () => {
		const id = t.server.identity;
		const teacher = async (fullName: string) =>
			(await id.createPerson(SYSTEM_ACTOR, { organizationId: ids.schoolB }, { fullName })).id;
		const created = await api(t, 'POST', '/api/programs', {
			cookie: cookies.schoolCurator,
			body: {
				organizationId: ids.schoolB,
				templateId: 'teacher-surgut',
				participants: [
					{ personId: await teacher('Лаптева Анна Игоревна'), role: 'mentor' },
					{ personId: await teacher('Мухин Денис Олегович'), role: 'mentee' }
				]
			}
		});
		expect(created.status).toBe(201);
		const programId = (created.body.program as { id: string }).id;
		const approve = () =>
			api(t, 'POST', `/api/curator/programs/${programId}/actions`, {
				cookie: cookies.schoolCurator,
				body: { action: 'approve-program' }
			});
		expect((await approve()).status).toBe(409);
		const order = (issuerId: string) =>
			api(t, 'POST', '/api/orders', {
				cookie: cookies.schoolCurator,
				body: {
					number: '41-о',
					issuedOn: '2026-09-02',
					kind: 'approve-programs',
					issuerId,
					programIds: [programId]
				}
			});
		// Signed by the curator or by the department: not the organization's order.
		expect((await order(ids.schoolCurator)).status).toBe(400);
		expect((await order(ids.depHead)).status).toBe(400);
		const r = await order(ids.menteeHead);
		expect(r.status, JSON.stringify(r.body)).toBe(201);
		const o = r.body.order as { id: string; organizationId: string };
		expect(o.organizationId).toBe(ids.schoolB);
		// Generated, not attached yet: still no approval.
		expect((await approve()).status).toBe(409);
		expect(
			(await api(t, 'POST', `/api/orders/${o.id}/attach`, { cookie: cookies.schoolCurator })).status
		).toBe(200);
		expect((await approve()).status).toBe(200);
		expect((await docOf(programId)).meta.status).toBe('active');
	});
});
