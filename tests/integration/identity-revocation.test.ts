/**
 * Access that cannot outlive its reason: when a curator removes a role, removes a participant
 * from a program or excludes a person from the registry, that person's pending links, device
 * sessions and access tokens die at once and their open relay sockets close within 2 s — with
 * 1012 or a 45xx code (y-websocket 3 gives up for good on 44xx), while the partner who is still
 * entitled keeps syncing. Real server, real relay, real HTTP; the close latency is printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintAccessToken } from '../../server/auth/tokens';
import { createIdentity } from '../../server/identity/index';
import { createIdentityStore } from '../../server/identity/sql-store';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import { createLogger } from '../../server/logger';
import {
	api,
	closeWs,
	openRelaySocket,
	probeRelay,
	signIn,
	startWorld,
	type TestServer,
	type World
} from './identity-fixture';

/** A close a client must take as "reconnect and ask again", never as final. */
const reconnectable = (code: number) => code === 1012 || (code >= 4500 && code < 5000);

interface Pair {
	programId: string;
	mentor: string;
	mentee: string;
}

describe('revocation: links, sessions, tokens and live sockets end with the reason', () => {
	let t: TestServer;
	let w: World;
	let curator: string;
	let n = 0;

	beforeAll(async () => {
		({ t, w } = await startWorld());
		curator = (await signIn(t, w.people.curator1, 'Рабочий компьютер')).cookie;
	});

	afterAll(async () => {
		await t?.close();
	});

	/** A fresh mentor–mentee pair in school 1 with their program. */
	async function pair(): Promise<Pair> {
		const id = t.server.identity;
		n++;
		const person = async (fullName: string, role: 'mentor' | 'mentee') => {
			const p = await id.createPerson(
				SYSTEM_ACTOR,
				{ organizationId: w.org1 },
				{ fullName, birthDate: '1990-05-01' }
			);
			await id.assignRole(SYSTEM_ACTOR, p.id, role, { organizationId: w.org1 });
			return p.id;
		};
		const mentor = await person(`Наставник${n} Иван Иванович`, 'mentor');
		const mentee = await person(`Наставляемый${n} Пётр Петрович`, 'mentee');
		const program = await t.server.programs.createProgram(await id.actorFor(w.people.curator1), {
			organizationId: w.org1,
			templateId: 'teacher-surgut',
			startDate: '2026-09-01',
			participants: [
				{ personId: mentor, role: 'mentor' },
				{ personId: mentee, role: 'mentee' }
			]
		});
		return { programId: program.id, mentor, mentee };
	}

	/** Everything a person can hold: a signed-in phone, a pending link, a legacy token. */
	async function holdings(personId: string, programId: string, access: 'rw' | 'ro' = 'rw') {
		const phone = await signIn(t, personId, 'Телефон');
		// A pending link: to the program for a participant, a plain one (from an administrator) else.
		let code: string;
		if (access === 'rw') {
			const link = await api(t, 'POST', '/api/invitations', {
				cookie: curator,
				body: { personId, programId }
			});
			expect(link.status).toBe(201);
			const url = String(link.body.url);
			code = url.slice(url.indexOf('#') + 1);
		} else {
			code = (await t.server.identity.createInvitation(SYSTEM_ACTOR, { personId })).code;
		}
		t.secrets.add(code);
		// What `npm run cli -- token` printed before tokens had an id: signed, no session, no id.
		const legacyToken = mintAccessToken(t.server.secret, {
			userId: personId,
			programId,
			access,
			expiresAt: Date.now() + 3_600_000
		});
		t.secrets.add(legacyToken);
		return { phone, code, legacyToken };
	}

	const openSocket = (programId: string, opts: { cookie?: string; token?: string }) =>
		openRelaySocket(t, programId, opts);

	async function scenario(
		what: string,
		target: (p: Pair) => string,
		partner: (p: Pair) => string,
		act: (p: Pair, personId: string) => Promise<void>,
		access: 'rw' | 'ro' = 'rw',
		prepare: () => Promise<void> = async () => undefined
	) {
		await prepare();
		const p = await pair();
		const personId = target(p);
		const h = await holdings(personId, p.programId, access);
		const byCookie = await openSocket(p.programId, { cookie: h.phone.cookie });
		const byToken = await openSocket(p.programId, { token: h.legacyToken });
		const other = await signIn(t, partner(p), 'Телефон партнёра');
		const partnerSocket = await openSocket(p.programId, { cookie: other.cookie });
		let partnerClosed: number | null = null;
		void partnerSocket.closed.then((c) => (partnerClosed = c.code));

		const started = Date.now();
		await act(p, personId);
		const timeout = new Promise<never>((_, reject) =>
			setTimeout(() => reject(new Error(`${what}: a socket still open after 5 s`)), 5_000)
		);
		const [a, b] = await Promise.race([Promise.all([byCookie.closed, byToken.closed]), timeout]);
		const latency = Math.max(a.at, b.at) - started;
		console.log(
			`[revocation] ${what}: sockets closed ${latency} ms after the request (codes ${a.code}, ${b.code})`
		);
		expect(latency, what).toBeLessThan(2_000);
		expect(reconnectable(a.code), `${what}: cookie socket closed with ${a.code}`).toBe(true);
		expect(reconnectable(b.code), `${what}: token socket closed with ${b.code}`).toBe(true);

		// Dead everywhere: the session, the pending link (it does not re-add them), the token.
		expect((await api(t, 'GET', '/api/me', { cookie: h.phone.cookie })).status, what).toBe(401);
		const again = await probeRelay(t, p.programId, { cookie: h.phone.cookie });
		expect(again.open, `${what}: cookie reconnect`).toBe(false);
		const token = await probeRelay(t, p.programId, { token: h.legacyToken });
		expect(token.open, `${what}: token reconnect`).toBe(false);
		const redeem = await api(t, 'POST', '/api/invitations/redeem', {
			body: { code: h.code, deviceName: 'Старая ссылка' }
		});
		expect(redeem.status, `${what}: the pending link`).toBe(410);

		// The partner, still entitled, keeps the socket (and was never told to give up).
		await new Promise((r) => setTimeout(r, 300));
		expect(partnerClosed, `${what}: the partner's socket`).toBeNull();
		expect(partnerSocket.ws.readyState).toBe(WebSocket.OPEN);
		await closeWs(partnerSocket.ws);
		return p;
	}

	it('a role removed (a second curator of the school)', async () => {
		let second = '';
		await scenario(
			'role removed',
			() => second,
			(p) => p.mentor,
			async (_p, personId) => {
				const roles = await api(t, 'GET', `/api/people/${personId}/roles`, { cookie: curator });
				const role = (roles.body.roles as Array<{ id: string; role: string }>).find(
					(r) => r.role === 'curator'
				);
				const r = await api(t, 'DELETE', `/api/roles/${role?.id ?? ''}`, { cookie: curator });
				expect(r.status).toBe(200);
			},
			'ro',
			async () => {
				const c = await t.server.identity.createPerson(
					SYSTEM_ACTOR,
					{ organizationId: w.org1 },
					{ fullName: 'Второй Куратор Школы', birthDate: '1982-03-04' }
				);
				await t.server.identity.assignRole(SYSTEM_ACTOR, c.id, 'curator', {
					organizationId: w.org1
				});
				second = c.id;
			}
		);
	});

	it('a participant removed from the program', async () => {
		const p = await scenario(
			'participant removed',
			(x) => x.mentor,
			(x) => x.mentee,
			async (x, personId) => {
				const r = await api(t, 'DELETE', `/api/programs/${x.programId}/participants/${personId}`, {
					cookie: curator
				});
				expect(r.status).toBe(200);
			}
		);
		// The old link did not silently put them back.
		const program = await t.server.identity.programResource(p.programId);
		expect(program?.participants.map((x) => x.personId)).toEqual([p.mentee]);
	});

	it('a person excluded from the registry (deactivated)', async () => {
		await scenario(
			'person deactivated',
			(p) => p.mentee,
			(p) => p.mentor,
			async (_p, personId) => {
				const r = await api(t, 'PATCH', `/api/people/${personId}`, {
					cookie: curator,
					body: { active: false }
				});
				expect(r.status).toBe(200);
			}
		);
	});

	it('recorded access tokens: listed, checked against current rights, revoked over HTTP and from the CLI', async () => {
		const p = await pair();
		const id = t.server.identity;
		const minted = await id.mintAccessToken(SYSTEM_ACTOR, {
			personId: p.mentor,
			programId: p.programId,
			access: 'rw',
			ttlMs: 3_600_000
		});
		t.secrets.add(minted.token);
		const list = await api(t, 'GET', `/api/access-tokens?personId=${p.mentor}`, {
			cookie: curator
		});
		expect(list.status).toBe(200);
		const items = list.body.tokens as Array<{ id: string; programId: string; active: boolean }>;
		expect(items).toEqual([
			expect.objectContaining({ id: minted.id, programId: p.programId, active: true })
		]);
		expect(JSON.stringify(list.body)).not.toContain(minted.token);

		// Revoked over HTTP: the live socket closes at once.
		const s1 = await openSocket(p.programId, { token: minted.token });
		let started = Date.now();
		const del = await api(t, 'DELETE', `/api/access-tokens/${minted.id}`, { cookie: curator });
		expect(del.status).toBe(200);
		const c1 = await s1.closed;
		console.log(
			`[revocation] token revoked over HTTP: closed ${c1.at - started} ms (code ${c1.code})`
		);
		expect(c1.at - started).toBeLessThan(2_000);
		expect(reconnectable(c1.code)).toBe(true);
		expect((await probeRelay(t, p.programId, { token: minted.token })).open).toBe(false);

		// Revoked from the CLI (another process: no event reaches this server, only the database).
		const second = await id.mintAccessToken(SYSTEM_ACTOR, {
			personId: p.mentor,
			programId: p.programId,
			access: 'rw',
			ttlMs: 3_600_000
		});
		t.secrets.add(second.token);
		const s2 = await openSocket(p.programId, { token: second.token });
		const cli = createIdentity({
			store: createIdentityStore(t.server.storage.sql),
			secret: t.server.secret,
			logger: createLogger('silent')
		});
		started = Date.now();
		await cli.revokeAccessToken(SYSTEM_ACTOR, second.id);
		const c2 = await s2.closed;
		console.log(
			`[revocation] token revoked from the CLI: closed ${c2.at - started} ms (code ${c2.code})`
		);
		expect(c2.at - started).toBeLessThan(2_000);
		expect(reconnectable(c2.code)).toBe(true);

		// Checked against current rights at use: a token minted rw for someone who is now only a reader.
		const third = await id.mintAccessToken(SYSTEM_ACTOR, {
			personId: p.mentee,
			programId: p.programId,
			access: 'rw',
			ttlMs: 3_600_000
		});
		t.secrets.add(third.token);
		await t.server.programs.removeParticipant(
			await id.actorFor(w.people.curator1),
			p.programId,
			p.mentee
		);
		expect((await probeRelay(t, p.programId, { token: third.token })).open).toBe(false);
		// Nobody else may list or revoke them.
		const other = (await signIn(t, w.people.curator2, 'Ноутбук')).cookie;
		expect(
			(await api(t, 'GET', `/api/access-tokens?personId=${p.mentor}`, { cookie: other })).status
		).toBe(404);
		expect(
			(await api(t, 'DELETE', `/api/access-tokens/${third.id}`, { cookie: other })).status
		).toBe(404);
	});

	it('the backstop: a person excluded by another process (only the database knows) is cut off by the sweep', async () => {
		const p = await pair();
		const phone = await signIn(t, p.mentee, 'Телефон');
		const socket = await openSocket(p.programId, { cookie: phone.cookie });
		const other = createIdentity({
			store: createIdentityStore(t.server.storage.sql),
			secret: t.server.secret,
			logger: createLogger('silent')
		});
		const started = Date.now();
		await other.updatePerson(SYSTEM_ACTOR, p.mentee, { active: false });
		const closed = await Promise.race([
			socket.closed,
			new Promise<never>((_, reject) =>
				setTimeout(() => reject(new Error('still open 15 s after the exclusion')), 15_000)
			)
		]);
		console.log(
			`[revocation] excluded by another process: closed by the sweep ${closed.at - started} ms later (code ${closed.code})`
		);
		expect(reconnectable(closed.code)).toBe(true);
		expect((await probeRelay(t, p.programId, { cookie: phone.cookie })).open).toBe(false);
	}, 30_000);
});
