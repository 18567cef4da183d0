/**
 * The curator's access tools over HTTP on the real server (docs/identity.md, "Re-issuing access"):
 * a new sign-in link (with QR) that revokes the person's earlier unused sign-in links and nothing
 * else, the printable sheet for a school, the device list and the revoke of one device (cut off
 * with a non-final close code, refused at the reconnect, told why), «приглашение не открыто»
 * instead of «давно не на связи», and who is refused: a curator of another organization, a
 * participant, an anonymous request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	api,
	closeWs,
	cookiePair,
	probeRelay,
	signIn,
	startWorld,
	type TestServer,
	type World
} from './identity-fixture';

const DAY = 86_400_000;

describe('curator access tools: links, sheet, devices, not-opened', () => {
	let t: TestServer;
	let w: World;
	let curator: string;

	beforeAll(async () => {
		({ t, w } = await startWorld());
		curator = (await signIn(t, w.people.curator1, 'Рабочий компьютер')).cookie;
	});

	afterAll(async () => {
		await t?.close();
	});

	const codeOf = (url: string) => {
		const code = url.slice(url.indexOf('#') + 1);
		t.secrets.add(code);
		return code;
	};
	const redeem = (code: string, deviceName = 'Телефон') =>
		api(t, 'POST', '/api/invitations/redeem', { body: { code, deviceName } });
	const dashboardRow = async (programId: string, staleDays = 7) => {
		const r = await api(
			t,
			'GET',
			`/api/curator/organizations/${w.org1}/dashboard?staleDays=${staleDays}`,
			{ cookie: curator }
		);
		expect(r.status, JSON.stringify(r.body)).toBe(200);
		const rows = r.body.rows as Array<{
			programId: string;
			flags: string[];
			participants: Array<{
				userId: string;
				role: string;
				sync: string;
				invitationOpenedAt: number | null;
			}>;
		}>;
		const row = rows.find((x) => x.programId === programId);
		if (!row) throw new Error(`no dashboard row for ${programId}`);
		return { row, totals: r.body.totals as { stale: number; notOpened: number } };
	};

	it('a pair nobody opened yet is «приглашение не открыто», not «давно не на связи»', async () => {
		const { row, totals } = await dashboardRow(w.programs.p1);
		expect(row.flags).toContain('not-opened');
		expect(row.flags).not.toContain('stale');
		expect(row.participants.filter((p) => p.role !== 'curator').map((p) => p.sync)).toEqual([
			'not-opened',
			'not-opened'
		]);
		expect(totals.stale).toBe(0);
		// Both pairs of the school (P1, P2): nobody has opened an invitation.
		expect(totals.notOpened).toBe(2);
		const filtered = await api(
			t,
			'GET',
			`/api/curator/organizations/${w.org1}/dashboard?flags=not-opened`,
			{ cookie: curator }
		);
		expect((filtered.body.rows as Array<{ programId: string }>).map((r) => r.programId)).toContain(
			w.programs.p1
		);
	});

	it('the "not seen" clock starts when the invitation is opened', async () => {
		const mentee = await signIn(t, w.people.mentee2, 'Телефон');
		// Opened just now: not stale, whatever the device did since.
		let { row } = await dashboardRow(w.programs.p2);
		const p = row.participants.find((x) => x.userId === w.people.mentee2);
		expect(p?.sync).not.toBe('not-opened');
		expect(typeof p?.invitationOpenedAt).toBe('number');
		expect(row.flags).not.toContain('stale');
		expect(row.flags).toContain('not-opened'); // mentor2 has not opened theirs
		// Ten days pass with no contact: now the mentee is «давно не на связи».
		const sessionId = (mentee.body.session as { id: string }).id;
		await t.server.storage.sql.run('UPDATE sessions SET created_at = ? WHERE id = ?', [
			Date.now() - 10 * DAY,
			sessionId
		]);
		await t.server.storage.sql.run(
			'UPDATE program_participants SET added_at = ? WHERE program_id = ?',
			[Date.now() - 10 * DAY, w.programs.p2]
		);
		({ row } = await dashboardRow(w.programs.p2));
		expect(row.flags).toContain('stale');
		const { totals } = await dashboardRow(w.programs.p2);
		expect(totals.stale).toBe(1);
		// With a 30-day threshold it is not.
		({ row } = await dashboardRow(w.programs.p2, 30));
		expect(row.flags).not.toContain('stale');
	});

	it('a new sign-in link (and QR) revokes the earlier unused one and keeps the rest', async () => {
		const program = await api(t, 'POST', '/api/invitations', {
			cookie: curator,
			body: { personId: w.people.mentor1, programId: w.programs.p1 }
		});
		expect(program.status).toBe(201);
		const first = await api(t, 'POST', `/api/people/${w.people.mentor1}/sign-in-link`, {
			cookie: curator,
			body: {}
		});
		expect(first.status, JSON.stringify(first.body)).toBe(201);
		expect(String(first.body.url)).toMatch(
			new RegExp(`^${t.base.replace(/[.]/g, '\\.')}/invite#[A-Za-z0-9_-]{43}$`)
		);
		expect(String(first.body.qrSvg)).toMatch(/^<svg/);
		expect(first.body.revoked).toBe(0);
		const second = await api(t, 'POST', `/api/people/${w.people.mentor1}/sign-in-link`, {
			cookie: curator,
			body: { ttlHours: 48 }
		});
		expect(second.body.revoked).toBe(1);
		expect((await redeem(codeOf(String(first.body.url)))).status).toBe(410);
		// The program link (another purpose) is left alone; the newest sign-in link works.
		const ok = await redeem(codeOf(String(second.body.url)), 'Новый телефон');
		expect(ok.status).toBe(200);
		t.secrets.add(cookiePair(ok.setCookie).split('=')[1] ?? '');
		expect((ok.body.programs as Array<{ id: string }>).map((p) => p.id)).toContain(w.programs.p1);
		expect((await redeem(codeOf(String(program.body.url)), 'Ещё одно')).status).toBe(200);
	});

	it('the sheet: a link and a QR for every mentor and mentee of the school', async () => {
		const r = await api(t, 'POST', `/api/organizations/${w.org1}/sign-in-sheet`, {
			cookie: curator,
			body: {}
		});
		expect(r.status, JSON.stringify(r.body)).toBe(201 === r.status ? 201 : 200);
		const entries = r.body.entries as Array<{
			personId: string;
			url: string;
			qrSvg: string;
			role: string;
		}>;
		expect(entries.map((e) => e.personId).sort()).toEqual(
			[w.people.mentor1, w.people.mentee1, w.people.mentor2, w.people.mentee2].sort()
		);
		for (const e of entries) {
			expect(e.url).toMatch(/\/invite#[A-Za-z0-9_-]{43}$/);
			expect(e.qrSvg).toMatch(/^<svg/);
			codeOf(e.url);
		}
		expect(r.body.organizationName).toBe('МАОУ СОШ № 1');
		// Only those who never opened one; a head of the school is skipped with a reason.
		const some = await api(t, 'POST', `/api/organizations/${w.org1}/sign-in-sheet`, {
			cookie: curator,
			body: { onlyNotOpened: true, personIds: [w.people.mentor2, w.people.mentee2, w.people.head1] }
		});
		expect((some.body.entries as Array<{ personId: string }>).map((e) => e.personId)).toEqual([
			w.people.mentor2
		]);
		expect((some.body.skipped as Array<{ personId: string; reason: string }>)[0]).toMatchObject({
			personId: w.people.head1
		});
		for (const e of some.body.entries as Array<{ url: string }>) codeOf(e.url);
	});

	it('revoking one device cuts it off with a non-final code; the other device stays', async () => {
		const phone = await signIn(t, w.people.mentee1, 'Телефон');
		const tablet = await signIn(t, w.people.mentee1, 'Планшет');
		const list = await api(t, 'GET', `/api/people/${w.people.mentee1}/devices`, {
			cookie: curator
		});
		expect(list.status).toBe(200);
		const devices = list.body.devices as Array<{
			id: string;
			deviceName: string;
			method: string;
			createdAt: number;
			lastUsedAt: number;
			active: boolean;
		}>;
		expect(devices.map((d) => d.deviceName).sort()).toEqual(['Планшет', 'Телефон']);
		expect(devices.every((d) => d.method === 'invitation' && d.active)).toBe(true);
		expect(typeof list.body.openedAt).toBe('number');

		const a = await probeRelay(t, w.programs.p1, { cookie: phone.cookie });
		const b = await probeRelay(t, w.programs.p1, { cookie: tablet.cookie });
		if (!a.open || !b.open) throw new Error('relay refused a valid session');
		const closed = new Promise<number>((resolve) => a.ws.once('close', (code) => resolve(code)));
		const phoneSession = (phone.body.session as { id: string }).id;
		const r = await api(t, 'DELETE', `/api/people/${w.people.mentee1}/devices/${phoneSession}`, {
			cookie: curator
		});
		expect(r.status).toBe(200);
		const code = await closed;
		// Not 4400–4499: y-websocket 3 would give up for good on those.
		expect(code).toBe(1012);
		expect(b.ws.readyState).toBe(b.ws.OPEN);
		await closeWs(b.ws);
		// The reconnect is refused; the device learns it was revoked by someone else.
		const again = await probeRelay(t, w.programs.p1, { cookie: phone.cookie });
		expect(again.open).toBe(false);
		const state = await api(t, 'GET', '/api/session/state', { cookie: phone.cookie });
		expect(state.body).toMatchObject({ state: 'revoked', byOther: true });
		expect(
			(await api(t, 'GET', '/api/session/state', { cookie: tablet.cookie })).body
		).toMatchObject({ state: 'active' });
		// A session of another person under this person's URL: not found, nothing revoked.
		const tabletSession = (tablet.body.session as { id: string }).id;
		expect(
			(
				await api(t, 'DELETE', `/api/people/${w.people.mentor1}/devices/${tabletSession}`, {
					cookie: curator
				})
			).status
		).toBe(404);
		expect((await api(t, 'GET', '/api/me', { cookie: tablet.cookie })).status).toBe(200);
	});

	it('refused: a curator of another organization, a participant, an anonymous request', async () => {
		const other = (await signIn(t, w.people.curator1b, 'Другая школа')).cookie;
		const far = (await signIn(t, w.people.curator2, 'Другой город')).cookie;
		const participant = (await signIn(t, w.people.mentor2, 'Телефон наставника')).cookie;
		const victim = await signIn(t, w.people.mentee2, 'Телефон наставляемого');
		const victimSession = (victim.body.session as { id: string }).id;
		const calls: Array<[string, string, unknown?]> = [
			['POST', `/api/people/${w.people.mentee2}/sign-in-link`, {}],
			['POST', `/api/organizations/${w.org1}/sign-in-sheet`, {}],
			['GET', `/api/people/${w.people.mentee2}/devices`],
			['DELETE', `/api/people/${w.people.mentee2}/devices/${victimSession}`]
		];
		for (const [who, cookie, expected] of [
			['curator of another school', other, [403, 404]],
			['curator of another municipality', far, [403, 404]],
			['participant', participant, [403, 404]],
			['anonymous', null, [401]]
		] as const) {
			for (const [method, url, body] of calls) {
				const r = await api(t, method, url, { cookie, ...(body ? { body } : {}) });
				expect(expected, `${who}: ${method} ${url} → ${r.status}`).toContain(r.status);
				expect(JSON.stringify(r.body)).not.toMatch(/invite#/);
			}
		}
		// Nothing happened to the victim's device.
		expect((await api(t, 'GET', '/api/me', { cookie: victim.cookie })).status).toBe(200);
		// A curator may not issue a link for someone with wider rights (a head of their school).
		const head = await api(t, 'POST', `/api/people/${w.people.head1}/sign-in-link`, {
			cookie: curator,
			body: {}
		});
		expect(head.status).toBe(403);
	});
});
