/**
 * The recent part of SQLite's update log (migration 153, server/storage/sqlite/recent-log.ts):
 * rows are appended to a small table and moved to the log in pieces. Real SQLite files; a crash
 * between pieces is a write runner that fails the piece, as a killed process would.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createSqlDocumentStore, type SqlDocumentStore } from '../sql-document-store.js';
import { sqliteClient, type BatchRunner } from '../sql.js';
import { DATABASE_FILE, migrate, openDatabase, type SqliteDatabase } from './database.js';
import { migrations } from './migrations.js';
import { MOVE_AT_ROWS, ROWS_PER_PIECE } from './recent-log.js';
import { CLUSTERED_ROW_MAX_BYTES } from './clustered-log.js';
import { editOf, textOf } from '../log-fixtures.js';

const roots: string[] = [];
const opened: Array<{ db: SqliteDatabase; store: SqlDocumentStore }> = [];
afterEach(async () => {
	for (const { db, store } of opened.splice(0)) {
		await store.close();
		if (db.open) db.close();
	}
	for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function newRoot(): string {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-recent-log-'));
	roots.push(root);
	return root;
}

/** Opens the data directory as the server does; `failMoveAt` fails that piece of a move. */
function open(root: string, failMoveAt: number | null = null) {
	const db = openDatabase(root);
	const sql = sqliteClient(db);
	let piece = 0;
	const write: BatchRunner = (statements, options) => {
		if (statements[0]?.sql.includes('SELECT seq, program_id') && piece++ === failMoveAt)
			return Promise.reject(new Error('crash between pieces'));
		return sql.batch(statements, options);
	};
	const store = createSqlDocumentStore(sql, {
		write,
		moveEveryMs: 3_600_000,
		staleSummaries: true
	});
	opened.push({ db, store });
	return { db, store };
}

/** Each program's text, one character per edit, each edit its own log row. */
async function appendEdits(store: SqlDocumentStore, programs: number, edits: number) {
	const docs = Array.from({ length: programs }, () => new Y.Doc());
	for (let p = 0; p < programs; p++) await store.createProgram(`p${p}`);
	for (let e = 0; e < edits; e++) {
		await store.append(
			docs.map((doc, p) => {
				const before = Y.encodeStateVector(doc);
				doc.getText('notes').insert(e, `${e % 10}`);
				return {
					programId: `p${p}`,
					data: Y.encodeStateAsUpdate(doc, before),
					receivedAt: Date.now()
				};
			})
		);
	}
	return docs.map((d) => d.getText('notes').toString());
}

/** An update of about `bytes` bytes. */
const sizedEdit = (bytes: number): Uint8Array => editOf('я'.repeat(bytes / 4));

const seqsIn = (db: SqliteDatabase, table: string): number[] =>
	db
		.prepare(`SELECT seq FROM ${table} ORDER BY seq`)
		.pluck()
		.all()
		.map((s) => Number(s));

describe('the recent update log (SQLite)', () => {
	it('appends to the recent table; a move takes every row to the log with its number, and the documents read the same', async () => {
		const { db, store } = open(newRoot());
		const texts = await appendEdits(store, 30, 20);
		const before = seqsIn(db, 'program_updates_recent');
		expect(before.length).toBe(600);
		expect(seqsIn(db, 'program_updates')).toEqual([]);
		const loadedBefore = await store.load('p7');

		expect(await store.moveRecentLog()).toBe(600);
		expect(seqsIn(db, 'program_updates_recent')).toEqual([]);
		expect(seqsIn(db, 'program_updates')).toEqual(before);
		const loadedAfter = await store.load('p7');
		expect(loadedAfter.lastSeq).toBe(loadedBefore.lastSeq);
		expect(loadedAfter.updates).toEqual(loadedBefore.updates);
		expect(await store.logLength('p7')).toBe(20);
		for (const p of [0, 7, 29]) expect(await textOf(store, `p${p}`)).toBe(texts[p]);
	});

	it('a crash between pieces of a move loses and duplicates nothing; the next move and a restart take the rest', async () => {
		const root = newRoot();
		const programs = 100;
		const edits = Math.ceil((3 * ROWS_PER_PIECE) / programs) + 1; // four pieces or more
		const { db, store } = open(root, 1);
		const texts = await appendEdits(store, programs, edits);
		const all = seqsIn(db, 'program_updates_recent');

		await expect(store.moveRecentLog()).rejects.toThrow(/crash between pieces/);
		const moved = seqsIn(db, 'program_updates');
		const left = seqsIn(db, 'program_updates_recent');
		expect(moved.length).toBeGreaterThan(0);
		expect(left.length).toBeGreaterThan(0);
		expect(moved.filter((s) => left.includes(s))).toEqual([]);
		expect([...moved, ...left].sort((a, b) => a - b)).toEqual(all);
		for (let p = 0; p < programs; p += 9) {
			expect(await store.logLength(`p${p}`)).toBe(edits);
			expect(await textOf(store, `p${p}`)).toBe(texts[p]);
		}

		// A compaction between the crash and the next move folds rows from both tables.
		const stored = await store.load('p3');
		expect(await store.compact('p3', null, null, stored.lastSeq)).toMatchObject({
			status: 'compacted',
			rows: edits
		});
		await store.moveRecentLog();
		expect(seqsIn(db, 'program_updates_recent')).toEqual([]);

		// A restart settles whatever a crash left in the recent table.
		await store.append([{ programId: 'p5', data: editOf('after'), receivedAt: 1 }]);
		await store.close();
		db.close();
		const again = open(root);
		expect(seqsIn(again.db, 'program_updates_recent')).toEqual([]);
		expect(seqsIn(again.db, 'program_updates').length).toBe(all.length - edits + 1);
		expect(await textOf(again.store, 'p3')).toBe(texts[3]);
		expect(await again.store.logLength('p5')).toBe(edits + 1);
	});

	it("a big update never goes into the clustered log: moved to the big rows' table, read in order with the rest, seen by the stale-summary scan, compacted with it", async () => {
		const { db, store } = open(newRoot());
		await store.createProgram('p0');
		await store.createProgram('p1');
		const doc = new Y.Doc();
		const text = doc.getText('notes');
		/** One edit of p0's text, appended as its own row; its size in bytes. */
		const edit = async (change: () => void) => {
			const before = Y.encodeStateVector(doc);
			change();
			const data = Y.encodeStateAsUpdate(doc, before);
			await store.append([
				{ programId: 'p0', data, receivedAt: 1 },
				{ programId: 'p1', data: editOf(`p1-${text.length}`), receivedAt: 1 }
			]);
			return data.length;
		};
		// A first sync of a whole program, typing, a pasted paragraph, more typing.
		const sizes = [
			await edit(() => text.insert(0, 'Программа наставничества. '.repeat(3_000))),
			await edit(() => text.insert(0, 'а')),
			await edit(() => text.insert(1, 'б')),
			await edit(() => text.insert(2, 'Абзац из отчёта наставника. '.repeat(40))),
			await edit(() => text.insert(0, 'в'))
		];
		expect(sizes[0]).toBeGreaterThan(50_000);
		expect(sizes[3]).toBeGreaterThan(CLUSTERED_ROW_MAX_BYTES);
		expect(sizes[1]).toBeLessThan(CLUSTERED_ROW_MAX_BYTES);

		// A program whose only row is a big one: its summary is behind the log, wherever the row is.
		await store.createProgram('p2');
		await store.append([{ programId: 'p2', data: sizedEdit(4_000), receivedAt: 1 }]);

		expect(await store.moveRecentLog()).toBe(11);
		const biggest = db.prepare('SELECT max(length(data)) FROM program_updates').pluck().get();
		expect(biggest).toBeLessThanOrEqual(CLUSTERED_ROW_MAX_BYTES);
		expect(seqsIn(db, 'program_updates_large')).toHaveLength(3);
		expect(await store.staleSummaries?.()).toContain('p2');
		expect(seqsIn(db, 'program_updates')).toHaveLength(8);
		// One more edit stays in the recent table: p0's rows are now in all three.
		sizes.push(await edit(() => text.insert(0, 'г')));
		expect(seqsIn(db, 'program_updates_recent')).toHaveLength(2);

		const stored = await store.load('p0');
		expect(stored.updates.map((u) => u.length)).toEqual(sizes);
		expect(await store.logLength('p0')).toBe(6);
		expect(await textOf(store, 'p0')).toBe(text.toString());

		expect(await store.compact('p0', null, null, stored.lastSeq)).toMatchObject({
			status: 'compacted',
			rows: 6
		});
		expect(await store.logLength('p0')).toBe(0);
		expect(seqsIn(db, 'program_updates_large')).toHaveLength(1);
		expect(await textOf(store, 'p0')).toBe(text.toString());
		expect(await store.logLength('p1')).toBe(6);
	});

	it('appending MOVE_AT_ROWS rows starts a move without waiting for the timer', async () => {
		const { db, store } = open(newRoot());
		await appendEdits(store, 200, Math.ceil(MOVE_AT_ROWS / 200));
		for (let i = 0; i < 200 && seqsIn(db, 'program_updates_recent').length > 0; i++)
			await new Promise((r) => setTimeout(r, 25));
		expect(seqsIn(db, 'program_updates_recent')).toEqual([]);
		expect(seqsIn(db, 'program_updates').length).toBe(MOVE_AT_ROWS);
	});

	it('never draws a sequence number twice: not after a move, a compaction of everything and a restart', async () => {
		const root = newRoot();
		const { db, store } = open(root);
		await appendEdits(store, 3, 5);
		const highest = Math.max(...seqsIn(db, 'program_updates_recent'));
		await store.moveRecentLog();
		for (const p of ['p0', 'p1', 'p2']) {
			const stored = await store.load(p);
			await store.compact(p, null, null, stored.lastSeq);
		}
		expect(seqsIn(db, 'program_updates')).toEqual([]);
		await store.close();
		db.close();
		const again = open(root);
		const [seq] = await again.store.append([
			{ programId: 'p0', data: editOf('new'), receivedAt: 1 }
		]);
		expect(seq).toBeGreaterThan(highest);
		// The compacted state is through `highest`: a lower number would be skipped as folded in.
		expect((await again.store.load('p0')).updates.length).toBe(1);
	});

	it('a database written before migration 153 continues its sequence numbers', async () => {
		const root = newRoot();
		const raw = new Database(path.join(root, DATABASE_FILE));
		migrate(
			raw,
			migrations.filter((m) => m.version < 153)
		);
		raw.prepare("INSERT INTO programs (id, created_at) VALUES ('old', '2026-01-01')").run();
		raw.prepare("INSERT INTO program_log_keys (program_id) VALUES ('old')").run();
		const insert = raw.prepare(
			"INSERT INTO program_updates (program_id, program_key, data, received_at) VALUES ('old', 1, ?, 1)"
		);
		for (let i = 0; i < 12; i++) insert.run(Buffer.from(editOf(`old-${i}`)));
		// The newest rows compacted away: only the sequence remembers their numbers.
		raw.prepare('DELETE FROM program_updates WHERE seq > 4').run();
		raw.close();

		const { store } = open(root);
		const [seq] = await store.append([{ programId: 'old', data: editOf('new'), receivedAt: 2 }]);
		expect(seq).toBe(13);
		expect(await store.logLength('old')).toBe(5);
	});
});
