import type { Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';

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
	await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}-full.png`, fullPage: true });
}
