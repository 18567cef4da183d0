/**
 * The one query layer of the server: a small async SQL client over either storage engine. Every
 * store (documents, identity) and the curator's queries are written once against it.
 *
 * Queries are written with `?` placeholders in the portable subset of both dialects (no
 * `sum(boolean)`, aliases that need case quoted: `AS "withOverdue"`, `CAST(? AS TEXT)` where a
 * parameter's type cannot be inferred, `ON CONFLICT … DO UPDATE`/`DO NOTHING`, `RETURNING`).
 * PostgreSQL gets `?` rewritten to `$1…$n` (outside string literals and quoted identifiers). The
 * few dialect-specific fragments come from `dialectSql` below.
 *
 * Transactions are batches: a list of statements run in order, all or none. A batch needs no
 * interactive transaction, so SQLite runs it synchronously (no other caller can interleave on the
 * one connection) and the SQLite writer thread runs it in one message (server/storage/sqlite/
 * writer-thread.ts). A statement may depend on an earlier one having changed a row (`ifChanged`):
 * that is how a refused write (an older summary) skips what depends on it.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { withTransaction } from './postgres/database.js';
import type { SqliteDatabase } from './sqlite/database.js';

export type Dialect = 'sqlite' | 'postgres';

/** One statement of a batch. */
export interface Statement {
	sql: string;
	params?: unknown[];
	/** Run only when the statement at this (earlier) index of the batch changed at least one row. */
	ifChanged?: number;
}

export interface StatementResult {
	/** Rows changed (INSERT / UPDATE / DELETE), or rows returned by a query. */
	changes: number;
	/** Rows returned (SELECT, or RETURNING); empty otherwise. */
	rows: Array<Record<string, unknown>>;
}

export interface BatchOptions {
	/** Read-only, one snapshot for every statement (PostgreSQL: REPEATABLE READ READ ONLY). */
	snapshot?: boolean;
}

/** Runs a batch in one transaction. */
export type BatchRunner = (
	statements: Statement[],
	options?: BatchOptions
) => Promise<StatementResult[]>;

export interface SqlClient {
	readonly dialect: Dialect;
	all<T>(sql: string, params?: unknown[]): Promise<T[]>;
	get<T>(sql: string, params?: unknown[]): Promise<T | undefined>;
	/** INSERT / UPDATE / DELETE; resolves with the number of rows changed. */
	run(sql: string, params?: unknown[]): Promise<number>;
	/** The statements in order, in ONE transaction: all or none. */
	batch: BatchRunner;
}

/** The few places where the two SQL dialects differ in a query (DDL lives in the migrations). */
export function dialectSql(dialect: Dialect) {
	return {
		/** Byte-order text comparison (SQLite's default BINARY; PostgreSQL's "C" collation). */
		bytewise: dialect === 'postgres' ? ' COLLATE "C"' : '',
		/** Largest of several non-null values (SQLite's scalar max, PostgreSQL's greatest). */
		greatest: dialect === 'postgres' ? 'greatest' : 'max',
		/** A JSON text column's top-level number `key` as an integer (null when absent). */
		jsonInt: (column: string, key: string) =>
			dialect === 'postgres'
				? `CAST(CAST(${column} AS jsonb) ->> '${key}' AS INTEGER)`
				: `CAST(json_extract(${column}, '$.${key}') AS INTEGER)`
	};
}

const promised = <T>(fn: () => T): Promise<T> =>
	new Promise<T>((resolve, reject) => {
		try {
			resolve(fn());
		} catch (error) {
			reject(error instanceof Error ? error : new Error(String(error)));
		}
	});

/** A prepared-statement cache; cleared when it grows past `limit` (statements are few). */
type StatementCache = Map<string, BetterSqlite3.Statement<unknown[]>>;

/**
 * Runs statements on an SQLite connection, in order (the caller opens the transaction).
 * SELF-CONTAINED on purpose (no reference to anything outside its body but globals): its source
 * text is also run in the SQLite writer thread.
 */
export function runSqliteStatements(
	db: SqliteDatabase,
	statements: Statement[],
	cache: StatementCache
): StatementResult[] {
	// better-sqlite3 wants numbers/strings/Buffers/null: booleans become 0/1 as SQLite stores
	// them, and Uint8Arrays (which is what a Buffer becomes when posted to a thread) Buffers.
	const param = (v: unknown): unknown =>
		typeof v === 'boolean'
			? v
				? 1
				: 0
			: v instanceof Uint8Array && !Buffer.isBuffer(v)
				? Buffer.from(v.buffer, v.byteOffset, v.byteLength)
				: v;
	const results: StatementResult[] = [];
	for (const s of statements) {
		if (s.ifChanged !== undefined && !((results[s.ifChanged]?.changes ?? 0) > 0)) {
			results.push({ changes: 0, rows: [] });
			continue;
		}
		let prepared = cache.get(s.sql);
		if (!prepared) {
			if (cache.size > 500) cache.clear();
			prepared = db.prepare<unknown[]>(s.sql);
			cache.set(s.sql, prepared);
		}
		const params = (s.params ?? []).map(param);
		if (prepared.reader) {
			const rows = prepared.all(...params) as Array<Record<string, unknown>>;
			results.push({ changes: rows.length, rows });
		} else results.push({ changes: prepared.run(...params).changes, rows: [] });
	}
	return results;
}

/** Runs a batch on an SQLite connection in one transaction, synchronously. */
export function runSqliteBatch(
	db: SqliteDatabase,
	statements: Statement[],
	cache: StatementCache = new Map()
): StatementResult[] {
	return db.transaction(() => runSqliteStatements(db, statements, cache))();
}

export function sqliteClient(db: SqliteDatabase): SqlClient {
	const cache: StatementCache = new Map();
	const one = (sql: string, params: unknown[]) =>
		runSqliteStatements(db, [{ sql, params }], cache)[0] as StatementResult;
	return {
		dialect: 'sqlite',
		all: <T>(sql: string, params: unknown[] = []) => promised(() => one(sql, params).rows as T[]),
		get: <T>(sql: string, params: unknown[] = []) =>
			promised(() => one(sql, params).rows[0] as T | undefined),
		run: (sql: string, params: unknown[] = []) => promised(() => one(sql, params).changes),
		batch: (statements) => promised(() => runSqliteBatch(db, statements, cache))
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

const pgParam = (v: unknown): unknown =>
	v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v) : v;

export function postgresClient(pool: pg.Pool): SqlClient {
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
	const query = (db: Pick<pg.Pool, 'query'>, sql: string, params: unknown[] = []) =>
		db.query<Record<string, unknown>>(text(sql), params.map(pgParam));
	return {
		dialect: 'postgres',
		all: async <T>(sql: string, params?: unknown[]) => (await query(pool, sql, params)).rows as T[],
		get: async <T>(sql: string, params?: unknown[]) =>
			(await query(pool, sql, params)).rows[0] as T | undefined,
		run: async (sql: string, params?: unknown[]) => (await query(pool, sql, params)).rowCount ?? 0,
		batch: (statements, options = {}) =>
			withTransaction(
				pool,
				async (client) => {
					const results: StatementResult[] = [];
					for (const s of statements) {
						if (s.ifChanged !== undefined && !((results[s.ifChanged]?.changes ?? 0) > 0)) {
							results.push({ changes: 0, rows: [] });
							continue;
						}
						const r = await query(client, s.sql, s.params);
						results.push({ changes: r.rowCount ?? r.rows.length, rows: r.rows });
					}
					return results;
				},
				options.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN'
			)
	};
}
