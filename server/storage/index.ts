/**
 * The storage of the server, selected by configuration: SQLite in `DATA_DIR` (the embedded
 * default) or PostgreSQL when `DATABASE_URL` is set (several instances share it). Both carry the
 * same numbered migrations (server/storage/migrations/: listed and written once, rendered per
 * dialect) and are used through one query layer (`sql`, server/storage/sql.ts), over which
 * the DocumentStore (relay) is written once here and the identity store once in identity
 * (server/identity/sql-store.ts). Storage imports nothing of identity, auth or the curator: the
 * app wiring composes them (server/app.ts).
 */
import type pg from 'pg';
import { indexMissingEntries } from './curator-index.js';
import type { DocumentStore } from './document-store.js';
import {
	createPool,
	migratePostgres,
	postgresSchemaVersion,
	type PostgresOptions
} from './postgres/database.js';
import { createPostgresDocumentStore } from './postgres/document-store.js';
import { postgresClient, sqliteClient, type SqlClient } from './sql.js';
import { Checkpointer, type CheckpointerLog } from './sqlite/checkpointer.js';
import { openDatabase, schemaVersion, type SqliteDatabase } from './sqlite/database.js';
import { createSqliteDocumentStore } from './sqlite/document-store.js';
import type { MergeVerifier } from './update-containment.js';

export interface Storage {
	readonly kind: 'sqlite' | 'postgres';
	/** Where the data lives, without credentials (logs, /healthz). */
	readonly location: string;
	/** The query layer (identity store, curator queries, server secret). */
	readonly sql: SqlClient;
	/** The SQLite connection (SQLite only). */
	readonly sqlite: SqliteDatabase | null;
	/** The PostgreSQL pool (PostgreSQL only). */
	readonly pool: pg.Pool | null;
	/** Document store for callers that write inline (identity, curator, CLI, tests). */
	readonly documents: DocumentStore;
	/** Document store for the relay (SQLite: optionally with its writer thread). */
	relayDocuments(options?: {
		writerThread?: boolean;
		/** Where compaction merges and verifies (the server's worker pool; default inline). */
		verify?: MergeVerifier;
	}): DocumentStore & { close(): Promise<void> };
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
	/** PostgreSQL parallel workers per statement (postgres/database.ts, PostgresOptions). */
	parallelWorkers?: number;
	/**
	 * SQLite: WAL checkpoints on a thread of their own instead of in the committing caller (the
	 * server's event loop; server/storage/sqlite/checkpointer.ts). The server sets it; the CLI
	 * and tests need not.
	 */
	checkpointThread?: { log: CheckpointerLog };
}): Promise<Storage> {
	if (options.databaseUrl)
		return openPostgresStorage(options.databaseUrl, {
			...(options.poolSize ? { max: options.poolSize } : {}),
			...(options.parallelWorkers !== undefined ? { parallelWorkers: options.parallelWorkers } : {})
		});
	return openSqliteStorage(options.dataDir, options.checkpointThread);
}

export function openSqliteStorage(
	dataDir: string,
	checkpointThread?: { log: CheckpointerLog }
): Storage {
	const db = openDatabase(dataDir);
	const checkpointer = checkpointThread ? Checkpointer.start(db, checkpointThread.log) : null;
	return sqliteStorage(db, dataDir, checkpointer);
}

export function sqliteStorage(
	db: SqliteDatabase,
	location: string,
	checkpointer: Checkpointer | null = null
): Storage {
	const sql = sqliteClient(db);
	const documents = createSqliteDocumentStore(db, { sql });
	return {
		kind: 'sqlite',
		location,
		sql,
		sqlite: db,
		pool: null,
		documents,
		relayDocuments: (o = {}) =>
			createSqliteDocumentStore(db, {
				sql,
				writerThread: o.writerThread,
				...(o.verify ? { verify: o.verify } : {})
			}),
		ping: async () => (await sql.get<{ one: number }>('SELECT 1 AS one'))?.one === 1,
		schemaVersion: async () => schemaVersion(db),
		close: async () => {
			await documents.close();
			await checkpointer?.close();
			if (db.open) db.close();
		}
	};
}

export async function openPostgresStorage(
	url: string,
	options: PostgresOptions = {}
): Promise<Storage> {
	const pool = await createPool(url, options);
	const sql = postgresClient(pool);
	try {
		await migratePostgres(pool);
		await indexMissingEntries(sql);
	} catch (error) {
		await pool.end().catch(() => undefined);
		throw error;
	}
	const documents = createPostgresDocumentStore(pool, sql);
	let closed = false;
	return {
		kind: 'postgres',
		location: redactUrl(url),
		sql,
		sqlite: null,
		pool,
		documents,
		relayDocuments: (o = {}) =>
			o.verify ? createPostgresDocumentStore(pool, sql, o.verify) : documents,
		ping: async () => (await sql.get<{ one: number }>('SELECT 1 AS one'))?.one === 1,
		schemaVersion: () => postgresSchemaVersion(pool),
		async close() {
			if (closed) return;
			closed = true;
			await pool.end();
		}
	};
}
