import { expect, test, type Page } from '@playwright/test';
import { collectCspViolations, expectSaved, openPhone, tab } from './helpers';
import { productForFile } from './product';

/**
 * A returning visit paints the screen last seen at its address from the device, before the app's
 * scripts are fetched (src/app.html, src/lib/device/first-paint.ts), then the app takes its place in
 * one frame: nothing moves (CLS), the largest paint is the stored screen's, the CSP of the built
 * inline scripts holds for the start script run from its template.
 */
const app = productForFile();

/** What the page looked like when its HTML was parsed, and the paints and shifts of the load. */
async function observeLoad(page: Page) {
	await page.addInitScript(() => {
		const w = window as unknown as Record<string, unknown>;
		w.__shift = 0;
		w.__lcp = [];
		// The module preloads inserted before the app's start script ran (its template removed):
		// in the order the document changed, not by the times of the requests.
		const early: string[] = [];
		w.__preloadedBeforeStart = early;
		let started = false;
		new MutationObserver((records) => {
			for (const r of records) {
				for (const n of r.addedNodes)
					if (!started && n instanceof HTMLLinkElement && n.rel === 'modulepreload')
						early.push(new URL(n.href).pathname);
				for (const n of r.removedNodes)
					if (n instanceof HTMLTemplateElement && n.hasAttribute('data-app-start')) started = true;
			}
		}).observe(document, { childList: true, subtree: true });
		new PerformanceObserver((list) => {
			for (const e of list.getEntries() as (PerformanceEntry & {
				value: number;
				hadRecentInput: boolean;
			})[])
				if (!e.hadRecentInput) w.__shift = (w.__shift as number) + e.value;
		}).observe({ type: 'layout-shift', buffered: true });
		new PerformanceObserver((list) => {
			for (const e of list.getEntries()) (w.__lcp as number[]).push(e.startTime);
		}).observe({ type: 'largest-contentful-paint', buffered: true });
		document.addEventListener('DOMContentLoaded', () => {
			const shown = document.getElementById('first-paint');
			w.__parsed = {
				stored: shown?.textContent ?? null,
				inert: shown?.hasAttribute('inert') ?? null,
				hidden: shown?.getAttribute('aria-hidden') ?? null,
				appStarted: document.querySelector('template[data-app-start]') === null
			};
			// The first frame: the stored screen's stylesheets (the program screen's own are not in
			// the shell) were render-blocking, so it is painted styled or not at all.
			requestAnimationFrame(() => {
				const bar = document.querySelector('#first-paint nav[data-bottom-bar]');
				w.__firstFrameBar = bar ? getComputedStyle(bar).position : null;
			});
		});
	});
}

const read = (page: Page) =>
	page.evaluate(() => {
		const w = window as unknown as Record<string, unknown>;
		return {
			parsed: w.__parsed as {
				stored: string | null;
				inert: boolean | null;
				hidden: string | null;
				appStarted: boolean;
			},
			firstFrameBar: w.__firstFrameBar as string | null | undefined,
			shift: w.__shift as number,
			lcp: w.__lcp as number[],
			rendered: performance.getEntriesByName('nastavnik:program-rendered')[0]?.startTime ?? null,
			scripts: performance
				.getEntriesByType('resource')
				.filter((e) => e.name.includes('/_app/immutable/') && e.name.endsWith('.js'))
				.map((e) => ({
					name: new URL(e.name).pathname,
					start: e.startTime
				})),
			preloadedBeforeStart: w.__preloadedBeforeStart as string[],
			stillShown: document.getElementById('first-paint') !== null,
			held: document.documentElement.classList.contains('first-paint')
		};
	});

test('a program opened again paints its last screen first; the app replaces it without a shift', async ({
	browser
}) => {
	const pair = await app.curator.createPairProgram();
	const phone = await openPhone(browser, app.product.url, pair.mentorLink);
	const violations = await collectCspViolations(phone.context);
	const { page } = phone;
	await expectSaved(page);
	const title = (await page.getByTestId('program-title').textContent()) ?? '';
	const path = new URL(page.url()).pathname;
	// Saved a moment after the screen rendered (and when the page is left).
	await expect
		.poll(() => page.evaluate((p) => localStorage.getItem(`nastavnik.first-paint:${p}`), path))
		.not.toBeNull();

	await observeLoad(page);
	await page.goto(path);
	await expect(page.getByTestId('program-title')).toHaveText(title);
	await expect.poll(async () => (await read(page)).stillShown).toBe(false);
	const load = await read(page);
	// Before any script of the app ran, the stored screen was there, out of reach and unannounced.
	expect(load.parsed.stored).toContain(title);
	expect(load.parsed.inert).toBe(true);
	expect(load.parsed.hidden).toBe('true');
	expect(load.parsed.appStarted).toBe(false);
	expect(load.firstFrameBar).toBe('fixed');
	expect(load.held).toBe(false);
	// The screen's own modules were fetched in the same round as the app's entry (preloaded from
	// the stored list), not after the router had started: every route node fetched, the program
	// page's included (the shell's own preloads are the layouts'), had its preload link inserted
	// before the start script ran. (Not by the times of the requests: with the app's files
	// answered from the cache, the entry could arrive before a preload of the same task had
	// started — 247 against 244 ms in one CI run. Nor by the links alone: Vite's import helper
	// inserts one for what the router imports.)
	const nodes = load.scripts.filter((s) => s.name.includes('/nodes/'));
	expect(load.scripts.some((s) => s.name.includes('/entry/app.'))).toBe(true);
	expect(nodes.length).toBeGreaterThan(2);
	expect(nodes.map((s) => s.name).filter((n) => !load.preloadedBeforeStart.includes(n))).toEqual(
		[]
	);
	// The largest paint came from the stored screen, before the program was read from the device;
	// the app's identical screen is no larger, and nothing moved.
	expect(load.rendered).not.toBeNull();
	expect(load.lcp.length).toBeGreaterThan(0);
	expect(Math.max(...load.lcp)).toBeLessThan(load.rendered ?? 0);
	expect(load.shift).toBeLessThan(0.01);
	// The app, not the picture, answers: an edit still goes through.
	await tab(page, 'Встречи');
	await expect(page.getByTestId('meeting-topic')).toBeEditable();

	// The home screen too (leaving the program stored its screen as last seen: the meetings).
	await page.goto('/');
	await expect(page.getByTestId('program-list')).toBeVisible();
	await expect
		.poll(() => page.evaluate(() => localStorage.getItem('nastavnik.first-paint:/')))
		.not.toBeNull();
	await page.reload();
	await expect(page.getByTestId('program-list')).toContainText(title);
	await expect.poll(async () => (await read(page)).stillShown).toBe(false);
	const home = await read(page);
	expect(home.parsed.stored).toContain(title);
	expect(home.shift).toBeLessThan(0.01);

	// The overview asked for, the meetings stored: not painted in its place.
	await page.goto(path);
	await expect(page.getByTestId('program-title')).toHaveText(title);
	expect((await read(page)).parsed.stored).toBeNull();

	expect(violations).toEqual([]);
	await phone.context.close();
});

test('a stored screen of another build is not painted: the app starts as on a first visit', async ({
	browser
}) => {
	const pair = await app.curator.createPairProgram();
	const phone = await openPhone(browser, app.product.url, pair.mentorLink);
	const { page } = phone;
	const path = new URL(page.url()).pathname;
	await expect
		.poll(() => page.evaluate((p) => localStorage.getItem(`nastavnik.first-paint:${p}`), path))
		.not.toBeNull();
	// Left for a screen that stores nothing (leaving the program stores it once more).
	await page.goto('/signin');
	await page.evaluate((p) => {
		const key = `nastavnik.first-paint:${p}`;
		const saved = JSON.parse(localStorage.getItem(key) ?? '{}') as { build: string };
		localStorage.setItem(key, JSON.stringify({ ...saved, build: 'another build' }));
	}, path);

	await observeLoad(page);
	await page.goto(path);
	await expect(page.getByTestId('program-title')).toBeVisible();
	const load = await read(page);
	expect(load.parsed.stored).toBeNull();
	// Nothing to paint first: the start script ran while the page was parsed, as before.
	expect(load.parsed.appStarted).toBe(true);
	expect(load.held).toBe(false);
	await phone.context.close();
});
