// `npm run test:postgres`: the server test suite again, with every test server on a fresh
// PostgreSQL database (tests/integration/test-storage.ts). Skips, saying why, when no PostgreSQL
// answers at TEST_DATABASE_URL (or DATABASE_URL) — e.g. on a laptop without the service;
// under CI (`CI` set) a missing PostgreSQL fails the run instead.
import { spawn } from 'node:child_process';
import pg from 'pg';

const url = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
/** Skips on a developer's machine; fails under CI, which must run the PostgreSQL suite. */
function skip(reason) {
	if (process.env.CI) {
		console.error(`test:postgres cannot run under CI: ${reason}`);
		process.exit(1);
	}
	console.log(`test:postgres skipped: ${reason}`);
	process.exit(0);
}
if (!url) skip('TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/postgres)');
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
try {
	await client.connect();
	await client.query('SELECT 1');
} catch (error) {
	skip(`PostgreSQL at TEST_DATABASE_URL does not answer (${error.message})`);
} finally {
	await client.end().catch(() => undefined);
}
const child = spawn('npx', ['vitest', 'run', 'tests/integration', 'server'], {
	stdio: 'inherit',
	env: { ...process.env, TEST_STORAGE: 'postgres', TEST_DATABASE_URL: url }
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
