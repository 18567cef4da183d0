/**
 * Storage for the server integration tests. By default (`npm run test:unit`) every test server
 * uses SQLite in its temporary DATA_DIR. With `TEST_STORAGE=postgres` (`npm run test:postgres`)
 * every test server gets a fresh PostgreSQL database, `nastavnik_test_<random>`, created on the
 * server named by `DATABASE_URL` (any database there, e.g. postgres://postgres@127.0.0.1:5432/postgres)
 * and dropped when the test server closes: the services outlive the run, the databases do not.
 *
 * Servers never pick up a stray DATABASE_URL / REDIS_URL from the environment: the in-process
 * fixtures pass an explicit env to loadConfig, and spawned processes get `isolatedEnv()`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type TestStorageKind = 'sqlite' | 'postgres';

export const TEST_STORAGE: TestStorageKind =
	process.env.TEST_STORAGE === 'postgres' ? 'postgres' : 'sqlite';

/** The PostgreSQL server to create test databases on, or null. */
export function postgresBaseUrl(): string | null {
	return process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || null;
}

/** The Redis server for cluster tests, or null. */
export function redisUrl(): string | null {
	return process.env.TEST_REDIS_URL || process.env.REDIS_URL || null;
}

/**
 * Whether a test that needs a service runs: null when `why` is null (the service answers), else
 * the reason, logged as a skip on a developer's machine. Under CI (`CI` set) a missing service
 * is a failure, never a silent skip: the file fails at once with the reason.
 */
export function skipUnlessCi(name: string, why: string | null): string | null {
	if (why === null) return null;
	if (process.env.CI)
		throw new Error(
			`${name} cannot run under CI: ${why}. CI must provide TEST_DATABASE_URL and TEST_REDIS_URL.`
		);
	console.warn(`[skipped] ${name}: ${why}`);
	return why;
}

/** Why a PostgreSQL test is skipped (null: it can run). Checks that the server answers. */
export async function postgresUnavailable(): Promise<string | null> {
	const url = postgresBaseUrl();
	if (!url)
		return 'DATABASE_URL is not set (PostgreSQL tests need a server, e.g. postgres://postgres@127.0.0.1:5432/postgres)';
	const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
	try {
		await client.connect();
		await client.query('SELECT 1');
		return null;
	} catch (error) {
		return `PostgreSQL at DATABASE_URL does not answer: ${error instanceof Error ? error.message : String(error)}`;
	} finally {
		await client.end().catch(() => undefined);
	}
}

export interface TestDatabase {
	url: string;
	name: string;
	drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
	const u = new URL(url);
	u.pathname = `/${name}`;
	return u.toString();
}

/** CREATE DATABASE nastavnik_test_<random> on the DATABASE_URL server. */
export async function createTestDatabase(baseUrl = postgresBaseUrl()): Promise<TestDatabase> {
	if (!baseUrl) throw new Error('DATABASE_URL is not set');
	const name = `nastavnik_test_${randomBytes(6).toString('hex')}`;
	const admin = new pg.Client({ connectionString: baseUrl });
	await admin.connect();
	try {
		// Byte-order collation like SQLite's BINARY, so sorted lists match in both stores.
		await admin.query(
			`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`
		);
	} finally {
		await admin.end();
	}
	let dropped = false;
	return {
		url: withDatabase(baseUrl, name),
		name,
		async drop() {
			if (dropped) return;
			dropped = true;
			const c = new pg.Client({ connectionString: baseUrl });
			await c.connect();
			try {
				await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
			} finally {
				await c.end();
			}
		}
	};
}

export interface TestStorageEnv {
	kind: TestStorageKind;
	/** Extra environment for loadConfig / a spawned server: DATABASE_URL or nothing. */
	env: Record<string, string>;
	cleanup(): Promise<void>;
}

/** Storage for one test server, as selected by TEST_STORAGE. */
export async function testStorageEnv(): Promise<TestStorageEnv> {
	if (TEST_STORAGE !== 'postgres')
		return { kind: 'sqlite', env: {}, cleanup: async () => undefined };
	const db = await createTestDatabase();
	return { kind: 'postgres', env: { DATABASE_URL: db.url }, cleanup: () => db.drop() };
}

/** process.env without DATABASE_URL / REDIS_URL (for spawned servers), plus `extra`. */
export function isolatedEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = { ...process.env };
	delete env.DATABASE_URL;
	delete env.REDIS_URL;
	delete env.TEST_DATABASE_URL;
	delete env.TEST_REDIS_URL;
	return { ...env, ...extra };
}
