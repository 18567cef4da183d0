/**
 * Curator dashboard benchmark (npm run bench:dashboard): an organization with 10,000 programs
 * generated from the templates with the program core, summarized by the real `summarize` and
 * stored through the relay's DocumentStore (the curator index triggers run as in production).
 * Then the dashboard query runs with a set of filters and sorts, and p50 / p95 are printed.
 *
 * PROGRAMS=10000 ROUNDS=30 tsx scripts/bench-dashboard.ts
 * On PostgreSQL (a fresh database, dropped afterwards):
 * TEST_STORAGE=postgres DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres tsx scripts/bench-dashboard.ts
 */
import { performance } from 'node:perf_hooks';
import { rmSync } from 'node:fs';
import {
	queryDashboard,
	organizationAggregates,
	type DashboardQuery
} from '../server/curator/dashboard';
import { computeFigures } from '../server/curator/figures';
import Fastify from 'fastify';
import { CuratorService } from '../server/curator/service';
import { apiBoundary } from '../server/http/api-boundary';
import { registerCuratorRoutes } from '../server/http/curator-routes';
import { createPrograms } from '../server/programs/index';
import { createIdentity } from '../server/identity/index';
import { createIdentityStore } from '../server/identity/sql-store';
import { blankPerson } from '../server/identity/model';
import { createLogger } from '../server/logger';
import { createDataset } from '../tests/integration/curator-fixtures';

const programs = Number(process.env.PROGRAMS ?? 10_000);
const rounds = Number(process.env.ROUNDS ?? 30);

const t0 = performance.now();
const ds = await createDataset({ programs, organizations: 1 });
const genMs = performance.now() - t0;
const org = ds.organizations[0];
if (!org) throw new Error('no organization');
const scope = { organizationIds: [org.id] };

const cases: Array<[string, DashboardQuery]> = [
	['first page, by title', {}],
	['sort: progress desc', { sort: 'progress', dir: 'desc' }],
	['sort: next deadline', { sort: 'next-deadline' }],
	['filter: overdue, sort overdue desc', { flags: ['overdue'], sort: 'overdue', dir: 'desc' }],
	['filter: reports due + stale devices', { flags: ['reports-due', 'stale'] }],
	['filter: pending sync', { flags: ['pending-sync'] }],
	[
		'filter: template + stage + status',
		{ templateId: 'tomsk-heads-beginner', stage: 'activity', status: 'active' }
	],
	['filter: type in-group', { type: 'group', sort: 'last-activity', dir: 'desc' }],
	['search: surname', { q: 'иванова', sort: 'reports-due', dir: 'desc' }],
	['page 50 of 200 (offset 2450)', { offset: 2450, limit: 50, sort: 'stage' }]
];

const pct = (xs: number[], p: number) => {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

console.log(`generated ${programs} programs in ${(genMs / 1000).toFixed(1)} s (${ds.dataDir})`);
console.log(`node ${process.version}, ${process.platform} ${process.arch}`);
console.log('');
console.log('| query | rows matched | p50 ms | p95 ms |');
console.log('|---|---:|---:|---:|');
const all: number[] = [];
for (const [name, q] of cases) {
	const times: number[] = [];
	let total = 0;
	for (let i = 0; i < rounds + 3; i++) {
		const s = performance.now();
		const r = await queryDashboard(
			ds.sql,
			scope,
			{ staleDays: ds.staleDays, ...q },
			{ now: ds.now }
		);
		const ms = performance.now() - s;
		total = r.total;
		if (i >= 3) times.push(ms);
	}
	all.push(...times);
	console.log(
		`| ${name} | ${total} | ${pct(times, 50).toFixed(1)} | ${pct(times, 95).toFixed(1)} |`
	);
}
{
	const times: number[] = [];
	for (let i = 0; i < rounds; i++) {
		const s = performance.now();
		await computeFigures(ds.sql, scope, { now: ds.now });
		times.push(performance.now() - s);
	}
	console.log(
		`| figures for statistical forms | ${programs} | ${pct(times, 50).toFixed(1)} | ${pct(times, 95).toFixed(1)} |`
	);
}
{
	const times: number[] = [];
	for (let i = 0; i < rounds; i++) {
		const s = performance.now();
		await organizationAggregates(ds.sql, [org.id], { now: ds.now });
		times.push(performance.now() - s);
	}
	console.log(
		`| municipal view: per-organization aggregates | ${programs} | ${pct(times, 50).toFixed(1)} | ${pct(times, 95).toFixed(1)} |`
	);
}
console.log('');
console.log(
	`all dashboard queries: p50 ${pct(all, 50).toFixed(1)} ms, p95 ${pct(all, 95).toFixed(1)} ms`
);

// The same through the HTTP API (real Fastify, session cookie, policy check, JSON serialization).
{
	const logger = createLogger('error');
	const identity = createIdentity({
		store: createIdentityStore(ds.storage.sql),
		secret: 'bench-secret-bench-secret-bench-secret',
		logger
	});
	const programs = createPrograms({ identity, documents: ds.store, logger });
	const t = Date.now();
	const mk = async (id: string, role: 'admin' | 'curator', orgId: string | null) => {
		await identity.store.people.create(
			blankPerson({ id, organizationId: orgId, municipalityId: null, fullName: id }, t)
		);
		await identity.store.roles.assign({
			id: `${id}role`,
			personId: id,
			role,
			organizationId: orgId,
			municipalityId: null,
			createdAt: t,
			createdBy: null
		});
	};
	await mk('benchadmin', 'admin', null);
	await mk('benchcurator', 'curator', org.id);
	const admin = await identity.actorFor('benchadmin');
	const inv = await identity.createInvitation(admin, { personId: 'benchcurator' });
	const session = await identity.redeemInvitation(inv.code, 'bench');
	const curator = new CuratorService({
		db: ds.sql,
		scopes: identity.scopes,
		programs,
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
			await registerCuratorRoutes(api, { curator, programs });
		},
		{ prefix: '/api' }
	);
	await app.listen({ port: 0, host: '127.0.0.1' });
	const address = app.server.address();
	const port = typeof address === 'object' && address ? address.port : 0;
	const http: Array<[string, string]> = [
		['HTTP: first page', ''],
		['HTTP: overdue, sorted by overdue desc', '?flags=overdue&sort=overdue&dir=desc'],
		['HTTP: reports due + stale, by deadline', '?flags=reports-due,stale&sort=next-deadline'],
		['HTTP: search + stage filter', `?q=${encodeURIComponent('Петрова')}&stage=activity`]
	];
	console.log('');
	console.log(
		'| HTTP GET /api/curator/organizations/:id/dashboard | rows matched | p50 ms | p95 ms |'
	);
	console.log('|---|---:|---:|---:|');
	const allHttp: number[] = [];
	for (const [name, qs] of http) {
		const times: number[] = [];
		let total = 0;
		for (let i = 0; i < rounds + 3; i++) {
			const s = performance.now();
			const res = await fetch(
				`http://127.0.0.1:${port}/api/curator/organizations/${org.id}/dashboard${qs}`,
				{ headers: { cookie: `nst_session=${session.token}` } }
			);
			const body = (await res.json()) as { total: number };
			const ms = performance.now() - s;
			if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
			total = body.total;
			if (i >= 3) times.push(ms);
		}
		allHttp.push(...times);
		console.log(
			`| ${name} | ${total} | ${pct(times, 50).toFixed(1)} | ${pct(times, 95).toFixed(1)} |`
		);
	}
	console.log('');
	console.log(
		`all HTTP dashboard requests: p50 ${pct(allHttp, 50).toFixed(1)} ms, p95 ${pct(allHttp, 95).toFixed(1)} ms`
	);
	await app.close();
}
await ds.close();
if (!process.env.KEEP) rmSync(ds.dataDir, { recursive: true, force: true });
