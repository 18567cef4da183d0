import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import {
	api,
	closeWs,
	probeRelay,
	signIn,
	startWorld,
	type TestServer,
	type World
} from './identity-fixture';

/**
 * Withdrawing a consent takes effect (DOMAIN.md §1, Tomsk 2024 §3.4), over the real HTTP API and
 * relay: a withdrawn mentor-duties consent ends the mentor's role, places as mentor and unused
 * mentor links; a withdrawn personal-data consent (or a minor's representative's) ends all access;
 * in both cases the person can no longer be added as before.
 */
describe('consent withdrawal', () => {
	let t: TestServer;
	let w: World;
	let curator: string;

	const consent = async (personId: string, body: Record<string, unknown>) => {
		const r = await api(t, 'POST', `/api/people/${personId}/consents`, { cookie: curator, body });
		expect(r.status, JSON.stringify(r.body)).toBe(201);
		return (r.body.consent as { id: string }).id;
	};
	const withdraw = async (personId: string, consentId: string) => {
		const r = await api(t, 'DELETE', `/api/people/${personId}/consents/${consentId}`, {
			cookie: curator
		});
		expect(r.status, JSON.stringify(r.body)).toBe(200);
	};
	const link = async (body: Record<string, unknown>) => {
		const r = await api(t, 'POST', '/api/invitations', { cookie: curator, body });
		expect(r.status, JSON.stringify(r.body)).toBe(201);
		const code = String(r.body.url).split('#')[1] ?? '';
		t.secrets.add(code);
		return code;
	};
	const redeem = (code: string) =>
		api(t, 'POST', '/api/invitations/redeem', { body: { code, deviceName: 'телефон' } });
	const newProgram = (participants: Array<{ personId: string; role: 'mentor' | 'mentee' }>) =>
		api(t, 'POST', '/api/programs', {
			cookie: curator,
			body: { organizationId: w.org1, templateId: 'teacher-surgut', participants }
		});

	beforeAll(async () => {
		({ t, w } = await startWorld());
		curator = (await signIn(t, w.people.curator1)).cookie;
	});

	afterAll(async () => {
		await t?.close();
	});

	it('mentor duties: the mentor role, the places as mentor and the unused mentor links end', async () => {
		const mentor = w.people.mentor1;
		const session = (await signIn(t, mentor)).cookie;
		const before = await probeRelay(t, w.programs.p1, { cookie: session });
		expect(before.open).toBe(true);
		if (before.open) await closeWs(before.ws);
		const id = await consent(mentor, { kind: 'mentor-duties', givenOn: '2026-09-01' });
		const pending = await link({ personId: mentor, role: 'mentor', organizationId: w.org1 });
		await withdraw(mentor, id);

		const roles = await api(t, 'GET', `/api/people/${mentor}/roles`, { cookie: curator });
		expect((roles.body.roles as Array<{ role: string }>).map((r) => r.role)).not.toContain(
			'mentor'
		);
		expect((await redeem(pending)).status).not.toBe(200);
		const card = await api(t, 'GET', `/api/programs/${w.programs.p1}`, { cookie: curator });
		const participants = (card.body.program as { participants: Array<{ personId: string }> })
			.participants;
		expect(participants.map((p) => p.personId)).not.toContain(mentor);
		const after = await probeRelay(t, w.programs.p1, { cookie: session });
		expect(after.open).toBe(false);
		// Not a mentor again without a new consent; a new written consent restores it.
		const again = await newProgram([
			{ personId: mentor, role: 'mentor' },
			{ personId: w.people.mentee2, role: 'mentee' }
		]);
		expect(again.status).toBe(409);
		expect(again.body.error).toBe('consent_withdrawn');
		const add = await api(t, 'POST', `/api/programs/${w.programs.p2}/participants`, {
			cookie: curator,
			body: { personId: mentor, role: 'mentor' }
		});
		expect(add.status).toBe(409);
		await consent(mentor, { kind: 'mentor-duties', givenOn: '2026-10-01' });
		const renewed = await newProgram([
			{ personId: mentor, role: 'mentor' },
			{ personId: w.people.mentee2, role: 'mentee' }
		]);
		expect(renewed.status, JSON.stringify(renewed.body)).toBe(201);
	});

	it('personal data: the session, the relay and the links end; the person cannot be added', async () => {
		const other = w.people.mentee2;
		// mentee2 of org1 consents, signs in, has a pending link; then withdraws.
		const id = await consent(other, { kind: 'personal-data', givenOn: '2026-09-01' });
		const session = (await signIn(t, other)).cookie;
		expect((await api(t, 'GET', '/api/me', { cookie: session })).status).toBe(200);
		const pending = await link({ personId: other });
		await withdraw(other, id);
		expect((await api(t, 'GET', '/api/me', { cookie: session })).status).toBe(401);
		const probe = await probeRelay(t, w.programs.p2, { cookie: session });
		expect(probe.open).toBe(false);
		expect((await redeem(pending)).status).not.toBe(200);
		const again = await newProgram([
			{ personId: w.people.mentor2, role: 'mentor' },
			{ personId: other, role: 'mentee' }
		]);
		expect(again.status).toBe(409);
		// A new plain link for them is refused too.
		const refused = await api(t, 'POST', '/api/invitations', {
			cookie: curator,
			body: { personId: other }
		});
		expect(refused.status).toBe(409);
	});

	it("a minor's representative withdraws: the minor's access ends and they cannot be added", async () => {
		const minor = await t.server.identity.createPerson(
			SYSTEM_ACTOR,
			{ organizationId: w.org1 },
			{ fullName: 'Юный Иван Петрович', birthDate: '2013-02-01' }
		);
		const id = await consent(minor.id, {
			representativeName: 'Юная Мария Ивановна',
			representativeRelation: 'мать',
			givenOn: '2026-09-01',
			scope: 'обработка персональных данных'
		});
		const created = await newProgram([
			{ personId: w.people.mentor2, role: 'mentor' },
			{ personId: minor.id, role: 'mentee' }
		]);
		expect(created.status, JSON.stringify(created.body)).toBe(201);
		const session = (await signIn(t, minor.id)).cookie;
		expect((await api(t, 'GET', '/api/me', { cookie: session })).status).toBe(200);
		await withdraw(minor.id, id);
		expect((await api(t, 'GET', '/api/me', { cookie: session })).status).toBe(401);
		const again = await newProgram([
			{ personId: w.people.mentor2, role: 'mentor' },
			{ personId: minor.id, role: 'mentee' }
		]);
		expect(again.status).toBe(409);
	});
});
