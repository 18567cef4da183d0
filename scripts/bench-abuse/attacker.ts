/**
 * Runs one attack of `npm run bench:abuse` in a worker thread of its own, not on the event loop
 * of the 400 honest phones. In the first rounds the attacker shared that loop: building its
 * payloads (10,000 client ids, 2 MB awareness states, deep JSON) and applying the relay's sync
 * step 2 to each of its hundred joins a second delayed the honest edits by itself, and the
 * benchmark billed that to the server (the server's CPU did not move under reverse-order). The
 * phones stay in the main thread; the attack asks it to make a victim reconnect.
 *
 * Main thread: `runAttack(...)`. Worker: this same file (through tsx's loader).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ATTACKS, preparePayloads, type AttackContext, type Victim } from './attacks';
import { token } from './server';

/** What the main thread hands the worker (plain data: functions stay on their side). */
interface AttackData {
	id: string;
	ctx: Omit<AttackContext, 'until' | 'victims' | 'token' | 'note'>;
	victims: Array<{ userId: string; clientId: number }>;
}

type FromWorker =
	{ ready: true } | { note: string } | { reconnect: number } | { done: true } | { failed: string };

/** A worker that runs this file through tsx (the scripts run from source). */
function attackWorker(data: AttackData): Worker {
	const here = import.meta.url;
	const cjs = createRequire(here).resolve('tsx/esm/api');
	const esm = cjs.replace(/\.cjs$/, '.mjs');
	const tsx = existsSync(esm) ? pathToFileURL(esm).href : 'tsx/esm/api';
	const source = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(here)}); });`;
	return new Worker(source, { eval: true, workerData: data });
}

export interface RunningAttack {
	/** Resolves once the worker has built its payloads (nothing sent yet). */
	ready: Promise<void>;
	/** Starts the attack until `until` (performance.now() of the main thread); resolves when it ends. */
	start(until: number): Promise<void>;
	stop(): Promise<void>;
}

/** Prepares the attack `id` in a worker thread; `start` runs it. */
export function runAttack(
	id: string,
	ctx: AttackData['ctx'],
	victims: [Victim, Victim],
	note: (text: string) => void
): RunningAttack {
	const worker = attackWorker({
		id,
		ctx,
		victims: victims.map((v) => ({ userId: v.userId, clientId: v.clientId }))
	});
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
	worker.on('message', (m: FromWorker) => {
		if ('ready' in m) readyResolve();
		else if ('note' in m) note(m.note);
		else if ('reconnect' in m) victims[m.reconnect]?.reconnect();
		else if ('done' in m) doneResolve();
		else if ('failed' in m) doneReject(new Error(m.failed));
	});
	worker.on('error', (error) => {
		readyReject(error);
		doneReject(error);
	});
	worker.on('exit', (code) => {
		const error = new Error(`the attacker's thread exited (${code})`);
		readyReject(error);
		doneReject(error);
	});
	return {
		ready,
		start(until) {
			// The worker's performance.now() has its own origin: hand over a wall-clock deadline.
			worker.postMessage({ untilEpoch: performance.timeOrigin + until });
			return done;
		},
		async stop() {
			await worker.terminate();
		}
	};
}

if (!isMainThread && parentPort) {
	const port = parentPort;
	const data = workerData as AttackData;
	const post = (m: FromWorker) => port.postMessage(m);
	const attack = ATTACKS.find((a) => a.id === data.id);
	void (async () => {
		if (!attack) {
			post({ failed: `unknown attack ${data.id}` });
			return;
		}
		await preparePayloads();
		const untilEpoch = await new Promise<number>((resolve) => {
			port.once('message', (m: { untilEpoch: number }) => resolve(m.untilEpoch));
			post({ ready: true });
		});
		const victims = data.victims.map((v, i): Victim => ({
			...v,
			reconnect: () => post({ reconnect: i })
		})) as [Victim, Victim];
		try {
			await attack.run({
				...data.ctx,
				until: untilEpoch - performance.timeOrigin,
				victims,
				token,
				note: (text) => post({ note: text })
			});
			post({ done: true });
		} catch (error) {
			post({ failed: error instanceof Error ? error.message : String(error) });
		}
	})();
}
