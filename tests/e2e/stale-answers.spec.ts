import {
	expect,
	request,
	test,
	type APIRequestContext,
	type Browser,
	type Page
} from '@playwright/test';
import { ok, productForFile } from './product';

/**
 * A curator's screen loads its data again when the scope, a filter or the year changes; on a slow
 * network the answer for the previous choice may arrive after the new one's. Each test holds the
 * first answer back (`holdFirstAnswer`) until the second choice's data is on the screen, then lets
 * it through: the screen must keep showing the second choice's data, and the calendar settings
 * must save the new scope's own items into the new scope (they once saved the previous scope's).
 *
 * The coordinator of two municipalities (Томск with a school and its program; Стрежевой with a
 * school and no program), each with its own calendar (Дивногорск 2022 and Томск 2024 presets).
 */
const app = productForFile();
const { product } = app;

const ids = { m1: '', m2: '' };
let coordinator: APIRequestContext;
let admin: APIRequestContext;

const codeIn = (out: string): string => {
	const m = /https?:\/\/\S+\/invite#(\S+)/.exec(out);
	if (!m?.[1]) throw new Error(`no link in:\n${out}`);
	return m[1];
};

interface CalendarConfigState {
	config: { bodyName: string; items: Array<{ id: string; title: string }> };
}
const config = (mun: string) =>
	ok<CalendarConfigState>(
		coordinator.get(`/api/curator/municipalities/${mun}/calendar/config`)
	).then((s) => s.config);
const events = (mun: string, year: number) =>
	ok<{ events: Array<{ title: string; date: string }> }>(
		coordinator.get(`/api/curator/municipalities/${mun}/calendar?year=${year}`)
	).then((r) => r.events);

test.beforeAll(async () => {
	const { organization } = await ok<{ organization: { municipalityId: string } }>(
		app.curator.api.get(`/api/organizations/${app.curator.organizationId}`)
	);
	ids.m1 = organization.municipalityId;
	const second = await product.cli(
		'setup',
		'--municipality',
		'Городской округ Стрежевой',
		'--organization',
		'МОУ СОШ № 2 г. Стрежевого',
		'--curator',
		'Кузнецова Анна Викторовна'
	);
	ids.m2 = /Муниципалитет:.*\(([\w-]+)\)/.exec(second)?.[1] ?? '';
	expect(ids.m2).not.toBe('');

	admin = await request.newContext({ baseURL: product.url });
	await ok(
		admin.post('/api/invitations/redeem', {
			data: {
				code: codeIn(
					await product.cli('account', '--name', 'Администратор Системы', '--role', 'admin')
				)
			}
		})
	);
	const out = await product.cli(
		'account',
		'--name',
		'Новикова Светлана Игоревна',
		'--role',
		'coordinator',
		'--municipality',
		ids.m1
	);
	const personId = /\(([\w-]+)\), роль/.exec(out)?.[1] ?? '';
	await ok(
		admin.post(`/api/people/${personId}/roles`, {
			data: { role: 'coordinator', municipalityId: ids.m2 }
		})
	);
	coordinator = await request.newContext({ baseURL: product.url });
	await ok(coordinator.post('/api/invitations/redeem', { data: { code: codeIn(out) } }));
	for (const [mun, preset] of [
		[ids.m1, 'divnogorsk-2022'],
		[ids.m2, 'tomsk-2024']
	] as const)
		await ok(
			coordinator.put(`/api/curator/municipalities/${mun}/calendar/config`, { data: { preset } })
		);
	// Томск's school has a program; Стрежевой's has none.
	await app.curator.createPairProgram('teacher-surgut');
	await expect
		.poll(
			async () =>
				(
					await ok<{ figures: { programs: { total: number } } }>(
						coordinator.get(`/api/curator/municipalities/${ids.m1}/figures`)
					)
				).figures.programs.total,
			{ timeout: 20_000 }
		)
		.toBe(1);
});

test.afterAll(async () => {
	await coordinator?.dispose();
	await admin?.dispose();
});

async function desk(browser: Browser): Promise<Page> {
	const context = await browser.newContext({
		baseURL: product.url,
		viewport: { width: 1366, height: 800 },
		locale: 'ru-RU',
		storageState: await coordinator.storageState(),
		// The page's own requests, not the service worker's: the routes below see each one.
		serviceWorkers: 'block'
	});
	const page = await context.newPage();
	page.on('pageerror', (error) => console.error('[coordinator page error]', error.message));
	return page;
}

/**
 * Holds back the page's first answer to a request `match` accepts (fetched from the server at
 * once, handed to the page only on `release()`), as a slow network would. `asked`: the page sent
 * it; `delivered`: it was handed over (or the page had given up on it).
 */
async function holdFirstAnswer(page: Page, match: (url: URL) => boolean) {
	let release!: () => void;
	const released = new Promise<void>((resolve) => (release = resolve));
	let onAsked!: () => void;
	const asked = new Promise<void>((resolve) => (onAsked = resolve));
	let onDelivered!: () => void;
	const delivered = new Promise<void>((resolve) => (onDelivered = resolve));
	let held = false;
	await page.route(match, async (route) => {
		if (held) return route.continue();
		held = true;
		onAsked();
		try {
			const response = await route.fetch();
			await released;
			// The page may have aborted the request meanwhile: then there is nobody to answer.
			await route.fulfill({ response }).catch(() => {});
		} finally {
			onDelivered();
		}
	});
	return { asked, release, delivered };
}

/** Two frames: the late answer's promise has settled and the screen has rendered it. */
const frames = (page: Page) =>
	page.evaluate(
		() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))
	);

/**
 * Hands the held answer over, waits until the screen could have rendered it, and checks that
 * nothing is shown as an error: an abandoned request's abort is none.
 */
async function deliverLate(page: Page, late: { release: () => void; delivered: Promise<void> }) {
	late.release();
	await late.delivered;
	await frames(page);
	await expect(page.getByRole('alert')).toHaveCount(0);
}

const pickScope = (page: Page, mun: string) =>
	page.getByTestId('scope-picker').selectOption(`municipality:${mun}`);

test('calendar settings: the previous scope’s late answer is not shown, saving writes the new scope’s own items', async ({
	browser
}) => {
	const before1 = await config(ids.m1);
	const before2 = await config(ids.m2);
	expect(before1.bodyName).not.toBe(before2.bodyName);
	const page = await desk(browser);
	const late = await holdFirstAnswer(
		page,
		(u) => u.pathname === `/api/curator/municipalities/${ids.m1}/calendar/config`
	);
	await page.goto(`/curator/calendar?scope=municipality:${ids.m1}`);
	await late.asked;
	await pickScope(page, ids.m2);
	const bodyName = page.getByTestId('body-name');
	await expect(bodyName).toHaveText(before2.bodyName);
	await deliverLate(page, late);
	// Soft: the save below shows what a wrong screen leads to.
	await expect.soft(bodyName).toHaveText(before2.bodyName);

	await page.getByTestId('calendar-settings').click();
	await expect.soft(page.getByTestId('calendar-item-edit')).toHaveCount(before2.items.length);
	await page.getByTestId('calendar-body').fill('Отдел образования Стрежевого');
	await page.getByTestId('calendar-save').click();
	await expect(page.getByRole('status').filter({ hasText: 'Календарь сохранен.' })).toBeVisible();
	const after2 = await config(ids.m2);
	expect(after2.bodyName).toBe('Отдел образования Стрежевого');
	expect(after2.items.map((i) => i.title)).toEqual(before2.items.map((i) => i.title));
	expect(await config(ids.m1)).toEqual(before1);
	// Reloaded, the screen shows what was saved.
	await page.reload();
	await expect(bodyName).toHaveText('Отдел образования Стрежевого');
	await page.context().close();
});

test('calendar events: the previous scope’s late answer does not replace the new scope’s events', async ({
	browser
}) => {
	const year = new Date().getFullYear();
	const second = await events(ids.m2, year);
	const first = await events(ids.m1, year);
	expect(second.map((e) => e.title)).not.toEqual(first.map((e) => e.title));
	const page = await desk(browser);
	const late = await holdFirstAnswer(
		page,
		(u) => u.pathname === `/api/curator/municipalities/${ids.m1}/calendar`
	);
	await page.goto(`/curator/calendar?scope=municipality:${ids.m1}`);
	await late.asked;
	await pickScope(page, ids.m2);
	const titles = page.getByTestId('calendar-title');
	await expect(titles).toHaveText(second.map((e) => e.title));
	await deliverLate(page, late);
	await expect(titles).toHaveText(second.map((e) => e.title));
	await page.context().close();
});

test('calendar events: the previous year’s late answer does not replace the next year’s', async ({
	browser
}) => {
	const year = new Date().getFullYear();
	const page = await desk(browser);
	const late = await holdFirstAnswer(
		page,
		(u) =>
			u.pathname === `/api/curator/municipalities/${ids.m2}/calendar` &&
			u.searchParams.get('year') === String(year)
	);
	await page.goto(`/curator/calendar?scope=municipality:${ids.m2}`);
	await late.asked;
	await page.getByRole('button', { name: 'Следующий год' }).click();
	const dates = page.getByTestId('calendar-event').locator('.date');
	await expect(dates.first()).toContainText(`.${year + 1}`);
	await deliverLate(page, late);
	await expect(dates.first()).toContainText(`.${year + 1}`);
	await expect(dates.filter({ hasText: `.${year} ` })).toHaveCount(0);
	await page.context().close();
});

test('figures: the previous scope’s late answer does not replace the new scope’s figures', async ({
	browser
}) => {
	const page = await desk(browser);
	const late = await holdFirstAnswer(
		page,
		(u) => u.pathname === `/api/curator/municipalities/${ids.m1}/figures`
	);
	await page.goto(`/curator/figures?scope=municipality:${ids.m1}`);
	await late.asked;
	await pickScope(page, ids.m2);
	const programs = page.getByTestId('fig-programs');
	await expect(programs).toHaveText('0');
	await deliverLate(page, late);
	await expect(programs).toHaveText('0');
	await page.context().close();
});

test('figures: the answer without dates, late, does not replace the figures on the chosen date', async ({
	browser
}) => {
	const page = await desk(browser);
	const late = await holdFirstAnswer(
		page,
		(u) => u.pathname === `/api/curator/municipalities/${ids.m1}/figures`
	);
	await page.goto(`/curator/figures?scope=municipality:${ids.m1}`);
	await late.asked;
	await page.getByLabel('По').fill('2020-01-01');
	const asOf = page.getByTestId('fig-asof');
	await expect(asOf).toHaveText('На 01.01.2020');
	await expect(page.getByTestId('fig-programs')).toHaveText('0');
	await deliverLate(page, late);
	await expect(asOf).toHaveText('На 01.01.2020');
	await expect(page.getByTestId('fig-programs')).toHaveText('0');
	await page.context().close();
});

test('registries: the previous scope’s late answers do not replace the new scope’s organizations', async ({
	browser
}) => {
	const page = await desk(browser);
	const late = await holdFirstAnswer(
		page,
		(u) => u.pathname === `/api/municipalities/${ids.m1}/organizations`
	);
	await page.goto(`/curator/registries?scope=municipality:${ids.m1}`);
	await late.asked;
	await pickScope(page, ids.m2);
	const rows = page.getByTestId('org-row');
	await expect(rows).toHaveCount(1);
	await expect(rows).toContainText('МОУ СОШ № 2 г. Стрежевого');
	await deliverLate(page, late);
	await expect(rows).toHaveCount(1);
	await expect(rows).toContainText('МОУ СОШ № 2 г. Стрежевого');
	await page.context().close();
});

test('the bank’s organization picker: the previous municipality’s late list does not replace the new one’s', async ({
	browser
}) => {
	const page = await desk(browser);
	const late = await holdFirstAnswer(
		page,
		(u) => u.pathname === `/api/municipalities/${ids.m1}/organizations`
	);
	await page.goto(`/curator/people?scope=municipality:${ids.m1}`);
	await late.asked;
	await pickScope(page, ids.m2);
	const options = page.getByTestId('organization-picker').locator('option');
	await expect(options).toHaveText(['— выберите организацию —', 'МОУ СОШ № 2 г. Стрежевого']);
	await deliverLate(page, late);
	await expect(options).toHaveText(['— выберите организацию —', 'МОУ СОШ № 2 г. Стрежевого']);
	await page.context().close();
});

test('the bank: another municipality does not keep the school picked in the previous one', async ({
	browser
}) => {
	const page = await desk(browser);
	await page.goto(`/curator/people?scope=municipality:${ids.m1}`);
	await page.getByTestId('organization-picker').selectOption({ label: 'МАОУ СОШ № 1' });
	const bank = page.getByRole('heading', { name: 'Банк наставников и наставляемых' });
	await expect(bank).toBeVisible();
	await pickScope(page, ids.m2);
	await expect(page.getByTestId('organization-picker')).toHaveValue('');
	await expect(bank).toBeHidden();
	await expect(page.getByText('выберите организацию в списке выше')).toBeVisible();
	await page.context().close();
});

// ---- click-started loads: the bank's «Изменить» and the calendar settings' save

/** The curator of Томск's school at the bank (the coordinator reads it, only its curator edits). */
async function bank(browser: Browser): Promise<Page> {
	const context = await browser.newContext({
		baseURL: product.url,
		viewport: { width: 1366, height: 800 },
		locale: 'ru-RU',
		storageState: await app.curator.api.storageState(),
		serviceWorkers: 'block'
	});
	const page = await context.newPage();
	page.on('pageerror', (error) => console.error('[curator page error]', error.message));
	await page.goto(`/curator/people?scope=organization:${app.curator.organizationId}`);
	return page;
}

/** A person of Томск's school, added through the API (a minor when `birthDate` says so). */
async function person(fullName: string, extra: Record<string, unknown> = {}): Promise<string> {
	const { person } = await ok<{ person: { id: string } }>(
		app.curator.api.post(`/api/organizations/${app.curator.organizationId}/people`, {
			data: { fullName, allowDuplicate: true, ...extra }
		})
	);
	return person.id;
}

const edit = (page: Page, fullName: string) =>
	page
		.getByRole('row')
		.filter({ hasText: fullName })
		.getByRole('button', { name: 'Изменить' })
		.click();

/**
 * Opens the first person's form and, while its answer is held back, the second's: the form shows
 * the second person.
 */
async function editSecondWhileFirstHeld(
	page: Page,
	late: { asked: Promise<void> },
	first: string,
	second: string
) {
	await edit(page, first);
	await late.asked;
	await edit(page, second);
	const form = page.getByTestId('edit-person');
	await expect(form.getByLabel('ФИО', { exact: true })).toHaveValue(second);
	return form;
}

test('the bank: the first person’s late history does not land on the second person’s form', async ({
	browser
}) => {
	const first = await person('Орлова Вера Павловна', { position: 'учитель' });
	// The first person's record has more history than the second's: created, then changed twice.
	for (const position of ['учитель математики', 'учитель физики'])
		await ok(app.curator.api.patch(`/api/people/${first}`, { data: { position } }));
	const second = await person('Зайцев Игорь Олегович', { position: 'учитель' });
	const { entries } = await ok<{ entries: Array<{ entityId: string; details: unknown }> }>(
		app.curator.api.get(`/api/organizations/${app.curator.organizationId}/audit`)
	);
	const about = (id: string) =>
		entries.filter((e) => e.entityId === id || JSON.stringify(e.details ?? '').includes(id)).length;
	expect(about(first)).toBeGreaterThan(about(second));

	const page = await bank(browser);
	const late = await holdFirstAnswer(
		page,
		(u) => u.pathname === `/api/organizations/${app.curator.organizationId}/audit`
	);
	const form = await editSecondWhileFirstHeld(
		page,
		late,
		'Орлова Вера Павловна',
		'Зайцев Игорь Олегович'
	);
	const history = form.locator('.history li');
	await expect(history).toHaveCount(about(second));
	await deliverLate(page, late);
	await expect(form.getByLabel('ФИО', { exact: true })).toHaveValue('Зайцев Игорь Олегович');
	await expect(history).toHaveCount(about(second));
	await page.context().close();
});

test('the bank: the first minor’s late consent does not land on the second minor’s form', async ({
	browser
}) => {
	const first = await person('Соколов Павел Андреевич', { birthDate: '2012-03-04' });
	await ok(
		app.curator.api.post(`/api/people/${first}/consents`, {
			data: {
				kind: 'representative',
				representativeName: 'Соколова Елена Викторовна',
				representativeRelation: 'мать',
				givenOn: '2025-09-01',
				documentRef: null
			}
		})
	);
	await person('Лебедева Дарья Ильинична', { birthDate: '2012-05-06' });

	const page = await bank(browser);
	const late = await holdFirstAnswer(page, (u) => u.pathname === `/api/people/${first}/consents`);
	const form = await editSecondWhileFirstHeld(
		page,
		late,
		'Соколов Павел Андреевич',
		'Лебедева Дарья Ильинична'
	);
	const consent = form.getByTestId('consent-fields');
	const none = consent.getByText('Без согласия законного представителя');
	await expect(none).toBeVisible();
	await deliverLate(page, late);
	await expect(form.getByLabel('ФИО', { exact: true })).toHaveValue('Лебедева Дарья Ильинична');
	await expect(none).toBeVisible();
	await expect(consent.getByText('Согласие записано.')).toHaveCount(0);
	await page.context().close();
});

test('calendar settings: a save that fails after the scope changed shows no error under the new scope', async ({
	browser
}) => {
	const before1 = await config(ids.m1);
	const before2 = await config(ids.m2);
	const page = await desk(browser);
	let release!: () => void;
	const released = new Promise<void>((resolve) => (release = resolve));
	let onAsked!: () => void;
	const asked = new Promise<void>((resolve) => (onAsked = resolve));
	let onDelivered!: () => void;
	const delivered = new Promise<void>((resolve) => (onDelivered = resolve));
	// The first scope's save fails, late (the server never sees it).
	await page.route(
		(u) => u.pathname === `/api/curator/municipalities/${ids.m1}/calendar/config`,
		async (route) => {
			if (route.request().method() !== 'PUT') return route.continue();
			onAsked();
			await released;
			await route
				.fulfill({
					status: 500,
					json: { error: 'internal', message: 'Не удалось сохранить календарь Томска.' }
				})
				.catch(() => {});
			onDelivered();
		}
	);
	await page.goto(`/curator/calendar?scope=municipality:${ids.m1}`);
	const bodyName = page.getByTestId('body-name');
	await expect(bodyName).toHaveText(before1.bodyName);
	await page.getByTestId('calendar-settings').click();
	await page.getByTestId('calendar-save').click();
	await asked;
	await pickScope(page, ids.m2);
	await expect(bodyName).toHaveText(before2.bodyName);
	await expect(page.getByTestId('calendar-item-edit')).toHaveCount(before2.items.length);
	release();
	await delivered;
	await frames(page);
	await expect(page.getByRole('alert')).toHaveCount(0);
	await expect(page.getByText('Не удалось сохранить календарь Томска.')).toHaveCount(0);
	await expect(bodyName).toHaveText(before2.bodyName);
	expect(await config(ids.m1)).toEqual(before1);
	await page.context().close();
});
