import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateRealisticProgram } from '../../src/lib/shared/program/fixtures.js';
import { summarize } from '../../src/lib/shared/program/summary.js';
import type { DocumentStore } from './document-store.js';
import { openDatabase, type SqliteDatabase } from './sqlite/database.js';
import { createSqliteDocumentStore } from './sqlite/document-store.js';
import { migrations } from './sqlite/migrations.js';

const dirs: string[] = [];
const dbs: SqliteDatabase[] = [];
afterEach(() => {
	for (const db of dbs.splice(0)) if (db.open) db.close();
	for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir: string, upTo = Infinity) {
	const db = openDatabase(
		dir,
		migrations.filter((m) => m.version <= upTo)
	);
	dbs.push(db);
	return { db, store: createSqliteDocumentStore(db) };
}

const tempDir = () => {
	const d = mkdtempSync(path.join(tmpdir(), 'curator-index-'));
	dirs.push(d);
	return d;
};

/** The index as migration 30 defined it (later columns, such as the stale clock of 132, left out). */
const indexRows = (db: SqliteDatabase) => ({
	index: (
		db.prepare('SELECT * FROM curator_program_index ORDER BY program_id').all() as Array<
			Record<string, unknown>
		>
	).map(({ stale_clock: _clock, ...row }) => row),
	search: db.prepare('SELECT * FROM curator_program_search ORDER BY program_id').all()
});

interface Fixture {
	programId: string;
	organizationId: string;
	summary: unknown;
	facts: Parameters<DocumentStore['saveFacts']>[0];
}

const memo = new Map<number, Fixture[]>();
const fixtures = (n: number): Fixture[] => {
	const cached = memo.get(n);
	if (cached) return cached;
	const list = Array.from({ length: n }, (_, i) => {
		const seed = i + 1;
		const { doc, programId } = generateRealisticProgram(seed, { edits: 150 });
		return {
			programId,
			organizationId: `org${seed % 2}`,
			summary: summarize(doc, '2025-05-20'),
			facts: [
				{ programId, userId: `mentor${seed}`, deviceId: 'a', lastConnectedAt: 5000 + seed },
				{
					programId,
					userId: `mentee${seed}`,
					deviceId: 'b',
					pending: seed % 2,
					pendingReportedAt: 7000
				}
			]
		};
	});
	memo.set(n, list);
	return list;
};

async function fill(store: DocumentStore, list: Fixture[]) {
	for (const [i, f] of list.entries()) {
		await store.createProgram(f.programId, f.organizationId);
		await store.saveFacts(f.facts);
		await store.saveSummary({
			programId: f.programId,
			summary: f.summary,
			docBytes: 10,
			throughSeq: 1,
			computedAt: 2000 + i
		});
	}
}

/** What a server before migration 31 did: plain rows, the triggers fill the index. */
function fillWithTriggers(db: SqliteDatabase, list: Fixture[]) {
	for (const [i, f] of list.entries()) {
		db.prepare('INSERT INTO programs (id, organization_id, created_at) VALUES (?, ?, ?)').run(
			f.programId,
			f.organizationId,
			'2025-01-01'
		);
		for (const x of f.facts)
			db.prepare(
				`INSERT INTO program_device_sync (program_id, user_id, device_id, last_connected_at, pending,
				 pending_reported_at) VALUES (?, ?, ?, ?, ?, ?)`
			).run(
				x.programId,
				x.userId,
				x.deviceId,
				x.lastConnectedAt ?? null,
				x.pending ?? null,
				x.pendingReportedAt ?? null
			);
		db.prepare(
			'INSERT INTO program_summaries (program_id, summary, doc_bytes, through_seq, computed_at) VALUES (?, ?, 10, 1, ?)'
		).run(f.programId, JSON.stringify(f.summary), 2000 + i);
	}
}

describe('curator index written by the store', () => {
	it('rebuilt after migration 31 exactly as the database triggers of migration 30 wrote it', async () => {
		const dir = tempDir();
		const list = fixtures(3);
		const before = open(dir, 30);
		fillWithTriggers(before.db, list);
		const byTriggers = indexRows(before.db);
		expect(byTriggers.index).toHaveLength(3);
		before.db.close();

		const after = open(dir);
		expect(indexRows(after.db)).toEqual(byTriggers);
		// And written the same way by the store itself from then on.
		const fresh = open(tempDir());
		await fill(fresh.store, list);
		expect(indexRows(fresh.db)).toEqual(byTriggers);
	});

	it('keeps the sync aggregate up to date in the transaction of the facts', async () => {
		const { db, store } = open(tempDir());
		await fill(store, fixtures(3).slice(0, 1));
		const programId = (db.prepare('SELECT id FROM programs').pluck().get() as string) ?? '';
		const aggregate = () =>
			db
				.prepare(
					'SELECT device_count, pending_devices, min_participant_seen FROM curator_program_index WHERE program_id = ?'
				)
				.get(programId);
		expect(aggregate()).toEqual({
			device_count: 2,
			pending_devices: 1,
			min_participant_seen: 5001
		});
		await store.append([], [{ programId, userId: 'mentor1', deviceId: 'c', lastInSyncAt: 9000 }]);
		expect(aggregate()).toEqual({
			device_count: 3,
			pending_devices: 1,
			min_participant_seen: 7000
		});
		await store.saveFacts([
			{ programId, userId: 'mentee1', deviceId: 'b', pending: 0, pendingReportedAt: 9500 }
		]);
		expect(aggregate()).toEqual({
			device_count: 3,
			pending_devices: 0,
			min_participant_seen: 9000
		});
	});

	it('refuses to replace a summary with an older one (and leaves its index row alone)', async () => {
		const { db, store } = open(tempDir());
		await store.createProgram('p');
		const save = (title: string, throughSeq: number, computedAt: number) =>
			store.saveSummary({
				programId: 'p',
				summary: { title },
				docBytes: 1,
				throughSeq,
				computedAt
			});
		const stored = async () => {
			const s = await store.getSummary('p');
			const row = db
				.prepare('SELECT title, computed_at FROM curator_program_index WHERE program_id = ?')
				.get('p');
			return { title: (s?.summary as { title: string }).title, row };
		};
		await save('seq 5', 5, 100);
		await save('seq 4, later', 4, 200);
		expect(await stored()).toEqual({ title: 'seq 5', row: { title: 'seq 5', computed_at: 100 } });
		await save('seq 5, earlier', 5, 50);
		expect(await stored()).toEqual({ title: 'seq 5', row: { title: 'seq 5', computed_at: 100 } });
		await save('seq 5, again', 5, 100);
		expect((await stored()).title).toBe('seq 5, again');
		await save('seq 5, refreshed', 5, 300);
		expect(await stored()).toEqual({
			title: 'seq 5, refreshed',
			row: { title: 'seq 5, refreshed', computed_at: 300 }
		});
		// One batch with a stale and a new summary: the stale one alone is refused.
		await store.createProgram('q');
		await store.saveSummaries([
			{ programId: 'p', summary: { title: 'old' }, docBytes: 1, throughSeq: 1, computedAt: 999 },
			{ programId: 'q', summary: { title: 'q' }, docBytes: 1, throughSeq: 1, computedAt: 999 }
		]);
		expect((await stored()).title).toBe('seq 5, refreshed');
		expect((await store.getSummary('q'))?.summary).toEqual({ title: 'q' });
		await save('seq 6', 6, 10);
		expect(await stored()).toEqual({ title: 'seq 6', row: { title: 'seq 6', computed_at: 10 } });
	});
});
