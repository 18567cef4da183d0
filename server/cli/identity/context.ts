import { loadServerSecret } from '../../auth/secret.js';
import { loadConfig, type ServerConfig } from '../../config.js';
import { createIdentity } from '../../identity/index.js';
import type { IdentityService } from '../../identity/service.js';
import { createLogger } from '../../logger.js';
import { openDatabase, type SqliteDatabase } from '../../storage/sqlite/database.js';
import { createSqliteDocumentStore } from '../../storage/sqlite/document-store.js';
import type { DocumentStore } from '../../storage/document-store.js';

export interface CliContext {
	config: ServerConfig;
	db: SqliteDatabase;
	identity: IdentityService;
	documents: DocumentStore;
	secret: string;
	close(): void;
}

/** Opens DATA_DIR like the server does (migrations included); logs go to stderr. */
export function openCliContext(env: NodeJS.ProcessEnv = process.env): CliContext {
	const config = loadConfig(env);
	const db = openDatabase(config.dataDir);
	const secret = loadServerSecret(db, env);
	const documents = createSqliteDocumentStore(db);
	const logger = createLogger(env.LOG_LEVEL ?? 'warn', process.stderr);
	const identity = createIdentity({ db, documents, secret, logger, publicUrl: config.publicUrl });
	return { config, db, identity, documents, secret, close: () => db.close() };
}

/** "90s", "15m", "1h", "7d" → milliseconds; null when malformed. */
export function parseDuration(s: string): number | null {
	const m = /^(\d+)\s*(s|m|h|d)?$/.exec(s.trim());
	if (!m) return null;
	const n = Number(m[1]);
	const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 's'];
	return n > 0 ? n * unit : null;
}
