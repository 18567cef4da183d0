import { expect, test, type Browser, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { docxText } from '../support/docx';
import { fullPageScreenshot, SCREENSHOT_DIR } from './helpers';
import { ok, productForFile } from './product';

/**
 * Issue 15's acceptance flow: the municipal coordinator opens the December monitoring item of the
 * calendar, gets the school's аналитическая справка pre-filled with the year's figures and their
 * dynamics, writes the conclusions and recommendations, hands it in, downloads DOCX and PDF (read
 * back; the PDF rendered to PNG for people to look at), and «a week later» — the browser's clock
 * moved on by Playwright's `page.clock` (the server has no clock override; the document's
 * freezing does not depend on the server's time) — reopens it unchanged although a new program
 * was approved in between through the API. Screens at 360×640 and 1366×800.
 */
const app = productForFile();
const { product } = app;
test.describe.configure({ mode: 'serial' });

const DESK = { width: 1366, height: 800 };
const PHONE = { width: 360, height: 640 };
const DAY = 24 * 3600 * 1000;

async function shots(page: Page, name: string): Promise<void> {
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	for (const [size, suffix] of [
		[DESK, '1366x800'],
		[PHONE, '360x640']
	] as const) {
		await page.setViewportSize(size);
		await page.waitForTimeout(50); // one frame for the layout (a picture, not a timing assertion)
		await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}-${suffix}.png` });
		await fullPageScreenshot(page, `${SCREENSHOT_DIR}/${name}-${suffix}-full.png`);
		const overflow = await page.evaluate(
			() => document.documentElement.scrollWidth - document.documentElement.clientWidth
		);
		expect(overflow, `${name} at ${suffix} scrolls sideways`).toBeLessThanOrEqual(0);
	}
	await page.setViewportSize(DESK);
}

/** An approved program of the school (the blank template needs no order). */
async function approvedProgram(): Promise<string> {
	const pair = await app.curator.createPairProgram('blank');
	for (const action of [
		{ action: 'set-form', form: 'teacher-teacher' },
		{ action: 'approve-program' }
	])
		await ok(
			app.curator.api.post(`/api/curator/programs/${pair.programId}/actions`, { data: action })
		);
	return pair.programId;
}

async function signInCoordinator(browser: Browser, municipalityId: string): Promise<Page> {
	const out = await product.cli(
		'account',
		'--name',
		'Новикова Светлана Игоревна',
		'--role',
		'coordinator',
		'--municipality',
		municipalityId
	);
	const link = /https?:\/\/\S+\/invite#\S+/.exec(out)?.[0];
	if (!link) throw new Error(`no link in:\n${out}`);
	const context = await browser.newContext({
		baseURL: product.url,
		viewport: DESK,
		locale: 'ru-RU',
		timezoneId: 'Europe/Moscow',
		acceptDownloads: true
	});
	const page = await context.newPage();
	page.on('pageerror', (error) => console.error('[coordinator page error]', error.message));
	await page.clock.install({ time: new Date() });
	await page.goto(product.url + new URL(link).pathname + new URL(link).hash);
	await page.waitForURL((u) => !u.pathname.startsWith('/invite'));
	return page;
}

async function download(page: Page, testId: string, file: string): Promise<Buffer> {
	const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
	const to = path.join(SCREENSHOT_DIR, file);
	await d.saveAs(to);
	return readFileSync(to);
}

/** The school's programs in force in the year, as the live figures count them. */
async function programsInForce(year: number): Promise<number> {
	const live = (await ok(
		app.curator.api.get(
			`/api/curator/organizations/${app.curator.organizationId}/figures?from=${year}-01-01&to=${year}-12-31`
		)
	)) as { figures: { programs: { inForce: number } } };
	return live.figures.programs.inForce;
}

const pdfText = (file: string) =>
	execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });

test('the coordinator hands in the December аналитическая справка and reopens it a week later unchanged', async ({
	browser
}) => {
	test.setTimeout(120_000);
	await approvedProgram();
	const org = (await ok(
		app.curator.api.get(`/api/organizations/${app.curator.organizationId}`)
	)) as {
		organization?: { municipalityId: string };
		municipalityId?: string;
	};
	const municipalityId = org.organization?.municipalityId ?? org.municipalityId ?? '';
	const year = new Date().getFullYear();
	await expect.poll(() => programsInForce(year), { timeout: 20_000 }).toBe(1);
	const page = await signInCoordinator(browser, municipalityId);

	await page.goto(`/curator/calendar?scope=municipality:${municipalityId}`);
	const december = page.getByTestId('calendar-event').filter({
		hasText: 'Мониторинг внедрения и реализации целевой модели наставничества (декабрь)'
	});
	await expect(december).toContainText(`20.12.${year}`);
	await expect(december).toContainText('муниципальный координатор, кураторы в ОО');
	await shots(page, 'scope-docs-calendar');
	await december.getByRole('link', { name: 'Аналитическая справка: МАОУ СОШ № 1' }).click();

	// Pre-filled: the year's figures against the previous year, the sections to write.
	await expect(page.getByTestId('document-title')).toHaveText(
		'Аналитическая справка: МАОУ СОШ № 1'
	);
	const preview = page.getByTestId('document-preview');
	await expect(preview).toContainText('2. Показатели и их динамика');
	const inForce = preview.locator('tr').filter({ hasText: 'Программ реализовывалось в периоде' });
	await expect(inForce).toHaveText(/Программ реализовывалось в периоде\s*0\s*1\s*\+1/);
	await expect(page.getByTestId('document-state')).toContainText('еще не сохранялся');

	const conclusions =
		'Все молодые педагоги школы включены в программы наставничества; план мероприятий выполняется.';
	const recommendations = 'Кураторам провести промежуточную встречу с парами в январе.';
	await page.getByTestId('section-conclusions').fill(conclusions);
	await page.getByTestId('section-recommendations').fill(recommendations);
	await page.getByTestId('save').click();
	await expect(page.getByTestId('document-notice')).toContainText('Сохранена редакция 1');
	await page.getByTestId('hand-in').click();
	await page.getByTestId('hand-in-confirm').click();
	await expect(page.getByTestId('document-notice')).toContainText('Документ сдан: редакция 2');
	await expect(page.getByTestId('document-state')).toContainText('Редакция 2 сдана');
	await expect(page.getByTestId('versions').locator('li')).toHaveCount(2);
	await shots(page, 'scope-docs-handed-in');

	const docx = docxText(await download(page, 'download-docx', 'scope-docs-handed-in.docx'));
	for (const s of [
		'Аналитическая справка',
		'2. Показатели и их динамика',
		`7. Выводы\n${conclusions}`,
		`8. Рекомендации\n${recommendations}`,
		'9. Управленческие решения\nНе заполнено.',
		'Программ реализовывалось в периоде\n0\n1\n+1',
		'Сдана.'
	])
		expect(docx).toContain(s);
	await download(page, 'download-pdf', 'scope-docs-handed-in.pdf');
	const pdfFile = path.join(SCREENSHOT_DIR, 'scope-docs-handed-in.pdf');
	const pdf = pdfText(pdfFile);
	for (const s of ['Аналитическая справка', 'Показатели и их динамика', 'Выводы', 'Рекомендации'])
		expect(pdf).toContain(s);
	expect(pdf.replace(/\s+/g, ' ')).toContain('Кураторам провести промежуточную встречу с парами');
	execFileSync('pdftoppm', [
		'-png',
		'-r',
		'60',
		pdfFile,
		path.join(SCREENSHOT_DIR, 'scope-docs-pdf')
	]);

	// In between, the school approves another program: the live figures change (once the relay
	// has written the program's summary).
	await approvedProgram();
	await expect.poll(() => programsInForce(year), { timeout: 20_000 }).toBe(2);

	// A week later the coordinator comes back through the calendar.
	await page.clock.setSystemTime(Date.now() + 7 * DAY);
	await page.goto(`/curator/calendar?scope=municipality:${municipalityId}`);
	await expect(december).toContainText('Аналитическая справка: МАОУ СОШ № 1');
	await expect(december).toContainText('документ сдан');
	await december.getByRole('link', { name: 'Аналитическая справка: МАОУ СОШ № 1' }).click();
	await expect(page.getByTestId('document-state')).toContainText('Редакция 2 сдана');
	await expect(inForce).toHaveText(/Программ реализовывалось в периоде\s*0\s*1\s*\+1/);
	await expect(page.getByTestId('section-conclusions')).toHaveValue(conclusions);
	await expect(page.getByTestId('section-conclusions')).toHaveAttribute('readonly', '');
	const again = docxText(await download(page, 'download-docx', 'scope-docs-week-later.docx'));
	expect(again).toBe(docx);
	await shots(page, 'scope-docs-week-later');

	// The municipality's аналитический отчет for the year, rendered for people to look at.
	const report = await page.request.get(
		`/api/curator/municipalities/${municipalityId}/documents/analytic-report/file?from=${year}-01-01&to=${year}-12-31&format=pdf`
	);
	expect(report.status()).toBe(200);
	const reportFile = path.join(SCREENSHOT_DIR, 'scope-docs-report.pdf');
	writeFileSync(reportFile, await report.body());
	expect(pdfText(reportFile)).toContain('Анализ по образовательным организациям');
	execFileSync('pdftoppm', [
		'-png',
		'-r',
		'60',
		reportFile,
		path.join(SCREENSHOT_DIR, 'scope-docs-report')
	]);
	await page.context().close();
});

test('the coordinator sets the municipality calendar: a preset, the responsible body, an item', async ({
	browser
}) => {
	const org = (await ok(
		app.curator.api.get(`/api/organizations/${app.curator.organizationId}`)
	)) as { organization?: { municipalityId: string }; municipalityId?: string };
	const municipalityId = org.organization?.municipalityId ?? org.municipalityId ?? '';
	const page = await signInCoordinator(browser, municipalityId);
	await page.goto(`/curator/calendar?scope=municipality:${municipalityId}`);
	await page.getByTestId('calendar-settings').click();
	await page
		.getByTestId('calendar-preset')
		.selectOption({ label: 'Дорожная карта (Дивногорск, 2022)' });
	await page.getByRole('button', { name: 'Заменить календарь образцом' }).click();
	await expect(page.getByTestId('body-name')).toHaveText('МКУ ГИМЦ');
	await page.getByTestId('calendar-body').fill('МКУ «Городской информационно-методический центр»');
	const first = page.getByTestId('calendar-item-edit').first();
	await first.getByRole('button', { name: 'Удалить пункт' }).click();
	await page.getByRole('button', { name: 'Добавить пункт' }).click();
	const added = page.getByTestId('calendar-item-edit').last();
	await added.getByLabel('Мероприятие').fill('Совещание кураторов по итогам мониторинга');
	await shots(page, 'scope-docs-calendar-settings');
	await page.getByTestId('calendar-save').click();
	await expect(page.getByTestId('body-name')).toHaveText(
		'МКУ «Городской информационно-методический центр»'
	);
	const meeting = page
		.getByTestId('calendar-event')
		.filter({ hasText: 'Совещание кураторов по итогам мониторинга' });
	await expect(meeting).toContainText('МКУ «Городской информационно-методический центр»');
	// The January website monitoring (5.1) was removed; the May one stays.
	await expect(
		page.getByTestId('calendar-event').filter({ hasText: 'Мониторинг сайтов' })
	).toHaveCount(1);
	await page.context().close();
});
