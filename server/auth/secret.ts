import { randomBytes } from 'node:crypto';
import { MIN_SECRET_LENGTH } from '../config.js';
import type { SqliteDatabase } from '../storage/sqlite/database.js';

export const SERVER_SECRET_META_KEY = 'server_secret';

/**
 * The server's signing secret: `SERVER_SECRET` from the environment when set (an operator who
 * mints tokens in an identity portal sets the same value there), otherwise 32 random bytes
 * generated once and kept in `server_meta` so that tokens survive restarts.
 * Never log the returned value.
 */
export function loadServerSecret(db: SqliteDatabase, configured: string | null = null): string {
	// The configured value was validated by the configuration schema (server/config.ts).
	if (configured) return configured;
	const read = db.prepare('SELECT value FROM server_meta WHERE key = ?').pluck();
	const existing = read.get(SERVER_SECRET_META_KEY);
	if (typeof existing === 'string' && existing.length >= MIN_SECRET_LENGTH) return existing;
	const generated = randomBytes(32).toString('base64url');
	db.prepare('INSERT INTO server_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING').run(
		SERVER_SECRET_META_KEY,
		generated
	);
	// Another process may have won the race: use whatever is stored now.
	const stored = read.get(SERVER_SECRET_META_KEY);
	return typeof stored === 'string' ? stored : generated;
}
