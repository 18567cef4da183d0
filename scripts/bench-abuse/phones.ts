/**
 * The 400 honest phones of `npm run bench:abuse`, spread over worker threads of the driver.
 *
 * In one thread they measured the driver as much as the server: late in a round their 400
 * growing documents made that thread's heap big enough for its full collections to stall it
 * 128–209 ms (2026-11-24 control round), every edit received meanwhile was timed late, and a
 * control slot with nothing sent came out at 0.61–2.35× of the window before it. A thread per
 * shard has a heap of its own, a quarter of the size: its pauses are shorter and hold up only
 * its own phones. The phones and their bookkeeping stay `HonestPairs` (honest.ts), unchanged;
 * this file only carries the driver's questions to the shards and adds up their answers.
 *
 * The attacks' victims live in a thread of their own (`isolated`): a victim's phone may spend
 * its thread's time on what the attack made the relay forward (big-program's 1.8 MiB updates are
 * decoded by both partners' phones), and in a shared thread that would stall the bystanders too,
 * which no real phone does to another. That thread runs at nice 19, as the attacker does, so its
 * work takes only the CPU the server and the bystanders leave, as on a phone of its own. The
 * bystanders' figure then reads the phones of the programs no attack targets, in threads no
 * victim shares.
 *
 * Times cross the boundary in the driver's `performance.now()`: a worker's clock has its own
 * origin, so each side converts with the two origins (`performance.timeOrigin`).
 *
 * Driver: `HonestPhones.start(...)`. Worker: this same file (through tsx's loader).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Victim } from './attacks';
import { HonestPairs } from './honest';
import { niceThisThread, tsxWorker } from './tsx-worker';

interface ShardData {
	wsBase: string;
	programIds: string[];
	/** The driver's `performance.timeOrigin`. */
	driverOrigin: number;
	/** The attacks' victims' thread. */
	isolated: boolean;
}

/** What the driver asks a shard; `from`/`to`/`asOf` are in the driver's clock. */
type Request =
	| { op: 'waitSynced'; timeoutMs: number }
	| { op: 'startEditing' }
	| { op: 'latencies'; from: number; to: number; asOf: number }
	| { op: 'finalClosesIn'; from: number; to: number }
	| { op: 'clientErrorsIn'; from: number; to: number }
	| { op: 'resetAll'; wsBase: string }
	| { op: 'repair'; victim: string | null }
	| { op: 'victims'; programId: string }
	| { op: 'reconnect'; programId: string; index: 0 | 1 }
	| { op: 'lag' };

type Reply = { id: number; ok: unknown } | { id: number; error: string };

/** An exception an honest stock client threw while handling what the relay forwarded. */
export interface ClientError {
	/** In the driver's clock. */
	t: number;
	message: string;
}

class Shard {
	private next = 0;
	private readonly pending = new Map<
		number,
		{ resolve(v: unknown): void; reject(e: Error): void }
	>();
	failure: Error | null = null;

	constructor(
		readonly worker: Worker,
		readonly programIds: ReadonlySet<string>,
		/** The attacks' victims' thread. */
		readonly isolated: boolean
	) {
		worker.on('message', (m: Reply) => {
			const p = this.pending.get(m.id);
			if (!p) return;
			this.pending.delete(m.id);
			if ('error' in m) p.reject(new Error(m.error));
			else p.resolve(m.ok);
		});
		const fail = (error: Error) => {
			this.failure = error;
			for (const p of this.pending.values()) p.reject(error);
			this.pending.clear();
		};
		worker.on('error', fail);
		worker.on('exit', (code) => fail(new Error(`a phone shard exited (${code})`)));
	}

	ask<T>(request: Request): Promise<T> {
		if (this.failure) return Promise.reject(this.failure);
		const id = this.next++;
		return new Promise<T>((resolve, reject) => {
			this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
			this.worker.postMessage({ id, ...request });
		});
	}
}

/** The honest pairs in `threads` worker threads; the same questions as `HonestPairs`, answered async. */
export class HonestPhones {
	private constructor(private readonly shards: Shard[]) {}

	/** `threads` threads for the bystanders, and one more for the `victims` among `programIds`. */
	static start(
		wsBase: string,
		programIds: string[],
		threads: number,
		victims: ReadonlySet<string> = new Set()
	): HonestPhones {
		const shard = (mine: string[], isolated: boolean) => {
			const data: ShardData = {
				wsBase,
				programIds: mine,
				driverOrigin: performance.timeOrigin,
				isolated
			};
			return new Shard(tsxWorker(import.meta.url, data), new Set(mine), isolated);
		};
		const bystanders = programIds.filter((id) => !victims.has(id));
		const n = Math.min(Math.max(1, threads), bystanders.length);
		const shards: Shard[] = [];
		for (let i = 0; i < n; i++)
			shards.push(
				shard(
					bystanders.filter((_, k) => k % n === i),
					false
				)
			);
		const isolated = programIds.filter((id) => victims.has(id));
		if (isolated.length) shards.push(shard(isolated, true));
		return new HonestPhones(shards);
	}

	private all<T>(request: Request): Promise<T[]> {
		return Promise.all(this.shards.map((s) => s.ask<T>(request)));
	}

	private owner(programId: string): Shard {
		const shard = this.shards.find((s) => s.programIds.has(programId));
		if (!shard) throw new Error(`no honest pair on ${programId}`);
		return shard;
	}

	async waitSynced(timeoutMs = 90_000): Promise<void> {
		await this.all({ op: 'waitSynced', timeoutMs });
	}

	async startEditing(): Promise<void> {
		await this.all({ op: 'startEditing' });
	}

	/**
	 * Latencies of the edits sent in [from, to) (driver clock); `bystanders`: only the phones of
	 * the programs no attack targets.
	 */
	async latencies(
		from: number,
		to: number,
		asOf: number,
		{ bystanders = false } = {}
	): Promise<number[]> {
		const asked = this.shards.filter((s) => !(bystanders && s.isolated));
		const parts = await Promise.all(
			asked.map((s) => s.ask<number[]>({ op: 'latencies', from, to, asOf }))
		);
		// Structured clone keeps Infinity (an edit never received).
		return parts.flat();
	}

	async finalClosesIn(from: number, to: number): Promise<number> {
		const counts = await this.all<number>({ op: 'finalClosesIn', from, to });
		return counts.reduce((a, b) => a + b, 0);
	}

	async clientErrorsIn(from: number, to: number): Promise<ClientError[]> {
		const parts = await this.all<ClientError[]>({ op: 'clientErrorsIn', from, to });
		return parts.flat().sort((a, b) => a.t - b.t);
	}

	async resetAll(wsBase: string): Promise<void> {
		await this.all({ op: 'resetAll', wsBase });
	}

	/** Fresh phones for the victim pair and for every phone that stopped for good; how many. */
	async repair(victimProgramId: string | null): Promise<number> {
		const counts = await this.all<number>({ op: 'repair', victim: victimProgramId });
		return counts.reduce((a, b) => a + b, 0);
	}

	/** The pair of a program as an attack's victims (reconnect goes to the shard that holds it). */
	async victims(programId: string): Promise<[Victim, Victim]> {
		const shard = this.owner(programId);
		const who = await shard.ask<Array<{ userId: string; clientId: number }>>({
			op: 'victims',
			programId
		});
		const victim = (index: 0 | 1): Victim => ({
			userId: who[index]!.userId,
			clientId: who[index]!.clientId,
			reconnect: () => void shard.ask({ op: 'reconnect', programId, index }).catch(() => {})
		});
		return [victim(0), victim(1)];
	}

	/** The longest event-loop delay of any shard since the last call (ms); resets them. */
	async loopDelayMax(): Promise<number> {
		return Math.max(...(await this.all<number>({ op: 'lag' })));
	}

	async destroy(): Promise<void> {
		await Promise.all(this.shards.map((s) => s.worker.terminate()));
	}
}

/** A shard: its honest pairs, answering the driver. */
function serveShard(data: ShardData): void {
	const port = parentPort!;
	// Driver clock → this thread's clock and back.
	const offset = data.driverOrigin - performance.timeOrigin;
	const here = (driverT: number) => driverT + offset;
	const driver = (localT: number) => localT - offset;

	// Exceptions of the stock clients (in a browser: uncaught errors of the page's message
	// handler): counted, and the phones go on; a worker would otherwise exit.
	const errors: ClientError[] = [];
	process.on('uncaughtException', (error) => {
		errors.push({
			t: driver(performance.now()),
			message: `${error.name}: ${error.message} (${(error.stack ?? '').split('\n')[1]?.trim() ?? '?'})`
		});
	});
	// Every honest phone (y-websocket adds a process 'exit' listener per provider).
	process.setMaxListeners(0);
	if (data.isolated) niceThisThread(19);
	const lag = monitorEventLoopDelay({ resolution: 10 });
	lag.enable();

	const pairs = new HonestPairs(data.wsBase, data.programIds);
	const handle = async (r: Request): Promise<unknown> => {
		switch (r.op) {
			case 'waitSynced':
				return pairs.waitSynced(r.timeoutMs);
			case 'startEditing':
				return pairs.startEditing();
			case 'latencies':
				return pairs.latencies(here(r.from), here(r.to), here(r.asOf));
			case 'finalClosesIn':
				return pairs.finalClosesIn(here(r.from), here(r.to));
			case 'clientErrorsIn':
				return errors.filter((e) => e.t >= r.from && e.t <= r.to);
			case 'resetAll':
				return pairs.resetAll(r.wsBase);
			case 'repair':
				return pairs.repair(r.victim);
			case 'victims':
				return pairs.pair(r.programId).clients.map((c) => ({
					userId: c.userId,
					clientId: c.doc.clientID
				}));
			case 'reconnect': {
				const c = pairs.pair(r.programId).clients[r.index];
				c.provider.disconnect();
				c.provider.connect();
				return null;
			}
			case 'lag': {
				const max = lag.max / 1e6;
				lag.reset();
				return max;
			}
		}
	};
	port.on('message', (m: Request & { id: number }) => {
		handle(m).then(
			(ok) => port.postMessage({ id: m.id, ok: ok ?? null } satisfies Reply),
			(error: unknown) =>
				port.postMessage({
					id: m.id,
					error: error instanceof Error ? error.message : String(error)
				} satisfies Reply)
		);
	});
}

if (!isMainThread && (workerData as Partial<ShardData> | null)?.driverOrigin !== undefined)
	serveShard(workerData as ShardData);
