/**
 * The data directory holds the database (with the signing secret in `server_meta`, session and
 * invitation digests, every program): only the server's own user may read it. The directory is
 * created 0700 and the database 0600 before SQLite opens it — SQLite gives its -wal and -shm
 * files the database file's mode — and an existing directory or file that others can read is
 * fixed at start; the caller logs what was fixed.
 */
import {
	chmodSync,
	closeSync,
	existsSync,
	mkdirSync,
	openSync,
	readdirSync,
	statSync
} from 'node:fs';
import path from 'node:path';

export const DIRECTORY_MODE = 0o700;
export const FILE_MODE = 0o600;

/** A mode that was changed: which path, from what to what (octal strings, for the log). */
export interface ModeFix {
	path: string;
	from: string;
	to: string;
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0');

function tighten(target: string, mode: number, fixes: ModeFix[]): void {
	const current = statSync(target).mode & 0o777;
	// Only ever take permissions away: an operator's stricter mode (0500, 0400) stays.
	const wanted = current & mode;
	if (current === wanted) return;
	chmodSync(target, wanted);
	fixes.push({ path: target, from: octal(current), to: octal(wanted) });
}

/**
 * Makes `dataDir` private: creates it 0700 (or takes group and other permissions away from an
 * existing one), creates `databaseFile` 0600 if missing, and takes group and other permissions
 * away from every regular file directly in the directory (database, WAL, backups).
 */
export function secureDataDir(dataDir: string, databaseFile?: string): ModeFix[] {
	const fixes: ModeFix[] = [];
	if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true, mode: DIRECTORY_MODE });
	tighten(dataDir, DIRECTORY_MODE, fixes);
	if (databaseFile) {
		// 'a': create if missing, never truncate; the mode applies only to a new file.
		closeSync(openSync(path.join(dataDir, databaseFile), 'a', FILE_MODE));
	}
	for (const entry of readdirSync(dataDir, { withFileTypes: true })) {
		if (entry.isFile()) tighten(path.join(dataDir, entry.name), FILE_MODE, fixes);
	}
	return fixes;
}
