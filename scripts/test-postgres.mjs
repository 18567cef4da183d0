// `npm run test:postgres`: the server tests whose storage follows TEST_STORAGE again, with every
// test server on a fresh PostgreSQL database (tests/integration/test-storage.ts). Skips, saying
// why, when no PostgreSQL answers at TEST_DATABASE_URL (or DATABASE_URL) — e.g. on a laptop
// without the service; under CI (`CI` set) a missing PostgreSQL fails the run instead.
//
// Only those files run again: a file that starts no test server through the storage-following
// helpers would run exactly as in `npm run test:unit` — units on fakes or in-memory stores, and
// the files that already test PostgreSQL (and Redis) explicitly in every run (postgres-store,
// storage-safety, cluster-*, postgres-migrate-storage). The selection is by what a file calls
// (STORAGE_FOLLOWING below), so a new test that uses those helpers joins this run by itself; a
// file that uses them but PostgreSQL explicitly anyway opts out with a first line
// `// Not in test:postgres: …`.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';

/** The helpers whose storage follows TEST_STORAGE (tests/integration, tests/support). */
const STORAGE_FOLLOWING =
	/\b(createTestServer|startTestServer|startCuratorServer|startRelay\w*|createDataset|testStorageEnv|TEST_STORAGE)\b/;

/** A file that uses those helpers but PostgreSQL explicitly in every run says so at its top. */
const OPT_OUT = /^\/\/ Not in test:postgres: /m;

/** *.test.ts under `dir`, recursively. */
function testFiles(dir) {
	return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
		const p = path.join(dir, e.name);
		if (e.isDirectory()) return testFiles(p);
		return e.name.endsWith('.test.ts') ? [p] : [];
	});
}

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
const all = [...testFiles('tests/integration'), ...testFiles('server')].sort();
const files = all.filter((f) => {
	const source = readFileSync(f, 'utf8');
	return STORAGE_FOLLOWING.test(source) && !OPT_OUT.test(source);
});
console.log(
	`test:postgres: ${files.length} of ${all.length} server test files follow TEST_STORAGE and run again on PostgreSQL; the other ${all.length - files.length} ran in test:unit as they would here`
);
const child = spawn('npx', ['vitest', 'run', ...files], {
	stdio: 'inherit',
	env: { ...process.env, TEST_STORAGE: 'postgres', TEST_DATABASE_URL: url }
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
