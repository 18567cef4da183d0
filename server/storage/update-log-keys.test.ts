import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { migrate } from './sqlite/database.js';
import { createSqliteDocumentStore } from './sqlite/document-store.js';
import { migrations } from './sqlite/migrations.js';

/** A one-key Yjs update of a fresh client: each is a distinct log row. */
function edit(key: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getMap('m').set(key, key);
	return Y.encodeStateAsUpdate(doc);
}

const keysOf = (updates: Uint8Array[]) => {
	const doc = new Y.Doc();
	for (const u of updates) Y.applyUpdate(doc, u);
	return [...doc.getMap('m').keys()].sort();
};

describe('the update log indexed by a program number (migration 152)', () => {
	it('keeps the log rows of a database written before it, and finds rows by program after it', async () => {
		const db = new Database(':memory:');
		db.pragma('foreign_keys = ON');
		// A database in the field: the relay's tables as of migration 151, with a log in them.
		migrate(
			db,
			migrations.filter((m) => m.version < 152)
		);
		const insertProgram = db.prepare(
			"INSERT INTO programs (id, organization_id, created_at) VALUES (?, NULL, '2026-01-01')"
		);
		const insertRow = db.prepare(
			'INSERT INTO program_updates (program_id, data, received_at) VALUES (?, ?, 1)'
		);
		for (const p of ['b-program', 'a-program', 'c-program']) insertProgram.run(p);
		// Interleaved, as a relay's commits interleave programs.
		for (const [p, k] of [
			['a-program', 'a1'],
			['b-program', 'b1'],
			['a-program', 'a2'],
			['c-program', 'c1'],
			['b-program', 'b2']
		] as const)
			insertRow.run(p, Buffer.from(edit(k)));

		expect(migrate(db, migrations)).toContain(152);
		const store = createSqliteDocumentStore(db);
		const loaded = async (p: string) => (await store.load(p)).updates;
		expect(keysOf(await loaded('a-program'))).toEqual(['a1', 'a2']);
		expect(keysOf(await loaded('b-program'))).toEqual(['b1', 'b2']);
		expect(await store.logLength('c-program')).toBe(1);

		// After it: a new program gets a number; a batch over several programs lands in each one's
		// log, in order, with increasing sequence numbers (one INSERT per power of two) — under the
		// number `load` remembered (a-program) and under the one looked up (d-program, not loaded).
		await store.createProgram('d-program');
		const batch = Array.from({ length: 7 }, (_, i) => ({
			programId: i % 2 ? 'd-program' : 'a-program',
			data: edit(`${i % 2 ? 'd' : 'a'}-new-${i}`),
			receivedAt: 2
		}));
		const seqs = await store.append(batch);
		expect(seqs).toHaveLength(7);
		expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
		expect(keysOf(await loaded('d-program'))).toEqual(['d-new-1', 'd-new-3', 'd-new-5']);
		expect(keysOf(await loaded('a-program'))).toEqual([
			'a-new-0',
			'a-new-2',
			'a-new-4',
			'a-new-6',
			'a1',
			'a2'
		]);
		// The log is read in the order it was appended.
		const order = (await store.load('a-program')).updates.map((u) => keysOf([u])[0]);
		expect(order).toEqual(['a1', 'a2', 'a-new-0', 'a-new-2', 'a-new-4', 'a-new-6']);
		// Found by the program's number: since migration 154 the log's key (program_key, seq).
		const plan = db
			.prepare(
				`EXPLAIN QUERY PLAN SELECT seq FROM program_updates
				 WHERE program_key = (SELECT key FROM program_log_keys WHERE program_id = ?) ORDER BY seq`
			)
			.all('a-program') as Array<{ detail: string }>;
		expect(plan.map((r) => r.detail).join('; ')).toMatch(
			/SEARCH program_updates USING PRIMARY KEY \(program_key=\?\)/
		);
		await store.close();
	});

	it('refuses an append to a program that has no number rather than storing a row no one finds', async () => {
		const db = new Database(':memory:');
		db.pragma('foreign_keys = ON');
		migrate(db, migrations);
		// A program row written around the store (as a hand-made fixture would be).
		db.prepare(
			"INSERT INTO programs (id, organization_id, created_at) VALUES ('x', NULL, '2026-01-01')"
		).run();
		const store = createSqliteDocumentStore(db);
		await expect(
			store.append([{ programId: 'x', data: edit('k'), receivedAt: 1 }])
		).rejects.toThrow(/NOT NULL/);
		await store.close();
	});
});
