import type pg from 'pg';
import { migrations as allMigrations, type PgMigration } from './migrations.js';

export interface PostgresOptions {
	/** Pool size (PG_POOL_SIZE, default 10). */
	max?: number;
	applicationName?: string;
	/**
	 * `max_parallel_workers_per_gather` of the pool's sessions (PG_PARALLEL_WORKERS, default 0).
	 * The dashboard starts its statements together on separate connections, and on two cores the
	 * parallel workers of one of them took cores from the others: a filter counted over half a
	 * region (54,000 of 100,000 programs) read 89–123 ms with two workers and 48–75 without, its
	 * HTTP request 110–141 against 67–76, in three sittings of four; in the fourth the count was
	 * faster with workers and the request the same (docs/benchmarks.md, «Parallel workers off by
	 * default»).
	 */
	parallelWorkers?: number;
}

/**
 * PostgreSQL connection pool for `DATABASE_URL`. Column types are chosen so that rows read back
 * exactly as SQLite's do: BIGINT (times in Unix ms, counts, sequence numbers) and NUMERIC
 * (aggregates such as avg) are returned as JS numbers instead of pg's default strings; every
 * value stored is far below 2^53.
 */
export async function createPool(url: string, options: PostgresOptions = {}): Promise<pg.Pool> {
	// Loaded only with DATABASE_URL: an SQLite server never pays for the PostgreSQL client.
	const { default: pgModule } = await import('pg');
	const types = {
		getTypeParser(oid: number, format?: 'text' | 'binary') {
			if (oid === 20 /* int8 */) return (v: string) => Number(v);
			if (oid === 1700 /* numeric */) return (v: string) => Number(v);
			// The format overloads of getTypeParser cannot be expressed through one call signature.
			return (pgModule.types.getTypeParser as (o: number, f?: string) => (v: string) => unknown)(
				oid,
				format
			);
		}
	};
	const pool = new pgModule.Pool({
		connectionString: url,
		max: options.max ?? 10,
		application_name: options.applicationName ?? 'nastavnik',
		types: types as pg.CustomTypesConfig,
		// No JIT compilation: the curator's aggregates over a region's 100,000 programs are costed
		// above jit_above_cost, and compiling them took 2 s of a query that runs in tens of ms
		// (EXPLAIN ANALYZE, docs/benchmarks.md «The curator's dashboard»). Short queries only here.
		options: `-c jit=off -c max_parallel_workers_per_gather=${options.parallelWorkers ?? 0}`,
		connectionTimeoutMillis: 10_000,
		idleTimeoutMillis: 30_000
	});
	// An idle client losing its connection (server restart) must not crash the process: the pool
	// drops it and the next query opens a new one; readiness reports the outage meanwhile.
	pool.on('error', () => undefined);
	return pool;
}

/** Arbitrary but fixed key of the advisory lock that serializes migrations across instances. */
export const MIGRATION_LOCK_KEY = 7_262_011;

/**
 * Applies pending migrations, each in its own transaction, under a session advisory lock so that
 * two instances starting together do not race (the second waits, then finds nothing to do).
 */
export async function migratePostgres(
	pool: pg.Pool,
	migrations: PgMigration[] = allMigrations
): Promise<number[]> {
	const client = await pool.connect();
	const ran: number[] = [];
	try {
		await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
		try {
			await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
				version INTEGER PRIMARY KEY,
				name TEXT NOT NULL,
				applied_at TEXT NOT NULL
			)`);
			const applied = new Set(
				(await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
					(r) => Number(r.version)
				)
			);
			for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
				if (applied.has(m.version)) continue;
				await client.query('BEGIN');
				try {
					await client.query(m.sql);
					await client.query(
						'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
						[m.version, m.name, new Date().toISOString()]
					);
					await client.query('COMMIT');
				} catch (error) {
					await client.query('ROLLBACK');
					throw error;
				}
				ran.push(m.version);
			}
		} finally {
			await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
		}
	} finally {
		client.release();
	}
	return ran;
}

export async function postgresSchemaVersion(pool: Pick<pg.Pool, 'query'>): Promise<number> {
	const r = await pool.query<{ v: number | null }>(
		'SELECT MAX(version) AS v FROM schema_migrations'
	);
	return r.rows[0]?.v ?? 0;
}

/** Runs `fn` in one transaction on one pooled connection; COMMIT before resolving. */
export async function withTransaction<T>(
	pool: pg.Pool,
	fn: (client: pg.PoolClient) => Promise<T>,
	begin = 'BEGIN'
): Promise<T> {
	const client = await pool.connect();
	try {
		await client.query(begin);
		const result = await fn(client);
		await client.query('COMMIT');
		return result;
	} catch (error) {
		await client.query('ROLLBACK').catch(() => undefined);
		throw error;
	} finally {
		client.release();
	}
}
