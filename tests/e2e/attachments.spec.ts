import { expect, test, type Locator, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Document, Packer, Paragraph } from 'docx';
import {
	expectSaved,
	logMeeting,
	openPhone as openPhoneAt,
	evictStorageUnderOpenProgram,
	screenshot,
	syncStatus,
	tab,
	type Phone
} from './helpers';
import { productForFile } from './product';

/**
 * Issue #17's acceptance on the built app, two phones (separate browser contexts) and the
 * curator's desk: the mentor, offline, takes a photo for a meeting (a file input here) and
 * attaches a DOCX to an activity; after a reload, still offline, both are there; online they
 * upload; the mentee sees both and opens them (the bytes compared with what was attached); the
 * curator sees them on the program page (links that serve the same bytes) and in the stage's
 * document.
 */
const app = productForFile();
const { product } = app;

const sha256 = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A real DOCX (the server sniffs the type from the bytes, so a renamed text file would fail). */
async function docx(text: string): Promise<Buffer> {
	const doc = new Document({ sections: [{ children: [new Paragraph(text)] }] });
	return Buffer.from(await Packer.toBuffer(doc));
}

/** A camera-sized JPEG (4000×3000, noisy so it does not compress to nothing), made by Chromium. */
async function cameraPhoto(page: Page): Promise<Buffer> {
	const base64 = await page.evaluate(async () => {
		const canvas = new OffscreenCanvas(4000, 3000);
		const ctx = canvas.getContext('2d')!;
		const gradient = ctx.createLinearGradient(0, 0, 4000, 3000);
		gradient.addColorStop(0, '#0f5c55');
		gradient.addColorStop(1, '#f2c14e');
		ctx.fillStyle = gradient;
		ctx.fillRect(0, 0, 4000, 3000);
		for (let i = 0; i < 4000; i++) {
			ctx.fillStyle = `hsl(${(i * 37) % 360} 60% 50%)`;
			ctx.fillRect((i * 7919) % 4000, (i * 104729) % 3000, 40, 40);
		}
		const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
		const bytes = new Uint8Array(await blob.arrayBuffer());
		let binary = '';
		for (let i = 0; i < bytes.length; i += 0x8000)
			binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
		return btoa(binary);
	});
	return Buffer.from(base64, 'base64');
}

async function openedMeeting(page: Page, topic: string): Promise<Locator> {
	await tab(page, 'Встречи');
	const meeting = page.getByTestId('meeting').filter({ hasText: topic });
	const summary = meeting.locator('button.ws-summary');
	if ((await summary.getAttribute('aria-expanded')) !== 'true') await summary.click();
	return meeting;
}

async function openedActivity(page: Page): Promise<Locator> {
	await tab(page, 'План');
	const activity = page.getByTestId('activity').first();
	const title = activity.locator('button.title');
	if ((await title.getAttribute('aria-expanded')) !== 'true') await title.click();
	return activity;
}

/** Attaches a DOCX to an opened activity (the file picker of «Прикрепить файл»). */
const attachDocx = (activity: Locator, name: string, buffer: Buffer) =>
	activity.getByTestId('attach-file').setInputFiles({
		name,
		mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
		buffer
	});

const file = (where: Locator, name: string) =>
	where.getByTestId('attachment').filter({ hasText: name });

test('offline photo and DOCX: kept through a reload, uploaded online, opened by the mentee and the curator', async ({
	browser
}) => {
	test.setTimeout(240_000);
	const pair = await app.curator.createPairProgram();
	const openPhone = (link: string) => openPhoneAt(browser, product.url, link);
	const mentor: Phone = await openPhone(pair.mentorLink);
	const mentee: Phone = await openPhone(pair.menteeLink);
	await expectSaved(mentor.page);
	await expectSaved(mentee.page);
	const photo = await cameraPhoto(mentor.page);
	const plan = await docx('План открытого урока: цели, ход урока, рефлексия.');
	const TOPIC = 'Посещение урока в 7 «Б»';

	// Offline at the school: a meeting with a photo, a lesson plan on the first activity.
	await mentor.context.setOffline(true);
	await expect(syncStatus(mentor.page)).toHaveAttribute('data-phase', 'offline');
	await logMeeting(mentor.page, TOPIC);
	let meeting = await openedMeeting(mentor.page, TOPIC);
	await meeting.getByTestId('attach-photo').setInputFiles({
		name: 'IMG_20261124_101500.jpg',
		mimeType: 'image/jpeg',
		buffer: photo
	});
	// The downscaled photo is named .jpg, and waits for the network.
	await expect(
		file(meeting, 'IMG_20261124_101500.jpg').getByTestId('attachment-status')
	).toHaveText('ждёт сети');
	let activity = await openedActivity(mentor.page);
	await attachDocx(activity, 'План урока.docx', plan);
	await expect(file(activity, 'План урока.docx').getByTestId('attachment-status')).toHaveText(
		'ждёт сети'
	);
	await expect(activity.getByTestId('file-count')).toHaveText('1 файл');
	await screenshot(mentor.page, 'attachments-offline');

	// Reload without network: the app, the references and the bytes are all on the phone.
	await mentor.page.reload();
	await expect(mentor.page.getByTestId('program-title')).toBeVisible();
	activity = await openedActivity(mentor.page);
	await expect(file(activity, 'План урока.docx').getByTestId('attachment-status')).toHaveText(
		'ждёт сети'
	);
	meeting = await openedMeeting(mentor.page, TOPIC);
	const photoItem = file(meeting, 'IMG_20261124_101500.jpg');
	await expect(photoItem.getByTestId('attachment-status')).toHaveText('ждёт сети');
	// Opening it offline shows the photo from the device.
	await photoItem.getByRole('button', { name: /IMG_20261124_101500\.jpg/ }).click();
	await expect(photoItem.getByTestId('attachment-preview')).toBeVisible();
	const photoHash = (await photoItem.getAttribute('data-hash')) ?? '';
	expect(photoHash).toMatch(/^[0-9a-f]{64}$/);

	// Signing out with a wipe now would lose them: the sign-out screen says so.
	const signout = await mentor.context.newPage();
	await signout.goto('/signout');
	await signout.getByTestId('wipe-device').check();
	await expect(signout.getByTestId('unsent-files-warning')).toContainText(
		'На этом устройстве 2 файла ещё не загружены на сервер.'
	);
	await signout.close();

	// Online: both upload, the document syncs.
	await mentor.context.setOffline(false);
	await expectSaved(mentor.page);
	await expect(photoItem.getByTestId('attachment-status')).toHaveText('загружено', {
		timeout: 30_000
	});
	activity = await openedActivity(mentor.page);
	await expect(file(activity, 'План урока.docx').getByTestId('attachment-status')).toHaveText(
		'загружено',
		{ timeout: 30_000 }
	);
	const planHash = (await file(activity, 'План урока.docx').getAttribute('data-hash')) ?? '';
	expect(planHash).toBe(sha256(plan));

	// The mentee sees both, with the author, and opens them: the bytes are the mentor's.
	const menteeActivity = await openedActivity(mentee.page);
	const menteePlan = file(menteeActivity, 'План урока.docx');
	await expect(menteePlan).toContainText('Иванова М. С.');
	await expect(menteePlan.getByRole('button', { name: 'Убрать' })).toHaveCount(0);
	const download = mentee.page.waitForEvent('download');
	await menteePlan.getByRole('button', { name: /План урока\.docx/ }).click();
	const saved = await (await download).path();
	expect(sha256(readFileSync(saved))).toBe(sha256(plan));
	const menteeMeeting = await openedMeeting(mentee.page, TOPIC);
	const menteePhoto = file(menteeMeeting, 'IMG_20261124_101500.jpg');
	await menteePhoto.getByRole('button', { name: /IMG_20261124_101500\.jpg/ }).click();
	const preview = menteePhoto.getByTestId('attachment-preview');
	await expect(preview).toBeVisible();
	const size = await preview.evaluate(async (img: HTMLImageElement) => {
		await img.decode();
		return { width: img.naturalWidth, height: img.naturalHeight };
	});
	// The bytes the mentee's phone fetched and keeps are the ones the mentor's phone hashed.
	const kept = await mentee.page.evaluate(async (hash) => {
		const db = await new Promise<IDBDatabase>((resolve, reject) => {
			const r = indexedDB.open('nastavnik-files');
			r.onsuccess = () => resolve(r.result);
			r.onerror = () => reject(r.error);
		});
		const record = await new Promise<{ blob: Blob } | undefined>((resolve, reject) => {
			const r = db.transaction('files').objectStore('files').get(hash);
			r.onsuccess = () => resolve(r.result as { blob: Blob } | undefined);
			r.onerror = () => reject(r.error);
		});
		db.close();
		if (!record) return null;
		const digest = await crypto.subtle.digest('SHA-256', await record.blob.arrayBuffer());
		return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
	}, photoHash);
	expect(kept).toBe(photoHash);
	// Downscaled on the mentor's phone to 2048 px on the longer side, proportions kept.
	expect(size).toEqual({ width: 2048, height: 1536 });
	await screenshot(mentee.page, 'attachments-mentee');
	// Opened once, kept for offline.
	await mentee.context.setOffline(true);
	await menteePhoto.getByRole('button', { name: /IMG_20261124_101500\.jpg/ }).click();
	await expect(preview).toBeHidden();
	await menteePhoto.getByRole('button', { name: /IMG_20261124_101500\.jpg/ }).click();
	await expect(preview).toBeVisible();
	await mentee.context.setOffline(false);

	// The curator: the program page lists both under their stage, with links serving the bytes.
	const desk = await browser.newContext({
		baseURL: product.url,
		viewport: { width: 1366, height: 800 },
		locale: 'ru-RU',
		storageState: await app.curator.api.storageState()
	});
	const page = await desk.newPage();
	await page.goto(
		`/curator/program/${pair.programId}?scope=organization:${app.curator.organizationId}`
	);
	const files = page.getByTestId('program-files');
	await expect(files.getByTestId('program-file')).toHaveCount(2);
	await expect(files).toContainText('1 этап.');
	for (const [name, hash] of [
		['План урока.docx', sha256(plan)],
		['IMG_20261124_101500.jpg', photoHash]
	] as const) {
		const link = files.getByRole('link', { name });
		const res = await page.request.get((await link.getAttribute('href')) ?? '');
		expect(res.status(), name).toBe(200);
		expect(sha256(await res.body()), name).toBe(hash);
	}
	await files.scrollIntoViewIfNeeded();
	await page.screenshot({ path: 'tests/e2e/screenshots/attachments-curator-1366x800.png' });

	// The stage's document lists the stage's files.
	const stage = await page.request.get(`/api/curator/programs/${pair.programId}`);
	const stageId = ((await stage.json()) as { program: { stages: Array<{ id: string }> } }).program
		.stages[0]!.id;
	const note = await page.request.get(
		`/api/curator/programs/${pair.programId}/stages/${stageId}/note?format=pdf`
	);
	expect(note.status()).toBe(200);
	const pdf = path.join(mkdtempSync(path.join(tmpdir(), 'att-')), 'note.pdf');
	writeFileSync(pdf, await note.body());
	const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
	expect(text).toContain('План урока.docx');

	await desk.close();
	await mentor.context.close();
	await mentee.context.close();
});

test('an upload cut off mid-file continues from what the server holds, and the partner gets the same bytes', async ({
	browser
}) => {
	test.setTimeout(180_000);
	const pair = await app.curator.createPairProgram();
	// 2.5 MB: three chunks of at most 1 MiB.
	const big = Buffer.concat([
		Buffer.from('%PDF-1.4\n%'),
		Buffer.alloc(2_500_000, 'материалы '),
		Buffer.from('\n%%EOF\n')
	]);
	const offsets: number[] = [];
	let cut = false;
	const mentor = await openPhoneAt(browser, product.url, pair.mentorLink, async (context) => {
		await context.route(/\/attachments\/[0-9a-f]{64}\?offset=\d+$/, async (route) => {
			const offset = Number(new URL(route.request().url()).searchParams.get('offset'));
			offsets.push(offset);
			// The network drops while the second chunk is on its way.
			if (offset > 0 && !cut) {
				cut = true;
				return route.abort('connectionreset');
			}
			return route.continue();
		});
	});
	await expectSaved(mentor.page);
	const activity = await openedActivity(mentor.page);
	await activity.getByTestId('attach-file').setInputFiles({
		name: 'Методические материалы.pdf',
		mimeType: 'application/pdf',
		buffer: big
	});
	const status = file(activity, 'Методические материалы.pdf').getByTestId('attachment-status');
	await expect(status).toHaveText('загружено', { timeout: 60_000 });
	const MiB = 1024 * 1024;
	// Not from the start again: the retry asked the server and went on from the first chunk's end.
	expect(offsets).toEqual([0, MiB, MiB, 2 * MiB]);

	const mentee = await openPhoneAt(browser, product.url, pair.menteeLink);
	const theirs = file(await openedActivity(mentee.page), 'Методические материалы.pdf');
	const download = mentee.page.waitForEvent('download');
	await theirs.getByRole('button', { name: /Методические материалы\.pdf/ }).click();
	expect(sha256(readFileSync(await (await download).path()))).toBe(sha256(big));
	await mentor.context.close();
	await mentee.context.close();
});

test('a file attached offline goes up when the network returns while the phone is on the home screen; one removed offline never does', async ({
	browser
}) => {
	test.setTimeout(180_000);
	const pair = await app.curator.createPairProgram();
	const mentor = await openPhoneAt(browser, product.url, pair.mentorLink);
	await expectSaved(mentor.page);
	const kept = await docx('Технологическая карта урока.');
	const dropped = await docx('Не тот файл.');
	const uploads: string[] = [];
	mentor.page.on('request', (r) => {
		if (r.method() === 'POST' && /\/attachments$/.test(r.url()))
			uploads.push((JSON.parse(r.postData() ?? '{}') as { hash?: string }).hash ?? '');
	});

	await mentor.context.setOffline(true);
	await expect(syncStatus(mentor.page)).toHaveAttribute('data-phase', 'offline');
	const activity = await openedActivity(mentor.page);
	for (const [name, buffer] of [
		['Технологическая карта.docx', kept],
		['Не тот файл.docx', dropped]
	] as const) {
		await attachDocx(activity, name, buffer);
		await expect(file(activity, name).getByTestId('attachment-status')).toHaveText('ждёт сети');
	}
	// The wrong one is removed before it ever left the phone.
	mentor.page.once('dialog', (d) => void d.accept());
	await file(activity, 'Не тот файл.docx').getByRole('button', { name: 'Убрать' }).click();
	await expect(file(activity, 'Не тот файл.docx')).toHaveCount(0);

	// Back to the list of programs, still offline; then the network returns there.
	await mentor.page.goto('/');
	await expect(mentor.page.getByRole('heading', { name: 'Мои программы' })).toBeVisible();
	await mentor.context.setOffline(false);

	// The mentee's request for the file succeeds once the mentor's phone has uploaded it, although
	// the mentor never opened the program again.
	const mentee = await openPhoneAt(browser, product.url, pair.menteeLink);
	const url = `/api/programs/${pair.programId}/attachments/${sha256(kept)}`;
	await expect
		.poll(async () => (await mentee.page.request.get(url)).status(), { timeout: 60_000 })
		.toBe(200);
	expect(sha256(await (await mentee.page.request.get(url)).body())).toBe(sha256(kept));
	expect(mentor.page.url()).toBe(`${product.url}/`);
	expect(uploads).toEqual([sha256(kept)]);
	await mentor.context.close();
	await mentee.context.close();
});

test('storage evicted under the open program: a file attached offline afterwards is kept through a reload, then uploaded', async ({
	browser
}) => {
	const pair = await app.curator.createPairProgram();
	const mentor: Phone = await openPhoneAt(browser, product.url, pair.mentorLink);
	const mentee: Phone = await openPhoneAt(browser, product.url, pair.menteeLink);
	await expectSaved(mentor.page);
	const plan = await docx('План урока после очистки хранилища.');
	// A file attached and uploaded before: the phone's file store is open when the eviction comes.
	let activity = await openedActivity(mentor.page);
	await attachDocx(activity, 'Конспект.docx', await docx('Конспект до очистки хранилища.'));
	await expect(file(activity, 'Конспект.docx').getByTestId('attachment-status')).toHaveText(
		'загружено',
		{ timeout: 30_000 }
	);

	// The browser clears this origin's IndexedDB (storage pressure) with the program open.
	await evictStorageUnderOpenProgram(mentor);

	await mentor.context.setOffline(true);
	await expect(syncStatus(mentor.page)).toHaveAttribute('data-phase', 'offline');
	activity = await openedActivity(mentor.page);
	await attachDocx(activity, 'План урока.docx', plan);
	await expect(file(activity, 'План урока.docx').getByTestId('attachment-status')).toHaveText(
		'ждёт сети'
	);

	await mentor.page.reload();
	await expect(mentor.page.getByTestId('program-title')).toBeVisible();
	activity = await openedActivity(mentor.page);
	const item = file(activity, 'План урока.docx');
	await expect(item.getByTestId('attachment-status')).toHaveText('ждёт сети');

	await mentor.context.setOffline(false);
	await expect(item.getByTestId('attachment-status')).toHaveText('загружено', {
		timeout: 30_000
	});
	const hash = (await item.getAttribute('data-hash')) ?? '';
	expect(hash).toBe(sha256(plan));
	const menteeItem = file(await openedActivity(mentee.page), 'План урока.docx');
	await expect(menteeItem).toBeVisible();
	await mentor.context.close();
	await mentee.context.close();
});
