import { expect, test } from '@playwright/test';
import { collectCspViolations, screenshot, waitForServiceWorker } from './helpers';

test('the app opens offline after the first visit: reload and deep link come from the service worker', async ({
	page,
	context
}) => {
	const errors: string[] = [];
	page.on('pageerror', (error) => errors.push(error.message));
	// The server's CSP (hashes of the built inline scripts) must not block anything, online or off.
	const violations = await collectCspViolations(context);

	await page.goto('/');
	await expect(page.getByRole('heading', { name: 'Мои программы наставничества' })).toBeVisible();
	await expect(page.getByTestId('empty-state')).toContainText('ссылку-приглашение');
	await waitForServiceWorker(page);
	await screenshot(page, 'home-empty');

	await context.setOffline(true);

	const reload = await page.reload();
	expect(reload?.fromServiceWorker()).toBe(true);
	await expect(page.getByRole('heading', { name: 'Мои программы наставничества' })).toBeVisible();
	await expect(page.getByTestId('network-status')).toHaveText('Нет сети');
	await screenshot(page, 'home-offline');

	const deepLink = await page.goto('/program/demo-program-1');
	expect(deepLink?.fromServiceWorker()).toBe(true);
	// A program this device has never opened: the app itself answers, from the device.
	await expect(page.getByRole('alert')).toContainText('не открыта на этом устройстве');

	await context.setOffline(false);
	expect(errors).toEqual([]);
	expect(violations).toEqual([]);
});

test('PWA basics: manifest, icons, service worker control, Russian language', async ({
	page,
	request
}) => {
	await page.goto('/');
	await expect(page.locator('html')).toHaveAttribute('lang', 'ru');

	const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
	expect(manifestHref).toBeTruthy();
	const manifestResponse = await request.get(manifestHref!);
	expect(manifestResponse.ok()).toBe(true);
	const manifest = await manifestResponse.json();
	expect(manifest).toMatchObject({
		name: expect.stringContaining('Наставник'),
		short_name: 'Наставник',
		lang: 'ru',
		start_url: '/',
		display: 'standalone',
		theme_color: expect.stringMatching(/^#[0-9a-f]{6}$/i)
	});
	const icons: { src: string; sizes: string; purpose?: string }[] = manifest.icons;
	expect(icons.some((i) => i.sizes === '192x192')).toBe(true);
	expect(icons.some((i) => i.sizes === '512x512')).toBe(true);
	expect(icons.some((i) => i.purpose?.includes('maskable'))).toBe(true);
	for (const icon of icons) {
		const response = await request.get(icon.src);
		expect(response.ok(), icon.src).toBe(true);
		expect(response.headers()['content-type']).toBe('image/png');
		const [w, h] = icon.sizes.split('x').map(Number);
		const png = await response.body();
		// PNG IHDR: width and height as big-endian integers at bytes 16 and 20.
		expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([w, h]);
	}

	await expect(page.locator('meta[name="theme-color"]')).toHaveAttribute(
		'content',
		manifest.theme_color
	);
	await waitForServiceWorker(page);
	expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
});

test('robots.txt gives crawlers rules, not the app shell: the home page only', async ({
	request
}) => {
	// Unknown paths answer with the app shell (deep links); a crawler read that HTML as its rules
	// (Lighthouse: "robots.txt is not valid", line 1 "<!doctype html>").
	const response = await request.get('/robots.txt');
	expect(response.ok()).toBe(true);
	expect(response.headers()['content-type']).toMatch(/^text\/plain/);
	const rules = (await response.text()).split('\n').filter((line) => line && !line.startsWith('#'));
	expect(rules).toEqual(['User-agent: *', 'Allow: /$', 'Disallow: /']);
	const deepLink = await request.get('/program/some-id');
	expect(deepLink.headers()['content-type']).toMatch(/^text\/html/);
});

test('a first visit straight to a deep link installs the app for offline use, scope the whole app', async ({
	page,
	context
}) => {
	// A phone whose first page of the app is a program's link (a bookmark, a link in a message).
	const consoleErrors: string[] = [];
	page.on('console', (m) => {
		if (m.type() === 'error') consoleErrors.push(m.text());
	});
	await page.goto('/program/demo-program-1');
	await expect(page.getByRole('alert')).toContainText('не открыта на этом устройстве');
	await waitForServiceWorker(page);
	const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
	expect(scope).toBe(new URL('/', page.url()).href);

	await context.setOffline(true);
	const home = await page.goto('/');
	expect(home?.fromServiceWorker()).toBe(true);
	await expect(page.getByRole('heading', { name: 'Мои программы наставничества' })).toBeVisible();
	await context.setOffline(false);
	expect(consoleErrors).toEqual([]);
});

test('the home screen does not jump while it loads: neither the list nor the offline notice moves what is shown', async ({
	page
}) => {
	// Layout shifts as Chromium counts them for CLS (Lighthouse, Core Web Vitals): content already
	// on screen that moves without the person touching anything.
	await page.addInitScript(() => {
		const w = window as Window & { layoutShift?: number };
		w.layoutShift = 0;
		new PerformanceObserver((list) => {
			for (const entry of list.getEntries() as (PerformanceEntry & {
				value: number;
				hadRecentInput: boolean;
			})[])
				if (!entry.hadRecentInput) w.layoutShift = (w.layoutShift ?? 0) + entry.value;
		}).observe({ type: 'layout-shift', buffered: true });
	});
	await page.goto('/');
	await expect(page.getByTestId('empty-state')).toBeVisible();
	// The first visit installs the app: the notice comes a moment later.
	await expect(page.getByText('Приложение сохранено на устройстве')).toBeVisible();
	const shift = await page.evaluate(
		() => (window as Window & { layoutShift?: number }).layoutShift ?? NaN
	);
	expect(shift).toBeLessThan(0.01);
});

test('the app’s immutable files come from the precache without the worker’s script; one missing from it still loads online', async ({
	page
}) => {
	await page.goto('/');
	await waitForServiceWorker(page);
	await page.reload();
	await expect(page.getByRole('heading', { name: 'Мои программы наставничества' })).toBeVisible();

	// Chromium reports which source its static router chose for each request.
	const sources = await page.evaluate(() =>
		performance
			.getEntriesByType('resource')
			.filter((e) => new URL(e.name).pathname.startsWith('/_app/immutable/'))
			.map(
				(e) =>
					(e as PerformanceResourceTiming & { workerMatchedSourceType?: string })
						.workerMatchedSourceType ?? 'none'
			)
	);
	expect(sources.length).toBeGreaterThan(5);
	expect(new Set(sources)).toEqual(new Set(['cache']));

	// A file the precache lost (storage pressure, a half-finished update): fetched from the network.
	const missing = await page.evaluate(async () => {
		const url = performance
			.getEntriesByType('resource')
			.map((e) => e.name)
			.find((name) => new URL(name).pathname.startsWith('/_app/immutable/chunks/'));
		if (!url) return null;
		for (const name of await caches.keys()) await (await caches.open(name)).delete(url);
		// no-store: past the HTTP cache, so the request meets the worker's router.
		const response = await fetch(url, { cache: 'no-store' });
		const length = (await response.text()).length;
		const timing = performance.getEntriesByName(url).at(-1) as
			(PerformanceResourceTiming & { workerFinalSourceType?: string }) | undefined;
		return { status: response.status, length, source: timing?.workerFinalSourceType };
	});
	expect(missing?.status).toBe(200);
	expect(missing?.length).toBeGreaterThan(0);
	expect(missing?.source).toBe('network');
});
