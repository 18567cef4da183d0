import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './tests/support/chromium';

const PORT = Number(process.env.E2E_PORT ?? 4173);

/**
 * End-to-end tests drive the *built* product (PWA + server) in Debian's Chromium.
 * `npm run test:e2e` builds first; the server gets a fresh data directory per run.
 */
export default defineConfig({
	testDir: 'tests/e2e',
	outputDir: 'test-results/e2e',
	// Two spec files at a time, each test of a file after the other: a file starts its own product
	// (productForFile), so two files share no server and no data. One worker left a 2-core
	// machine a third idle (8.0 min); two take 6.0.
	fullyParallel: false,
	workers: 2,
	retries: 0,
	timeout: 60_000,
	expect: { timeout: 10_000 },
	reporter: [['list']],
	use: {
		baseURL: `http://localhost:${PORT}`,
		...devices['Pixel 5'],
		viewport: { width: 360, height: 640 },
		locale: 'ru-RU',
		timezoneId: 'Asia/Tomsk',
		serviceWorkers: 'allow',
		trace: 'retain-on-failure',
		launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS }
	},
	webServer: {
		command: 'node tests/e2e/start-server.mjs',
		url: `http://localhost:${PORT}/healthz`,
		reuseExistingServer: false,
		timeout: 60_000,
		env: { PORT: String(PORT), LOG_LEVEL: 'warn' },
		stdout: 'ignore',
		stderr: 'pipe'
	}
});
