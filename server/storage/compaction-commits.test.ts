/**
 * A compaction on SQLite commits its new state and the deletion of the log rows it verified
 * together, with the log clustered by program (migration 154, issue 18): all or nothing, and
 * exactly the rows it read, whether a row moved from the recent table or a new one arrived while
 * it merged. Real SQLite; the writes are observed and interleaved by wrapping the client's own
 * batch runner.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createSqlDocumentStore } from './sql-document-store';
import { sqliteClient, type BatchRunner, type Statement } from './sql';
import { openDatabase, type SqliteDatabase } from './sqlite/database';
import { textOf } from './log-fixtures';

const roots: string[] = [];
const dbs: SqliteDatabase[] = [];
const stores: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
	for (const s of stores.splice(0)) await s.close();
	for (const db of dbs.splice(0)) db.close();
	for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

const isCompaction = (batch: Statement[]) => batch[0]?.sql.includes('INTO program_state') ?? false;

function open() {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-compaction-commits-'));
	roots.push(root);
	const db = openDatabase(root);
	dbs.push(db);
	const sql = sqliteClient(db);
	const batches: Statement[][] = [];
	/** When set, a compaction's write fails, as a crash at its commit would. */
	let crash = false;
	/** When set, runs once just before a compaction's write: what happened while it merged. */
	let meanwhile: (() => Promise<unknown>) | null = null;
	const write: BatchRunner = async (statements, options) => {
		if (isCompaction(statements)) {
			if (crash) throw new Error('crash at the commit');
			const before = meanwhile;
			meanwhile = null;
			await before?.();
		}
		batches.push(statements);
		return sql.batch(statements, options);
	};
	const store = createSqlDocumentStore(sql, { write, moveEveryMs: 3_600_000 });
	stores.push(store);
	return {
		db,
		store,
		batches,
		crashAtCommit: (on: boolean) => {
			crash = on;
		},
		whileMerging: (f: () => Promise<unknown>) => {
			meanwhile = f;
		}
	};
}

type Store = ReturnType<typeof open>['store'];

/** Appends `n` edits to a program's `notes`, one log row each, interleaved with `other`'s if given. */
async function appendEdits(
	store: Store,
	programId: string,
	n: number,
	other?: { id: string; doc: Y.Doc }
): Promise<Y.Doc> {
	if (!(await store.programExists(programId))) await store.createProgram(programId);
	const doc = new Y.Doc();
	await addEdits(store, programId, doc, n, other);
	return doc;
}

async function addEdits(
	store: Store,
	programId: string,
	doc: Y.Doc,
	n: number,
	other?: { id: string; doc: Y.Doc }
) {
	const edit = (d: Y.Doc, id: string, i: number) => {
		const before = Y.encodeStateVector(d);
		const text = d.getText('notes');
		text.insert(text.length, `${i % 10}`);
		return { programId: id, data: Y.encodeStateAsUpdate(d, before), receivedAt: Date.now() };
	};
	for (let i = 0; i < n; i++)
		await store.append([edit(doc, programId, i), ...(other ? [edit(other.doc, other.id, i)] : [])]);
}

const text = (doc: Y.Doc) => doc.getText('notes').toString();

describe('compaction on SQLite', () => {
	it('replaces the state and deletes all its rows in one commit, leaving other programs alone', async () => {
		const { store, batches } = open();
		await store.createProgram('other');
		const other = { id: 'other', doc: new Y.Doc() };
		const doc = await appendEdits(store, 'p1', 700, other);
		await store.moveRecentLog(); // most rows in the clustered log …
		await addEdits(store, 'p1', doc, 20, other); // … some still in the recent table
		const stored = await store.load('p1');
		batches.length = 0;
		const outcome = await store.compact('p1', null, null, stored.lastSeq);
		expect(outcome).toMatchObject({ status: 'compacted', rows: 720 });
		expect(batches.length).toBe(1);
		expect(await store.logLength('p1')).toBe(0);
		expect(await textOf(store, 'p1')).toBe(text(doc));
		expect(await store.logLength('other')).toBe(720);
		expect(await textOf(store, 'other')).toBe(text(other.doc));
	});

	it('a crash at its commit changes nothing; the next compaction does it all', async () => {
		const { store, crashAtCommit } = open();
		const doc = await appendEdits(store, 'p2', 300);
		await store.moveRecentLog();
		const stored = await store.load('p2');
		crashAtCommit(true);
		await expect(store.compact('p2', null, null, stored.lastSeq)).rejects.toThrow(/crash/);
		crashAtCommit(false);
		expect(await store.logLength('p2')).toBe(300);
		expect((await store.load('p2')).state).toBeNull();
		expect(await textOf(store, 'p2')).toBe(text(doc));
		expect(await store.compact('p2', null, null, stored.lastSeq)).toMatchObject({
			status: 'compacted',
			rows: 300
		});
		expect(await store.logLength('p2')).toBe(0);
		expect(await textOf(store, 'p2')).toBe(text(doc));
	});

	it('keeps a row that arrived while it merged, and deletes a row that moved meanwhile', async () => {
		const { store, whileMerging } = open();
		const doc = await appendEdits(store, 'p3', 50); // all in the recent table
		const stored = await store.load('p3');
		whileMerging(async () => {
			await store.moveRecentLog(); // the rows it read are now in the other table
			await addEdits(store, 'p3', doc, 1); // and one it did not read arrives
		});
		expect(await store.compact('p3', null, null, stored.lastSeq)).toMatchObject({
			status: 'compacted',
			rows: 50
		});
		expect(await store.logLength('p3')).toBe(1);
		expect(await textOf(store, 'p3')).toBe(text(doc));
	});

	it('loses whole to a compaction that replaced the state meanwhile, deleting nothing', async () => {
		const { store, whileMerging } = open();
		const doc = await appendEdits(store, 'p4', 40);
		const first = await store.load('p4');
		await addEdits(store, 'p4', doc, 10);
		const second = await store.load('p4');
		// An earlier compaction (through 40) commits while this one (through 50) merges: this one
		// must not delete rows 41–50, which the state now stored does not hold.
		whileMerging(() => store.compact('p4', null, null, first.lastSeq));
		expect(await store.compact('p4', null, null, second.lastSeq)).toMatchObject({
			status: 'skipped'
		});
		expect(await store.logLength('p4')).toBe(10);
		expect(await textOf(store, 'p4')).toBe(text(doc));
	});

	it('finds a program’s rows by its key in the clustered log, not by a scan', () => {
		const { db } = open();
		const plan = (sqlText: string) =>
			(db.prepare(`EXPLAIN QUERY PLAN ${sqlText}`).all('p') as Array<{ detail: string }>)
				.map((r) => r.detail)
				.join('; ');
		const key = '(SELECT key FROM program_log_keys WHERE program_id = ?)';
		expect(plan(`DELETE FROM program_updates WHERE program_key = ${key} AND seq <= 5`)).toMatch(
			/SEARCH program_updates USING PRIMARY KEY \(program_key=\? AND seq<\?\)/
		);
		expect(plan(`SELECT seq, data FROM program_updates WHERE program_key = ${key}`)).toMatch(
			/SEARCH program_updates USING PRIMARY KEY \(program_key=\?\)/
		);
	});
});
