import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit and integration tests: plain TypeScript (the program core and the server).
// Browser behaviour is tested by Playwright against the built product (tests/e2e).
export default defineConfig({
	// The same `$lib` alias as SvelteKit, so client modules under test import the kernel as in the app.
	resolve: { alias: { $lib: fileURLToPath(new URL('./src/lib', import.meta.url)) } },
	test: {
		include: [
			'src/**/*.test.ts',
			'server/**/*.test.ts',
			'tests/integration/**/*.test.ts',
			'scripts/**/*.test.ts'
		],
		environment: 'node',
		testTimeout: 30_000,
		hookTimeout: 60_000
	}
});
