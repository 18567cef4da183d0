/**
 * Child process of tests/integration/fixed-cost.test.ts (issue 18, the relay's fixed cost): starts
 * the all-in-one server on an empty SQLite directory, lets it sit idle, and prints as JSON the npm
 * packages and their modules it loaded — through the ESM loader (module hooks) or `require` (the
 * CommonJS cache).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';

const urls = new Set<string>();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url: string) => urls.add(url));
port1.unref();
register('./record-imports.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });

/** `…/node_modules/@scope/name/…` → `@scope/name`. */
function packageOf(file: string): string | null {
	const at = file.lastIndexOf('node_modules/');
	if (at < 0) return null;
	const [first, second] = file.slice(at + 'node_modules/'.length).split('/');
	if (!first) return null;
	return first.startsWith('@') ? `${first}/${second}` : first;
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-idle-'));
try {
	const { loadConfig } = await import('../../server/config.js');
	const { createLogger } = await import('../../server/logger.js');
	const { createServer } = await import('../../server/app.js');
	const config = loadConfig({
		DATA_DIR: dataDir,
		PORT: '0',
		HOST: '127.0.0.1',
		LOG_LEVEL: 'silent',
		WORKER_THREADS: '0'
	});
	const server = await createServer(config, createLogger('silent'));
	const port = await server.listen();
	// What a phone's sync and a health check touch: the relay's upgrade path and /healthz.
	await fetch(`http://127.0.0.1:${port}/healthz`);
	await new Promise((resolve) => setTimeout(resolve, 200));
	const files = [
		...[...urls].filter((url) => url.startsWith('file:')).map((url) => new URL(url).pathname),
		...Object.keys(createRequire(import.meta.url).cache)
	];
	const packages = new Set<string>();
	const modules = new Set<string>();
	for (const file of files) {
		const name = packageOf(file);
		if (!name) continue;
		packages.add(name);
		modules.add(file.slice(file.lastIndexOf('node_modules/') + 'node_modules/'.length));
	}
	await server.close();
	process.stdout.write(
		JSON.stringify({ packages: [...packages].sort(), modules: [...modules].sort() }) + '\n'
	);
} finally {
	rmSync(dataDir, { recursive: true, force: true });
}
