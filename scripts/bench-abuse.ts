/**
 * `npm run bench:abuse` (issue #14): one hostile client performs each attack of the issue, one at
 * a time, while N honest pairs (stock y-websocket 3 clients, one edit per second each) edit their
 * programs on the built server (build/server/main.js, its own process, a temporary DATA_DIR).
 *
 * Reported per attack: the honest p99 of edit → received by the partner (edits never received
 * count as ∞), its ratio to the quiet p99, the server's RSS before / during (max) / after, the
 * worst /healthz latency, honest closes with a final code (4400–4499), and whether the server
 * survived (a crash or a stall is detected, reported, and the server replaced for the next attack).
 * The relay attacks run in a worker thread, the HTTP attacks in a process of their own from
 * loopback addresses of their own (bench-abuse/attacker.ts); the attacker's CPU is reported apart.
 *
 * BENCH_ABUSE_SERVER_ENTRY=<bundle> measures another server build (e.g. an older commit's).
 * A quiet window (no attack) comes before every attack; an attack's p99 is compared with the
 * median of all quiet windows' p99. --rounds N repeats the attacks N times (a verdict reads the
 * median over the rounds). Before them a control round (round 0) runs the same timeline with no
 * attack: the honest load grows the server by itself (154 → 196 MB in 6 min, 2026-11-24), so an
 * attack round's memory is read against the control's at the same point, not against its own start.
 * Options: --pairs 200, --window 20 (seconds per attack and per quiet window), --rounds 1 (0 with
 * the control round: the honest load's own timeline, nothing sent),
 * --only <attack id>[,<id>…], --settle 10 (seconds after each attack before "after" is read),
 * --control 1 (0: no control round), --round-settle 90 (seconds of honest load after a round's
 * last quiet window before its memory is read), --env K=V[,K=V…] (extra server environment).
 * Exits non-zero when it cannot measure (the server does not start, phones do not sync, no
 * latency in the quiet window).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ATTACKS } from './bench-abuse/attacks';
import { attackTarget, noAttack, runAttack } from './bench-abuse/attacker';
import { HonestPhones } from './bench-abuse/phones';
import { MeasuredServer, curatorCookie, parseEnvOption, seed } from './bench-abuse/server';
import { formatMs, median, percentile, sum } from './bench-abuse/stats';

const { values } = parseArgs({
	options: {
		pairs: { type: 'string', default: '200' },
		window: { type: 'string', default: '20' },
		rounds: { type: 'string', default: '1' },
		settle: { type: 'string', default: '10' },
		only: { type: 'string' },
		control: { type: 'string', default: '1' },
		'round-settle': { type: 'string', default: '90' },
		env: { type: 'string', default: '' },
		'phone-threads': { type: 'string', default: '4' }
	}
});
const PAIRS = Number(values.pairs);
const WINDOW_MS = Number(values.window) * 1000;
const SETTLE_MS = Number(values.settle) * 1000;
const ROUNDS = Number(values.rounds);
const PRE_MS = 5000;
const CONTROL = values.control !== '0';
/** --env K=V[,K=V…]: extra environment for every server of the run (a setting to compare). */
const EXTRA_ENV = parseEnvOption(values.env);
const ROUND_SETTLE_MS = Number(values['round-settle']) * 1000;
/** The control round is round 0; the attack rounds are 1…ROUNDS. */
const FIRST_ROUND = CONTROL ? 0 : 1;
/** Worker threads the honest phones are spread over (bench-abuse/phones.ts). */
const PHONE_THREADS = Number(values['phone-threads']);
const only = values.only ? new Set(values.only.split(',')) : null;
if (
	!(PAIRS > 0) ||
	!(WINDOW_MS > 0) ||
	!(SETTLE_MS >= 0) ||
	!(ROUND_SETTLE_MS >= 30_000) ||
	!Number.isInteger(ROUNDS) ||
	ROUNDS < (CONTROL ? 0 : 1) ||
	!Number.isInteger(PHONE_THREADS) ||
	PHONE_THREADS < 1
)
	throw new Error(
		'bad --pairs/--window/--settle/--rounds/--round-settle (at least 30 s)/--phone-threads'
	);
const attacks = ATTACKS.filter((a) => !only || only.has(a.id));
if (only && attacks.length !== only.size)
	throw new Error(`unknown attack in --only; known: ${ATTACKS.map((a) => a.id).join(', ')}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A figure rounded for the table; '—' when it could not be measured. */
const mb = (x: number) => (Number.isNaN(x) ? '—' : x.toFixed(0));
const log = (...args: unknown[]) => console.error('[bench:abuse]', ...args);
const load = () =>
	os
		.loadavg()
		.map((x) => x.toFixed(2))
		.join(' ');

/** The soft limit on open files of this process (and of the server it spawns). */
function fdLimit(): number {
	const out = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
	return out === 'unlimited' ? 1_048_576 : Number(out);
}

interface Row {
	id: string;
	title: string;
	/** 1…--rounds; 0 is the control round (the same timeline, no attack). */
	round: number;
	p99: number;
	/**
	 * The bystanders' p99: the pairs of the programs no attack targets (phones.ts: the victims
	 * have a thread of their own). The attacks make the victims reconnect (as phones do), an edit
	 * made during a reconnect waits for the new connection's handshake, and a victim's phone may
	 * be busy with what the attack made the relay forward to it.
	 */
	p99Others: number;
	samples: number;
	lost: number;
	rssBefore: number;
	rssDuring: number;
	rssAfter: number;
	healthzWorstMs: number;
	healthzFailed: number;
	serverCpuPct: number;
	/** The server's main thread (event loop) alone. */
	loopCpuPct: number;
	/** Event-loop delay over the window (ms): p99 and max. */
	loopP99: number;
	loopMax: number;
	/**
	 * The driver's own event-loop delay max (ms): the /healthz probe and the honest phones share
	 * that loop, so a /healthz figure far above the server's loop delay is the driver's.
	 */
	driverLoopMax: number;
	/** The driver's process (the honest phones, the probe; the attacker's thread excluded). */
	driverCpuPct: number;
	/** The attacker's thread or process alone; NaN in the quiet window. */
	attackerCpuPct: number;
	finalCloses: number;
	clientErrors: number;
	server: string;
	load: string;
	notes: string[];
}

async function main(): Promise<void> {
	const started = new Date();
	const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
	const dirty =
		execFileSync('git', ['status', '--porcelain', '--', 'server', 'src'], {
			encoding: 'utf8'
		}).trim() !== '';
	const fds = fdLimit();
	log(
		`pairs=${PAIRS} window=${WINDOW_MS / 1000}s settle=${SETTLE_MS / 1000}s attacks=${attacks.map((a) => a.id).join(',')}`
	);
	log(
		`commit ${commit}${dirty ? ' (server/src modified)' : ''}${process.env.BENCH_ABUSE_SERVER_ENTRY ? `, server ${process.env.BENCH_ABUSE_SERVER_ENTRY}` : ''}, node ${process.version}, ${os.cpus().length} cores, fd limit ${fds}, load ${load()}`
	);

	const s = await seed(PAIRS);
	let server = await MeasuredServer.start(s.dir, EXTRA_ENV);
	let cookie = await curatorCookie(server.url);
	/** The program of the k-th attack's victims in a round (the control takes round 1's). */
	const victimOf = (k: number, round: number) =>
		s.pairProgramIds[(k + 1 + Math.max(0, round - 1) * attacks.length) % PAIRS] as string;
	const victimIds = new Set(
		Array.from({ length: ROUNDS }, (_, r) => attacks.map((_, k) => victimOf(k, r + 1))).flat()
	);
	const honest = HonestPhones.start(server.wsBase, s.pairProgramIds, PHONE_THREADS, victimIds);
	const rows: Row[] = [];
	const rounds: Array<{ round: number; startRss: number; endRss: number; threads: number }> = [];
	try {
		await honest.waitSynced();
		log(`${PAIRS * 2} honest clients synced; editing`);
		await honest.startEditing();
		await sleep(5000); // warm-up

		const measure = async (from: number, to: number, asOf: number) => {
			const lat = await honest.latencies(from, to, asOf);
			// When in the window the slow edits were sent: the p99 of each second (log only).
			const bySecond: string[] = [];
			for (let t = from; t < to; t += 1000) {
				const s = await honest.latencies(t, Math.min(to, t + 1000), asOf);
				bySecond.push(s.length ? formatMs(percentile(s, 99)) : '—');
			}
			return {
				bySecond: bySecond.join(' '),
				p99: percentile(lat, 99),
				p99Others: percentile(await honest.latencies(from, to, asOf, { bystanders: true }), 99),
				samples: lat.length,
				lost: lat.filter((x) => x === Infinity).length
			};
		};

		/**
		 * A window with no attack. One comes before every attack: the quiet p99 of 4–5 ms moves by
		 * itself from window to window (the same server cost gave 7.0 and 12.9 ms in two runs), so
		 * an attack is compared with the median of all quiet windows, and its neighbour is shown.
		 */
		const quietWindow = async (round: number): Promise<Row> => {
			const q0 = performance.now();
			const qCpu0 = server.cpuMs();
			const qLoop0 = server.mainThreadCpuMs();
			const qDriver0 = process.cpuUsage();
			const qRss0 = server.rssNow();
			await server.loopDelay(); // resets the server's histogram
			await honest.loopDelayMax(); // and the phones' threads'
			await sleep(WINDOW_MS);
			const qDriverLagMax = await honest.loopDelayMax();
			const q1 = performance.now();
			const qCpu = server.cpuMs() - qCpu0;
			const qLoopCpu = server.mainThreadCpuMs() - qLoop0;
			const qLag = await server.loopDelay();
			const qDriver = process.cpuUsage(qDriver0);
			await sleep(5000); // the last edits of the window arrive
			const { bySecond: qBySecond, ...quiet } = await measure(q0, q1, performance.now());
			const qh = server.healthzWorst(q0, q1);
			if (!server.alive) throw new Error(`the server died in a quiet window:\n${server.tail()}`);
			if (!Number.isFinite(quiet.p99) || quiet.samples < PAIRS)
				throw new Error(
					`cannot measure: quiet p99 ${quiet.p99} from ${quiet.samples} edits (${quiet.lost} lost)`
				);
			log(
				`quiet: p99 ${formatMs(quiet.p99)} ms over ${quiet.samples} edits (p99 by second: ${qBySecond}), healthz worst ${qh.ms.toFixed(0)} ms, load ${load()}${qLag.relief ? `; ${qLag.relief}` : ''}`
			);
			return {
				id: 'quiet',
				title: 'no attack',
				round,
				...quiet,
				rssBefore: qRss0,
				rssDuring: server.rssMax(q0, q1),
				rssAfter: server.rssNow(),
				healthzWorstMs: qh.ms,
				healthzFailed: qh.failed,
				serverCpuPct: (qCpu / (q1 - q0)) * 100,
				loopCpuPct: (qLoopCpu / (q1 - q0)) * 100,
				loopP99: qLag.p99,
				loopMax: qLag.max,
				driverLoopMax: qDriverLagMax,
				driverCpuPct: (qDriver.user + qDriver.system) / 10 / (q1 - q0),
				attackerCpuPct: NaN,
				finalCloses: await honest.finalClosesIn(q0, q1),
				clientErrors: (await honest.clientErrorsIn(q0, q1)).length,
				server: 'up',
				load: load(),
				notes: qLag.relief ? [qLag.relief] : []
			};
		};

		/**
		 * The end of a round: the server's memory after --round-settle seconds more of honest load,
		 * the same for the control round and the attack rounds, so that their ends compare. The
		 * figure is the median of the last 30 s of 5 s samples (the relief's collections make the RSS
		 * saw-toothed; server/memory/relief.ts).
		 */
		const settleRound = async (round: number, startRss: number) => {
			const t0 = performance.now();
			const samples: number[] = [];
			while (performance.now() - t0 < ROUND_SETTLE_MS) {
				await sleep(5000);
				samples.push(server.rssNow());
			}
			const endRss = median(samples.slice(-6));
			rounds.push({ round, startRss, endRss, threads: server.threadsNow() });
			log(
				`round ${round}${round === 0 ? ' (control)' : ''}: RSS ${startRss.toFixed(0)} MB at its start, ${endRss.toFixed(0)} MB at its end`
			);
		};

		const first = await quietWindow(FIRST_ROUND);
		rows.push(first);
		let roundStartRss = first.rssBefore;
		const quietCpuPct = first.serverCpuPct;
		for (let round = FIRST_ROUND; round <= ROUNDS; round++)
			for (const [k, attack] of attacks.entries()) {
				if (round > FIRST_ROUND && k === 0) {
					// Each round from the seed: a fresh server and fresh phones. 400 phones editing once a
					// second give every program ~1,300 edits a round, and a quiet p99 that climbed from 5
					// to 25–36 ms by the third round (04:34 run): that growth is the relay's cost with
					// bigger programs (issue #18), not any attack's.
					rows.push(await quietWindow(round - 1));
					await settleRound(round - 1, roundStartRss);
					await server.stop();
					server = await MeasuredServer.start(s.dir, EXTRA_ENV);
					cookie = await curatorCookie(server.url);
					await honest.resetAll(server.wsBase);
					await honest.waitSynced();
					await sleep(5000);
					roundStartRss = server.rssNow();
				}
				if (k > 0 || round > FIRST_ROUND) rows.push(await quietWindow(round));
				// The control round takes round 1's victims (their phones are renewed after the slot too).
				const victimProgramId = victimOf(k, round);
				const victims = await honest.victims(victimProgramId);
				await sleep(PRE_MS);
				// Then until the server is as quiet as in the baseline (the previous attack's backlog,
				// e.g. password hashes still queued, must not be billed to this one); at most 30 s.
				for (let i = 0; i < 30; i++) {
					const c0 = server.cpuMs();
					await sleep(1000);
					if ((server.cpuMs() - c0) / 10 <= quietCpuPct * 1.5 + 10) break;
				}
				const notes: string[] = [];
				// The attacker runs in a thread of its own, an HTTP attacker in a process of its own
				// (bench-abuse/attacker.ts): its payloads and its sockets' work do not delay the honest
				// phones' event loop. Its payloads are built before the window.
				const attacker =
					round === 0
						? noAttack()
						: runAttack(
								attack.id,
								// A thread shares this process's descriptors (~2 per honest pair and a few hundred
								// for the driver); a process of its own keeps only a few hundred for itself.
								attackTarget(
									server,
									s,
									cookie,
									victimProgramId,
									Math.max(0, fds - (attack.ownProcess ? 0 : PAIRS * 2) - 600)
								),
								victims,
								(text) => notes.push(text)
							);
				await attacker.ready;
				const rssBefore = server.rssNow();
				await server.loopDelay(); // resets the server's histogram
				await honest.loopDelayMax(); // and the phones' threads'
				const t0 = performance.now();
				const cpu0 = server.cpuMs();
				const loop0 = server.mainThreadCpuMs();
				const driver0 = process.cpuUsage();
				log(
					`${round === 0 ? 'control, in place of ' : ''}${attack.id}: ${attack.title} (victim ${victimProgramId}), load ${load()}`
				);
				const ran = attacker.start(t0 + WINDOW_MS).then(
					() => 'done',
					(error: unknown) =>
						`the attack failed: ${error instanceof Error ? error.message : String(error)}`
				);
				const outcome = await Promise.race([
					ran,
					sleep(WINDOW_MS + 120_000).then(() => 'the attack did not stop in time')
				]);
				await attacker.stop();
				if (outcome !== 'done') notes.push(outcome);
				const t1 = performance.now();
				const cpu = server.cpuMs() - cpu0;
				const loopCpu = server.mainThreadCpuMs() - loop0;
				const lag = server.alive ? await server.loopDelay() : { p99: NaN, max: NaN, relief: null };
				if (lag.relief) notes.push(lag.relief);
				const driverLagMax = await honest.loopDelayMax();
				const driver = process.cpuUsage(driver0);
				const driverMs = (driver.user + driver.system) / 1000;
				// A thread's CPU is in the driver's process figure: taken out of it, reported apart.
				const attackerMs = attacker.cpuMs;
				const rssDuringWindow = server.rssMax(t0, t1);
				// Settle: does the server answer again? A crash shows as an exit, a stall as no answer.
				const settleEnd = t1 + SETTLE_MS;
				let answered = false;
				while (performance.now() < settleEnd && server.alive) {
					if (await server.healthy(2000)) answered = true;
					else answered = false;
					await sleep(500);
				}
				if (server.alive && !answered) answered = await server.healthy(2000);
				const asOf = performance.now();
				const { bySecond, ...m } = await measure(t0, t1, asOf);
				const h = server.healthzWorst(t0, asOf);
				const errors = await honest.clientErrorsIn(t0, asOf);
				if (errors.length)
					notes.push(
						`honest clients threw ${errors.length}×, e.g. ${errors[0]?.message.slice(0, 160)}`
					);
				let status = 'up';
				let rssAfter = server.rssNow();
				// The maximum of what was sampled (a crashed server has samples only up to its exit).
				const sampled = [rssDuringWindow, server.rssMax(t1, asOf)].filter((x) => !Number.isNaN(x));
				const rssDuring = sampled.length ? Math.max(...sampled) : NaN;
				if (!server.alive) {
					status = `crashed (exit ${server.exit})`;
					notes.push(`server log: ${server.tail(3).replace(/\s+/g, ' ').slice(0, 300)}`);
					rssAfter = NaN;
				} else if (!answered) {
					status = 'stalled';
				}
				const row: Row = {
					id: attack.id,
					title: attack.title,
					round,
					...m,
					rssBefore,
					rssDuring,
					rssAfter,
					healthzWorstMs: h.ms,
					healthzFailed: h.failed,
					serverCpuPct: (cpu / (t1 - t0)) * 100,
					loopCpuPct: (loopCpu / (t1 - t0)) * 100,
					loopP99: lag.p99,
					loopMax: lag.max,
					driverLoopMax: driverLagMax,
					driverCpuPct:
						((attacker.where === 'thread' && Number.isFinite(attackerMs)
							? driverMs - attackerMs
							: driverMs) /
							(t1 - t0)) *
						100,
					attackerCpuPct: (attackerMs / (t1 - t0)) * 100,
					finalCloses: await honest.finalClosesIn(t0, asOf),
					clientErrors: errors.length,
					server: status,
					load: load(),
					notes
				};
				if (status !== 'up') {
					const how = await server.stop();
					if (status === 'stalled')
						row.server =
							how === 'killed' ? 'stalled (deaf to SIGTERM, killed)' : 'stalled (stopped)';
					log(`${attack.id}: server ${row.server}; starting a fresh one`);
					server = await MeasuredServer.start(s.dir, EXTRA_ENV);
					cookie = await curatorCookie(server.url);
					await honest.resetAll(server.wsBase);
				} else {
					const n = await honest.repair(victimProgramId);
					if (n > 2)
						notes.push(`${n - 2} honest phones outside the victim pair had stopped for good`);
				}
				rows.push(row);
				log(
					`${attack.id}: p99 ${formatMs(m.p99)} ms (${m.samples} edits, ${m.lost} lost; p99 by second: ${bySecond}), RSS ${rssBefore.toFixed(0)}/${rssDuring.toFixed(0)}/${rssAfter.toFixed(0)} MB, healthz worst ${h.ms.toFixed(0)} ms, attacker CPU ${mb(row.attackerCpuPct)} % (${attacker.where}), loop CPU ${row.loopCpuPct.toFixed(0)} %, loop delay p99/max ${lag.p99.toFixed(0)}/${lag.max.toFixed(0)} ms, final closes ${row.finalCloses}, ${row.server}; ${notes.join('; ')}`
				);
				await honest.waitSynced();
			}
		// The last attack's memory is read after a quiet window too (the next one's, for the others).
		rows.push(await quietWindow(ROUNDS));
		await settleRound(ROUNDS, roundStartRss);
	} finally {
		await honest.destroy();
		await sleep(200);
		await server.stop();
		rmSync(s.dir, { recursive: true, force: true });
	}

	const quietRows = rows.filter((r) => r.id === 'quiet');
	const attackRows = rows.filter((r) => r.id !== 'quiet' && r.round > 0);
	/** The control round's windows in the attacks' places (same timeline, nothing sent). */
	const controlRows = rows.filter((r) => r.id !== 'quiet' && r.round === 0);
	/** The quiet figure: the median of every quiet window's p99. */
	const quietP99 = median(quietRows.map((r) => r.p99));
	const ratio = (p99: number) =>
		p99 === Infinity ? '∞' : Number.isNaN(p99) ? '—' : (p99 / quietP99).toFixed(2);
	/** The quiet window just before an attack's. */
	const neighbour = (r: Row) => rows[rows.indexOf(r) - 1] as Row;
	/** An attack's p99 over the p99 of the quiet window just before it (same server, same size). */
	const neighbourRatio = (r: Row) => r.p99 / neighbour(r).p99;
	/**
	 * Memory an attack left behind: the RSS at the end of the quiet window after it (~35 s after
	 * the attack: V8 gives its heap back within that, not within the 10 s settle) minus the RSS
	 * before the quiet window before it. NaN when the attack killed the server.
	 */
	const rssLeft = (r: Row) => {
		const next = rows[rows.indexOf(r) + 1];
		return r.server === 'up' && next ? next.rssAfter - neighbour(r).rssBefore : NaN;
	};
	console.log(
		`\nbench:abuse ${started.toISOString().slice(0, 16)}Z, commit ${commit}${dirty ? '+' : ''}, node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, fd limit ${fds}; ${PAIRS} honest pairs, window ${WINDOW_MS / 1000} s, ${ROUNDS} round(s)${values.env ? `, server env ${values.env}` : ''}; quiet p99 ${formatMs(quietP99)} ms (median of ${quietRows.length} quiet windows: ${quietRows.map((r) => formatMs(r.p99)).join(', ')}); load at the end ${load()}\n`
	);
	console.log(
		'| round | attack | honest p99 ms (quiet before) | × quiet | bystanders’ p99 ms | edits (lost) | RSS MB before / during / after | /healthz worst ms (driver loop max) | server (loop) / driver / attacker CPU % | loop delay p99 / max ms | final closes | client errors | server | load 1m |'
	);
	console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|');
	for (const r of rows)
		console.log(
			`| ${r.round} | ${r.id} | ${formatMs(r.p99)}${r.id === 'quiet' ? '' : ` (${formatMs(neighbour(r).p99)})`} | ${ratio(r.p99)} | ${formatMs(r.p99Others)} | ${r.samples} (${r.lost}) | ${mb(r.rssBefore)} / ${mb(r.rssDuring)} / ${mb(r.rssAfter)} | ${r.healthzWorstMs.toFixed(0)}${r.healthzFailed ? ` (${r.healthzFailed} failed)` : ''} (${mb(r.driverLoopMax)}) | ${mb(r.serverCpuPct)} (${mb(r.loopCpuPct)}) / ${mb(r.driverCpuPct)} / ${mb(r.attackerCpuPct)} | ${mb(r.loopP99)} / ${mb(r.loopMax)} | ${r.finalCloses} | ${r.clientErrors} | ${r.server} | ${r.load.split(' ')[0]} |`
		);
	// Per attack over the rounds: the verdict's figures. The control column is the same slot with
	// nothing sent: how far a window's p99 and memory move by themselves; "× control slot" sets
	// the attack against the same moment of the control round (the same server age, program
	// sizes and background work — a compaction or a collection due then is due in both).
	console.log(
		`\n| attack | honest p99 ms per round (quiet before) | median × quiet before | median × quiet (all windows) | median × control slot | bystanders: median × their quiet before | control slot: p99 ms (× quiet before) | RSS left MB (worst) / control slot | /healthz worst ms | lost | final closes | client errors | server |`
	);
	console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
	for (const attack of attacks) {
		const rs = attackRows.filter((r) => r.id === attack.id);
		const control = controlRows.find((r) => r.id === attack.id);
		const after = Math.max(...rs.map(rssLeft));
		console.log(
			`| ${attack.id} | ${rs.map((r) => `${formatMs(r.p99)} (${formatMs(neighbour(r).p99)})`).join(', ')} | ${median(rs.map(neighbourRatio)).toFixed(2)} | ${ratio(median(rs.map((r) => r.p99)))} | ${control ? median(rs.map((r) => r.p99 / control.p99)).toFixed(2) : '—'} | ${median(rs.map((r) => r.p99Others / neighbour(r).p99Others)).toFixed(2)} | ${control ? `${formatMs(control.p99)} (${neighbourRatio(control).toFixed(2)})` : '—'} | ${mb(after)} / ${control ? mb(rssLeft(control)) : '—'} | ${Math.max(...rs.map((r) => r.healthzWorstMs)).toFixed(0)} | ${sum(rs.map((r) => r.lost))} | ${sum(rs.map((r) => r.finalCloses))} | ${sum(rs.map((r) => r.clientErrors))} | ${[...new Set(rs.map((r) => r.server))].join(', ')} |`
		);
	}
	console.log('');
	const controlEnd = rounds.find((r) => r.round === 0)?.endRss;
	for (const r of rounds)
		console.log(
			`Round ${r.round}${r.round === 0 ? ' (control, no attack)' : ''}: server RSS ${mb(r.startRss)} MB at its start, ${mb(r.endRss)} MB at its end (${ROUND_SETTLE_MS / 1000} s after its last quiet window; median of the last 30 s; ${r.threads} threads)${r.round > 0 && controlEnd !== undefined ? `: ${r.endRss - controlEnd >= 0 ? '+' : ''}${mb(r.endRss - controlEnd)} MB against the control's end` : ''}.`
		);
	console.log('');
	for (const r of attackRows)
		console.log(`- ${r.id} (round ${r.round}): ${r.title}. ${r.notes.join('; ')}`);
	console.log(
		JSON.stringify({
			commit,
			roundMemory: rounds,
			pairs: PAIRS,
			windowS: WINDOW_MS / 1000,
			rounds: ROUNDS,
			fdLimit: fds,
			quietP99,
			rows
		})
	);
	const unmeasured = rows.filter((r) => r.samples === 0);
	if (unmeasured.length)
		throw new Error(`cannot measure: no honest edits in ${unmeasured.map((r) => r.id).join(', ')}`);
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		console.error('[bench:abuse] FAILED:', error);
		process.exit(1);
	}
);
