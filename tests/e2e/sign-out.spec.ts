import { expect, test, type Browser, type BrowserContext } from '@playwright/test';
import {
	collectCspViolations,
	expectSaved,
	logMeeting,
	screenshot,
	syncStatus,
	openPhone as openPhoneAt,
	tab,
	type Phone
} from './helpers';
import { productForFile } from './product';

/**
 * Signing out on a phone («Выйти», reachable from the top bar at 360×640): the server ends the
 * session; the device keeps its programs unless the person asks to delete them, and is warned
 * when that would lose edits not yet on the server. Every screen runs under the server's CSP.
 */
const app = productForFile();
const { product } = app;
test.describe.configure({ mode: 'serial' });

/** A phone whose CSP violations are collected from its first page on. */
async function openPhone(
	browser: Browser,
	link: string
): Promise<Phone & { violations: string[] }> {
	let violations: string[] = [];
	const phone = await openPhoneAt(browser, product.url, link, async (context) => {
		violations = await collectCspViolations(context);
	});
	return { ...phone, violations };
}

async function sessionCookie(context: BrowserContext): Promise<string> {
	const cookie = (await context.cookies()).find((c) => c.name === 'nst_session');
	if (!cookie) throw new Error('no session cookie on the phone');
	return `${cookie.name}=${cookie.value}`;
}

/** What the server answers to the phone's old cookie (401 once the session has ended). */
async function meWith(cookie: string): Promise<number> {
	const r = await fetch(`${product.url}/api/me`, { headers: { cookie } });
	return r.status;
}

const databases = (phone: Phone) =>
	phone.page.evaluate(async () =>
		(await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => n.startsWith('nastavnik'))
	);

test('sign out keeping the data: the session ends on the server, the programs stay on the phone', async ({
	browser
}) => {
	const pair = await app.curator.createPairProgram();
	const mentor = await openPhone(browser, pair.mentorLink);
	const { page } = mentor;
	for (const name of ['Обзор', 'Диагностика', 'План', 'Встречи', 'Отчеты']) await tab(page, name);
	await logMeeting(page, 'Встреча перед выходом');
	await expectSaved(page);
	const cookie = await sessionCookie(mentor.context);
	expect(await meWith(cookie)).toBe(200);

	await page.goto('/');
	await expect(page.getByTestId('program-list')).toBeVisible();
	// «Выйти» is in the top bar, visible without scrolling on a 360×640 phone.
	const link = page.getByTestId('sign-out-link');
	await expect(link).toBeInViewport();
	await link.click();
	await expect(page.getByRole('heading', { name: 'Выход' })).toBeVisible();
	await expect(page.getByTestId('wipe-device')).not.toBeChecked();
	await screenshot(page, 'sign-out');
	await page.getByRole('button', { name: 'Выйти', exact: true }).click();

	await expect(page.getByRole('heading', { name: 'Мои программы наставничества' })).toBeVisible();
	await expect(page.getByRole('alert')).toContainText('Сеанс на этом устройстве завершен');
	await expect(page.getByTestId('sign-out-link')).toHaveCount(0);
	// The program stays on the device …
	await expect(page.getByTestId('program-list')).toContainText('Программа наставничества');
	expect(await databases(mentor)).toContain(`nastavnik-program-${pair.programId}`);
	// … and the session is over on the server: the old cookie no longer opens anything.
	expect(await meWith(cookie)).toBe(401);
	expect(mentor.violations).toEqual([]);
	await mentor.context.close();
});

test('sign out deleting the data: warned about unsent edits, then nothing of the person stays', async ({
	browser
}) => {
	const pair = await app.curator.createPairProgram();
	const mentee = await openPhone(browser, pair.menteeLink);
	const { page, context } = mentee;
	await expectSaved(page);
	const cookie = await sessionCookie(context);

	// The relay stops answering this phone (a dead school network): an edit stays unsent.
	// (Playwright routes the websockets of documents loaded after this: reload the program.)
	await context.routeWebSocket(/\/sync\//, () => undefined);
	await page.reload();
	await expect(page.getByTestId('program-title')).toBeVisible();
	await logMeeting(page, 'Запись, которая не ушла на сервер');
	await expect(syncStatus(page)).not.toHaveAttribute('data-phase', 'saved');
	// Both documents of the program are on the device: the program and its decisions.
	expect((await databases(mentee)).sort()).toEqual(
		expect.arrayContaining([
			`nastavnik-program-${pair.programId}`,
			`nastavnik-program-${pair.programId}-decisions`
		])
	);

	// «Выйти» straight from the program screen (the top bar is on every screen).
	await page.getByTestId('sign-out-link').click();
	await expect(page.getByTestId('unsent-warning')).toHaveCount(0);
	await page.getByTestId('wipe-device').check();
	await expect(page.getByTestId('unsent-warning')).toContainText('1 изменение ждёт отправки');
	await expect(page.getByTestId('unsent-warning')).toContainText('будут потеряны');
	await screenshot(page, 'sign-out-wipe-warning');
	await page.getByRole('button', { name: 'Выйти и удалить данные' }).click();

	await expect(page.getByTestId('empty-state')).toBeVisible();
	await expect(page.getByTestId('sign-out-link')).toHaveCount(0);
	// The network comes back (the upload outbox runs on 'online', and 2 s after the app starts):
	// nothing may create the person's databases again. Its run is not observable from here, so
	// the check waits a moment after the event.
	await page.evaluate(() => dispatchEvent(new Event('online')));
	await page.waitForTimeout(1000);
	expect(await databases(mentee)).toEqual([]);
	expect(
		await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('nastavnik')))
	).toEqual([]);
	expect(await meWith(cookie)).toBe(401);
	// The app itself still opens offline (its own files stay cached).
	await context.setOffline(true);
	await page.reload();
	await expect(page.getByTestId('empty-state')).toBeVisible();
	await context.setOffline(false);
	expect(mentee.violations).toEqual([]);
	await context.close();
});

test("the other screens, the curator's too, run under the CSP without a violation", async ({
	browser
}) => {
	const pair = await app.curator.createPairProgram();
	const context = await browser.newContext({
		baseURL: product.url,
		viewport: { width: 360, height: 640 },
		locale: 'ru-RU',
		// The curator's session (as in curator.spec.ts): the monitoring screens load real data.
		storageState: await app.curator.api.storageState()
	});
	const violations = await collectCspViolations(context);
	const page = await context.newPage();
	const paths = [
		'/',
		'/signin',
		'/invite',
		'/signout',
		'/program/unknown',
		'/curator',
		'/curator/people',
		'/curator/calendar',
		'/curator/cases',
		'/curator/figures',
		`/curator/program/${pair.programId}`
	];
	// Nothing is wider than the phone: a wider page makes a mobile browser zoom out, and then the
	// sticky top bar covers buttons (a completion reason's long <select> on the program screen).
	const tooWide: string[] = [];
	for (const path of paths) {
		await page.goto(path);
		await page.waitForLoadState('networkidle');
		const width = await page.evaluate(() => document.documentElement.scrollWidth);
		if (width > 360) tooWide.push(`${path}: ${width}px`);
	}
	expect(tooWide).toEqual([]);
	await expect(page.getByText('Программа наставничества: Петров А. И.').first()).toBeVisible();
	expect(violations).toEqual([]);
	const headers = (await page.request.get('/')).headers();
	expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
	expect(headers['content-security-policy']).toMatch(/script-src 'self' 'sha256-/);
	await context.close();
});
