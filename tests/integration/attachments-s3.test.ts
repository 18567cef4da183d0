/**
 * The S3 backend of the attachment store (issue 17) against an S3-protocol server the test
 * starts on loopback (s3rver): with ATTACHMENTS_S3_* set, verified uploads become objects of the
 * bucket (nothing under DATA_DIR but the staging of uploads under way), are served from there
 * byte for byte, a refused upload leaves no object, and the garbage collector deletes objects no
 * document refers to.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACHMENT_LIMITS } from '../../src/lib/shared/api/attachments';
import { S3BlobStore } from '../../server/attachments/blob-store';
import { docx, download, jpeg, sha256, upload, type Caller } from '../support/attachments';
import { freePort } from '../support/ports';
import { signIn, startWorld, type TestServer, type World } from './identity-fixture';

const BUCKET = 'nastavnik-attachments';
const DAY = 86_400_000;

describe('attachments on S3-compatible storage (s3rver on loopback)', () => {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-s3-'));
	let s3: S3rver;
	let endpoint: string;
	let client: S3Client;
	let t: TestServer;
	let w: World;
	let mentor: Caller;

	const objects = async () =>
		((await client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map(
			(o) => o.Key
		);

	beforeAll(async () => {
		const port = await freePort();
		s3 = new S3rver({
			address: '127.0.0.1',
			port,
			silent: true,
			directory: path.join(root, 's3'),
			configureBuckets: [{ name: BUCKET }]
		});
		await s3.run();
		endpoint = `http://127.0.0.1:${port}`;
		client = new S3Client({
			endpoint,
			region: 'us-east-1',
			forcePathStyle: true,
			credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
		});
		({ t, w } = await startWorld({
			ATTACHMENTS_S3_BUCKET: BUCKET,
			ATTACHMENTS_S3_ENDPOINT: endpoint,
			ATTACHMENTS_S3_ACCESS_KEY_ID: 'S3RVER',
			ATTACHMENTS_S3_SECRET_ACCESS_KEY: 'S3RVER',
			ATTACHMENTS_S3_PATH_STYLE: '1'
		}));
		mentor = { base: t.base, cookie: (await signIn(t, w.people.mentor1)).cookie };
	}, 120_000);

	afterAll(async () => {
		await t?.close();
		client?.destroy();
		await s3?.close();
		rmSync(root, { recursive: true, force: true });
	});

	it('stores verified uploads as objects and serves them back byte for byte', async () => {
		expect(t.server.attachments.store).toBeInstanceOf(S3BlobStore);
		const photo = jpeg(2.2 * ATTACHMENT_LIMITS.chunkBytes);
		const hash = sha256(photo);
		const r = await upload(mentor, w.programs.p1, photo, { type: 'image/jpeg', name: 'Фото.jpg' });
		expect(r.status, JSON.stringify(r.body)).toBe(200);
		expect(await objects()).toContain(`attachments/${hash}`);
		const head = await client.send(
			new HeadObjectCommand({ Bucket: BUCKET, Key: `attachments/${hash}` })
		);
		expect(head.ContentLength).toBe(photo.length);
		const got = await download(mentor, w.programs.p1, hash);
		expect(got.status).toBe(200);
		expect(got.bytes.equals(photo)).toBe(true);
		expect(got.headers.get('content-type')).toBe('image/jpeg');
		// Nothing on the local disk but the (now empty) staging of uploads under way.
		const attachmentsDir = path.dirname(t.server.attachments.service.stagingDir);
		expect(existsSync(path.join(attachmentsDir, 'blobs'))).toBe(false);
	});

	it('a tampered upload leaves no object', async () => {
		const file = await docx('Подмена');
		const claimed = sha256(file);
		const tampered = Buffer.concat([file, Buffer.from('x')]).subarray(1);
		const r = await upload(mentor, w.programs.p1, tampered, {
			type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
			name: 'a.docx',
			hash: claimed
		});
		expect(r.status).toBe(422);
		expect(await objects()).not.toContain(`attachments/${claimed}`);
	});

	it('the garbage collector deletes objects no document refers to after the grace', async () => {
		const photo = jpeg(50_000);
		const hash = sha256(photo);
		expect(
			(
				await upload(mentor, w.programs.p1, photo, {
					type: 'image/jpeg',
					name: 'b.jpg'
				})
			).status
		).toBe(200);
		expect(await objects()).toContain(`attachments/${hash}`);
		const now = Date.now();
		await t.server.attachments.collectGarbage({ now });
		expect(await objects()).toContain(`attachments/${hash}`);
		const report = await t.server.attachments.collectGarbage({
			now: now + ATTACHMENT_LIMITS.orphanGraceDays * DAY + 1
		});
		expect(report.blobsDeleted).toBeGreaterThanOrEqual(1);
		expect(await objects()).not.toContain(`attachments/${hash}`);
		expect((await download(mentor, w.programs.p1, hash)).status).toBe(404);
	});
});
