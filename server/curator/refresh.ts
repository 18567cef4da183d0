/**
 * Keeps summaries current as the calendar moves. The relay recomputes a summary when the
 * document changes; but "overdue", "report due" and the current stage also change when a day
 * passes with no edit. This refresher recomputes, in small batches off the request path, the
 * summaries whose figures the passing of time has changed — exactly those where a date stored
 * in the index (next open deadline, next report date, end of the current stage, start) has been
 * reached since the summary's day — the day in the program's own time zone (local-day.ts).
 */
import * as Y from 'yjs';
import { summarize } from '../../src/lib/shared/program/index.js';
import type { Logger } from '../logger.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { SqlClient } from '../storage/sql.js';
import { ZONE_JOINS, localDaySql, outdatedSql } from './local-day.js';

export interface RefresherDeps {
	db: SqlClient;
	relay: { getDocument(programId: string): Promise<Uint8Array> };
	documents: Pick<DocumentStore, 'saveSummary'>;
	logger: Logger;
	now?: () => number;
	/**
	 * Several instances: true when this instance should refresh now (one of them does; see
	 * server/cluster). Absent: always.
	 */
	isLeader?: () => Promise<boolean>;
}

export interface Refresher {
	/** Recomputes up to `limit` outdated summaries; resolves with how many were refreshed. */
	runOnce(limit?: number): Promise<number>;
	/** Asks for a run soon (coalesced); used when a dashboard sees outdated rows. */
	nudge(): void;
	stop(): void;
}

export function createRefresher(deps: RefresherDeps, intervalMs = 10 * 60_000): Refresher {
	const now = deps.now ?? Date.now;
	const log = deps.logger.child({ component: 'curator-refresh' });
	let running: Promise<number> | null = null;
	let stopped = false;
	let nudged: NodeJS.Timeout | null = null;

	async function refreshBatch(limit: number): Promise<number> {
		if (deps.isLeader && !(await deps.isLeader())) return 0;
		const outdated = outdatedSql(await localDaySql(deps.db, now()));
		const rows = await deps.db.all<{ program_id: string; computed_at: number }>(
			`SELECT i.program_id, i.computed_at FROM curator_program_index i ${ZONE_JOINS}
				WHERE ${outdated.sql} LIMIT ?`,
			[...outdated.params, limit]
		);
		let n = 0;
		for (const r of rows) {
			if (stopped) break;
			try {
				const bytes = await deps.relay.getDocument(r.program_id);
				const doc = new Y.Doc();
				let summary: unknown;
				try {
					Y.applyUpdate(doc, bytes);
					summary = summarize(doc, new Date(now()));
				} finally {
					doc.destroy();
				}
				const current = await deps.db.get<{ computed_at: number; through_seq: number }>(
					'SELECT computed_at, through_seq FROM program_summaries WHERE program_id = ?',
					[r.program_id]
				);
				// The relay wrote a newer summary meanwhile: keep it (it saw later edits).
				if (!current || current.computed_at !== r.computed_at) continue;
				await deps.documents.saveSummary({
					programId: r.program_id,
					summary,
					docBytes: bytes.length,
					throughSeq: current.through_seq,
					computedAt: now()
				});
				n++;
			} catch (error) {
				log.warn({ err: error, programId: r.program_id }, 'summary refresh failed');
			}
			await new Promise((resolve) => setImmediate(resolve));
		}
		if (n) log.info({ refreshed: n }, 'outdated summaries refreshed');
		return n;
	}

	const runOnce = (limit = 200) => {
		running ??= refreshBatch(limit).finally(() => {
			running = null;
		});
		return running;
	};

	const timer = setInterval(() => void runOnce(), intervalMs);
	timer.unref();

	return {
		runOnce,
		nudge() {
			if (nudged || stopped) return;
			nudged = setTimeout(() => {
				nudged = null;
				void runOnce().then((n) => {
					// More to do: keep going in batches.
					if (n >= 200) this.nudge();
				});
			}, 1_000);
			nudged.unref();
		},
		stop() {
			stopped = true;
			clearInterval(timer);
			if (nudged) clearTimeout(nudged);
		}
	};
}
