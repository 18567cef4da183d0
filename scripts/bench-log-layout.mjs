/**
 * The update log's layout on SQLite, without the relay (issue 18; docs/benchmarks.md, "The recent log"):
 * today's rowid table with an index on (program_key, seq) against a WITHOUT ROWID table clustered by
 * (program_key, seq). 1,000 programs, 2,000 rows a second in commits of 200 into the recent table,
 * a move every 5 s sorted by program, and each program compacted at 500–749 rows (its rows read
 * and deleted in commits of 64, or with `range` in one range delete). Prints the CPU time of each part.
 * BIG=<bytes>: each program's log starts with one row that big (a first sync uploads the whole
 * program: ~94 KB for a two-year one); `split` is the clustered table with such rows in a rowid
 * table beside it (migration 155, `program_updates_large`).
 *
 *   node scripts/bench-log-layout.mjs rowid|clustered|split [range]   (SECS=500 simulated seconds)
 */
import Database from 'better-sqlite3';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const PROGRAMS = 1000,
	RATE = 2000,
	SECONDS = Number(process.env.SECS ?? 500),
	COMMITS_PER_S = 10;
const kind = process.argv[2] ?? 'rowid'; // or 'clustered', 'split'
const BIG = Number(process.env.BIG ?? 0);
const rangeDelete = process.argv[3] === 'range';
const dir = mkdtempSync(path.join(tmpdir(), 'zzwr-'));
const db = new Database(path.join(dir, 'db.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
const log =
	kind === 'rowid'
		? `CREATE TABLE log (seq INTEGER PRIMARY KEY, program_id TEXT NOT NULL, data BLOB NOT NULL, received_at INTEGER NOT NULL, program_key INTEGER NOT NULL);
     CREATE INDEX log_by_key ON log (program_key, seq);`
		: `CREATE TABLE log (program_key INTEGER NOT NULL, seq INTEGER NOT NULL, program_id TEXT NOT NULL, data BLOB NOT NULL, received_at INTEGER NOT NULL, PRIMARY KEY (program_key, seq)) WITHOUT ROWID;`;
db.exec(
	log +
		`CREATE TABLE recent (seq INTEGER PRIMARY KEY AUTOINCREMENT, program_id TEXT NOT NULL, data BLOB NOT NULL, received_at INTEGER NOT NULL, program_key INTEGER NOT NULL);
  CREATE INDEX recent_by_key ON recent (program_key, seq);
  CREATE TABLE large (seq INTEGER PRIMARY KEY, program_id TEXT NOT NULL, data BLOB NOT NULL, received_at INTEGER NOT NULL, program_key INTEGER NOT NULL);
  CREATE INDEX large_by_key ON large (program_key, seq);`
);
const ids = Array.from(
	{ length: PROGRAMS },
	(_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
);
const ins = db.prepare(
	'INSERT INTO recent (program_id, data, received_at, program_key) VALUES (?, ?, ?, ?)'
);
const commit = db.transaction((rows) => {
	for (const r of rows) ins.run(r[0], r[1], r[2], r[3]);
});
const moveIns = db.prepare(
	'INSERT INTO log (seq, program_id, data, received_at, program_key) SELECT seq, program_id, data, received_at, program_key FROM recent ORDER BY program_key, seq'
);
const moveDel = db.prepare('DELETE FROM recent');
const move = db.transaction(() => {
	moveIns.run();
	moveDel.run();
});
if (BIG > 0) {
	// The first syncs, numbered before any other row, in the log (or beside it: split).
	const first = db.prepare(
		`INSERT INTO ${kind === 'split' ? 'large' : 'log'} (seq, program_id, data, received_at, program_key) VALUES (?, ?, ?, 0, ?)`
	);
	const big = Buffer.alloc(BIG, 5);
	db.transaction(() => ids.forEach((id, k) => first.run(k + 1, id, big, k + 1)))();
	db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('recent', ?)").run(PROGRAMS);
}
const readRows = db.prepare(
	'SELECT seq, data FROM log WHERE program_key = ? UNION ALL SELECT seq, data FROM recent WHERE program_key = ? UNION ALL SELECT seq, data FROM large WHERE program_key = ? ORDER BY seq'
);
const delLarge = db.prepare('DELETE FROM large WHERE program_key = ? AND seq <= ?');
const delIn = (n) =>
	db.prepare(
		`DELETE FROM log WHERE ${kind === 'rowid' ? 'program_id = ?' : 'program_key = ?'} AND seq IN (${Array(n).fill('?').join(',')})`
	);
const delCache = new Map();
const delRange = db.prepare('DELETE FROM log WHERE program_key = ? AND seq <= ?');
const count = new Array(PROGRAMS).fill(0);
const threshold = Array.from({ length: PROGRAMS }, () => 500 + Math.floor(Math.random() * 250));
const cpu = { commit: 0, move: 0, compact: 0 };
let compactions = 0,
	maxCompactMs = 0;
const t = () => {
	const u = process.cpuUsage();
	return (u.user + u.system) / 1000;
};
const data = Buffer.alloc(60, 7);
let now = 0;
for (let s = 0; s < SECONDS; s++) {
	for (let c = 0; c < COMMITS_PER_S; c++) {
		const rows = [];
		for (let i = 0; i < RATE / COMMITS_PER_S; i++) {
			const k = Math.floor(Math.random() * PROGRAMS);
			rows.push([ids[k], data, now, k + 1]);
			count[k]++;
		}
		let a = t();
		commit(rows);
		cpu.commit += t() - a;
		for (let k = 0; k < PROGRAMS; k++)
			if (count[k] >= threshold[k]) {
				a = t();
				const w0 = performance.now();
				const r = readRows.all(k + 1, k + 1, k + 1);
				db.transaction(() => delLarge.run(k + 1, r[r.length - 1].seq))();
				if (rangeDelete && kind !== 'rowid') {
					db.transaction(() => delRange.run(k + 1, r[r.length - 1].seq))();
				} else
					for (let i = 0; i < r.length; i += 64) {
						const part = r.slice(i, i + 64);
						let st = delCache.get(part.length);
						if (!st) delCache.set(part.length, (st = delIn(part.length)));
						db.transaction(() =>
							st.run(kind === 'rowid' ? ids[k] : k + 1, ...part.map((x) => x.seq))
						)();
					}
				cpu.compact += t() - a;
				maxCompactMs = Math.max(maxCompactMs, performance.now() - w0);
				count[k] = 0;
				compactions++;
			}
		now += 100;
	}
	if (s % 5 === 4) {
		const a = t();
		move();
		cpu.move += t() - a;
	}
}
console.log(
	JSON.stringify({
		kind,
		rangeDelete,
		BIG,
		SECONDS,
		compactions,
		cpuMs: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round(v)])),
		perCompactionMs: +(cpu.compact / compactions).toFixed(2),
		maxCompactWallMs: Math.round(maxCompactMs)
	})
);
db.close();
rmSync(dir, { recursive: true });
