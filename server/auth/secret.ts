import { randomBytes } from 'node:crypto';
import { MIN_SECRET_LENGTH } from '../config.js';
import type { SqlClient } from '../storage/sql.js';

export const SERVER_SECRET_META_KEY = 'server_secret';

/**
 * The server's signing secret: `SERVER_SECRET` from the environment when set (an operator who
 * mints tokens in an identity portal sets the same value there), otherwise 32 random bytes
 * generated once and kept in `server_meta` so that tokens survive restarts — and, on PostgreSQL,
 * so that every instance signs with the same secret (the first one to start generates it).
 * Never log the returned value.
 */
export async function loadServerSecret(
	sql: SqlClient,
	configured: string | null = null
): Promise<string> {
	// The configured value was validated by the configuration schema (server/config.ts).
	if (configured) return configured;
	const read = async () =>
		(
			await sql.get<{ value: string }>('SELECT value FROM server_meta WHERE key = ?', [
				SERVER_SECRET_META_KEY
			])
		)?.value;
	const existing = await read();
	if (typeof existing === 'string' && existing.length >= MIN_SECRET_LENGTH) return existing;
	await sql.run('INSERT INTO server_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [
		SERVER_SECRET_META_KEY,
		randomBytes(32).toString('base64url')
	]);
	// Another process may have won the race: use whatever is stored now.
	const stored = await read();
	if (!stored) throw new Error('server secret missing from server_meta');
	return stored;
}
