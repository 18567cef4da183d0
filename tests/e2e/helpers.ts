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

/** Saves a full-page screenshot for people to look at (the e2e run produces one per screen). */
export async function screenshot(page: Page, name: string): Promise<void> {
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true });
}
