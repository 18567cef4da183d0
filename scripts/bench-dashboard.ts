/**
 * Curator dashboard benchmark (npm run bench:dashboard, issue #18): a municipality of ORGS
 * organizations and PROGRAMS programs (default 100,000) on PostgreSQL, with the history the
 * figures read (issue #15) and a region's registry (every mentor and mentee a person linked to
 * their program), then every query of the curator's screens, each timed ROUNDS times:
 * p50 / p95 per query, the machine's load before and after.
 *
 * Seeding is fast and still real: BASE programs (default 300) are generated from the templates with
 * the program core and summarized by the real `summarize` (tests/integration/curator-fixtures.ts);
 * the rest reuse those summaries with their own ids, names, organization and shifted deadlines,
 * written through the relay's DocumentStore in bulk (`saveSummaries`, `saveFacts`: the curator
 * index and its history rows are written as in production), not through 100,000 relay sessions.
 * Each program also gets earlier history rows, one a month back to its start date (at most
 * HISTORY of them), as a program that changed every month since it began has: a period and the
 * period before it find the programs that were carried out then.
 *
 * npm run bench:dashboard                       PostgreSQL at TEST_DATABASE_URL (a database of its own, dropped after)
 * STORAGE=sqlite npm run bench:dashboard        the same on SQLite in a temporary directory
 * PROGRAMS=10000 ORGS=50 ROUNDS=10 npm run bench:dashboard
 * KEEP=1 npm run bench:dashboard                prints REUSE_DATABASE_URL=… (the seeded database, kept)
 * REUSE_DATABASE_URL=… npm run bench:dashboard  the queries only, on a kept database (minutes of seeding saved)
 * PROFILE=1 (the costliest statements), SKIP=<regexp of queries>, WARMUP (2 rounds not counted, each query)
 * WRITES=2000: also time rewriting that many summaries and device facts (changes the data: last)
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import Fastify from 'fastify';
import {
	queryDashboard,
	organizationAggregates,
	type DashboardQuery
} from '../server/curator/dashboard';
import { figuresFor, figuresAt, municipalityFigures } from '../server/curator/figures';
import { appendVersion, documentStates } from '../server/curator/scope-documents';
import { CuratorService } from '../server/curator/service';
import { apiBoundary } from '../server/http/api-boundary';
import { registerCuratorRoutes } from '../server/http/curator-routes';
import { createPrograms } from '../server/programs/index';
import { createIdentity } from '../server/identity/index';
import { createIdentityStore } from '../server/identity/sql-store';
import { blankPerson } from '../server/identity/model';
import { createLogger } from '../server/logger';
import { historyStatement } from '../server/storage/curator-index';
import type {
	DeviceSyncFacts,
	DeviceSyncRow,
	StoredSummary
} from '../server/storage/document-store';
import { addDays } from '../src/lib/shared/time';
import { SORT_KEYS } from '../src/lib/shared/api/curator';
import type { SqlClient } from '../server/storage/sql';
import { SERVER_NODE_FLAGS } from '../server/node-flags';

const storageKind = process.env.STORAGE === 'sqlite' ? 'sqlite' : 'postgres';
if (storageKind === 'postgres') {
	// createDataset makes a database of its own on this server and drops it on close.
	process.env.TEST_STORAGE = 'postgres';
	process.env.DATABASE_URL =
		process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
} else process.env.TEST_STORAGE = 'sqlite';
// What ships is measured: the code bundled as build/server is (bundle-server.mjs) and run with the
// server's Node flags (node-flags.ts), not tsx's transform of the sources (which, keeping function
// names, adds a call to every closure made).
if (!process.env.BENCH_BUNDLED) {
	const { bundleServer } = await import('./bundle-server.mjs');
	const outdir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'build', 'bench');
	await bundleServer({ 'bench-dashboard': fileURLToPath(import.meta.url) }, outdir);
	const run = spawnSync(
		process.execPath,
		[...SERVER_NODE_FLAGS, path.join(outdir, 'bench-dashboard.js')],
		{ stdio: 'inherit', env: { ...process.env, BENCH_BUNDLED: '1' } }
	);
	process.exit(run.status ?? 1);
}
const { createDataset } = await import('../tests/integration/curator-fixtures');
type Dataset = Awaited<ReturnType<typeof createDataset>>;
/** A database seeded by an earlier run with KEEP=1 (its migrations run again on opening). */
const reuse = process.env.REUSE_DATABASE_URL;

const programs = Number(process.env.PROGRAMS ?? 100_000);
const orgCount = Number(process.env.ORGS ?? 200);
const base = Math.min(programs, Number(process.env.BASE ?? 300));
const historyDepth = Number(process.env.HISTORY ?? 36);
const rounds = Number(process.env.ROUNDS ?? 15);
const warmup = Number(process.env.WARMUP ?? 2);
const WRITE_BATCH = 500;

const load = () =>
	loadavg()
		.map((x) => x.toFixed(2))
		.join(' ');
const pct = (xs: number[], p: number) => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

console.log(
	`bench:dashboard on ${storageKind}: ${programs} programs, ${orgCount} organizations, ${base} generated, history rows a month apart back to each program's start (at most ${historyDepth})`
);
console.log(`node ${process.version}, ${cpus().length} cores, load average ${load()}`);

// --- Seed -------------------------------------------------------------------------------------
const t0 = performance.now();
const phases = { genMs: 0, cloneMs: 0, historyMs: 0 };
const ds: Dataset = reuse
	? await reopen(reuse)
	: await createDataset({ programs: base, organizations: orgCount });
const orgs = ds.organizations;
if (!reuse) await seed(ds.sql);
await seedRegistry(ds.sql);
// PROFILE=1: time every statement the queries run, and print the costliest at the end.
const profile = new Map<string, { n: number; ms: number }>();
const sql: SqlClient = process.env.PROFILE ? profiled(ds.sql) : ds.sql;

function profiled(db: SqlClient): SqlClient {
	const timed =
		<A extends unknown[], R>(fn: (text: string, ...a: A) => Promise<R>) =>
		async (text: string, ...a: A): Promise<R> => {
			const s = performance.now();
			try {
				return await fn(text, ...a);
			} finally {
				const key = text.replace(/\s+/g, ' ').slice(0, 160);
				const e = profile.get(key) ?? { n: 0, ms: 0 };
				e.n++;
				e.ms += performance.now() - s;
				profile.set(key, e);
			}
		};
	return {
		dialect: db.dialect,
		all: timed((t, p?: unknown[]) => db.all(t, p)),
		get: timed((t, p?: unknown[]) => db.get(t, p)),
		run: timed((t, p?: unknown[]) => db.run(t, p)),
		batch: db.batch
	} as SqlClient;
}

async function reopen(url: string): Promise<Dataset> {
	const { openPostgresStorage } = await import('../server/storage/index');
	const storage = await openPostgresStorage(url);
	const today = '2026-03-15';
	return {
		storage,
		sql: storage.sql,
		store: storage.documents,
		dataDir: '/nonexistent',
		municipalityId:
			(await storage.sql.get<{ id: string }>('SELECT id FROM municipalities'))?.id ?? '',
		organizations: await storage.sql.all<{ id: string; name: string }>(
			'SELECT id, name FROM organizations ORDER BY created_at, id'
		),
		truth: [],
		today,
		now: Date.parse(`${today}T12:00:00Z`),
		staleDays: 7,
		close: () => storage.close()
	};
}

/**
 * The registry a region has beside its programs: every mentor and mentee a person of the
 * registry with a position, a birth date and experience (pedagogues, young ones among the
 * mentees, pupils and students), linked to their program — what the figures read for staff
 * categories and young pedagogues. Added to a kept database that lacks it.
 */
async function seedRegistry(sql: SqlClient) {
	const have = await sql.get<{ n: number }>(
		"SELECT count(*) AS n FROM people WHERE id LIKE 'e1x%'"
	);
	if (Number(have?.n ?? 0) >= programs) return;
	const t = performance.now();
	const created = ds.now - 400 * 86_400_000;
	const MENTOR_POSITIONS = [
		'учитель математики',
		'учитель русского языка',
		'воспитатель',
		'преподаватель',
		'заместитель директора'
	];
	for (let start = 0; start < programs; start += WRITE_BATCH) {
		const ns = [...Array(Math.min(WRITE_BATCH, programs - start)).keys()].map((k) => start + k);
		const people = ns.flatMap((n) => {
			const org = (orgs[n % orgs.length] as { id: string }).id;
			const kind = n % 4;
			return [
				[
					`m1x${n}`,
					org,
					`Наставник ${n}`,
					MENTOR_POSITIONS[n % 5],
					`${1965 + (n % 25)}-0${1 + (n % 9)}-1${n % 10}`,
					0,
					10 + (n % 20)
				],
				[
					`e1x${n}`,
					org,
					`Наставляемый ${n}`,
					kind < 2
						? 'учитель начальных классов'
						: kind === 2
							? 'ученик 8 класса'
							: 'студент 2 курса',
					kind < 2
						? `${1994 + (n % 10)}-0${1 + (n % 9)}-2${n % 8}`
						: kind === 2
							? '2011-05-05'
							: '2006-09-09',
					kind === 2 ? 1 : 0,
					kind < 2 ? n % 6 : null
				]
			];
		});
		await sql.run(
			`INSERT INTO people (id, organization_id, full_name, position, birth_date, minor, experience_years,
					active, created_at, updated_at)
				VALUES ${people.map(() => '(?, ?, ?, ?, ?, ?, ?, 1, ?, ?)').join(', ')} ON CONFLICT (id) DO NOTHING`,
			people.flatMap((p) => [...p, created, created])
		);
		await sql.run(
			`INSERT INTO program_info (program_id, organization_id, title, template_id, created_at)
				VALUES ${ns.map(() => '(?, ?, ?, ?, ?)').join(', ')} ON CONFLICT (program_id) DO NOTHING`,
			ns.flatMap((n) => [
				`p1x${n}`,
				(orgs[n % orgs.length] as { id: string }).id,
				`Программа ${n}`,
				'blank',
				created
			])
		);
		await sql.run(
			`INSERT INTO program_participants (program_id, person_id, role, added_at)
				VALUES ${ns.map(() => '(?, ?, ?, ?), (?, ?, ?, ?)').join(', ')} ON CONFLICT DO NOTHING`,
			ns.flatMap((n) => [
				`p1x${n}`,
				`m1x${n}`,
				'mentor',
				created,
				`p1x${n}`,
				`e1x${n}`,
				'mentee',
				created
			])
		);
		await vacuumEvery20(sql, start / WRITE_BATCH);
	}
	await sql.run(sql.dialect === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE');
	console.log(
		`registry: ${2 * programs} people linked to their programs in ${((performance.now() - t) / 1000).toFixed(0)} s`
	);
}

/**
 * Seeding updates rows it wrote moments before: each person's row moves its organization's
 * registry clock (one of 200 rows) on, and each program's summary rewrites its index, totals,
 * search and people rows. Where autovacuum is off (this machine's PostgreSQL) their dead
 * versions piled up: people went from 8,000 a minute to 500, and programs fell to ~330 a minute by
 * the 52,000th (7,700 a minute after a hand VACUUM; 2026-11-30). So every 20th batch vacuums them,
 * as autovacuum would.
 */
async function vacuumEvery20(sql: SqlClient, batch: number): Promise<void> {
	if (sql.dialect !== 'postgres' || batch % 20 !== 19) return;
	await sql.run(
		'VACUUM curator_registry_clock, curator_program_users, curator_program_index, curator_program_totals, curator_search_totals, curator_index_counts'
	);
}

async function seed(sql: SqlClient) {
	// Organization attributes the filters read: kinds and marks spread over the municipality.
	const KINDS = ['school', 'preschool', 'additional'] as const;
	for (let i = 0; i < orgs.length; i++)
		await sql.run(
			'UPDATE organizations SET kind = ?, low_results = ?, hard_social = ? WHERE id = ?',
			[KINDS[i % 3], i % 7 === 0 ? 1 : 0, i % 11 === 0 ? 1 : 0, (orgs[i] as { id: string }).id]
		);
	phases.genMs = performance.now() - t0;

	const stored = new Map(
		(
			await sql.all<{ program_id: string; summary: string }>(
				`SELECT program_id, summary FROM program_summaries WHERE program_id NOT LIKE '%/%'`
			)
		).map((r) => [r.program_id, r.summary])
	);
	const baseFacts = await sql.all<DeviceSyncRow>(`SELECT * FROM program_device_sync`);
	const factsOf = new Map<string, typeof baseFacts>();
	for (const f of baseFacts) factsOf.set(f.program_id, [...(factsOf.get(f.program_id) ?? []), f]);

	const SURNAMES = [
		'Орлова',
		'Волкова',
		'Зайцева',
		'Павлова',
		'Семенова',
		'Голубева',
		'Виноградова'
	];
	const NAMES = ['Анна', 'Мария', 'Елена', 'Ольга', 'Дарья', 'Полина', 'Ирина', 'Вера'];
	const quoted = (s: string) => new RegExp(`"${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`, 'g');
	const shiftDates = (json: string, days: number) =>
		json.replace(
			/"(date|nextDeadline|dueDate)":"(\d{4}-\d{2}-\d{2})"/g,
			(_m, k: string, d: string) => (days === 0 ? _m : `"${k}":"${addDays(d, days)}"`)
		);

	const t1 = performance.now();
	for (let start = base; start < programs; start += WRITE_BATCH) {
		const end = Math.min(programs, start + WRITE_BATCH);
		const summaries: StoredSummary[] = [];
		const facts: DeviceSyncFacts[] = [];
		const rows: Array<[string, string]> = [];
		for (let n = start; n < end; n++) {
			const t = ds.truth[n % base];
			if (!t) throw new Error('no base program');
			const org = orgs[n % orgs.length] as { id: string; name: string };
			const baseOrg = orgs.find((o) => o.id === t.organizationId) as { id: string; name: string };
			const programId = `p1x${n}`;
			const mentor = `m1x${n}`;
			const mentee = `e1x${n}`;
			const mentorName = `${SURNAMES[n % 7]} ${NAMES[(n >> 3) % 8]} Петровна`;
			const menteeName = `${SURNAMES[(n >> 4) % 7]} ${NAMES[n % 8]} ${n} Ивановна`;
			let json = stored.get(t.programId) as string;
			json = json
				.replace(quoted(t.programId), `"${programId}"`)
				.replace(quoted(t.mentor), `"${mentor}"`)
				.replace(quoted(t.mentee), `"${mentee}"`)
				.replace(quoted(baseOrg.name), `"${org.name}"`)
				.split(t.mentorName)
				.join(mentorName)
				.split(t.menteeName)
				.join(menteeName);
			// Deadlines and dates a few days apart from the base's, so the date sorts are not ties.
			json = shiftDates(json, (n % 11) - 5);
			rows.push([programId, org.id]);
			summaries.push({
				programId,
				summary: JSON.parse(json) as unknown as StoredSummary['summary'],
				docBytes: 16_000,
				throughSeq: 1,
				computedAt: ds.now
			});
			for (const f of factsOf.get(t.programId) ?? [])
				facts.push({
					programId,
					userId: f.user_id === t.mentor ? mentor : f.user_id === t.mentee ? mentee : f.user_id,
					deviceId: `dev-${f.user_id === t.mentor ? mentor : mentee}`,
					lastConnectedAt: f.last_connected_at ?? undefined,
					lastUpdateAt: f.last_update_at ?? undefined,
					lastInSyncAt: f.last_in_sync_at ?? undefined,
					pending: f.pending ?? 0,
					pendingReportedAt: f.pending_reported_at ?? undefined
				});
		}
		await sql.run(
			`INSERT INTO programs (id, organization_id, created_at) VALUES ${rows.map(() => '(?, ?, ?)').join(', ')}`,
			rows.flatMap(([id, org]) => [id, org, new Date(ds.now).toISOString()])
		);
		await ds.store.saveSummaries(summaries);
		await ds.store.saveFacts(facts);
		await vacuumEvery20(sql, (start - base) / WRITE_BATCH);
	}
	phases.cloneMs = performance.now() - t1;

	// History: each program's state on earlier days (a row a month back to its start date, at most
	// HISTORY of them), as the figures per period read it. The facts are the current summary's, on
	// those days. (Six rows for every program, whatever its start, left a region's programs that
	// began two years ago out of every period before the last half-year: the analytic report's
	// previous period was empty and cost nothing, issue 18.)
	const t2 = performance.now();
	if (historyDepth > 0) {
		const ids = [...Array(programs).keys()].map((n) => `p1x${n}`);
		for (let i = 0; i < ids.length; i += WRITE_BATCH) {
			const part = ids.slice(i, i + WRITE_BATCH);
			const sums = await sql.all<{ program_id: string; summary: string }>(
				`SELECT program_id, summary FROM program_summaries WHERE program_id IN (${part.map(() => '?').join(',')})`,
				part
			);
			const statements = sums.flatMap((r) => {
				const summary = JSON.parse(r.summary) as { startDate?: unknown };
				const start = typeof summary.startDate === 'string' ? summary.startDate : ds.today;
				const months = [...Array(historyDepth).keys()].filter(
					(k) => k === 0 || addDays(ds.today, -30 * (k + 1)) >= start
				);
				return months.flatMap((k) => {
					const st = historyStatement(
						r.program_id,
						summary,
						addDays(ds.today, -30 * (k + 1)),
						ds.now - (k + 1) * 30 * 86_400_000
					);
					return st ? [st] : [];
				});
			});
			await sql.batch(statements);
		}
	}
	phases.historyMs = performance.now() - t2;
	// Scope documents: a few saved versions of each organization's аналитическая справка per half-year.
	for (const o of orgs)
		for (const [from, to] of [
			[addDays(ds.today, -365), addDays(ds.today, -183)],
			[addDays(ds.today, -182), ds.today]
		] as const)
			for (let v = 0; v < 3; v++)
				await appendVersion(
					sql,
					{ scopeKind: 'organization', scopeId: o.id, kind: 'analytic-note', from, to },
					v,
					{
						sections: { conclusions: 'Выводы '.repeat(50) },
						authorId: 'benchcoordinator',
						authorName: 'Сидорова Анна Викторовна',
						createdAt: ds.now - (3 - v) * 86_400_000,
						handedIn: false,
						snapshot: null
					}
				);
	// As autovacuum leaves a database in steady use: statistics, and the visibility map that lets
	// the covering indexes answer without the table.
	await sql.run(sql.dialect === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE');
}
const counts = await sql.get<{ p: number; h: number; d: number }>(
	`SELECT (SELECT count(*) FROM curator_program_index) AS p,
		(SELECT count(*) FROM curator_program_history) AS h,
		(SELECT count(*) FROM program_device_sync) AS d`
);
console.log(
	`seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s (generate ${(phases.genMs / 1000).toFixed(0)} s, clone ${(phases.cloneMs / 1000).toFixed(0)} s, history ${(phases.historyMs / 1000).toFixed(0)} s): ${counts?.p} index rows, ${counts?.h} history rows, ${counts?.d} device facts`
);

// --- Costs: index sizes (PostgreSQL) and write speed (WRITES=n) -----------------------------------
if (sql.dialect === 'postgres') {
	const sizes = await sql.all<{ name: string; table_mb: number; index_mb: number }>(
		`SELECT c.relname AS name, round(pg_table_size(c.oid) / 1048576.0, 1) AS table_mb,
				round(pg_indexes_size(c.oid) / 1048576.0, 1) AS index_mb
			FROM pg_class c WHERE c.relkind = 'r' AND c.relname IN ('curator_program_index',
				'curator_program_search', 'curator_program_users', 'curator_index_counts')
			ORDER BY c.relname`
	);
	for (const r of sizes)
		console.log(`size of ${r.name}: table ${r.table_mb} MB, indexes ${r.index_mb} MB`);
}
/**
 * WRITES=n: n programs' summaries rewritten with their progress changed (a counted value: the
 * index row, its indexes and the counters all move), then n device facts that flip the programs'
 * pending flag, in the relay's batches of 50 — the write cost of what the dashboard reads.
 */
const writes = Number(process.env.WRITES ?? 0);
if (writes > 0) {
	const ids = (
		await sql.all<{ program_id: string }>(
			'SELECT program_id FROM curator_program_index ORDER BY program_id LIMIT ?',
			[writes]
		)
	).map((r) => r.program_id);
	const stamp = Date.now();
	let summaryMs = 0;
	let factMs = 0;
	for (let i = 0; i < ids.length; i += 50) {
		const part = ids.slice(i, i + 50);
		const rows = await sql.all<{ program_id: string; summary: string; through_seq: number }>(
			`SELECT program_id, summary, through_seq FROM program_summaries WHERE program_id IN (${part.map(() => '?').join(',')})`,
			part
		);
		const list: StoredSummary[] = rows.map((r) => {
			const summary = JSON.parse(r.summary) as { progress?: { percent?: number } };
			if (summary.progress) summary.progress.percent = ((summary.progress.percent ?? 0) + 7) % 101;
			return {
				programId: r.program_id,
				summary: summary as unknown as StoredSummary['summary'],
				docBytes: 16_000,
				throughSeq: Number(r.through_seq) + 1,
				computedAt: ds.now
			};
		});
		let s0 = performance.now();
		await ds.store.saveSummaries(list);
		summaryMs += performance.now() - s0;
		s0 = performance.now();
		await ds.store.saveFacts(
			part.map((programId, k) => ({
				programId,
				userId: `e1x${programId.slice(3)}`,
				deviceId: 'bench-writes',
				lastConnectedAt: stamp,
				pending: (k + i) % 2,
				pendingReportedAt: stamp
			}))
		);
		factMs += performance.now() - s0;
	}
	console.log(
		`writes (${ids.length} programs, batches of 50, load ${load()}): summaries ${((summaryMs / ids.length) * 1000).toFixed(0)} ms per 1,000, device facts ${((factMs / ids.length) * 1000).toFixed(0)} ms per 1,000`
	);
}

// --- Queries ----------------------------------------------------------------------------------
const orgIds = orgs.map((o) => o.id);
const municipal = { organizationIds: orgIds };
const one = { organizationIds: [(orgs[0] as { id: string }).id] };
const results: Array<{ name: string; rows: number | string; p50: number; p95: number }> = [];

/** SKIP: a regular expression of the queries not to run (e.g. SKIP='half-year' on a loaded machine). */
const skip = process.env.SKIP ? new RegExp(process.env.SKIP) : null;

/**
 * A query's p50 and p95 over ROUNDS rounds after WARMUP more, every query alike: the figures of
 * periods too (a new period or date each round), as a running server answers them. (They once took
 * seconds and ran three rounds without a warm-up; a median of three cold rounds measured the
 * compiler's warm-up as much as the query, issue 18.)
 */
async function time(
	name: string,
	fn: (round: number) => Promise<number | string>,
	/** Run before each round, not timed (a region's edit: liveEdit). */
	before?: (round: number) => Promise<void>
) {
	if (skip?.test(name)) return;
	const times: number[] = [];
	let rows: number | string = '';
	for (let i = 0; i < rounds + warmup; i++) {
		await before?.(i);
		const s = performance.now();
		rows = await fn(i);
		const ms = performance.now() - s;
		if (i >= warmup) times.push(ms);
	}
	const r = { name, rows, p50: pct(times, 50), p95: pct(times, 95) };
	results.push(r);
	console.log(`| ${name} | ${rows} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} |`);
}

const dash = (scope: { organizationIds: string[] }, q: DashboardQuery) => async () =>
	(await queryDashboard(sql, scope, { staleDays: ds.staleDays, ...q }, { now: ds.now })).total;

console.log(`\nload average before the queries: ${load()}\n`);
console.log('| query (municipality: all programs) | rows matched | p50 ms | p95 ms |');
console.log('|---|---:|---:|---:|');
await time('dashboard: first page, by title', dash(municipal, {}));
// Every sort of the API except the first page's (by title, above).
const SORTS = SORT_KEYS.filter((k) => k !== 'title');
for (const sort of SORTS) await time(`sort: ${sort} desc`, dash(municipal, { sort, dir: 'desc' }));
await time('sort: title, page 100 (offset 4950)', dash(municipal, { offset: 4950 }));
await time(
	'filter: overdue, by overdue desc',
	dash(municipal, { flags: ['overdue'], sort: 'overdue', dir: 'desc' })
);
await time(
	'filter: reports due',
	dash(municipal, { flags: ['reports-due'], sort: 'reports-due', dir: 'desc' })
);
await time('filter: stale devices', dash(municipal, { flags: ['stale'], sort: 'last-seen' }));
await time('filter: reports due + stale', dash(municipal, { flags: ['reports-due', 'stale'] }));
await time('filter: invitation not opened', dash(municipal, { flags: ['not-opened'] }));
await time('filter: pending sync', dash(municipal, { flags: ['pending-sync'] }));
await time('filter: organization kind ДОУ', dash(municipal, { orgKind: 'preschool' }));
await time('filter: mark ШНОР', dash(municipal, { orgMark: 'low-results', sort: 'progress' }));
await time(
	'filter: mark ШССУ + overdue',
	dash(municipal, { orgMark: 'hard-social', flags: ['overdue'] })
);
// The most common stage and type of the data set (the filters' realistic case).
const common = await sql.get<{ stage: string; types: string }>(
	`SELECT stage_kind AS stage, types FROM curator_program_index WHERE stage_kind IS NOT NULL
		GROUP BY stage_kind, types ORDER BY count(*) DESC LIMIT 1`
);
const commonType = (common?.types ?? ',,').split(',').filter(Boolean)[0] ?? 'individual';
await time(
	'filter: template + stage + status',
	dash(municipal, {
		templateId: 'tomsk-heads-beginner',
		stage: common?.stage ?? 'activity',
		status: 'active'
	})
);
await time(
	`filter: type ${commonType}, by last activity`,
	dash(municipal, {
		type: commonType as DashboardQuery['type'],
		sort: 'last-activity',
		dir: 'desc'
	})
);
await time('search: one word', dash(municipal, { q: 'Волкова' }));
await time(
	'search: two words, by next deadline',
	dash(municipal, { q: 'Зайцева Дарья', sort: 'next-deadline' })
);
await time('search: no match', dash(municipal, { q: 'Ъъъъ' }));
await time('one organization: first page', dash(one, {}));
await time(
	'per-organization aggregates (municipal view)',
	async () => (await organizationAggregates(sql, orgIds, { now: ds.now })).length
);
const periodTo = ds.today;
await time(
	'figures: today (repeated)',
	async () => (await figuresFor(sql, municipal, {}, ds.now)).programs.total
);
// A different date each round: no cached result (a curator picking dates).
await time(
	'figures: on a past date (a new date each round)',
	async (i) => (await figuresAt(sql, municipal, addDays(periodTo, -40 - i), ds.now)).programs.total
);
/** The half-year ending `i` days before the data set's today: a new period each round. */
const halfYear = (i: number) => ({ from: addDays(periodTo, -182 - i), to: addDays(periodTo, -i) });
await time(
	'figures: a half-year with the previous (a new period each round)',
	async (i) => (await figuresFor(sql, municipal, halfYear(i), ds.now)).programs.total
);
await time(
	"figures: the municipality's and each organization's (the analytic report's, a new period each round)",
	async (i) =>
		(await municipalityFigures(sql, municipal, halfYear(i), { now: ds.now, groupings: false }))
			.organizations.length
);
await time(
	'scope documents: versions of the municipality',
	async () => (await documentStates(sql, 'organization', orgIds)).size
);

// --- HTTP: the routes a curator's browser calls (real Fastify, session cookie, policy, JSON) ---
const logger = createLogger('error');
const identity = createIdentity({
	store: createIdentityStore(ds.storage.sql),
	secret: 'bench-secret-bench-secret-bench-secret',
	logger
});
const programsModule = createPrograms({ identity, documents: ds.store, logger });
const tNow = Date.now();
const mk = async (
	id: string,
	role: 'admin' | 'curator' | 'coordinator',
	orgId: string | null,
	munId: string | null
) => {
	await identity.store.people.create(
		blankPerson({ id, organizationId: orgId, municipalityId: munId, fullName: id }, tNow)
	);
	await identity.store.roles.assign({
		id: `${id}role`,
		personId: id,
		role,
		organizationId: orgId,
		municipalityId: munId,
		createdAt: tNow,
		createdBy: null
	});
};
// Ids of this run (a reused database keeps the people of earlier runs).
const run = tNow.toString(36);
await mk(`benchadmin${run}`, 'admin', null, null);
await mk(`benchcoordinator${run}`, 'coordinator', null, ds.municipalityId);
const admin = await identity.actorFor(`benchadmin${run}`);
const inv = await identity.createInvitation(admin, { personId: `benchcoordinator${run}` });
const session = await identity.redeemInvitation(inv.code, 'bench');
const curator = new CuratorService({
	db: sql,
	scopes: identity.scopes,
	programs: programsModule,
	relay: {
		getDocument: () => Promise.reject(new Error('read-only bench')),
		getDecisions: () => Promise.reject(new Error('read-only bench')),
		refreshSummaries: () => Promise.reject(new Error('read-only bench')),
		connections: () => []
	},
	logger,
	refresher: false,
	now: () => ds.now,
	staleDays: ds.staleDays
});
const app = Fastify();
await app.register(
	async (api) => {
		await api.register(apiBoundary, { identity });
		await registerCuratorRoutes(api, { curator, programs: programsModule });
	},
	{ prefix: '/api' }
);
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const get = (path: string) => async () => {
	const res = await fetch(
		`http://127.0.0.1:${port}/api/curator/municipalities/${ds.municipalityId}${path}`,
		{
			headers: { cookie: `nst_session=${session.token}` }
		}
	);
	const body = (await res.json()) as { total?: number; events?: unknown[] };
	if (res.status !== 200) throw new Error(`HTTP ${res.status} ${path}: ${JSON.stringify(body)}`);
	return body.total ?? body.events?.length ?? res.status;
};
const year = Number(ds.today.slice(0, 4));
await time('HTTP GET dashboard: first page', get('/dashboard'));
await time(
	'HTTP GET dashboard: overdue, by overdue desc',
	get('/dashboard?flags=overdue&sort=overdue&dir=desc')
);
await time(
	'HTTP GET dashboard: reports due + stale, by deadline',
	get('/dashboard?flags=reports-due,stale&sort=next-deadline')
);
await time(
	'HTTP GET dashboard: search + stage',
	get(`/dashboard?q=${encodeURIComponent('Орлова')}&stage=activity`)
);
await time('HTTP GET figures (today)', get('/figures'));
await time('HTTP GET calendar of the year (figures of each date)', get(`/calendar?year=${year}`));
// A region's phones edit all the time, and each summary written changes what the figures read
// (Sources.version), so a live region's figures are computed afresh: one program's summary
// written again before each round (not timed), as the relay writes it, its facts of today
// changed every other round (a mentee joins and leaves).
const liveMentee = {
	id: 'bench-live',
	role: 'mentee',
	name: 'Новикова Ольга',
	userId: 'bench-live'
};
const edited = await sql.get<{ program_id: string; summary: string; through_seq: number }>(
	'SELECT program_id, summary, through_seq FROM program_summaries ORDER BY program_id LIMIT 1'
);
let edits = 0;
const liveEdit = async () => {
	if (!edited) return;
	edits++;
	const summary = JSON.parse(edited.summary) as { participants: unknown[] };
	if (edits % 2) summary.participants = [...summary.participants, liveMentee];
	await ds.store.saveSummaries([
		{
			programId: edited.program_id,
			summary,
			docBytes: 1,
			throughSeq: Number(edited.through_seq) + edits,
			computedAt: Date.now()
		}
	]);
};
await time(
	'HTTP GET figures (today), a summary written before each round',
	get('/figures'),
	liveEdit
);
await time(
	'HTTP GET calendar of the year, a summary written before each round',
	get(`/calendar?year=${year}`),
	liveEdit
);
await time('HTTP GET analytic report of the school year (a new period each round)', (i) =>
	get(`/documents/analytic-report?from=${year - 1}-09-01&to=${addDays(ds.today, -i)}`)()
);
await app.close();

console.log(`\nload average after: ${load()}`);
if (profile.size) {
	console.log('\n| statement (PROFILE=1) | runs | total ms | ms per run |\n|---|---:|---:|---:|');
	for (const [k, e] of [...profile].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25))
		console.log(`| ${k} | ${e.n} | ${e.ms.toFixed(0)} | ${(e.ms / e.n).toFixed(1)} |`);
}
const slow = results.filter((r) => r.p50 >= 100);
console.log(
	slow.length
		? `p50 ≥ 100 ms: ${slow.map((r) => `${r.name} (${r.p50.toFixed(0)} ms)`).join('; ')}`
		: 'every query: p50 < 100 ms'
);
if (process.env.KEEP && storageKind === 'postgres' && !reuse) {
	const db = await sql.get<{ name: string }>('SELECT current_database() AS name');
	await ds.storage.close();
	console.log(
		`kept: REUSE_DATABASE_URL=${new URL(db?.name ?? '', process.env.DATABASE_URL).href} (drop it when done)`
	);
} else await ds.close();
if (!process.env.KEEP && !reuse) rmSync(ds.dataDir, { recursive: true, force: true });
