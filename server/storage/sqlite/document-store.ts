import { createSqlDocumentStore, type SqlDocumentStore } from '../sql-document-store.js';
import { sqliteClient, type SqlClient } from '../sql.js';
import type { SqliteDatabase } from './database.js';
import { WriterThread } from './writer-thread.js';
import type { MergeVerifier } from '../update-containment.js';

export interface SqliteDocumentStoreOptions {
	/**
	 * Run writes (appends, compaction, facts, summaries) on a second connection in a worker
	 * thread, so fsyncs never block the caller's event loop. The relay uses this; other callers
	 * (identity, tests, CLI) may write inline.
	 */
	writerThread?: boolean;
	/** The client of `db` to read through (default: a new one). */
	sql?: SqlClient;
	/** Where compaction merges and verifies (default: inline). */
	verify?: MergeVerifier;
}

/**
 * The DocumentStore on SQLite (WAL + synchronous=FULL: a resolved append has been fsynced):
 * server/storage/sql-document-store.ts with SQLite's single writer, optionally in its thread.
 */
export function createSqliteDocumentStore(
	db: SqliteDatabase,
	options: SqliteDocumentStoreOptions = {}
): SqlDocumentStore {
	const sql = options.sql ?? sqliteClient(db);
	const thread =
		options.writerThread && db.name !== ':memory:' && !db.memory ? new WriterThread(db.name) : null;
	return createSqlDocumentStore(sql, {
		staleSummaries: true,
		...(options.verify ? { verify: options.verify } : {}),
		...(thread ? { write: (s) => thread.batch(s), close: () => thread.close() } : {})
	});
}
