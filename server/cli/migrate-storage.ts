import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { redactUrl } from '../storage/index.js';
import { copySqliteToPostgres, verifyCopy } from '../storage/migrate-storage.js';
import { createPool, migratePostgres } from '../storage/postgres/database.js';
import { createPostgresDocumentStore } from '../storage/postgres/document-store.js';
import { openDatabase } from '../storage/sqlite/database.js';
import { createSqliteDocumentStore } from '../storage/sqlite/document-store.js';

/**
 * `npm run cli -- migrate-storage [--from <data dir>] [--to <postgres url>] [--verify-only]`
 * Copies the SQLite data directory (default DATA_DIR) into the PostgreSQL database (default
 * DATABASE_URL), which must be empty, then verifies the copy. Stop the server first.
 */
export const migrateStorageCommand = {
	summary: 'Copy an SQLite data directory into an empty PostgreSQL database, then verify it',
	usage:
		'migrate-storage [--from <data dir, default DATA_DIR>] [--to <postgres://…, default DATABASE_URL>] [--verify-only]',
	async run(argv: string[]): Promise<number> {
		const { values } = parseArgs({
			args: argv,
			strict: true,
			options: {
				from: { type: 'string' },
				to: { type: 'string' },
				'verify-only': { type: 'boolean' }
			}
		});
		const config = loadConfig({
			...process.env,
			...(values.to !== undefined ? { DATABASE_URL: values.to } : {}),
			...(values.from !== undefined ? { DATA_DIR: values.from } : {})
		});
		const dataDir = config.dataDir;
		if (!config.databaseUrl) {
			console.error('migrate-storage needs a target: --to postgres://… or DATABASE_URL');
			return 2;
		}
		const started = Date.now();
		const sqlite = openDatabase(dataDir);
		const pool = await createPool(config.databaseUrl, {
			max: 4,
			applicationName: 'nastavnik-migrate'
		});
		try {
			console.log(`from: SQLite ${dataDir}`);
			console.log(`to:   PostgreSQL ${redactUrl(config.databaseUrl)}`);
			await migratePostgres(pool);
			const log = (line: string) => console.log(`  ${line}`);
			if (!values['verify-only']) await copySqliteToPostgres(sqlite, pool, { log });
			const report = await verifyCopy(
				sqlite,
				pool,
				{ sqlite: createSqliteDocumentStore(sqlite), postgres: createPostgresDocumentStore(pool) },
				{ log }
			);
			const seconds = ((Date.now() - started) / 1000).toFixed(1);
			if (report.mismatches.length > 0) {
				console.error(`VERIFICATION FAILED (${report.mismatches.length} differences shown):`);
				for (const m of report.mismatches) console.error(`  ${m}`);
				return 1;
			}
			console.log(
				`OK: ${report.programs} programs, ${report.documentsCompared} documents identical byte for byte, ` +
					`${report.summariesCompared} summaries identical field for field, every table row for row (${seconds} s)`
			);
			return 0;
		} finally {
			// A failed verification can leave a statement iterating: closing then throws «connection
			// is busy», which would hide the error that matters (the one already on its way out).
			try {
				sqlite.close();
			} catch (error) {
				console.error(`closing the SQLite database: ${String(error)}`);
			}
			await pool.end();
		}
	}
};
