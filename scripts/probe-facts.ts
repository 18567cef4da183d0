// Temporary probe: how long the relay's periodic device-facts flush holds the event loop.
import { performance } from 'node:perf_hooks';
process.env.TEST_STORAGE = 'sqlite';
const { createDataset } = await import('../tests/integration/curator-fixtures');
const N = Number(process.env.PROGRAMS ?? 1000);
const ds = await createDataset({ programs: N, organizations: 20 });
const ids = ds.truth.map((t) => ({ id: t.programId, mentor: t.mentor, mentee: t.mentee }));
console.log('programs', ids.length);
for (let round = 0; round < 6; round++) {
	const now = ds.now + round * 5000;
	const facts = ids.flatMap((p) => [
		{ programId: p.id, userId: p.mentor, deviceId: `d-${p.mentor}`, lastConnectedAt: now - 100000, lastUpdateAt: now, lastInSyncAt: now },
		{ programId: p.id, userId: p.mentee, deviceId: `d-${p.mentee}`, lastConnectedAt: now - 100000, lastUpdateAt: now, lastInSyncAt: now }
	]);
	const t0 = performance.now();
	await ds.store.saveFacts(facts);
	console.log(`round ${round}: ${facts.length} facts in ${(performance.now() - t0).toFixed(1)} ms`);
}
const { syncAggregateStatements } = await import('../server/storage/curator-index');
for (let round = 0; round < 4; round++) {
	const stmts = ids.flatMap((p) => syncAggregateStatements('sqlite', p.id));
	const t0 = performance.now();
	await ds.sql.batch(stmts);
	console.log(`aggregates only: ${stmts.length} statements in ${(performance.now() - t0).toFixed(1)} ms`);
	const users = stmts.filter((_, i) => i % 2 === 0);
	const t1 = performance.now();
	await ds.sql.batch(users);
	console.log(`  users part: ${(performance.now() - t1).toFixed(1)} ms`);
	const index = stmts.filter((_, i) => i % 2 === 1);
	const t2 = performance.now();
	await ds.sql.batch(index);
	console.log(`  index part: ${(performance.now() - t2).toFixed(1)} ms`);
}
await ds.close();
