/**
 * A compaction deletes its log rows in small commits (issue 18, the compaction phase): one commit
 * of 700 interleaved rows held the relay's event loop for 10–17 ms. Real SQLite; the batches are
 * counted by wrapping the client's own batch runner.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DELETED_ROWS_PER_COMMIT, createSqlDocumentStore } from './sql-document-store';
import { sqliteClient, type BatchRunner, type Statement } from './sql';
import { openDatabase, type SqliteDatabase } from './sqlite/database';
import { textOf } from './log-fixtures';

const roots: string[] = [];
const dbs: SqliteDatabase[] = [];
afterEach(() => {
	for (const db of dbs.splice(0)) db.close();
	for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function open() {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-compaction-commits-'));
	roots.push(root);
	const db = openDatabase(root);
	dbs.push(db);
	const sql = sqliteClient(db);
	const batches: Statement[][] = [];
	/** When set, the batch with this index (counted from 0) fails, as a crash there would. */
	let failAt: number | null = null;
	const write: BatchRunner = (statements, options) => {
		const index = batches.push(statements) - 1;
		if (index === failAt) return Promise.reject(new Error('crash between commits'));
		return sql.batch(statements, options);
	};
	const store = createSqlDocumentStore(sql, { write });
	return {
		store,
		batches,
		failBatch: (index: number | null) => {
			failAt = index;
		}
	};
}

/** A program of `n` edits, appended one per row; returns the expected text. */
async function appendEdits(
	store: ReturnType<typeof open>['store'],
	programId: string,
	n: number
): Promise<string> {
	await store.createProgram(programId);
	const doc = new Y.Doc();
	const text = doc.getText('notes');
	for (let i = 0; i < n; i++) {
		const before = Y.encodeStateVector(doc);
		text.insert(text.length, `${i % 10}`);
		await store.append([
			{ programId, data: Y.encodeStateAsUpdate(doc, before), receivedAt: Date.now() }
		]);
	}
	return text.toString();
}

/** Rows a batch deletes, counted once: each row is deleted by number from both log tables. */
const deletesIn = (batch: Statement[]) =>
	batch
		.filter((s) => s.sql.startsWith('DELETE FROM program_updates WHERE'))
		.reduce((n, s) => n + (s.params?.length ?? 1) - 1, 0);

describe('compaction on SQLite', () => {
	it('deletes its rows in commits of at most DELETED_ROWS_PER_COMMIT, and all of them', async () => {
		const { store, batches } = open();
		const expected = await appendEdits(store, 'p1', 700);
		const stored = await store.load('p1');
		batches.length = 0;
		const outcome = await store.compact('p1', null, null, stored.lastSeq);
		expect(outcome).toMatchObject({ status: 'compacted', rows: 700 });
		const sizes = batches.map(deletesIn);
		expect(sizes.length).toBe(Math.ceil(700 / DELETED_ROWS_PER_COMMIT));
		expect(Math.max(...sizes)).toBeLessThanOrEqual(DELETED_ROWS_PER_COMMIT);
		expect(sizes.reduce((a, b) => a + b, 0)).toBe(700);
		expect(await store.logLength('p1')).toBe(0);
		expect(await textOf(store, 'p1')).toBe(expected);
	});

	it('a crash between its commits leaves a document that loads whole; the next compaction clears the rest', async () => {
		const { store, batches, failBatch } = open();
		const expected = await appendEdits(store, 'p2', 300);
		const stored = await store.load('p2');
		batches.length = 0;
		failBatch(2); // the state and 64 rows are committed, then 64 more; the third commit fails
		await expect(store.compact('p2', null, null, stored.lastSeq)).rejects.toThrow(/crash/);
		failBatch(null);
		expect(await store.logLength('p2')).toBe(300 - 2 * DELETED_ROWS_PER_COMMIT);
		expect(await textOf(store, 'p2')).toBe(expected);
		const more = await appendEdits(store, 'p3', 1); // another program's row in between
		const after = await store.load('p2');
		const outcome = await store.compact('p2', null, null, after.lastSeq);
		expect(outcome).toMatchObject({ status: 'compacted', rows: 300 - 2 * DELETED_ROWS_PER_COMMIT });
		expect(await store.logLength('p2')).toBe(0);
		expect(await textOf(store, 'p2')).toBe(expected);
		expect(await textOf(store, 'p3')).toBe(more);
	});
});
