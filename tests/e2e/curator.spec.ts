import { expect, test, type Browser, type Page } from '@playwright/test';
import {
	expectSaved,
	openPhone as openPhoneAt,
	screenshot,
	SCREENSHOT_DIR,
	syncStatus,
	tab,
	type Phone
} from './helpers';
import { productForFile } from './product';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The curator at a desk and two phones: the curator forms a pair in the bank, creates the
 * program from the Tomsk «начинающий руководитель» template and invites both people; mentor and
 * mentee open their links in their own browser contexts and work (the mentor offline for a
 * while, the mentee on a network that holds back her changes); the curator's dashboard shows
 * their progress and the device with pending changes, and follows them without a reload; a
 * curator decision on a report reaches the mentee's phone live.
 */
/** A desk is told about a phone gone offline when the relay's heartbeat misses it: 2 s here, 30 s by default. */
const RELAY_ENV = {
	RELAY_PING_INTERVAL_MS: '2000',
	RELAY_FACTS_FLUSH_MS: '300',
	RELAY_SUMMARY_DEBOUNCE_MS: '300'
};
const app = productForFile(RELAY_ENV);
const { product } = app;

/**
 * The mentee's network, as the test controls it: while `hold`, the sync traffic from the phone is
 * lost (the connection and the phone's status reports get through, as on a network that drops
 * large frames); `kick` drops the connection, and the phone reconnects and resends.
 */
interface Network {
	hold: boolean;
	kick?: () => void;
}

/** A phone whose sync traffic can be held by the test (see Network). */
function openPhone(browser: Browser, link: string, network?: Network): Promise<Phone> {
	return openPhoneAt(
		browser,
		product.url,
		link,
		network
			? async (context) => {
					await context.routeWebSocket(/\/sync\//, (ws) => {
						const server = ws.connectToServer();
						ws.onMessage((m) => {
							// y-websocket sync step 2 (0,1) and update (0,2) frames from the phone are lost.
							if (network.hold && typeof m !== 'string' && m[0] === 0 && (m[1] === 1 || m[1] === 2))
								return;
							server.send(m);
						});
						server.onMessage((m) => ws.send(m));
						// The phone opens two sockets (the program and its read-only decisions document):
						// the network change drops both.
						const kickBefore = network.kick;
						network.kick = () => {
							kickBefore?.();
							void ws.close({ code: 4000, reason: 'network changed' });
						};
					});
				}
			: undefined
	);
}

async function checkActivity(page: Page, index: number) {
	await tab(page, 'План');
	await page.getByTestId('activity').nth(index).getByRole('checkbox').check();
}

test('curator forms a pair, participants work, the dashboard follows them live', async ({
	browser
}) => {
	test.setTimeout(180_000);
	const desk = await browser.newContext({
		baseURL: product.url,
		viewport: { width: 1280, height: 900 },
		locale: 'ru-RU',
		storageState: await app.curator.api.storageState()
	});
	const page = await desk.newPage();
	page.on('pageerror', (error) => console.error('[curator page error]', error.message));

	// The bank: two people added by hand.
	await page.goto('/curator/people');
	await expect(
		page.getByRole('heading', { name: 'Банк наставников и наставляемых' })
	).toBeVisible();
	for (const [name, position] of [
		['Иванова Мария Сергеевна', 'директор'],
		['Петров Алексей Игоревич', 'директор (назначен в 2025 г.)']
	] as const) {
		await page.getByLabel('ФИО', { exact: true }).fill(name);
		await page.getByLabel('Должность', { exact: true }).fill(position);
		await page.getByRole('button', { name: 'Добавить', exact: true }).click();
		await expect(page.getByTestId('notice')).toContainText('Человек добавлен в банк');
	}

	// The pair and its program from the Tomsk «начинающий руководитель» template, with invitations.
	await page
		.getByTestId('pair-mentor')
		.selectOption({ label: 'Иванова Мария Сергеевна, директор' });
	await page.getByTestId('pair-mentees').selectOption({ label: 'Петров Алексей Игоревич' });
	await page.getByTestId('pair-template').selectOption('tomsk-heads-beginner');
	await page.getByTestId('create-program').click();
	await expect(page.getByTestId('invite')).toHaveCount(2);
	await screenshot(page, 'curator-pair');
	const link = async (role: string) => {
		const url = new URL(
			await page
				.locator(`[data-testid="invite"][data-role="${role}"] [data-testid="invite-url"]`)
				.inputValue()
		);
		return product.url + url.pathname + url.hash;
	};
	const mentorLink = await link('mentor');
	const menteeLink = await link('mentee');

	const menteeNet: Network = { hold: false };
	const mentor = await openPhone(browser, mentorLink);
	const mentee = await openPhone(browser, menteeLink, menteeNet);
	await expectSaved(mentor.page);
	await expectSaved(mentee.page);

	// The dashboard: one program, nothing done yet, both phones seen.
	await page.goto('/curator');
	const row = page.getByTestId('program-row').first();
	await expect(page.getByTestId('total')).toHaveText('1');
	await expect(row.getByTestId('progress')).toContainText('0 из');
	const menteeSync = row.locator(
		'[data-testid="participant"][data-role="mentee"] [data-testid="sync"]'
	);
	const mentorSync = row.locator(
		'[data-testid="participant"][data-role="mentor"] [data-testid="sync"]'
	);
	await expect(menteeSync).toHaveAttribute('data-sync', 'in-sync');
	await expect(mentorSync).toHaveAttribute('data-sync', 'in-sync');

	// The mentee marks an activity done: the figure updates without a reload.
	await checkActivity(mentee.page, 0);
	await expectSaved(mentee.page);
	await expect(row.getByTestId('progress')).toContainText('1 из', { timeout: 15_000 });

	// The mentor goes offline for a while and works there: the desk cannot know about that work
	// yet (the figures stay). (Chromium's offline emulation keeps the open websocket alive
	// underneath, so the relay still counts the phone as connected until it is really gone.)
	await mentor.context.setOffline(true);
	await checkActivity(mentor.page, 1);
	await expect(syncStatus(mentor.page)).toContainText(/жд(ё|у)т отправки/);
	// A window longer than the relay's facts flush and summary debounce (300 ms each here).
	await page.waitForTimeout(1500);
	await expect(row.getByTestId('progress')).toContainText('1 из');

	// The mentee's network loses her changes: her phone reports them as pending.
	menteeNet.hold = true;
	await checkActivity(mentee.page, 2);
	await expect(menteeSync).toHaveAttribute('data-sync', 'pending', { timeout: 15_000 });
	await expect(menteeSync).toContainText('есть неотправленные изменения');
	await expect(page.getByTestId('total-pending-sync')).toContainText('1');
	await screenshot(page, 'curator-dashboard-pending');

	// Both come back: everything syncs and the dashboard follows, still without a reload.
	await mentor.context.setOffline(false);
	menteeNet.hold = false;
	menteeNet.kick?.();
	await expectSaved(mentor.page);
	await expectSaved(mentee.page);
	await expect(row.getByTestId('progress')).toContainText('3 из', { timeout: 20_000 });
	await expect(menteeSync).toHaveAttribute('data-sync', 'in-sync', { timeout: 15_000 });
	await expect(mentorSync).toHaveAttribute('data-sync', 'in-sync', { timeout: 15_000 });
	await screenshot(page, 'curator-dashboard');
	await page.setViewportSize({ width: 360, height: 640 });
	await screenshot(page, 'curator-dashboard-phone');
	await page.setViewportSize({ width: 1280, height: 900 });

	// A report: the mentee submits it on the phone, the curator returns it with a comment, the
	// comment appears on the phone live, attributed to the curator.
	await tab(mentee.page, 'Отчеты');
	const report = mentee.page.getByTestId('report').first();
	await report.getByRole('button').first().click();
	await report.getByRole('button', { name: 'Начать отчет' }).click();
	await report
		.getByRole('textbox', { name: 'Текст отчета' })
		.fill('Проведена диагностика затруднений.');
	await report.getByRole('button', { name: 'Представить куратору' }).click();
	await expectSaved(mentee.page);

	await row.locator('a.title').click();
	await expect(page.getByTestId('program-view')).toBeVisible();
	const curReport = page.getByTestId('report').first();
	await expect(curReport).toHaveAttribute('data-status', 'submitted', { timeout: 15_000 });
	await curReport.getByTestId('return-comment').fill('Добавьте выводы по итогам диагностики');
	await curReport.getByTestId('return-report').click();
	await expect(page.getByTestId('notice')).toContainText('Отчет возвращен на доработку');
	await expect(mentee.page.getByTestId('report').first()).toHaveAttribute(
		'data-state',
		'returned',
		{ timeout: 10_000 }
	);
	await expect(mentee.page.getByTestId('curator-comment')).toContainText(
		'Добавьте выводы по итогам диагностики'
	);
	await screenshot(page, 'curator-program');
	await screenshot(mentee.page, 'mentee-report-returned');

	// Documents for signing and the monitoring table are one click away.
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		page.getByRole('link', { name: 'DOCX' }).first().click()
	]);
	expect(download.suggestedFilename()).toMatch(/\.docx$/);
	// The ППН and the stage document as PDFs, read back and rendered to PNG for people to look at
	// (tests/e2e/screenshots/program-pdf-*.png): the approver of a head's program is the
	// department's head, never the mentee; no ISO dates or codes in the text.
	const hrefOf = (part: string) => page.locator(`a[href*="${part}"]`).first().getAttribute('href');
	for (const [name, href, expected] of [
		['program-pdf', await hrefOf('/document?format=pdf'), 'Начальник департамента образования'],
		['stage-pdf', await hrefOf('/note?format=pdf'), 'Информационная справка']
	] as const) {
		expect(href, name).toBeTruthy();
		const res = await page.request.get(href ?? '');
		expect(res.status(), name).toBe(200);
		const file = path.join(SCREENSHOT_DIR, `${name}.pdf`);
		writeFileSync(file, await res.body());
		const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
		expect(text, name).toContain(expected);
		expect(text, name).not.toMatch(/\b\d{4}-\d{2}(-\d{2})?\b/);
		execFileSync('pdftoppm', ['-png', '-r', '60', file, path.join(SCREENSHOT_DIR, name)]);
	}

	await page.goto('/curator/figures');
	await expect(page.getByTestId('fig-programs')).toHaveText('1');
	await screenshot(page, 'curator-figures');
	await page.goto('/curator/calendar');
	// The default calendar: both seeds' items (src/lib/shared/calendar.ts).
	await expect(page.getByTestId('calendar-event')).toHaveCount(15);
	await screenshot(page, 'curator-calendar');

	await mentor.context.close();
	await mentee.context.close();
	await desk.close();
});
