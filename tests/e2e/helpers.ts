import {
	chromium,
	expect,
	type Browser,
	type BrowserContext,
	type BrowserContextOptions,
	type Page
} from '@playwright/test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium';
import { fillDisk, freeDisk, mountTmpfs, unmountTmpfs } from '../support/full-disk';

export const SCREENSHOT_DIR = 'tests/e2e/screenshots';

/** Waits until the service worker is active and controls the page (offline from here on). */
export async function waitForServiceWorker(page: Page): Promise<void> {
	await page.evaluate(async () => {
		await navigator.serviceWorker.ready;
		if (!navigator.serviceWorker.controller) {
			await new Promise<void>((resolve) =>
				navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), {
					once: true
				})
			);
		}
	});
}

/**
 * Saves what a person sees on a 360×640 phone (the viewport), and the whole scrolled page beside
 * it (`-full`), for people to look at: the e2e run produces them for every screen.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	await page.evaluate(() => scrollTo({ top: 0 }));
	await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png` });
	await fullPageScreenshot(page, `${SCREENSHOT_DIR}/${name}-full.png`);
}

/**
 * The whole scrolled page as a picture, one image pixel per CSS pixel. Every context of the run
 * emulates a Pixel 5 (the config's `use`: deviceScaleFactor 2.75), the desk's 1366×800 too, so
 * at the device's scale the municipal calendar's settings (1,366 × 12,572 CSS px) made a
 * 3,757 × 34,573 picture: 5–8 s of Chromium's software raster and PNG encoding on an idle
 * 2-core machine, and in the CI rehearsals of 2026-11-30 two tests ran out of their time in such
 * captures. At CSS scale the same capture takes about 1 s.
 */
export async function fullPageScreenshot(page: Page, path: string): Promise<void> {
	await page.screenshot({ path, fullPage: true, scale: 'css' });
}

/** One person's phone: a browser context of its own (same-origin tabs would share storage). */
export interface Phone {
	context: BrowserContext;
	page: Page;
}

/** A phone's screen and language, its service worker allowed. */
const PHONE_OPTIONS = {
	viewport: { width: 360, height: 640 },
	locale: 'ru-RU',
	serviceWorkers: 'allow'
} satisfies BrowserContextOptions;

/** A new phone at 360×640 in Russian, its service worker allowed unless `options` say otherwise. */
export function phoneContext(
	browser: Browser,
	baseURL: string,
	options: BrowserContextOptions = {}
): Promise<BrowserContext> {
	return browser.newContext({ baseURL, ...PHONE_OPTIONS, ...options });
}

/**
 * Opens an invitation link on a new phone and waits until the program is on screen and the
 * service worker controls the page. `prepare` runs on the new context before the first page
 * (e.g. to route its websocket through a test-controlled network).
 */
export async function openPhone(
	browser: Browser,
	baseURL: string,
	link: string,
	prepare?: (context: BrowserContext) => Promise<void>
): Promise<Phone> {
	const context = await phoneContext(browser, baseURL);
	await prepare?.(context);
	const page = await context.newPage();
	page.on('pageerror', (error) => console.error('[page error]', error.message));
	await page.goto(link);
	await expect(page.getByTestId('program-title')).toBeVisible();
	await waitForServiceWorker(page);
	return { context, page };
}

export const syncStatus = (page: Page) => page.getByTestId('sync-status');

/** «Сохранено на сервере»: only after the relay acknowledged every local change. */
export async function expectSaved(page: Page): Promise<void> {
	await expect(syncStatus(page)).toHaveAttribute('data-phase', 'saved');
	await expect(syncStatus(page)).toContainText('Сохранено на сервере в');
}

export async function tab(page: Page, name: string): Promise<void> {
	await page.getByRole('tab', { name }).click();
}

/** Logs a meeting with the given topic in a few taps, as on a school visit, and waits to see it. */
export async function logMeeting(page: Page, topic: string): Promise<void> {
	await tab(page, 'Встречи');
	await page.getByTestId('meeting-topic').fill(topic);
	await page.getByRole('button', { name: 'Записать встречу' }).click();
	await expect(page.getByTestId('meeting').filter({ hasText: topic })).toBeVisible();
}

/**
 * Collects Content-Security-Policy violations of every page of a context, across navigations
 * (`securitypolicyviolation` events, and console errors that name the policy): the built app
 * must run under the server's CSP (server/http/security-headers.ts) without any.
 */
export async function collectCspViolations(context: BrowserContext): Promise<string[]> {
	const violations: string[] = [];
	await context.exposeBinding('__reportCspViolation', (_source, text: string) => {
		violations.push(text);
	});
	await context.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) => {
			const report = (window as unknown as { __reportCspViolation?: (t: string) => void })
				.__reportCspViolation;
			report?.(
				`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} on ${location.pathname}`
			);
		});
	});
	context.on('console', (message) => {
		if (message.type() === 'error' && /Content.Security.Policy/i.test(message.text()))
			violations.push(`console: ${message.text()}`);
	});
	return violations;
}

/**
 * The browser evicts the origin's IndexedDB (as under storage pressure) while `phone`'s program
 * stays open; resolves once the app has noticed its store's connection closed.
 */
export async function evictStorageUnderOpenProgram(phone: Phone): Promise<void> {
	const noticed = phone.page.waitForEvent('console', (m) =>
		m.text().includes('device storage closed by the browser')
	);
	const cdp = await phone.context.newCDPSession(phone.page);
	await cdp.send('Storage.clearDataForOrigin', {
		origin: new URL(phone.page.url()).origin,
		storageTypes: 'indexeddb'
	});
	// Attached, this session would make Chromium report the page online after a reload offline.
	await cdp.detach();
	await noticed;
}

/** A phone of its own Chromium profile (its storage where a test can break it); `close` ends it. */
async function phoneWithProfile(
	profile: string,
	baseURL: string,
	cleanUp: () => Promise<void>
): Promise<Phone & { close(): Promise<void> }> {
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM_PATH,
		args: CHROMIUM_ARGS,
		baseURL,
		...PHONE_OPTIONS
	});
	const page = context.pages()[0] ?? (await context.newPage());
	return {
		context,
		page,
		async close() {
			// Chromium has exited once the persistent context's close resolves.
			await context.close();
			await cleanUp();
		}
	};
}

/**
 * A phone whose browser cannot open its IndexedDB store, as after a corrupted profile or a disk
 * that filled while the store was written (Chromium: «UnknownError: Internal error opening
 * backing store for indexedDB.open»): a file stands in the place of the origin's LevelDB
 * directory in its profile.
 */
export async function phoneWithBrokenStorage(
	baseURL: string
): Promise<Phone & { close(): Promise<void> }> {
	const profile = mkdtempSync(path.join(tmpdir(), 'nastavnik-broken-store-'));
	const origin = new URL(baseURL);
	const store = path.join(profile, 'Default', 'IndexedDB');
	mkdirSync(store, { recursive: true });
	const leveldb = `${origin.protocol.replace(':', '')}_${origin.hostname}_${origin.port}.indexeddb.leveldb`;
	writeFileSync(path.join(store, leveldb), 'not a database');
	return phoneWithProfile(profile, baseURL, () =>
		rm(profile, { recursive: true, force: true, maxRetries: 5 })
	);
}

/**
 * A phone whose profile is on a disk of its own (a 200 MB tmpfs: mounting needs root), which
 * `fillDisk` fills to the last byte and `freeDisk` empties again; `unavailable` (why) where no
 * tmpfs can be mounted.
 */
export async function phoneOnItsOwnDisk(
	baseURL: string
): Promise<
	(Phone & { close(): Promise<void>; fillDisk(): void; freeDisk(): void }) | { unavailable: string }
> {
	const disk = mkdtempSync(path.join(tmpdir(), 'nastavnik-phone-disk-'));
	const unavailable = mountTmpfs(disk, '200m');
	if (unavailable) {
		await rm(disk, { recursive: true, force: true });
		return { unavailable };
	}
	let fillers: string[] = [];
	const phone = await phoneWithProfile(path.join(disk, 'profile'), baseURL, async () => {
		unmountTmpfs(disk);
		await rm(disk, { recursive: true, force: true });
	});
	return {
		...phone,
		fillDisk() {
			fillers = fillDisk(disk);
		},
		freeDisk() {
			freeDisk(fillers);
		}
	};
}
