import { expect, test, type Browser, type CDPSession, type Page } from '@playwright/test';
// Seeds are never 0 here (rng's 0 stands for another seed): every run of a seed types the same way.
import { rng as random } from '../../src/lib/shared/program/fixtures';
import { pageBundle } from '../support/page-bundle';

/**
 * The textarea ↔ Y.Text binding (src/lib/workspace/text-binding.ts) tested as hard as a binding
 * library would be, in real Chromium: two people, each in a browser context of their own with
 * a <textarea> bound to their own Y.Doc, joined by a network the test controls (random delays,
 * in order, and a switch to cut one person off). Real key events, real IME composition (CDP),
 * real clipboard paste and a real Y.UndoManager. No server: the app-level flows are in
 * text-together.spec.ts.
 */

let bundle = '';
test.beforeAll(async () => {
	bundle = await pageBundle(`import * as Y from 'yjs';
import { bindText } from './src/lib/workspace/text-binding';
Object.assign(window, { Y, bindText });`);
});

interface Person {
	name: string;
	page: Page;
	close(): Promise<void>;
}

/** Two people joined by a network of the test: each update arrives after a random delay, in order. */
class Network {
	readonly offline = new Set<string>();
	#queues = new Map<string, Promise<void>>();
	#held = new Map<string, number[][]>();
	readonly people = new Map<string, Person>();
	constructor(
		readonly rnd: () => number,
		readonly maxDelay: number
	) {}

	send(from: string, update: number[]): void {
		for (const [name] of this.people) {
			if (name === from) continue;
			if (this.offline.has(from) || this.offline.has(name)) {
				const key = `${from}>${name}`;
				this.#held.set(key, [...(this.#held.get(key) ?? []), update]);
				continue;
			}
			this.#deliver(from, name, update);
		}
	}

	#deliver(from: string, to: string, update: number[]): void {
		const key = `${from}>${to}`;
		const delay = Math.floor(this.rnd() * this.maxDelay);
		const previous = this.#queues.get(key) ?? Promise.resolve();
		const next = previous
			.then(() => new Promise((r) => setTimeout(r, delay)))
			.then(() => this.people.get(to)!.page.evaluate((u) => window.receive(u), update))
			.catch(() => {});
		this.#queues.set(key, next);
	}

	/** Back online: everything held travels (as y-websocket's sync step would carry it). */
	reconnect(name: string): void {
		this.offline.delete(name);
		for (const [key, updates] of [...this.#held]) {
			const [from, to] = key.split('>') as [string, string];
			if (this.offline.has(from) || this.offline.has(to)) continue;
			this.#held.delete(key);
			for (const u of updates) this.#deliver(from, to, u);
		}
	}

	async settle(): Promise<void> {
		for (;;) {
			const all = [...this.#queues.values()];
			await Promise.all(all);
			if ([...this.#queues.values()].every((q, i) => q === all[i])) return;
		}
	}
}

declare global {
	interface Window {
		receive(update: number[]): void;
		setup(options: { rejectLongerThan?: number }): void;
		textValue(): string;
		undoSteps(): number;
		Y: typeof import('yjs');
		bindText: typeof import('../../src/lib/workspace/text-binding').bindText;
		__send(update: number[]): Promise<void>;
	}
}

async function person(browser: Browser, net: Network, name: string): Promise<Person> {
	const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
	const page = await context.newPage();
	page.on('pageerror', (error) => console.error(`[${name}]`, error.message));
	await page.exposeFunction('__send', (update: number[]) => net.send(name, update));
	// Served as http://localhost (a secure context, so the clipboard API works), from the test.
	await page.route('http://localhost/binding', (route) =>
		route.fulfill({
			contentType: 'text/html; charset=utf-8',
			body: '<!doctype html><meta charset="utf-8"><textarea rows="4" style="width:100%;font:16px sans-serif"></textarea>'
		})
	);
	await page.goto('http://localhost/binding');
	await page.addScriptTag({ content: bundle });
	await page.evaluate(() => {
		window.setup = ({ rejectLongerThan = Infinity }) => {
			const Y = window.Y;
			const doc = new Y.Doc();
			const text = doc.getText('t');
			const me = { me: true };
			doc.on('update', (update: Uint8Array, origin: unknown) => {
				if (origin !== 'remote') void window.__send(Array.from(update));
			});
			window.receive = (u) => Y.applyUpdate(doc, Uint8Array.from(u), 'remote');
			const undo = new Y.UndoManager(text, { trackedOrigins: new Set([me]), captureTimeout: 0 });
			window.textValue = () => text.toString();
			window.undoSteps = () => undo.undoStack.length;
			window.bindText(
				document.querySelector('textarea')!,
				text,
				(index, deleteCount, insert) => {
					if (text.length - deleteCount + insert.length > rejectLongerThan)
						throw new Error('too long');
					doc.transact(() => {
						if (deleteCount) text.delete(index, deleteCount);
						if (insert) text.insert(index, insert);
					}, me);
				},
				{ undo, onError: () => {} }
			);
		};
	});
	const p: Person = { name, page, close: () => context.close() };
	net.people.set(name, p);
	return p;
}

async function pair(browser: Browser, net: Network, opts: { rejectLongerThan?: number } = {}) {
	const a = await person(browser, net, 'a');
	const b = await person(browser, net, 'b');
	await a.page.evaluate((o) => window.setup(o), opts);
	await b.page.evaluate((o) => window.setup(o), opts);
	return { a, b, close: async () => (await a.close(), await b.close()) };
}

const field = (p: Person) => p.page.locator('textarea');
const caret = (p: Person) =>
	field(p).evaluate((el) => {
		const t = el as HTMLTextAreaElement;
		return { value: t.value, start: t.selectionStart, end: t.selectionEnd };
	});

async function placeCaret(p: Person, index: number, selectTo = index): Promise<void> {
	await field(p).click();
	await p.page.keyboard.press('Control+Home');
	for (let i = 0; i < index; i++) await p.page.keyboard.press('ArrowRight');
	for (let i = index; i < selectTo; i++) await p.page.keyboard.press('Shift+ArrowRight');
	expect(await caret(p)).toMatchObject({ start: index, end: selectTo });
}

/** Types with real key events; after each key the caret must follow this person's own run. */
async function typeRun(p: Person, run: string, rnd: () => number, maxGap: number, bad: string[]) {
	let typed = '';
	for (const ch of run) {
		if (ch === '\b') {
			await p.page.keyboard.press('Backspace');
			typed = typed.slice(0, -1);
		} else {
			await p.page.keyboard.type(ch);
			typed += ch;
		}
		const c = await caret(p);
		if (c.start !== c.end || !c.value.slice(0, c.start).endsWith(typed))
			bad.push(`${p.name} after «${typed}»: caret ${c.start} in «${c.value}»`);
		if (maxGap) await p.page.waitForTimeout(Math.floor(rnd() * maxGap));
	}
	return typed;
}

async function converged(a: Person, b: Person, net: Network): Promise<string> {
	await net.settle();
	const value = await field(a).inputValue();
	await expect(field(b)).toHaveValue(value);
	expect(await a.page.evaluate(() => window.textValue())).toBe(value);
	expect(await b.page.evaluate(() => window.textValue())).toBe(value);
	return value;
}

/** Whether `value` is `base` with `runA` and `runB` each inserted whole somewhere. */
function splitsInto(value: string, runA: string, runB: string, base: string): boolean {
	for (let i = value.indexOf(runA); i >= 0; i = value.indexOf(runA, i + 1)) {
		const rest = value.slice(0, i) + value.slice(i + runA.length);
		for (let j = rest.indexOf(runB); j >= 0; j = rest.indexOf(runB, j + 1))
			if (rest.slice(0, j) + rest.slice(j + runB.length) === base) return true;
	}
	return false;
}

const BASES = ['Начало. Конец.', 'Затруднения: ', '', 'один два три четыре', 'ааааа'];
const RUNS_A = ['Наставник: дописал.', 'mentor-a typing', 'аа\bб', 'ааа ааа'];
const RUNS_B = ['Наставляемый: ', 'mentee b types', 'ааа', 'б\b\bвв'];

for (let seed = 1; seed <= 6; seed++) {
	test(`seed ${seed}: two people type at random places and speeds; runs stay whole, carets stay`, async ({
		browser
	}) => {
		const rnd = random(seed);
		const net = new Network(random(seed + 100), 120);
		const { a, b, close } = await pair(browser, net);
		const base = BASES[seed % BASES.length]!;
		await field(a).click();
		await a.page.keyboard.type(base);
		expect(await converged(a, b, net)).toBe(base);

		const at = () => Math.floor(rnd() * (base.length + 1));
		const [posA, posB] = seed % 4 === 0 ? [base.length, base.length] : [at(), at()];
		await placeCaret(a, posA);
		await placeCaret(b, posB);
		const bad: string[] = [];
		const runA = RUNS_A[seed % RUNS_A.length]!;
		const runB = RUNS_B[(seed >> 1) % RUNS_B.length]!;
		const offline = seed % 3 === 0;
		if (offline) net.offline.add('b');
		const [typedA, typedB] = await Promise.all([
			typeRun(a, runA, random(seed + 1), 60, bad),
			typeRun(b, runB, random(seed + 2), 60, bad).then((t) => {
				if (offline) net.reconnect('b');
				return t;
			})
		]);
		const value = await converged(a, b, net);
		const where = `a at ${posA}, b at ${posB}: «${value}»`;
		// Both runs whole, the rest is the base untouched.
		expect(splitsInto(value, typedA, typedB, base), where).toBe(true);
		expect(bad, where).toEqual([]);
		await close();
	});
}

test('a selection keeps its characters when the partner edits before it and inside it', async ({
	browser
}) => {
	const net = new Network(random(9), 0);
	const { a, b, close } = await pair(browser, net);
	await field(a).click();
	await a.page.keyboard.type('один два три');
	await converged(a, b, net);
	await placeCaret(a, 5, 8); // «два»
	await placeCaret(b, 0);
	await b.page.keyboard.type('ноль ');
	await converged(a, b, net);
	let c = await caret(a);
	expect(c.value.slice(c.start, c.end)).toBe('два');
	// The partner deletes before it, and types inside it.
	await b.page.keyboard.press('Control+Home');
	for (let i = 0; i < 5; i++) await b.page.keyboard.press('Delete');
	await converged(a, b, net);
	c = await caret(a);
	expect(c.value.slice(c.start, c.end)).toBe('два');
	// Typing over the selection replaces exactly it.
	await a.page.keyboard.type('2');
	expect(await converged(a, b, net)).toBe('один 2 три');
	await close();
});

test('a partner deleting the text around the caret leaves it where the deletion was', async ({
	browser
}) => {
	const net = new Network(random(10), 0);
	const { a, b, close } = await pair(browser, net);
	await field(a).click();
	await a.page.keyboard.type('раз два три');
	await converged(a, b, net);
	await placeCaret(a, 6); // inside «два»
	await placeCaret(b, 4, 8);
	await b.page.keyboard.press('Backspace');
	expect(await converged(a, b, net)).toBe('раз три');
	expect(await caret(a)).toMatchObject({ start: 4, end: 4 });
	await a.page.keyboard.type('X');
	expect(await converged(a, b, net)).toBe('раз Xтри');
	await close();
});

async function compose(p: Person): Promise<CDPSession> {
	return p.page.context().newCDPSession(p.page);
}

test('IME: nothing is written or disturbed mid-composition; the word lands where it was composed', async ({
	browser
}) => {
	const net = new Network(random(11), 0);
	const { a, b, close } = await pair(browser, net);
	await field(a).click();
	await a.page.keyboard.type('Начало. Конец.');
	await converged(a, b, net);
	await placeCaret(a, 8); // before «Конец»
	await placeCaret(b, 0);
	const ime = await compose(a);
	const word = 'Середина ';
	for (let i = 1; i <= word.length; i++) {
		await ime.send('Input.imeSetComposition', {
			text: word.slice(0, i),
			selectionStart: i,
			selectionEnd: i
		});
		if (i === 3) {
			// The partner types at the start while the word is being composed.
			await b.page.keyboard.type('Сначала: ');
			await net.settle();
		}
		// The composition stays as composed, and nothing of it reached the document yet.
		expect(await field(a).inputValue()).toBe(`Начало. ${word.slice(0, i)}Конец.`);
		expect(await a.page.evaluate(() => window.textValue())).toBe(
			i >= 3 ? 'Сначала: Начало. Конец.' : 'Начало. Конец.'
		);
	}
	await ime.send('Input.insertText', { text: word });
	const expected = 'Сначала: Начало. Середина Конец.';
	expect(await converged(a, b, net)).toBe(expected);
	// The caret is right after the committed word.
	expect(await caret(a)).toMatchObject({ start: 26, end: 26 });
	await a.page.keyboard.type('!');
	expect(await converged(a, b, net)).toBe('Сначала: Начало. Середина !Конец.');
	await close();
});

test('IME: a composition cancelled to nothing writes nothing; held remote changes then show', async ({
	browser
}) => {
	const net = new Network(random(12), 0);
	const { a, b, close } = await pair(browser, net);
	await field(a).click();
	await a.page.keyboard.type('abc');
	await converged(a, b, net);
	await placeCaret(b, 0);
	const ime = await compose(a);
	await ime.send('Input.imeSetComposition', { text: 'xyz', selectionStart: 3, selectionEnd: 3 });
	await b.page.keyboard.type('Q');
	await net.settle();
	expect(await field(a).inputValue()).toBe('abcxyz');
	await ime.send('Input.imeSetComposition', { text: '', selectionStart: 0, selectionEnd: 0 });
	expect(await converged(a, b, net)).toBe('Qabc');
	expect(await caret(a)).toMatchObject({ start: 4, end: 4 });
	await close();
});

test('paste over a selection replaces exactly it while the partner types before it', async ({
	browser
}) => {
	const net = new Network(random(13), 80);
	const { a, b, close } = await pair(browser, net);
	await a.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
	await field(a).click();
	await a.page.keyboard.type('один два три');
	await converged(a, b, net);
	await a.page.evaluate(() => navigator.clipboard.writeText('дважды'));
	await placeCaret(a, 5, 8);
	await placeCaret(b, 0);
	const bad: string[] = [];
	await Promise.all([
		typeRun(b, 'ноль ', random(14), 40, bad),
		a.page.keyboard.press('ControlOrMeta+V')
	]);
	expect(await converged(a, b, net)).toBe('ноль один дважды три');
	expect(bad).toEqual([]);
	await close();
});

test("Ctrl+Z undoes this person's own typing only, Ctrl+Shift+Z and Ctrl+Y redo it", async ({
	browser
}) => {
	const net = new Network(random(15), 0);
	const { a, b, close } = await pair(browser, net);
	await field(a).click();
	await a.page.keyboard.type('AAA');
	await converged(a, b, net);
	await placeCaret(b, 3);
	await b.page.keyboard.type('BBB');
	await converged(a, b, net);
	const steps = await a.page.evaluate(() => window.undoSteps());
	expect(steps).toBeGreaterThan(0);
	await field(a).focus();
	for (let i = 0; i < steps; i++) await a.page.keyboard.press('Control+z');
	expect(await converged(a, b, net)).toBe('BBB');
	await a.page.keyboard.press('Control+Shift+Z');
	await a.page.keyboard.press('Control+y');
	const redone = await converged(a, b, net);
	expect(redone.includes('BBB')).toBe(true);
	expect(redone.length).toBeGreaterThan(3);
	await close();
});

test('a rejected edit shows the stored text again and loses nothing stored', async ({
	browser
}) => {
	const net = new Network(random(16), 0);
	const { a, b, close } = await pair(browser, net, { rejectLongerThan: 5 });
	await field(a).click();
	await a.page.keyboard.type('12345');
	await converged(a, b, net);
	await placeCaret(a, 2);
	await a.page.keyboard.type('6');
	expect(await converged(a, b, net)).toBe('12345');
	expect(await caret(a)).toMatchObject({ value: '12345', start: 2, end: 2 });
	await a.page.keyboard.press('Backspace');
	expect(await converged(a, b, net)).toBe('1345');
	await close();
});
