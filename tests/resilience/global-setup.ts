import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Bundles the server exactly like `npm run build:server` (scripts/build-server.mjs), into a
 * private directory so the campaign always drives a build of the current sources without
 * touching `build/` (other runs may be using it). Under node_modules so that the external
 * packages resolve.
 */
export const RESILIENCE_BUILD_DIR = path.resolve('node_modules/.cache/nastavnik-resilience');

export default async function setup(): Promise<void> {
	// A bundle given explicitly (RESILIENCE_SERVER_ENTRY, e.g. with a proposed fix) needs no build.
	if (process.env.RESILIENCE_SERVER_ENTRY) return;
	mkdirSync(RESILIENCE_BUILD_DIR, { recursive: true });
	await build({
		entryPoints: { main: 'server/main.ts' },
		outdir: RESILIENCE_BUILD_DIR,
		bundle: true,
		platform: 'node',
		target: 'node20',
		format: 'esm',
		packages: 'external',
		sourcemap: true,
		logLevel: 'warning'
	});
}
