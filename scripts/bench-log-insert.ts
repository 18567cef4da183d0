/**
 * What one relay commit's INSERT costs a row on SQLite, with the program's log number looked up
 * in the statement or given (issue 18; docs/benchmarks.md, "A quarter less allocated per
 * update"). The real schema and pragmas (`openDatabase`), 5,000 programs, 300 commits of 256
 * rows at random programs, 60-byte updates. Usage: `npx tsx scripts/bench-log-insert.ts
 * [mode…]`, a mode `sub|coalesce|given` and `:fk|:nofk` (default: each with foreign keys, twice).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { APPENDED_LOG_KEY, LOG_KEY } from '../server/storage/sql-document-store.js';
import { openDatabase } from '../server/storage/sqlite/database.js';

const PROGRAMS = 5_000;
const ROWS = 256;
const COMMITS = 300;
/**
 * A row's values: the number looked up (as before), the store's own (given, the lookup as its
 * fallback), the number alone.
 */
const VALUES: Record<string, string> = {
	sub: `(?, ${LOG_KEY}, ?, ?)`,
	coalesce: `(?, ${APPENDED_LOG_KEY}, ?, ?)`,
	given: '(?, ?, ?, ?)'
};

const dir = mkdtempSync(path.join(tmpdir(), 'bench-log-insert-'));
const db = openDatabase(dir);
const ids = Array.from({ length: PROGRAMS }, () => randomUUID());
const addProgram = db.prepare(
	'INSERT INTO programs (id, organization_id, created_at) VALUES (?, NULL, ?)'
);
const addKey = db.prepare('INSERT INTO program_log_keys (program_id) VALUES (?) RETURNING key');
const keys = new Map<string, number>();
db.transaction(() => {
	for (const id of ids) {
		addProgram.run(id, new Date().toISOString());
		keys.set(id, (addKey.get(id) as { key: number }).key);
	}
})();
const data = Buffer.alloc(60, 7);
const modes = process.argv.slice(2);
for (const mode of modes.length
	? modes
	: ['sub:fk', 'coalesce:fk', 'given:fk', 'sub:fk', 'coalesce:fk', 'given:fk']) {
	const [kind = 'sub', fk = 'fk'] = mode.split(':');
	const values = VALUES[kind];
	if (!values) throw new Error(`unknown mode ${mode}`);
	db.pragma(`foreign_keys = ${fk === 'fk' ? 'ON' : 'OFF'}`);
	const insert = db.prepare(
		`INSERT INTO program_updates_recent (program_id, program_key, data, received_at)
		 VALUES ${Array(ROWS).fill(values).join(', ')} RETURNING seq`
	);
	const cpu0 = process.cpuUsage();
	for (let c = 0; c < COMMITS; c++) {
		const params: unknown[] = [];
		for (let i = 0; i < ROWS; i++) {
			const id = ids[Math.floor(Math.random() * PROGRAMS)] as string;
			if (kind === 'sub') params.push(id, id, data, Date.now());
			else if (kind === 'coalesce') params.push(id, keys.get(id), id, data, Date.now());
			else params.push(id, keys.get(id), data, Date.now());
		}
		db.transaction(() => insert.all(...params))();
		// The mover empties the recent table every few seconds.
		if (c % 20 === 19) db.exec('DELETE FROM program_updates_recent');
	}
	const cpu = process.cpuUsage(cpu0);
	console.log(
		`${mode}: ${((cpu.user + cpu.system) / COMMITS / ROWS).toFixed(2)} µs of CPU a row (fsync included)`
	);
}
db.close();
rmSync(dir, { recursive: true, force: true });
