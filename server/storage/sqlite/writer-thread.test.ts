import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from './database';
import { WriterThread } from './writer-thread';

const roots: string[] = [];
const open: Array<{ db: SqliteDatabase; writer: WriterThread }> = [];
afterEach(async () => {
	for (const { db, writer } of open.splice(0)) {
		await writer.close();
		if (db.open) db.close();
	}
	for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function start(idleMs: number) {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-writer-'));
	roots.push(root);
	const db = openDatabase(root);
	db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
	const writer = new WriterThread(db.name, idleMs);
	open.push({ db, writer });
	return { db, writer };
}

const insert = (v: string) => [{ sql: 'INSERT INTO t (v) VALUES (?)', params: [v] }];
const rows = (db: SqliteDatabase) =>
	(db.prepare('SELECT v FROM t ORDER BY id').all() as Array<{ v: string }>).map((r) => r.v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("SQLite's writer thread", () => {
	it('ends when the database has been quiet, and the next batch starts another', async () => {
		const { db, writer } = start(300);
		expect(writer.running).toBe(false);
		await writer.batch(insert('a'));
		expect(writer.running).toBe(true);
		await sleep(1_000);
		expect(writer.running).toBe(false);
		await writer.batch(insert('b'));
		expect(writer.running).toBe(true);
		expect(rows(db)).toEqual(['a', 'b']);
	});

	it('stays while batches keep coming, and loses none across an end', async () => {
		const { db, writer } = start(300);
		const written: string[] = [];
		for (let i = 0; i < 10; i++) {
			await writer.batch(insert(`x${i}`));
			written.push(`x${i}`);
			await sleep(100);
			expect(writer.running).toBe(true);
		}
		// Just past the idle time: the old thread is closing its connection while the next batches
		// start a new one. They all land, in order.
		await sleep(320);
		await Promise.all(['y0', 'y1', 'y2'].map((v) => writer.batch(insert(v))));
		expect(rows(db)).toEqual([...written, 'y0', 'y1', 'y2']);
	});
});
