/**
 * The numbered migrations in the SQLite dialect (the list: server/storage/migrations/index.ts).
 */
import { migrationsFor, type Migration } from '../migrations/index.js';
import { CURATOR_INDEX_TRIGGERS, DROP_CURATOR_INDEX_TRIGGERS } from './curator-triggers.js';

export type { Migration } from '../migrations/index.js';

export const migrations: Migration[] = migrationsFor('sqlite', {
	curatorIndexTriggers: CURATOR_INDEX_TRIGGERS,
	dropCuratorIndexTriggers: DROP_CURATOR_INDEX_TRIGGERS
});
