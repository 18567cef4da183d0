/**
 * SQLite's writer thread: runs write batches (server/storage/sql.ts) on a second connection in a
 * worker thread, so that the fsync of a commit (and WAL checkpoints) never block the relay's event
 * loop. One batch at a time, in order, each one transaction in ONE message: a transaction never
 * waits on the main thread, which may itself be waiting on SQLite's lock (busy_timeout).
 * Reads stay on the caller's connection (WAL: readers see every committed write).
 *
 * A quiet database keeps no thread, as the checkpointer's (checkpointer.ts): the thread ends
 * IDLE_MS after its last batch and the next batch starts a new one. A worker thread with its
 * SQLite connection is ~15–20 MB of RSS, which an idle relay (phones connected, nobody editing;
 * a school at night) kept for good once a phone had connected, since its sync facts are a write.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { trimAfterThreadExit } from '../../memory/allocator.js';
import { runSqliteStatements, type Statement, type StatementResult } from '../sql.js';

/** The thread ends after this long without a batch (the checkpointer's idle time). */
const IDLE_MS = 10_000;

export class WriterThread {
	private worker: Worker | null = null;
	private idleTimer: NodeJS.Timeout | null = null;
	private nextId = 1;
	private readonly pending = new Map<
		number,
		{ resolve: (v: unknown) => void; reject: (e: Error) => void }
	>();

	constructor(
		private readonly filename: string,
		/** Tests: how long the thread outlives its last batch. */
		private readonly idleMs = IDLE_MS
	) {}

	/** A thread is running (tests: it ends when idle). */
	get running(): boolean {
		return this.worker !== null;
	}

	private start(): Worker {
		// __name: some TypeScript loaders (tsx: esbuild keepNames) wrap functions with it.
		const source = `
			var __name = (f) => f;
			const { parentPort, workerData } = require('node:worker_threads');
			const Database = require(workerData.driver);
			const db = new Database(workerData.filename);
			db.pragma('journal_mode = WAL');
			db.pragma('synchronous = FULL');
			db.pragma('foreign_keys = ON');
			db.pragma('busy_timeout = 5000');
			const runStatements = (${runSqliteStatements.toString()});
			const cache = new Map();
			const batch = db.transaction((statements) => runStatements(db, statements, cache));
			parentPort.on('message', (m) => {
				if (m.op === 'close') { db.close(); parentPort.postMessage({ id: m.id, result: null }); return; }
				try { parentPort.postMessage({ id: m.id, result: batch(m.statements) }); }
				catch (e) { parentPort.postMessage({ id: m.id, error: (e && e.message) || String(e) }); }
			});`;
		const worker = new Worker(source, {
			eval: true,
			workerData: {
				filename: this.filename,
				driver: createRequire(import.meta.url).resolve('better-sqlite3')
			}
		});
		worker.on('message', (m: { id: number; result?: unknown; error?: string }) => {
			const p = this.pending.get(m.id);
			if (!p) return;
			this.pending.delete(m.id);
			if (m.error !== undefined) p.reject(new Error(m.error));
			else p.resolve(m.result);
			if (this.pending.size === 0 && this.worker === worker) this.retireWhenIdle();
		});
		const fail = (error: Error) => {
			// A retired thread's end concerns no batch: every batch since went to its successor.
			if (this.worker !== worker) return;
			this.worker = null;
			for (const p of this.pending.values()) p.reject(error);
			this.pending.clear();
		};
		worker.on('error', fail);
		worker.on('exit', (code) => fail(new Error(`storage writer thread exited (${code})`)));
		worker.once('exit', trimAfterThreadExit);
		return worker;
	}

	private retireWhenIdle(): void {
		this.idleTimer ??= setTimeout(() => {
			this.idleTimer = null;
			const worker = this.worker;
			if (!worker || this.pending.size > 0) return;
			// The next batch starts a new thread at once; this one closes its connection (no
			// transaction is open: nothing is pending) and ends.
			this.worker = null;
			worker.postMessage({ id: 0, op: 'close' });
			worker.once('message', () => void worker.terminate());
		}, this.idleMs).unref();
	}

	private call<T>(message: { op: 'batch'; statements: Statement[] } | { op: 'close' }): Promise<T> {
		if (this.idleTimer) clearTimeout(this.idleTimer);
		this.idleTimer = null;
		this.worker ??= this.start();
		const worker = this.worker;
		const id = this.nextId++;
		return new Promise<T>((resolve, reject) => {
			this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
			worker.postMessage({ id, ...message });
		});
	}

	/** Runs the statements in one transaction on the writer's connection. */
	batch(statements: Statement[]): Promise<StatementResult[]> {
		return this.call({ op: 'batch', statements });
	}

	async close(): Promise<void> {
		const worker = this.worker;
		if (!worker) return;
		await this.call({ op: 'close' });
		this.worker = null;
		if (this.idleTimer) clearTimeout(this.idleTimer);
		this.idleTimer = null;
		await worker.terminate();
	}
}
