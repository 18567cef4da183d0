/**
 * The storage of the server, selected by configuration: SQLite in `DATA_DIR` (the embedded
 * default) or PostgreSQL when `DATABASE_URL` is set (several instances share it). Both carry the
 * same numbered migrations (server/storage/sqlite/migrations.ts, server/storage/postgres/
 * migrations.ts) and implement the same interfaces: DocumentStore (relay), IdentityStore
 * (identity) and SqlClient (curator queries).
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { loadServerSecret, SERVER_SECRET_META_KEY } from '../auth/secret.js';
import { createPostgresIdentityStore } from '../identity/postgres/index.js';
import { createSqliteIdentityStore } from '../identity/sqlite/index.js';
import type { IdentityStore } from '../identity/store.js';
import type { DocumentStore } from './document-store.js';
import { createPool, migratePostgres, postgresSchemaVersion } from './postgres/database.js';
import { createPostgresDocumentStore } from './postgres/document-store.js';
import { postgresClient, sqliteClient, type SqlClient } from './sql.js';
import { openDatabase, schemaVersion, type SqliteDatabase } from './sqlite/database.js';
import { createSqliteDocumentStore } from './sqlite/document-store.js';

export interface Storage {
	readonly kind: 'sqlite' | 'postgres';
	/** Where the data lives, without credentials (logs, /healthz). */
	readonly location: string;
	readonly sql: SqlClient;
	/** The SQLite connection (SQLite only). */
	readonly sqlite: SqliteDatabase | null;
	/** The PostgreSQL pool (PostgreSQL only). */
	readonly pool: pg.Pool | null;
	readonly identity: IdentityStore;
	/** Document store for callers that write inline (identity, curator, CLI, tests). */
	readonly documents: DocumentStore;
	/** Document store for the relay (SQLite: optionally with its writer thread). */
	relayDocuments(options?: { writerThread?: boolean }): DocumentStore & { close(): Promise<void> };
	/** The configured SERVER_SECRET or the generated one kept in server_meta (never log it). */
	loadSecret(options?: { serverSecret?: string | null }): Promise<string>;
	/** True when the database answers a trivial query. */
	ping(): Promise<boolean>;
	schemaVersion(): Promise<number>;
	close(): Promise<void>;
}

/** Strips the password from a connection string. */
export function redactUrl(url: string): string {
	try {
		const u = new URL(url);
		if (u.password) u.password = '***';
		return u.toString();
	} catch {
		return 'postgres://(unparseable)';
	}
}

export async function openStorage(options: {
	dataDir: string;
	databaseUrl: string | null;
	/** PostgreSQL pool size. */
	poolSize?: number;
}): Promise<Storage> {
	if (options.databaseUrl) return openPostgresStorage(options.databaseUrl, options.poolSize);
	return openSqliteStorage(options.dataDir);
}

export function openSqliteStorage(dataDir: string): Storage {
	const db = openDatabase(dataDir);
	return sqliteStorage(db, dataDir);
}

export function sqliteStorage(db: SqliteDatabase, location: string): Storage {
	return {
		kind: 'sqlite',
		location,
		sql: sqliteClient(db),
		sqlite: db,
		pool: null,
		identity: createSqliteIdentityStore(db),
		documents: createSqliteDocumentStore(db),
		relayDocuments: (o = {}) => createSqliteDocumentStore(db, { writerThread: o.writerThread }),
		loadSecret: async (o = {}) => loadServerSecret(db, o.serverSecret ?? null),
		ping: async () => db.prepare('SELECT 1').pluck().get() === 1,
		schemaVersion: async () => schemaVersion(db),
		close: async () => {
			if (db.open) db.close();
		}
	};
}

export async function openPostgresStorage(url: string, poolSize?: number): Promise<Storage> {
	const pool = await createPool(url, poolSize ? { max: poolSize } : {});
	try {
		await migratePostgres(pool);
	} catch (error) {
		await pool.end().catch(() => undefined);
		throw error;
	}
	const documents = createPostgresDocumentStore(pool);
	let closed = false;
	return {
		kind: 'postgres',
		location: redactUrl(url),
		sql: postgresClient(pool),
		sqlite: null,
		pool,
		identity: createPostgresIdentityStore(pool),
		documents,
		relayDocuments: () => documents,
		async loadSecret(o = {}) {
			// Validated by the configuration schema (server/config.ts).
			if (o.serverSecret) return o.serverSecret;
			// Every instance must sign with the same secret: the first one to start generates it.
			await pool.query(
				'INSERT INTO server_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
				[SERVER_SECRET_META_KEY, randomBytes(32).toString('base64url')]
			);
			const r = await pool.query<{ value: string }>(
				'SELECT value FROM server_meta WHERE key = $1',
				[SERVER_SECRET_META_KEY]
			);
			const v = r.rows[0]?.value;
			if (!v) throw new Error('server secret missing from server_meta');
			return v;
		},
		async ping() {
			const r = await pool.query<{ one: number }>('SELECT 1 AS one');
			return r.rows[0]?.one === 1;
		},
		schemaVersion: () => postgresSchemaVersion(pool),
		async close() {
			if (closed) return;
			closed = true;
			await pool.end();
		}
	};
}
