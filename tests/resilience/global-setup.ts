import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { bundleServer } from '../../scripts/bundle-server.mjs';

/**
 * Bundles the server exactly like `npm run build:server` (scripts/build-server.mjs), into a
 * private directory so the campaign always drives a build of the current sources without
 * touching `build/server` (other runs may be using it). Inside this checkout (build/ is ignored),
 * so npm packages resolve from its node_modules, and checkouts that share one node_modules
 * (worktrees) never run each other's bundle.
 */
export const RESILIENCE_BUILD_DIR = path.resolve('build/resilience');

export default async function setup(): Promise<void> {
	// A bundle given explicitly (RESILIENCE_SERVER_ENTRY, e.g. with a proposed fix) needs no build.
	if (process.env.RESILIENCE_SERVER_ENTRY) return;
	mkdirSync(RESILIENCE_BUILD_DIR, { recursive: true });
	await bundleServer({ main: 'server/main.ts' }, RESILIENCE_BUILD_DIR, { sourcemap: true });
}
