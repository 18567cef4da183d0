import { expect, test, type Browser } from '@playwright/test';
import { summarize } from '../../src/lib/shared/program';
import { procStats, readStored, summarySettled } from '../resilience/harness';
import {
	evictStorageUnderOpenProgram,
	expectSaved,
	logMeeting,
	openPhone as openPhoneAt,
	phoneOnItsOwnDisk,
	phoneWithBrokenStorage,
	screenshot,
	syncStatus,
	tab,
	waitForServiceWorker
} from './helpers';
import { productForFile } from './product';
import { mustMountTmpfs } from '../support/full-disk';

/**
 * Resilience in the browser (docs/resilience.md): the PWA in Chromium against the built product.
 * Browser storage eviction: IndexedDB cleared on one phone → the program comes back from the
 * server with everything that phone had been told was saved.
 */
const app = productForFile();
const { product } = app;

const openPhone = (browser: Browser, link: string) => openPhoneAt(browser, product.url, link);

test('storage eviction: IndexedDB cleared → the program comes back from the server with all acknowledged work', async ({
	browser
}) => {
	const pair = await app.curator.createPairProgram();
	const pid = product.server!.child.pid!;
	const baseline = procStats(pid);
	const mentee = await openPhone(browser, pair.menteeLink);
	const mentor = await openPhone(browser, pair.mentorLink);
	await expectSaved(mentee.page);
	const programUrl = mentee.page.url();

	// Work the mentee was told is saved.
	await tab(mentee.page, 'Диагностика');
	await mentee.page.getByTestId('diagnosis-difficulties').fill('Сохранено до очистки хранилища');
	await logMeeting(mentee.page, 'Встреча до очистки');
	await tab(mentee.page, 'План');
	await mentee.page.getByTestId('activity').first().getByRole('checkbox').check();
	await expectSaved(mentee.page);

	// The browser evicts this origin's IndexedDB (as under storage pressure) while the app is
	// closed; the next test evicts it under an open program.
	await mentee.page.close();
	const page = await mentee.context.newPage();
	const origin = new URL(product.url).origin;
	// A document of the origin that runs none of the app's code, for the listing below.
	await page.goto(`${origin}/robots.txt`);
	const cdp = await mentee.context.newCDPSession(page);
	await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'indexeddb' });
	const left = await cdp.send('IndexedDB.requestDatabaseNames', { securityOrigin: origin });
	expect(left.databaseNames, 'IndexedDB databases after the eviction').toEqual([]);
	// Meanwhile the partner keeps working.
	await logMeeting(mentor.page, 'Встреча наставника после очистки');
	await expectSaved(mentor.page);

	await page.goto(programUrl);
	await expect(page.getByTestId('program-title')).toBeVisible();
	await expectSaved(page);
	await tab(page, 'Диагностика');
	await expect(page.getByTestId('diagnosis-difficulties')).toHaveValue(
		'Сохранено до очистки хранилища'
	);
	await tab(page, 'Встречи');
	await expect(page.getByTestId('meeting').filter({ hasText: 'Встреча до очистки' })).toBeVisible();
	await expect(
		page.getByTestId('meeting').filter({ hasText: 'Встреча наставника после очистки' })
	).toBeVisible();
	await tab(page, 'План');
	await expect(page.getByTestId('activity').first().getByRole('checkbox')).toBeChecked();

	// And the device writes again after the eviction.
	await tab(page, 'Диагностика');
	await page.getByTestId('diagnosis-difficulties').press('End');
	await page.getByTestId('diagnosis-difficulties').pressSequentially(' и после');
	await expectSaved(page);
	await tab(mentor.page, 'Диагностика');
	await expect(mentor.page.getByTestId('diagnosis-difficulties')).toHaveValue(
		'Сохранено до очистки хранилища и после'
	);

	// Server side: stored document = what both show; summary = summarize(stored).
	await summarySettled(product.dataDir, pair.programId);
	const stored = readStored(product.dataDir, pair.programId);
	expect(stored.badRows).toBe(0);
	expect(stored.doc.getText('diagnosis.difficulties').toString()).toBe(
		'Сохранено до очистки хранилища и после'
	);
	const s = stored.summary!.summary as { asOf: string; meetings: { count: number } };
	expect(s).toEqual(JSON.parse(JSON.stringify(summarize(stored.doc, s.asOf))));
	expect(s.meetings.count).toBe(2);

	await mentee.context.close();
	await mentor.context.close();
	await expect
		.poll(() => procStats(pid).fds, { timeout: 15_000 })
		.toBeLessThanOrEqual(baseline.fds + 2);
});

test('storage eviction with the program open: the phone stores again without a reload, so an offline edit after it survives a reload and the home screen lists the program', async ({
	browser
}) => {
	const pair = await app.curator.createPairProgram();
	const mentee = await openPhone(browser, pair.menteeLink);
	const mentor = await openPhone(browser, pair.mentorLink);
	await expectSaved(mentee.page);
	const programUrl = mentee.page.url();
	const title = (await mentee.page.getByTestId('program-title').textContent())!.trim();
	const storeErrors: string[] = [];
	mentee.page.on('console', (message) => {
		if (message.type() === 'error') storeErrors.push(message.text());
	});

	// The browser evicts this origin's IndexedDB while the program stays open (no reload after);
	// the program's store notices that its connection was closed.
	await evictStorageUnderOpenProgram(mentee);

	// The mentee goes on working online, then the network goes and she goes on offline.
	await tab(mentee.page, 'Диагностика');
	const field = mentee.page.getByTestId('diagnosis-difficulties');
	await field.fill('После очистки хранилища');
	await expectSaved(mentee.page);
	// Her list of programs, still without a reload, then back into the program.
	await mentee.page.getByRole('link', { name: '← Мои программы' }).click();
	await expect(mentee.page.getByTestId('program-list')).toContainText(title);
	await mentee.page.getByTestId('program-list').getByRole('link', { name: title }).click();
	await tab(mentee.page, 'Диагностика');
	await mentee.context.setOffline(true);
	await field.press('End');
	await field.pressSequentially(', без сети');
	await expect(syncStatus(mentee.page)).toHaveAttribute('data-phase', 'offline');

	// The phone restarts the app with no network: what she typed is on the device.
	await mentee.page.reload();
	await expect(mentee.page.getByTestId('program-title')).toBeVisible();
	await tab(mentee.page, 'Диагностика');
	await expect(mentee.page.getByTestId('diagnosis-difficulties')).toHaveValue(
		'После очистки хранилища, без сети'
	);
	await mentee.page.goto('/');
	await expect(mentee.page.getByTestId('program-list')).toContainText(title);
	await expect(mentee.page.getByText('Не удалось открыть хранилище')).toHaveCount(0);

	// Back online, the offline edit reaches the partner.
	await mentee.context.setOffline(false);
	await mentee.page.goto(programUrl);
	await expectSaved(mentee.page);
	await tab(mentor.page, 'Диагностика');
	await expect(mentor.page.getByTestId('diagnosis-difficulties')).toHaveValue(
		'После очистки хранилища, без сети'
	);
	expect(storeErrors.filter((e) => /IndexedDB|database/i.test(e))).toEqual([]);
	await mentee.context.close();
	await mentor.context.close();
});

test('a browser store that does not open (a corrupted profile): the program opens from the server, says the phone keeps none of it, and every edit reaches the partner', async ({
	browser
}) => {
	const pair = await app.curator.createPairProgram();
	const mentor = await openPhone(browser, pair.mentorLink);
	const mentee = await phoneWithBrokenStorage(product.url);
	const pageErrors: string[] = [];
	mentee.page.on('pageerror', (error) => pageErrors.push(error.message));
	await mentee.page.goto(pair.menteeLink);

	await expect(mentee.page.getByTestId('program-title')).toBeVisible();
	const warning = mentee.page.getByTestId('device-storage-problem');
	await expect(warning).toContainText('не дает хранить программу на этом телефоне');
	await expectSaved(mentee.page);
	await tab(mentee.page, 'Диагностика');
	const field = mentee.page.getByTestId('diagnosis-difficulties');
	await field.fill('Без памяти браузера');
	await expectSaved(mentee.page);
	await tab(mentor.page, 'Диагностика');
	const seen = mentor.page.getByTestId('diagnosis-difficulties');
	await expect(seen).toHaveValue('Без памяти браузера');

	// Offline, what she types is only in this tab, and the status says so rather than «saved on
	// the device».
	await mentee.context.setOffline(true);
	await field.press('End');
	await field.pressSequentially(', без сети');
	await expect(syncStatus(mentee.page)).toHaveAttribute('data-phase', 'offline');
	await expect(syncStatus(mentee.page)).toContainText('только в этой вкладке');
	await screenshot(mentee.page, 'program-without-device-storage');
	await mentee.context.setOffline(false);
	await expectSaved(mentee.page);
	await expect(seen).toHaveValue('Без памяти браузера, без сети');
	// Her list of programs comes from her account and says the device keeps nothing.
	const title = (await mentee.page.getByTestId('program-title').textContent())!.trim();
	await mentee.page.getByRole('link', { name: '← Мои программы' }).click();
	await expect(mentee.page.getByTestId('program-list')).toContainText(title);
	await expect(mentee.page.getByRole('alert')).toContainText('Не удалось открыть хранилище');
	expect(pageErrors).toEqual([]);
	await mentee.close();
	await mentor.context.close();
});

test("the phone's disk fills with the program open, offline: the screen says the edits are in the tab alone, and once there is room they are on the device again, then on the server", async ({
	browser
}) => {
	const pair = await app.curator.createPairProgram();
	const mentee = await phoneOnItsOwnDisk(product.url);
	if ('unavailable' in mentee) {
		// Under CI or as root (tmpfs available) this must run: fail, never skip.
		if (mustMountTmpfs()) throw new Error(mentee.unavailable);
		test.skip(true, mentee.unavailable);
		return;
	}
	// The tmpfs and its Chromium go whatever happens (a failed step would leave the disk mounted).
	try {
		const mentor = await openPhone(browser, pair.mentorLink);
		const pageErrors: string[] = [];
		mentee.page.on('pageerror', (error) => pageErrors.push(error.message));
		await mentee.page.goto(pair.menteeLink);
		await expect(mentee.page.getByTestId('program-title')).toBeVisible();
		await waitForServiceWorker(mentee.page);
		await tab(mentee.page, 'Диагностика');
		const field = mentee.page.getByTestId('diagnosis-difficulties');
		await field.fill('До заполнения памяти');
		await expectSaved(mentee.page);
		const warning = mentee.page.getByTestId('device-storage-problem');
		await expect(warning).toHaveCount(0);

		await mentee.context.setOffline(true);
		mentee.fillDisk();
		await field.press('End');
		await field.pressSequentially(', на полном диске');
		await expect(warning).toBeVisible();
		await expect(syncStatus(mentee.page)).toContainText('только в этой вкладке');

		// Room again (photos deleted): the next store takes the whole document.
		mentee.freeDisk();
		await expect(warning).toHaveCount(0, { timeout: 30_000 });
		await expect(syncStatus(mentee.page)).not.toContainText('только в этой вкладке');
		await mentee.page.reload();
		await expect(mentee.page.getByTestId('program-title')).toBeVisible();
		await tab(mentee.page, 'Диагностика');
		await expect(field).toHaveValue('До заполнения памяти, на полном диске');

		await mentee.context.setOffline(false);
		await expectSaved(mentee.page);
		await tab(mentor.page, 'Диагностика');
		await expect(mentor.page.getByTestId('diagnosis-difficulties')).toHaveValue(
			'До заполнения памяти, на полном диске'
		);
		expect(pageErrors).toEqual([]);
		await mentor.context.close();
	} finally {
		await mentee.close();
	}
});

test('server killed while the PWA is typing: after the restart everything saved is stored, the rest is sent', async ({
	browser
}) => {
	const pair = await app.curator.createPairProgram();
	const mentee = await openPhone(browser, pair.menteeLink);
	await expectSaved(mentee.page);
	await tab(mentee.page, 'Диагностика');
	const field = mentee.page.getByTestId('diagnosis-difficulties');
	await field.click();
	await field.pressSequentially('до сбоя; ');
	await expectSaved(mentee.page);
	const acknowledged = await field.inputValue();

	// Typing continues while the server dies (SIGKILL) and comes back on the same port.
	const typing = field.pressSequentially('во время сбоя; ', { delay: 40 });
	await product.restart('SIGKILL');
	await typing;
	await field.pressSequentially('после сбоя.');
	await expectSaved(mentee.page);
	const shown = await field.inputValue();
	expect(shown.startsWith(acknowledged)).toBe(true);
	expect(shown).toBe('до сбоя; во время сбоя; после сбоя.');

	await summarySettled(product.dataDir, pair.programId);
	const stored = readStored(product.dataDir, pair.programId);
	expect(stored.badRows).toBe(0);
	expect(stored.doc.getText('diagnosis.difficulties').toString()).toBe(shown);
	const s = stored.summary!.summary as { asOf: string };
	expect(s).toEqual(JSON.parse(JSON.stringify(summarize(stored.doc, s.asOf))));
	await mentee.context.close();
});
