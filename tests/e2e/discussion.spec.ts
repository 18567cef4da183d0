import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import {
	SCREENSHOT_DIR,
	expectSaved,
	openPhone as openPhoneAt,
	syncStatus,
	tab,
	type Phone
} from './helpers';
import { ok, productForFile } from './product';

/**
 * Issue #16 on the built app with two phones (separate browser contexts): mentor ↔ mentee
 * comments on an activity and a report — one writes offline, the other online, both see both
 * comments in posting order once the offline phone is back; and telling programs apart — a
 * mentor with two programs of one template sees two cards that name their mentees, and the
 * curator's rows name the mentee.
 */
const app = productForFile();
const { product } = app;
test.describe.configure({ mode: 'serial' });

const openPhone = (browser: Browser, link: string) => openPhoneAt(browser, product.url, link);
const DESK = { width: 1366, height: 800 };
const PHONE = { width: 360, height: 640 };

/** Saves the page at a phone's size and at the desk's, and fails if it scrolls sideways. */
async function shots(page: Page, name: string): Promise<void> {
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	const before = page.viewportSize() ?? PHONE;
	for (const [size, suffix] of [
		[PHONE, '360x640'],
		[DESK, '1366x800']
	] as const) {
		await page.setViewportSize(size);
		await page.waitForTimeout(50); // one frame for the layout (a picture, not a timing assertion)
		await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}-${suffix}.png` });
		const overflow = await page.evaluate(
			() => document.documentElement.scrollWidth - document.documentElement.clientWidth
		);
		expect(overflow, `${name} at ${suffix} scrolls sideways`).toBeLessThanOrEqual(0);
	}
	await page.setViewportSize(before);
}

/** The first activity of the plan, opened. */
async function firstActivity(page: Page) {
	await tab(page, 'План');
	const activity = page.getByTestId('activity').first();
	if ((await activity.locator('button.title').getAttribute('aria-expanded')) !== 'true')
		await activity.locator('button.title').click();
	return activity;
}

async function comment(phone: Phone, text: string) {
	const activity = await firstActivity(phone.page);
	await activity.getByTestId('discussion-input').fill(text);
	await activity.getByRole('button', { name: 'Отправить' }).click();
	await expect(activity.getByTestId('discussion-text').filter({ hasText: text })).toBeVisible();
}

const thread = async (page: Page) =>
	(await firstActivity(page)).getByTestId('discussion-text').allInnerTexts();

test('comments: the mentee writes offline, the mentor online; both see both in order after reconnecting', async ({
	browser
}) => {
	test.setTimeout(180_000);
	const pair = await app.curator.createPairProgram();
	const mentor = await openPhone(browser, pair.mentorLink);
	const mentee = await openPhone(browser, pair.menteeLink);
	await expectSaved(mentor.page);
	await expectSaved(mentee.page);

	// The mentee, without network, comments first; then the mentor, online, answers.
	await mentee.context.setOffline(true);
	await expect(syncStatus(mentee.page)).toHaveAttribute('data-phase', 'offline');
	await comment(mentee, 'Анкету заполнила без сети, проверьте, пожалуйста.');
	await expect(syncStatus(mentee.page)).not.toHaveAttribute('data-phase', 'saved');
	await comment(mentor, 'Посмотрю после урока.');
	await expectSaved(mentor.page);
	// The offline comment has not reached the mentor.
	expect(await thread(mentor.page)).toEqual(['Посмотрю после урока.']);

	// Back online: both phones show the same thread, in the order it was written, with names.
	await mentee.context.setOffline(false);
	await expectSaved(mentee.page);
	const expected = ['Анкету заполнила без сети, проверьте, пожалуйста.', 'Посмотрю после урока.'];
	await expect.poll(() => thread(mentor.page)).toEqual(expected);
	await expect.poll(() => thread(mentee.page)).toEqual(expected);
	// The count shows on the activity's line, so a closed activity says there is something to read.
	await expect((await firstActivity(mentee.page)).getByTestId('comment-count')).toHaveText(
		'2 комментария'
	);
	const authors = (await firstActivity(mentor.page)).getByTestId('discussion-comment');
	await expect(authors.nth(0)).toContainText('Петров А. И.');
	await expect(authors.nth(0)).toContainText('наставляемый');
	await expect(authors.nth(1)).toContainText('Иванова М. С.');
	await (await firstActivity(mentor.page)).getByTestId('discussion').scrollIntoViewIfNeeded();
	await shots(mentor.page, 'discussion-activity');

	// Only one's own comment can be removed; the removal reaches the partner.
	const mine = (await firstActivity(mentor.page)).getByTestId('discussion-comment');
	await expect(mine.nth(0).getByRole('button', { name: 'Удалить' })).toHaveCount(0);
	mentor.page.once('dialog', (d) => void d.accept());
	await mine.nth(1).getByRole('button', { name: 'Удалить' }).click();
	await expect.poll(() => thread(mentee.page)).toEqual([expected[0]]);

	// The same on a report: the mentor starts the stage report and comments, the mentee answers.
	await tab(mentor.page, 'Отчеты');
	const report = mentor.page.getByTestId('report').first();
	await report.locator('button.ws-summary').click();
	await report.getByRole('button', { name: 'Начать отчет' }).click();
	await report.getByTestId('discussion-input').fill('Допишите выводы по первому этапу.');
	await report.getByRole('button', { name: 'Отправить' }).click();
	await tab(mentee.page, 'Отчеты');
	const menteeReport = mentee.page.getByTestId('report').first();
	await menteeReport.locator('button.ws-summary').click();
	await expect(menteeReport.getByTestId('discussion-text')).toHaveText([
		'Допишите выводы по первому этапу.'
	]);
	await menteeReport.getByTestId('discussion-input').fill('Дописала.');
	await menteeReport.getByRole('button', { name: 'Отправить' }).click();
	await expect(report.getByTestId('discussion-text')).toHaveText([
		'Допишите выводы по первому этапу.',
		'Дописала.'
	]);
	await expect(report.getByTestId('comment-count')).toHaveText('2 комментария');
	await expectSaved(mentee.page);
	await menteeReport.getByTestId('discussion').scrollIntoViewIfNeeded();
	await shots(mentee.page, 'discussion-report');
	await mentor.context.close();
	await mentee.context.close();
});

test('a mentor with two programs of one template sees two cards that name the mentees; so does the curator', async ({
	browser
}) => {
	test.setTimeout(180_000);
	const curator = app.curator;
	const mentorId = await curator.addPerson('Соколова Анна Викторовна', 'mentor');
	const programs: string[] = [];
	for (const name of ['Кузнецов Илья Петрович', 'Морозова Ольга Сергеевна']) {
		const menteeId = await curator.addPerson(name, 'mentee');
		// No title: both take the template's, as a curator creating them quickly would.
		const { program } = await ok<{ program: { id: string; title: string } }>(
			curator.api.post('/api/programs', {
				data: {
					organizationId: curator.organizationId,
					templateId: 'tomsk-heads-beginner',
					participants: [
						{ personId: mentorId, role: 'mentor' },
						{ personId: menteeId, role: 'mentee' }
					]
				}
			})
		);
		programs.push(program.id);
	}
	const link = await curator.invite(mentorId, programs[0] ?? '');
	// With two programs the invitation lands on the list of programs.
	const context = await browser.newContext({
		baseURL: product.url,
		viewport: PHONE,
		locale: 'ru-RU',
		serviceWorkers: 'allow'
	});
	const phone: Phone = { context, page: await context.newPage() };
	await phone.page.goto(link);
	await expect(phone.page.getByTestId('program-list')).toBeVisible();
	const cards = phone.page.getByTestId('program-list').locator('li');
	await expect(cards).toHaveCount(2);
	const texts = await cards.allInnerTexts();
	// The same template title on both, told apart by the mentee.
	const title = 'Наставничество начинающих руководителей организаций на территории г. Томска';
	for (const t of texts) expect(t).toContain(title);
	const mentees = await phone.page.getByTestId('card-mentees').allInnerTexts();
	expect(mentees.map((m) => m.replace(/\s+/g, ' ')).sort()).toEqual([
		'Наставляемый: Кузнецов И. П.',
		'Наставляемый: Морозова О. С.'
	]);
	expect(texts[0]).not.toBe(texts[1]);
	await shots(phone.page, 'home-two-programs');

	// The program page says whose it is.
	await cards.filter({ hasText: 'Морозова О. С.' }).getByRole('link').click();
	await expect(phone.page.getByTestId('program-people')).toContainText(
		'Наставляемый: Морозова О. С.'
	);
	await expect(phone.page.getByTestId('program-people')).toContainText('Наставник: Соколова А. В.');

	// The curator's dashboard rows name the mentee under the title.
	const desk = await browser.newContext({
		baseURL: product.url,
		viewport: DESK,
		locale: 'ru-RU',
		storageState: await curator.api.storageState()
	});
	const page = await desk.newPage();
	await page.goto(`/curator?scope=organization:${curator.organizationId}`);
	for (const [id, mentee] of [
		[programs[0], 'Кузнецов И. П.'],
		[programs[1], 'Морозова О. С.']
	] as const) {
		const row = page.locator(`[data-testid="program-row"][data-program-id="${id}"]`);
		await expect(row.getByTestId('row-people')).toContainText(`Наставляемый: ${mentee}`);
		await expect(row.getByTestId('row-people')).toContainText('наставник: Соколова А. В.');
	}
	await page.getByTestId('program-row').first().scrollIntoViewIfNeeded();
	await shots(page, 'dashboard-rows-with-mentees');
	await page.goto(`/curator/program/${programs[1]}?scope=organization:${curator.organizationId}`);
	await expect(page.getByTestId('program-people')).toContainText('Наставляемый: Морозова О. С.');
	await desk.close();
	await phone.context.close();
});
