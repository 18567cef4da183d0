import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type {
	AppendedUpdate,
	DeviceSyncFacts,
	DeviceSyncRecord,
	DocumentStore,
	ProgramRecord,
	StoredDocument,
	StoredSummary
} from '../document-store.js';
import type { SqliteDatabase } from './database.js';

interface DeviceRow {
	program_id: string;
	user_id: string;
	device_id: string;
	last_connected_at: number | null;
	last_update_at: number | null;
	last_in_sync_at: number | null;
	pending: number | null;
	pending_reported_at: number | null;
}

function toBytes(b: Buffer): Uint8Array {
	return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The write operations, each one transaction. */
interface WriteOps {
	append(updates: AppendedUpdate[], facts: DeviceSyncFacts[]): number[];
	compact(programId: string, merged: Uint8Array, sv: Uint8Array, throughSeq: number): void;
	saveFacts(facts: DeviceSyncFacts[]): void;
	saveSummaries(list: StoredSummary[]): void;
}

/**
 * Prepares the write operations on a connection. SELF-CONTAINED on purpose (no reference to
 * anything outside its body but globals): its source text is also run in the writer thread.
 * No UPSERTs: other modules hang triggers with INSERT OR REPLACE on these tables, and SQLite lets
 * an outer UPSERT override a trigger's conflict clause (→ UNIQUE errors).
 */
function prepareWriteOps(db: SqliteDatabase): WriteOps {
	const buf = (u: Uint8Array) =>
		Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
	const s = {
		insertUpdate: db.prepare(
			'INSERT INTO program_updates (program_id, data, received_at) VALUES (?, ?, ?)'
		),
		claimClient: db.prepare(
			'INSERT OR IGNORE INTO program_client_owners (program_id, client_id, user_id) VALUES (?, ?, ?)'
		),
		stateSeq: db.prepare('SELECT through_seq FROM program_state WHERE program_id = ?').pluck(),
		insertState: db.prepare(
			'INSERT INTO program_state (program_id, data, state_vector, through_seq, compacted_at) VALUES (?, ?, ?, ?, ?)'
		),
		updateState: db.prepare(
			'UPDATE program_state SET data = ?, state_vector = ?, through_seq = ?, compacted_at = ? WHERE program_id = ?'
		),
		deleteLog: db.prepare('DELETE FROM program_updates WHERE program_id = ? AND seq <= ?'),
		updateFacts: db.prepare(
			`UPDATE program_device_sync SET
			   last_connected_at = COALESCE(MAX(last_connected_at, @lastConnectedAt), last_connected_at, @lastConnectedAt),
			   last_update_at = COALESCE(MAX(last_update_at, @lastUpdateAt), last_update_at, @lastUpdateAt),
			   last_in_sync_at = COALESCE(MAX(last_in_sync_at, @lastInSyncAt), last_in_sync_at, @lastInSyncAt),
			   pending = CASE WHEN @pendingReportedAt IS NOT NULL AND @pendingReportedAt >= COALESCE(pending_reported_at, 0)
			              THEN @pending ELSE pending END,
			   pending_reported_at = COALESCE(MAX(pending_reported_at, @pendingReportedAt), pending_reported_at, @pendingReportedAt)
			 WHERE program_id = @programId AND user_id = @userId AND device_id = @deviceId`
		),
		insertFacts: db.prepare(
			`INSERT INTO program_device_sync (program_id, user_id, device_id, last_connected_at, last_update_at,
			   last_in_sync_at, pending, pending_reported_at)
			 VALUES (@programId, @userId, @deviceId, @lastConnectedAt, @lastUpdateAt, @lastInSyncAt, @pending, @pendingReportedAt)`
		),
		updateSummary: db.prepare(
			'UPDATE program_summaries SET summary = ?, doc_bytes = ?, through_seq = ?, computed_at = ? WHERE program_id = ?'
		),
		insertSummary: db.prepare(
			'INSERT INTO program_summaries (program_id, summary, doc_bytes, through_seq, computed_at) VALUES (?, ?, ?, ?, ?)'
		)
	};
	const writeFacts = (facts: DeviceSyncFacts[]) => {
		for (const f of facts) {
			const row = {
				programId: f.programId,
				userId: f.userId,
				deviceId: f.deviceId,
				lastConnectedAt: f.lastConnectedAt ?? null,
				lastUpdateAt: f.lastUpdateAt ?? null,
				lastInSyncAt: f.lastInSyncAt ?? null,
				pending: f.pending ?? null,
				pendingReportedAt: f.pendingReportedAt ?? null
			};
			if (s.updateFacts.run(row).changes === 0) s.insertFacts.run(row);
		}
	};
	return {
		append: db.transaction((updates: AppendedUpdate[], facts: DeviceSyncFacts[]) => {
			const seqs: number[] = [];
			for (const u of updates) {
				seqs.push(
					Number(s.insertUpdate.run(u.programId, buf(u.data), u.receivedAt).lastInsertRowid)
				);
				if (u.claims)
					for (const c of u.claims.clientIds) s.claimClient.run(u.programId, c, u.claims.userId);
			}
			writeFacts(facts);
			return seqs;
		}),
		compact: db.transaction(
			(programId: string, merged: Uint8Array, sv: Uint8Array, throughSeq: number) => {
				const current = s.stateSeq.get(programId) as number | undefined;
				// Never move the compacted state backwards (a stale compaction racing a newer one).
				if (current !== undefined && current >= throughSeq) return;
				if (current !== undefined)
					s.updateState.run(buf(merged), buf(sv), throughSeq, Date.now(), programId);
				else s.insertState.run(programId, buf(merged), buf(sv), throughSeq, Date.now());
				s.deleteLog.run(programId, throughSeq);
			}
		),
		saveFacts: db.transaction(writeFacts),
		saveSummaries: db.transaction((list: StoredSummary[]) => {
			for (const x of list) {
				const json = JSON.stringify(x.summary);
				if (
					s.updateSummary.run(json, x.docBytes, x.throughSeq, x.computedAt, x.programId).changes ===
					0
				) {
					s.insertSummary.run(x.programId, json, x.docBytes, x.throughSeq, x.computedAt);
				}
			}
		})
	};
}

type WriteOp = keyof WriteOps;

/**
 * Runs the write operations on a second connection in a worker thread, so that the fsync of a
 * commit (and WAL checkpoints) never block the relay's event loop. One operation at a time, in
 * order; reads stay on the caller's connection (WAL: readers see every committed write).
 */
class WriterThread {
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
			const ops = (${prepareWriteOps.toString()})(db);
			parentPort.on('message', (m) => {
				if (m.op === 'close') { db.close(); parentPort.postMessage({ id: m.id, result: null }); return; }
				try { parentPort.postMessage({ id: m.id, result: ops[m.op](...m.args) }); }
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

	call<T>(op: WriteOp | 'close', args: unknown[]): Promise<T> {
		if (op === 'close' && !this.worker) return Promise.resolve(undefined as T);
		this.worker ??= this.start();
		const worker = this.worker;
		const id = this.nextId++;
		return new Promise<T>((resolve, reject) => {
			this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
			worker.postMessage({ id, op, args });
		});
	}

	async close(): Promise<void> {
		const worker = this.worker;
		if (!worker) return;
		await this.call('close', []);
		this.worker = null;
		await worker.terminate();
	}
}

export interface SqliteDocumentStoreOptions {
	/**
	 * Run writes (appends, compaction, facts, summaries) on a second connection in a worker
	 * thread, so fsyncs never block the caller's event loop. The relay uses this; other callers
	 * (identity, tests, CLI) may write inline.
	 */
	writerThread?: boolean;
}

/**
 * SQLite implementation of DocumentStore (WAL + synchronous=FULL: a resolved append has been
 * fsynced). Reads run inline on the given connection.
 */
export function createSqliteDocumentStore(
	db: SqliteDatabase,
	options: SqliteDocumentStoreOptions = {}
): DocumentStore & { close(): Promise<void> } {
	const stmt = {
		exists: db.prepare('SELECT 1 FROM programs WHERE id = ?').pluck(),
		insertProgram: db.prepare(
			'INSERT INTO programs (id, organization_id, created_at) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING'
		),
		getProgram: db.prepare('SELECT id, organization_id, created_at FROM programs WHERE id = ?'),
		state: db.prepare(
			'SELECT data, state_vector, through_seq FROM program_state WHERE program_id = ?'
		),
		log: db
			.prepare(
				'SELECT seq, data FROM program_updates WHERE program_id = ? AND seq > ? ORDER BY seq'
			)
			.raw(),
		logLength: db.prepare('SELECT COUNT(*) FROM program_updates WHERE program_id = ?').pluck(),
		facts: db.prepare(
			'SELECT * FROM program_device_sync WHERE program_id = ? ORDER BY user_id, device_id'
		),
		summary: db.prepare(
			'SELECT summary, doc_bytes, through_seq, computed_at FROM program_summaries WHERE program_id = ?'
		),
		clientOwners: db
			.prepare('SELECT client_id, user_id FROM program_client_owners WHERE program_id = ?')
			.raw(),
		staleSummaries: db
			.prepare(
				`SELECT p.id FROM programs p
				LEFT JOIN program_summaries s ON s.program_id = p.id
				WHERE MAX(
					COALESCE((SELECT MAX(u.seq) FROM program_updates u WHERE u.program_id = p.id), 0),
					COALESCE((SELECT st.through_seq FROM program_state st WHERE st.program_id = p.id), 0)
				) > COALESCE(s.through_seq, 0)`
			)
			.pluck()
	};

	const run = <T>(fn: () => T): Promise<T> =>
		new Promise<T>((resolve, reject) => {
			try {
				resolve(fn());
			} catch (error) {
				reject(error instanceof Error ? error : new Error(String(error)));
			}
		});

	let write: <K extends WriteOp>(
		op: K,
		...args: Parameters<WriteOps[K]>
	) => Promise<ReturnType<WriteOps[K]>>;
	let close: () => Promise<void>;
	if (options.writerThread && db.name !== ':memory:' && !db.memory) {
		const thread = new WriterThread(db.name);
		write = (op, ...args) => thread.call(op, args);
		close = () => thread.close();
	} else {
		let ops: WriteOps | null = null;
		write = (op, ...args) =>
			run(() => {
				ops ??= prepareWriteOps(db);
				// Each op has its own parameter list; the generic signature above keeps callers typed.
				return (ops[op] as (...a: unknown[]) => ReturnType<WriteOps[typeof op]>)(...args);
			});
		close = async () => {};
	}

	return {
		close,
		programExists: (programId) => run(() => stmt.exists.get(programId) === 1),
		createProgram: (programId, organizationId = null) =>
			run(() => {
				stmt.insertProgram.run(programId, organizationId, new Date().toISOString());
				const row = stmt.getProgram.get(programId) as {
					id: string;
					organization_id: string | null;
					created_at: string;
				};
				return {
					id: row.id,
					organizationId: row.organization_id,
					createdAt: row.created_at
				} satisfies ProgramRecord;
			}),
		load: (programId) =>
			run((): StoredDocument => {
				const st = stmt.state.get(programId) as
					{ data: Buffer; state_vector: Buffer; through_seq: number } | undefined;
				const throughSeq = st?.through_seq ?? 0;
				const rows = stmt.log.all(programId, throughSeq) as [number, Buffer][];
				const last = rows[rows.length - 1];
				return {
					state: st ? toBytes(st.data) : null,
					stateVector: st ? toBytes(st.state_vector) : null,
					updates: rows.map((r) => toBytes(r[1])),
					lastSeq: last ? last[0] : throughSeq,
					clientOwners: stmt.clientOwners.all(programId) as Array<[number, string]>
				};
			}),
		append: (updates, facts = []) => write('append', updates, facts),
		compact: (programId, merged, sv, throughSeq) =>
			write('compact', programId, merged, sv, throughSeq),
		logLength: (programId) => run(() => Number(stmt.logLength.get(programId))),
		saveFacts: (facts) => write('saveFacts', facts),
		getFacts: (programId) =>
			run(() =>
				(stmt.facts.all(programId) as DeviceRow[]).map((r): DeviceSyncRecord => ({
					programId: r.program_id,
					userId: r.user_id,
					deviceId: r.device_id,
					lastConnectedAt: r.last_connected_at,
					lastUpdateAt: r.last_update_at,
					lastInSyncAt: r.last_in_sync_at,
					pending: r.pending,
					pendingReportedAt: r.pending_reported_at
				}))
			),
		staleSummaries: () => run(() => stmt.staleSummaries.all() as string[]),
		saveSummary: (s) => write('saveSummaries', [s]),
		saveSummaries: (list) => write('saveSummaries', list),
		getSummary: (programId) =>
			run(() => {
				const r = stmt.summary.get(programId) as
					| { summary: string; doc_bytes: number; through_seq: number; computed_at: number }
					| undefined;
				if (!r) return null;
				return {
					programId,
					summary: JSON.parse(r.summary) as unknown,
					docBytes: r.doc_bytes,
					throughSeq: r.through_seq,
					computedAt: r.computed_at
				};
			})
	};
}
