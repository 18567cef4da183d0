/**
 * Sign-in links (invitations) as a hostile curator uses them: every issuer × every target over
 * the real HTTP API. A link gives whoever redeems it a session as the target, so the issuer may
 * only ask for one for people whose every right lies inside the issuer's own (docs/identity.md,
 * "Who may ask for a sign-in link"). The expectations are written out by hand, not derived from
 * the policy; the right is checked again when the link is redeemed, and the issuer cannot redeem
 * a link in their own browser to become someone else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import {
	api,
	cookiePair,
	signIn,
	startWorld,
	type TestServer,
	type World
} from './identity-fixture';

type Who = 'admin' | 'curator1' | 'curator1b' | 'coordinator1' | 'head1' | 'mentor1' | 'mentee1';
const ISSUERS: Who[] = [
	'admin',
	'curator1',
	'curator1b',
	'coordinator1',
	'head1',
	'mentor1',
	'mentee1'
];
type Target = Who | 'roleless';
const TARGETS: Target[] = [...ISSUERS, 'roleless'];

/** Written out by hand: who may ask for a plain sign-in link for whom. */
const ALLOWED: Record<Who, Target[]> = {
	// An administrator may act for everyone.
	admin: [...TARGETS],
	// The curator of school 1: its mentors, mentees, people without a role, and themselves.
	curator1: ['curator1', 'mentor1', 'mentee1', 'roleless'],
	// The curator of another school: nobody of school 1.
	curator1b: ['curator1b'],
	coordinator1: [],
	head1: [],
	mentor1: [],
	mentee1: []
};

describe('sign-in links: every issuer × every target', () => {
	let t: TestServer;
	let w: World;
	let roleless: string;
	const cookies = {} as Record<Who, string>;
	const person = (x: Target) => (x === 'roleless' ? roleless : w.people[x]);

	beforeAll(async () => {
		({ t, w } = await startWorld());
		roleless = (
			await t.server.identity.createPerson(
				SYSTEM_ACTOR,
				{ organizationId: w.org1 },
				{ fullName: 'Без Роли Иван Петрович', birthDate: '1991-02-03' }
			)
		).id;
		for (const who of ISSUERS) cookies[who] = (await signIn(t, w.people[who], 'Ноутбук')).cookie;
	});

	afterAll(async () => {
		await t?.close();
	});

	const issue = (issuer: Who, body: Record<string, unknown>) =>
		api(t, 'POST', '/api/invitations', { cookie: cookies[issuer], body });
	const codeOf = (body: Record<string, unknown>) => {
		const url = String(body.url);
		const code = url.slice(url.indexOf('#') + 1);
		t.secrets.add(code);
		return code;
	};
	const redeem = (code: string, cookie?: string) =>
		api(t, 'POST', '/api/invitations/redeem', {
			body: { code, deviceName: 'Чужой браузер' },
			...(cookie ? { cookie } : {})
		});

	it('a plain sign-in link: issued only as the table says; redeemed elsewhere, never in the issuer’s browser', async () => {
		const wrong: string[] = [];
		for (const issuer of ISSUERS) {
			for (const target of TARGETS) {
				const allowed = ALLOWED[issuer].includes(target);
				const r = await issue(issuer, { personId: person(target) });
				const cell = `${issuer} → ${target}`;
				if (!allowed) {
					if (![403, 404].includes(r.status)) wrong.push(`${cell}: issued (${r.status})`);
					continue;
				}
				if (r.status !== 201) {
					wrong.push(`${cell}: refused (${r.status} ${String(r.body.error)})`);
					continue;
				}
				const code = codeOf(r.body);
				const self = person(target) === w.people[issuer];
				if (!self) {
					// The issuer's own browser: refused, and the link stays good for its addressee.
					const own = await redeem(code, cookies[issuer]);
					if (own.status === 200) wrong.push(`${cell}: redeemed in the issuer's browser`);
					const me = await api(t, 'GET', '/api/me', { cookie: cookies[issuer] });
					if ((me.body.person as { id?: string } | undefined)?.id !== w.people[issuer])
						wrong.push(`${cell}: the issuer's browser changed identity`);
				}
				const ok = await redeem(code);
				if (ok.status !== 200) wrong.push(`${cell}: the addressee could not redeem (${ok.status})`);
				else if ((ok.body.person as { id: string }).id !== person(target))
					wrong.push(`${cell}: a session as someone else`);
				else t.secrets.add(cookiePair(ok.setCookie).split('=')[1] ?? '');
			}
		}
		expect(wrong).toEqual([]);
	});

	it('links that come with a role or a program are held to the same rule', async () => {
		const wrong: string[] = [];
		for (const target of ['head1', 'curator1b', 'coordinator1', 'admin'] as const) {
			const asMentor = await issue('curator1', {
				personId: person(target),
				role: 'mentor',
				organizationId: w.org1
			});
			if (asMentor.status === 201) wrong.push(`role link for ${target}`);
			const toProgram = await issue('curator1', {
				personId: person(target),
				programId: w.programs.p2,
				role: 'mentee'
			});
			if (toProgram.status === 201) wrong.push(`program link for ${target}`);
		}
		// A link that would make a role-less person a curator or head is a curator's or head's session
		// for whoever holds it; as a mentor it is fine.
		for (const role of ['curator', 'head'] as const) {
			const r = await issue('curator1', { personId: roleless, role, organizationId: w.org1 });
			if (r.status === 201) wrong.push(`a link making the role-less person a ${role}`);
		}
		const asMentor = await issue('curator1', {
			personId: roleless,
			role: 'mentor',
			organizationId: w.org1
		});
		if (asMentor.status !== 201)
			wrong.push(`a mentor link for the role-less person (${asMentor.status})`);
		expect(wrong).toEqual([]);
		// Not added to the program by the refused attempt either.
		const program = await t.server.identity.programResource(w.programs.p2);
		expect(program?.participants.map((p) => p.personId).sort()).toEqual(
			[w.people.mentor2, w.people.mentee2].sort()
		);
	});

	it('the right is checked again at redeem: a link issued before its target gained wider rights is refused', async () => {
		const later = await t.server.identity.createPerson(
			SYSTEM_ACTOR,
			{ organizationId: w.org1 },
			{ fullName: 'Будущий Руководитель', birthDate: '1980-01-01' }
		);
		const r = await issue('curator1', { personId: later.id });
		expect(r.status).toBe(201);
		const code = codeOf(r.body);
		await t.server.identity.assignRole(SYSTEM_ACTOR, later.id, 'head', { organizationId: w.org1 });
		const refused = await redeem(code);
		expect(refused.status).toBe(410);
		expect(refused.setCookie).toBeNull();

		// The issuer lost the curator role meanwhile: their pending links no longer open anything.
		const issuer = await t.server.identity.createPerson(
			SYSTEM_ACTOR,
			{ organizationId: w.org1 },
			{ fullName: 'Бывший Куратор', birthDate: '1985-01-01' }
		);
		const role = await t.server.identity.assignRole(SYSTEM_ACTOR, issuer.id, 'curator', {
			organizationId: w.org1
		});
		const { cookie } = await signIn(t, issuer.id, 'Ноутбук');
		const link = await api(t, 'POST', '/api/invitations', {
			cookie,
			body: { personId: w.people.mentee1 }
		});
		expect(link.status).toBe(201);
		const code2 = codeOf(link.body);
		await t.server.identity.removeRole(SYSTEM_ACTOR, role.id);
		expect((await redeem(code2)).status).toBe(410);
	});

	it('a curator never gets read-write access as a mentee through a link in their own browser', async () => {
		const r = await issue('curator1', { personId: w.people.mentee1 });
		expect(r.status).toBe(201);
		const own = await redeem(codeOf(r.body), cookies.curator1);
		expect(own.status).toBe(403);
		expect(own.body.error).toBe('invitation_for_someone_else');
		expect(own.setCookie).toBeNull();
		const access = await api(t, 'GET', `/api/programs/${w.programs.p1}/access`, {
			cookie: cookies.curator1
		});
		expect(access.body.access).toBe('ro');
	});
});

describe('the other way in: a password set by someone else', () => {
	let t: TestServer;
	let w: World;

	beforeAll(async () => {
		({ t, w } = await startWorld());
	});

	afterAll(async () => {
		await t?.close();
	});

	it('a curator cannot set a password for the head or another curator of the school and sign in as them', async () => {
		const second = await t.server.identity.createPerson(
			SYSTEM_ACTOR,
			{ organizationId: w.org1 },
			{ fullName: 'Второй Куратор', birthDate: '1984-01-01' }
		);
		await t.server.identity.assignRole(SYSTEM_ACTOR, second.id, 'curator', {
			organizationId: w.org1
		});
		for (const [name, personId] of [
			['head', w.people.head1],
			['curator', second.id]
		] as const) {
			const login = `taken-over-${name}`;
			const password = 'очень-длинный-пароль-123';
			t.secrets.add(password);
			// No HTTP route sets another person's password; the service refuses it all the same.
			const viaService = await t.server.identity
				.setPassword(await t.server.identity.actorFor(w.people.curator1), personId, login, password)
				.then(
					() => 'set',
					(e: { status?: number }) => e.status
				);
			expect(viaService, name).toBe(403);
			const login2 = await api(t, 'POST', '/api/login', { body: { login, password } });
			expect(login2.status, name).toBe(401);
		}
		// An administrator still may (that is how a head gets a desktop password).
		await t.server.identity.setPassword(
			SYSTEM_ACTOR,
			w.people.head1,
			'head-desktop',
			'ещё-один-длинный-пароль'
		);
	});
});
