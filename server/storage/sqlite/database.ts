import Database from 'better-sqlite3';
import path from 'node:path';
import { secureDataDir } from '../data-files.js';
import {
	missingEntries,
	missingEntryStatements,
	missingHistory,
	missingHistoryStatements
} from '../curator-index.js';
import { runSqliteBatch } from '../sql.js';
import { settleRecentLog } from './recent-log.js';
import { migrations as allMigrations, type Migration } from './migrations.js';

export type SqliteDatabase = Database.Database;

export const DATABASE_FILE = 'nastavnik.sqlite';

/**
 * Opens (creating if needed) the SQLite database in `dataDir` and brings its schema up to date.
 *
 * WAL lets the curator's reads run while the relay writes; `synchronous = FULL` makes a
 * committed transaction survive power loss, which is what "saved on the server" promises.
 * Group commit in the relay keeps the fsync cost to one per burst.
 */
export function openDatabase(
	dataDir: string,
	migrations: Migration[] = allMigrations
): SqliteDatabase {
	// 0700 directory, 0600 database; SQLite creates -wal and -shm with the database's mode.
	secureDataDir(dataDir, DATABASE_FILE);
	const db = new Database(path.join(dataDir, DATABASE_FILE));
	db.pragma('journal_mode = WAL');
	db.pragma('synchronous = FULL');
	db.pragma('foreign_keys = ON');
	db.pragma('busy_timeout = 5000');
	migrate(db, migrations);
	settleRecentLog(db);
	indexMissingEntriesSync(db);
	return db;
}

/**
 * Indexes stored summaries that have no curator index entry (all of them after migration 31),
 * synchronously, before anyone reads the index (server/storage/curator-index.ts).
 */
function indexMissingEntriesSync(db: SqliteDatabase): void {
	const ready = db
		.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'curator_program_users'")
		.get();
	if (!ready) return;
	const rows = db.prepare(missingEntries('sqlite')).all() as Array<{
		programId: string;
		summary: string;
		computedAt: number;
	}>;
	const history =
		db
			.prepare(
				"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'curator_program_history'"
			)
			.get() !== undefined;
	if (rows.length > 0) runSqliteBatch(db, missingEntryStatements('sqlite', rows, history));
	if (!history) return;
	const unhistoried = db.prepare(missingHistory).all() as Array<{
		programId: string;
		summary: string;
		computedAt: number;
	}>;
	if (unhistoried.length > 0) runSqliteBatch(db, missingHistoryStatements(unhistoried));
}

export function migrate(db: SqliteDatabase, migrations: Migration[]): number[] {
	db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at TEXT NOT NULL
	) STRICT`);
	const applied = new Set(
		db
			.prepare('SELECT version FROM schema_migrations')
			.pluck()
			.all()
			.map((v) => Number(v))
	);
	const sorted = [...migrations].sort((a, b) => a.version - b.version);
	const ran: number[] = [];
	for (const migration of sorted) {
		if (applied.has(migration.version)) continue;
		db.transaction(() => {
			db.exec(migration.sql);
			db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
				migration.version,
				migration.name,
				new Date().toISOString()
			);
		})();
		ran.push(migration.version);
	}
	return ran;
}

export function schemaVersion(db: SqliteDatabase): number {
	const v = db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get();
	return typeof v === 'number' ? v : 0;
}
