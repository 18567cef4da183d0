/**
 * `npm run bench:client`: what a phone pays to open the app, measured in Chromium against the
 * built product.
 *
 * 1. First-load JavaScript per screen: every script the page fetches on a cold load (service
 *    worker blocked, so nothing comes from a cache), gzip level 9. Budgets: shell 100 KB,
 *    program screen 150 KB.
 * 2. Offline cold start: a two-year program (generateRealisticProgram: 5,000 edits) on the device,
 *    network off, a new page opens /program/<id>; time from navigation start to the rendered
 *    program (performance mark). Budget 1 s.
 * 3. Local edit: tap "выполнено" on an activity; time until the screen shows it. Budget 16 ms.
 */
import { chromium, type Page } from '@playwright/test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as Y from 'yjs';
import { generateRealisticProgram } from '../src/lib/program/fixtures';
import { startServerProcess } from '../tests/integration/server-process';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-bench-client-'));
const server = await startServerProcess(
	dataDir,
	{ LOG_LEVEL: 'warn', CLIENT_DIR: 'build/client' },
	{ built: true }
);
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run']
});
const results: string[] = [];
let failed = false;

async function firstLoadJs(name: string, url: string, budgetKb: number) {
	const context = await browser.newContext({ serviceWorkers: 'block' });
	const page = await context.newPage();
	const scripts = new Map<string, Buffer>();
	page.on('response', async (response) => {
		if (response.request().resourceType() !== 'script') return;
		scripts.set(response.url(), await response.body());
	});
	await page.goto(server.url + url, { waitUntil: 'networkidle' });
	let raw = 0;
	let gz = 0;
	for (const body of scripts.values()) {
		raw += body.length;
		gz += gzipSync(body, { level: 9 }).length;
	}
	const over = gz / 1024 > budgetKb;
	failed ||= over;
	results.push(
		`| first-load JS, ${name} | ${(gz / 1024).toFixed(1)} KB gzip (${scripts.size} scripts, ${(raw / 1024).toFixed(1)} KB raw) | ${budgetKb} KB${over ? ' — over' : ''} |`
	);
	await context.close();
}

async function renderedAt(page: Page): Promise<number> {
	await page.waitForFunction(
		() => performance.getEntriesByName('nastavnik:program-rendered').length > 0,
		null,
		{ timeout: 30_000 }
	);
	return page.evaluate(
		() => performance.getEntriesByName('nastavnik:program-rendered')[0]?.startTime ?? NaN
	);
}

try {
	await firstLoadJs('app shell (home)', '/', 100);
	await firstLoadJs('program screen', '/program/bench', 150);

	// A two-year program on the device, imported through the app's own import.
	const realistic = generateRealisticProgram(1);
	const programId = realistic.programId;
	const file = path.join(dataDir, 'program.nastavnik.json');
	writeFileSync(
		file,
		JSON.stringify({
			format: 'nastavnik-program',
			version: 1,
			programId,
			title: 'Бенчмарк',
			exportedAt: new Date().toISOString(),
			state: Buffer.from(Y.encodeStateAsUpdate(realistic.doc)).toString('base64')
		})
	);
	const context = await browser.newContext({
		viewport: { width: 360, height: 640 },
		serviceWorkers: 'allow'
	});
	const setup = await context.newPage();
	await setup.goto(server.url + '/');
	await setup.evaluate(
		({ id, userId }) =>
			localStorage.setItem(
				'nastavnik.account',
				JSON.stringify({
					personId: userId,
					fullName: 'Наставник',
					programs: [{ id, title: 'Бенчмарк', role: 'mentor' }]
				})
			),
		{ id: programId, userId: realistic.actors.mentor.userId }
	);
	await setup.evaluate(async () => {
		await navigator.serviceWorker.ready;
	});
	await setup.getByTestId('import-file').setInputFiles(file);
	await renderedAt(setup);
	await setup.close();

	await context.setOffline(true);
	const coldStarts: number[] = [];
	for (let i = 0; i < 5; i++) {
		const page = await context.newPage();
		await page.goto(`${server.url}/program/${programId}`);
		coldStarts.push(await renderedAt(page));
		await page.close();
	}
	const cold = median(coldStarts);
	failed ||= cold > 1000;
	results.push(
		`| offline cold start to a rendered 2-year program (${realistic.stats.activities} activities, ${realistic.stats.meetings} meetings, ${realistic.stats.edits} edits), median of 5 | ${cold.toFixed(0)} ms (runs: ${coldStarts.map((x) => x.toFixed(0)).join(', ')}) | 1000 ms${cold > 1000 ? ' — over' : ''} |`
	);

	const page = await context.newPage();
	await page.goto(`${server.url}/program/${programId}#plan`);
	await renderedAt(page);
	const edits: number[] = [];
	for (let i = 0; i < 7; i++) {
		edits.push(
			await page.evaluate(
				(index) =>
					new Promise<number>((resolve) => {
						const item = document.querySelectorAll('[data-testid="activity"]')[index];
						const box = item?.querySelector('input[type="checkbox"]') as HTMLInputElement | null;
						if (!item || !box) return resolve(NaN);
						const observer = new MutationObserver(() => {
							observer.disconnect();
							resolve(performance.now() - t0);
						});
						observer.observe(item, { attributes: true, attributeFilter: ['class'] });
						const t0 = performance.now();
						box.click();
					}),
				i
			)
		);
	}
	const edit = median(edits);
	failed ||= edit > 16;
	results.push(
		`| local edit (mark an activity done) to the screen, median of 7 | ${edit.toFixed(1)} ms (runs: ${edits.map((x) => x.toFixed(1)).join(', ')}) | 16 ms${edit > 16 ? ' — over' : ''} |`
	);
	await context.close();
} finally {
	await browser.close();
	server.child.kill('SIGTERM');
	await server.exited;
	rmSync(dataDir, { recursive: true, force: true });
}
console.log('| measure | result | budget |');
console.log('|---|---|---|');
for (const line of results) console.log(line);
process.exit(failed ? 1 : 0);
