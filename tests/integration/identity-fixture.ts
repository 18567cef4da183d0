import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import type { NastavnikServer } from '../../server/app';
import type { Actor } from '../../server/identity/policy';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import { createTestServer } from '../support/test-server';

/** A real server on an ephemeral port with a temporary data directory and captured logs. */
export interface TestServer {
	server: NastavnikServer;
	base: string;
	wsBase: string;
	logs(): string;
	/** Secrets handed out during the test (codes, tokens, cookies): must never reach the logs. */
	secrets: Set<string>;
	close(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-identity-'));
	const client = path.join(root, 'client');
	mkdirSync(client, { recursive: true });
	writeFileSync(path.join(client, '200.html'), '<!doctype html><p>shell</p>');
	writeFileSync(path.join(client, 'index.html'), '<!doctype html><p>home</p>');
	const t = await createTestServer({ clientDir: client, logLevel: 'debug', env });
	return {
		server: t.server,
		base: t.url,
		wsBase: `ws://127.0.0.1:${t.port}`,
		logs: t.logs,
		secrets: new Set(),
		async close() {
			await t.close();
			rmSync(root, { recursive: true, force: true });
		}
	};
}

export interface ApiResponse {
	status: number;
	body: Record<string, unknown>;
	setCookie: string | null;
}

export async function api(
	t: TestServer,
	method: string,
	url: string,
	opts: { cookie?: string | null; body?: unknown; headers?: Record<string, string> } = {}
): Promise<ApiResponse> {
	const headers: Record<string, string> = { ...(opts.headers ?? {}) };
	if (opts.cookie) headers.cookie = opts.cookie;
	let body: string | undefined;
	if (opts.body !== undefined) {
		headers['content-type'] = 'application/json';
		body = JSON.stringify(opts.body);
	}
	const response = await fetch(`${t.base}${url}`, { method, headers, body });
	const text = await response.text();
	let parsed: Record<string, unknown> = {};
	try {
		parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
	} catch {
		parsed = { raw: text };
	}
	return { status: response.status, body: parsed, setCookie: response.headers.get('set-cookie') };
}

/** The `name=value` part of a Set-Cookie header. */
export function cookiePair(setCookie: string | null): string {
	if (!setCookie) throw new Error('no Set-Cookie');
	return setCookie.split(';')[0] ?? '';
}

/** Signs a person in the way a phone does: an invitation link redeemed over HTTP. */
export async function signIn(
	t: TestServer,
	personId: string,
	deviceName = 'Тестовый телефон'
): Promise<{ cookie: string; body: Record<string, unknown> }> {
	const { code } = await t.server.identity.createInvitation(SYSTEM_ACTOR, { personId });
	t.secrets.add(code);
	const r = await api(t, 'POST', '/api/invitations/redeem', { body: { code, deviceName } });
	if (r.status !== 200) throw new Error(`redeem failed: ${r.status} ${JSON.stringify(r.body)}`);
	const cookie = cookiePair(r.setCookie);
	t.secrets.add(cookie.split('=')[1] ?? '');
	return { cookie, body: r.body };
}

export type RelayProbe = { open: true; ws: WebSocket } | { open: false; code: number };

/**
 * Opens /sync/<programId> with a cookie (or a token) like the PWA does, sends sync step 1 and
 * resolves on the first document message (accepted) or on the close code (refused).
 */
export function probeRelay(
	t: TestServer,
	programId: string,
	opts: { cookie?: string | null; token?: string; origin?: string } = {}
): Promise<RelayProbe> {
	const headers: Record<string, string> = { origin: opts.origin ?? t.base };
	if (opts.cookie) headers.cookie = opts.cookie;
	const q = opts.token ? `?token=${encodeURIComponent(opts.token)}&device=test` : '?device=test';
	const ws = new WebSocket(`${t.wsBase}/sync/${programId}${q}`, { headers });
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('relay probe timed out')), 5_000);
		ws.on('open', () => ws.send(Uint8Array.from([0, 0, 1, 0])));
		ws.on('message', () => {
			clearTimeout(timer);
			resolve({ open: true, ws });
		});
		ws.on('close', (code) => {
			clearTimeout(timer);
			resolve({ open: false, code });
		});
		ws.on('error', () => undefined);
	});
}

/** An accepted relay socket, and when and how it closed (for "closed within 2 s" checks). */
export async function openRelaySocket(
	t: TestServer,
	programId: string,
	opts: { cookie?: string; token?: string }
): Promise<{ ws: WebSocket; closed: Promise<{ code: number; at: number }> }> {
	const probe = await probeRelay(t, programId, opts);
	if (!probe.open) throw new Error(`relay refused: ${probe.code}`);
	const closed = new Promise<{ code: number; at: number }>((resolve) =>
		probe.ws.once('close', (code) => resolve({ code, at: Date.now() }))
	);
	return { ws: probe.ws, closed };
}

export function closeWs(ws: WebSocket): Promise<void> {
	return new Promise((resolve) => {
		if (ws.readyState === WebSocket.CLOSED) return resolve();
		ws.once('close', () => resolve());
		ws.close();
	});
}

export interface World {
	mun1: string;
	mun2: string;
	org1: string;
	/** Another organization of the same municipality. */
	org1b: string;
	org2: string;
	people: Record<
		| 'mentor1'
		| 'mentee1'
		| 'mentor2'
		| 'mentee2'
		| 'curator1'
		| 'head1'
		| 'curator1b'
		| 'curator2'
		| 'mentor3'
		| 'mentee3'
		| 'coordinator1'
		| 'coordinator2'
		| 'muncurator1'
		| 'dephead1'
		| 'admin',
		string
	>;
	/** P1: mentor1 + mentee1 in org1; P2: mentor2 + mentee2 in org1; P3: mentor3 + mentee3 in org2. */
	programs: { p1: string; p2: string; p3: string };
}

/** The start of most identity tests: a test server (startTestServer) with the seeded world. */
export async function startWorld(
	env: Record<string, string> = {}
): Promise<{ t: TestServer; w: World }> {
	const t = await startTestServer(env);
	try {
		return { t, w: await seedWorld(t) };
	} catch (error) {
		await t.close();
		throw error;
	}
}

/** Two municipalities, three organizations, every role, three programs. */
export async function seedWorld(t: TestServer): Promise<World> {
	const id = t.server.identity;
	const sys = SYSTEM_ACTOR;
	const mun1 = (await id.createMunicipality(sys, 'Город Томск')).id;
	const mun2 = (await id.createMunicipality(sys, 'Город Сургут')).id;
	const org1 = (await id.createOrganization(sys, mun1, 'МАОУ СОШ № 1')).id;
	const org1b = (await id.createOrganization(sys, mun1, 'МАОУ СОШ № 2')).id;
	const org2 = (await id.createOrganization(sys, mun2, 'МБОУ СОШ № 3')).id;
	const person = async (
		org: string | null,
		fullName: string,
		role: Actor['roles'][number]['role'],
		mun?: string
	) => {
		const p = await id.createPerson(
			sys,
			org ? { organizationId: org } : mun ? { municipalityId: mun } : {},
			{ fullName, birthDate: '1990-05-01' }
		);
		if (role === 'admin') await id.assignRole(sys, p.id, 'admin', {});
		else if (role === 'coordinator' || role === 'municipal-curator' || role === 'department-head')
			await id.assignRole(sys, p.id, role, { municipalityId: mun ?? '' });
		else await id.assignRole(sys, p.id, role, { organizationId: org ?? '' });
		return p.id;
	};
	const people: World['people'] = {
		mentor1: await person(org1, 'Иванова Мария Петровна', 'mentor'),
		mentee1: await person(org1, 'Петров Олег Игоревич', 'mentee'),
		mentor2: await person(org1, 'Сидорова Анна Ивановна', 'mentor'),
		mentee2: await person(org1, 'Кузнецов Илья Сергеевич', 'mentee'),
		curator1: await person(org1, 'Смирнова Елена Викторовна', 'curator'),
		head1: await person(org1, 'Волков Андрей Николаевич', 'head'),
		curator1b: await person(org1b, 'Орлова Татьяна Юрьевна', 'curator'),
		curator2: await person(org2, 'Морозова Ольга Павловна', 'curator'),
		mentor3: await person(org2, 'Лебедев Павел Андреевич', 'mentor'),
		mentee3: await person(org2, 'Козлова Дарья Олеговна', 'mentee'),
		coordinator1: await person(null, 'Новикова Светлана Игоревна', 'coordinator', mun1),
		coordinator2: await person(null, 'Соколов Игорь Витальевич', 'coordinator', mun2),
		// The department of mun1: curator of head mentoring, and its head (Tomsk 2024).
		muncurator1: await person(null, 'Кравцова Марина Андреевна', 'municipal-curator', mun1),
		dephead1: await person(null, 'Соболев Игорь Павлович', 'department-head', mun1),
		admin: await person(null, 'Администратор Системы', 'admin')
	};
	const curator1 = await id.actorFor(people.curator1);
	const curator2 = await id.actorFor(people.curator2);
	const program = async (actor: Actor, org: string, mentor: string, mentee: string) =>
		(
			await t.server.programs.createProgram(actor, {
				organizationId: org,
				templateId: 'teacher-surgut',
				startDate: '2026-09-01',
				participants: [
					{ personId: mentor, role: 'mentor' },
					{ personId: mentee, role: 'mentee' }
				]
			})
		).id;
	return {
		mun1,
		mun2,
		org1,
		org1b,
		org2,
		people,
		programs: {
			p1: await program(curator1, org1, people.mentor1, people.mentee1),
			p2: await program(curator1, org1, people.mentor2, people.mentee2),
			p3: await program(curator2, org2, people.mentor3, people.mentee3)
		}
	};
}
