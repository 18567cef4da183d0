/**
 * Migration 154 (SQLite): the update log clustered by program (issue 18).
 *
 * Until now the log was a rowid table ordered by sequence number with an index on
 * (program_key, seq): one program's rows lay between every other program's, so a compaction that
 * deletes a program's 700 rows dirtied ~700 table pages and had to be cut into commits of 64 rows
 * to keep each short. As a WITHOUT ROWID table keyed by (program_key, seq) a program's rows sit
 * together on a few pages: loading them reads those pages, a compaction deletes them with one
 * range delete in the same commit as the new state, and the moves from the recent table
 * (./recent-log.ts), already sorted by program, append to each program's run of pages.
 * Measured without the relay (scripts/bench-log-layout.mjs; docs/benchmarks.md, "The log
 * clustered by program"): compaction 14–22 → 1.5–1.9 ms of CPU each, its worst wall time
 * 283–460 → 24–58 ms; the moves cost about twice as much, the whole less.
 *
 * Sequence numbers are drawn by the recent table since migration 153; a moved row keeps its own,
 * so the log needs no AUTOINCREMENT of its own. The columns keep their names, types and order
 * (migrate-storage copies them one to one); `program_id` keeps its foreign key for readers; the
 * index by (program_key, seq) goes with the old table, the key is that index now. PostgreSQL
 * keeps its log as it is (its instances append to it concurrently; no mover).
 */
export const CLUSTERED_LOG = `
			CREATE TABLE program_updates_by_program (
				seq INTEGER NOT NULL,
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				data BLOB NOT NULL,
				received_at INTEGER NOT NULL,
				program_key INTEGER NOT NULL,
				PRIMARY KEY (program_key, seq)
			) STRICT, WITHOUT ROWID;
			INSERT INTO program_updates_by_program (seq, program_id, data, received_at, program_key)
				SELECT seq, program_id, data, received_at, program_key FROM program_updates
				ORDER BY program_key, seq;
			DROP TABLE program_updates;
			ALTER TABLE program_updates_by_program RENAME TO program_updates;
		`;

/**
 * The biggest update (bytes) the clustered log holds; a bigger one goes to
 * `program_updates_large` (migration 155). The log's B-tree keeps a row wholly on its page up to
 * ~1,000 bytes (4 KB pages) and reads all of a bigger row's overflow pages to compare its key;
 * at 256 a page still holds a dozen rows, and typing (20–100 bytes an update) stays clustered,
 * while first syncs, pastes and a phone's offline edits sent at once go to the rowid table.
 */
export const CLUSTERED_ROW_MAX_BYTES = 256;

/**
 * Migration 155 (SQLite), after `program_updates_large` is created (migrations/schema.ts): the
 * log's big rows move there in one transaction. Its own number, not CLUSTERED_ROW_MAX_BYTES:
 * a shipped migration's text never changes (which table holds a row is a matter of speed only,
 * every reader reads all three).
 */
export const LARGE_LOG_ROWS = `
			INSERT INTO program_updates_large (seq, program_id, data, received_at, program_key)
				SELECT seq, program_id, data, received_at, program_key FROM program_updates
				WHERE length(data) > 256;
			DELETE FROM program_updates WHERE length(data) > 256;
		`;
