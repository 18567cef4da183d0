// Not in test:postgres: it uses PostgreSQL explicitly in every run.
/**
 * Writers that lock several programs' curator index rows in one transaction, raced against the
 * relay's summaries on PostgreSQL, which lock them in the order of the programs' ids
 * (docs/architecture.md). A third connection holds one row lock to order the race the way two
 * concurrent requests may, and the test asserts that both sides succeed: PostgreSQL aborts one
 * side of a deadlock (40P01), and a curator's request then failed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MergeResponse } from '../../src/lib/shared/api/records';
import { startCuratorServer, type CuratorTestServer } from './curator-server';
import { lockControl, outcome } from './lock-control';
import {
	createTestDatabase,
	postgresUnavailable,
	skipUnlessCi,
	type TestDatabase
} from './test-storage';

const skip = skipUnlessCi('PostgreSQL lock order', await postgresUnavailable());

describe.skipIf(skip !== null)('PostgreSQL lock order against the summaries', () => {
	let db: TestDatabase;
	let t: CuratorTestServer;
	beforeAll(async () => {
		db = await createTestDatabase();
		t = await startCuratorServer({ DATABASE_URL: db.url });
	}, 120_000);
	afterAll(async () => {
		await t?.close();
		await db?.drop();
	});

	it("a merge of two people's records while the summaries of the duplicate's programs are written", async () => {
		const mentor = await t.person('Голубева Ольга Игоревна', null);
		const kept = await t.person('Кузнецов Илья Андреевич', null);
		const duplicate = await t.person('Кузнецов Илья Андреевич', null);
		// The duplicate's programs, until one created earlier has the greater id: the merge moves
		// their participant rows in the table's order, the summaries lock them in the ids' order.
		const programs: string[] = [];
		const later = () => programs.findIndex((p, i) => programs.slice(i + 1).some((q) => q < p));
		while (later() < 0) {
			const res = await t.post(
				'/api/programs',
				{
					organizationId: t.organizationId,
					templateId: 'blank',
					participants: [
						{ personId: mentor.id, role: 'mentor' },
						{ personId: duplicate.id, role: 'mentee' }
					]
				},
				t.curatorCookie
			);
			expect(res.status).toBe(201);
			programs.push(((await res.json()) as { program: { id: string } }).program.id);
			expect(programs.length).toBeLessThan(20);
		}
		const i = later();
		const first = programs[i] as string;
		const second = programs.slice(i + 1).find((q) => q < first) as string;

		const { control, waiting, end } = await lockControl(db.url);
		try {
			const summary = (programId: string) => ({
				programId,
				summary: {
					title: 'Программа',
					participants: [{ id: 'x', role: 'mentee', name: 'Кузнецов', userId: duplicate.id }]
				},
				docBytes: 1,
				throughSeq: 1_000,
				computedAt: Date.now()
			});
			await control.query('BEGIN');
			await control.query('SELECT 1 FROM curator_program_search WHERE program_id = $1 FOR UPDATE', [
				second
			]);
			// The summaries take `second`'s rows, then wait on the search row.
			const summaries = outcome(t.store.saveSummaries([summary(first), summary(second)]));
			await waiting(1);
			// The merge moves `first`'s participant (its index row), then waits on `second`'s.
			const merge = t
				.post(`/api/people/${kept.id}/merge`, { duplicateId: duplicate.id }, t.curatorCookie)
				.then(async (r) => `${r.status} ${await r.text()}`);
			await waiting(2);
			await control.query('COMMIT');
			expect(await summaries).toBe('ok');
			const answer = await merge;
			expect(answer.slice(0, 3), answer).toBe('200');
			expect((JSON.parse(answer.slice(4)) as MergeResponse).programs).toBe(programs.length);
		} finally {
			await end();
		}
	});
});
