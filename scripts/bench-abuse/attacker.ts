/**
 * Runs one attack of `npm run bench:abuse` away from the 400 honest phones, in one of two ways:
 *
 * - relay attacks: in a worker thread of the driver, not on the phones' event loop. In the first
 *   rounds the attacker shared that loop: building its payloads (10,000 client ids, 2 MB awareness
 *   states, deep JSON) and applying the relay's sync step 2 to each of its hundred joins a second
 *   delayed the honest edits by itself, and the benchmark billed that to the server (the server's
 *   CPU did not move under reverse-order). The phones stay in their own threads (phones.ts); the
 *   attack asks the driver to make a victim reconnect.
 * - HTTP attacks (marked `ownProcess`: parallel-logins, slow-connections): in a process of their
 *   own, from loopback addresses of their own (attacks.ts, `attackerAddress`), with file
 *   descriptors of their own; their sockets' work is then neither the phones' nor the server's.
 *
 * Either way the attacker reports its own CPU over the window (the worker thread's from
 * /proc/thread-self/stat, the process's from process.cpuUsage()), and the driver reports it as a
 * figure of its own.
 *
 * Driver: `runAttack(...)`. Worker or process: this same file (through tsx's loader).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ATTACKS, preparePayloads, type AttackContext, type Victim } from './attacks';
import { token, type Seed } from './server';
import { niceThisThread, tsxWorker } from './tsx-worker';

/** What the driver hands the attacker (plain data: functions stay on their side). */
interface AttackData {
	id: string;
	ctx: Omit<AttackContext, 'until' | 'victims' | 'token' | 'note'>;
	victims: Array<{ userId: string; clientId: number }>;
}

type FromAttacker =
	| { ready: true }
	| { note: string }
	| { reconnect: number }
	| { cpuMs: number }
	| { done: true }
	| { failed: string };

type ToAttacker = { untilEpoch: number };

/** Set in the attacker process's environment (the driver leaves it unset). */
const PROCESS_DATA = 'BENCH_ABUSE_ATTACK';

/** A process that runs this file through tsx, talking over the IPC channel. */
function attackProcess(data: AttackData): ChildProcess {
	return fork(fileURLToPath(import.meta.url), [], {
		execArgv: ['--import', 'tsx'],
		env: { ...process.env, [PROCESS_DATA]: JSON.stringify(data) },
		stdio: ['ignore', 'inherit', 'inherit', 'ipc']
	});
}

export interface RunningAttack {
	/** Resolves once the attacker has built its payloads (nothing sent yet). */
	ready: Promise<void>;
	/** Starts the attack until `until` (performance.now() of the driver); resolves when it ends. */
	start(until: number): Promise<void>;
	stop(): Promise<void>;
	/** The attacker's CPU time over the attack (ms); NaN until it has reported. */
	readonly cpuMs: number;
	/** Where it ran: its CPU is part of the driver's process ('thread') or not ('process'). */
	readonly where: 'thread' | 'process';
}

/** What an attacker is told of the server and the seed (bench:abuse and bench:abuse:memory alike). */
export function attackTarget(
	server: { url: string; wsBase: string },
	s: Pick<Seed, 'organizationId' | 'bigProgramId' | 'titleProgramId' | 'attackerId'>,
	curatorCookie: string,
	victimProgramId: string,
	fdBudget: number
): AttackData['ctx'] {
	return {
		url: server.url,
		wsBase: server.wsBase,
		victimProgramId,
		organizationId: s.organizationId,
		bigProgramId: s.bigProgramId,
		titleProgramId: s.titleProgramId,
		attackerId: s.attackerId,
		curatorCookie,
		fdBudget
	};
}

/** Prepares the attack `id` in a worker thread or, if it is `ownProcess`, a process; `start` runs it. */
export function runAttack(
	id: string,
	ctx: AttackData['ctx'],
	victims: [Victim, Victim],
	note: (text: string) => void
): RunningAttack {
	const data: AttackData = {
		id,
		ctx,
		victims: victims.map((v) => ({ userId: v.userId, clientId: v.clientId }))
	};
	const where = ATTACKS.find((a) => a.id === id)?.ownProcess ? 'process' : 'thread';
	let readyResolve = () => undefined as void;
	let readyReject = (_: Error) => undefined as void;
	const ready = new Promise<void>((resolve, reject) => {
		readyResolve = resolve;
		readyReject = reject;
	});
	let doneResolve = () => undefined as void;
	let doneReject = (_: Error) => undefined as void;
	const done = new Promise<void>((resolve, reject) => {
		doneResolve = resolve;
		doneReject = reject;
	});
	done.catch(() => undefined);
	let cpuMs = NaN;
	const onMessage = (m: FromAttacker) => {
		if ('ready' in m) readyResolve();
		else if ('note' in m) note(m.note);
		else if ('reconnect' in m) victims[m.reconnect]?.reconnect();
		else if ('cpuMs' in m) cpuMs = m.cpuMs;
		else if ('done' in m) doneResolve();
		else if ('failed' in m) doneReject(new Error(m.failed));
	};
	const onError = (error: Error) => {
		readyReject(error);
		doneReject(error);
	};
	const onExit = (code: number | null) => {
		const error = new Error(`the attacker's ${where} exited (${code})`);
		readyReject(error);
		doneReject(error);
	};
	let send: (m: ToAttacker) => void;
	let stop: () => Promise<void>;
	if (where === 'thread') {
		const worker = tsxWorker(import.meta.url, data);
		worker.on('message', onMessage);
		worker.on('error', onError);
		worker.on('exit', onExit);
		send = (m) => worker.postMessage(m);
		stop = async () => {
			await worker.terminate();
		};
	} else {
		const child = attackProcess(data);
		child.on('message', (m) => onMessage(m as FromAttacker));
		child.on('error', onError);
		child.on('exit', onExit);
		const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
		send = (m) => child.send(m);
		stop = async () => {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
			await exited;
		};
	}
	return {
		ready,
		start(until) {
			// The attacker's performance.now() has its own origin: hand over a wall-clock deadline.
			send({ untilEpoch: performance.timeOrigin + until });
			return done;
		},
		stop,
		get cpuMs() {
			return cpuMs;
		},
		where
	};
}

/**
 * The control's stand-in for an attacker: the same timeline with nothing sent, so a control round
 * (bench-abuse.ts) or a control run (bench-abuse-memory.ts) differs from an attack's only by the attack.
 */
export function noAttack(): RunningAttack {
	return {
		ready: Promise.resolve(),
		start: (until) =>
			new Promise((resolve) => setTimeout(resolve, Math.max(0, until - performance.now()))),
		stop: async () => undefined,
		cpuMs: 0,
		where: 'thread'
	};
}

/** CPU time (ms) of this worker thread alone, or of this whole process in its main thread. */
function ownCpuMs(): number {
	if (isMainThread) {
		const u = process.cpuUsage();
		return (u.user + u.system) / 1000;
	}
	try {
		const stat = readFileSync('/proc/thread-self/stat', 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // CLK_TCK = 100
	} catch {
		return NaN;
	}
}

/** The attacker's side, over a worker's port or a process's IPC channel. */
async function attackerSide(
	data: AttackData,
	post: (m: FromAttacker) => void,
	onStart: (handler: (m: ToAttacker) => void) => void
): Promise<void> {
	const attack = ATTACKS.find((a) => a.id === data.id);
	if (!attack) {
		post({ failed: `unknown attack ${data.id}` });
		return;
	}
	// The attacker stands for clients on other machines: on the bench's shared cores it takes only
	// the CPU the server and the honest phones leave (its own CPU is still reported per attack).
	niceThisThread(19);
	await preparePayloads();
	const untilEpoch = await new Promise<number>((resolve) => {
		onStart((m) => resolve(m.untilEpoch));
		post({ ready: true });
	});
	const victims = data.victims.map((v, i): Victim => ({
		...v,
		reconnect: () => post({ reconnect: i })
	})) as [Victim, Victim];
	const cpu0 = ownCpuMs();
	try {
		await attack.run({
			...data.ctx,
			until: untilEpoch - performance.timeOrigin,
			victims,
			token,
			note: (text) => post({ note: text })
		});
		post({ cpuMs: ownCpuMs() - cpu0 });
		post({ done: true });
	} catch (error) {
		post({ cpuMs: ownCpuMs() - cpu0 });
		post({ failed: error instanceof Error ? error.message : String(error) });
	}
}

if (!isMainThread && parentPort) {
	const port = parentPort;
	void attackerSide(
		workerData as AttackData,
		(m) => port.postMessage(m),
		(handler) => port.once('message', handler)
	);
} else if (process.env[PROCESS_DATA] && process.send) {
	const data = JSON.parse(process.env[PROCESS_DATA]) as AttackData;
	// The driver gone (killed, crashed): nothing left to attack for.
	process.on('disconnect', () => process.exit(0));
	void attackerSide(
		data,
		(m) => process.send?.(m),
		(handler) => process.once('message', (m) => handler(m as ToAttacker))
	);
}
