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

function toBuffer(u: Uint8Array): Buffer {
	return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function toBytes(b: Buffer): Uint8Array {
	return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * SQLite implementation of DocumentStore. better-sqlite3 is synchronous: every method runs to
 * completion inside the returned promise's executor, and each write is one transaction
 * (WAL + synchronous=FULL, so a resolved append has been fsynced).
 */
export function createSqliteDocumentStore(db: SqliteDatabase): DocumentStore {
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
		insertUpdate: db.prepare(
			'INSERT INTO program_updates (program_id, data, received_at) VALUES (?, ?, ?)'
		),
		// No UPSERTs below: other modules hang triggers with INSERT OR REPLACE on these tables, and
		// SQLite lets an outer UPSERT override the trigger's conflict clause (→ UNIQUE errors).
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
		facts: db.prepare(
			'SELECT * FROM program_device_sync WHERE program_id = ? ORDER BY user_id, device_id'
		),
		updateSummary: db.prepare(
			'UPDATE program_summaries SET summary = ?, doc_bytes = ?, through_seq = ?, computed_at = ? WHERE program_id = ?'
		),
		insertSummary: db.prepare(
			'INSERT INTO program_summaries (program_id, summary, doc_bytes, through_seq, computed_at) VALUES (?, ?, ?, ?, ?)'
		),
		summary: db.prepare(
			'SELECT summary, doc_bytes, through_seq, computed_at FROM program_summaries WHERE program_id = ?'
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
			if (stmt.updateFacts.run(row).changes === 0) stmt.insertFacts.run(row);
		}
	};

	const appendTx = db.transaction((updates: AppendedUpdate[], facts: DeviceSyncFacts[]) => {
		const seqs: number[] = [];
		for (const u of updates) {
			const info = stmt.insertUpdate.run(u.programId, toBuffer(u.data), u.receivedAt);
			seqs.push(Number(info.lastInsertRowid));
		}
		writeFacts(facts);
		return seqs;
	});
	const factsTx = db.transaction(writeFacts);
	const writeSummary = (s: StoredSummary) => {
		const json = JSON.stringify(s.summary);
		if (
			stmt.updateSummary.run(json, s.docBytes, s.throughSeq, s.computedAt, s.programId).changes ===
			0
		) {
			stmt.insertSummary.run(s.programId, json, s.docBytes, s.throughSeq, s.computedAt);
		}
	};
	const summaryTx = db.transaction(writeSummary);
	const summariesTx = db.transaction((list: StoredSummary[]) => {
		for (const s of list) writeSummary(s);
	});
	const compactTx = db.transaction(
		(programId: string, merged: Uint8Array, sv: Uint8Array, throughSeq: number) => {
			const current = stmt.state.get(programId) as { through_seq: number } | undefined;
			// Never move the compacted state backwards (a stale compaction racing a newer one).
			if (current && current.through_seq >= throughSeq) return;
			if (current)
				stmt.updateState.run(toBuffer(merged), toBuffer(sv), throughSeq, Date.now(), programId);
			else stmt.insertState.run(programId, toBuffer(merged), toBuffer(sv), throughSeq, Date.now());
			stmt.deleteLog.run(programId, throughSeq);
		}
	);

	const run = <T>(fn: () => T): Promise<T> =>
		new Promise<T>((resolve, reject) => {
			try {
				resolve(fn());
			} catch (error) {
				reject(error instanceof Error ? error : new Error(String(error)));
			}
		});

	return {
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
					lastSeq: last ? last[0] : throughSeq
				};
			}),
		append: (updates, facts = []) => run(() => appendTx(updates, facts)),
		compact: (programId, merged, sv, throughSeq) =>
			run(() => compactTx(programId, merged, sv, throughSeq)),
		logLength: (programId) => run(() => Number(stmt.logLength.get(programId))),
		saveFacts: (facts) => run(() => factsTx(facts)),
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
		saveSummary: (s) => run(() => summaryTx(s)),
		saveSummaries: (list) => run(() => summariesTx(list)),
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
