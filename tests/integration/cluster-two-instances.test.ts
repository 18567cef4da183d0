/**
 * Two server processes on different ports sharing one PostgreSQL database and one Redis, behind
 * a TCP load balancer (round robin, fails over to the live instance): clients of one program split
 * across the two converge live (updates and presence); a session revoked on one instance closes
 * its websocket on the other; SIGKILL of one instance mid-burst → its clients reconnect through
 * the balancer to the other and nothing acknowledged is lost. Needs DATABASE_URL and REDIS_URL;
 * skipped, saying why, without them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createIdentity } from '../../server/identity/index';
import { createIdentityStore } from '../../server/identity/sql-store';
import { createPrograms } from '../../server/programs/index';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import { createLogger } from '../../server/logger';
import { openPostgresStorage } from '../../server/storage/index';
import { ackedWriter, readOnlyObserver, type AckedWriter } from './relay-helpers';
import { startServerProcess, type ServerProcess } from './server-process';
import {
	createTestDatabase,
	postgresUnavailable,
	redisUrl,
	skipUnlessCi,
	type TestDatabase
} from './test-storage';
import { waitFor } from '../support/wait';
import { cuttableProxy } from '../support/cuttable-proxy';

const SECRET = 'cluster-test-secret-0123456789abcdef-xyz';
const why = skipUnlessCi(
	'cluster-two-instances',
	(await postgresUnavailable()) ??
		(redisUrl() ? null : 'TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379)')
);

/** A TCP load balancer: round robin over the backends, skipping one that refuses connections. */
async function loadBalancer(backends: number[]) {
	let next = 0;
	const placed: number[] = [];
	const server = net.createServer((client) => {
		client.pause();
		const tryBackend = (attempt: number) => {
			if (attempt >= backends.length) return client.destroy();
			const port = backends[(next + attempt) % backends.length] as number;
			const upstream = net.connect(port, '127.0.0.1');
			let connected = false;
			upstream.once('connect', () => {
				connected = true;
				next = (next + attempt + 1) % backends.length;
				placed.push(port);
				client.pipe(upstream).pipe(client);
				client.resume();
			});
			upstream.on('error', () => {
				if (!connected) tryBackend(attempt + 1);
				else client.destroy();
			});
			client.once('close', () => upstream.destroy());
			upstream.once('close', () => {
				if (connected) client.destroy();
			});
		};
		client.on('error', () => undefined);
		tryBackend(0);
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	return {
		port: (server.address() as net.AddressInfo).port,
		placed,
		close: () => new Promise<void>((r) => server.close(() => r()))
	};
}

type Client = AckedWriter;
const client = (name: string, port: number, programId: string) =>
	ackedWriter(name, port, programId, SECRET);

describe.skipIf(why !== null)('two instances sharing PostgreSQL and Redis', () => {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-cluster-'));
	let db: TestDatabase;
	let a: ServerProcess;
	let b: ServerProcess;
	let lb: Awaited<ReturnType<typeof loadBalancer>>;
	const programId = `pc-${randomBytes(4).toString('hex')}`;
	const clients: Client[] = [];
	let world: { menteeId: string; programId: string };

	beforeAll(async () => {
		db = await createTestDatabase();
		const storage = await openPostgresStorage(db.url);
		await storage.documents.createProgram(programId);
		// People and a program with participants, for the revocation test.
		const identity = createIdentity({
			store: createIdentityStore(storage.sql),
			secret: SECRET,
			logger: createLogger('silent')
		});
		const programs = createPrograms({
			identity,
			documents: storage.documents,
			logger: createLogger('silent')
		});
		const mun = await identity.createMunicipality(SYSTEM_ACTOR, 'Город Томск');
		const org = await identity.createOrganization(SYSTEM_ACTOR, mun.id, 'МАОУ СОШ № 1');
		const person = (fullName: string) =>
			identity.createPerson(
				SYSTEM_ACTOR,
				{ organizationId: org.id },
				{ fullName, birthDate: '1990-01-01' }
			);
		const curator = await person('Смирнова Елена Викторовна');
		const mentor = await person('Иванова Мария Петровна');
		const mentee = await person('Петров Олег Игоревич');
		await identity.assignRole(SYSTEM_ACTOR, curator.id, 'curator', { organizationId: org.id });
		const program = await programs.createProgram(await identity.actorFor(curator.id), {
			organizationId: org.id,
			templateId: 'teacher-surgut',
			startDate: '2026-09-01',
			participants: [
				{ personId: mentor.id, role: 'mentor' },
				{ personId: mentee.id, role: 'mentee' }
			]
		});
		world = { menteeId: mentee.id, programId: program.id };
		await storage.close();

		const env = {
			DATABASE_URL: db.url,
			REDIS_URL: redisUrl() ?? '',
			CLUSTER_PREFIX: `t${randomBytes(4).toString('hex')}`,
			SERVER_SECRET: SECRET,
			LOG_LEVEL: 'warn',
			RELAY_COMPACT_AFTER_UPDATES: '25',
			RELAY_MAX_CONNECTIONS_PER_IP: '10000',
			MAX_CONNECTIONS_PER_IP: '10000',
			RELAY_MAX_CONNECTIONS_PER_USER: '10000'
		};
		[a, b] = await Promise.all([
			startServerProcess(path.join(root, 'a'), env),
			startServerProcess(path.join(root, 'b'), env)
		]);
		lb = await loadBalancer([a.port, b.port]);
	}, 200_000); // child servers: up to 90 s to start on a loaded machine

	afterAll(async () => {
		for (const c of clients) c.provider.destroy();
		for (const p of [a, b]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
		await Promise.all([a?.exited, b?.exited]);
		await lb?.close();
		await db?.drop();
		rmSync(root, { recursive: true, force: true });
	});

	it('reports the database and Redis in /readyz', async () => {
		for (const p of [a, b]) {
			const r = await fetch(`${p.url}/readyz`);
			expect(r.status).toBe(200);
			const body = (await r.json()) as Record<string, { ok: boolean; kind?: string }>;
			expect(body.storage).toMatchObject({ ok: true, kind: 'postgres' });
			expect(body.cluster).toMatchObject({ ok: true });
		}
	});

	it('clients of one program split across the instances converge live, presence included', async () => {
		for (const name of ['w1', 'w2', 'w3', 'w4']) {
			clients.push(client(name, lb.port, programId));
			await waitFor(() => clients.at(-1)?.provider.synced === true, `${name} to sync`);
		}
		expect(lb.placed.slice(0, 4)).toEqual([a.port, b.port, a.port, b.port]);
		for (const c of clients) c.doc.getMap('m').set(`${c.name}-live`, Date.now());
		await waitFor(
			() => clients.every((c) => c.doc.getMap('m').size === 4),
			'every client to see every other client’s edit',
			5_000
		);
		// Live: nobody reconnected to get them.
		expect(clients.map((c) => c.connections)).toEqual([1, 1, 1, 1]);
		clients[0]?.provider.awareness.setLocalStateField('user', { name: 'w1 на A' });
		await waitFor(
			() =>
				[...(clients[1]?.provider.awareness.getStates().values() ?? [])].some(
					(s) => (s as { user?: { name?: string } }).user?.name === 'w1 на A'
				),
			'presence from instance A on instance B',
			5_000
		);
	});

	it('a session revoked on one instance closes its websocket on the other at once', async () => {
		const identityCode = await (async () => {
			const storage = await openPostgresStorage(db.url);
			try {
				const identity = createIdentity({
					store: createIdentityStore(storage.sql),
					secret: SECRET,
					logger: createLogger('silent')
				});
				return (await identity.createInvitation(SYSTEM_ACTOR, { personId: world.menteeId })).code;
			} finally {
				await storage.close();
			}
		})();
		const redeem = await fetch(`${a.url}/api/invitations/redeem`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ code: identityCode, deviceName: 'Телефон' })
		});
		expect(redeem.status).toBe(200);
		const cookie = (redeem.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
		const ws = new WebSocket(`ws://127.0.0.1:${b.port}/sync/${world.programId}`, {
			headers: { cookie, origin: b.url }
		});
		const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
		await new Promise<void>((resolve, reject) => {
			ws.once('message', () => resolve());
			ws.once('close', (code) => reject(new Error(`refused ${code}`)));
			ws.on('open', () => ws.send(Uint8Array.from([0, 0, 1, 0])));
		});
		const t0 = Date.now();
		const logout = await fetch(`${a.url}/api/logout`, {
			method: 'POST',
			headers: { cookie, 'content-type': 'application/json' },
			body: '{}'
		});
		expect(logout.status).toBeLessThan(300);
		expect(await closed).toBe(4401);
		expect(Date.now() - t0).toBeLessThan(2_000);
	});

	it('SIGKILL of one instance mid-burst: its clients move to the other, nothing acknowledged is lost', async () => {
		let writing = true;
		const loops = clients.map(async (c) => {
			while (writing) {
				c.doc.getMap('m').set(`${c.name}-${c.written++}`, Date.now());
				await new Promise((r) => setTimeout(r, 3));
			}
		});
		await waitFor(() => clients.every((c) => c.acked.size >= 40), 'acknowledged writes', 15_000);
		a.child.kill('SIGKILL');
		expect(await a.exited).toBe('SIGKILL');
		const ackedAtKill = clients.map((c) => new Set(c.acked));
		// The clients keep writing for a while with A dead (part of the scenario, not a wait).
		await new Promise((r) => setTimeout(r, 300));
		writing = false;
		await Promise.all(loops);
		const writtenTotal = clients.reduce((n, c) => n + c.written, 0) + 4;
		// Clients of A reconnect through the balancer to B.
		await waitFor(
			() => clients.every((c) => c.provider.wsconnected && c.provider.synced),
			'clients to reconnect',
			15_000
		);
		expect(clients[0]?.connections).toBeGreaterThanOrEqual(2);
		expect(clients[2]?.connections).toBeGreaterThanOrEqual(2);

		// A fresh observer on B sees every acknowledged write (durable in PostgreSQL), and then all converge.
		const { doc: observer, provider: op } = readOnlyObserver(b.port, programId, SECRET);
		try {
			await waitFor(() => op.synced, 'observer to sync');
			const stored = new Set(observer.getMap('m').keys());
			const lost = ackedAtKill.flatMap((s) => [...s].filter((k) => !stored.has(k)));
			const ackedTotal = ackedAtKill.reduce((n, s) => n + s.size, 0);
			console.log(
				`two instances, SIGKILL of A: ${writtenTotal} writes, ${ackedTotal} acknowledged before the kill, ${lost.length} lost`
			);
			expect(lost).toEqual([]);
			await waitFor(
				() =>
					observer.getMap('m').size === writtenTotal &&
					clients.every((c) => c.doc.getMap('m').size === writtenTotal),
				'all clients to converge on B',
				20_000
			);
		} finally {
			op.destroy();
		}
	}, 60_000);
});

describe.skipIf(why !== null)('two instances when Redis goes away', () => {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-cluster-redis-'));
	let db: TestDatabase;
	let a: ServerProcess;
	let b: ServerProcess;
	let proxy: Awaited<ReturnType<typeof cuttableProxy>>;
	const programId = `pr-${randomBytes(4).toString('hex')}`;
	const clients: Client[] = [];

	beforeAll(async () => {
		db = await createTestDatabase();
		const storage = await openPostgresStorage(db.url);
		await storage.documents.createProgram(programId);
		await storage.close();
		proxy = await cuttableProxy(new URL(redisUrl() ?? ''));
		const env = {
			DATABASE_URL: db.url,
			CLUSTER_PREFIX: `t${randomBytes(4).toString('hex')}`,
			SERVER_SECRET: SECRET,
			LOG_LEVEL: 'warn'
		};
		// B reaches Redis through the proxy the test cuts; A directly.
		[a, b] = await Promise.all([
			startServerProcess(path.join(root, 'a'), { ...env, REDIS_URL: redisUrl() ?? '' }),
			startServerProcess(path.join(root, 'b'), { ...env, REDIS_URL: proxy.url })
		]);
	}, 200_000); // child servers: up to 90 s to start on a loaded machine

	afterAll(async () => {
		for (const c of clients) c.provider.destroy();
		for (const p of [a, b]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
		await Promise.all([a?.exited, b?.exited]);
		await proxy?.close();
		await db?.drop();
		rmSync(root, { recursive: true, force: true });
	});

	it('degrades to "sync on reconnect", loses nothing, and catches up when Redis returns', async () => {
		const onA = client('ra', a.port, programId);
		const onB = client('rb', b.port, programId);
		clients.push(onA, onB);
		await waitFor(() => onA.provider.synced && onB.provider.synced, 'clients to sync');
		onA.doc.getMap('m').set('ra-before', 1);
		await waitFor(() => onB.doc.getMap('m').has('ra-before'), 'live delivery before the cut');

		proxy.cut();
		const h = await waitFor(
			async () => {
				const h = (await (await fetch(`${b.url}/readyz`)).json()) as {
					status: string;
					cluster?: { ok: boolean; detail?: string };
				};
				return h.cluster?.ok === false ? h : null;
			},
			{ what: 'B to report Redis as down', timeout: 10_000, interval: 50 }
		);
		expect(h.status).toBe('degraded');
		expect(h.cluster?.detail).toContain('sync on reconnect');
		expect((await fetch(`${b.url}/readyz`)).status).toBe(200);

		// Writes on both sides are still acknowledged (durable in PostgreSQL).
		for (let i = 0; i < 20; i++) {
			onA.doc.getMap('m').set(`ra-${i}`, i);
			onB.doc.getMap('m').set(`rb-${i}`, i);
			await new Promise((r) => setTimeout(r, 5));
		}
		await waitFor(
			() => onA.acked.size >= 20 && onB.acked.size >= 20,
			'acknowledgements without Redis'
		);
		// A fresh client on A reads everything from the durable log, B's writes included.
		const fresh = client('rf', a.port, programId);
		clients.push(fresh);
		await waitFor(() => fresh.provider.synced, 'fresh client');
		for (const k of [...onA.acked, ...onB.acked])
			expect(fresh.doc.getMap('m').has(k), k).toBe(true);

		// Redis returns: B reloads from storage and pushes what its client missed, no reconnect needed.
		proxy.restore();
		await waitFor(
			() => [...onA.acked].every((k) => onB.doc.getMap('m').has(k)),
			'B’s client to catch up after Redis returns',
			15_000
		);
		await waitFor(
			() => [...onB.acked].every((k) => onA.doc.getMap('m').has(k)),
			'A’s client to catch up',
			15_000
		);
		expect(onB.connections).toBe(1);
	}, 60_000);
});
