// Not in test:postgres: this file uses PostgreSQL in every run (scripts/test-postgres.mjs).
/**
 * Revocation across instances: two servers sharing one PostgreSQL database and one Redis. What a
 * curator does on instance A (remove a participant, revoke an access token) closes the person's
 * sockets on instance B within 2 s with a code the client reconnects on (1012 / 45xx), while the
 * partner on B keeps syncing; a token revoked from the CLI (only the database knows) too.
 * Needs TEST_DATABASE_URL and TEST_REDIS_URL; skipped, saying why, without them.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createIdentity } from '../../server/identity/index';
import { createIdentityStore } from '../../server/identity/sql-store';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import { createLogger } from '../../server/logger';
import { createTestServer, type InProcessTestServer } from '../support/test-server';
import { api, openRelaySocket, probeRelay, signIn, type TestServer } from './identity-fixture';
import {
	createTestDatabase,
	postgresUnavailable,
	redisUrl,
	skipUnlessCi,
	type TestDatabase
} from './test-storage';

const SECRET = 'cluster-revocation-secret-0123456789abcdef';
const why = skipUnlessCi(
	'cluster-revocation',
	(await postgresUnavailable()) ??
		(redisUrl() ? null : 'TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)')
);

const reconnectable = (code: number) => code === 1012 || (code >= 4500 && code < 5000);

describe.skipIf(why !== null)('revocation on one instance closes sockets on the other', () => {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-cluster-revocation-'));
	let db: TestDatabase;
	let a: TestServer;
	let b: TestServer;
	let org: string;
	let curator: string;
	let n = 0;
	const prefix = `rv${randomBytes(3).toString('hex')}`;

	const start = async (name: string): Promise<TestServer> => {
		const dataDir = path.join(root, name);
		mkdirSync(dataDir, { recursive: true });
		const s: InProcessTestServer = await createTestServer({
			storage: null,
			dataDir,
			logLevel: 'warn',
			env: {
				DATABASE_URL: db.url,
				REDIS_URL: redisUrl() ?? '',
				// One prefix for both: B hears A's control channel.
				CLUSTER_PREFIX: prefix,
				SERVER_SECRET: SECRET
			}
		});
		return {
			server: s.server,
			base: s.url,
			wsBase: `ws://127.0.0.1:${s.port}`,
			logs: s.logs,
			secrets: new Set(),
			close: s.close
		};
	};

	beforeAll(async () => {
		db = await createTestDatabase();
		a = await start('a');
		b = await start('b');
		const id = a.server.identity;
		const mun = await id.createMunicipality(SYSTEM_ACTOR, 'Город Томск');
		org = (await id.createOrganization(SYSTEM_ACTOR, mun.id, 'МАОУ СОШ № 1')).id;
		const c = await id.createPerson(
			SYSTEM_ACTOR,
			{ organizationId: org },
			{ fullName: 'Смирнова Елена Викторовна', birthDate: '1980-01-01' }
		);
		await id.assignRole(SYSTEM_ACTOR, c.id, 'curator', { organizationId: org });
		curator = (await signIn(a, c.id, 'Рабочий компьютер')).cookie;
	}, 120_000);

	afterAll(async () => {
		await a?.close();
		await b?.close();
		await db?.drop();
		rmSync(root, { recursive: true, force: true });
	});

	async function pair() {
		const id = a.server.identity;
		n++;
		const person = async (fullName: string, role: 'mentor' | 'mentee') => {
			const p = await id.createPerson(
				SYSTEM_ACTOR,
				{ organizationId: org },
				{ fullName, birthDate: '1990-05-01' }
			);
			await id.assignRole(SYSTEM_ACTOR, p.id, role, { organizationId: org });
			return p.id;
		};
		const mentor = await person(`Наставник${n} Иван Иванович`, 'mentor');
		const mentee = await person(`Наставляемый${n} Пётр Петрович`, 'mentee');
		const curatorActor = (await id.authenticate(curator.split('=')[1]))?.actor;
		if (!curatorActor) throw new Error('curator session');
		const program = await a.server.programs.createProgram(curatorActor, {
			organizationId: org,
			templateId: 'teacher-surgut',
			startDate: '2026-09-01',
			participants: [
				{ personId: mentor, role: 'mentor' },
				{ personId: mentee, role: 'mentee' }
			]
		});
		return { programId: program.id, mentor, mentee };
	}

	async function closedWithin(
		what: string,
		s: { closed: Promise<{ code: number; at: number }> },
		started: number
	) {
		const c = await Promise.race([
			s.closed,
			new Promise<never>((_, reject) =>
				setTimeout(() => reject(new Error(`${what}: still open after 5 s`)), 5_000)
			)
		]);
		console.log(
			`[cluster-revocation] ${what}: closed on B ${c.at - started} ms after the request on A (code ${c.code})`
		);
		expect(c.at - started, what).toBeLessThan(2_000);
		expect(reconnectable(c.code), `${what}: code ${c.code}`).toBe(true);
	}

	it('a participant removed on A: their socket on B closes, the partner on B stays', async () => {
		const p = await pair();
		const mentee = await signIn(a, p.mentee, 'Телефон');
		const mentor = await signIn(a, p.mentor, 'Телефон');
		const onB = await openRelaySocket(b, p.programId, { cookie: mentee.cookie });
		const partner = await openRelaySocket(b, p.programId, { cookie: mentor.cookie });
		let partnerCode: number | null = null;
		void partner.closed.then((c) => (partnerCode = c.code));
		const started = Date.now();
		const r = await api(a, 'DELETE', `/api/programs/${p.programId}/participants/${p.mentee}`, {
			cookie: curator
		});
		expect(r.status).toBe(200);
		await closedWithin('participant removed', onB, started);
		expect((await probeRelay(b, p.programId, { cookie: mentee.cookie })).open).toBe(false);
		await new Promise((r) => setTimeout(r, 300));
		expect(partnerCode).toBeNull();
		expect(partner.ws.readyState).toBe(WebSocket.OPEN);
		partner.ws.close();
	});

	it('an access token revoked over HTTP on A: its socket on B closes', async () => {
		const p = await pair();
		const minted = await a.server.identity.mintAccessToken(SYSTEM_ACTOR, {
			personId: p.mentor,
			programId: p.programId,
			access: 'rw',
			ttlMs: 3_600_000
		});
		const onB = await openRelaySocket(b, p.programId, { token: minted.token });
		const started = Date.now();
		const r = await api(a, 'DELETE', `/api/access-tokens/${minted.id}`, { cookie: curator });
		expect(r.status).toBe(200);
		await closedWithin('token revoked on A', onB, started);
	});

	it('an access token revoked from the CLI (the database only): its socket on B closes', async () => {
		const p = await pair();
		const minted = await a.server.identity.mintAccessToken(SYSTEM_ACTOR, {
			personId: p.mentee,
			programId: p.programId,
			access: 'rw',
			ttlMs: 3_600_000
		});
		const onB = await openRelaySocket(b, p.programId, { token: minted.token });
		const cli = createIdentity({
			store: createIdentityStore(a.server.storage.sql),
			secret: SECRET,
			logger: createLogger('silent')
		});
		const started = Date.now();
		await cli.revokeAccessToken(SYSTEM_ACTOR, minted.id);
		await closedWithin('token revoked from the CLI', onB, started);
	});
});
