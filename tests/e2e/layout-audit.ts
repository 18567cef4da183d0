import { expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { fullPageScreenshot, SCREENSHOT_DIR } from './helpers';

export const DESK = { width: 1366, height: 800 } as const;
export const PHONE = { width: 360, height: 640 } as const;
export const SIZES = [
	[DESK, '1366x800'],
	[PHONE, '360x640']
] as const;

/**
 * What a person would call broken on the screen now, in words (empty: nothing). Runs in the page:
 * - the page scrolls sideways, or an element reaches past the viewport's edge (outside a
 *   container that scrolls or clips on purpose, e.g. a wide table in its own scroll box);
 * - a word broken across lines in a table cell, a button, a tab, a summary card or a chip: each
 *   word's rendered line boxes (Range.getClientRects) must all sit on one line. Breaks at spaces,
 *   hyphens, dashes, slashes and soft hyphens are line breaks between words, not inside one.
 * - raw codes on screen: `person.create`, enum keys such as `in-progress`, `устройство 6c1324a5`,
 *   ISO dates, `undefined`/`NaN`;
 * - Russian plurals that disagree with their number («1 программ», «3 этапа(ов)»).
 */
export async function layoutProblems(page: Page): Promise<string[]> {
	return page.evaluate(() => {
		const problems: string[] = [];
		const root = document.documentElement;
		const vw = root.clientWidth;
		const describe = (el: Element) => {
			const cls = typeof el.className === 'string' ? el.className.trim().split(/\s+/)[0] : '';
			const testId = el.getAttribute('data-testid');
			const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 50);
			return `<${el.tagName.toLowerCase()}${testId ? ` data-testid=${testId}` : ''}${cls ? ` .${cls}` : ''}> «${text}»`;
		};

		if (root.scrollWidth > root.clientWidth)
			problems.push(`the page scrolls sideways: ${root.scrollWidth} px wide in ${vw} px`);

		// A container that scrolls or clips its content sideways owns what is inside it.
		const clippedByAncestor = (el: Element) => {
			for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
				if (getComputedStyle(a).overflowX !== 'visible') return true;
			}
			return false;
		};
		const over: Element[] = [];
		for (const el of document.body.querySelectorAll('*')) {
			const r = el.getBoundingClientRect();
			if (r.width === 0 || r.height === 0) continue;
			if (r.right <= vw + 1 && r.left >= -1) continue;
			const s = getComputedStyle(el);
			if (s.visibility === 'hidden' || s.display === 'none') continue;
			if (clippedByAncestor(el)) continue;
			// Report the outermost element only: its children overflow because it does.
			if (over.some((o) => o.contains(el))) continue;
			over.push(el);
		}
		for (const el of over.slice(0, 8)) {
			const r = el.getBoundingClientRect();
			problems.push(
				`reaches past the ${vw} px viewport (${Math.round(r.left)}…${Math.round(r.right)}): ${describe(el)}`
			);
		}

		// Words broken mid-word.
		const hosts = document.body.querySelectorAll(
			'td, th, button, a.button, [role="tab"], summary, .card, .tag, .chip, .status, time'
		);
		const range = document.createRange();
		const broken = new Set<string>();
		for (const host of hosts) {
			if (!host.getClientRects().length) continue;
			const walker = document.createTreeWalker(host, NodeFilter.SHOW_TEXT);
			for (let n = walker.nextNode() as Text | null; n; n = walker.nextNode() as Text | null) {
				const words = n.data.matchAll(/[^\s\-\u00ad\u2010-\u2015/]+/g);
				for (const w of words) {
					if (w[0].length < 2) continue;
					// The line of the word's first and last letters (the widest box of each: a range at a
					// line's edge may also report an empty or hyphen-wide box on the line before).
					const letter = (i: number) => {
						range.setStart(n, i);
						range.setEnd(n, i + 1);
						const boxes = [...range.getClientRects()];
						return boxes.sort((a, b) => b.width - a.width)[0] ?? null;
					};
					const first = letter(w.index);
					const last = letter(w.index + w[0].length - 1);
					if (!first || !last || first.width < 0.5 || last.width < 0.5) continue;
					if (Math.abs(last.top - first.top) > first.height / 2)
						broken.add(`«${w[0]}» is broken across lines in ${describe(host)}`);
				}
			}
		}
		problems.push(...[...broken].slice(0, 12));

		// Raw codes and wrong plurals in the text people read.
		const text = document.body.innerText.replace(/https?:\/\/\S+/g, ' ').replace(/\S+@\S+/g, ' ');
		const codes: Array<[RegExp, string]> = [
			[/\b[a-z]+(?:-[a-z]+)*\.[a-z]+(?:[.-][a-z]+)*\b/g, 'a raw code'],
			[/\b[a-z]{2,}(?:-[a-z]{2,})+\b/g, 'an enum key'],
			[/устройств\S*\s+[0-9a-f]{6,}/gi, 'a device id'],
			[/\b\d{4}-\d{2}(?:-\d{2})?\b/g, 'an ISO date'],
			[/\b(?:undefined|null|NaN|\[object Object\])\b/g, 'a program value'],
			[/[а-яё]\([а-яё]{1,3}\)/gi, 'a word form in brackets']
		];
		for (const [re, what] of codes)
			for (const m of new Set(text.match(re) ?? [])) problems.push(`${what} on screen: «${m}»`);
		const rules = new Intl.PluralRules('ru-RU');
		// The form each word is: nominative/genitive forms a count may stand with.
		const FORMS: Record<string, 'one' | 'few' | 'many'> = {
			программа: 'one',
			программы: 'few',
			программ: 'many',
			наставников: 'many',
			наставника: 'few',
			наставник: 'one',
			наставляемых: 'many',
			наставляемый: 'one',
			этап: 'one',
			этапа: 'few',
			этапов: 'many',
			мероприятие: 'one',
			мероприятий: 'many',
			отчет: 'one',
			отчета: 'few',
			отчетов: 'many',
			день: 'one',
			дня: 'few',
			дней: 'many',
			месяц: 'one',
			месяца: 'few',
			месяцев: 'many',
			человек: 'many',
			изменение: 'one',
			изменения: 'few',
			изменений: 'many',
			пар: 'many',
			пары: 'few',
			пара: 'one'
		};
		// A figure in a table cell (after a tab) or a change («+1») is not a count of the next
		// row's first word; a card's figure above its label («1» / «Программ») is.
		for (const m of text.matchAll(/(?<![\d.,:/–+\t-])\b(\d+)\s+([а-яё]+)/gi)) {
			const n = Number(m[1]);
			const word = (m[2] ?? '').toLowerCase();
			const form = FORMS[word];
			if (!form || Number.isNaN(n)) continue;
			const want = rules.select(n);
			// «5 человек», «2 человека»: only a clear mismatch counts (one ↔ many).
			if ((want === 'one' && form === 'many') || (want === 'many' && form === 'one'))
				problems.push(`a plural that disagrees with its number: «${m[0]}»`);
		}
		return problems;
	});
}

/**
 * Saves the screen at the desk's size and a phone's (viewport and whole page), and records what is
 * broken at each (soft: every screen of a run is saved and reported, the test fails at its end).
 * `prepare` runs after each resize (e.g. to open the filter panel again).
 */
export async function auditScreen(
	page: Page,
	name: string,
	prepare?: (size: (typeof SIZES)[number][1]) => Promise<void>
): Promise<void> {
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	for (const [size, suffix] of SIZES) {
		await page.setViewportSize(size);
		await prepare?.(suffix);
		// The layout settles in a frame; fonts are local (a picture, not a timing assertion).
		await page.evaluate(
			() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))
		);
		await page.evaluate(() => scrollTo({ top: 0 }));
		await page.screenshot({ path: `${SCREENSHOT_DIR}/screens/${name}-${suffix}.png` });
		await fullPageScreenshot(page, `${SCREENSHOT_DIR}/screens/${name}-${suffix}-full.png`);
		expect.soft(await layoutProblems(page), `${name} at ${suffix}`).toEqual([]);
	}
}
