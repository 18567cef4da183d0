import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Checkpointer } from './checkpointer';
import { DATABASE_FILE, openDatabase, type SqliteDatabase } from './database';

const roots: string[] = [];
const open: Array<{ db: SqliteDatabase; checkpointer: Checkpointer | null }> = [];
afterEach(async () => {
	for (const { db, checkpointer } of open.splice(0)) {
		await checkpointer?.close();
		if (db.open) db.close();
	}
	for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function start(warnings: string[] = []) {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-checkpointer-'));
	roots.push(root);
	const db = openDatabase(root);
	db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
	db.pragma('wal_checkpoint(TRUNCATE)');
	const checkpointer = Checkpointer.start(db, {
		warn: (_d, m) => warnings.push(m),
		info: () => undefined
	});
	open.push({ db, checkpointer });
	return { db, checkpointer, file: path.join(root, DATABASE_FILE) };
}

/** ~8 MB in 20 commits: 2,000 pages, twice SQLite's own checkpoint threshold. */
function fill(db: SqliteDatabase): void {
	const insert = db.prepare('INSERT INTO filler (data) VALUES (?)');
	for (let c = 0; c < 20; c++)
		db.transaction(() => {
			for (let i = 0; i < 100; i++) insert.run(Buffer.alloc(4000, c));
		})();
}

async function until(check: () => boolean, ms = 10_000): Promise<boolean> {
	const t0 = Date.now();
	while (Date.now() - t0 < ms) {
		if (check()) return true;
		await new Promise((r) => setTimeout(r, 50));
	}
	return check();
}

const autocheckpoint = (db: SqliteDatabase) => db.pragma('wal_autocheckpoint', { simple: true });

describe('WAL checkpoints on a thread of their own', () => {
	it('the connection commits without checkpointing; the thread copies the WAL into the database', async () => {
		const { db, file } = start();
		expect(autocheckpoint(db)).toBe(0);
		const before = statSync(file).size;
		fill(db);
		expect(await until(() => statSync(file).size >= before + 7_500_000)).toBe(true);
		expect(db.prepare('SELECT count(*) AS n FROM filler').get()).toEqual({ n: 2000 });
	});

	it('when the thread dies, the connection checkpoints itself again, and says so', async () => {
		const warnings: string[] = [];
		const { db, checkpointer, file } = start(warnings);
		await checkpointer?.thread.terminate();
		expect(await until(() => autocheckpoint(db) === 1000)).toBe(true);
		expect(warnings.join()).toMatch(/checkpoints inline/);
		const before = statSync(file).size;
		fill(db); // the commits past 1,000 pages checkpoint inline
		expect(statSync(file).size).toBeGreaterThan(before + 3_000_000);
	});

	it('closing restores checkpoints in the connection', async () => {
		const { db, checkpointer } = start();
		await checkpointer?.close();
		expect(autocheckpoint(db)).toBe(1000);
	});
});
