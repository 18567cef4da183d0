import type { BrowserContext } from '@playwright/test';
import type { Product } from '../tests/e2e/product';

/**
 * A phone in use, for the page benchmarks (bench:lighthouse, bench:page-load): `product` filled
 * with the demo seed (`cli demo --programs 6`), and in `context` the mentor of the first program in
 * progress signed in through the printed link and that program opened once — so the device holds
 * the account (localStorage) and the program (IndexedDB). Returns the program's path.
 */
export async function demoMentorDevice(product: Product, context: BrowserContext): Promise<string> {
	const out = await product.cli('demo', '--programs', '6');
	const link = /наставник первой программы: (\S+)/.exec(out)?.[1];
	if (!link) throw new Error(`no mentor link in the demo's output:\n${out}`);
	const page = await context.newPage();
	await page.goto(product.url + new URL(link).pathname + new URL(link).hash);
	await page.waitForURL((u) => !u.pathname.startsWith('/invite'), { timeout: 30_000 });
	await page.goto(product.url + '/');
	const programLink = page.locator('a[href^="/program/"]').first();
	await programLink.waitFor({ timeout: 30_000 });
	const programPath = (await programLink.getAttribute('href')) ?? '';
	await page.goto(product.url + programPath);
	await page.waitForFunction(
		() => performance.getEntriesByName('nastavnik:program-rendered').length > 0,
		null,
		{ timeout: 30_000 }
	);
	// Synced with the relay: the whole program is on the device, not only what the server summarised.
	await page
		.getByText('Сохранено на сервере', { exact: false })
		.first()
		.waitFor({ timeout: 30_000 })
		.catch(() => {});
	await page.close();
	return programPath;
}
