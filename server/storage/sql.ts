/**
 * A small async SQL client over either storage engine, for code that runs the same queries on
 * SQLite and PostgreSQL (the curator's dashboard, figures, calendar, cases).
 *
 * Queries are written with `?` placeholders in the portable subset of both dialects (no
 * `sum(boolean)`, aliases that need case quoted: `AS "withOverdue"`, `CAST(? AS TEXT)` where a
 * parameter's type cannot be inferred). PostgreSQL gets `?` rewritten to `$1…$n` (outside string
 * literals and quoted identifiers). The few dialect-specific fragments branch on `dialect`.
 */
import type pg from 'pg';
import type { SqliteDatabase } from './sqlite/database.js';

export type Dialect = 'sqlite' | 'postgres';

export interface SqlClient {
	readonly dialect: Dialect;
	all<T>(sql: string, params?: unknown[]): Promise<T[]>;
	get<T>(sql: string, params?: unknown[]): Promise<T | undefined>;
	/** INSERT / UPDATE / DELETE; resolves with the number of rows changed. */
	run(sql: string, params?: unknown[]): Promise<number>;
}

const promised = <T>(fn: () => T): Promise<T> =>
	new Promise<T>((resolve, reject) => {
		try {
			resolve(fn());
		} catch (error) {
			reject(error instanceof Error ? error : new Error(String(error)));
		}
	});

/** better-sqlite3 wants numbers/strings/buffers/null; booleans become 0/1 as SQLite stores them. */
const sqliteParam = (v: unknown): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

export function sqliteClient(db: SqliteDatabase): SqlClient {
	return {
		dialect: 'sqlite',
		all: <T>(sql: string, params: unknown[] = []) =>
			promised(() => db.prepare(sql).all(...params.map(sqliteParam)) as T[]),
		get: <T>(sql: string, params: unknown[] = []) =>
			promised(() => db.prepare(sql).get(...params.map(sqliteParam)) as T | undefined),
		run: (sql: string, params: unknown[] = []) =>
			promised(() => db.prepare(sql).run(...params.map(sqliteParam)).changes)
	};
}

/** Rewrites `?` placeholders to `$n`, leaving string literals and quoted identifiers alone. */
export function toPgPlaceholders(sql: string): string {
	let out = '';
	let n = 0;
	let quote: string | null = null;
	for (let i = 0; i < sql.length; i++) {
		const ch = sql[i] as string;
		if (quote) {
			out += ch;
			if (ch === quote) quote = null;
		} else if (ch === "'" || ch === '"') {
			quote = ch;
			out += ch;
		} else if (ch === '?') {
			out += `$${++n}`;
		} else out += ch;
	}
	return out;
}

/** Anything with pg's `query` (a Pool or a checked-out PoolClient inside a transaction). */
export type PgQueryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

const pgParam = (v: unknown): unknown =>
	v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v) : v;

export function postgresClient(pool: PgQueryable): SqlClient {
	const cache = new Map<string, string>();
	const text = (sql: string) => {
		let t = cache.get(sql);
		if (t === undefined) {
			t = toPgPlaceholders(sql);
			if (cache.size > 500) cache.clear();
			cache.set(sql, t);
		}
		return t;
	};
	return {
		dialect: 'postgres',
		all: async <T>(sql: string, params: unknown[] = []) =>
			(await (pool as pg.Pool).query(text(sql), params.map(pgParam))).rows as T[],
		get: async <T>(sql: string, params: unknown[] = []) =>
			(await (pool as pg.Pool).query(text(sql), params.map(pgParam))).rows[0] as T | undefined,
		run: async (sql: string, params: unknown[] = []) =>
			(await (pool as pg.Pool).query(text(sql), params.map(pgParam))).rowCount ?? 0
	};
}
