import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, metricsHeaders, type InProcessTestServer } from '../support/test-server';
import { startServerProcess } from './server-process';
import { testStorageEnv, type TestStorageEnv } from './test-storage';

describe('the all-in-one server', () => {
	let root: string;
	let base: string;
	let t: InProcessTestServer;
	let storage: TestStorageEnv;

	beforeAll(async () => {
		storage = await testStorageEnv();
		root = mkdtempSync(path.join(tmpdir(), 'nastavnik-server-'));
		// A minimal built client: the real build is exercised by the e2e tests.
		const client = path.join(root, 'client');
		mkdirSync(path.join(client, '_app/immutable'), { recursive: true });
		writeFileSync(path.join(client, '200.html'), '<!doctype html><html lang="ru"><p>shell</p>');
		writeFileSync(path.join(client, 'index.html'), '<!doctype html><html lang="ru"><p>home</p>');
		writeFileSync(path.join(client, 'sw.js'), '// sw');
		writeFileSync(path.join(client, '_app/immutable/app.abc123.js'), 'export {}');
		// What the build's precompress step leaves beside a script and the fallback page.
		const big = `export const text = ${JSON.stringify('Наставник '.repeat(2000))};`;
		writeFileSync(path.join(client, '_app/immutable/big.abc123.js'), big);
		writeFileSync(path.join(client, '_app/immutable/big.abc123.js.br'), brotliCompressSync(big));
		writeFileSync(path.join(client, '_app/immutable/big.abc123.js.gz'), gzipSync(big));
		const shell = readFileSync(path.join(client, '200.html'));
		writeFileSync(path.join(client, '200.html.br'), brotliCompressSync(shell));
		t = await createTestServer({ clientDir: client, storage });
		base = t.url;
	});

	afterAll(async () => {
		await t?.close();
		await storage?.cleanup();
		rmSync(root, { recursive: true, force: true });
	});

	it('reports health with version, uptime and storage state', async () => {
		const response = await fetch(`${base}/healthz`);
		expect(response.status).toBe(200);
		const body = await response.json();
		expect(body).toMatchObject({
			status: 'ok',
			version: expect.stringMatching(/^\d+\.\d+\.\d+/),
			uptimeSeconds: expect.any(Number),
			storage: { ok: true, kind: storage.kind, schemaVersion: expect.any(Number) }
		});
		expect(body.storage.schemaVersion).toBeGreaterThanOrEqual(1);
	});

	it('exposes Prometheus metrics', async () => {
		const response = await fetch(`${base}/metrics`, { headers: metricsHeaders });
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toContain('text/plain');
		expect(await response.text()).toMatch(
			/^process_cpu_user_seconds_total\{service="nastavnik"\} /m
		);
	});

	it('serves the app shell for deep links, with caching that lets updates through', async () => {
		const deep = await fetch(`${base}/program/some-id`);
		expect(deep.status).toBe(200);
		expect(await deep.text()).toContain('shell');
		expect(deep.headers.get('cache-control')).toBe('no-cache');

		const home = await fetch(`${base}/`);
		expect(await home.text()).toContain('home');

		const sw = await fetch(`${base}/sw.js`);
		expect(sw.headers.get('cache-control')).toBe('no-cache');

		const asset = await fetch(`${base}/_app/immutable/app.abc123.js`);
		expect(asset.headers.get('cache-control')).toContain('immutable');
	});

	it('sends the app compressed to a browser that accepts it, and plain to one that does not', async () => {
		// A raw request, as a phone's browser sends it: fetch() would decompress out of sight.
		const raw = (url: string, acceptEncoding?: string) =>
			new Promise<{ encoding: string | undefined; vary: string | undefined; body: Buffer }>(
				(resolve, reject) => {
					const headers = acceptEncoding ? { 'accept-encoding': acceptEncoding } : undefined;
					get(`${base}${url}`, { headers }, (res) => {
						const chunks: Buffer[] = [];
						res.on('data', (c: Buffer) => chunks.push(c));
						res.on('end', () =>
							resolve({
								encoding: res.headers['content-encoding'],
								vary: res.headers['vary'],
								body: Buffer.concat(chunks)
							})
						);
					}).on('error', reject);
				}
			);
		const original = readFileSync(path.join(root, 'client/_app/immutable/big.abc123.js'));

		const br = await raw('/_app/immutable/big.abc123.js', 'gzip, deflate, br, zstd');
		expect(br.encoding).toBe('br');
		expect(br.vary).toMatch(/accept-encoding/i);
		expect(br.body.length).toBeLessThan(original.length / 10);
		expect(brotliDecompressSync(br.body).equals(original)).toBe(true);

		const gz = await raw('/_app/immutable/big.abc123.js', 'gzip');
		expect(gz.encoding).toBe('gzip');

		const plain = await raw('/_app/immutable/big.abc123.js');
		expect(plain.encoding).toBeUndefined();
		expect(plain.body.equals(original)).toBe(true);

		// A deep link's app shell too.
		const deep = await raw('/program/some-id', 'br');
		expect(deep.encoding).toBe('br');
		expect(brotliDecompressSync(deep.body).toString()).toContain('shell');
	});

	it('answers unknown API paths with a JSON 404, not the app shell', async () => {
		const response = await fetch(`${base}/api/no-such-thing`);
		expect(response.status).toBe(404);
		expect(await response.json()).toEqual({ error: 'not_found', message: 'Не найдено' });
	});

	it('never writes query strings (tokens, invitation codes) to the log', async () => {
		await fetch(`${base}/program/x?token=SECRET-TOKEN-123&code=INVITE-456`);
		expect(t.logs()).toContain('/program/x?[redacted]');
		expect(t.logs()).not.toContain('SECRET-TOKEN-123');
		expect(t.logs()).not.toContain('INVITE-456');
	});
});

describe('the server process', () => {
	it('starts cleanly on the same data directory after kill -9', async () => {
		const dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-kill-'));
		const storage = await testStorageEnv();
		try {
			const first = await startServerProcess(dataDir, storage.env);
			// Keep it busy with requests while it dies.
			const inflight = Array.from({ length: 20 }, () =>
				fetch(`${first.url}/healthz`).catch(() => null)
			);
			first.child.kill('SIGKILL');
			expect(await first.exited).toBe('SIGKILL');
			await Promise.all(inflight);

			const second = await startServerProcess(dataDir, storage.env);
			const health = await (await fetch(`${second.url}/healthz`)).json();
			expect(health.status).toBe('ok');
			second.child.kill('SIGTERM');
			expect(await second.exited).toBe(0);
			expect(second.output()).toContain('shutdown complete');
		} finally {
			await storage.cleanup();
			rmSync(dataDir, { recursive: true, force: true });
		}
	}, 200_000); // child servers: up to 90 s each to start on a loaded machine

	it('refuses a bad configuration with a clear message', async () => {
		const dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-cfg-'));
		try {
			await expect(startServerProcess(dataDir, { PORT: 'eighty' })).rejects.toThrow(
				/PORT must be an integer/
			);
		} finally {
			rmSync(dataDir, { recursive: true, force: true });
		}
	}, 200_000); // child servers: up to 90 s each to start on a loaded machine
});
