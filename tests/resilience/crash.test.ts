/**
 * Server crashes: SIGKILL at random moments while two phones and a stock client edit, with
 * compaction every 8 log rows and summaries 50 ms after changes settle, so kills land mid-commit,
 * mid-compaction and mid-summary; restart on the same port, continue. At the end: everything a
 * phone was told is saved survived every kill, all replicas equal the stored document, the
 * database is intact, and the summary is current.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgramEditor } from '../../src/lib/shared/program';
import {
	BUSY_RELAY_ENV,
	LONG,
	createPrograms,
	expectBackToBaseline,
	procStats,
	integrityCheck,
	readStored,
	rng,
	seeds,
	sleep,
	startServer,
	summaryCurrent,
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
	missingStructs,
	phone,
	randomAction,
	sameDocument,
	seedProgram,
	stockClient
} from './phones';

const SEEDS = seeds(LONG ? 20 : 3, 2000);
const KILLS = LONG ? 8 : 4;

describe('server crashes (SIGKILL) at random points', () => {
	const tmp = tempRoot('crash');
	let server: ServerHandle;
	let port = 0;
	let baseline: ProcStats;

	beforeAll(async () => {
		server = await startServer(tmp.dataDir, BUSY_RELAY_ENV);
		port = server.port;
		await createPrograms(tmp.dataDir, [...SEEDS.map((s) => `crash-${s}`), 'stale-summary']);
	});

	afterAll(async () => {
		await server?.stop('SIGKILL');
		tmp.dispose();
	});

	for (const seed of SEEDS) {
		it(`seed ${seed}: ${KILLS} kills, acknowledged work survives, replicas converge`, async () => {
			const r = rng(seed);
			const programId = `crash-${seed}`;
			const opts = { programId, wsBase: server.wsBase, maxBackoffMs: 300 };
			const mentor = phone({ ...opts, name: 'mentor', actor: MENTOR });
			const mentee = phone({ ...opts, name: 'mentee', actor: MENTEE });
			seedProgram(mentor.doc, programId);
			const third = stockClient(server.wsBase, programId, MENTOR.userId);
			const thirdEditor = new ProgramEditor(third.doc, MENTOR);
			const phones = [mentor, mentee];
			// What each phone had been told was saved at the moment of each kill.
			const ackedAtKill: { name: string; update: Uint8Array; clientId: number }[] = [];
			let actions = 0;
			try {
				for (const p of phones) {
					p.sync.start();
					p.sync.setOnline(true);
				}
				await until(() => mentor.sync.state.phase === 'saved', 'mentor saved the program');
				for (let k = 0; k < KILLS; k++) {
					const killAt = Date.now() + r.range(100, 1_200);
					while (Date.now() < killAt) {
						const who = r.int(3);
						if (who === 2) randomAction(thirdEditor, third.doc, r);
						else randomAction(phones[who]!.editor, phones[who]!.doc, r);
						actions++;
						await sleep(r.range(1, 40));
					}
					for (const p of phones)
						if (p.acked)
							ackedAtKill.push({ name: p.name, update: p.acked, clientId: p.doc.clientID });
					await server.stop('SIGKILL');
					// Edits keep happening on the phones while the server is down.
					for (let i = r.int(5); i > 0; i--) {
						const p = r.pick(phones);
						randomAction(p.editor, p.doc, r);
					}
					await sleep(r.range(0, 400));
					expect(integrityCheck(tmp.dataDir)).toBe('ok');
					for (const a of ackedAtKill.slice(-2)) {
						const stored = readStored(tmp.dataDir, programId);
						expect(stored.badRows).toBe(0);
						expect(
							contains(stored.doc, a.update),
							`seed ${seed}, kill ${k}: ${a.name} (client ${a.clientId}) lost acknowledged work; structs missing: ${missingStructs(stored.doc, a.update)}`
						).toBe(true);
					}
					server = await startServer(tmp.dataDir, BUSY_RELAY_ENV, port);
					baseline = procStats(server.pid);
				}
				await until(
					() =>
						phones.every((p) => p.sync.state.phase === 'saved') &&
						sameDocument(mentor.doc, mentee.doc) &&
						sameDocument(mentor.doc, third.doc),
					() =>
						`convergence (seed ${seed}): ${phones.map((p) => JSON.stringify(p.sync.state)).join(' ')}`,
					30_000
				);
				await summarySettled(tmp.dataDir, programId);
				const stored = expectInvariants(
					tmp.dataDir,
					programId,
					[
						{ name: 'mentor', doc: mentor.doc, acked: mentor.acked },
						{ name: 'mentee', doc: mentee.doc, acked: mentee.acked },
						{ name: 'stock client', doc: third.doc }
					],
					`seed ${seed}`
				);
				for (const a of ackedAtKill) expect(contains(stored.doc, a.update)).toBe(true);
				console.log(
					`[crash] seed ${seed}: ${KILLS} kills, ${actions} actions, ${ackedAtKill.length} acknowledged states checked, stored seq ${stored.lastSeq}`
				);
			} catch (error) {
				console.error(`[crash] FAILED seed ${seed} (replay: RESILIENCE_SEEDS=${seed})`);
				throw error;
			} finally {
				for (const p of phones) p.destroy();
				third.destroy();
			}
			// The last incarnation, from its start to after the clients left.
			await expectBackToBaseline(server, baseline);
		});
	}

	/**
	 * Regression (crash seed 2001, docs/resilience.md "Bugs found"): a crash after an update's
	 * commit and before its debounced summary left the stored summary stale for good. Fixed in
	 * server/sync/summaries.ts: a program's summary is recomputed when it loads behind the log, and
	 * a start-up sweep covers programs nobody reopens (tests/integration/relay-summary-sweep).
	 */
	it('regression: the summary is current after a crash between commit and summary', async () => {
		const programId = 'stale-summary';
		const env = {
			...BUSY_RELAY_ENV,
			RELAY_SUMMARY_DEBOUNCE_MS: '3000',
			RELAY_SUMMARY_MAX_WAIT_MS: '6000'
		};
		await server.stop('SIGTERM');
		server = await startServer(tmp.dataDir, env, port);
		const mentor = phone({
			programId,
			wsBase: server.wsBase,
			name: 'mentor',
			actor: MENTOR,
			maxBackoffMs: 300
		});
		seedProgram(mentor.doc, programId);
		try {
			mentor.sync.start();
			mentor.sync.setOnline(true);
			await until(() => mentor.sync.state.phase === 'saved', 'saved');
			// Acknowledged, summary not yet due: crash.
			await server.stop('SIGKILL');
			server = await startServer(tmp.dataDir, env, port);
			await until(() => mentor.sync.state.phase === 'saved', 'saved after restart');
			// The start-up sweep recomputes the summary: await it rather than sleeping 4 s.
			await summarySettled(tmp.dataDir, programId);
			const stored = readStored(tmp.dataDir, programId);
			expect(
				stored.summary?.throughSeq ?? 0,
				'a summary written after the restart'
			).toBeGreaterThan(0);
			expect(summaryCurrent(stored), 'the summary of the stored document').toBe(true);
		} finally {
			mentor.destroy();
		}
	});
});
