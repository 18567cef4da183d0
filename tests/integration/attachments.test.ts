/**
 * Attachments over the real server and real sockets (issue 17): the resumable chunked upload,
 * the verification (a tampered upload and a file whose bytes are not its declared type are
 * refused and nothing is stored), how the bytes are served (never as an active document), who
 * may touch which URL, the quotas, one copy of bytes two programs share, and the garbage
 * collection of bytes no document refers to any more.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	ATTACHMENT_LIMITS,
	ATTACHMENT_TYPE_LIST,
	attachmentPath
} from '../../src/lib/shared/api/attachments';
import { DiskBlobStore } from '../../server/attachments/blob-store';
import { ATTACHMENT, ATTACHMENTS_ROOT, ITEM } from '../../src/lib/shared/program/schema';
import {
	HTML_PAGE,
	SVG_IMAGE,
	docx,
	download,
	jpeg,
	pdf,
	png,
	putChunk,
	sha256,
	startUpload,
	upload,
	type Caller
} from '../support/attachments';
import { docxText } from './curator-fixtures';
import { signIn, startWorld, type TestServer, type World } from './identity-fixture';

const MiB = 1024 * 1024;
const DAY = 86_400_000;

describe('attachments: upload, verification, serving, access, quotas, gc', () => {
	let t: TestServer;
	let w: World;
	const as: Record<string, Caller> = {};
	let blobRoot: string;
	let stagingDir: string;

	beforeAll(async () => {
		({ t, w } = await startWorld());
		for (const who of [
			'mentor1',
			'mentee1',
			'mentor2',
			'mentor3',
			'curator1',
			'head1',
			'curator1b',
			'coordinator1'
		] as const)
			as[who] = { base: t.base, cookie: (await signIn(t, w.people[who])).cookie };
		as.anonymous = { base: t.base, cookie: null };
		const store = t.server.attachments.store;
		if (!(store instanceof DiskBlobStore)) throw new Error('the default store is on disk');
		blobRoot = store.root;
		stagingDir = t.server.attachments.service.stagingDir;
	}, 120_000);

	afterAll(async () => {
		await t?.close();
	});

	const blobFile = (hash: string) => path.join(blobRoot, hash.slice(0, 2), hash);
	const stagingFiles = () => {
		if (!existsSync(stagingDir)) return [];
		return readdirSync(stagingDir, { recursive: true }).filter((f) => String(f).endsWith('.part'));
	};

	it('uploads a photo in 1 MiB chunks, resumable from what the server holds, and serves it back', async () => {
		const photo = jpeg(2.5 * MiB);
		const hash = sha256(photo);
		const meta = { hash, size: photo.length, type: 'image/jpeg', name: 'Встреча 12 ноября.jpg' };
		const started = await startUpload(as.mentor1!, w.programs.p1, meta);
		expect(started.status, JSON.stringify(started.body)).toBe(200);
		expect(started.body).toEqual({ hash, size: photo.length, received: 0, complete: false });

		const first = await putChunk(as.mentor1!, w.programs.p1, hash, 0, photo.subarray(0, MiB));
		expect(first.body).toMatchObject({ received: MiB, complete: false });
		// The phone lost the answer and asks again: the same state, nothing started twice.
		expect((await startUpload(as.mentor1!, w.programs.p1, meta)).body.received).toBe(MiB);
		// A chunk at the wrong offset: 409 with the state to continue from.
		const wrong = await putChunk(as.mentor1!, w.programs.p1, hash, 0, photo.subarray(0, MiB));
		expect(wrong.status).toBe(409);
		expect(wrong.body).toMatchObject({ hash, received: MiB, complete: false });
		await putChunk(as.mentor1!, w.programs.p1, hash, MiB, photo.subarray(MiB, 2 * MiB));
		const last = await putChunk(as.mentor1!, w.programs.p1, hash, 2 * MiB, photo.subarray(2 * MiB));
		expect(last.status, JSON.stringify(last.body)).toBe(200);
		expect(last.body).toEqual({ hash, size: photo.length, received: photo.length, complete: true });

		for (const who of ['mentor1', 'mentee1', 'curator1', 'head1'] as const) {
			const got = await download(as[who]!, w.programs.p1, hash);
			expect(got.status, who).toBe(200);
			expect(sha256(got.bytes)).toBe(hash);
		}
		const got = await download(as.mentee1!, w.programs.p1, hash);
		expect(got.headers.get('content-type')).toBe('image/jpeg');
		expect(got.headers.get('x-content-type-options')).toBe('nosniff');
		expect(got.headers.get('content-security-policy')).toContain('sandbox');
		expect(got.headers.get('content-security-policy')).toContain("default-src 'none'");
		expect(got.headers.get('content-disposition')).toBe(
			`inline; filename="_______ 12 ______.jpg"; filename*=UTF-8''${encodeURIComponent('Встреча 12 ноября.jpg')}`
		);
		expect(got.headers.get('cache-control')).toContain('private');
		expect(got.headers.get('cache-control')).toContain('immutable');
		expect(got.headers.get('etag')).toBe(`"${hash}"`);
		const again = await download(as.mentee1!, w.programs.p1, hash, {
			'if-none-match': `"${hash}"`
		});
		expect(again.status).toBe(304);

		// Stored like the database: 0600 in 0700 directories; nothing left in staging.
		expect(statSync(blobFile(hash)).mode & 0o777).toBe(0o600);
		expect(statSync(path.dirname(blobFile(hash))).mode & 0o777).toBe(0o700);
		expect(stagingFiles()).toEqual([]);
	});

	it('a DOCX is always a download; a PDF is shown inline; both with the sniffed type', async () => {
		const file = await docx();
		const done = await upload(as.mentee1!, w.programs.p1, file, {
			type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
			name: 'План урока.docx'
		});
		expect(done.status, JSON.stringify(done.body)).toBe(200);
		const got = await download(as.curator1!, w.programs.p1, sha256(file));
		expect(got.headers.get('content-type')).toBe(
			'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
		);
		expect(got.headers.get('content-disposition')).toMatch(/^attachment; /);
		expect(got.headers.get('content-disposition')).toContain(
			`filename*=UTF-8''${encodeURIComponent('План урока.docx')}`
		);
		const report = await pdf();
		expect(
			(
				await upload(as.mentor1!, w.programs.p1, report, {
					type: 'application/pdf',
					name: 'Отчет.pdf'
				})
			).status
		).toBe(200);
		const shown = await download(as.head1!, w.programs.p1, sha256(report));
		expect(shown.headers.get('content-type')).toBe('application/pdf');
		expect(shown.headers.get('content-disposition')).toMatch(/^inline; /);
		expect(shown.headers.get('x-content-type-options')).toBe('nosniff');
	});

	it('a tampered upload is refused after the last byte, and nothing is stored', async () => {
		const photo = jpeg(1.5 * MiB);
		const claimed = sha256(photo);
		const tampered = Buffer.from(photo);
		tampered[MiB + 10] = (tampered[MiB + 10]! + 1) % 256;
		const r = await upload(as.mentor1!, w.programs.p1, tampered, {
			type: 'image/jpeg',
			name: 'photo.jpg',
			hash: claimed
		});
		expect(r.status).toBe(422);
		expect(r.body.message).toMatch(/контрольная сумма/);
		expect(existsSync(blobFile(claimed))).toBe(false);
		expect(stagingFiles()).toEqual([]);
		expect((await download(as.mentor1!, w.programs.p1, claimed)).status).toBe(404);
		// The phone starts again from 0 and the honest bytes go through.
		const restart = await startUpload(as.mentor1!, w.programs.p1, {
			hash: claimed,
			size: photo.length,
			type: 'image/jpeg',
			name: 'photo.jpg'
		});
		expect(restart.body.received).toBe(0);
		expect(
			(await upload(as.mentor1!, w.programs.p1, photo, { type: 'image/jpeg', name: 'photo.jpg' }))
				.status
		).toBe(200);
		expect(sha256((await download(as.mentor1!, w.programs.p1, claimed)).bytes)).toBe(claimed);
	});

	it('an HTML or SVG payload is refused whatever it is declared as; no type outside the list is accepted', async () => {
		const declared = [
			'image/png',
			'image/jpeg',
			'application/pdf',
			'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
			'application/msword'
		];
		for (const payload of [HTML_PAGE, SVG_IMAGE]) {
			for (const type of declared) {
				const r = await upload(as.mentor1!, w.programs.p1, payload, { type, name: 'file' });
				expect(r.status, `${type}: ${JSON.stringify(r.body)}`).toBe(422);
				expect(r.body.message).toMatch(/не совпадает с его типом/);
				expect(existsSync(blobFile(sha256(payload)))).toBe(false);
			}
			for (const type of ['text/html', 'image/svg+xml', 'application/octet-stream']) {
				const r = await startUpload(as.mentor1!, w.programs.p1, {
					hash: sha256(payload),
					size: payload.length,
					type,
					name: 'x.html'
				});
				expect(r.status, type).toBe(400);
			}
		}
		// A DOCX declared as a spreadsheet, a PNG declared as a JPEG: refused too.
		const wrongOffice = await upload(as.mentor1!, w.programs.p1, await docx('Таблица'), {
			type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
			name: 'Таблица.xlsx'
		});
		expect(wrongOffice.status).toBe(422);
		expect(
			(await upload(as.mentor1!, w.programs.p1, png(), { type: 'image/jpeg', name: 'a.jpg' }))
				.status
		).toBe(422);
		expect(stagingFiles()).toEqual([]);
	});

	it('nothing in the store is ever served as text/html or image/svg+xml, or without nosniff and the sandbox', async () => {
		// A polyglot: a real JPEG with an HTML page after its end marker.
		const polyglot = Buffer.concat([jpeg(4096), HTML_PAGE]);
		expect(
			(await upload(as.mentor1!, w.programs.p1, polyglot, { type: 'image/jpeg', name: 'p.html' }))
				.status
		).toBe(200);
		const rows = await t.server.storage.sql.all<{ hash: string; type: string }>(
			'SELECT hash, type FROM attachment_uploads WHERE program_id = ? AND completed_at IS NOT NULL',
			[w.programs.p1]
		);
		expect(rows.length).toBeGreaterThanOrEqual(4);
		for (const row of rows) {
			const got = await download(as.mentor1!, w.programs.p1, row.hash);
			const type = got.headers.get('content-type') ?? '';
			expect(ATTACHMENT_TYPE_LIST as string[]).toContain(type);
			expect(type).not.toMatch(/html|svg|javascript|^text\//);
			expect(got.headers.get('x-content-type-options')).toBe('nosniff');
			expect(got.headers.get('content-security-policy')).toContain("default-src 'none'");
			if (type !== 'application/pdf')
				expect(got.headers.get('content-security-policy')).toContain('sandbox');
		}
		const got = await download(as.mentor1!, w.programs.p1, sha256(polyglot));
		expect(got.headers.get('content-type')).toBe('image/jpeg');
	});

	it('refuses every attachment URL to another program’s participant, a coordinator, another school’s curator and an anonymous request', async () => {
		const file = png();
		const hash = sha256(file);
		expect(
			(await upload(as.mentor1!, w.programs.p1, file, { type: 'image/png', name: 'a.png' })).status
		).toBe(200);
		const meta = { hash, size: file.length, type: 'image/png', name: 'a.png' };
		for (const who of ['mentor3', 'mentor2', 'coordinator1', 'curator1b', 'anonymous'] as const) {
			const expected = who === 'anonymous' ? [401] : [403, 404];
			const get = await download(as[who]!, w.programs.p1, hash);
			expect(expected, `${who} GET ${get.status}`).toContain(get.status);
			expect(get.bytes.includes(file)).toBe(false);
			const post = await startUpload(as[who]!, w.programs.p1, meta);
			expect(expected, `${who} POST ${post.status}`).toContain(post.status);
			const put = await putChunk(as[who]!, w.programs.p1, hash, 0, file);
			expect(expected, `${who} PUT ${put.status}`).toContain(put.status);
		}
		// The read-only curator (the head of the school) reads, never writes.
		expect((await download(as.head1!, w.programs.p1, hash)).status).toBe(200);
		expect((await startUpload(as.head1!, w.programs.p1, meta)).status).toBe(403);
		expect((await putChunk(as.head1!, w.programs.p1, hash, 0, file)).status).toBe(403);
		// The curator reads but does not upload.
		expect((await startUpload(as.curator1!, w.programs.p1, meta)).status).toBe(403);
		// Knowing the hash gives nothing through another program, even to that program's own mentor.
		expect((await download(as.mentor3!, w.programs.p3, hash)).status).toBe(404);
		// A chunk without JSON or octet-stream, or from another site, is refused at the boundary.
		const form = await fetch(`${t.base}${attachmentPath(w.programs.p1, hash)}?offset=0`, {
			method: 'PUT',
			headers: { cookie: as.mentor1!.cookie!, 'content-type': 'text/plain' },
			body: 'x'
		});
		expect(form.status).toBe(415);
		const crossSite = await fetch(`${t.base}${attachmentPath(w.programs.p1, hash)}?offset=0`, {
			method: 'PUT',
			headers: {
				cookie: as.mentor1!.cookie!,
				'content-type': 'application/octet-stream',
				origin: 'https://evil.example'
			},
			body: new Uint8Array(file)
		});
		expect(crossSite.status).toBe(403);
	});

	it('bytes another program already stored still need the upload (proof of possession), then are kept once', async () => {
		const file = await docx('Общий документ');
		const hash = sha256(file);
		const type = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
		expect((await upload(as.mentor1!, w.programs.p1, file, { type, name: 'a.docx' })).status).toBe(
			200
		);
		const stored = statSync(blobFile(hash)).mtimeMs;
		const start = await startUpload(as.mentor2!, w.programs.p2, {
			hash,
			size: file.length,
			type,
			name: 'b.docx'
		});
		expect(start.body).toMatchObject({ received: 0, complete: false });
		// Claiming the bytes without them: the hash does not match, refused.
		const fake = await putChunk(as.mentor2!, w.programs.p2, hash, 0, Buffer.alloc(file.length, 1));
		expect(fake.status).toBe(422);
		expect((await download(as.mentor2!, w.programs.p2, hash)).status).toBe(404);
		expect((await upload(as.mentor2!, w.programs.p2, file, { type, name: 'b.docx' })).status).toBe(
			200
		);
		expect(statSync(blobFile(hash)).mtimeMs).toBe(stored);
		const got = await download(as.mentor2!, w.programs.p2, hash);
		expect(got.headers.get('content-disposition')).toContain("filename*=UTF-8''b.docx");
	});

	it('quotas: a file over its type’s limit and a program over its total are refused with 413 in Russian', async () => {
		const big = await startUpload(as.mentor1!, w.programs.p1, {
			hash: 'a'.repeat(64),
			size: ATTACHMENT_LIMITS.maxImageBytes + 1,
			type: 'image/jpeg',
			name: 'big.jpg'
		});
		expect(big.status).toBe(413);
		expect(big.body.message).toMatch(/Фотография больше 10 МБ/);
		const huge = await startUpload(as.mentor1!, w.programs.p1, {
			hash: 'b'.repeat(64),
			size: ATTACHMENT_LIMITS.maxDocumentBytes + 1,
			type: 'application/pdf',
			name: 'huge.pdf'
		});
		expect([400, 413]).toContain(huge.status);
		// One chunk over the chunk size: refused before the handler.
		const file = jpeg(3 * MiB);
		const hash = sha256(file);
		await startUpload(as.mentor2!, w.programs.p2, {
			hash,
			size: file.length,
			type: 'image/jpeg',
			name: 'x.jpg'
		});
		const fat = await putChunk(as.mentor2!, w.programs.p2, hash, 0, file.subarray(0, MiB + 1));
		expect(fat.status).toBe(413);
		// The program's total: fill P2 up to 1 MiB below its quota with uploads under way.
		let filled = 0;
		let i = 0;
		const used = await t.server.storage.sql.get<{ total: number }>(
			'SELECT COALESCE(SUM(size), 0) AS total FROM attachment_uploads WHERE program_id = ?',
			[w.programs.p2]
		);
		filled = Number(used?.total ?? 0);
		while (filled + 20 * MiB <= ATTACHMENT_LIMITS.programQuotaBytes - MiB) {
			const r = await startUpload(as.mentor2!, w.programs.p2, {
				hash: i.toString(16).padStart(64, 'c'),
				size: 20 * MiB,
				type: 'application/pdf',
				name: `part ${i}.pdf`
			});
			expect(r.status).toBe(200);
			filled += 20 * MiB;
			i++;
		}
		const over = await startUpload(as.mentor2!, w.programs.p2, {
			hash: 'd'.repeat(64),
			size: ATTACHMENT_LIMITS.programQuotaBytes - filled + 1,
			type: 'application/pdf',
			name: 'last.pdf'
		});
		expect(over.status).toBe(413);
		expect(over.body.message).toMatch(/Место для файлов программы закончилось/);
	});

	it('the curator’s program view and the stage document list the attachments, with download URLs', async () => {
		const p = w.programs.p1;
		const view = await fetch(`${t.base}/api/curator/programs/${p}`, {
			headers: { cookie: as.curator1!.cookie! }
		}).then((r) => r.json() as Promise<Record<string, unknown>>);
		const program = view.program as {
			stages: Array<{ id: string }>;
			activities: Array<{ id: string; stageId: string | null; title: string }>;
		};
		const stageId = program.stages[0]!.id;
		const activity = program.activities.find((a) => a.stageId === stageId)!;
		const plan = await docx('Конспект урока');
		expect(
			(
				await upload(as.mentor1!, p, plan, {
					type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
					name: 'Конспект урока.docx'
				})
			).status
		).toBe(200);
		const notYet = jpeg(30_000);
		await t.server.relay.applyServerEdit(p, { userId: w.people.mentor1 }, (doc: Y.Doc) => {
			const arr = doc.getArray<Y.Map<unknown>>(ATTACHMENTS_ROOT);
			const ref = (id: string, hash: string, name: string, type: string, size: number) => {
				const m = new Y.Map<unknown>();
				for (const [k, v] of Object.entries({
					[ITEM.id]: id,
					[ATTACHMENT.targetKind]: 'activity',
					[ATTACHMENT.targetId]: activity.id,
					[ATTACHMENT.hash]: hash,
					[ATTACHMENT.name]: name,
					[ATTACHMENT.type]: type,
					[ATTACHMENT.size]: size,
					[ITEM.createdBy]: w.people.mentor1,
					[ITEM.createdAt]: '2026-11-20T09:30:00.000Z'
				}))
					m.set(k, v);
				arr.push([m]);
			};
			ref(
				'plan1',
				sha256(plan),
				'Конспект урока.docx',
				'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
				plan.length
			);
			ref('photo1', sha256(notYet), 'Открытый урок.jpg', 'image/jpeg', notYet.length);
		});
		const after = (await fetch(`${t.base}/api/curator/programs/${p}`, {
			headers: { cookie: as.head1!.cookie! }
		}).then((r) => r.json())) as {
			attachments: Array<{ name: string; url: string; uploaded: boolean; authorName: string }>;
		};
		const byName = new Map(after.attachments.map((a) => [a.name, a]));
		expect(byName.get('Конспект урока.docx')).toMatchObject({
			url: attachmentPath(p, sha256(plan)),
			uploaded: true,
			authorName: 'Иванова Мария Петровна'
		});
		expect(byName.get('Открытый урок.jpg')).toMatchObject({ uploaded: false });
		const got = await fetch(`${t.base}${byName.get('Конспект урока.docx')!.url}`, {
			headers: { cookie: as.head1!.cookie! }
		});
		expect(got.status).toBe(200);

		const note = await fetch(
			`${t.base}/api/curator/programs/${p}/stages/${stageId}/note?format=docx`,
			{
				headers: { cookie: as.curator1!.cookie! }
			}
		);
		expect(note.status).toBe(200);
		const text = docxText(Buffer.from(await note.arrayBuffer()));
		expect(text).toContain('Приложения: файлы и фотографии этапа');
		expect(text).toMatch(
			/Конспект урока\.docx\s*DOCX\s*\d+ КБ\s*Иванова Мария Петровна\s*20\.11\.2026/
		);
		expect(text).toContain('Открытый урок.jpg');
		expect(text).toContain(`мероприятие «${activity.title}»`);
	});

	it('garbage collection: bytes no document refers to go after the grace; referenced ones and their upload stay', async () => {
		const kept = png();
		const keptHash = sha256(kept);
		const dropped = jpeg(100_000);
		const droppedHash = sha256(dropped);
		const p = w.programs.p3;
		await upload(as.mentor3!, p, kept, { type: 'image/png', name: 'kept.png' });
		await upload(as.mentor3!, p, dropped, { type: 'image/jpeg', name: 'dropped.jpg' });
		const abandoned = jpeg(2 * MiB);
		await startUpload(as.mentor3!, p, {
			hash: sha256(abandoned),
			size: abandoned.length,
			type: 'image/jpeg',
			name: 'half.jpg'
		});
		await putChunk(as.mentor3!, p, sha256(abandoned), 0, abandoned.subarray(0, MiB));
		// The mentor's document refers to `kept` only (and once referred to `dropped`, now removed).
		await t.server.relay.applyServerEdit(p, { userId: w.people.mentor3 }, (doc: Y.Doc) => {
			const arr = doc.getArray<Y.Map<unknown>>(ATTACHMENTS_ROOT);
			const add = (id: string, hash: string, size: number, type: string, removed: boolean) => {
				const m = new Y.Map<unknown>();
				m.set(ITEM.id, id);
				m.set(ATTACHMENT.targetKind, 'meeting');
				m.set(ATTACHMENT.targetId, 'meeting1');
				m.set(ATTACHMENT.hash, hash);
				m.set(ATTACHMENT.name, 'file');
				m.set(ATTACHMENT.type, type);
				m.set(ATTACHMENT.size, size);
				m.set(ITEM.createdBy, w.people.mentor3);
				m.set(ITEM.createdAt, '2026-11-24T05:00:00.000Z');
				if (removed) {
					m.set(ITEM.removed, true);
					m.set(ITEM.removedBy, w.people.mentor3);
				}
				arr.push([m]);
			};
			add('att1', keptHash, kept.length, 'image/png', false);
			add('att2', droppedHash, dropped.length, 'image/jpeg', true);
		});
		const gc = t.server.attachments.collectGarbage;
		const now = Date.now();
		const first = await gc({ now });
		expect(first.uploadsDeleted).toBe(0);
		expect(first.blobsDeleted).toBe(0);
		expect(existsSync(blobFile(droppedHash))).toBe(true);
		// Within the grace: still there (a removal may be undone, a partner may still fetch it).
		await gc({ now: now + 6 * DAY });
		expect((await download(as.mentor3!, p, droppedHash)).status).toBe(200);
		const later = await gc({ now: now + ATTACHMENT_LIMITS.orphanGraceDays * DAY + 1 });
		expect(later.blobsDeleted).toBeGreaterThanOrEqual(1);
		expect(existsSync(blobFile(droppedHash))).toBe(false);
		expect((await download(as.mentor3!, p, droppedHash)).status).toBe(404);
		// The abandoned half upload and its staged bytes are gone; the referenced file stays.
		expect(stagingFiles().some((f) => String(f).includes(sha256(abandoned)))).toBe(false);
		expect(existsSync(blobFile(keptHash))).toBe(true);
		expect((await download(as.mentor3!, p, keptHash)).status).toBe(200);
	});
});

describe('attachments: a per-person limit on upload requests', () => {
	let t: TestServer;
	let w: World;

	beforeAll(async () => {
		({ t, w } = await startWorld({ ATTACHMENT_UPLOADS_PER_MINUTE: '3' }));
	}, 120_000);

	afterAll(async () => {
		await t?.close();
	});

	it('beyond the minute’s count: 429 with Retry-After and a Russian message; the partner is not affected', async () => {
		const mentor = { base: t.base, cookie: (await signIn(t, w.people.mentor1)).cookie };
		const mentee = { base: t.base, cookie: (await signIn(t, w.people.mentee1)).cookie };
		const file = png();
		const meta = { hash: sha256(file), size: file.length, type: 'image/png', name: 'a.png' };
		for (let i = 0; i < 3; i++)
			expect((await startUpload(mentor, w.programs.p1, meta)).status).toBe(200);
		const refused = await startUpload(mentor, w.programs.p1, meta);
		expect(refused.status).toBe(429);
		expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
		expect(refused.body.message).toMatch(/Слишком много загрузок/);
		expect((await putChunk(mentor, w.programs.p1, meta.hash, 0, file)).status).toBe(429);
		expect(
			(await upload(mentee, w.programs.p1, file, { type: 'image/png', name: 'a.png' })).status
		).toBe(200);
		// Reading is not an upload: the mentor still downloads.
		expect((await download(mentor, w.programs.p1, meta.hash)).status).toBe(200);
	});
});
