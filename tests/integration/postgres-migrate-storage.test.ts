// Not in test:postgres: this file uses PostgreSQL in every run (scripts/test-postgres.mjs).
/**
 * `npm run cli -- migrate-storage`: an SQLite data directory with 500 programs (documents with
 * compacted state and log tails, summaries, device facts, people, roles, sessions, invitations,
 * audit, a case) moves into a fresh PostgreSQL database; the CLI verifies the copy, and this test
 * checks it again independently: every document byte for byte, every summary field for field,
 * the curator dashboards identical. Needs PostgreSQL (DATABASE_URL); skipped, saying why, without.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { loadServerSecret } from '../../server/auth/secret';
import { queryDashboard } from '../../server/curator/dashboard';
import { computeFigures } from '../../server/curator/figures';
import { createIdentity } from '../../server/identity/index';
import { createIdentityStore } from '../../server/identity/sql-store';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import { createLogger } from '../../server/logger';
import { openPostgresStorage, type Storage } from '../../server/storage/index';
import { createDataset, type Dataset } from './curator-fixtures';
import {
	createTestDatabase,
	isolatedEnv,
	postgresUnavailable,
	skipUnlessCi,
	type TestDatabase
} from './test-storage';

const run = promisify(execFile);
const skip = skipUnlessCi('postgres-migrate-storage', await postgresUnavailable());

const PROGRAMS = 500;

async function cli(env: Record<string, string>, ...args: string[]) {
	try {
		const r = await run(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], {
			env: isolatedEnv({ LOG_LEVEL: 'warn', ...env }),
			maxBuffer: 16 * 1024 * 1024
		});
		return { code: 0, stdout: r.stdout, stderr: r.stderr };
	} catch (error) {
		const e = error as { code: number; stdout: string; stderr: string };
		return { code: e.code, stdout: e.stdout, stderr: e.stderr };
	}
}

const merged = (d: { state: Uint8Array | null; updates: Uint8Array[] }) =>
	Buffer.from(Y.mergeUpdates([...(d.state ? [d.state] : []), ...d.updates]));

describe.skipIf(skip !== null)('migrate-storage: SQLite data directory → PostgreSQL', () => {
	let ds: Dataset;
	let target: TestDatabase;
	let pg: Storage | null = null;
	let newestSeq: number | undefined;

	beforeAll(async () => {
		ds = await createDataset({ programs: PROGRAMS, organizations: 2, seed: 11, sqlite: true });
		// Compacted state for every third program (state + later log rows), and a longer log for others.
		for (const [i, t] of ds.truth.entries()) {
			const d = await ds.store.load(t.programId);
			const doc = new Y.Doc();
			for (const u of d.updates) Y.applyUpdate(doc, u);
			doc.getMap('migrate').set('touched', i);
			const extra = Y.encodeStateAsUpdate(doc, Y.encodeStateVectorFromUpdate(merged(d)));
			const [seq] = await ds.store.append([{ programId: t.programId, data: extra, receivedAt: 1 }]);
			if (i % 3 === 0) {
				const all = Y.mergeUpdates([merged(d), extra]);
				await ds.store.compact(t.programId, all, Y.encodeStateVectorFromUpdate(all), seq ?? 0);
				doc.getMap('migrate').set('after-compaction', i);
				await ds.store.append([
					{
						programId: t.programId,
						data: Y.encodeStateAsUpdate(doc, Y.encodeStateVectorFromUpdate(all)),
						receivedAt: 2
					}
				]);
			}
			doc.destroy();
		}
		// The newest row is a big one (a pasted paragraph): SQLite keeps it out of its clustered log
		// (migration 155), and PostgreSQL's numbers must still continue after it.
		const last = ds.truth.at(-1)?.programId ?? '';
		const paste = new Y.Doc();
		paste.getText('notes').insert(0, 'Абзац из отчёта наставника. '.repeat(40));
		[newestSeq] = await ds.store.append([
			{ programId: last, data: Y.encodeStateAsUpdate(paste), receivedAt: 2 }
		]);
		await ds.store.moveRecentLog?.();
		expect(
			await ds.sql.get('SELECT count(*) AS n FROM program_updates_large WHERE seq = ?', [newestSeq])
		).toEqual({ n: 1 });
		// Identity rows of every kind, through the identity service.
		const identity = createIdentity({
			store: createIdentityStore(ds.storage.sql),
			secret: 'migrate-secret-migrate-secret-migrate-secret',
			logger: createLogger('silent')
		});
		const org = ds.organizations[0]?.id ?? '';
		const curator = await identity.createPerson(
			SYSTEM_ACTOR,
			{ organizationId: org },
			{
				fullName: 'Смирнова Елена Викторовна',
				birthDate: '1985-01-02'
			}
		);
		await identity.assignRole(SYSTEM_ACTOR, curator.id, 'curator', { organizationId: org });
		const inv = await identity.createInvitation(SYSTEM_ACTOR, { personId: curator.id });
		await identity.redeemInvitation(inv.code, 'Ноутбук');
		await identity.createInvitation(SYSTEM_ACTOR, { personId: curator.id });
		await ds.sql.run(
			"INSERT INTO server_meta (key, value) VALUES ('server_secret', 'x-secret-kept-across-the-move-0123456789')"
		);
		target = await createTestDatabase();
	}, 300_000);

	afterAll(async () => {
		await pg?.close();
		await ds?.close();
		await target?.drop();
		if (ds) rmSync(ds.dataDir, { recursive: true, force: true });
	});

	it('copies and verifies with the CLI; a second run refuses the non-empty target', async () => {
		const started = Date.now();
		const r = await cli({ DATA_DIR: ds.dataDir }, 'migrate-storage', '--to', target.url);
		expect(r.code, r.stderr + r.stdout).toBe(0);
		expect(r.stdout).toContain(
			// Each program has its decisions document beside it: both compared, one program counted.
			`OK: ${PROGRAMS} programs, ${2 * PROGRAMS} documents identical byte for byte`
		);
		console.log(`migrate-storage of ${PROGRAMS} programs: ${Date.now() - started} ms\n${r.stdout}`);
		const again = await cli({ DATA_DIR: ds.dataDir }, 'migrate-storage', '--to', target.url);
		expect(again.code).not.toBe(0);
		expect(again.stderr).toContain('target database is not empty');
	}, 300_000);

	it('every document is byte for byte and every summary field for field the same', async () => {
		pg = await openPostgresStorage(target.url);
		let compacted = 0;
		for (const t of ds.truth) {
			const [a, b] = await Promise.all([
				ds.store.load(t.programId),
				pg.documents.load(t.programId)
			]);
			expect(merged(b).equals(merged(a)), t.programId).toBe(true);
			expect(b.lastSeq).toBe(a.lastSeq);
			expect(b.updates.length).toBe(a.updates.length);
			if (a.state) {
				compacted++;
				expect(Buffer.from(b.state ?? []).equals(Buffer.from(a.state))).toBe(true);
				expect(Buffer.from(b.stateVector ?? []).equals(Buffer.from(a.stateVector ?? []))).toBe(
					true
				);
			}
			expect(await pg.documents.getSummary(t.programId)).toEqual(
				await ds.store.getSummary(t.programId)
			);
			expect(await pg.documents.getFacts(t.programId)).toEqual(
				await ds.store.getFacts(t.programId)
			);
		}
		expect(compacted).toBeGreaterThanOrEqual(PROGRAMS / 3 - 1);
		// The log continues after the copied sequence numbers.
		const p0 = ds.truth[0]?.programId ?? '';
		const before = await pg.documents.load(p0);
		const [seq] = await pg.documents.append([
			{ programId: p0, data: Y.encodeStateAsUpdate(new Y.Doc()), receivedAt: 3 }
		]);
		expect(seq).toBeGreaterThan(before.lastSeq);
		expect(seq).toBeGreaterThan(newestSeq ?? Infinity);
		// The same secret: tokens and sessions keep working after the move.
		expect(await loadServerSecret(pg.sql)).toBe('x-secret-kept-across-the-move-0123456789');
	}, 120_000);

	it('the curator dashboards and figures are the same on both', async () => {
		if (!pg) throw new Error('no target');
		const ids = ds.organizations.map((o) => o.id);
		for (const q of [
			{},
			{ sort: 'progress' as const, dir: 'desc' as const },
			{ flags: ['overdue' as const] },
			{ q: 'иванов' },
			{ sort: 'next-deadline' as const, limit: 500 }
		]) {
			const a = await queryDashboard(
				ds.sql,
				{ organizationIds: ids },
				{ staleDays: 7, ...q },
				{ now: ds.now }
			);
			const b = await queryDashboard(
				pg.sql,
				{ organizationIds: ids },
				{ staleDays: 7, ...q },
				{ now: ds.now }
			);
			expect(b).toEqual(a);
		}
		expect(await computeFigures(pg.sql, { organizationIds: ids }, { now: ds.now })).toEqual(
			await computeFigures(ds.sql, { organizationIds: ids }, { now: ds.now })
		);
	});

	it('verification catches a difference', async () => {
		if (!pg) throw new Error('no target');
		const p = ds.truth[1]?.programId ?? '';
		await pg.sql.run("UPDATE program_summaries SET summary = '{}' WHERE program_id = ?", [p]);
		const r = await cli(
			{ DATA_DIR: ds.dataDir },
			'migrate-storage',
			'--to',
			target.url,
			'--verify-only'
		);
		expect(r.code).toBe(1);
		expect(r.stderr).toContain('VERIFICATION FAILED');
		expect(r.stderr).toContain(`program_summaries ${p}: summary differs`);
	}, 120_000);
});
