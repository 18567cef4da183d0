import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import {
	SCREENSHOT_DIR,
	expectSaved,
	fullPageScreenshot,
	logMeeting,
	openPhone as openPhoneAt,
	syncStatus,
	tab,
	type Phone
} from './helpers';
import { productForFile } from './product';

/**
 * The curator's day, access (issue #16): a phone that lost its session gets a new link from the
 * curator's bank and is back in with its offline edits synced to the partner; a second device
 * signs in with a QR link; a revoked device is cut off with a non-final close code and told so in
 * Russian; pairs nobody opened yet are «приглашение не открыто»; the printable QR sheet; the
 * coordinator's and the head's own cabinet. Screens at 360×640 and 1366×800 are saved.
 */
const app = productForFile();
const { product } = app;
test.describe.configure({ mode: 'serial' });

const DESK = { width: 1366, height: 800 };
const PHONE = { width: 360, height: 640 };

/** Saves the page at the desk's size and at a phone's (viewport only: what a person sees). */
async function shots(page: Page, name: string, full = false): Promise<void> {
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	const before = page.viewportSize() ?? DESK;
	for (const [size, suffix] of [
		[DESK, '1366x800'],
		[PHONE, '360x640']
	] as const) {
		await page.setViewportSize(size);
		await page.waitForTimeout(50); // one frame for the layout (a picture, not a timing assertion)
		const file = `${SCREENSHOT_DIR}/${name}-${suffix}.png`;
		if (full) await fullPageScreenshot(page, file);
		else await page.screenshot({ path: file });
		// Nothing of the app may scroll sideways.
		const overflow = await page.evaluate(
			() => document.documentElement.scrollWidth - document.documentElement.clientWidth
		);
		expect(overflow, `${name} at ${suffix} scrolls sideways`).toBeLessThanOrEqual(0);
	}
	await page.setViewportSize(before);
}

async function deskContext(browser: Browser, storageState: unknown): Promise<Page> {
	const desk = await browser.newContext({
		baseURL: product.url,
		viewport: DESK,
		locale: 'ru-RU',
		timezoneId: 'Asia/Tomsk',
		storageState: storageState as Parameters<Browser['newContext']>[0] extends infer O
			? O extends { storageState?: infer S }
				? S
				: never
			: never
	});
	const page = await desk.newPage();
	page.on('pageerror', (error) => console.error('[desk page error]', error.message));
	return page;
}

/** Records every websocket close code the page sees (window.__closeCodes). */
async function recordCloseCodes(context: BrowserContext): Promise<void> {
	await context.addInitScript(() => {
		const codes: number[] = [];
		(window as unknown as { __closeCodes: number[] }).__closeCodes = codes;
		const Native = window.WebSocket;
		class Recording extends Native {
			constructor(url: string | URL, protocols?: string | string[]) {
				super(url, protocols);
				this.addEventListener('close', (e) => codes.push(e.code));
			}
		}
		window.WebSocket = Recording;
	});
}
const closeCodes = (page: Page) =>
	page.evaluate(() => [...(window as unknown as { __closeCodes: number[] }).__closeCodes]);

/** The product's own origin for a link (the server may answer with another host name). */
const local = (url: string) => product.url + new URL(url).pathname + new URL(url).hash;

async function openAccess(page: Page, name: string): Promise<void> {
	const row = page.locator('tr').filter({ hasText: name }).first();
	await row.getByTestId('person-access').click();
	await expect(page.getByRole('dialog', { name: `Вход и устройства: ${name}` })).toBeVisible();
}

test('a phone that lost its session is re-invited from the bank; a second device; a revoked device', async ({
	browser
}) => {
	test.setTimeout(240_000);
	const pair = await app.curator.createPairProgram();
	const desk = await deskContext(browser, await app.curator.api.storageState());

	// Created a moment ago and nobody opened the invitations: not «давно не на связи».
	await desk.goto(`/curator?scope=organization:${app.curator.organizationId}`);
	const row = desk.locator(`[data-testid="program-row"][data-program-id="${pair.programId}"]`);
	for (const role of ['mentor', 'mentee']) {
		const sync = row.locator(
			`[data-testid="participant"][data-role="${role}"] [data-testid="sync"]`
		);
		await expect(sync).toHaveAttribute('data-sync', 'not-opened');
		await expect(sync).toContainText('приглашение не открыто');
	}
	await expect(row).not.toContainText('Участник давно не на связи');
	await expect(desk.getByTestId('total-not-opened').locator('strong')).toHaveText('1');
	await expect(desk.getByTestId('total-stale').locator('strong')).toHaveText('0');
	await shots(desk, 'curator-access-not-opened');
	await desk.goto(
		`/curator/program/${pair.programId}?scope=organization:${app.curator.organizationId}`
	);
	await expect(desk.getByTestId('sync').first()).toContainText('приглашение не открыто');
	await shots(desk, 'curator-access-program-not-opened');

	// Both open their links; the mentee works offline, then the phone loses its session (the
	// cookie is gone, IndexedDB stays: a cleared browser, a reinstalled shortcut).
	const mentor = await openPhoneAt(browser, product.url, pair.mentorLink);
	const mentee = await openPhoneAt(browser, product.url, pair.menteeLink);
	await expectSaved(mentee.page);
	await mentee.context.setOffline(true);
	await logMeeting(mentee.page, 'Встреча, записанная без сети');
	await expect(syncStatus(mentee.page)).toHaveAttribute('data-phase', 'offline');
	await mentee.context.clearCookies();
	await mentee.context.setOffline(false);
	await mentee.page.reload();
	await expect(mentee.page.getByTestId('program-title')).toBeVisible();
	await expect(syncStatus(mentee.page)).toHaveAttribute('data-phase', 'auth-required');
	await expect(mentee.page.getByTestId('session-ended')).toContainText(
		'откройте новую ссылку для входа'
	);
	await expect(
		mentee.page.getByTestId('meeting').filter({ hasText: 'Встреча, записанная без сети' })
	).toHaveCount(1);

	// The curator: the bank → «Вход и устройства» → a new link and its QR code.
	await desk.goto(`/curator/people?scope=organization:${app.curator.organizationId}`);
	await openAccess(desk, 'Петров Алексей Игоревич');
	const dialog = desk.getByTestId('person-access-dialog').filter({ visible: true });
	await expect(dialog.getByTestId('invitation-state')).toContainText('Приглашение открыто');
	await dialog.getByTestId('issue-sign-in-link').click();
	await expect(dialog.getByTestId('sign-in-link').locator('img')).toBeVisible();
	const relink = local(await dialog.getByTestId('sign-in-url').inputValue());
	await shots(desk, 'curator-access-dialog');

	// The phone opens it: back in, and the offline meeting reaches the mentor.
	await mentee.page.goto(relink);
	await expect(mentee.page.getByTestId('program-title')).toBeVisible();
	await expectSaved(mentee.page);
	await tab(mentor.page, 'Встречи');
	await expect(
		mentor.page.getByTestId('meeting').filter({ hasText: 'Встреча, записанная без сети' })
	).toBeVisible();

	// A second device: the link of the QR code, on a tablet of its own.
	const firstUrl = await dialog.getByTestId('sign-in-url').inputValue();
	await dialog.getByTestId('issue-sign-in-link').click();
	// The field shows the new link once the server answered (the click returns before that).
	await expect(dialog.getByTestId('sign-in-url')).not.toHaveValue(firstUrl);
	const second = local(await dialog.getByTestId('sign-in-url').inputValue());
	expect(second).not.toBe(relink);
	const tabletContext = await browser.newContext({
		baseURL: product.url,
		viewport: PHONE,
		locale: 'ru-RU',
		serviceWorkers: 'allow'
	});
	await recordCloseCodes(tabletContext);
	const tablet: Phone = { context: tabletContext, page: await tabletContext.newPage() };
	await tablet.page.goto(second);
	await expect(tablet.page.getByTestId('program-title')).toBeVisible();
	await expectSaved(tablet.page);
	await tab(tablet.page, 'Встречи');
	await expect(
		tablet.page.getByTestId('meeting').filter({ hasText: 'Встреча, записанная без сети' })
	).toBeVisible();
	const tabletSession = await tablet.page.evaluate(async () => {
		const me = (await (await fetch('/api/me')).json()) as { session: { id: string } };
		return me.session.id;
	});

	// The device list: the tablet's access revoked, after a confirmation.
	await dialog.getByRole('button', { name: 'Закрыть' }).click();
	await openAccess(desk, 'Петров Алексей Игоревич');
	const device = dialog.locator(`[data-testid="device"][data-session-id="${tabletSession}"]`);
	await expect(device).toContainText('активно');
	await expect(dialog.getByTestId('device')).toHaveCount(3); // the lost session, the phone, the tablet
	await device.getByTestId('revoke-device').click();
	await expect(device.getByRole('alertdialog')).toContainText('Отозвать доступ с устройства');
	await shots(desk, 'curator-access-revoke-confirm');
	await device.getByTestId('confirm-revoke').click();
	await expect(dialog.getByTestId('access-notice')).toContainText('отозван');
	await expect(device).toContainText('доступ отозван');

	// The tablet is cut off — 1012, not a final 44xx — and says why, in Russian.
	await expect(tablet.page.getByTestId('session-ended')).toContainText(
		'Куратор отозвал доступ с этого устройства'
	);
	const codes = await closeCodes(tablet.page);
	expect(codes[0], `close codes: ${codes.join(', ')}`).toBe(1012);
	await tablet.page.screenshot({ path: `${SCREENSHOT_DIR}/device-revoked-360x640.png` });
	// The phone stays in.
	await logMeeting(mentee.page, 'После отзыва планшета');
	await expectSaved(mentee.page);

	await tablet.context.close();
	await mentor.context.close();
	await mentee.context.close();
	await desk.context().close();
});

test('the printable QR sheet of a school: those who have not opened their invitations', async ({
	browser
}) => {
	test.setTimeout(120_000);
	await app.curator.createPairProgram();
	const desk = await deskContext(browser, await app.curator.api.storageState());
	await desk.goto(`/curator/people?scope=organization:${app.curator.organizationId}`);
	await desk.getByRole('link', { name: 'Лист QR-приглашений для школы' }).click();
	await expect(desk.getByRole('heading', { name: 'Лист QR-приглашений для школы' })).toBeVisible();
	await expect(desk.getByTestId('sheet-only-not-opened')).toBeChecked();
	await desk.getByTestId('sheet-prepare').click();
	const cards = desk.getByTestId('sheet-card');
	// The new pair only: the first pair opened theirs in the test before.
	await expect(cards).toHaveCount(2);
	await expect(cards.first().locator('img')).toBeVisible();
	await expect(cards.first()).toContainText('/invite#');
	await shots(desk, 'curator-qr-sheet', true);
	// On paper: only the cards, two columns, six to an A4 page.
	await desk.emulateMedia({ media: 'print' });
	await fullPageScreenshot(desk, `${SCREENSHOT_DIR}/curator-qr-sheet-print.png`);
	await expect(desk.getByTestId('sheet-prepare')).toBeHidden();
	await desk.pdf({ path: `${SCREENSHOT_DIR}/curator-qr-sheet.pdf`, format: 'A4' });
	await desk.emulateMedia({ media: 'screen' });
	// A card's link signs its person in.
	const url = (await cards.first().locator('.url').textContent()) ?? '';
	const phone = await openPhoneAt(browser, product.url, local(url.trim()));
	await expect(phone.page.getByTestId('program-title')).toBeVisible();
	await phone.context.close();
	await desk.context().close();
});

test('the coordinator and the head have their own cabinet; the coordinator picks the school', async ({
	browser
}) => {
	const org = (await (
		await app.curator.api.get(`/api/organizations/${app.curator.organizationId}`)
	).json()) as {
		organization?: { municipalityId: string };
		municipalityId?: string;
	};
	const municipalityId = org.organization?.municipalityId ?? org.municipalityId ?? '';
	expect(municipalityId).not.toBe('');
	const signInAs = async (args: string[]) => {
		const out = await product.cli('account', ...args);
		const link = /https?:\/\/\S+\/invite#\S+/.exec(out)?.[0];
		if (!link) throw new Error(`no link in:\n${out}`);
		const context = await browser.newContext({
			baseURL: product.url,
			viewport: DESK,
			locale: 'ru-RU'
		});
		const page = await context.newPage();
		await page.goto(local(link));
		await page.waitForURL((u) => !u.pathname.startsWith('/invite'));
		await page.goto('/curator');
		return page;
	};

	const coordinator = await signInAs([
		'--name',
		'Новикова Светлана Игоревна',
		'--role',
		'coordinator',
		'--municipality',
		municipalityId
	]);
	await expect(coordinator.getByTestId('cabinet-title')).toHaveText(
		'Кабинет муниципального координатора'
	);
	await coordinator.getByRole('link', { name: 'Банк и пары' }).click();
	await expect(coordinator.locator('body')).not.toContainText('выберите организацию вверху');
	await coordinator.getByTestId('organization-picker').selectOption({ label: 'МАОУ СОШ № 1' });
	await expect(
		coordinator.getByRole('heading', { name: 'Банк наставников и наставляемых' })
	).toBeVisible();
	await expect(
		coordinator.locator('tr').filter({ hasText: 'Петров Алексей Игоревич' }).first()
	).toBeVisible();
	await shots(coordinator, 'coordinator-bank');
	await coordinator.context().close();

	const head = await signInAs([
		'--name',
		'Волков Андрей Николаевич',
		'--role',
		'head',
		'--organization',
		app.curator.organizationId
	]);
	await expect(head.getByTestId('cabinet-title')).toHaveText('Кабинет руководителя организации');
	await shots(head, 'head-home');
	await head.context().close();
});
