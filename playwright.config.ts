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
	fullyParallel: false,
	workers: 1,
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
