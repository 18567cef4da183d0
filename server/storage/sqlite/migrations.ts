/**
 * Numbered schema migrations for the SQLite store. Each runs once, in its own transaction,
 * in order, at start-up. Never edit a migration that has shipped: add the next number.
 */
export interface Migration {
	version: number;
	name: string;
	sql: string;
}

export const migrations: Migration[] = [
	{
		version: 1,
		name: 'server meta',
		sql: `
			CREATE TABLE server_meta (
				key TEXT PRIMARY KEY,
				value TEXT NOT NULL
			) STRICT;
		`
	}
];
