/**
 * Keeps summaries current as the calendar moves. The relay recomputes a summary when the
 * document changes; but "overdue", "report due" and the current stage also change when a day
 * passes with no edit. This refresher recomputes, in small batches off the request path, the
 * summaries whose figures the passing of time has changed — exactly those where a date stored
 * in the index (next open deadline, next report date, end of the current stage, start) has been
 * reached since the summary's day — the day in the program's own time zone (local-day.ts).
 * It only chooses them: the relay recomputes and writes them (server/sync/summaries.ts is the
 * one writer of summaries, so a refresh never replaces a summary with one computed from an
 * older document).
 */
import type { Logger } from '../logger.js';
import type { SqlClient } from '../storage/sql.js';
import type { SummaryWriter } from '../sync/summaries.js';
import { ZONE_JOINS, localDaySql, outdatedSql } from './local-day.js';
import { foldCounts } from '../storage/curator-counts.js';

export interface RefresherDeps {
	db: SqlClient;
	/** The relay (the one writer of summaries). */
	summaries: SummaryWriter;
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
		// The index's counters gather deltas with every write: merged here too, not only when a
		// dashboard reader finds them piled up (server/storage/curator-counts.ts).
		await foldCounts(deps.db).catch((error: unknown) =>
			log.warn({ err: error }, 'folding the curator counters failed')
		);
		const outdated = outdatedSql(await localDaySql(deps.db, now()));
		const rows = await deps.db.all<{ program_id: string }>(
			`SELECT i.program_id FROM curator_program_index i ${ZONE_JOINS}
				WHERE ${outdated.sql} LIMIT ?`,
			[...outdated.params, limit]
		);
		let n = 0;
		for (const r of rows) {
			if (stopped) break;
			try {
				n += await deps.summaries.refreshSummaries([r.program_id]);
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
