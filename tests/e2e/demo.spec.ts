import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { SCREENSHOT_DIR } from './helpers';
import { productForFile } from './product';

/**
 * The demo as a new curator sees it (issue #16, «a demo whose programs are at realistic, varied
 * stages»): `npm run cli -- demo`, then the first school's curator opens the printed link. The
 * dashboard's rows are at different stages, with different progress, a minority late.
 */
const app = productForFile();
const { product } = app;

test("the demo's dashboard: programs at varied stages and progress, a minority overdue", async ({
	browser
}) => {
	test.setTimeout(240_000);
	const out = await product.cli('demo', '--programs', '45');
	const url = /куратор [^\n]*?: (https?:\/\/\S+)/.exec(out)?.[1];
	expect(url, out).toBeTruthy();
	const link = product.url + new URL(url ?? '').pathname + new URL(url ?? '').hash;
	const context = await browser.newContext({
		baseURL: product.url,
		viewport: { width: 1366, height: 800 },
		locale: 'ru-RU'
	});
	const page = await context.newPage();
	await page.goto(link);
	await page.waitForURL((u) => !u.pathname.startsWith('/invite'));
	await page.goto('/curator');
	const rows = page.getByTestId('program-row');
	await expect(rows).toHaveCount(15); // 45 programs over three schools
	const progress = await rows.getByTestId('progress').allInnerTexts();
	const overdue = (await rows.getByTestId('overdue').allInnerTexts()).map(Number);
	const stages = await rows.locator('td[data-label="Этап"]').allInnerTexts();
	const text = (await rows.allInnerTexts()).join('\n');
	// Not one «проект», 0 %, overdue row repeated fifteen times.
	expect(new Set(progress).size, progress.join(' | ')).toBeGreaterThanOrEqual(5);
	expect(progress.filter((p) => !p.startsWith('0 из')).length).toBeGreaterThanOrEqual(8);
	expect(
		new Set(stages.map((s) => s.split('\n')[0])).size,
		stages.join(' | ')
	).toBeGreaterThanOrEqual(4);
	expect(overdue.filter((n) => n > 0).length).toBeLessThan(overdue.length / 2);
	expect(text).toContain('реализуется');
	expect(text).toContain('завершена');
	expect(text).toMatch(/принято [1-9]/);
	// Every row names its mentee.
	expect(await rows.getByTestId('row-people').allInnerTexts()).toHaveLength(15);
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	await rows.first().scrollIntoViewIfNeeded();
	await page.screenshot({ path: `${SCREENSHOT_DIR}/demo-dashboard-1366x800.png` });
	await page.setViewportSize({ width: 360, height: 640 });
	await rows.first().scrollIntoViewIfNeeded();
	await page.screenshot({ path: `${SCREENSHOT_DIR}/demo-dashboard-360x640.png` });
	await context.close();
});
