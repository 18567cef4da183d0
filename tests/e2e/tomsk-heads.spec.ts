import { expect, request, test, type APIRequestContext, type Browser } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { docxText } from '../support/docx';
import { expectSaved, screenshot, tab } from './helpers';
import { Product, ok } from './product';

/**
 * Head mentoring as Tomsk 2024 prescribes it, in the built app, each person in a browser context
 * of their own: the department's curator forms a pair of heads from two schools on
 * /curator/heads, generates the department head's order (DOCX), attaches it, records the mentor's
 * consent to the duties and approves the program; the mentee-head submits a report and cannot
 * accept it himself; the pair asks for an extension, the curator petitions, and only the head of
 * the department approves it — the program's end moves.
 */

let admin: APIRequestContext;
const ids = {} as Record<'mun' | 'schoolA' | 'schoolB' | 'mentor' | 'mentee' | 'depHead', string>;
const links = {} as Record<'depCurator' | 'depHead' | 'mentor' | 'mentee', string>;

const RELAY_ENV = { RELAY_SUMMARY_DEBOUNCE_MS: '300', RELAY_FACTS_FLUSH_MS: '300' };
const product = new Product(RELAY_ENV);

const linkIn = (out: string): string => {
	const m = /https?:\/\/\S+\/invite#\S+/.exec(out);
	if (!m) throw new Error(`no link in:\n${out}`);
	return product.url + new URL(m[0]).pathname + new URL(m[0]).hash;
};

test.beforeAll(async () => {
	await product.start();
	const setup = await product.cli(
		'setup',
		'--municipality',
		'Город Томск',
		'--organization',
		'МАОУ СОШ № 40 г. Томска',
		'--curator',
		'Ершова Ольга Ильинична'
	);
	ids.mun = /Муниципалитет:.*\(([\w-]+)\)/.exec(setup)?.[1] ?? '';
	ids.schoolA = /Организация:.*\(([\w-]+)\)/.exec(setup)?.[1] ?? '';
	admin = await request.newContext({ baseURL: product.url });
	const adminLink = linkIn(
		await product.cli('account', '--name', 'Администратор Системы', '--role', 'admin')
	);
	await ok(
		admin.post('/api/invitations/redeem', { data: { code: new URL(adminLink).hash.slice(1) } })
	);
	ids.schoolB = (
		await ok<{ organization: { id: string } }>(
			admin.post('/api/organizations', {
				data: { municipalityId: ids.mun, name: 'МАОУ СОШ № 7 г. Томска' }
			})
		)
	).organization.id;
	const head = async (orgId: string, fullName: string) => {
		const { person } = await ok<{ person: { id: string } }>(
			admin.post(`/api/organizations/${orgId}/people`, { data: { fullName, position: 'директор' } })
		);
		await ok(
			admin.post(`/api/people/${person.id}/roles`, {
				data: { role: 'head', organizationId: orgId }
			})
		);
		return person.id;
	};
	ids.mentor = await head(ids.schoolA, 'Громова Наталья Сергеевна');
	ids.mentee = await head(ids.schoolB, 'Белов Артём Викторович');
	links.depCurator = linkIn(
		await product.cli(
			'account',
			'--name',
			'Кравцова Марина Андреевна',
			'--role',
			'municipal-curator',
			'--municipality',
			ids.mun
		)
	);
	const depHeadOut = await product.cli(
		'account',
		'--name',
		'Соболев Игорь Павлович',
		'--role',
		'department-head',
		'--municipality',
		ids.mun
	);
	links.depHead = linkIn(depHeadOut);
	ids.depHead = /\(([\w-]+)\), роль/.exec(depHeadOut)?.[1] ?? '';
	await ok(
		admin.patch(`/api/people/${ids.depHead}`, {
			data: { position: 'начальник департамента образования' }
		})
	);
	// Sign-in links for heads: the administrator's.
	const signInLink = async (personId: string) => {
		const { url } = await ok<{ url: string }>(
			admin.post('/api/invitations', { data: { personId } })
		);
		return product.url + new URL(url).pathname + new URL(url).hash;
	};
	links.mentor = await signInLink(ids.mentor);
	links.mentee = await signInLink(ids.mentee);
});

test.afterAll(async () => {
	await admin?.dispose();
	await product.dispose();
});

async function open(browser: Browser, link: string, desk: boolean) {
	const context = await browser.newContext({
		baseURL: product.url,
		viewport: desk ? { width: 1366, height: 800 } : { width: 360, height: 640 },
		locale: 'ru-RU',
		serviceWorkers: 'allow',
		acceptDownloads: true
	});
	const page = await context.newPage();
	page.on('pageerror', (error) => console.error('[page error]', error.message));
	await page.goto(link);
	await page.waitForURL((u) => !u.pathname.startsWith('/invite'));
	return { context, page };
}

test('Tomsk: a pair of heads, the order, the consent, nobody decides about their own program, the department head extends', async ({
	browser
}) => {
	test.setTimeout(180_000);
	// ---- The department's curator forms the pair on /curator/heads.
	const desk = await open(browser, links.depCurator, true);
	const page = desk.page;
	await page.goto(`/curator/heads?scope=municipality:${ids.mun}`);
	await expect(page.getByTestId('links-by-admin')).toHaveText(
		'Ссылку для входа руководителю выдает администратор.'
	);
	await page.getByTestId('mentee').selectOption(ids.mentee);
	await page.getByTestId('mentor').selectOption(ids.mentor);
	await page.getByRole('button', { name: 'Сформировать пару' }).click();
	await expect(page.getByTestId('notice')).toContainText('Пара сформирована');
	const pair = page.getByTestId('head-pair');
	await expect(pair).toHaveCount(1);
	await expect(pair).toContainText('МАОУ СОШ № 40 г. Томска');
	await expect(pair).toContainText('МАОУ СОШ № 7 г. Томска');
	await expect(pair.getByTestId('approve')).toBeDisabled();
	const href = (await pair.locator('h4 a').getAttribute('href')) ?? '';
	const programId = /\/curator\/program\/([\w-]+)/.exec(href)?.[1] ?? '';
	expect(programId).not.toBe('');

	// ---- The order: generated from the live data as DOCX, then attached.
	await pair.getByTestId('order-number').fill('15-н');
	await pair.getByTestId('order-date').fill('2026-09-01');
	await pair.getByTestId('make-order').click();
	await expect(page.getByTestId('notice')).toContainText('Приказ сформирован');
	const [download] = await Promise.all([
		page.waitForEvent('download'),
		pair.getByTestId('order-docx').click()
	]);
	expect(download.suggestedFilename()).toMatch(/\.docx$/);
	const text = docxText(readFileSync(await download.path()));
	for (const s of [
		'ПРИКАЗ',
		'15-н',
		'1 сентября 2026 г.',
		'Громова Наталья Сергеевна',
		'Белов Артём Викторович',
		'Соболев Игорь Павлович',
		'начальник департамента образования'
	])
		expect(text).toContain(s);
	await pair.getByTestId('attach-order').click();
	await expect(pair.getByTestId('order-attached')).toContainText('№ 15-н от 01.09.2026');

	// ---- The mentor's written consent to the duties, for two years.
	await pair.getByTestId('consent-date').fill('2026-09-01');
	await pair.getByTestId('record-consent').click();
	await expect(pair.getByTestId('mentor-consent')).toContainText('до 01.09.2028');
	await pair.getByTestId('approve').click();
	await page.getByTestId('approve-confirm').click();
	await expect(page.getByTestId('notice')).toContainText('Программа утверждена');
	await expect(async () => {
		await page.reload();
		await expect(page.getByTestId('head-pair')).toHaveAttribute('data-status', 'active', {
			timeout: 1_000
		});
	}).toPass({ timeout: 20_000 });
	await screenshot(page, 'curator-heads-desk');
	await page.setViewportSize({ width: 360, height: 640 });
	await page.reload();
	// The section tabs scroll sideways on a phone: the current one is in view.
	await expect(page.getByRole('link', { name: 'Руководители' })).toBeInViewport();
	await screenshot(page, 'curator-heads-phone');
	await page.setViewportSize({ width: 1366, height: 800 });

	// ---- The mentee-head works on his phone: a stage report, a request for an extension.
	const mentee = await open(browser, links.mentee, false);
	await expect(mentee.page.getByTestId('program-title')).toBeVisible();
	await tab(mentee.page, 'Отчеты');
	const report = mentee.page.getByTestId('report').first();
	await report.getByRole('button').first().click();
	await report.getByRole('button', { name: 'Начать отчет' }).click();
	await report
		.getByRole('textbox', { name: 'Текст отчета' })
		.fill('Проведен самоанализ управленческих затруднений.');
	await report.getByRole('button', { name: 'Представить куратору' }).click();
	await expectSaved(mentee.page);
	await tab(mentee.page, 'Обзор');
	await mentee.page.getByRole('button', { name: 'Попросить продление' }).click();
	await mentee.page.getByLabel('На сколько месяцев').fill('3');
	await mentee.page.getByLabel('Причина').fill('Длительная болезнь');
	await mentee.page.getByRole('button', { name: 'Отправить просьбу' }).click();
	await expectSaved(mentee.page);

	// ---- He is the head of his school, but cannot accept his own report (on his phone: the
	// curator's program screen is usable one-handed at 360×640 too).
	await mentee.page.goto(`/curator/program/${programId}?scope=organization:${ids.schoolB}`);
	const own = mentee.page.getByTestId('report').first();
	await expect(own).toHaveAttribute('data-status', 'submitted', { timeout: 15_000 });
	// Each role sees only its own actions: no «Принять» for a participant of the program (the
	// server refuses it too: server/identity/authority.ts, tests/integration).
	await expect(mentee.page.getByTestId('program-view')).toHaveAttribute('data-live', 'true');
	await expect(own.getByTestId('accept-report')).toHaveCount(0);
	await expect(own.getByTestId('return-report')).toHaveCount(0);
	await screenshot(mentee.page, 'mentee-head-own-report-refused');

	// ---- The mentor agrees to the extension on his phone.
	const mentor = await open(browser, links.mentor, false);
	await expect(mentor.page.getByTestId('program-title')).toBeVisible();
	await mentor.page.getByRole('button', { name: 'Даю согласие' }).click();
	await expectSaved(mentor.page);

	// ---- The curator petitions; the curator cannot approve a head's extension.
	await page.goto(`/curator/program/${programId}?scope=municipality:${ids.mun}`);
	await expect(page.getByTestId('program-view')).toBeVisible();
	await expect(page.getByRole('button', { name: 'Ходатайствовать' })).toBeVisible({
		timeout: 15_000
	});
	await page.getByRole('button', { name: 'Ходатайствовать' }).click();
	await expect(page.getByTestId('notice')).toContainText('Ходатайство куратора оформлено');
	// A head's extension is approved by the head of the department only: not offered to the curator.
	await expect(page.getByRole('button', { name: 'Одобрить' })).toHaveCount(0);

	// ---- The head of the department approves it: the program's end moves by three months.
	const depHead = await open(browser, links.depHead, true);
	await depHead.page.goto(`/curator/program/${programId}?scope=municipality:${ids.mun}`);
	await depHead.page.getByRole('button', { name: 'Одобрить' }).click();
	await expect(depHead.page.getByTestId('notice')).toContainText(
		'Продление / корректировка одобрены'
	);
	const view = await ok<{
		program: {
			meta: { startDate: string; durationMonths: number };
			changeRequests: Array<{ status: string; months: number }>;
		};
	}>(depHead.context.request.get(`/api/curator/programs/${programId}`));
	expect(view.program.changeRequests.map((c) => [c.status, c.months])).toEqual([['approved', 3]]);
	await screenshot(depHead.page, 'department-head-extension');

	for (const c of [desk, mentee, mentor, depHead]) await c.context.close();
});
