/**
 * SQLite's writer thread: runs write batches (server/storage/sql.ts) on a second connection in a
 * worker thread, so that the fsync of a commit (and WAL checkpoints) never block the relay's event
 * loop. One batch at a time, in order, each one transaction in ONE message: a transaction never
 * waits on the main thread, which may itself be waiting on SQLite's lock (busy_timeout).
 * Reads stay on the caller's connection (WAL: readers see every committed write).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { runSqliteStatements, type Statement, type StatementResult } from '../sql.js';

export class WriterThread {
	private worker: Worker | null = null;
	private nextId = 1;
	private readonly pending = new Map<
		number,
		{ resolve: (v: unknown) => void; reject: (e: Error) => void }
	>();

	constructor(private readonly filename: string) {}

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
		});
		const fail = (error: Error) => {
			this.worker = null;
			for (const p of this.pending.values()) p.reject(error);
			this.pending.clear();
		};
		worker.on('error', fail);
		worker.on('exit', (code) => fail(new Error(`storage writer thread exited (${code})`)));
		return worker;
	}

	private call<T>(message: { op: 'batch'; statements: Statement[] } | { op: 'close' }): Promise<T> {
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
		await worker.terminate();
	}
}
