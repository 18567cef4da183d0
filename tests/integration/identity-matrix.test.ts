import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ProgramEditor, readProgram } from '../../src/lib/shared/program/index';
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
 * The authorization matrix: every role × resources of its own and of a foreign program,
 * organization and municipality, over the real HTTP API and the real relay. The expectations
 * are written out here by hand from the table in docs/identity.md (not derived from the policy).
 */
type ActorName =
	| 'mentor1'
	| 'mentee1'
	| 'mentor2'
	| 'curator1'
	| 'head1'
	| 'curator1b'
	| 'curator2'
	| 'coordinator1'
	| 'coordinator2'
	| 'muncurator1'
	| 'dephead1'
	| 'admin'
	| 'anonymous';

const ACTORS: ActorName[] = [
	'mentor1',
	'mentee1',
	'mentor2',
	'curator1',
	'head1',
	'curator1b',
	'curator2',
	'coordinator1',
	'coordinator2',
	'muncurator1',
	'dephead1',
	'admin',
	'anonymous'
];

interface HttpCheck {
	name: string;
	method: string;
	url: (w: World) => string;
	body?: (w: World) => unknown;
	allowed: ActorName[];
}

const P1 = '(own program P1 of org1 / mun1)';
/** An activity of P1 (read from the stored document in beforeAll). */
let activityOfP1 = '';
const P3 = '(foreign program P3 of org2 / mun2)';
/** A head's program of org1b (mun1): mentor head1 (head of org1), mentee head1b (head of org1b). */
const P4 = "(head's program P4 of org1b / mun1)";
let headProgram = '';
let activityOfP4 = '';
let changeOfP4 = '';

const HTTP: HttpCheck[] = [
	{
		name: `program card ${P1}`,
		method: 'GET',
		url: (w) => `/api/programs/${w.programs.p1}`,
		allowed: ['mentor1', 'mentee1', 'curator1', 'head1', 'coordinator1', 'muncurator1', 'dephead1']
	},
	{
		name: `relay token ${P1}`,
		method: 'GET',
		url: (w) => `/api/programs/${w.programs.p1}/access`,
		allowed: ['mentor1', 'mentee1', 'curator1', 'head1', 'muncurator1', 'dephead1']
	},
	{
		name: `add participant ${P1}`,
		method: 'POST',
		url: (w) => `/api/programs/${w.programs.p1}/participants`,
		body: () => ({ personId: 'nobody', role: 'mentee' }),
		allowed: ['curator1']
	},
	{
		name: `curator action (comment) ${P1}`,
		method: 'POST',
		// The one curator-action pipeline (server/programs), the route the PWA uses.
		url: (w) => `/api/curator/programs/${w.programs.p1}/actions`,
		body: () => ({ action: 'comment-activity', activityId: activityOfP1, text: 'Проверьте сроки' }),
		allowed: ['curator1', 'head1', 'muncurator1', 'dephead1']
	},
	{
		name: `curator action (comment) ${P4}: not by its mentor, who heads another school`,
		method: 'POST',
		url: () => `/api/curator/programs/${headProgram}/actions`,
		body: () => ({ action: 'comment-activity', activityId: activityOfP4, text: 'Хорошо' }),
		allowed: ['curator1b', 'muncurator1', 'dephead1']
	},
	{
		name: `extension decision ${P4}: only the head of the department (Tomsk 2024 §7.2)`,
		method: 'POST',
		url: () => `/api/curator/programs/${headProgram}/actions`,
		body: () => ({ action: 'approve-change', changeId: changeOfP4 }),
		allowed: ['dephead1']
	},
	{
		name: `order approving ${P1}, signed by head1`,
		method: 'POST',
		url: () => '/api/orders',
		body: (w) => ({
			number: '7-о',
			issuedOn: '2026-09-01',
			kind: 'approve-programs',
			issuerId: w.people.head1,
			programIds: [w.programs.p1]
		}),
		allowed: ['curator1', 'head1']
	},
	{
		name: `order approving ${P4}, signed by the head of the department`,
		method: 'POST',
		url: () => '/api/orders',
		body: (w) => ({
			number: '8-н',
			issuedOn: '2026-09-01',
			kind: 'approve-programs',
			issuerId: w.people.dephead1,
			programIds: [headProgram]
		}),
		allowed: ['muncurator1', 'dephead1']
	},
	{
		name: `program card ${P3}`,
		method: 'GET',
		url: (w) => `/api/programs/${w.programs.p3}`,
		allowed: ['curator2', 'coordinator2']
	},
	{
		name: `relay token ${P3}`,
		method: 'GET',
		url: (w) => `/api/programs/${w.programs.p3}/access`,
		allowed: ['curator2']
	},
	{
		name: `add participant ${P3}`,
		method: 'POST',
		url: (w) => `/api/programs/${w.programs.p3}/participants`,
		body: () => ({ personId: 'nobody', role: 'mentee' }),
		allowed: ['curator2']
	},
	{
		name: 'create program in org1',
		method: 'POST',
		url: () => '/api/programs',
		body: (w) => ({
			organizationId: w.org1,
			templateId: 'no-such-template',
			participants: [{ personId: w.people.mentee1, role: 'mentee' }]
		}),
		allowed: ['curator1', 'muncurator1']
	},
	{
		name: 'create program in org2',
		method: 'POST',
		url: () => '/api/programs',
		body: (w) => ({
			organizationId: w.org2,
			templateId: 'no-such-template',
			participants: [{ personId: w.people.mentee1, role: 'mentee' }]
		}),
		allowed: ['curator2']
	},
	{
		name: 'registry of org1',
		method: 'GET',
		url: (w) => `/api/organizations/${w.org1}/people`,
		allowed: ['curator1', 'head1', 'coordinator1', 'muncurator1', 'dephead1', 'admin']
	},
	{
		name: 'add to registry of org1',
		method: 'POST',
		url: (w) => `/api/organizations/${w.org1}/people`,
		body: () => ({ fullName: 'Новый Человек' }),
		allowed: ['curator1', 'admin']
	},
	{
		name: 'programs of org1',
		method: 'GET',
		url: (w) => `/api/organizations/${w.org1}/programs`,
		allowed: ['curator1', 'head1', 'coordinator1', 'muncurator1', 'dephead1']
	},
	{
		name: 'invitations of org1',
		method: 'GET',
		url: (w) => `/api/organizations/${w.org1}/invitations`,
		allowed: ['curator1', 'admin']
	},
	{
		name: 'audit of org1',
		method: 'GET',
		url: (w) => `/api/organizations/${w.org1}/audit`,
		allowed: ['curator1', 'admin']
	},
	{
		name: 'registry of org2',
		method: 'GET',
		url: (w) => `/api/organizations/${w.org2}/people`,
		allowed: ['curator2', 'coordinator2', 'admin']
	},
	{
		name: 'programs of org2',
		method: 'GET',
		url: (w) => `/api/organizations/${w.org2}/programs`,
		allowed: ['curator2', 'coordinator2']
	},
	{
		name: 'monitoring of mun1',
		method: 'GET',
		url: (w) => `/api/municipalities/${w.mun1}/monitoring`,
		allowed: ['coordinator1', 'muncurator1', 'dephead1']
	},
	{
		name: 'registry of mun1',
		method: 'GET',
		url: (w) => `/api/municipalities/${w.mun1}/people`,
		allowed: ['coordinator1', 'muncurator1', 'dephead1', 'admin']
	},
	{
		name: 'monitoring of mun2',
		method: 'GET',
		url: (w) => `/api/municipalities/${w.mun2}/monitoring`,
		allowed: ['coordinator2']
	},
	{
		name: 'registry of mun2',
		method: 'GET',
		url: (w) => `/api/municipalities/${w.mun2}/people`,
		allowed: ['coordinator2', 'admin']
	},
	{
		name: 'create organization in mun1',
		method: 'POST',
		url: () => '/api/organizations',
		body: (w) => ({ municipalityId: w.mun1, name: 'Новая школа' }),
		allowed: ['admin']
	},
	{
		name: 'create municipality',
		method: 'POST',
		url: () => '/api/municipalities',
		body: () => ({ name: 'Новый муниципалитет' }),
		allowed: ['admin']
	},
	{ name: 'global audit', method: 'GET', url: () => '/api/audit', allowed: ['admin'] },
	{
		name: 'person card of mentee1',
		method: 'GET',
		url: (w) => `/api/people/${w.people.mentee1}`,
		allowed: ['mentee1', 'curator1', 'head1', 'coordinator1', 'muncurator1', 'dephead1', 'admin']
	},
	{
		name: 'edit mentee1',
		method: 'PATCH',
		url: (w) => `/api/people/${w.people.mentee1}`,
		body: () => ({ position: 'учитель математики' }),
		allowed: ['curator1', 'admin']
	},
	{
		name: 'record consent for mentee1',
		method: 'POST',
		url: (w) => `/api/people/${w.people.mentee1}/consents`,
		body: () => ({
			representativeName: 'Петрова Ирина',
			givenOn: '2026-09-01',
			scope: 'обработка персональных данных'
		}),
		allowed: ['curator1', 'muncurator1', 'admin']
	},
	{
		name: "record the mentor's consent to the duties for head1 (org1)",
		method: 'POST',
		url: (w) => `/api/people/${w.people.head1}/consents`,
		body: () => ({ kind: 'mentor-duties', givenOn: '2026-09-01' }),
		allowed: ['curator1', 'muncurator1', 'admin']
	},
	{
		name: 'plain sign-in link for mentee1: not by the department',
		method: 'POST',
		url: () => '/api/invitations',
		body: (w) => ({ personId: w.people.mentee1 }),
		allowed: ['curator1', 'admin']
	},
	{
		name: 'make mentee3 (mun2) a municipal curator of mun1',
		method: 'POST',
		url: (w) => `/api/people/${w.people.mentee3}/roles`,
		body: (w) => ({ role: 'municipal-curator', municipalityId: w.mun1 }),
		allowed: ['admin']
	},
	{
		name: 'make mentee3 (mun2) the head of the department of mun1',
		method: 'POST',
		url: (w) => `/api/people/${w.people.mentee3}/roles`,
		body: (w) => ({ role: 'department-head', municipalityId: w.mun1 }),
		allowed: ['admin']
	},
	{
		name: 'sessions of mentee1',
		method: 'GET',
		url: (w) => `/api/people/${w.people.mentee1}/sessions`,
		allowed: ['mentee1', 'curator1', 'admin']
	},
	{
		name: 'invite mentee1 as mentor in org1',
		method: 'POST',
		url: () => '/api/invitations',
		body: (w) => ({ personId: w.people.mentee1, role: 'mentor', organizationId: w.org1 }),
		allowed: ['curator1', 'admin']
	},
	{
		name: 'give mentee3 a role in org2',
		method: 'POST',
		url: (w) => `/api/people/${w.people.mentee3}/roles`,
		body: (w) => ({ role: 'mentor', organizationId: w.org2 }),
		allowed: ['curator2', 'admin']
	},
	{
		name: 'make mentee1 a coordinator of mun1',
		method: 'POST',
		url: (w) => `/api/people/${w.people.mentee1}/roles`,
		body: (w) => ({ role: 'coordinator', municipalityId: w.mun1 }),
		allowed: ['admin']
	}
];

/** Relay: the access each actor gets on the websocket; absent = refused. */
const RELAY: Array<{
	program: keyof World['programs'];
	access: Partial<Record<ActorName, 'rw' | 'ro'>>;
}> = [
	{
		program: 'p1',
		access: {
			mentor1: 'rw',
			mentee1: 'rw',
			curator1: 'ro',
			head1: 'ro',
			muncurator1: 'ro',
			dephead1: 'ro'
		}
	},
	{
		program: 'p2',
		access: { mentor2: 'rw', curator1: 'ro', head1: 'ro', muncurator1: 'ro', dephead1: 'ro' }
	},
	{ program: 'p3', access: { curator2: 'ro' } }
];

const ALLOWED_DENIAL_MESSAGES = [
	'Не найдено',
	// server/identity/authority.ts: who decides (no names, no ids).
	'Решения по программе, в которой вы участник, принимает куратор или руководитель.',
	'Продление или корректировку программы руководителя утверждает начальник департамента образования.',
	'Недостаточно прав для этого действия',
	'Войдите по ссылке-приглашению или с паролем'
];

describe('authorization matrix', () => {
	let t: TestServer;
	let w: World;
	const cookies = new Map<ActorName, string | null>();

	beforeAll(async () => {
		({ t, w } = await startWorld());
		const doc = new Y.Doc();
		Y.applyUpdate(doc, await t.server.relay.getDocument(w.programs.p1));
		activityOfP1 = readProgram(doc).activities[0]?.id ?? '';
		// P4: a pair of heads formed by the department's curator; the pair asks for an extension,
		// the department's curator petitions (Tomsk 2024 §7.2).
		const id = t.server.identity;
		const head1b = await id.createPerson(
			SYSTEM_ACTOR,
			{ organizationId: w.org1b },
			{ fullName: 'Белов Артём Викторович' }
		);
		await id.assignRole(SYSTEM_ACTOR, head1b.id, 'head', { organizationId: w.org1b });
		const depCurator = await id.actorFor(w.people.muncurator1);
		headProgram = (
			await t.server.programs.createProgram(depCurator, {
				organizationId: w.org1b,
				templateId: 'tomsk-heads-beginner',
				startDate: '2026-09-01',
				participants: [
					{ personId: w.people.head1, role: 'mentor' },
					{ personId: head1b.id, role: 'mentee' }
				]
			})
		).id;
		const edit = (userId: string, role: 'mentor' | 'mentee', f: (e: ProgramEditor) => void) =>
			t.server.relay.applyServerEdit(headProgram, { userId, role }, (d) =>
				f(new ProgramEditor(d, { userId, role }))
			);
		await edit(head1b.id, 'mentee', (e) => {
			changeOfP4 = e.requestChange({ kind: 'extension', months: 2, reason: 'Болезнь' });
		});
		await edit(w.people.head1, 'mentor', (e) => e.consentChange(changeOfP4));
		await t.server.programs.curatorAction(depCurator, headProgram, {
			action: 'petition-change',
			changeId: changeOfP4
		});
		const doc4 = new Y.Doc();
		Y.applyUpdate(doc4, await t.server.relay.getDocument(headProgram));
		activityOfP4 = readProgram(doc4).activities[0]?.id ?? '';
		cookies.set('anonymous', null);
		for (const a of ACTORS) {
			if (a === 'anonymous') continue;
			cookies.set(a, (await signIn(t, w.people[a])).cookie);
		}
	});

	afterAll(async () => {
		await t?.close();
	});

	/** Everything the actor may not learn from a denial: ids and names of the world. */
	const secretsOfTheWorld = () => [
		...Object.values(w.programs),
		...Object.values(w.people),
		w.org1,
		w.org1b,
		w.org2,
		w.mun1,
		w.mun2,
		'Петров',
		'Иванова',
		'СОШ'
	];

	for (const check of HTTP) {
		it(`HTTP: ${check.method} ${check.name}`, async () => {
			const rows: string[] = [];
			for (const actor of ACTORS) {
				const r = await api(t, check.method, check.url(w), {
					cookie: cookies.get(actor) ?? null,
					...(check.body ? { body: check.body(w) } : {})
				});
				const allowed = check.allowed.includes(actor);
				const denied = r.status === 401 || r.status === 403 || r.status === 404;
				if (allowed === denied)
					rows.push(
						`${actor}: expected ${allowed ? 'allowed' : 'denied'}, got ${r.status} ${JSON.stringify(r.body)}`
					);
				if (!allowed) {
					if (actor === 'anonymous') expect(r.status, actor).toBe(401);
					expect(Object.keys(r.body).sort(), actor).toEqual(['error', 'message']);
					expect(ALLOWED_DENIAL_MESSAGES, actor).toContain(r.body.message);
					const text = JSON.stringify(r.body);
					for (const s of secretsOfTheWorld()) expect(text, actor).not.toContain(s);
				}
			}
			expect(rows).toEqual([]);
		});
	}

	it('HTTP: a resource of a foreign municipality answers 404 (its existence is not revealed)', async () => {
		for (const actor of ['mentor1', 'curator1', 'head1', 'coordinator1'] as const) {
			const cookie = cookies.get(actor) ?? null;
			expect((await api(t, 'GET', `/api/programs/${w.programs.p3}`, { cookie })).status).toBe(404);
			expect((await api(t, 'GET', `/api/organizations/${w.org2}/people`, { cookie })).status).toBe(
				404
			);
			expect(
				(await api(t, 'GET', `/api/municipalities/${w.mun2}/monitoring`, { cookie })).status
			).toBe(404);
		}
		// A missing program and a foreign one look the same.
		const cookie = cookies.get('curator1') ?? null;
		const foreign = await api(t, 'GET', `/api/programs/${w.programs.p3}`, { cookie });
		const missing = await api(t, 'GET', '/api/programs/no-such-program', { cookie });
		expect(foreign).toEqual({ ...missing, setCookie: foreign.setCookie });
	});

	for (const row of RELAY) {
		it(`relay: /sync/<${row.program}> for every role`, async () => {
			const problems: string[] = [];
			for (const actor of ACTORS) {
				const programId = w.programs[row.program];
				const probe = await probeRelay(t, programId, { cookie: cookies.get(actor) ?? null });
				const expected = row.access[actor];
				if (probe.open) {
					const conn = t.server.relay
						.connections()
						.find(
							(c) =>
								c.programId === programId &&
								c.userId === w.people[actor as Exclude<ActorName, 'anonymous'>]
						);
					if (conn?.access !== expected)
						problems.push(`${actor}: expected ${expected ?? 'refused'}, got ${conn?.access}`);
					await closeWs(probe.ws);
				} else {
					if (expected) problems.push(`${actor}: expected ${expected}, refused with ${probe.code}`);
					else if (actor === 'anonymous') expect(probe.code).toBe(4401);
					else expect([4403, 4404]).toContain(probe.code);
				}
			}
			expect(problems).toEqual([]);
		});
	}

	it('curator actions reach the document with the curator as author; participants cannot use them', async () => {
		const doc = new Y.Doc();
		Y.applyUpdate(doc, await t.server.relay.getDocument(w.programs.p1));
		// Curator comments are decisions: in the program's decisions document.
		const decisions = new Y.Doc();
		Y.applyUpdate(decisions, await t.server.relay.getDecisions(w.programs.p1));
		const comments = readProgram(doc, decisions).comments.filter(
			(c) => c.targetId === activityOfP1
		);
		expect(comments.map((c) => c.createdBy).sort()).toEqual(
			[w.people.curator1, w.people.head1, w.people.muncurator1, w.people.dephead1].sort()
		);
		const report = await api(t, 'POST', `/api/curator/programs/${w.programs.p1}/actions`, {
			cookie: cookies.get('curator1') ?? null,
			body: { action: 'accept-report', reportId: 'no-such-report' }
		});
		expect(report.status).toBe(404);
		expect(report.body.message).toEqual(expect.any(String));
	});

	it('relay: a cookie on a cross-origin upgrade is not accepted', async () => {
		const probe = await probeRelay(t, w.programs.p1, {
			cookie: cookies.get('mentor1') ?? null,
			origin: 'https://evil.example'
		});
		expect(probe.open).toBe(false);
		if (!probe.open) expect(probe.code).toBe(4401);
	});

	it('relay: a token minted from a session gives the same access, and dies with the session', async () => {
		const cookie = cookies.get('curator1') ?? null;
		const access = await api(t, 'GET', `/api/programs/${w.programs.p1}/access`, { cookie });
		expect(access.status).toBe(200);
		expect(access.body.access).toBe('ro');
		const token = String(access.body.token);
		t.secrets.add(token);
		const probe = await probeRelay(t, w.programs.p1, { token });
		expect(probe.open).toBe(true);
		if (probe.open) await closeWs(probe.ws);
		// A token for P1 does not open P2.
		const other = await probeRelay(t, w.programs.p2, { token });
		expect(other.open).toBe(false);
	});

	it('every denial is logged with the actor, action and resource, and no secret reaches the log', async () => {
		const logs = t.logs();
		const denials = logs.split('\n').filter((l) => l.includes('"access denied"'));
		expect(denials.length).toBeGreaterThan(50);
		const sample = denials.map((l) => JSON.parse(l) as Record<string, unknown>);
		expect(
			sample.some((d) => d.actorId === w.people.mentor1 && d.action === 'program.manage')
		).toBe(true);
		expect(sample.some((d) => d.actorId === w.people.admin && d.action === 'relay.connect')).toBe(
			true
		);
		for (const s of t.secrets) expect(logs).not.toContain(s);
	});
});
