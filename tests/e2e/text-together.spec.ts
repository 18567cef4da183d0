import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import {
	expectSaved,
	openPhone as openPhoneAt,
	screenshot,
	syncStatus,
	tab,
	type Phone
} from './helpers';
import { productForFile } from './product';
// Seeds are never 0 here (rng's 0 stands for another seed): every run of a seed types the same way.
import { rng as random } from '../../src/lib/shared/program/fixtures';

/**
 * Two people typing into the same text field at the same time, as found in issue #16: mentor and
 * mentee on two phones (separate browser contexts), the built product and its real relay, real
 * key events at human speeds. Both must converge, each person's typed run must stay contiguous
 * and in order, and the caret must never jump into the partner's text.
 */
// Starting the built server and the CLI's setup can take over a minute on a loaded machine.
const app = productForFile({}, 180_000);
const { product } = app;

test.describe.configure({ mode: 'serial' });

const openPhone = (browser: Browser, link: string) => openPhoneAt(browser, product.url, link);

/** Puts the caret at `index` the way a person would: tap into the field, then arrow keys. */
async function placeCaret(page: Page, field: Locator, index: number): Promise<void> {
	await field.click();
	await page.keyboard.press('Control+Home');
	for (let i = 0; i < index; i++) await page.keyboard.press('ArrowRight');
	await expect
		.poll(() => field.evaluate((el) => (el as HTMLTextAreaElement).selectionStart))
		.toBe(index);
}

/**
 * Types `run` one key at a time (real key events; 20–200 ms between keys, from the seed). After
 * every key the caret must sit right after what this person typed so far: anything else means a
 * partner's change moved the caret or split the run.
 */
async function typeRun(
	who: string,
	page: Page,
	field: Locator,
	run: string,
	rnd: () => number,
	violations: string[]
): Promise<void> {
	for (let i = 0; i < run.length; i++) {
		await page.keyboard.type(run[i]!);
		const typed = run.slice(0, i + 1);
		const state = await field.evaluate((el) => {
			const t = el as HTMLTextAreaElement;
			return { value: t.value, start: t.selectionStart, end: t.selectionEnd };
		});
		if (state.start !== state.end || !state.value.slice(0, state.start).endsWith(typed)) {
			violations.push(
				`${who} after «${typed}»: caret ${state.start}–${state.end} in «${state.value}»`
			);
		}
		await page.waitForTimeout(20 + Math.floor(rnd() * 181));
	}
}

interface Scenario {
	name: string;
	seed: number;
	field: string;
	base: string;
	mentorRun: string;
	menteeRun: string;
	/** Caret positions in `base`; null: drawn from the seed. */
	mentorAt: number | 'end' | null;
	menteeAt: number | 'end' | null;
	/** The mentee types this burst offline and comes back while the mentor is still typing. */
	offlineBurst?: boolean;
}

const SCENARIOS: Scenario[] = [
	{
		name: 'as found: mentor at the end, mentee at the start',
		seed: 16,
		field: 'strengths',
		base: 'Начало. Конец.',
		mentorRun: ' Наставник: дописал в конец.',
		menteeRun: 'Наставляемый 1: ',
		mentorAt: 'end',
		menteeAt: 0
	},
	{
		name: 'both at the same place',
		seed: 2,
		field: 'difficulties',
		base: 'Затруднения: ',
		mentorRun: 'mentor-2 pishet;',
		menteeRun: 'mentee-2 tozhe.',
		mentorAt: 'end',
		menteeAt: 'end'
	},
	{
		name: 'random places',
		seed: 3,
		field: 'request',
		base: 'Запрос: освоить оценивание и дисциплину.',
		mentorRun: '[наставник 3]',
		menteeRun: '(наставляемый 3)',
		mentorAt: null,
		menteeAt: null
	},
	{
		name: 'random places, seed 4',
		seed: 4,
		field: 'goals',
		base: 'Цели: один, два, три.',
		mentorRun: '{m4 цель}',
		menteeRun: '<n4 цель>',
		mentorAt: null,
		menteeAt: null
	},
	{
		name: 'an offline burst',
		seed: 5,
		field: 'expectedResults',
		base: 'Результаты: ',
		mentorRun: 'наставник онлайн 5, печатает дальше.',
		menteeRun: 'без сети 5; ',
		mentorAt: 'end',
		menteeAt: 0,
		offlineBurst: true
	}
];

test('two people typing into the same field at the same time: runs stay whole, carets stay put', async ({
	browser
}) => {
	test.setTimeout(300_000);
	const pair = await app.curator.createPairProgram();
	const mentor = await openPhone(browser, pair.mentorLink);
	const mentee = await openPhone(browser, pair.menteeLink);
	await expectSaved(mentor.page);
	await expectSaved(mentee.page);
	await tab(mentor.page, 'Диагностика');
	await tab(mentee.page, 'Диагностика');

	for (const s of SCENARIOS) {
		await test.step(s.name, async () => {
			const rnd = random(s.seed);
			const mentorField = mentor.page.getByTestId(`diagnosis-${s.field}`);
			const menteeField = mentee.page.getByTestId(`diagnosis-${s.field}`);
			await mentorField.click();
			await mentor.page.keyboard.type(s.base);
			await expect(menteeField).toHaveValue(s.base);
			await expectSaved(mentor.page);

			const at = (p: number | 'end' | null) =>
				p === 'end' ? s.base.length : (p ?? Math.floor(rnd() * (s.base.length + 1)));
			const mentorAt = at(s.mentorAt);
			const menteeAt = at(s.menteeAt);
			await placeCaret(mentor.page, mentorField, mentorAt);
			await placeCaret(mentee.page, menteeField, menteeAt);

			const violations: string[] = [];
			const mentorRnd = random(s.seed * 1000 + 1);
			const menteeRnd = random(s.seed * 1000 + 2);
			if (s.offlineBurst) {
				await goOffline(mentee);
				await Promise.all([
					typeRun('mentor', mentor.page, mentorField, s.mentorRun, mentorRnd, violations),
					(async () => {
						await typeRun('mentee', mentee.page, menteeField, s.menteeRun, menteeRnd, violations);
						await mentee.context.setOffline(false);
					})()
				]);
			} else {
				await Promise.all([
					typeRun('mentor', mentor.page, mentorField, s.mentorRun, mentorRnd, violations),
					typeRun('mentee', mentee.page, menteeField, s.menteeRun, menteeRnd, violations)
				]);
			}

			await expectSaved(mentor.page);
			await expectSaved(mentee.page);
			const final = await mentorField.inputValue();
			await expect(menteeField).toHaveValue(final);
			const where = `mentor at ${mentorAt}, mentee at ${menteeAt}: «${final}»`;
			expect(final.split(s.mentorRun).length - 1, `mentor's run whole once; ${where}`).toBe(1);
			expect(final.split(s.menteeRun).length - 1, `mentee's run whole once; ${where}`).toBe(1);
			expect(final.replace(s.mentorRun, '').replace(s.menteeRun, ''), where).toBe(s.base);
			expect(violations, where).toEqual([]);
			if (s.seed === 16) {
				await screenshotField(mentor.page, mentorField, 'text-together-mentor');
				await screenshotField(mentee.page, menteeField, 'text-together-mentee');
			}
		});
	}

	await mentor.context.close();
	await mentee.context.close();
});

async function goOffline(phone: Phone): Promise<void> {
	await phone.context.setOffline(true);
	await expect(syncStatus(phone.page)).toHaveAttribute('data-phase', 'offline');
}

/** The phone's screen with the field in view (360×640), as the person sees it. */
async function screenshotField(page: Page, field: Locator, name: string): Promise<void> {
	await screenshot(page, name);
	await field.scrollIntoViewIfNeeded();
	await page.screenshot({ path: `tests/e2e/screenshots/${name}-field.png` });
}

test('the pending count equals the distinct edits the server has not acknowledged', async ({
	browser
}) => {
	const pair = await app.curator.createPairProgram();
	const mentee = await openPhone(browser, pair.menteeLink);
	await expectSaved(mentee.page);
	await tab(mentee.page, 'Диагностика');
	await goOffline(mentee);

	const expected = [
		'1 изменение ждёт отправки',
		'2 изменения ждут отправки',
		'3 изменения ждут отправки',
		'4 изменения ждут отправки',
		'5 изменений ждут отправки'
	];
	const fields = ['difficulties', 'request', 'strengths', 'goals', 'expectedResults'];
	for (const [i, name] of fields.entries()) {
		const field = mentee.page.getByTestId(`diagnosis-${name}`);
		await field.click();
		// Several keys in one field are one edit, however fast the next field follows.
		await mentee.page.keyboard.type('Правка');
		await expect(syncStatus(mentee.page)).toContainText(expected[i]!);
	}
	// A different kind of edit counts too.
	await tab(mentee.page, 'План');
	await mentee.page.getByTestId('activity').first().getByRole('checkbox').check();
	await expect(syncStatus(mentee.page)).toContainText('6 изменений ждут отправки');
	await screenshot(mentee.page, 'text-together-pending');

	await mentee.context.setOffline(false);
	await expectSaved(mentee.page);
	await mentee.context.close();
});

test('IME composition, paste and undo while the partner types', async ({ browser }) => {
	test.setTimeout(180_000);
	const pair = await app.curator.createPairProgram();
	const mentor = await openPhone(browser, pair.mentorLink);
	const mentee = await openPhone(browser, pair.menteeLink);
	await expectSaved(mentor.page);
	await expectSaved(mentee.page);
	await tab(mentor.page, 'Диагностика');
	await tab(mentee.page, 'Диагностика');
	const mentorField = mentor.page.getByTestId('diagnosis-request');
	const menteeField = mentee.page.getByTestId('diagnosis-request');
	await mentorField.click();
	await mentor.page.keyboard.type('Начало. Конец.');
	await expect(menteeField).toHaveValue('Начало. Конец.');

	// The mentor composes a word with an IME (as Android keyboards do for every word) at the end
	// while the mentee types at the start: nothing is written mid-composition, the composition
	// is never disturbed, and the committed word lands whole where it was composed.
	await placeCaret(mentor.page, mentorField, 'Начало. Конец.'.length);
	await placeCaret(mentee.page, menteeField, 0);
	const ime = await mentor.context.newCDPSession(mentor.page);
	const word = ' Наставник';
	const menteeRun = 'Сначала: ';
	const menteeRnd = random(77);
	const violations: string[] = [];
	const typing = typeRun('mentee', mentee.page, menteeField, menteeRun, menteeRnd, violations);
	for (let i = 1; i <= word.length; i++) {
		await ime.send('Input.imeSetComposition', {
			text: word.slice(0, i),
			selectionStart: i,
			selectionEnd: i
		});
		const v = await mentorField.inputValue();
		if (!v.endsWith(word.slice(0, i))) violations.push(`composition broken: «${v}»`);
		await mentor.page.waitForTimeout(150);
	}
	await typing;
	// The partner's keystrokes arrived, but the field waits for the composition to end.
	await ime.send('Input.insertText', { text: word });
	const expected = `${menteeRun}Начало. Конец.${word}`;
	await expect(mentorField).toHaveValue(expected);
	await expect(menteeField).toHaveValue(expected);
	expect(violations).toEqual([]);
	const caret = await mentorField.evaluate((el) => (el as HTMLTextAreaElement).selectionStart);
	expect(caret).toBe(expected.length);

	// The mentee selects «Начало» and pastes over it while the mentor goes on typing at the end.
	await mentee.context.grantPermissions(['clipboard-read', 'clipboard-write']);
	await mentee.page.evaluate(() => navigator.clipboard.writeText('Начальный вариант'));
	await placeCaret(mentee.page, menteeField, menteeRun.length);
	for (let i = 0; i < 'Начало'.length; i++) await mentee.page.keyboard.press('Shift+ArrowRight');
	await Promise.all([
		typeRun('mentor', mentor.page, mentorField, ' и ещё', random(78), violations),
		mentee.page.keyboard.press('ControlOrMeta+V')
	]);
	const afterPaste = `${menteeRun}Начальный вариант. Конец.${word} и ещё`;
	await expect(mentorField).toHaveValue(afterPaste);
	await expect(menteeField).toHaveValue(afterPaste);
	expect(violations).toEqual([]);

	// Undo in the field undoes the person's own last edit only (their Y.UndoManager), never the
	// partner's typing, and redo brings it back.
	await expectSaved(mentee.page);
	await mentee.page.waitForTimeout(700); // past the undo manager's capture window: a new step
	await menteeField.press('Control+End');
	await mentee.page.keyboard.type('!');
	await expect(mentorField).toHaveValue(afterPaste + '!');
	await mentee.page.keyboard.press('ControlOrMeta+Z');
	await expect(menteeField).toHaveValue(afterPaste);
	await expect(mentorField).toHaveValue(afterPaste);
	await mentee.page.keyboard.press('ControlOrMeta+Shift+Z');
	await expect(mentorField).toHaveValue(afterPaste + '!');
	await screenshotField(mentee.page, menteeField, 'text-together-after-paste');

	await mentor.context.close();
	await mentee.context.close();
});
