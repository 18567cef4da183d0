/**
 * An attachment upload survives the server dying mid-file (issue 17 acceptance): a phone sends
 * two chunks of a photo, the server is killed (SIGKILL) while the third is on the wire, a new
 * server starts on the same data directory, the phone asks how far it came (POST), continues
 * from there, and the upload completes with its hash verified — the bytes served back are the
 * photo's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ATTACHMENT_LIMITS, attachmentPath } from '../../src/lib/shared/api/attachments';
import { download, jpeg, putChunk, sha256, startUpload, upload } from '../support/attachments';
import { createTestServer, type ChildTestServer } from '../support/test-server';
import { seedWorld, signIn, type TestServer } from './identity-fixture';
import { isolatedEnv, testStorageEnv, type TestStorageEnv } from './test-storage';

const run = promisify(execFile);

const MiB = ATTACHMENT_LIMITS.chunkBytes;

describe('attachments: an upload interrupted by killing the server resumes after the restart', () => {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-att-kill-'));
	const dataDir = path.join(root, 'data');
	let storage: TestStorageEnv | null = null;
	const children: ChildTestServer[] = [];

	afterAll(async () => {
		for (const c of children) await c.close().catch(() => undefined);
		await storage?.cleanup();
		rmSync(root, { recursive: true, force: true });
	});

	it('kill -9 mid-chunk, restart, POST says what is held, the rest completes and verifies', async () => {
		storage = await testStorageEnv();
		// The world is made on an in-process server; the phone's session outlives it (the database).
		const seeding = await createTestServer({ dataDir, storage });
		const t: TestServer = {
			server: seeding.server,
			base: seeding.url,
			wsBase: seeding.wsBase,
			logs: seeding.logs,
			secrets: new Set(),
			close: () => seeding.close()
		};
		const w = await seedWorld(t);
		const { cookie } = await signIn(t, w.people.mentor1);
		await seeding.close();

		const photo = jpeg(3.5 * MiB);
		const hash = sha256(photo);
		const meta = { hash, size: photo.length, type: 'image/jpeg', name: 'Урок.jpg' };
		const first = await createTestServer({ mode: 'child', dataDir, storage });
		children.push(first);
		const phone = { base: first.url, cookie };
		expect((await startUpload(phone, w.programs.p1, meta)).status).toBe(200);
		expect((await putChunk(phone, w.programs.p1, hash, 0, photo.subarray(0, MiB))).status).toBe(
			200
		);
		expect(
			(await putChunk(phone, w.programs.p1, hash, MiB, photo.subarray(MiB, 2 * MiB))).status
		).toBe(200);

		// The third chunk: half of it on the wire, then the server is killed.
		const cut = new Promise<string>((resolve) => {
			const req = request(`${first.url}${attachmentPath(w.programs.p1, hash)}?offset=${2 * MiB}`, {
				method: 'PUT',
				headers: {
					cookie,
					'content-type': 'application/octet-stream',
					'content-length': String(MiB)
				}
			});
			req.on('error', (e) => resolve(e.message));
			req.on('response', (r) => resolve(`answered ${r.statusCode}`));
			req.write(photo.subarray(2 * MiB, 2.5 * MiB), () => {
				void first.stop('SIGKILL');
			});
		});
		expect(await cut).not.toMatch(/^answered/);

		const second = await createTestServer({ mode: 'child', dataDir, storage });
		children.push(second);
		const again = { base: second.url, cookie };
		const state = await startUpload(again, w.programs.p1, meta);
		expect(state.status).toBe(200);
		// What the server holds: the two acknowledged chunks (the cut one never was).
		expect(state.body).toEqual({ hash, size: photo.length, received: 2 * MiB, complete: false });
		const done = await upload(again, w.programs.p1, photo, {
			type: 'image/jpeg',
			name: 'Урок.jpg'
		});
		expect(done.status, JSON.stringify(done.body)).toBe(200);
		expect(done.body.complete).toBe(true);
		const got = await download(again, w.programs.p1, hash);
		expect(got.status).toBe(200);
		expect(sha256(got.bytes)).toBe(hash);
		expect(got.bytes.equals(photo)).toBe(true);

		// The operator's collector, as a separate process beside the running server: the photo is
		// referred to by no document, so the first pass marks it and a pass past the grace deletes it.
		const cli = (...args: string[]) =>
			run(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'attachments-gc', ...args], {
				env: isolatedEnv({ DATA_DIR: dataDir, ...storage!.env }),
				timeout: 120_000
			});
		const pass1 = await cli('--now', '2026-12-01T00:00:00Z');
		expect(pass1.stdout).toMatch(/1 newly unreferenced, 0 uploads deleted, 0 blobs deleted/);
		expect((await download(again, w.programs.p1, hash)).status).toBe(200);
		const pass2 = await cli('--now', '2026-12-09T00:00:00Z');
		expect(pass2.stdout).toMatch(/1 uploads deleted, 1 blobs deleted \(3670016 bytes\)/);
		expect((await download(again, w.programs.p1, hash)).status).toBe(404);
	}, 400_000);
});
