/**
 * The numbered migrations in the PostgreSQL dialect (the list, and the type mapping that keeps
 * rows identical to SQLite's for `migrate-storage`: server/storage/migrations/). Booleans stay 0/1
 * integers as in SQLite.
 */
import { migrationsFor, type Migration } from '../migrations/index.js';
import { CURATOR_INDEX_TRIGGERS, DROP_CURATOR_INDEX_TRIGGERS } from './curator-triggers.js';

export type PgMigration = Migration;

export const migrations: PgMigration[] = migrationsFor('postgres', {
	curatorIndexTriggers: CURATOR_INDEX_TRIGGERS,
	dropCuratorIndexTriggers: DROP_CURATOR_INDEX_TRIGGERS
});
