import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readProgram } from '../../src/lib/shared/program/index';
import { api, signIn, startWorld, type TestServer, type World } from './identity-fixture';

/**
 * The time-zone routes over the real HTTP API (the API contract's bodies, the boundary, the
 * registry's policy) and their effect on the program documents through the real relay
 * (the programs module writes the zone with a server edit).
 */
describe('time zones over the HTTP API', () => {
	let t: TestServer;
	let w: World;
	let admin = '';
	let curator1 = '';
	let curator2 = '';

	const zoneOf = async (programId: string) => {
		const doc = new Y.Doc();
		Y.applyUpdate(doc, await t.server.relay.getDocument(programId));
		return readProgram(doc).meta.timeZone;
	};

	beforeAll(async () => {
		({ t, w } = await startWorld());
		admin = (await signIn(t, w.people.admin)).cookie;
		curator1 = (await signIn(t, w.people.curator1)).cookie;
		curator2 = (await signIn(t, w.people.curator2)).cookie;
	});

	afterAll(async () => {
		await t?.close();
	});

	it('POST /municipalities and /organizations take an optional zone', async () => {
		const mun = await api(t, 'POST', '/api/municipalities', {
			cookie: admin,
			body: { name: 'Якутск', timeZone: 'Asia/Yakutsk' }
		});
		expect(mun.status).toBe(201);
		const m = mun.body.municipality as { id: string; timeZone: string | null };
		expect(m.timeZone).toBe('Asia/Yakutsk');
		const org = await api(t, 'POST', '/api/organizations', {
			cookie: admin,
			body: { municipalityId: m.id, name: 'Школа № 5' }
		});
		expect(org.status).toBe(201);
		const o = org.body.organization as { id: string; timeZone: string | null };
		expect(o.timeZone).toBeNull();
		const read = await api(t, 'GET', `/api/organizations/${o.id}`, { cookie: admin });
		expect(read.body.organization).toMatchObject({
			timeZone: null,
			effectiveTimeZone: 'Asia/Yakutsk'
		});
		const bad = await api(t, 'POST', '/api/municipalities', {
			cookie: admin,
			body: { name: 'Нигде', timeZone: 'Mars/Olympus' }
		});
		expect(bad.status).toBe(400);
	});

	it('PATCH /organizations/:id: the curator sets the zone, every program document gets it', async () => {
		const r = await api(t, 'PATCH', `/api/organizations/${w.org1}`, {
			cookie: curator1,
			body: { timeZone: 'Asia/Vladivostok' }
		});
		expect(r.status).toBe(200);
		expect(r.body.organization).toMatchObject({
			id: w.org1,
			timeZone: 'Asia/Vladivostok',
			effectiveTimeZone: 'Asia/Vladivostok'
		});
		expect(await zoneOf(w.programs.p1)).toBe('Asia/Vladivostok');
		expect(await zoneOf(w.programs.p2)).toBe('Asia/Vladivostok');
		// Another organization's program is untouched.
		expect(await zoneOf(w.programs.p3)).toBe('Europe/Moscow');
	});

	it('PATCH /organizations/:id refuses a foreign curator and an unknown zone, drops unknown fields', async () => {
		const foreign = await api(t, 'PATCH', `/api/organizations/${w.org1}`, {
			cookie: curator2,
			body: { timeZone: 'Asia/Omsk' }
		});
		expect([403, 404]).toContain(foreign.status);
		const unknown = await api(t, 'PATCH', `/api/organizations/${w.org1}`, {
			cookie: curator1,
			body: { timeZone: 'Mars/Olympus' }
		});
		expect(unknown.status).toBe(400);
		expect(String(unknown.body.message)).toMatch(/часовой пояс/i);
		const extra = await api(t, 'PATCH', `/api/organizations/${w.org1}`, {
			cookie: curator1,
			body: { timeZone: 'Asia/Omsk', name: 'Другое' }
		});
		// Unknown properties are stripped by the schema (Fastify's default), never written.
		expect(extra.status).toBe(200);
		expect(extra.body.organization).toMatchObject({ name: 'МАОУ СОШ № 1', timeZone: 'Asia/Omsk' });
		expect(await zoneOf(w.programs.p1)).toBe('Asia/Omsk');
	});

	it('PATCH /municipalities/:id: organizations without their own zone inherit it', async () => {
		const curatorTry = await api(t, 'PATCH', `/api/municipalities/${w.mun2}`, {
			cookie: curator2,
			body: { timeZone: 'Asia/Yekaterinburg' }
		});
		expect([403, 404]).toContain(curatorTry.status);
		const r = await api(t, 'PATCH', `/api/municipalities/${w.mun2}`, {
			cookie: admin,
			body: { timeZone: 'Asia/Yekaterinburg' }
		});
		expect(r.status).toBe(200);
		expect(r.body.municipality).toMatchObject({ id: w.mun2, timeZone: 'Asia/Yekaterinburg' });
		expect(await zoneOf(w.programs.p3)).toBe('Asia/Yekaterinburg');
		const back = await api(t, 'PATCH', `/api/municipalities/${w.mun2}`, {
			cookie: admin,
			body: { timeZone: null }
		});
		expect(back.status).toBe(200);
		expect(await zoneOf(w.programs.p3)).toBe('Europe/Moscow');
	});
});
