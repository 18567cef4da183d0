import { expect, test, type Browser, type Page } from '@playwright/test';
import { expectSaved, openPhone, tab, type Phone } from './helpers';
import { DESK, PHONE, auditScreen } from './layout-audit';
import { productForFile, type PairProgram } from './product';

/**
 * Every screen of every role at 360×640 and 1366×800 (issue #16, «Finish»): each is saved to
 * tests/e2e/screenshots/screens/ and fails the run when it scrolls sideways, when an element
 * reaches past the viewport, when a word or a date breaks mid-word in a table cell or a button,
 * when a raw code shows, or when a plural disagrees with its number (tests/e2e/layout-audit.ts).
 * Mentor and mentee on phones, the curator, the head, the municipal coordinator and the
 * administrator at a desk, and a browser that is signed in as nobody.
 */
const RELAY_ENV = { RELAY_SUMMARY_DEBOUNCE_MS: '300', RELAY_FACTS_FLUSH_MS: '300' };
const app = productForFile(RELAY_ENV);
const { product } = app;
// Not serial: a screen that fails must not hide the others' pictures and findings.

let pair: PairProgram;
let menteePhone: Phone | undefined;
const local = (url: string) => product.url + new URL(url).pathname + new URL(url).hash;

async function deskAs(browser: Browser, link: string | null): Promise<Page> {
	const context = await browser.newContext({
		baseURL: product.url,
		viewport: DESK,
		locale: 'ru-RU',
		timezoneId: 'Asia/Tomsk',
		...(link === null ? { storageState: await app.curator.api.storageState() } : {})
	});
	const page = await context.newPage();
	page.on('pageerror', (error) => console.error('[desk page error]', error.message));
	if (link) {
		await page.goto(link);
		await page.waitForURL((u) => !u.pathname.startsWith('/invite'));
	}
	return page;
}

/** A sign-in link for a new account of `role` (the CLI, as an operator does it). */
async function accountLink(role: string, ...scope: string[]): Promise<string> {
	const out = await product.cli(
		'account',
		'--name',
		`Проверяющий ${role}`,
		'--role',
		role,
		...scope
	);
	const link = /https?:\/\/\S+\/invite#\S+/.exec(out)?.[0];
	if (!link) throw new Error(`no link in:\n${out}`);
	return local(link);
}

async function municipalityId(): Promise<string> {
	const r = (await (
		await app.curator.api.get(`/api/organizations/${app.curator.organizationId}`)
	).json()) as { organization?: { municipalityId: string }; municipalityId?: string };
	return r.organization?.municipalityId ?? r.municipalityId ?? '';
}

const scope = () => `scope=organization:${app.curator.organizationId}`;

// A pair with work to show (a meeting, a done activity, a submitted stage report), made again
// if a failed test restarts the worker.
test.beforeAll(async ({ browser }) => {
	test.setTimeout(180_000);
	pair = await app.curator.createPairProgram();
	const mentee = await openPhone(browser, product.url, pair.menteeLink);
	await expectSaved(mentee.page);
	await tab(mentee.page, 'Встречи');
	await mentee.page.getByTestId('meeting-topic').fill('Диагностика профессиональных затруднений');
	await mentee.page.getByRole('button', { name: 'Записать встречу' }).click();
	await tab(mentee.page, 'План');
	await mentee.page.getByTestId('activity').first().getByRole('checkbox').check();
	await tab(mentee.page, 'Отчеты');
	const report = mentee.page.getByTestId('report').first();
	await report.getByRole('button').first().click();
	await report.getByRole('button', { name: 'Начать отчет' }).click();
	await report
		.getByRole('textbox', { name: 'Текст отчета' })
		.fill('Проведена диагностика затруднений.');
	await report.getByRole('button', { name: 'Представить куратору' }).click();
	await expectSaved(mentee.page);
	menteePhone = mentee;
});
test.afterAll(async () => {
	await menteePhone?.context.close();
});

/** The curator's sections, each with what shows it has loaded. */
const CURATOR_SCREENS: Array<[string, string, (p: Page) => ReturnType<Page['getByRole']>]> = [
	['figures', '/curator/figures', (p) => p.getByTestId('fig-programs')],
	['calendar', '/curator/calendar', (p) => p.getByTestId('calendar-event').first()],
	['people', '/curator/people', (p) => p.getByRole('heading', { name: /Банк/ }).first()],
	['heads', '/curator/heads', (p) => p.getByRole('heading').nth(1)],
	['cases', '/curator/cases', (p) => p.getByRole('heading').nth(1)],
	['sheet', '/curator/sheet', (p) => p.getByRole('heading', { name: /QR/ })],
	['registries', '/curator/registries', (p) => p.getByRole('heading', { name: 'Реестры' })],
	['rollout', '/curator/rollout', (p) => p.getByRole('heading', { name: /План внедрения/ })],
	[
		'document',
		'/curator/document?kind=analytic-note&from=2026-01-01&to=2026-12-31',
		(p) => p.getByTestId('document-state')
	]
];

test('mentor and mentee: home, every tab of the workspace, sign-out', async ({ browser }) => {
	test.setTimeout(240_000);
	const mentor = await openPhone(browser, product.url, pair.mentorLink);
	const mentee = menteePhone as Phone;
	for (const [who, phone] of [
		['mentor', mentor],
		['mentee', mentee]
	] as Array<[string, Phone]>) {
		const page = phone.page;
		for (const [name, label] of <Array<[string, string]>>[
			['overview', 'Обзор'],
			['diagnosis', 'Диагностика'],
			['plan', 'План'],
			['meetings', 'Встречи'],
			['reports', 'Отчеты']
		]) {
			await tab(page, label);
			await auditScreen(page, `${who}-program-${name}`);
		}
		await page.goto('/');
		await expect(page.getByTestId('program-list')).toBeVisible();
		await auditScreen(page, `${who}-home`);
	}
	await mentor.page.goto('/signout');
	await expect(mentor.page.getByRole('heading').first()).toBeVisible();
	await auditScreen(mentor.page, 'mentor-signout');
	await mentor.context.close();
});

/** A small PDF the server's sniffing accepts (the magic and a trailer are enough for it). */
const PDF = Buffer.from(
	'%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n'
);

test('attachments: files on an activity, a meeting and a report; one waiting for the network', async () => {
	test.setTimeout(180_000);
	const page = (menteePhone as Phone).page;
	// The tabs' test leaves the phone on its home screen.
	await page.goto(`/program/${pair.programId}`);
	await expect(page.getByTestId('program-title')).toBeVisible();
	const files = (where: ReturnType<Page['getByTestId']>) => where.getByTestId('attachment');
	await tab(page, 'План');
	const activity = page.getByTestId('activity').first();
	await activity.locator('button.title').click();
	await activity.getByTestId('attach-file').setInputFiles({
		name: 'Анкета профессиональных затруднений (результаты).pdf',
		mimeType: 'application/pdf',
		buffer: PDF
	});
	await expect(files(activity).getByTestId('attachment-status')).toHaveText('загружено');
	await auditScreen(page, 'mentee-activity-files', async () => {
		await activity.getByTestId('attachments').scrollIntoViewIfNeeded();
	});
	// Without network: «ждёт сети».
	await (menteePhone as Phone).context.setOffline(true);
	await activity.getByTestId('attach-file').setInputFiles({
		name: 'План.pdf',
		mimeType: 'application/pdf',
		buffer: Buffer.concat([PDF, Buffer.from('% второй\n')])
	});
	await expect(
		files(activity).filter({ hasText: 'План.pdf' }).getByTestId('attachment-status')
	).toHaveText('ждёт сети');
	await auditScreen(page, 'mentee-activity-file-waiting');
	await (menteePhone as Phone).context.setOffline(false);
	await expect(
		files(activity).filter({ hasText: 'План.pdf' }).getByTestId('attachment-status')
	).toHaveText('загружено', { timeout: 30_000 });

	await tab(page, 'Встречи');
	const meeting = page.getByTestId('meeting').first();
	await meeting.locator('button.ws-summary').click();
	const png = await page.evaluate(async () => {
		const canvas = new OffscreenCanvas(1200, 900);
		const ctx = canvas.getContext('2d')!;
		ctx.fillStyle = '#0f5c55';
		ctx.fillRect(0, 0, 1200, 900);
		const bytes = new Uint8Array(await (await canvas.convertToBlob()).arrayBuffer());
		return [...bytes];
	});
	await meeting.getByTestId('attach-photo').setInputFiles({
		name: 'Встреча.png',
		mimeType: 'image/png',
		buffer: Buffer.from(png)
	});
	await expect(files(meeting).getByTestId('attachment-status')).toHaveText('загружено');
	await files(meeting)
		.getByRole('button', { name: /Встреча\.jpg/ })
		.click();
	await expect(meeting.getByTestId('attachment-preview')).toBeVisible();
	await auditScreen(page, 'mentee-meeting-files', async () => {
		await meeting.getByTestId('attachments').scrollIntoViewIfNeeded();
	});

	await tab(page, 'Отчеты');
	const report = page.getByTestId('report').first();
	if ((await report.locator('button.ws-summary').getAttribute('aria-expanded')) !== 'true')
		await report.locator('button.ws-summary').click();
	await report.getByTestId('attach-file').setInputFiles({
		name: 'Приложение к отчету.pdf',
		mimeType: 'application/pdf',
		buffer: Buffer.concat([PDF, Buffer.from('% отчет\n')])
	});
	await expect(files(report).getByTestId('attachment-status')).toHaveText('загружено');
	await auditScreen(page, 'mentee-report-files', async () => {
		await report.getByTestId('attachments').scrollIntoViewIfNeeded();
	});
	await expectSaved(page);
});

test('curator: dashboard with the filters open, program page, every section, home', async ({
	browser
}) => {
	test.setTimeout(240_000);
	const page = await deskAs(browser, null);
	await page.goto(`/curator?${scope()}`);
	await expect(page.getByTestId('program-row').first()).toBeVisible();
	await auditScreen(page, 'curator-dashboard');
	await auditScreen(page, 'curator-dashboard-filters', async () => {
		const filters = page.locator('details.filters');
		if (!(await filters.evaluate((d) => (d as HTMLDetailsElement).open)))
			await filters.locator('summary').click();
		await expect(filters.locator('select').first()).toBeVisible();
	});

	await page.goto(`/curator/program/${pair.programId}?${scope()}`);
	await expect(page.getByTestId('program-view')).toBeVisible();
	await expect(page.getByTestId('report').first()).toHaveAttribute('data-status', 'submitted');
	await auditScreen(page, 'curator-program');

	for (const [name, path, ready] of CURATOR_SCREENS) {
		await page.goto(`${path}${path.includes('?') ? '&' : '?'}${scope()}`);
		await expect(ready(page)).toBeVisible();
		await auditScreen(page, `curator-${name}`);
	}
	await page.goto('/');
	await expect(page.getByRole('heading', { name: 'Мои программы наставничества' })).toBeVisible();
	await auditScreen(page, 'curator-home');
	await page.context().close();
});

// One test per cabinet: each saves some forty pictures, and on a loaded machine the three in one
// test outran its time (240 s) while each alone keeps well inside it.
const CABINETS: Array<[string, () => Promise<string[]>]> = [
	['head', async () => ['--organization', app.curator.organizationId]],
	['coordinator', async () => ['--municipality', await municipalityId()]],
	['admin', async () => []]
];
for (const [role, args] of CABINETS) {
	test(`${role}: the cabinet's screens`, async ({ browser }) => {
		test.setTimeout(240_000);
		const page = await deskAs(browser, await accountLink(role, ...(await args())));
		await page.goto('/curator');
		await expect(page.getByTestId('program-row').or(page.getByRole('alert')).first()).toBeVisible();
		await auditScreen(page, `${role}-dashboard`);
		for (const [name, path, ready] of CURATOR_SCREENS) {
			if (name === 'sheet') continue; // the organization's curator's (invitations)
			const scopeParam = new URL(page.url()).searchParams.get('scope');
			await page.goto(`${path}${scopeParam ? `?scope=${scopeParam}` : ''}`);
			await expect(
				ready(page).or(page.getByTestId('organization-picker')).or(page.getByRole('alert')).first()
			).toBeVisible();
			await auditScreen(page, `${role}-${name}`);
		}
		await page.goto(`/curator/program/${pair.programId}`);
		await expect(page.getByTestId('program-view').or(page.getByRole('alert'))).toBeVisible();
		await auditScreen(page, `${role}-program`);
		await page.goto('/');
		await auditScreen(page, `${role}-home`);
		await page.context().close();
	});
}

test('signed in as nobody: home, sign-in, a broken invitation', async ({ browser }) => {
	const context = await browser.newContext({
		baseURL: product.url,
		viewport: PHONE,
		locale: 'ru-RU'
	});
	const page = await context.newPage();
	await page.goto('/');
	await expect(page.getByTestId('empty-state')).toBeVisible();
	await auditScreen(page, 'anonymous-home');
	await page.goto('/signin');
	await expect(page.getByRole('button', { name: /Войти/ })).toBeVisible();
	await auditScreen(page, 'anonymous-signin');
	await page.goto('/invite#not-a-code');
	await expect(page.getByRole('link').first()).toBeVisible();
	await auditScreen(page, 'anonymous-invite');
	await context.close();
});
