import { expect, test } from '@playwright/test';
import { formatDateLong, startOfDay, today } from '../../src/lib/shared/time';
import { logMeeting, tab, waitForServiceWorker } from './helpers';
import { productForFile } from './product';

/**
 * A school in Kamchatka (UTC+12), a phone whose own zone is Tomsk (UTC+7), a meeting logged 30 s
 * after local midnight: the phone dates it in the program's zone (that day), not in UTC nor in
 * the device's zone (both still say the day before), and the curator's server reads that date.
 */
const ZONE = 'Asia/Kamchatka';
const app = productForFile();
const { product } = app;

test.beforeAll(async () => {
	const r = await app.curator.api.patch(`/api/organizations/${app.curator.organizationId}`, {
		data: { timeZone: ZONE }
	});
	expect(r.ok()).toBe(true);
});

test('a meeting logged just after local midnight has the local date', async ({ browser }) => {
	const pair = await app.curator.createPairProgram();
	const localDay = today(ZONE);
	const justAfterMidnight = startOfDay(localDay, ZONE) + 30_000;
	// In UTC and in Tomsk it is still the day before.
	expect(new Date(justAfterMidnight).toISOString().slice(0, 10)).not.toBe(localDay);
	expect(today('Asia/Tomsk', justAfterMidnight)).not.toBe(localDay);

	const context = await browser.newContext({
		baseURL: product.url,
		viewport: { width: 360, height: 640 },
		locale: 'ru-RU',
		timezoneId: 'Asia/Tomsk',
		serviceWorkers: 'allow'
	});
	// The phone's clock reads 00:00:30 in Kamchatka and runs on from there.
	await context.clock.install({ time: justAfterMidnight });
	const page = await context.newPage();
	page.on('pageerror', (error) => console.error('[page error]', error.message));
	await page.goto(pair.mentorLink);
	await expect(page.getByTestId('program-title')).toBeVisible();
	await waitForServiceWorker(page);

	await tab(page, 'Встречи');
	await expect(page.getByLabel('Дата')).toHaveValue(localDay);
	await logMeeting(page, 'Встреча после полуночи');
	await expect(
		page.getByTestId('meeting').filter({ hasText: 'Встреча после полуночи' })
	).toContainText(formatDateLong(localDay, false));

	// The server has the same date (and counts today in the same zone).
	await expect
		.poll(async () => {
			const r = await app.curator.api.get(`/api/curator/programs/${pair.programId}`);
			const body = (await r.json()) as {
				today: string;
				program: { meetings: Array<{ topic: string; date: string }> };
			};
			return {
				today: body.today,
				date: body.program.meetings.find((m) => m.topic === 'Встреча после полуночи')?.date
			};
		})
		.toEqual({ today: localDay, date: localDay });
	await context.close();
});
