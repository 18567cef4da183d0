/**
 * SQLite's WAL checkpoints on a thread of their own. SQLite checkpoints in the connection whose
 * commit takes the WAL past `wal_autocheckpoint` (1,000 pages): on the server's connection that
 * is the event loop, which then copies ~4 MB into the database file and fsyncs it while every
 * phone's edit waits — 5–11 ms a time here, more when compactions dirty many pages (one commit
 * held the loop 110 ms in a bench:abuse run; docs/benchmarks.md, "The honest load's own
 * phases"). So the server's connection stops checkpointing (`wal_autocheckpoint = 0`) and this
 * thread, on a connection of its own, runs a PASSIVE checkpoint every INTERVAL_MS: PASSIVE never
 * waits for a writer or a reader and never blocks one, and a WAL already copied costs it a read
 * of the WAL index. Should the thread fail, the connection checkpoints itself again.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './database.js';

const INTERVAL_MS = 250;
/** SQLite's default, restored when the thread stops. */
const AUTOCHECKPOINT_PAGES = 1000;

export interface CheckpointerLog {
	warn(details: object, message: string): void;
	info(details: object, message: string): void;
}

export class Checkpointer {
	private closed = false;

	private constructor(
		private readonly db: SqliteDatabase,
		private readonly worker: Worker
	) {}

	/**
	 * Starts checkpointing `db`'s WAL on a thread (a file database only; null for one in memory).
	 * `log` hears about a failed thread, after which `db` checkpoints itself again.
	 */
	static start(db: SqliteDatabase, log?: CheckpointerLog): Checkpointer | null {
		if (db.memory || db.name === ':memory:') return null;
		const source = `
			const { parentPort, workerData } = require('node:worker_threads');
			const Database = require(workerData.driver);
			const db = new Database(workerData.filename);
			let timer = null;
			let failing = false;
			const tick = () => {
				// Told once when checkpoints start failing (a full disk: every 250 ms) and once when
				// they work again, not at every tick.
				try {
					db.pragma('wal_checkpoint(PASSIVE)');
					if (failing) parentPort.postMessage({ recovered: true });
					failing = false;
				} catch (e) {
					if (!failing) parentPort.postMessage({ error: (e && e.message) || String(e) });
					failing = true;
				}
				timer = setTimeout(tick, workerData.intervalMs);
			};
			parentPort.on('message', (m) => {
				if (m !== 'close') return;
				clearTimeout(timer);
				db.close();
				parentPort.postMessage({ closed: true });
			});
			tick();`;
		const worker = new Worker(source, {
			eval: true,
			workerData: {
				filename: db.name,
				intervalMs: INTERVAL_MS,
				driver: createRequire(import.meta.url).resolve('better-sqlite3')
			}
		});
		worker.unref();
		const checkpointer = new Checkpointer(db, worker);
		const fail = (reason: string) => {
			if (checkpointer.closed) return;
			checkpointer.closed = true;
			checkpointer.checkpointInline();
			log?.warn({ reason }, 'the WAL checkpoint thread stopped; the database checkpoints inline');
		};
		worker.on('message', (m: { error?: string; recovered?: boolean }) => {
			if (m.error)
				log?.warn(
					{ err: m.error },
					`WAL checkpoints fail; retrying every ${INTERVAL_MS} ms (the WAL grows meanwhile)`
				);
			if (m.recovered) log?.info({}, 'WAL checkpoints work again');
		});
		worker.on('error', (error) => fail(error.message));
		worker.on('exit', (code) => fail(`exited (${code})`));
		db.pragma('wal_autocheckpoint = 0');
		return checkpointer;
	}

	/** The thread (tests end it, as a crash would). */
	get thread(): Worker {
		return this.worker;
	}

	private checkpointInline(): void {
		if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
	}

	/** Stops the thread; the connection checkpoints itself again (and at close, as SQLite does). */
	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		await new Promise<void>((resolve) => {
			const done = () => resolve();
			this.worker.once('exit', done);
			this.worker.once('message', (m: { closed?: boolean }) => {
				if (m.closed) void this.worker.terminate().then(done, done);
			});
			this.worker.postMessage('close');
		});
		this.checkpointInline();
	}
}
