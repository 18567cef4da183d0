/**
 * The recent part of SQLite's update log (migration 153, issue 18).
 *
 * Appends go to `program_updates_recent`, a small table; this module moves its rows to
 * `program_updates` in bulk, sorted by program (the big ones to `program_updates_large`,
 * ./clustered-log.ts), so a program's rows of many commits share one write of its leaf of the
 * log's index instead of one write per commit (docs/benchmarks.md, "The recent log"). Readers
 * see the log as the three tables (server/storage/sql-document-store.ts): a row is in exactly one
 * of them at every commit, because a move inserts and deletes the same rows in one transaction.
 * A move is cut in pieces by ranges of program keys, each its own transaction with the event
 * loop free between them, so no piece holds the writer (and the appends queued behind it) for
 * long; a crash between pieces leaves every row in one table or another.
 *
 * Sequence numbers: the recent table draws them (AUTOINCREMENT), starting where the log's ended
 * (RECENT_LOG_SEQUENCE, in the migration); a move keeps them. Nothing else appends on SQLite,
 * so a number is never drawn twice.
 */
import type { BatchRunner, SqlClient, Statement } from '../sql.js';
import type { SqliteDatabase } from './database.js';
import { CLUSTERED_ROW_MAX_BYTES } from './clustered-log.js';

/** Migration 153 (SQLite): the recent table's sequence continues the log's. */
export const RECENT_LOG_SEQUENCE = `
			INSERT INTO sqlite_sequence (name, seq)
				SELECT 'program_updates_recent', seq FROM sqlite_sequence WHERE name = 'program_updates';
		`;

/** Rows waiting in the recent table that start a move before the timer does. */
export const MOVE_AT_ROWS = 20_000;
/** How often the recent table is emptied into the log. */
export const MOVE_EVERY_MS = 5_000;
/**
 * Rows per piece of a move (one transaction each): a few milliseconds of the writer's time. The
 * pieces were the event loop's longest steady blocks (2,000 rows: median 13 ms in a profiled
 * run), so they set the relay's p99: bench:relay 1k-blank, relay only, three rounds each in turn,
 * p99 9.1 / 9.1 ms with 2,000 rows against 7.6 with 500, CPU no higher (docs/benchmarks.md).
 */
export const ROWS_PER_PIECE = 500;

const COLUMNS = 'seq, program_id, program_key, data, received_at';

/**
 * Moves the rows with `seq <= top` and `from <= program_key < to` (null: unbounded), in one
 * transaction: the small ones to the clustered log, sorted by program, the big ones to
 * `program_updates_large` (./clustered-log.ts, CLUSTERED_ROW_MAX_BYTES). `length` of a blob reads
 * its size from the row's header, not its bytes.
 */
function movePiece(top: number, from: number | null, to: number | null): Statement[] {
	const range = `seq <= ?${from === null ? '' : ' AND program_key >= ?'}${to === null ? '' : ' AND program_key < ?'}`;
	const params = [top, ...(from === null ? [] : [from]), ...(to === null ? [] : [to])];
	const sized = [...params, CLUSTERED_ROW_MAX_BYTES];
	return [
		{
			sql: `INSERT INTO program_updates (${COLUMNS})
				SELECT ${COLUMNS} FROM program_updates_recent WHERE ${range} AND length(data) <= ?
				ORDER BY program_key, seq`,
			params: sized
		},
		{
			sql: `INSERT INTO program_updates_large (${COLUMNS})
				SELECT ${COLUMNS} FROM program_updates_recent WHERE ${range} AND length(data) > ?`,
			params: sized
		},
		{ sql: `DELETE FROM program_updates_recent WHERE ${range}`, params }
	];
}

/**
 * At start-up (server/storage/sqlite/database.ts) and before migrate-storage copies: whatever a
 * stopped or crashed server left in the recent table goes to the log in one transaction.
 */
export function settleRecentLog(db: SqliteDatabase): number {
	const ready = db
		.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'program_updates_recent'")
		.get();
	if (!ready) return 0;
	const top = db.prepare('SELECT max(seq) FROM program_updates_recent').pluck().get();
	if (typeof top !== 'number') return 0;
	const [small, large, remove] = movePiece(top, null, null) as [Statement, Statement, Statement];
	return db.transaction(() => {
		const run = (s: Statement) => db.prepare(s.sql).run(...(s.params ?? [])).changes;
		const moved = run(small) + run(large);
		run(remove);
		return moved;
	})();
}

/** Lets the event loop run between a move's pieces (I/O first: setImmediate). */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class RecentLogMover {
	/** Rows appended since the last move began (the store's own; start-up settled the rest). */
	private waiting = 0;
	private running: Promise<number> | null = null;
	private readonly timer: NodeJS.Timeout;
	private stopped = false;

	private readonly onError: (error: Error) => void;

	constructor(
		private readonly sql: SqlClient,
		private readonly write: BatchRunner,
		options: { everyMs: number; onError: (error: Error) => void }
	) {
		this.onError = options.onError;
		this.timer = setInterval(() => {
			if (this.waiting > 0) this.kick();
		}, options.everyMs);
		this.timer.unref();
	}

	/** After a committed append of `rows` log rows. */
	appended(rows: number): void {
		this.waiting += rows;
		if (this.waiting >= MOVE_AT_ROWS) this.kick();
	}

	private kick(): void {
		if (this.running || this.stopped) return;
		this.running = this.move()
			.catch((e: unknown) => {
				// The rows stay where the failed piece left them (one table or the other); the next
				// move takes them, and start-up settles whatever is left.
				this.onError(e instanceof Error ? e : new Error(String(e)));
				return 0;
			})
			.finally(() => {
				this.running = null;
			});
	}

	/** Moves every row appended so far (tests; the timer and the row count call it otherwise). */
	async moveNow(): Promise<number> {
		if (this.running) await this.running;
		return this.move();
	}

	private async move(): Promise<number> {
		const estimate = this.waiting;
		this.waiting = 0;
		const bounds = await this.sql.get<{ top: number | null; keys: number | null }>(
			`SELECT (SELECT max(seq) FROM program_updates_recent) AS top,
				(SELECT max(key) FROM program_log_keys) AS keys`
		);
		const top = bounds?.top ?? null;
		if (top === null) return 0;
		// Equal ranges of program keys; the last one open, for programs created meanwhile.
		const pieces = Math.max(1, Math.ceil(estimate / ROWS_PER_PIECE));
		const width = Math.max(1, Math.ceil(Number(bounds?.keys ?? 0) / pieces));
		let moved = 0;
		for (let i = 0; i < pieces; i++) {
			if (i > 0) await yieldToLoop();
			const from = i === 0 ? null : 1 + i * width;
			const to = i === pieces - 1 ? null : 1 + (i + 1) * width;
			const [small, large] = await this.write(movePiece(top, from, to));
			moved += (small?.changes ?? 0) + (large?.changes ?? 0);
		}
		return moved;
	}

	/** Stops the timer and waits for a move under way (before the writer closes). */
	async stop(): Promise<void> {
		this.stopped = true;
		clearInterval(this.timer);
		if (this.running) await this.running;
	}
}
