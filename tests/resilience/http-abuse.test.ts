/**
 * Abuse of the HTTP side, against the built server as a child process (issue #14):
 * - thousands of slow connections (slowloris) from a couple of addresses, with the server's
 *   open-file limit lowered so that they would exhaust it: `/healthz` keeps answering;
 * - slow connections spread over many addresses up to the global cap: the ones that send no
 *   request are shed under pressure, so `/healthz` and the phones get in long before the
 *   headers timeout;
 * - 400 sign-ins at once: `/healthz` and the home page stay responsive (worst figure printed);
 * - sign-ins beyond the password checks' capacity, or from a throttled address, are refused at
 *   the door, before their bodies arrive;
 * - an attacker failing sign-ins cannot lock the curator out.
 * Throughout, an honest pair (stock y-websocket clients) keeps syncing, never closed with a final
 * code. Latency bounds here are generous (a loaded CI machine); the figures are printed, and the
 * 200 ms target is measured by `npm run bench:abuse` (docs/benchmarks.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCliContext } from '../../server/cli/identity/context';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import {
	SECRET,
	createPrograms,
	sleep,
	slowConnections,
	startServer,
	tempRoot,
	until,
	type ServerHandle
} from './harness';
import { stockClient } from './phones';

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

/**
 * Two stock y-websocket clients of one program. `stillSyncs` has one write and waits for the
 * other to see it; `finalCloses` are the closes with a code the library treats as final.
 */
function honestPair(wsBase: string, programId: string) {
	const finalCloses: number[] = [];
	const a = stockClient(wsBase, programId, 'honest-mentor');
	const b = stockClient(wsBase, programId, 'honest-mentee');
	for (const c of [a, b])
		c.provider.on('connection-close', (event) => {
			const code = (event as { code?: number } | null)?.code ?? 0;
			if (code >= 4400 && code <= 4499) finalCloses.push(code);
		});
	let n = 0;
	return {
		finalCloses,
		async synced() {
			await until(() => a.provider.synced && b.provider.synced, 'honest pair synced', 30_000);
		},
		async stillSyncs(context: string) {
			const mark = `${context} #${++n}; `;
			a.doc.getText('notes').insert(0, mark);
			await until(
				() => b.doc.getText('notes').toString().includes(mark),
				() => `${context}: the honest partner received the edit`,
				30_000
			);
			expect(finalCloses, `${context}: final close codes`).toEqual([]);
		},
		destroy() {
			a.destroy();
			b.destroy();
		}
	};
}

/**
 * A sign-in whose headers arrive and whose body does not (yet): resolves with the status the
 * server answered before the body, if any; `finish()` sends the rest of the body.
 */
function signInHoldingBody(port: number, forwardedFor: string) {
	const body = JSON.stringify({ login: `nobody-${forwardedFor}`, password: 'неверный-пароль-1' });
	const socket = connect({ port, host: '127.0.0.1' });
	let answered = '';
	const status = new Promise<string>((resolve) => {
		socket.on('data', (chunk: Buffer) => {
			answered ||= /^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? '?';
			resolve(answered);
		});
		socket.on('error', () => resolve(answered || 'error'));
		socket.on('close', () => resolve(answered || 'closed'));
	});
	socket.write(
		`POST /api/login HTTP/1.1\r\nHost: school\r\nContent-Type: application/json\r\n` +
			`X-Forwarded-For: ${forwardedFor}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
			body.slice(0, 5)
	);
	return {
		status,
		get answered() {
			return answered;
		},
		finish() {
			if (!socket.destroyed) socket.write(body.slice(5));
		},
		destroy() {
			socket.destroy();
		}
	};
}

describe('HTTP abuse: the server keeps answering', () => {
	const t = tempRoot('http-abuse');
	let server: ServerHandle;
	let pair: ReturnType<typeof honestPair>;

	beforeAll(async () => {
		await seedCurator(t.dataDir);
		await createPrograms(t.dataDir, ['honest-pair']);
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
		pair = honestPair(server.wsBase, 'honest-pair');
		await pair.synced();
	});
	afterAll(async () => {
		pair?.destroy();
		await server?.stop('SIGTERM');
		t.dispose();
	});

	it('5,000 slow connections from three addresses do not exhaust the server (open-file limit 4,096)', async () => {
		// As on a server with `ulimit -n 4096`: without limits, 5,000 connections exhaust it.
		execFileSync('prlimit', [`--pid=${server.pid}`, '--nofile=4096:4096']);
		// Slowloris: requests whose headers never end.
		const slow = slowConnections(server.port);
		const watch = probe([`${server.url}/healthz`]);
		try {
			for (let batch = 0; batch < 25; batch++) {
				await Promise.all(
					Array.from({ length: 200 }, (_, i) => slow.open(`127.0.0.${2 + (i % 3)}`))
				);
			}
			// Hold them a few seconds past the headers timeout.
			await sleep(5_000);
			const health = await watch.stop();
			console.log(
				`slow connections: ${slow.sockets.length} opened, ${slow.closed} closed by the server; ` +
					`/healthz worst ${health.worst} ms over ${health.count} probes, ${health.failures} failed`
			);
			expect(health.failures).toBe(0);
			// Generous: the machine is shared and noisy; what matters is that it answers at all.
			expect(health.worst).toBeLessThan(5_000);
			// The excess beyond the per-address limit, then the rest after the headers timeout.
			expect(slow.closed).toBeGreaterThan(4_000);
		} finally {
			slow.destroyAll();
		}
		expect((await timedGet(`${server.url}/healthz`)).status).toBe(200);
		await pair.stillSyncs('after the slow connections');
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
		await pair.stillSyncs('after 400 sign-ins');
	});

	it('400 sign-ins from 400 addresses beyond the password checks’ capacity are refused before their bodies arrive', async () => {
		// Through the school's proxy (127.0.0.1 is trusted here): 400 different clients. Every
		// sign-in sends its headers and holds its body; a server that reads bodies first answers
		// none of them until the bodies come.
		const watch = probe([`${server.url}/healthz`], 50);
		const attempts = Array.from({ length: 400 }, (_, i) =>
			signInHoldingBody(server.port, `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`)
		);
		try {
			// Capacity: LOGIN_CONCURRENCY (1 on two cores, at most 4) + LOGIN_QUEUE (32).
			await until(
				() => attempts.filter((a) => a.answered === '429').length >= 400 - 36,
				() =>
					`sign-ins refused before their bodies: ${attempts.filter((a) => a.answered === '429').length} of 400`,
				20_000
			);
			for (const a of attempts) a.finish();
			const statuses = new Map<string, number>();
			for (const s of await Promise.all(attempts.map((a) => a.status)))
				statuses.set(s, (statuses.get(s) ?? 0) + 1);
			const health = await watch.stop();
			console.log(
				`400 held sign-ins from 400 addresses: ${JSON.stringify(Object.fromEntries(statuses))}; ` +
					`/healthz worst ${health.worst} ms over ${health.count} probes, ${health.failures} failed`
			);
			expect([...statuses.keys()].every((s) => s === '401' || s === '429')).toBe(true);
			expect(health.failures).toBe(0);
			expect(health.worst).toBeLessThan(5_000);
		} finally {
			for (const a of attempts) a.destroy();
			await watch.stop();
		}
		// The door's places are given back: a sign-in goes through again.
		expect((await login(server.url, PASSWORD, '198.51.100.9')).status).toBe(200);
		await pair.stillSyncs('after 400 held sign-ins');
	});

	it('a throttled address is refused before it sends its body', async () => {
		const attacker = '203.0.113.90';
		// LOGIN_FAILURES_PER_ADDRESS (30) failures, spread over accounts so the address count decides.
		for (let i = 0; i < 30; i++) {
			const r = await fetch(`${server.url}/api/login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-forwarded-for': attacker },
				body: JSON.stringify({ login: `nobody-${i}`, password: 'неверный-пароль-1' })
			});
			expect(r.status).toBe(401);
		}
		expect((await login(server.url, PASSWORD, attacker)).status).toBe(429);
		const held = signInHoldingBody(server.port, attacker);
		try {
			await until(() => held.answered !== '', 'the throttled sign-in answered', 20_000);
			expect(held.answered).toBe('429');
		} finally {
			held.destroy();
		}
		const answer = await login(server.url, PASSWORD, attacker);
		expect(answer.status).toBe(429);
		expect(answer.body.message).toMatch(/с этого адреса/);
		// Another client of the school signs in at once.
		expect((await login(server.url, PASSWORD, '198.51.100.10')).status).toBe(200);
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
		await pair.stillSyncs('after the lockout attempt');
	});
});

describe('HTTP abuse: slow connections up to the global cap', () => {
	const t = tempRoot('http-abuse-cap');
	let server: ServerHandle;
	let pair: ReturnType<typeof honestPair>;

	beforeAll(async () => {
		await createPrograms(t.dataDir, ['honest-pair']);
		// The default headers timeout (15 s): without shedding, the cap stays full that long.
		server = await startServer(t.dataDir, { MAX_CONNECTIONS: '600' });
		pair = honestPair(server.wsBase, 'honest-pair');
		await pair.synced();
	});
	afterAll(async () => {
		pair?.destroy();
		await server?.stop('SIGTERM');
		t.dispose();
	});

	it('800 slow connections from 20 addresses: request-less ones are shed, /healthz and phones get in', async () => {
		// Slowloris: requests whose headers never end.
		const slow = slowConnections(server.port);
		try {
			// 40 per address: under the per-address limit (500), so only the global cap (600) meets them.
			for (let batch = 0; batch < 4; batch++)
				await Promise.all(
					Array.from({ length: 200 }, (_, i) =>
						slow.open(`127.0.2.${1 + ((batch * 200 + i) % 20)}`)
					)
				);
			// Past PRESSURE_HEADERS_MS (2 s), far below the headers timeout (15 s).
			await sleep(3_000);
			const watch = probe([`${server.url}/healthz`]);
			await sleep(3_000);
			const health = await watch.stop();
			console.log(
				`slow connections at the cap: ${slow.sockets.length} opened, ${slow.closed} closed by the server; ` +
					`/healthz worst ${health.worst} ms over ${health.count} probes, ${health.failures} failed`
			);
			expect(health.failures).toBe(0);
			expect(health.worst).toBeLessThan(5_000);
			// The honest pair reconnects and syncs while the rest of the slow connections are held.
			pair.destroy();
			pair = honestPair(server.wsBase, 'honest-pair');
			await pair.synced();
			await pair.stillSyncs('at the connection cap');
		} finally {
			slow.destroyAll();
		}
	});
});

describe('HTTP abuse: slow connections far below the global cap', () => {
	const t = tempRoot('http-abuse-pending');
	let server: ServerHandle;
	let pair: ReturnType<typeof honestPair>;

	beforeAll(async () => {
		await createPrograms(t.dataDir, ['honest-pair']);
		// The default headers timeout (15 s) and global cap (from the open-file limit): only the
		// cap on connections that sent no request (200 here, 1,000 by default) meets them.
		server = await startServer(t.dataDir, { MAX_PENDING_CONNECTIONS: '200' });
		pair = honestPair(server.wsBase, 'honest-pair');
		await pair.synced();
	});
	afterAll(async () => {
		pair?.destroy();
		await server?.stop('SIGTERM');
		t.dispose();
	});

	it('1,000 slow connections are shed after 2 s, not held until the headers timeout and then dropped at once', async () => {
		// bench:abuse slow-connections: 14,000 held below the global cap until their client dropped
		// them in one go; the 14,000 close events queued in front of every phone's message (honest
		// p99 6 → 276 ms, /healthz 154 ms, with neither event loop blocked over 32 ms).
		// Slowloris: requests whose headers never end.
		const slow = slowConnections(server.port);
		const watch = probe([`${server.url}/healthz`]);
		try {
			// 200 per address from 5 addresses: under the per-address limit (500).
			for (let batch = 0; batch < 5; batch++)
				await Promise.all(Array.from({ length: 200 }, () => slow.open(`127.0.3.${1 + batch}`)));
			// Past PRESSURE_HEADERS_MS (2 s) and a sweep, far below the headers timeout (15 s).
			await sleep(4_000);
			const held = slow.sockets.length - slow.closed;
			console.log(
				`slow connections below the cap: ${slow.sockets.length} opened, ${held} still held after 4 s`
			);
			expect(held).toBeLessThanOrEqual(200);
		} finally {
			// What is left is dropped at once, as the attacker did.
			slow.destroyAll();
		}
		const health = await watch.stop();
		console.log(
			`/healthz worst ${health.worst} ms over ${health.count} probes, ${health.failures} failed`
		);
		expect(health.failures).toBe(0);
		expect(health.worst).toBeLessThan(5_000);
		await pair.stillSyncs('after the slow connections');
	});
});
