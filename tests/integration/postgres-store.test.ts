/**
 * The DocumentStore contract, run against SQLite and PostgreSQL alike, plus what only matters
 * with several instances on one PostgreSQL: migrations racing at start-up, appends from two
 * pools into one program, and compaction that must never drop a row it did not see. The
 * PostgreSQL part needs DATABASE_URL; without it, it is skipped and says why.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createIdentityStore } from '../../server/identity/sql-store';
import { loadConfig } from '../../server/config';
import {
	openPostgresStorage,
	openSqliteStorage,
	openStorage,
	type Storage
} from '../../server/storage/index';
import { createPool, migratePostgres } from '../../server/storage/postgres/database';
import { migrations } from '../../server/storage/postgres/migrations';
import { migrations as sqliteMigrations } from '../../server/storage/sqlite/migrations';
import { lockControl, outcome } from './lock-control';
import {
	createTestDatabase,
	postgresUnavailable,
	skipUnlessCi,
	type TestDatabase
} from './test-storage';

const skip = skipUnlessCi('PostgreSQL part of postgres-store', await postgresUnavailable());

function update(doc: Y.Doc, fn: () => void): Uint8Array {
	const before = Y.encodeStateVector(doc);
	fn();
	return Y.encodeStateAsUpdate(doc, before);
}

const merged = (d: { state: Uint8Array | null; updates: Uint8Array[] }) =>
	Y.mergeUpdates([...(d.state ? [d.state] : []), ...d.updates]);

function text(bytes: Uint8Array): string {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, bytes);
	return doc.getText('t').toString();
}

describe('migrations', () => {
	it('are the same numbered list in both dialects', () => {
		const list = (ms: Array<{ version: number; name: string }>) =>
			ms.map((m) => `${m.version} ${m.name}`).sort();
		expect(list(migrations)).toEqual(list(sqliteMigrations));
	});
});

const kinds = [
	{ kind: 'sqlite' as const, enabled: true },
	{ kind: 'postgres' as const, enabled: skip === null }
];

for (const { kind, enabled } of kinds) {
	describe.skipIf(!enabled)(`DocumentStore contract (${kind})`, () => {
		let storage: Storage;
		let dir: string;
		let db: TestDatabase | null = null;
		const open = async () => {
			dir = mkdtempSync(path.join(tmpdir(), 'nastavnik-store-'));
			if (kind === 'postgres') {
				db = await createTestDatabase();
				storage = await openPostgresStorage(db.url);
			} else storage = openSqliteStorage(dir);
			return storage;
		};
		afterAll(async () => {
			await storage?.close();
			await db?.drop();
			rmSync(dir, { recursive: true, force: true });
		});

		it('appends in order, loads, compacts atomically, keeps facts and summaries', async () => {
			const s = (await open()).documents;
			expect(await s.programExists('p1')).toBe(false);
			const rec = await s.createProgram('p1', null);
			expect(rec).toMatchObject({ id: 'p1', organizationId: null });
			expect(await s.createProgram('p1', 'other')).toEqual(rec);
			expect(await s.load('p1')).toEqual({
				state: null,
				stateVector: null,
				updates: [],
				lastSeq: 0,
				clientOwners: []
			});

			const doc = new Y.Doc();
			const u1 = update(doc, () => doc.getText('t').insert(0, 'ab'));
			const u2 = update(doc, () => doc.getText('t').insert(2, 'cd'));
			const seqs = await s.append(
				[
					{ programId: 'p1', data: u1, receivedAt: 1 },
					{ programId: 'p1', data: u2, receivedAt: 2 }
				],
				[
					{
						programId: 'p1',
						userId: 'u',
						deviceId: 'd',
						lastConnectedAt: 10,
						pending: 2,
						pendingReportedAt: 10
					}
				]
			);
			expect(seqs).toHaveLength(2);
			expect(seqs[1]).toBeGreaterThan(seqs[0] ?? Infinity);
			const loaded = await s.load('p1');
			expect(loaded.updates.map((u) => Buffer.from(u))).toEqual([Buffer.from(u1), Buffer.from(u2)]);
			expect(loaded.lastSeq).toBe(seqs[1]);
			expect(await s.logLength('p1')).toBe(2);

			const all = merged(loaded);
			await s.compact('p1', all, Y.encodeStateVectorFromUpdate(all), seqs[1] ?? 0);
			const after = await s.load('p1');
			expect(after.updates).toHaveLength(0);
			expect(after.lastSeq).toBe(seqs[1]);
			expect(text(merged(after))).toBe('abcd');
			expect(Buffer.from(after.stateVector ?? [])).toEqual(
				Buffer.from(Y.encodeStateVectorFromUpdate(after.state ?? new Uint8Array()))
			);
			// A stale compaction never moves the state backwards.
			await s.compact('p1', u1, Y.encodeStateVectorFromUpdate(u1), seqs[0] ?? 0);
			expect(text(merged(await s.load('p1')))).toBe('abcd');

			// Facts only move forward; pending follows the newest report.
			await s.saveFacts([
				{
					programId: 'p1',
					userId: 'u',
					deviceId: 'd',
					lastConnectedAt: 5,
					lastInSyncAt: 20,
					pending: 0,
					pendingReportedAt: 30
				}
			]);
			await s.saveFacts([
				{ programId: 'p1', userId: 'u', deviceId: 'd', pending: 7, pendingReportedAt: 25 }
			]);
			expect(await s.getFacts('p1')).toEqual([
				{
					programId: 'p1',
					userId: 'u',
					deviceId: 'd',
					lastConnectedAt: 10,
					lastUpdateAt: null,
					lastInSyncAt: 20,
					pending: 0,
					pendingReportedAt: 30
				}
			]);

			await s.saveSummaries([
				{
					programId: 'p1',
					summary: { title: 'Т', n: 1.5, list: [1, 'а'] },
					docBytes: 9,
					throughSeq: 2,
					computedAt: 100
				}
			]);
			await s.saveSummary({
				programId: 'p1',
				summary: { title: 'Т2' },
				docBytes: 10,
				throughSeq: 3,
				computedAt: 101
			});
			expect(await s.getSummary('p1')).toEqual({
				programId: 'p1',
				summary: { title: 'Т2' },
				docBytes: 10,
				throughSeq: 3,
				computedAt: 101
			});
			expect(await s.getSummary('nope')).toBeNull();
			expect(await storage.ping()).toBe(true);
			expect(await storage.schemaVersion()).toBe(Math.max(...migrations.map((m) => m.version)));
		});

		it('refuses to replace a summary with an older one, index row included', async () => {
			const s = storage.documents;
			await s.createProgram('guarded', null);
			const save = (title: string, throughSeq: number, computedAt: number) =>
				s.saveSummary({
					programId: 'guarded',
					summary: { title },
					docBytes: 1,
					throughSeq,
					computedAt
				});
			const stored = async () => ({
				summary: (await s.getSummary('guarded'))?.summary,
				row: await storage.sql.get(
					'SELECT title, computed_at FROM curator_program_index WHERE program_id = ?',
					['guarded']
				)
			});
			await save('seq 5', 5, 100);
			await save('seq 4, computed later', 4, 200);
			await save('seq 5, computed earlier', 5, 50);
			expect(await stored()).toEqual({
				summary: { title: 'seq 5' },
				row: { title: 'seq 5', computed_at: 100 }
			});
			await save('seq 5, refreshed', 5, 300);
			expect(await stored()).toEqual({
				summary: { title: 'seq 5, refreshed' },
				row: { title: 'seq 5, refreshed', computed_at: 300 }
			});
		});

		it("keeps the summary's mentors and mentees with their devices, and drops those who left", async () => {
			const s = storage.documents;
			await s.createProgram('people', null);
			const save = (throughSeq: number, ...users: string[]) =>
				s.saveSummary({
					programId: 'people',
					summary: {
						title: 'Люди',
						participants: users.map((u) => ({ id: u, role: 'mentee', name: u, userId: u }))
					},
					docBytes: 1,
					throughSeq,
					computedAt: throughSeq
				});
			const users = () =>
				storage.sql.all<{ user: string; devices: number | string; seen: number | string }>(
					`SELECT user_id AS "user", devices, device_seen AS "seen" FROM curator_program_users
					WHERE program_id = ? ORDER BY user_id`,
					['people']
				);
			await save(1, 'u1', 'u2');
			await s.saveFacts([{ programId: 'people', userId: 'u1', deviceId: 'd', lastConnectedAt: 7 }]);
			await save(2, 'u1', 'u3');
			expect(
				(await users()).map((u) => ({ ...u, devices: Number(u.devices), seen: Number(u.seen) }))
			).toEqual([
				{ user: 'u1', devices: 1, seen: 7 },
				{ user: 'u3', devices: 0, seen: 0 }
			]);
			await save(3);
			expect(await users()).toEqual([]);
		});
	});
}

describe.skipIf(skip !== null)('PostgreSQL with several instances', () => {
	const dbs: TestDatabase[] = [];
	afterAll(async () => {
		for (const d of dbs) await d.drop();
	});

	/** A store on a fresh database, with lockControl's connections to order a race on it. */
	async function race(
		fn: (
			x: { storage: Storage } & Omit<Awaited<ReturnType<typeof lockControl>>, 'end'>
		) => Promise<void>
	) {
		const db = await createTestDatabase();
		dbs.push(db);
		const storage = await openPostgresStorage(db.url);
		const { end, ...control } = await lockControl(db.url);
		try {
			await fn({ storage, ...control });
		} finally {
			await end();
			await storage.close();
		}
	}

	it('two instances starting together apply each migration once (advisory lock)', async () => {
		const db = await createTestDatabase();
		dbs.push(db);
		const pools = await Promise.all([createPool(db.url), createPool(db.url), createPool(db.url)]);
		const ran = await Promise.all(pools.map((p) => migratePostgres(p)));
		expect(ran.flat().sort((a, b) => a - b)).toEqual(
			migrations.map((m) => m.version).sort((a, b) => a - b)
		);
		await Promise.all(pools.map((p) => p.end()));
	});

	it('migration 152 keeps a log written before it: each program reads its own rows, in order', async () => {
		const db = await createTestDatabase();
		dbs.push(db);
		const pool = await createPool(db.url);
		await migratePostgres(
			pool,
			migrations.filter((m) => m.version < 152)
		);
		const docs = { a: new Y.Doc(), b: new Y.Doc() };
		for (const id of ['b', 'a'])
			await pool.query(
				"INSERT INTO programs (id, organization_id, created_at) VALUES ($1, NULL, '2026-01-01')",
				[id]
			);
		// Interleaved rows, as commits interleave programs.
		for (const [id, n] of [
			['a', 1],
			['b', 1],
			['a', 2],
			['b', 2]
		] as const) {
			const u = update(docs[id], () => docs[id].getText('t').insert(0, `${id}${n}`));
			await pool.query(
				'INSERT INTO program_updates (program_id, data, received_at) VALUES ($1, $2, 1)',
				[id, Buffer.from(u)]
			);
		}
		await pool.end();
		const storage = await openPostgresStorage(db.url);
		try {
			expect(text(merged(await storage.documents.load('a')))).toBe('a2a1');
			expect(text(merged(await storage.documents.load('b')))).toBe('b2b1');
			const more = update(docs.a, () => docs.a.getText('t').insert(0, 'a3'));
			await storage.documents.append([{ programId: 'a', data: more, receivedAt: 2 }]);
			expect((await storage.documents.load('a')).updates).toHaveLength(3);
			expect(await storage.documents.logLength('b')).toBe(2);
		} finally {
			await storage.close();
		}
	});

	it("a big row migrate-storage copied into the big rows' table is read and compacted with the log", async () => {
		const db = await createTestDatabase();
		dbs.push(db);
		const storage = await openPostgresStorage(db.url);
		try {
			await storage.documents.createProgram('p');
			const doc = new Y.Doc();
			const paste = update(doc, () => doc.getText('t').insert(0, 'Абзац. '.repeat(100)));
			const [first] = await storage.documents.append([
				{ programId: 'p', data: paste, receivedAt: 1 }
			]);
			// Where SQLite's mover had put it (migration 155), as migrate-storage copies it.
			await storage.sql.run(
				`INSERT INTO program_updates_large (seq, program_id, data, received_at, program_key)
				 SELECT seq, program_id, data, received_at, program_key FROM program_updates WHERE seq = ?`,
				[first]
			);
			await storage.sql.run('DELETE FROM program_updates WHERE seq = ?', [first]);
			const typed = update(doc, () => doc.getText('t').insert(0, 'я'));
			await storage.documents.append([{ programId: 'p', data: typed, receivedAt: 2 }]);

			const stored = await storage.documents.load('p');
			expect(stored.updates).toHaveLength(2);
			expect(text(merged(stored))).toBe(doc.getText('t').toString());
			const all = merged(stored);
			expect(
				await storage.documents.compact(
					'p',
					all,
					Y.encodeStateVectorFromUpdate(all),
					stored.lastSeq
				)
			).toMatchObject({ status: 'compacted', rows: 2 });
			expect(await storage.documents.logLength('p')).toBe(0);
			expect(await storage.sql.get('SELECT count(*) AS n FROM program_updates_large')).toEqual({
				n: 0
			});
			expect(text(merged(await storage.documents.load('p')))).toBe(doc.getText('t').toString());
		} finally {
			await storage.close();
		}
	});

	it('queries are never JIT-compiled (the pool turns JIT off for its sessions)', async () => {
		// The curator's totals over a region's 100,000 programs are costed above jit_above_cost and
		// spent 2 s compiling for tens of ms of work (docs/benchmarks.md «The curator's dashboard»).
		const db = await createTestDatabase();
		dbs.push(db);
		const pool = await createPool(db.url);
		for (let i = 0; i < 3; i++)
			expect((await pool.query('SHOW jit')).rows[0]).toEqual({ jit: 'off' });
		await pool.end();
	});

	it("the server's connections plan without parallel workers unless PG_PARALLEL_WORKERS says so", async () => {
		// On two cores the dashboard's statements, started together, lost more to one statement's
		// workers than the workers gained (docs/benchmarks.md «Parallel workers off by default»).
		const db = await createTestDatabase();
		dbs.push(db);
		const dataDir = mkdtempSync(path.join(tmpdir(), 'nst-pg-workers-'));
		try {
			for (const [env, expected] of [
				[{}, '0'],
				[{ PG_PARALLEL_WORKERS: '3' }, '3']
			] as const) {
				const config = loadConfig({ ...env, DATABASE_URL: db.url, DATA_DIR: dataDir });
				const storage = await openStorage({
					dataDir: config.dataDir,
					databaseUrl: config.databaseUrl,
					parallelWorkers: config.pgParallelWorkers
				});
				try {
					for (let i = 0; i < 3; i++)
						expect(await storage.sql.get('SHOW max_parallel_workers_per_gather')).toEqual({
							max_parallel_workers_per_gather: expected
						});
				} finally {
					await storage.close();
				}
			}
		} finally {
			rmSync(dataDir, { recursive: true, force: true });
		}
	});

	it("a summary and a device's facts written at once for one program do not deadlock", async () => {
		// Found in CI (curator-api, "follows the participants"): PostgreSQL aborted the summaries'
		// transaction as one side of a deadlock (40P01) on curator_program_users. The summary locked
		// the program's index row and then its users' rows; the facts' sync aggregate locks the
		// users' rows and then the index row. A third connection holds the search row (which the
		// summary wrote between the two) so that each took its first lock before the other its
		// second, as two writers of one relay may.
		await race(async ({ storage, control, waiting }) => {
			const s = storage.documents;
			await s.createProgram('dl', null);
			const summary = (title: string, throughSeq: number) => ({
				programId: 'dl',
				summary: {
					title,
					participants: [
						{ id: 'a', role: 'mentor', name: 'Наставник', userId: 'u1' },
						{ id: 'b', role: 'mentee', name: 'Наставляемый', userId: 'u2' }
					]
				},
				docBytes: 1,
				throughSeq,
				computedAt: throughSeq
			});
			await s.saveSummary(summary('первая', 1));
			await s.saveFacts([{ programId: 'dl', userId: 'u1', deviceId: 'd1', lastConnectedAt: 10 }]);
			await control.query('BEGIN');
			await control.query(
				"SELECT 1 FROM curator_program_search WHERE program_id = 'dl' FOR UPDATE"
			);
			const summaryWrite = outcome(s.saveSummary(summary('вторая', 2)));
			await waiting(1);
			const factsWrite = outcome(
				s.saveFacts([{ programId: 'dl', userId: 'u1', deviceId: 'd1', lastConnectedAt: 20 }])
			);
			await waiting(2);
			await control.query('COMMIT');
			expect(await Promise.all([summaryWrite, factsWrite])).toEqual(['ok', 'ok']);
			expect((await s.getSummary('dl'))?.throughSeq).toBe(2);
			const users = await control.query(
				`SELECT user_id, devices::int, device_seen::int FROM curator_program_users
				WHERE program_id = 'dl' ORDER BY user_id`
			);
			expect(users.rows).toEqual([
				{ user_id: 'u1', devices: 1, device_seen: 20 },
				{ user_id: 'u2', devices: 0, device_seen: 0 }
			]);
		});
	});

	it("a program's first summary and the cancellation of the pair's other program do not deadlock", async () => {
		// The links of an organization's mentors and mentees (curator_org_people) are kept by
		// triggers: a program's first summary links its people, a cancellation unlinks them, each
		// in one statement over several rows. Both take the rows in the participants' key order
		// (by person: mentor a, then mentee b), not in the links' own key order (mentee b first),
		// so a pair's new program summarised while the curator cancels their old one waits and
		// does not deadlock. A guard of that order (docs/architecture.md, the lock order): with mentee
		// b's row held, the cancellation takes mentor a and waits, the summary waits behind it; a
		// cancellation that took b first (the table's key order) would deadlock with the summary.
		await race(async ({ storage, control, waiting }) => {
			const s = storage.documents;
			const run = (sql: string, params: unknown[] = []) => storage.sql.run(sql, params);
			await run("INSERT INTO municipalities (id, name, created_at) VALUES ('m', 'Город', 0)");
			await run(
				"INSERT INTO organizations (id, municipality_id, name, created_at) VALUES ('o', 'm', 'Школа', 0)"
			);
			for (const [id, name] of [
				['a', 'Наставник'],
				['b', 'Наставляемый']
			])
				await run(
					'INSERT INTO people (id, full_name, created_at, updated_at) VALUES (?, ?, 1, 1)',
					[id, name]
				);
			const summary = (programId: string) => ({
				programId,
				summary: {
					title: programId,
					participants: [
						{ id: 'x', role: 'mentor', name: 'Наставник', userId: 'a' },
						{ id: 'y', role: 'mentee', name: 'Наставляемый', userId: 'b' }
					]
				},
				docBytes: 1,
				throughSeq: 1,
				computedAt: 1
			});
			for (const id of ['old', 'new']) {
				await s.createProgram(id, 'o');
				for (const [person, role] of [
					['a', 'mentor'],
					['b', 'mentee']
				])
					await run(
						'INSERT INTO program_participants (program_id, person_id, role, added_at) VALUES (?, ?, ?, 1)',
						[id, person, role]
					);
			}
			await s.saveSummary(summary('old'));
			const links = async () =>
				(
					await control.query<{ role: string; person_id: string; links: number }>(
						`SELECT role, person_id, links::int FROM curator_org_people
						WHERE organization_id = 'o' ORDER BY role, person_id`
					)
				).rows;
			expect(await links()).toEqual([
				{ role: 'mentee', person_id: 'b', links: 1 },
				{ role: 'mentor', person_id: 'a', links: 1 }
			]);

			await control.query('BEGIN');
			await control.query(
				"SELECT 1 FROM curator_org_people WHERE role = 'mentee' AND person_id = 'b' FOR UPDATE"
			);
			const cancellation = outcome(
				run(
					`INSERT INTO program_cancellations (program_id, reason, note, cancelled_at, cancelled_by)
					VALUES ('old', 'other', NULL, 2, NULL)`
				).then(() => undefined)
			);
			await waiting(1);
			const firstSummary = outcome(s.saveSummary(summary('new')));
			await waiting(2);
			await control.query('COMMIT');
			expect(await Promise.all([cancellation, firstSummary])).toEqual(['ok', 'ok']);
			// The old program no longer counts, the new one does: each person linked once.
			expect(await links()).toEqual([
				{ role: 'mentee', person_id: 'b', links: 1 },
				{ role: 'mentor', person_id: 'a', links: 1 }
			]);
		});
	});

	it("a summary of two programs and a participant's new session do not deadlock", async () => {
		// The session's trigger sets the stale clock of every program of its person in one UPDATE,
		// which locked their index rows in the table's order; summaries lock them in the order of
		// the programs' ids. Program b's row comes first in the table here, so the session took b
		// and waited on a while the summaries, holding a, waited on b.
		await race(async ({ storage, control, waiting }) => {
			const s = storage.documents;
			await storage.sql.run(
				`INSERT INTO people (id, full_name, created_at, updated_at) VALUES ('u1', 'Ученик', 1, 1)`
			);
			const summary = (programId: string, title: string, throughSeq: number) => ({
				programId,
				summary: {
					title,
					participants: [{ id: 'm', role: 'mentee', name: 'Ученик', userId: 'u1' }]
				},
				docBytes: 1,
				throughSeq,
				computedAt: throughSeq
			});
			for (const id of ['b', 'a']) {
				await s.createProgram(id, null);
				await s.saveSummary(summary(id, 'первая', 1));
			}
			await control.query('BEGIN');
			await control.query("SELECT 1 FROM curator_program_search WHERE program_id = 'a' FOR UPDATE");
			const summaries = outcome(
				s.saveSummaries([summary('a', 'вторая', 2), summary('b', 'вторая', 2)])
			);
			await waiting(1);
			const session = outcome(
				createIdentityStore(storage.sql).sessions.create(
					{
						id: 's1',
						personId: 'u1',
						deviceName: 'Телефон',
						method: 'invitation',
						createdAt: 50,
						lastUsedAt: 50,
						expiresAt: 10_000,
						revokedAt: null,
						revokedBy: null
					},
					'hash'
				)
			);
			await waiting(2);
			await control.query('COMMIT');
			expect(await Promise.all([summaries, session])).toEqual(['ok', 'ok']);
		});
	});

	it('compaction racing appends from another instance never drops a row', async () => {
		const db = await createTestDatabase();
		dbs.push(db);
		const a = await openPostgresStorage(db.url);
		const b = await openPostgresStorage(db.url);
		try {
			await a.documents.createProgram('p');
			const docA = new Y.Doc();
			const docB = new Y.Doc();
			let expected = 0;
			let writing = true;
			// Instance B appends continuously; instance A keeps compacting what IT has seen.
			const writer = (async () => {
				while (writing) {
					const u = update(docB, () => docB.getArray('a').push([expected]));
					expected++;
					await b.documents.append([{ programId: 'p', data: u, receivedAt: Date.now() }]);
				}
			})();
			for (let i = 0; i < 30; i++) {
				const u = update(docA, () => docA.getArray('x').push([i]));
				const [seq] = await a.documents.append([
					{ programId: 'p', data: u, receivedAt: Date.now() }
				]);
				// A's view: only its own updates (it missed B's), compacted through its newest seq.
				const mine = Y.encodeStateAsUpdate(docA);
				await a.documents.compact('p', mine, Y.encodeStateVectorFromUpdate(mine), seq ?? 0);
			}
			writing = false;
			await writer;
			const doc = new Y.Doc();
			Y.applyUpdate(doc, merged(await b.documents.load('p')));
			expect(doc.getArray('x').length).toBe(30);
			expect(doc.getArray('a').toArray()).toEqual(Array.from({ length: expected }, (_, i) => i));
		} finally {
			await a.close();
			await b.close();
		}
	});
});
