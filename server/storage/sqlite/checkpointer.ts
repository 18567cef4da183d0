/**
 * SQLite's WAL checkpoints on a thread of their own. SQLite checkpoints in the connection whose
 * commit takes the WAL past `wal_autocheckpoint` (1,000 pages): on the server's connection that
 * is the event loop, which then copies ~4 MB into the database file and fsyncs it while every
 * phone's edit waits — 5–11 ms a time here, more when compactions dirty many pages (one commit
 * held the loop 110 ms in a bench:abuse run; docs/benchmarks.md, "The honest load's own
 * phases"). So the server's connection stops checkpointing (`wal_autocheckpoint = 0`) and this
 * thread, on a connection of its own, runs a PASSIVE checkpoint every INTERVAL_MS: PASSIVE never
 * waits for a writer or a reader and never blocks one, and a WAL already copied costs it a read
 * of the WAL index. Should the thread fail, the connection checkpoints itself again. A quiet
 * database keeps no thread: it ends after IDLE_MS without commits and the next write to the WAL
 * starts it again.
 */
import { watch, type FSWatcher } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './database.js';
import { trimAfterThreadExit } from '../../memory/allocator.js';

/**
 * 2 s, not less: a checkpoint writes each page once however many commits changed it since the
 * last one, and the log's index takes one random page per row (a commit of 500 rows dirties
 * ~500). At 5,000 updates a second the relay spent 8–11 % less CPU than with 250 ms (relay-only
 * runs of bench:relay, 2026-11-26: 71.6–73.8 against 75.8–87.2 ms per 1,000 delivered), while
 * 5 s saved nothing more. The WAL meanwhile grows to ~2 s of commits (~36 MB at that rate).
 */
const INTERVAL_MS = 2_000;
/** SQLite's default, restored when the thread stops. */
const AUTOCHECKPOINT_PAGES = 1000;
/**
 * The thread ends after this long with nothing to copy; the next commit starts a new one. An
 * idle server (a school at night) keeps no thread: a worker's isolate is ~17 MB of RSS (issue
 * 18's fixed cost), and starting one costs ~30 ms of CPU, mostly on the new thread.
 */
const IDLE_MS = 10_000;

export interface CheckpointerLog {
	warn(details: object, message: string): void;
	info(details: object, message: string): void;
}

/**
 * asleep: no thread; the connection checkpoints itself past 1,000 pages (SQLite's default) and
 * the first write to the WAL starts the thread. running: the thread checkpoints, the connection
 * does not. inline: the thread failed or the checkpointer was closed; the connection
 * checkpoints itself from now on.
 */
type State =
	{ kind: 'asleep'; watcher: FSWatcher } | { kind: 'running'; worker: Worker } | { kind: 'inline' };

const THREAD_SOURCE = `
	const { parentPort, workerData } = require('node:worker_threads');
	const Database = require(workerData.driver);
	const db = new Database(workerData.filename);
	let timer = null;
	let failing = false;
	// Ticks in a row with the WAL fully copied and no commit by another connection since the last
	// (data_version changes exactly then): after idleTicks of them the thread offers to end.
	let quiet = 0;
	let version = null;
	const tick = () => {
		// Told once when checkpoints start failing (a full disk: every 2 s) and once when
		// they work again, not at every tick.
		try {
			const [r] = db.pragma('wal_checkpoint(PASSIVE)');
			const v = db.pragma('data_version', { simple: true });
			quiet = r.busy === 0 && r.log === r.checkpointed && v === version ? quiet + 1 : 0;
			version = v;
			if (failing) parentPort.postMessage({ recovered: true });
			failing = false;
		} catch (e) {
			if (!failing) parentPort.postMessage({ error: (e && e.message) || String(e) });
			failing = true;
			quiet = 0;
		}
		if (quiet >= workerData.idleTicks) parentPort.postMessage({ idle: true });
		else timer = setTimeout(tick, workerData.intervalMs);
	};
	parentPort.on('message', (m) => {
		if (m !== 'close') return;
		clearTimeout(timer);
		db.close();
		parentPort.postMessage({ closed: true });
	});
	tick();`;

export class Checkpointer {
	private state: State = { kind: 'inline' };
	private readonly walName: string;

	private constructor(
		private readonly db: SqliteDatabase,
		private readonly log: CheckpointerLog | undefined,
		private readonly idleMs: number
	) {
		this.walName = `${path.basename(db.name)}-wal`;
	}

	/**
	 * Checkpoints `db`'s WAL on a thread from its first write on (a file database only; null for
	 * one in memory). `log` hears about a failed thread, after which `db` checkpoints itself
	 * again. `idleMs`: how long the thread outlives the last commit (tests shorten it).
	 */
	static start(
		db: SqliteDatabase,
		log?: CheckpointerLog,
		options: { idleMs?: number } = {}
	): Checkpointer | null {
		if (db.memory || db.name === ':memory:') return null;
		const checkpointer = new Checkpointer(db, log, options.idleMs ?? IDLE_MS);
		checkpointer.sleep();
		return checkpointer;
	}

	/** The thread while one runs (tests end it, as a crash would). */
	get thread(): Worker | null {
		return this.state.kind === 'running' ? this.state.worker : null;
	}

	/** Whether the thread is stopped until the next write (tests). */
	get asleep(): boolean {
		return this.state.kind === 'asleep';
	}

	/**
	 * No thread until the WAL is written to: the connection checkpoints past 1,000 pages
	 * meanwhile (SQLite's default), so a burst that outruns the wake-up cannot grow the WAL
	 * without bound. A commit made between the thread's last look and this watch starting is
	 * durable in the WAL; it is copied at the next write, past 1,000 pages, or at close.
	 */
	private sleep(): void {
		this.checkpointInline();
		let watcher: FSWatcher;
		try {
			// The directory, not the WAL file: the file may not exist yet.
			watcher = watch(path.dirname(this.db.name), { persistent: false }, (_event, file) => {
				if (file === this.walName && this.state.kind === 'asleep') this.wake();
			});
		} catch (error) {
			this.log?.warn(
				{ err: (error as Error).message },
				'cannot watch the database directory; WAL checkpoints run inline'
			);
			return;
		}
		watcher.on('error', (error) => {
			if (this.state.kind !== 'asleep' || this.state.watcher !== watcher) return;
			this.state = { kind: 'inline' };
			this.log?.warn(
				{ err: error.message },
				'the database directory watch failed; WAL checkpoints run inline'
			);
		});
		this.state = { kind: 'asleep', watcher };
	}

	private wake(): void {
		if (this.state.kind === 'asleep') this.state.watcher.close();
		const worker = new Worker(THREAD_SOURCE, {
			eval: true,
			workerData: {
				filename: this.db.name,
				intervalMs: INTERVAL_MS,
				idleTicks: Math.max(1, Math.ceil(this.idleMs / INTERVAL_MS)),
				driver: createRequire(import.meta.url).resolve('better-sqlite3')
			}
		});
		worker.unref();
		const current = () => this.state.kind === 'running' && this.state.worker === worker;
		const fail = (reason: string) => {
			if (!current()) return; // ended on purpose (idle, close)
			this.state = { kind: 'inline' };
			this.checkpointInline();
			this.log?.warn(
				{ reason },
				'the WAL checkpoint thread stopped; the database checkpoints inline'
			);
		};
		worker.on('message', (m: { error?: string; recovered?: boolean; idle?: boolean }) => {
			if (m.error)
				this.log?.warn(
					{ err: m.error },
					`WAL checkpoints fail; retrying every ${INTERVAL_MS} ms (the WAL grows meanwhile)`
				);
			if (m.recovered) this.log?.info({}, 'WAL checkpoints work again');
			if (m.idle && current()) {
				this.sleep();
				void end(worker);
			}
		});
		worker.on('error', (error) => fail(error.message));
		worker.on('exit', (code) => fail(`exited (${code})`));
		this.state = { kind: 'running', worker };
		this.db.pragma('wal_autocheckpoint = 0');
	}

	private checkpointInline(): void {
		if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
	}

	/** Stops the thread; the connection checkpoints itself again (and at close, as SQLite does). */
	async close(): Promise<void> {
		const state = this.state;
		this.state = { kind: 'inline' };
		if (state.kind === 'asleep') state.watcher.close();
		if (state.kind === 'running') await end(state.worker);
		this.checkpointInline();
	}
}

/** Closes the thread's connection, then the thread. */
function end(worker: Worker): Promise<void> {
	return new Promise<void>((resolve) => {
		const done = () => resolve();
		worker.once('exit', done);
		worker.once('exit', trimAfterThreadExit);
		worker.once('message', (m: { closed?: boolean }) => {
			if (m.closed) void worker.terminate().then(done, done);
		});
		worker.postMessage('close');
	});
}
