import { loadConfig, type ServerConfig } from '../../config.js';
import { loadServerSecret } from '../../auth/secret.js';
import { createIdentity } from '../../identity/index.js';
import { createIdentityStore } from '../../identity/sql-store.js';
import type { IdentityService } from '../../identity/service.js';
import { createPrograms, type ProgramsService } from '../../programs/index.js';
import { createLogger } from '../../logger.js';
import type { DocumentStore } from '../../storage/document-store.js';
import { openStorage, type Storage } from '../../storage/index.js';

export interface CliContext {
	config: ServerConfig;
	/** The server's storage: SQLite in DATA_DIR, or PostgreSQL when DATABASE_URL is set. */
	storage: Storage;
	identity: IdentityService;
	programs: ProgramsService;
	documents: DocumentStore;
	secret: string;
	close(): Promise<void>;
}

/** Opens the storage like the server does (migrations included); logs go to stderr. */
export async function openCliContext(env: NodeJS.ProcessEnv = process.env): Promise<CliContext> {
	// The CLI logs only warnings unless LOG_LEVEL says otherwise.
	const config = loadConfig({ LOG_LEVEL: 'warn', ...env });
	const storage = await openStorage({
		dataDir: config.dataDir,
		databaseUrl: config.databaseUrl,
		poolSize: config.pgPoolSize
	});
	const secret = await loadServerSecret(storage.sql, config.serverSecret);
	const documents = storage.documents;
	const logger = createLogger(config.logLevel, process.stderr);
	const identity = createIdentity({
		store: createIdentityStore(storage.sql),
		secret,
		logger,
		publicUrl: config.publicUrl
	});
	const programs = createPrograms({ identity, documents, logger });
	return { config, storage, identity, programs, documents, secret, close: () => storage.close() };
}

/** "90s", "15m", "1h", "7d" → milliseconds; null when malformed. */
export function parseDuration(s: string): number | null {
	const m = /^(\d+)\s*(s|m|h|d)?$/.exec(s.trim());
	if (!m) return null;
	const n = Number(m[1]);
	const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 's'];
	return n > 0 ? n * unit : null;
}
