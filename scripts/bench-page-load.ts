/**
 * `npm run bench:page-load`: the main thread of a page's load at Lighthouse's CPU slowdown (4×),
 * for two or more client builds whose loads alternate — a before/after that the machine's drift
 * cannot favour. Lighthouse's score moved by 0.75–0.87 between runs of one build on a slow machine
 * (docs/benchmarks.md, "The program page without ICU's first format"): more than the changes it
 * was to judge.
 *
 * Each build is served by its own product (the built server with `CLIENT_DIR` set to that build's
 * client, a fresh data directory, the demo seed); its first mentor signs in and opens the program
 * once in a browser context of that build (`demoMentorDevice`), as a phone in use. Each load then
 * clears the service worker, Cache Storage and the HTTP cache (as Lighthouse does), throttles the
 * CPU 4× (CDP) and records every long task (PerformanceObserver) for 5 s.
 *
 * Options (environment): BENCH_CLIENTS the client directories, comma-separated (default
 * `build/client`; another checkout's `…/build/client` for a before/after), BENCH_RUNS loads per
 * build (default 10), BENCH_PAGE `program` (default) or `home`.
 * Prints per build the medians of: blocking time (each long task's excess over 50 ms, summed: what
 * Lighthouse calls TBT, without its simulation), the long tasks' total, the longest task, and when
 * the program was rendered (the screen's performance mark).
 */
import { chromium, type BrowserContext } from '@playwright/test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Product } from '../tests/e2e/product';
import { demoMentorDevice } from './bench-demo-device';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/support/chromium';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const CLIENTS = (process.env.BENCH_CLIENTS ?? 'build/client').split(',');
const PAGE = process.env.BENCH_PAGE === 'home' ? 'home' : 'program';
/** How long a load is watched: the program's load ends well before (1.2–1.7 s at 4× here). */
const WATCH_MS = 5_000;

interface Load {
	blocking: number;
	long: number;
	longest: number;
	rendered: number;
}
interface Side {
	client: string;
	product: Product;
	context: BrowserContext;
	path: string;
	loads: Load[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** A product serving `client`, and a browser context holding its mentor's account and program. */
async function side(browser: Awaited<ReturnType<typeof chromium.launch>>, client: string) {
	const product = new Product({ CLIENT_DIR: client });
	await product.start();
	// A phone's screen (Lighthouse's mobile preset: a Moto G Power).
	const context = await browser.newContext({ viewport: { width: 412, height: 823 } });
	const programPath = await demoMentorDevice(product, context);
	await context.addInitScript(() => {
		const w = window as unknown as { benchLongTasks: number[] };
		w.benchLongTasks = [];
		new PerformanceObserver((list) => {
			for (const entry of list.getEntries()) w.benchLongTasks.push(entry.duration);
		}).observe({ type: 'longtask', buffered: true });
	});
	return { client, product, context, path: PAGE === 'home' ? '/' : programPath, loads: [] };
}

async function load(s: Side): Promise<Load> {
	const page = await s.context.newPage();
	const cdp = await s.context.newCDPSession(page);
	await cdp.send('Storage.clearDataForOrigin', {
		origin: s.product.url,
		storageTypes: 'service_workers,cache_storage'
	});
	// And the HTTP cache, as Lighthouse does: with it, V8's code cache spared the loads after a
	// context's first the compilation of the app's scripts (the first had 6 long tasks of 99–138 ms
	// at 4×, the next ones 2–3 of 57–108).
	await cdp.send('Network.clearBrowserCache');
	await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
	await page.goto(s.product.url + s.path);
	await sleep(WATCH_MS);
	const { tasks, rendered } = await page.evaluate(() => ({
		tasks: (window as unknown as { benchLongTasks: number[] }).benchLongTasks,
		rendered: performance.getEntriesByName('nastavnik:program-rendered')[0]?.startTime ?? NaN
	}));
	await page.close();
	return {
		blocking: tasks.reduce((sum, d) => sum + Math.max(0, d - 50), 0),
		long: tasks.reduce((sum, d) => sum + d, 0),
		longest: Math.max(0, ...tasks),
		rendered
	};
}

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const sides: Side[] = [];
try {
	for (const client of CLIENTS) sides.push(await side(browser, client));
	// Alternating, and in reverse order every other round: neither build always goes first.
	for (let run = 0; run < RUNS; run++)
		for (const s of run % 2 ? [...sides].reverse() : sides) s.loads.push(await load(s));
	console.log(`\n${PAGE} page, ${RUNS} loads per build at 4×, medians (ms)\n`);
	console.log('| client | blocking | long tasks | longest | rendered at | blocking per load |');
	console.log('| --- | --- | --- | --- | --- | --- |');
	for (const s of sides) {
		const m = (k: keyof Load) => {
			const value = median(s.loads.map((l) => l[k]));
			return Number.isNaN(value) ? '—' : value.toFixed(0);
		};
		const each = s.loads.map((l) => l.blocking.toFixed(0)).join(' ');
		console.log(
			`| ${s.client} | ${m('blocking')} | ${m('long')} | ${m('longest')} | ${m('rendered')} | ${each} |`
		);
	}
} finally {
	await browser.close();
	for (const s of sides) await s.product.dispose();
}
