/**
 * Time: a phone that edits offline for 30 simulated days across an app update that bumps the
 * document schema, while its partner (still on the old app) keeps changing the same program; and
 * phones whose clocks are a week off. Both end converged with nothing lost, the summary computed
 * on the server's day, deadlines untouched by clocks, and sync facts in server time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	ROOT,
	SCHEMA_VERSION,
	overdueActivities,
	readProgram,
	summarize,
	summaryDay,
	userOrigin
} from '../../src/lib/shared/program';
import {
	BUSY_RELAY_ENV,
	createPrograms,
	expectBackToBaseline,
	procStats,
	rng,
	sleep,
	startServer,
	summarySettled,
	tempRoot,
	until,
	type ProcStats,
	type ServerHandle
} from './harness';
import {
	MENTEE,
	MENTOR,
	contains,
	expectInvariants,
	phone,
	randomAction,
	sameDocument,
	seedProgram
} from './phones';

const DAY = 86_400_000;

describe('long offline, schema bump, clock skew', () => {
	const tmp = tempRoot('time');
	let server: ServerHandle;
	let baseline: ProcStats;

	beforeAll(async () => {
		server = await startServer(tmp.dataDir, BUSY_RELAY_ENV);
		await createPrograms(tmp.dataDir, ['offline-30d', 'skew']);
		baseline = procStats(server.pid);
	});
	afterAll(async () => {
		await server?.stop('SIGKILL');
		tmp.dispose();
	});

	it('30 days offline across a schema-bumping app update, partner editing meanwhile: converged, nothing lost', async () => {
		const r = rng(5000);
		const programId = 'offline-30d';
		let menteeNow = Date.now();
		const opts = { programId, wsBase: server.wsBase, maxBackoffMs: 300 };
		const mentor = phone({ ...opts, name: 'mentor (old app)', actor: MENTOR });
		const mentee = phone({
			...opts,
			name: 'mentee',
			actor: MENTEE,
			clock: () => new Date(menteeNow),
			now: () => menteeNow
		});
		seedProgram(mentor.doc, programId, '2026-09-01');
		const phones = [mentor, mentee];
		try {
			for (const p of phones) {
				p.sync.start();
				p.sync.setOnline(true);
			}
			await until(
				() =>
					phones.every((p) => p.sync.state.phase === 'saved') &&
					sameDocument(mentor.doc, mentee.doc),
				'initial sync'
			);
			const ackedBeforeLeaving = mentee.acked!;
			mentee.sync.setOnline(false);

			const menteeMeetings: string[] = [];
			const newKeyOn: string[] = [];
			for (let day = 1; day <= 30; day++) {
				menteeNow += DAY;
				const date = new Date(menteeNow).toISOString().slice(0, 10);
				for (let i = 0; i < 3; i++) randomAction(mentee.editor, mentee.doc, r);
				menteeMeetings.push(
					mentee.editor.logMeeting({
						date,
						format: 'remote',
						kind: 'regular',
						topic: `День ${day} без сети`
					})
				);
				if (day === 15) {
					// The app update: a newer layout raises meta.schemaVersion and writes keys and a
					// top-level list the old app does not know (docs/program-document.md, evolution rules).
					mentee.doc.transact(() => {
						mentee.doc.getMap(ROOT.meta).set('schemaVersion', SCHEMA_VERSION + 1);
						const practices = mentee.doc.getArray<Y.Map<unknown>>('practices.v2');
						const item = new Y.Map<unknown>();
						item.set('id', 'practice-1');
						item.set('title', 'Успешная практика из новой версии');
						practices.push([item]);
					}, userOrigin(MENTEE.userId));
				}
				if (day >= 15) {
					const activities = mentee.doc.getArray<Y.Map<unknown>>(ROOT.activities);
					const target = activities.get(r.int(activities.length));
					mentee.doc.transact(
						() => target.set('evidence.v2', `файл-${day}`),
						userOrigin(MENTEE.userId)
					);
					newKeyOn.push(String(target.get('id')));
				}
				// The partner, on the old app and online, changes the same program meanwhile.
				for (let i = 0; i < 3; i++) randomAction(mentor.editor, mentor.doc, r);
				await sleep(5);
			}
			expect(mentee.sync.state.phase).toBe('offline');
			expect(mentee.sync.state.pending).toBeGreaterThan(0);
			// The old app edits activities the new app has touched (after syncing): unknown keys survive.
			await until(() => mentor.sync.state.phase === 'saved', 'mentor saved');

			mentee.sync.setOnline(true);
			await until(
				() =>
					phones.every((p) => p.sync.state.phase === 'saved') &&
					sameDocument(mentor.doc, mentee.doc),
				() => `convergence: ${phones.map((p) => JSON.stringify(p.sync.state)).join(' ')}`,
				20_000
			);
			const activities = readProgram(mentor.doc).activities;
			for (const id of newKeyOn.slice(0, 5)) {
				const a = activities.find((x) => x.id === id);
				if (a) mentor.editor.editActivity(id, { title: `${a.title} (уточнено)` });
			}
			await until(
				() =>
					phones.every((p) => p.sync.state.phase === 'saved') &&
					sameDocument(mentor.doc, mentee.doc),
				'after the old app edited new-layout items',
				20_000
			);

			await summarySettled(tmp.dataDir, programId);
			const stored = expectInvariants(
				tmp.dataDir,
				programId,
				phones.map((p) => ({ name: p.name, doc: p.doc, acked: p.acked })),
				'30 days offline'
			);
			expect(contains(stored.doc, ackedBeforeLeaving)).toBe(true);
			// Nothing lost: all 30 offline meetings, the new layout's keys and list, the raised version.
			const view = readProgram(stored.doc);
			for (const id of menteeMeetings) expect(view.meetings.some((m) => m.id === id)).toBe(true);
			expect(stored.doc.getMap(ROOT.meta).get('schemaVersion')).toBe(SCHEMA_VERSION + 1);
			expect(stored.doc.getArray<Y.Map<unknown>>('practices.v2').get(0).get('title')).toBe(
				'Успешная практика из новой версии'
			);
			const byId = new Map(
				stored.doc
					.getArray<Y.Map<unknown>>(ROOT.activities)
					.toArray()
					.map((m) => [m.get('id'), m])
			);
			for (const id of newKeyOn)
				expect(byId.get(id)?.get('evidence.v2'), `evidence.v2 on ${id}`).toMatch(/^файл-/);
			// The older reader keeps working on the newer document and the summary counts everything.
			expect(view.problems.filter((p) => !/schema|version/i.test(p))).toEqual([]);
			const summary = summarize(stored.doc, new Date());
			expect(summary.meetings.count).toBe(view.meetings.length);
			expect(summary.meetings.count).toBeGreaterThanOrEqual(30);
		} finally {
			for (const p of phones) p.destroy();
		}
	});

	it('the newer app opens a document only the older app wrote', async () => {
		// A "newer" reader = the current reader plus the new keys with defaults: documents of the
		// old layout have none of them, and nothing about them is reported as a problem.
		const doc = new Y.Doc();
		seedProgram(doc, 'older');
		const view = readProgram(doc);
		expect(view.problems).toEqual([]);
		expect(
			doc
				.getArray<Y.Map<unknown>>(ROOT.activities)
				.toArray()
				.every((m) => m.get('evidence.v2') === undefined)
		).toBe(true);
		expect(doc.getArray('practices.v2').length).toBe(0);
	});

	it('a week of clock skew does not move deadlines, "overdue" or sync facts', async () => {
		const r = rng(6000);
		const programId = 'skew';
		const ahead = 7 * DAY;
		const t0 = Date.now();
		const opts = { programId, wsBase: server.wsBase, maxBackoffMs: 300 };
		const fast = phone({
			...opts,
			name: 'fast (+7 d)',
			actor: MENTOR,
			clock: () => new Date(Date.now() + ahead),
			now: () => Date.now() + ahead
		});
		const slow = phone({
			...opts,
			name: 'slow (−7 d)',
			actor: MENTEE,
			clock: () => new Date(Date.now() - ahead),
			now: () => Date.now() - ahead
		});
		seedProgram(fast.doc, programId, '2025-09-01'); // a year in: some deadlines have passed
		const phones = [fast, slow];
		try {
			for (const p of phones) {
				p.sync.start();
				p.sync.setOnline(true);
			}
			await until(
				() =>
					phones.every((p) => p.sync.state.phase === 'saved') && sameDocument(fast.doc, slow.doc),
				'initial sync'
			);
			const deadlinesBefore = new Map(
				readProgram(fast.doc).activities.map((a) => [a.id, a.deadline])
			);
			const touched = new Set<string>();
			for (let i = 0; i < 40; i++) {
				const p = r.pick(phones);
				const acts = readProgram(p.doc).activities;
				const a = r.pick(acts);
				if (r.chance(0.3)) {
					p.editor.completeActivity(
						a.id,
						new Date(p === fast ? Date.now() + ahead : Date.now() - ahead)
							.toISOString()
							.slice(0, 10)
					);
				} else if (r.chance(0.2)) {
					p.editor.setDeadline(a.id, '2026-12-01');
					touched.add(a.id);
				} else {
					// Typing and meetings (dated by the phone's day); never a deadline.
					p.editor.editText({ kind: 'diagnosis', field: 'goals' }, 0, 0, `${p.name}; `);
					if (r.chance(0.3)) {
						p.editor.logMeeting({
							date: new Date(p === fast ? Date.now() + ahead : Date.now() - ahead)
								.toISOString()
								.slice(0, 10),
							format: 'in-person',
							kind: 'regular',
							topic: 'Встреча'
						});
					}
				}
				await sleep(10);
			}
			await until(
				() =>
					phones.every((p) => p.sync.state.phase === 'saved') && sameDocument(fast.doc, slow.doc),
				'converged',
				20_000
			);
			await sleep(1_200); // device status reports (every 500 ms) and facts (100 ms) land
			await summarySettled(tmp.dataDir, programId);
			const stored = expectInvariants(
				tmp.dataDir,
				programId,
				phones.map((p) => ({ name: p.name, doc: p.doc, acked: p.acked })),
				'clock skew'
			);
			const t1 = Date.now();

			// Deadlines: only the explicit ones changed; no clock moved any other.
			const after = readProgram(stored.doc).activities;
			for (const a of after) {
				if (touched.has(a.id)) expect(a.deadline).toBe('2026-12-01');
				else if (deadlinesBefore.has(a.id))
					expect(a.deadline, a.id).toBe(deadlinesBefore.get(a.id));
			}
			// "Overdue" is the server's: the summary is as of the server's day, in the program's time
			// zone (Moscow here) — not UTC's day, which differs from 21:00 UTC (CI, 2026-11-24).
			const s = stored.summary!.summary as { asOf: string; overdue: { count: number } };
			const serverDay = summaryDay(stored.doc, new Date());
			expect(s.asOf).toBe(serverDay);
			expect(s.overdue.count).toBe(overdueActivities(readProgram(stored.doc), serverDay).length);
			expect(s.overdue.count).toBeGreaterThan(0);
			// Sync facts are server times, whatever the phones' clocks say.
			expect(stored.facts.length).toBeGreaterThanOrEqual(2);
			for (const f of stored.facts) {
				for (const k of [
					'last_connected_at',
					'last_update_at',
					'last_in_sync_at',
					'pending_reported_at'
				]) {
					const v = f[k] as number | null;
					if (v === null) continue;
					expect(v, `${String(f.device_id)}.${k}`).toBeGreaterThanOrEqual(t0 - 1_000);
					expect(v, `${String(f.device_id)}.${k}`).toBeLessThanOrEqual(t1 + 1_000);
				}
			}
			expect(stored.facts.every((f) => f.last_in_sync_at !== null)).toBe(true);
			console.log(
				`[time] clock skew: ${stored.facts.length} device facts in server time, overdue ${s.overdue.count} as of ${s.asOf}`
			);
		} finally {
			for (const p of phones) p.destroy();
		}
	});

	it('server memory and file descriptors return to the baseline', async () => {
		const after = await expectBackToBaseline(server, baseline);
		console.log(`[time] baseline ${JSON.stringify(baseline)} → after ${JSON.stringify(after)}`);
	});
});
