/**
 * Abuse of the HTTP side, against the built server as a child process (issue #14):
 * - thousands of slow connections (slowloris) from a couple of addresses, with the server's
 *   open-file limit lowered so that they would exhaust it: `/healthz` keeps answering;
 * - 400 sign-ins at once: `/healthz` and the home page stay responsive (worst figure printed);
 * - an attacker failing sign-ins cannot lock the curator out.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCliContext } from '../../server/cli/identity/context';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import { SECRET, sleep, startServer, tempRoot, type ServerHandle } from './harness';

const LOGIN = 'smirnova.op';
const PASSWORD = 'Верный-пароль-2026';

/** A curator with a password, written before the server starts (as the CLI would). */
async function seedCurator(dataDir: string): Promise<void> {
	const ctx = await openCliContext({
		DATA_DIR: dataDir,
		SERVER_SECRET: SECRET,
		LOG_LEVEL: 'silent'
	});
	try {
		const { identity } = ctx;
		const mun = await identity.createMunicipality(SYSTEM_ACTOR, 'Город Томск', null);
		const org = await identity.createOrganization(SYSTEM_ACTOR, mun.id, 'МАОУ СОШ № 1', null);
		const person = await identity.createPerson(
			SYSTEM_ACTOR,
			{ organizationId: org.id },
			{ fullName: 'Смирнова Ольга Петровна' }
		);
		await identity.assignRole(SYSTEM_ACTOR, person.id, 'curator', { organizationId: org.id });
		await identity.setPassword(SYSTEM_ACTOR, person.id, LOGIN, PASSWORD);
	} finally {
		await ctx.close();
	}
}

/** One GET from a chosen loopback address: status and milliseconds (status 0: failed). */
function timedGet(
	url: string,
	localAddress = '127.0.0.1'
): Promise<{ status: number; ms: number }> {
	const started = performance.now();
	return new Promise((resolve) => {
		const req = httpRequest(url, { localAddress, agent: false }, (res) => {
			res.resume();
			res.on('end', () =>
				resolve({ status: res.statusCode ?? 0, ms: performance.now() - started })
			);
		});
		req.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
		req.setTimeout(30_000, () => req.destroy());
		req.end();
	});
}

function login(
	base: string,
	password: string,
	forwardedFor?: string
): Promise<{
	status: number;
	retryAfter: string | null;
	body: { error?: string; message?: string };
}> {
	return fetch(`${base}/api/login`, {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {})
		},
		body: JSON.stringify({ login: LOGIN, password })
	}).then(async (r) => ({
		status: r.status,
		retryAfter: r.headers.get('retry-after'),
		body: (await r.json().catch(() => ({}))) as { error?: string; message?: string }
	}));
}

/** Probes `urls` every `everyMs` until `stop()`; the worst latency and any failure. */
function probe(urls: string[], everyMs = 100) {
	let running = true;
	let worst = 0;
	let failures = 0;
	let count = 0;
	const done = (async () => {
		while (running) {
			const results = await Promise.all(urls.map((u) => timedGet(u)));
			for (const r of results) {
				count++;
				worst = Math.max(worst, r.ms);
				if (r.status !== 200) failures++;
			}
			await sleep(everyMs);
		}
	})();
	return {
		async stop() {
			running = false;
			await done;
			return { worst: Math.round(worst), failures, count };
		}
	};
}

describe('HTTP abuse: the server keeps answering', () => {
	const t = tempRoot('http-abuse');
	let server: ServerHandle;

	beforeAll(async () => {
		await seedCurator(t.dataDir);
		const client = path.join(t.root, 'client');
		mkdirSync(client, { recursive: true });
		writeFileSync(path.join(client, 'index.html'), '<!doctype html><p>Мои программы</p>');
		writeFileSync(path.join(client, '200.html'), '<!doctype html><p>shell</p>');
		server = await startServer(t.dataDir, {
			CLIENT_DIR: client,
			// The test plays the school's reverse proxy from 127.0.0.1 (lockout scenario); the
			// slow connections come from other loopback addresses, which are not trusted.
			TRUSTED_PROXIES: '127.0.0.1',
			HTTP_HEADERS_TIMEOUT_MS: '3000'
		});
	});
	afterAll(async () => {
		await server?.stop('SIGTERM');
		t.dispose();
	});

	it('5,000 slow connections from three addresses do not exhaust the server (open-file limit 4,096)', async () => {
		// As on a server with `ulimit -n 4096`: without limits, 5,000 connections exhaust it.
		execFileSync('prlimit', [`--pid=${server.pid}`, '--nofile=4096:4096']);
		const slow: Socket[] = [];
		let closedByServer = 0;
		const open = (localAddress: string) =>
			new Promise<void>((resolve) => {
				const socket = connect({ port: server.port, host: '127.0.0.1', localAddress }, () => {
					// Slowloris: a request whose headers never end.
					socket.write('GET / HTTP/1.1\r\nHost: school\r\nX-Slow: ');
					resolve();
				});
				socket.on('error', () => resolve());
				socket.on('close', () => closedByServer++);
				socket.resume();
				slow.push(socket);
			});
		const watch = probe([`${server.url}/healthz`]);
		try {
			for (let batch = 0; batch < 25; batch++) {
				await Promise.all(Array.from({ length: 200 }, (_, i) => open(`127.0.0.${2 + (i % 3)}`)));
			}
			// Hold them a few seconds past the headers timeout.
			await sleep(5_000);
			const health = await watch.stop();
			console.log(
				`slow connections: ${slow.length} opened, ${closedByServer} closed by the server; ` +
					`/healthz worst ${health.worst} ms over ${health.count} probes, ${health.failures} failed`
			);
			expect(health.failures).toBe(0);
			// Generous: the machine is shared and noisy; what matters is that it answers at all.
			expect(health.worst).toBeLessThan(5_000);
			// The excess beyond the per-address limit, then the rest after the headers timeout.
			expect(closedByServer).toBeGreaterThan(4_000);
		} finally {
			for (const s of slow) s.destroy();
		}
		expect((await timedGet(`${server.url}/healthz`)).status).toBe(200);
	});

	it('400 sign-ins at once: /healthz and the home page stay responsive', async () => {
		const watch = probe([`${server.url}/healthz`, `${server.url}/`], 50);
		const started = performance.now();
		const results = await Promise.all(
			Array.from({ length: 400 }, () => login(server.url, PASSWORD))
		);
		const wall = Math.round(performance.now() - started);
		await sleep(200);
		const health = await watch.stop();
		const statuses = new Map<number, number>();
		for (const r of results) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
		console.log(
			`400 parallel sign-ins in ${wall} ms: ${JSON.stringify(Object.fromEntries(statuses))}; ` +
				`/healthz and / worst ${health.worst} ms over ${health.count} probes, ${health.failures} failed`
		);
		expect(health.failures).toBe(0);
		// Generous: the machine is shared (load 7–14 on 2 cores in these runs) and the probes run in
		// the same process that sends the 400 sign-ins; unbounded, the probes waited 26–30 s and failed.
		expect(health.worst).toBeLessThan(5_000);
		// Every sign-in is answered: signed in, or «busy, retry» — never a server error.
		expect([...statuses.keys()].every((s) => s === 200 || s === 429)).toBe(true);
		expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
		const busy = results.find((r) => r.status === 429);
		if (busy) {
			expect(Number(busy.retryAfter)).toBeGreaterThan(0);
			expect(busy.body.message).toMatch(/Попробуйте/);
		}
	});

	it('an attacker failing sign-ins cannot lock the curator out', async () => {
		const attacker = '203.0.113.66';
		const statuses: number[] = [];
		for (let i = 0; i < 40; i++)
			statuses.push((await login(server.url, `угадал-${i}`, attacker)).status);
		// The attacker's own address is throttled …
		expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
		expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
		// … while the curator, at school, signs in at once.
		const curator = await login(server.url, PASSWORD, '198.51.100.7');
		expect(curator.status).toBe(200);
		const blocked = await login(server.url, PASSWORD, attacker);
		expect(blocked.status).toBe(429);
		expect(Number(blocked.retryAfter)).toBeGreaterThan(0);
		expect(blocked.body.message).toMatch(/Слишком много неудачных попыток входа/);
		// A new attacker address gets its own few tries, no more (and never the account's lock).
		const other = await login(server.url, 'ещё-попытка', '203.0.113.67');
		expect(other.status).toBe(401);
		expect((await login(server.url, PASSWORD, '198.51.100.8')).status).toBe(200);
	});
});
