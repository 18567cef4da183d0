/**
 * The first paint of a returning visit: the screen as the person last saw it, painted by the
 * page's HTML before any script of the app has loaded, then replaced by the app in one frame.
 *
 * Without it, a screen shows nothing until the whole app has started (`ssr = false`: the HTML is
 * an empty shell), read the device's storage and rendered — on a phone with slow 4G, 2–3 s of a
 * blank page, and on an installed app opened offline, Yjs applying a two-year program's history
 * first. The home screen and a program's screen save what they show (the markup, the
 * stylesheets it needs) when they are left and once rendered; the next load of the same address
 * with the same build paints it at once (`src/app.html`, before the app's scripts are fetched),
 * inert and hidden from assistive technology, until the page calls `releaseFirstPaint()` in
 * the task in which its own content is on screen.
 *
 * Kept in localStorage under `nastavnik.first-paint:<path>` (forgotten on sign-out): the same
 * content the device keeps in IndexedDB, as it looked; at most MAX_SCREENS of them. The markup is the app's own rendered DOM serialized (text escaped),
 * with no scripts, and the server's CSP runs no inline handler.
 */

/** Also spelled in `src/app.html`'s boot scripts (a test checks they agree). */
export const FIRST_PAINT_KEY = 'nastavnik.first-paint:';
/** The element the boot script paints into; also the class on <html> that hides the app meanwhile. */
export const FIRST_PAINT_ID = 'first-paint';
const HOLD_CLASS = FIRST_PAINT_ID;
/** Larger screens are not worth a synchronous read before the first paint: not saved. */
const MAX_CHARS = 150_000;
/** At most this many screens are kept (the home screen and the last programs opened). */
const MAX_SCREENS = 6;
const INDEX_KEY = 'nastavnik.first-paint-index';

interface Saved {
	/** Addresses (path + hash) that open this screen as saved. */
	urls: string[];
	/** The build that rendered it (its entry's URL): another build's classes and styles differ. */
	build: string;
	css: string[];
	/**
	 * The app's modules this screen's load imported before it rendered: the next load of the same
	 * build preloads them with the entry's own, so the screen's chunks are not a second round of
	 * requests after the router has started (offline they were asked for 221–263 ms after navigation,
	 * the entry's own 151–211: docs/benchmarks.md, "The offline cold start: fewer requests, one render").
	 */
	modules: string[];
	html: string;
	savedAt: number;
}

/**
 * The running build, as the boot script reads it too: the URL of SvelteKit's app entry (its
 * preload link, which app.html rewrites with an absolute URL before the app starts, so a
 * navigation within the app does not change what it resolves to).
 */
export function buildId(): string {
	const entry = document.querySelector<HTMLLinkElement>('link[href*="/entry/app."]');
	return entry?.href ?? '';
}

let released = false;
/** The app's modules loaded when the first screen rendered (see Saved.modules). */
let startModules: string[] = [];
/** This load painted a stored screen: the device has one already, refreshed when the page is hidden. */
let painted = false;
let provider: (() => string[] | null) | null = null;

/** True while the stored screen is still shown in place of the app. */
export function firstPaintShown(): boolean {
	return !released && document.getElementById(FIRST_PAINT_ID) !== null;
}

/**
 * Replaces the stored screen with the app's: call in the same task in which the page's content
 * is rendered (after `await tick()`), so that no frame shows neither or both.
 */
export function releaseFirstPaint(): void {
	if (released) return;
	released = true;
	startModules = loadedModules();
	const shown = document.getElementById(FIRST_PAINT_ID);
	painted = shown !== null;
	shown?.remove();
	document.documentElement.classList.remove(HOLD_CLASS);
}

/**
 * Keeps the screen on display for the next load; call once its content is rendered. `urls` says
 * at which addresses it is the first screen then (null: not now). Saved whenever the page is
 * hidden or left; returns the function that stops keeping it (the screen is left for another
 * within the app).
 */
export function keepFirstPaint(urls: () => string[] | null): () => void {
	provider = urls;
	const onHide = () => {
		if (document.visibilityState === 'hidden') saveFirstPaint();
	};
	document.addEventListener('visibilitychange', onHide);
	addEventListener('pagehide', saveFirstPaint);
	// A moment after the first visit's render (a phone may never hide the page cleanly); a load
	// that painted a stored screen has one, and saves when hidden (no extra work while it starts).
	const soon = painted ? undefined : setTimeout(saveFirstPaint, 1500);
	return () => {
		clearTimeout(soon);
		document.removeEventListener('visibilitychange', onHide);
		removeEventListener('pagehide', saveFirstPaint);
		if (provider === urls) provider = null;
	};
}

/**
 * A screen's part in the first paint, for a page component: `rendered` in the task that rendered
 * its content (after `await tick()`: it replaces the stored screen and is kept for the next load,
 * unless the page was left meanwhile), `left` from `onDestroy`.
 */
export function firstPaintScreen(): { rendered(urls: () => string[] | null): void; left(): void } {
	let stop: (() => void) | null = null;
	let gone = false;
	return {
		rendered(urls) {
			releaseFirstPaint();
			if (!gone) stop = keepFirstPaint(urls);
		},
		left() {
			gone = true;
			stop?.();
			// Left before its content was read: the app's screen replaces the stored one anyway.
			releaseFirstPaint();
		}
	};
}

/** Saves the current screen for its addresses, when it is rendered and small enough. */
export function saveFirstPaint(): void {
	const urls = provider?.();
	if (!urls || !urls.length || firstPaintShown()) return;
	const path = new URL(urls[0] ?? '', location.href).pathname;
	try {
		const html = capture();
		if (html === null || html.length > MAX_CHARS) {
			localStorage.removeItem(FIRST_PAINT_KEY + path);
			return;
		}
		const saved: Saved = {
			urls,
			build: buildId(),
			css: stylesheets(),
			modules: startModules,
			html,
			savedAt: Date.now()
		};
		localStorage.setItem(FIRST_PAINT_KEY + path, JSON.stringify(saved));
		remember(path);
	} catch (error) {
		// Storage full or unavailable: the next load starts as before, from a blank shell.
		console.warn('first paint not saved', error);
	}
}

/** At most this many modules are preloaded from a stored screen (the program screen loads ~50). */
const MAX_MODULES = 120;

/** The app's own scripts loaded so far (hashed, immutable files of this build), by URL. */
function loadedModules(): string[] {
	const prefix = `${location.origin}/_app/immutable/`;
	const urls = new Set<string>();
	for (const entry of performance.getEntriesByType('resource'))
		if (
			entry.name.startsWith(prefix) &&
			entry.name.endsWith('.js') &&
			!entry.name.includes('/workers/')
		)
			urls.add(entry.name);
	return [...urls].slice(0, MAX_MODULES);
}

/**
 * The stylesheets applied now, by the URL each was loaded from. Not the links' `href`: a
 * prerendered page links `./_app/…`, which after a navigation within the app (/invite → /program/…)
 * resolves against the new address to a file that does not exist. A sheet that failed to load has
 * no `sheet` and is left out.
 */
function stylesheets(): string[] {
	const hrefs = new Set<string>();
	for (const sheet of document.styleSheets)
		if (sheet.href && !sheet.disabled) hrefs.add(sheet.href);
	return [...hrefs];
}

/**
 * The app's markup as shown, without its scripts, notices or anything test- or id-addressed, and
 * without what lies below the first screen and a half: only the top of a long page is seen
 * before the app takes over, and the rest would cost the first paint parsing and layout.
 */
function capture(): string | null {
	const app = document.querySelector<HTMLElement>('.app');
	if (!app) return null;
	const clone = app.cloneNode(true) as HTMLElement;
	const fold = innerHeight * 1.5;
	const liveAll = app.querySelectorAll('*');
	const cloneAll = clone.querySelectorAll('*');
	const below: Element[] = [];
	liveAll.forEach((el, i) => {
		const parent = el.parentElement;
		const top = el.getBoundingClientRect().top + scrollY;
		// The first element of a branch that starts below the fold (its parent starts above it).
		if (top > fold && parent && parent.getBoundingClientRect().top + scrollY <= fold) {
			const copy = cloneAll[i];
			if (copy && getComputedStyle(el).position !== 'fixed') below.push(copy);
		}
	});
	// Form state lives in properties that markup does not carry: copy it into attributes.
	const live = app.querySelectorAll<HTMLElement>('input, textarea, select, progress');
	const copies = clone.querySelectorAll<HTMLElement>('input, textarea, select, progress');
	live.forEach((el, i) => {
		const copy = copies[i];
		if (!copy) return;
		if (el instanceof HTMLInputElement && copy instanceof HTMLInputElement) {
			if (el.type === 'checkbox' || el.type === 'radio')
				copy.toggleAttribute('checked', el.checked);
			else if (el.type !== 'password' && el.type !== 'file') copy.setAttribute('value', el.value);
		} else if (el instanceof HTMLTextAreaElement) copy.textContent = el.value;
		else if (el instanceof HTMLSelectElement && copy instanceof HTMLSelectElement)
			[...copy.options].forEach((o, j) => o.toggleAttribute('selected', j === el.selectedIndex));
		else if (el instanceof HTMLProgressElement) copy.setAttribute('value', String(el.value));
	});
	for (const node of below) node.remove();
	for (const node of clone.querySelectorAll('script, template, [data-first-paint="skip"]'))
		node.remove();
	// Ids and test ids belong to the app's own elements: the stored copy shares neither.
	for (const node of clone.querySelectorAll('[id], [data-testid]')) {
		node.removeAttribute('id');
		node.removeAttribute('data-testid');
	}
	return clone.innerHTML;
}

/** Keeps the list of saved screens to MAX_SCREENS, the least recently saved dropped. */
function remember(path: string): void {
	let paths: string[] = [];
	try {
		const parsed: unknown = JSON.parse(localStorage.getItem(INDEX_KEY) ?? '[]');
		if (Array.isArray(parsed)) paths = parsed.filter((p): p is string => typeof p === 'string');
	} catch {
		// A damaged index: start a new one.
	}
	paths = [path, ...paths.filter((p) => p !== path)];
	for (const old of paths.slice(MAX_SCREENS)) localStorage.removeItem(FIRST_PAINT_KEY + old);
	localStorage.setItem(INDEX_KEY, JSON.stringify(paths.slice(0, MAX_SCREENS)));
}

/** Forgets the screen stored for a path (the program is no longer open on this device). */
export function forgetFirstPaint(path: string): void {
	try {
		localStorage.removeItem(FIRST_PAINT_KEY + path);
	} catch {
		// No storage: nothing stored either.
	}
}

/** Forgets every stored screen (signing out: the next person's first paint is not the last one's). */
export function forgetFirstPaints(): void {
	try {
		for (let i = localStorage.length - 1; i >= 0; i--) {
			const key = localStorage.key(i);
			if (key?.startsWith(FIRST_PAINT_KEY) || key === INDEX_KEY) localStorage.removeItem(key);
		}
	} catch {
		// No storage: nothing stored either.
	}
}
