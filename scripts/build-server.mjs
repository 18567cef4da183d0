// Bundles the server (and the shared program core it imports from src/lib/shared/program) into
// plain JavaScript for Node 20, which cannot run TypeScript itself. npm packages stay external,
// but for the few bundled in (INLINED_PACKAGES in bundle-server.mjs, and why).
import { bundleServer } from './bundle-server.mjs';

await bundleServer(
	{
		main: 'server/main.ts',
		cli: 'server/cli/main.ts',
		// worker: the worker pool's thread (server/workers/pool.ts starts build/server/worker.js).
		worker: 'server/workers/worker-entry.ts'
	},
	'build/server',
	{ sourcemap: true }
);
console.log('server built to build/server');
