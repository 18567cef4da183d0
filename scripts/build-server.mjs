// Bundles the server (and the shared program core it imports from src/lib/shared/program) into
// plain JavaScript for Node 20, which cannot run TypeScript itself. npm packages stay external.
import { build } from 'esbuild';

await build({
	// worker: the worker pool's thread (server/workers/pool.ts starts build/server/worker.js).
	entryPoints: {
		main: 'server/main.ts',
		cli: 'server/cli/main.ts',
		worker: 'server/workers/worker-entry.ts'
	},
	outdir: 'build/server',
	bundle: true,
	platform: 'node',
	target: 'node20',
	format: 'esm',
	packages: 'external',
	sourcemap: true,
	logLevel: 'warning'
});
console.log('server built to build/server');
