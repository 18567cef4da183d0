import { expect, test, type Browser } from '@playwright/test';
import { summarize } from '../../src/lib/shared/program';
import { procStats, readStored, summarySettled } from '../resilience/harness';
import { expectSaved, logMeeting, openPhone as openPhoneAt, tab } from './helpers';
import { productForFile } from './product';

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

	// The browser evicts this origin's IndexedDB (as under storage pressure), with the app open.
	const cdp = await mentee.context.newCDPSession(mentee.page);
	await cdp.send('Storage.clearDataForOrigin', {
		origin: new URL(product.url).origin,
		storageTypes: 'indexeddb'
	});
	const left = await mentee.page.evaluate(async () =>
		(await indexedDB.databases()).map((d) => d.name)
	);
	expect(left, 'IndexedDB databases after the eviction').toEqual([]);
	// Meanwhile the partner keeps working.
	await logMeeting(mentor.page, 'Встреча наставника после очистки');
	await expectSaved(mentor.page);

	await mentee.page.goto(programUrl);
	await expect(mentee.page.getByTestId('program-title')).toBeVisible();
	await expectSaved(mentee.page);
	await tab(mentee.page, 'Диагностика');
	await expect(mentee.page.getByTestId('diagnosis-difficulties')).toHaveValue(
		'Сохранено до очистки хранилища'
	);
	await tab(mentee.page, 'Встречи');
	await expect(
		mentee.page.getByTestId('meeting').filter({ hasText: 'Встреча до очистки' })
	).toBeVisible();
	await expect(
		mentee.page.getByTestId('meeting').filter({ hasText: 'Встреча наставника после очистки' })
	).toBeVisible();
	await tab(mentee.page, 'План');
	await expect(mentee.page.getByTestId('activity').first().getByRole('checkbox')).toBeChecked();

	// And the device writes again after the eviction.
	await tab(mentee.page, 'Диагностика');
	await mentee.page.getByTestId('diagnosis-difficulties').press('End');
	await mentee.page.getByTestId('diagnosis-difficulties').pressSequentially(' и после');
	await expectSaved(mentee.page);
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
