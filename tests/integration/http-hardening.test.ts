/**
 * The HTTP surface as an outsider finds it (issue #14): security headers and a CSP on the app,
 * private data files, `/metrics` closed, forged X-Forwarded-For ignored unless it comes through
 * a trusted proxy, and connection limits per address (TCP, at accept) and per user (relay).
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintAccessToken } from '../../server/auth/tokens';
import { createTestServer, type InProcessTestServer } from '../support/test-server';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';

const METRICS_TOKEN = 'metrics-token-for-this-test-0123456789abcdef';
const INLINE_SCRIPT = '\n\t\t\t__sveltekit_x = { base: "" };\n\t\t';
const sqlite = (process.env.TEST_STORAGE ?? 'sqlite') === 'sqlite';

/** A built-client stand-in: the fallback page with an inline bootstrap script, like kit's. */
function fakeClient(): { dir: string; dispose(): void } {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-hardening-client-'));
	const page = `<!doctype html><html lang="ru"><head><script>${INLINE_SCRIPT}</script></head><body><p>shell</p></body></html>`;
	writeFileSync(path.join(root, '200.html'), page);
	writeFileSync(path.join(root, 'index.html'), page);
	return { dir: root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

/** A GET from a chosen loopback address (Linux routes all of 127/8 to lo). */
function getFrom(
	url: string,
	localAddress: string,
	headers: Record<string, string> = {}
): Promise<number> {
	return new Promise((resolve, reject) => {
		const req = httpRequest(url, { localAddress, headers, agent: false }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode ?? 0));
		});
		req.on('error', reject);
		req.setTimeout(5_000, () => req.destroy(new Error('timeout')));
		req.end();
	});
}

/** An idle TCP connection from `localAddress`; resolves once connected. */
function idleConnection(port: number, localAddress: string): Promise<Socket> {
	return new Promise((resolve, reject) => {
		const socket = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(socket));
		socket.on('error', reject);
	});
}

/** Opens /sync/<program> with a token; resolves 'open' on the first message or the close code. */
function relayProbe(
	wsBase: string,
	programId: string,
	token: string,
	headers: Record<string, string> = {},
	device?: string
): Promise<{ ws: WebSocket; result: 'open' | number }> {
	const q = `token=${encodeURIComponent(token)}${device ? `&device=${device}` : ''}`;
	const ws = new WebSocket(`${wsBase}/${programId}?${q}`, { headers });
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('relay probe timed out')), 10_000);
		ws.on('message', () => {
			clearTimeout(timer);
			resolve({ ws, result: 'open' });
		});
		ws.on('close', (code) => {
			clearTimeout(timer);
			resolve({ ws, result: code });
		});
		ws.on('error', () => undefined);
	});
}

describe('HTTP hardening', () => {
	let t: InProcessTestServer;
	let client: ReturnType<typeof fakeClient>;

	beforeAll(async () => {
		client = fakeClient();
		t = await createTestServer({ clientDir: client.dir, env: { METRICS_TOKEN } });
	});
	afterAll(async () => {
		await t?.close();
		client?.dispose();
	});

	it('serves the app with a CSP that allows exactly its inline script, no framing, nosniff, no referrer', async () => {
		for (const url of ['/', '/program/some-id', '/api/', '/healthz']) {
			const r = await fetch(`${t.url}${url}`);
			const csp = r.headers.get('content-security-policy') ?? '';
			expect(csp, url).toContain("frame-ancestors 'none'");
			expect(csp, url).toContain("object-src 'none'");
			expect(csp, url).not.toContain("'unsafe-eval'");
			expect(csp, url).not.toMatch(/script-src[^;]*'unsafe-inline'/);
			expect(r.headers.get('x-content-type-options'), url).toBe('nosniff');
			expect(r.headers.get('x-frame-options'), url).toBe('DENY');
			expect(r.headers.get('referrer-policy'), url).toBe('no-referrer');
		}
		const csp = (await fetch(`${t.url}/`)).headers.get('content-security-policy') ?? '';
		const hash = createHash('sha256').update(INLINE_SCRIPT).digest('base64');
		expect(csp).toMatch(
			new RegExp(`script-src 'self'[^;]*'sha256-${hash.replace(/[+/]/g, '\\$&')}'`)
		);
	});

	it('keeps /metrics closed without the token, and opens it with the bearer token', async () => {
		expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
		const wrong = await fetch(`${t.url}/metrics`, {
			headers: { authorization: 'Bearer not-the-token' }
		});
		expect(wrong.status).toBe(401);
		expect(await wrong.text()).not.toContain('process_cpu');
		const right = await fetch(`${t.url}/metrics`, {
			headers: { authorization: `Bearer ${METRICS_TOKEN}` }
		});
		expect(right.status).toBe(200);
		expect(await right.text()).toContain('process_cpu_user_seconds_total');
	});

	it('with no token configured, /metrics is not served on the main port; METRICS_PORT serves it on loopback', async () => {
		const metricsPort = await freePort();
		const s = await createTestServer({
			env: { METRICS_TOKEN: '', METRICS_PORT: String(metricsPort) }
		});
		try {
			const closed = await fetch(`${s.url}/metrics`);
			expect(closed.status).toBe(404);
			expect(await closed.text()).not.toContain('process_cpu');
			const open = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
			expect(open.status).toBe(200);
			expect(await open.text()).toContain('process_cpu_user_seconds_total');
			// The metrics listener serves nothing else.
			expect((await fetch(`http://127.0.0.1:${metricsPort}/api/`)).status).toBe(404);
		} finally {
			await s.close();
		}
	});

	it.runIf(sqlite)('creates the data directory 0700 and the database files 0600', async () => {
		expect(mode(t.dataDir)).toBe('700');
		await t.server.relay.flush();
		for (const name of ['nastavnik.sqlite', 'nastavnik.sqlite-wal', 'nastavnik.sqlite-shm'])
			expect(mode(path.join(t.dataDir, name)), name).toBe('600');
	});

	it.runIf(sqlite)(
		'fixes a world-readable data directory and database at start, and says so in the log',
		async () => {
			const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-hardening-modes-'));
			const dataDir = path.join(root, 'data');
			try {
				const first = await createTestServer({ dataDir, storage: null });
				await first.close();
				// What an older version (or a careless copy) left behind.
				chmodSync(dataDir, 0o755);
				for (const name of ['nastavnik.sqlite', 'nastavnik.sqlite-wal', 'nastavnik.sqlite-shm'])
					try {
						chmodSync(path.join(dataDir, name), 0o644);
					} catch {
						// -wal/-shm are removed on a clean close; the database is enough.
					}
				writeFileSync(path.join(dataDir, 'nastavnik.sqlite.bak'), 'backup', { mode: 0o644 });
				const second = await createTestServer({ dataDir, storage: null });
				try {
					expect(mode(dataDir)).toBe('700');
					expect(mode(path.join(dataDir, 'nastavnik.sqlite'))).toBe('600');
					expect(mode(path.join(dataDir, 'nastavnik.sqlite.bak'))).toBe('600');
					expect(second.logs()).toContain('data file permissions tightened');
					expect(second.logs()).toContain('"from":"0755"');
				} finally {
					await second.close();
				}
			} finally {
				rmSync(root, { recursive: true, force: true });
			}
		}
	);
});

describe('client address: forwarded headers count only from trusted proxies', () => {
	const servers: InProcessTestServer[] = [];
	afterAll(async () => {
		for (const s of servers) await s.close();
	});

	/** The address the server logged for a request to `marker`. */
	async function loggedIp(s: InProcessTestServer, forwardedFor: string, marker: string) {
		await fetch(`${s.url}/api/${marker}`, { headers: { 'x-forwarded-for': forwardedFor } });
		let ip: string | undefined;
		await waitFor(
			() => {
				for (const line of s.logs().split('\n')) {
					if (!line.includes(marker)) continue;
					const entry = JSON.parse(line) as { req?: { ip?: string } };
					ip = entry.req?.ip ?? ip;
				}
				return ip !== undefined;
			},
			{ what: `a log line for ${marker}` }
		);
		return ip;
	}

	it('without TRUSTED_PROXIES, a forged X-Forwarded-For does not reach the logs', async () => {
		const s = await createTestServer({});
		servers.push(s);
		expect(await loggedIp(s, '203.0.113.66', 'forged-1')).toBe('127.0.0.1');
	});

	it('behind a trusted proxy, the address it appended is logged — not one the client wrote', async () => {
		const s = await createTestServer({ env: { TRUSTED_PROXIES: 'loopback' } });
		servers.push(s);
		expect(await loggedIp(s, '203.0.113.7', 'proxied-1')).toBe('203.0.113.7');
		expect(await loggedIp(s, '6.6.6.6, 203.0.113.8', 'proxied-2')).toBe('203.0.113.8');
	});

	it('refuses a bad TRUSTED_PROXIES value with the variable named', async () => {
		await expect(createTestServer({ env: { TRUSTED_PROXIES: 'proxy.local' } })).rejects.toThrow(
			/TRUSTED_PROXIES/
		);
	});
});

describe('connection limits', () => {
	const sockets: Socket[] = [];
	const sockets2: WebSocket[] = [];
	let s: InProcessTestServer | null = null;
	afterEach(async () => {
		for (const socket of sockets.splice(0)) socket.destroy();
		for (const ws of sockets2.splice(0)) ws.terminate();
		await s?.close();
		s = null;
	});

	it('per address at accept: one address cannot hold every connection, others are still served', async () => {
		s = await createTestServer({ env: { MAX_CONNECTIONS_PER_IP: '5' } });
		for (let i = 0; i < 5; i++) sockets.push(await idleConnection(s.port, '127.0.0.2'));
		// The sixth from the same address is closed at once.
		const sixth = await idleConnection(s.port, '127.0.0.2');
		sockets.push(sixth);
		await waitFor(() => sixth.destroyed || sixth.readyState === 'closed', {
			what: 'the sixth connection to be closed by the server'
		});
		// Another address (another school) is served meanwhile.
		expect(await getFrom(`${s.url}/healthz`, '127.0.0.3')).toBe(200);
		// A slot given back is usable again.
		sockets.shift()?.destroy();
		await waitFor(
			async () => (await getFrom(`${s!.url}/healthz`, '127.0.0.2').catch(() => 0)) === 200,
			{
				what: 'the address to be served again once a connection closed'
			}
		);
	});

	it('closes a connection whose headers do not arrive in time (slowloris)', async () => {
		s = await createTestServer({ env: { HTTP_HEADERS_TIMEOUT_MS: '1000' } });
		const slow = await idleConnection(s.port, '127.0.0.4');
		sockets.push(slow);
		let ended = false;
		slow.on('end', () => (ended = true));
		slow.on('close', () => (ended = true));
		slow.resume();
		slow.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
		const closedAt = Date.now();
		await waitFor(() => ended, {
			what: 'the slow connection to be closed',
			timeout: 10_000
		});
		expect(Date.now() - closedAt).toBeLessThan(10_000);
	});

	it('per user at the relay: the limit closes with 4529 (the client retries), never a 44xx code', async () => {
		s = await createTestServer({ env: { RELAY_MAX_CONNECTIONS_PER_USER: '3' } });
		await s.server.documents.createProgram('p-user-limit');
		const token = (userId: string) =>
			mintAccessToken(s!.server.secret, {
				userId,
				programId: 'p-user-limit',
				access: 'rw',
				expiresAt: Date.now() + 600_000
			});
		const opened = [];
		for (let i = 0; i < 3; i++) {
			const p = await relayProbe(s.wsBase, 'p-user-limit', token('u-greedy'));
			sockets2.push(p.ws);
			opened.push(p.result);
		}
		expect(opened).toEqual(['open', 'open', 'open']);
		const fourth = await relayProbe(s.wsBase, 'p-user-limit', token('u-greedy'));
		sockets2.push(fourth.ws);
		expect(fourth.result).toBe(4529);
		// The partner on the same school address still connects.
		const partner = await relayProbe(s.wsBase, 'p-user-limit', token('u-partner'));
		sockets2.push(partner.ws);
		expect(partner.result).toBe('open');
		// A closed connection gives its slot back.
		sockets2[0]?.close();
		await waitFor(
			async () => {
				const again = await relayProbe(s!.wsBase, 'p-user-limit', token('u-greedy'));
				sockets2.push(again.ws);
				return again.result === 'open';
			},
			{ what: 'the user to connect again after closing one connection' }
		);
	});

	it('at the per-user limit, a device reconnecting to the same program replaces its own oldest connection', async () => {
		// A phone on a flaky network: its dead sockets linger until the ping timeout.
		s = await createTestServer({ env: { RELAY_MAX_CONNECTIONS_PER_USER: '2' } });
		await s.server.documents.createProgram('p-flaky');
		const token = mintAccessToken(s.server.secret, {
			userId: 'u-flaky',
			programId: 'p-flaky',
			access: 'rw',
			expiresAt: Date.now() + 600_000
		});
		const first = await relayProbe(s.wsBase, 'p-flaky', token, {}, 'phone-1');
		const second = await relayProbe(s.wsBase, 'p-flaky', token, {}, 'phone-1');
		sockets2.push(first.ws, second.ws);
		const firstClosed = new Promise<number>((r) => first.ws.once('close', (code) => r(code)));
		const third = await relayProbe(s.wsBase, 'p-flaky', token, {}, 'phone-1');
		sockets2.push(third.ws);
		expect(third.result).toBe('open');
		expect(await firstClosed).toBe(4529);
		// Another device of the same person at the limit is refused (and retries later).
		const laptop = await relayProbe(s.wsBase, 'p-flaky', token, {}, 'laptop');
		sockets2.push(laptop.ws);
		expect(laptop.result).toBe(4529);
	});

	it("the relay's per-address limit counts the address the trusted proxy decided", async () => {
		s = await createTestServer({
			env: { TRUSTED_PROXIES: 'loopback', RELAY_MAX_CONNECTIONS_PER_IP: '1' }
		});
		await s.server.documents.createProgram('p-addr');
		const token = (userId: string) =>
			mintAccessToken(s!.server.secret, {
				userId,
				programId: 'p-addr',
				access: 'rw',
				expiresAt: Date.now() + 600_000
			});
		const a = await relayProbe(s.wsBase, 'p-addr', token('a'), {
			'x-forwarded-for': '198.51.100.1'
		});
		const b = await relayProbe(s.wsBase, 'p-addr', token('b'), {
			'x-forwarded-for': '198.51.100.2'
		});
		const c = await relayProbe(s.wsBase, 'p-addr', token('c'), {
			'x-forwarded-for': '198.51.100.1'
		});
		sockets2.push(a.ws, b.ws, c.ws);
		expect([a.result, b.result, c.result]).toEqual(['open', 'open', 4529]);
	});

	it('without trusted proxies, a forged X-Forwarded-For does not escape the per-address limit', async () => {
		s = await createTestServer({ env: { RELAY_MAX_CONNECTIONS_PER_IP: '1' } });
		await s.server.documents.createProgram('p-forged');
		const token = (userId: string) =>
			mintAccessToken(s!.server.secret, {
				userId,
				programId: 'p-forged',
				access: 'rw',
				expiresAt: Date.now() + 600_000
			});
		const a = await relayProbe(s.wsBase, 'p-forged', token('a'), {
			'x-forwarded-for': '198.51.100.1'
		});
		const b = await relayProbe(s.wsBase, 'p-forged', token('b'), {
			'x-forwarded-for': '198.51.100.2'
		});
		sockets2.push(a.ws, b.ws);
		expect([a.result, b.result]).toEqual(['open', 4529]);
	});
});
