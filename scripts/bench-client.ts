/**
 * `npm run bench:client`: how much JavaScript a phone downloads on first load, per screen.
 * Loads the built app in Chromium from the built server, records every script the page fetches
 * (including lazily imported chunks needed to render), and sums their gzip sizes.
 * Budgets: app shell 100 KB, program screen 150 KB (gzip).
 */
import { chromium } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { startServerProcess } from '../tests/integration/server-process';

const screens: { name: string; path: string; budgetKb: number }[] = [
	{ name: 'app shell (home)', path: '/', budgetKb: 100 }
];

const dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-bench-client-'));
const server = await startServerProcess(dataDir, { LOG_LEVEL: 'warn', CLIENT_DIR: 'build/client' });
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run']
});
let failed = false;
try {
	console.log('| screen | scripts | raw KB | gzip KB | budget KB |');
	console.log('|---|---|---|---|---|');
	for (const screen of screens) {
		const context = await browser.newContext({ serviceWorkers: 'block' });
		const page = await context.newPage();
		const scripts = new Map<string, Buffer>();
		page.on('response', async (response) => {
			if (response.request().resourceType() !== 'script') return;
			scripts.set(response.url(), await response.body());
		});
		await page.goto(server.url + screen.path, { waitUntil: 'networkidle' });
		let raw = 0;
		let gz = 0;
		for (const body of scripts.values()) {
			raw += body.length;
			gz += gzipSync(body, { level: 9 }).length;
		}
		const over = gz / 1024 > screen.budgetKb;
		failed ||= over;
		console.log(
			`| ${screen.name} | ${scripts.size} | ${(raw / 1024).toFixed(1)} | ${(gz / 1024).toFixed(1)} | ${screen.budgetKb}${over ? ' (over)' : ''} |`
		);
		await context.close();
	}
} finally {
	await browser.close();
	server.child.kill('SIGTERM');
	await server.exited;
	rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
