/**
 * Migration 154 (server/storage/sqlite/clustered-log.ts): a database in the field, its log a rowid
 * table with programs' rows interleaved and some rows still in the recent table, is rebuilt
 * clustered by program and reads as before, byte for byte; its sequence goes on. Migration 155
 * then takes the rows too big for the clustered table out of it (program_updates_large).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { editOf } from '../log-fixtures.js';
import { sqliteClient } from '../sql.js';
import { createSqlDocumentStore } from '../sql-document-store.js';
import { DATABASE_FILE, migrate, openDatabase } from './database.js';
import { migrations } from './migrations.js';

const roots: string[] = [];
afterEach(() => {
	for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/**
 * A database in the field before migration `version`, with these programs: `insert` appends a
 * row to the recent table (which numbers it) and records it in `expected`, program by program.
 */
function databaseBefore(version: number, programs: string[]) {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-clustered-log-'));
	roots.push(root);
	const raw = new Database(path.join(root, DATABASE_FILE));
	raw.pragma('foreign_keys = ON');
	migrate(
		raw,
		migrations.filter((m) => m.version < version)
	);
	for (const p of programs) {
		raw.prepare("INSERT INTO programs (id, created_at) VALUES (?, '2026-01-01')").run(p);
		raw.prepare('INSERT INTO program_log_keys (program_id) VALUES (?)').run(p);
	}
	const keyOf = raw.prepare('SELECT key FROM program_log_keys WHERE program_id = ?').pluck();
	const append = raw.prepare(
		'INSERT INTO program_updates_recent (program_id, program_key, data, received_at) VALUES (?, ?, ?, 1)'
	);
	const expected = new Map<string, Buffer[]>(programs.map((p) => [p, []]));
	const insert = (p: string, data: Buffer) => {
		append.run(p, keyOf.get(p), data);
		expected.get(p)?.push(data);
	};
	return { root, raw, insert, expected };
}

describe('the update log clustered by program (migration 154)', () => {
	it('rebuilds a log of interleaved programs without losing or reordering a row', async () => {
		const programs = ['c', 'a', 'b'];
		const { root, raw, insert, expected } = databaseBefore(154, programs);
		// 30 rows in the recent table, interleaved by program; 24 moved to the log, 6 left.
		for (let i = 0; i < 30; i++) {
			const p = programs[i % 3]!;
			insert(p, Buffer.from(editOf(`${p}-${i}`)));
		}
		raw.exec(`INSERT INTO program_updates (seq, program_id, program_key, data, received_at)
				SELECT seq, program_id, program_key, data, received_at FROM program_updates_recent
				WHERE seq <= 24 ORDER BY seq;
			DELETE FROM program_updates_recent WHERE seq <= 24;`);
		raw.close();

		const db = openDatabase(root); // migrates 154 and settles the recent table
		try {
			const layout = db
				.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'program_updates'")
				.pluck()
				.get() as string;
			expect(layout).toMatch(/PRIMARY KEY \(program_key, seq\)\s*\) STRICT, WITHOUT ROWID/);
			expect(db.prepare('SELECT count(*) FROM program_updates').pluck().get()).toBe(30);
			const store = createSqlDocumentStore(sqliteClient(db), { moveEveryMs: 3_600_000 });
			for (const p of programs) {
				const loaded = await store.load(p);
				expect(loaded.updates.map((u) => Buffer.from(u))).toEqual(expected.get(p));
			}
			const [seq] = await store.append([{ programId: 'a', data: editOf('new'), receivedAt: 2 }]);
			expect(seq).toBe(31);
			await store.close();
		} finally {
			db.close();
		}
	});

	it('migration 155 takes the big rows out of the clustered log; every program reads as before', async () => {
		const programs = ['b', 'a'];
		// Appended to the recent table (its sequence numbers them), moved to the log as 154's mover did.
		const { root, raw, insert, expected } = databaseBefore(155, programs);
		// Each program: a first sync of 94 KB, typing, a pasted paragraph of 2 KB, typing.
		const sizes = [94_000, 0, 2_000, 0, 0];
		let rows = 0;
		for (const [i, size] of sizes.entries()) {
			for (const p of programs) {
				insert(p, Buffer.from(editOf(`${p}-${i}-${'я'.repeat(size / 4)}`)));
				rows++;
			}
		}
		raw.exec(`INSERT INTO program_updates (seq, program_id, program_key, data, received_at)
				SELECT seq, program_id, program_key, data, received_at FROM program_updates_recent
				ORDER BY program_key, seq;
			DELETE FROM program_updates_recent;`);
		raw.close();

		const db = openDatabase(root);
		try {
			const count = (sql: string) => db.prepare(sql).pluck().get();
			expect(count('SELECT count(*) FROM program_updates_large')).toBe(4);
			expect(count('SELECT count(*) FROM program_updates')).toBe(6);
			expect(count('SELECT max(length(data)) FROM program_updates')).toBeLessThanOrEqual(256);
			const store = createSqlDocumentStore(sqliteClient(db), { moveEveryMs: 3_600_000 });
			for (const p of programs) {
				const loaded = await store.load(p);
				expect(loaded.updates.map((u) => Buffer.from(u))).toEqual(expected.get(p));
			}
			const [next] = await store.append([{ programId: 'a', data: editOf('new'), receivedAt: 2 }]);
			expect(next).toBe(rows + 1);
			await store.close();
		} finally {
			db.close();
		}
	});
});
