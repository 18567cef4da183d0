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

function start(warnings: string[] = [], idleMs?: number) {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-checkpointer-'));
	roots.push(root);
	const db = openDatabase(root);
	db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
	db.pragma('wal_checkpoint(TRUNCATE)');
	const checkpointer = Checkpointer.start(
		db,
		{ warn: (_d, m) => warnings.push(m), info: () => undefined },
		idleMs === undefined ? {} : { idleMs }
	);
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
		const before = statSync(file).size;
		db.prepare('INSERT INTO filler (data) VALUES (?)').run(Buffer.alloc(10, 1)); // wakes the thread
		expect(await until(() => autocheckpoint(db) === 0)).toBe(true);
		fill(db);
		expect(await until(() => statSync(file).size >= before + 7_500_000)).toBe(true);
		expect(db.prepare('SELECT count(*) AS n FROM filler').get()).toEqual({ n: 2001 });
	});

	it('a quiet database keeps no thread: it ends after the idle time, and the next commit starts one', async () => {
		const warnings: string[] = [];
		const { db, checkpointer, file } = start(warnings, 500);
		// Started asleep: no thread, SQLite checkpoints the connection itself past 1,000 pages.
		expect(checkpointer?.thread).toBeNull();
		expect(checkpointer?.asleep).toBe(true);
		expect(autocheckpoint(db)).toBe(1000);
		fill(db);
		expect(await until(() => checkpointer?.thread !== null)).toBe(true);
		const first = checkpointer?.thread;
		let exited = false;
		first?.once('exit', () => (exited = true));
		expect(await until(() => checkpointer?.asleep === true && exited)).toBe(true);
		expect(autocheckpoint(db)).toBe(1000);
		expect(warnings).toEqual([]); // ending on purpose is not a failure
		// Woken again by the next write, on a new thread, which copies what was written.
		const before = statSync(file).size;
		db.prepare('INSERT INTO filler (data) VALUES (?)').run(Buffer.alloc(10, 2));
		expect(await until(() => checkpointer?.thread !== null)).toBe(true);
		expect(checkpointer?.thread).not.toBe(first);
		expect(autocheckpoint(db)).toBe(0);
		fill(db);
		expect(await until(() => statSync(file).size >= before + 7_500_000)).toBe(true);
		expect(warnings).toEqual([]);
	});

	it('when the thread dies, the connection checkpoints itself again, and says so', async () => {
		const warnings: string[] = [];
		const { db, checkpointer, file } = start(warnings);
		db.prepare('INSERT INTO filler (data) VALUES (?)').run(Buffer.alloc(10, 1));
		expect(await until(() => checkpointer?.thread != null)).toBe(true);
		await checkpointer?.thread?.terminate();
		expect(await until(() => autocheckpoint(db) === 1000)).toBe(true);
		expect(warnings.join()).toMatch(/checkpoints inline/);
		expect(checkpointer?.asleep).toBe(false); // not started again by later writes
		const before = statSync(file).size;
		fill(db); // the commits past 1,000 pages checkpoint inline
		expect(statSync(file).size).toBeGreaterThan(before + 3_000_000);
		expect(checkpointer?.thread).toBeNull();
	});

	it('closing restores checkpoints in the connection, asleep or running', async () => {
		const asleep = start();
		await asleep.checkpointer?.close();
		expect(autocheckpoint(asleep.db)).toBe(1000);
		asleep.db.prepare('INSERT INTO filler (data) VALUES (?)').run(Buffer.alloc(10, 1));
		await new Promise((r) => setTimeout(r, 300));
		expect(asleep.checkpointer?.thread).toBeNull(); // a closed checkpointer is not woken

		const running = start();
		running.db.prepare('INSERT INTO filler (data) VALUES (?)').run(Buffer.alloc(10, 1));
		expect(await until(() => running.checkpointer?.thread != null)).toBe(true);
		await running.checkpointer?.close();
		expect(autocheckpoint(running.db)).toBe(1000);
		expect(running.checkpointer?.thread).toBeNull();
	});
});
