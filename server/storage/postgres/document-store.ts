import type pg from 'pg';
import type { DocumentStore } from '../document-store.js';
import { createSqlDocumentStore } from '../sql-document-store.js';
import { postgresClient, type SqlClient } from '../sql.js';
import { postgresCompaction } from './compact.js';
import type { MergeVerifier } from '../update-containment.js';

/**
 * The DocumentStore on PostgreSQL: server/storage/sql-document-store.ts with the concurrent
 * compaction of postgres/compact.ts. `append` is one transaction per group commit and resolves
 * after COMMIT, so the relay acknowledges only durable updates (`synchronous_commit` must stay
 * `on`, the default). The pool belongs to the storage bundle (server/storage/index.ts).
 */
export function createPostgresDocumentStore(
	pool: pg.Pool,
	sql: SqlClient = postgresClient(pool),
	verify?: MergeVerifier
): DocumentStore & { close(): Promise<void> } {
	return createSqlDocumentStore(sql, { compact: postgresCompaction(pool, verify) });
}
