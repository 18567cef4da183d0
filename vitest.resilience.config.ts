import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The resilience campaign (docs/resilience.md): the built server as a child process, driven by
// stock y-websocket clients and the PWA's ProgramSync through faults. One file at a time: the
// scenarios measure the server's memory and file descriptors and share two cores.
// RESILIENCE_LONG=1 runs the release form (more seeds, more frames, more clients).
export default defineConfig({
	// The same `$lib` alias as SvelteKit, so client modules under test import the kernel as in the app.
	resolve: { alias: { $lib: fileURLToPath(new URL('./src/lib', import.meta.url)) } },
	test: {
		include: ['tests/resilience/**/*.test.ts'],
		environment: 'node',
		globalSetup: ['tests/resilience/global-setup.ts'],
		fileParallelism: false,
		testTimeout: 120_000,
		// A cap for a hang: starting the server and syncing the pair took over 60 s at load 37.
		hookTimeout: 240_000
	}
});
