/**
 * Copies an SQLite data directory into an empty PostgreSQL database and verifies the copy
 * (`npm run cli -- migrate-storage`, docs/deploy.md).
 *
 * Copy: every table of migrations 1–30 in dependency order, in ONE PostgreSQL transaction (all
 * or nothing), rows in their original order with their original keys — log sequence numbers and
 * audit sequence numbers included; the identity sequences are moved past them. The curator index
 * tables are not copied: they are rebuilt from the copied summaries and sync facts
 * (curator-index.ts), and verification then compares them with SQLite's, column by column — which
 * checks the index and the sync aggregate on both databases against each other on real data.
 *
 * Verification (also alone: `--verify-only`): every table, row by row in primary-key order, every
 * column compared exactly (bytes for BYTEA/BLOB); then, per program, the merged document through
 * both DocumentStores byte for byte and the stored summary field for field.
 */
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { DECISIONS_SUFFIX } from '../../src/lib/shared/program/decisions.js';
import { mergeUpdatesInRuns } from '../../src/lib/shared/merge-updates.js';
import type { DocumentStore } from './document-store.js';
import { indexMissingEntries } from './curator-index.js';
import { withTransaction } from './postgres/database.js';
import { postgresClient } from './sql.js';
import type { SqliteDatabase } from './sqlite/database.js';
import { settleRecentLog } from './sqlite/recent-log.js';

interface TableSpec {
	name: string;
	/** Primary key columns (verification order). */
	key: string[];
	/** Copied (false: rebuilt by the target's triggers, only verified). */
	copy: boolean;
	/** Identity column whose sequence must move past the copied values. */
	identity?: string;
	/** Tables (copied before this one) whose `identity` values the same sequence drew. */
	identityAlso?: string[];
	/**
	 * Not compared row by row: rows that depend on the order or number of past writes (the index's
	 * appended counters, migration 130, which sum to the index's, compared; the registry's clocks,
	 * migration 158, which count changes, not content).
	 */
	unordered?: boolean;
}

/** In foreign-key order. */
export const TABLES: TableSpec[] = [
	{ name: 'server_meta', key: ['key'], copy: true },
	{ name: 'programs', key: ['id'], copy: true },
	{ name: 'program_log_keys', key: ['key'], copy: true, identity: 'key' },
	// SQLite's big log rows (migration 155), numbered by the log's sequence: before the log, whose
	// identity moves past them too.
	{ name: 'program_updates_large', key: ['seq'], copy: true },
	{
		name: 'program_updates',
		key: ['seq'],
		copy: true,
		identity: 'seq',
		identityAlso: ['program_updates_large']
	},
	// Empty: the copy first moves SQLite's recent rows to the log (sqlite/recent-log.ts).
	{ name: 'program_updates_recent', key: ['seq'], copy: true },
	{ name: 'program_state', key: ['program_id'], copy: true },
	{ name: 'program_client_owners', key: ['program_id', 'client_id'], copy: true },
	{ name: 'municipalities', key: ['id'], copy: true },
	{ name: 'organizations', key: ['id'], copy: true },
	{ name: 'people', key: ['id'], copy: true },
	{ name: 'role_assignments', key: ['id'], copy: true },
	{ name: 'consents', key: ['id'], copy: true },
	{ name: 'program_info', key: ['program_id'], copy: true },
	{ name: 'program_participants', key: ['program_id', 'person_id'], copy: true },
	{ name: 'pairs', key: ['id'], copy: true },
	{ name: 'invitations', key: ['id'], copy: true },
	{ name: 'sessions', key: ['id'], copy: true },
	{ name: 'credentials', key: ['person_id'], copy: true },
	{ name: 'access_tokens', key: ['id'], copy: true },
	{ name: 'audit_log', key: ['seq'], copy: true, identity: 'seq' },
	{ name: 'program_summaries', key: ['program_id'], copy: true },
	{ name: 'program_device_sync', key: ['program_id', 'user_id', 'device_id'], copy: true },
	{ name: 'curator_cases', key: ['id'], copy: true },
	{ name: 'orders', key: ['id'], copy: true },
	{ name: 'order_programs', key: ['order_id', 'program_id'], copy: true },
	{ name: 'curator_program_history', key: ['program_id', 'day'], copy: true },
	{
		name: 'scope_document_versions',
		key: ['scope_kind', 'scope_id', 'doc_kind', 'period_from', 'period_to', 'version'],
		copy: true
	},
	{ name: 'municipality_calendars', key: ['municipality_id'], copy: true },
	{ name: 'management_reserve', key: ['person_id'], copy: true },
	{ name: 'rollout_plans', key: ['id'], copy: true },
	{ name: 'rollout_steps', key: ['plan_id', 'step'], copy: true },
	// The curator's records (migration 75): creation requests, cancellations, merges, erasures.
	{ name: 'program_create_requests', key: ['actor_id', 'request_key'], copy: true },
	{ name: 'program_cancellations', key: ['program_id'], copy: true },
	{ name: 'person_merges', key: ['duplicate_id'], copy: true },
	{ name: 'person_erasures', key: ['person_id'], copy: true },
	// Attachments (migration 100); the bytes themselves are files or objects, copied by the operator.
	{ name: 'attachment_uploads', key: ['program_id', 'hash'], copy: true },
	{ name: 'attachment_blobs', key: ['hash'], copy: true },
	{ name: 'curator_program_index', key: ['program_id'], copy: false },
	{ name: 'curator_program_search', key: ['program_id'], copy: false },
	{ name: 'curator_program_users', key: ['program_id', 'user_id'], copy: false },
	// Filled by the index's triggers as the index is rebuilt (migration 130).
	{ name: 'curator_index_counts', key: ['organization_id'], copy: false, unordered: true },
	// Filled by the index's triggers as the index is rebuilt (migration 150).
	{ name: 'curator_program_totals', key: ['program_id'], copy: false },
	// Filled by the totals' and the search texts' triggers as the index is rebuilt (migration 151).
	{ name: 'curator_search_totals', key: ['program_id'], copy: false },
	// Filled by the index's triggers as the index is rebuilt (migration 157).
	{ name: 'curator_org_people', key: ['organization_id', 'role', 'person_id'], copy: false },
	// Appended by the people rows' triggers as they are filled (migration 161).
	{ name: 'curator_org_people_counts', key: ['organization_id'], copy: false, unordered: true },
	// Moved by the registry's triggers as it is copied (migration 158).
	{ name: 'curator_registry_clock', key: ['organization_id'], copy: false, unordered: true }
];

const BATCH = 500;
/** PostgreSQL's limit is 65535 parameters per statement. */
const MAX_PARAMS = 60_000;

/** The tables of TABLES this SQLite database has (older schemas may lack later ones). */
function tablesOf(db: SqliteDatabase): TableSpec[] {
	const present = new Set(
		db
			.prepare(
				"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'"
			)
			.pluck()
			.all() as string[]
	);
	const unknown = [...present].filter((t) => !TABLES.some((x) => x.name === t));
	// A table added by a later migration must be listed above, or it would silently not move.
	if (unknown.length > 0)
		throw new Error(
			`migrate-storage does not know the table(s) ${unknown.join(', ')}: add them to TABLES`
		);
	return TABLES.filter((t) => present.has(t.name));
}

function columnsOf(db: SqliteDatabase, table: string): string[] {
	return (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map(
		(c) => c.name
	);
}

/** The columns declared INTEGER (a collation on them is an error in PostgreSQL). */
function integerColumnsOf(db: SqliteDatabase, table: string): Set<string> {
	const cols = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{
		name: string;
		type: string;
	}>;
	return new Set(cols.filter((c) => /INT/i.test(c.type)).map((c) => c.name));
}

export interface MigrateReport {
	tables: Array<{ table: string; sqlite: number; postgres: number; copied: boolean }>;
	programs: number;
	documentsCompared: number;
	summariesCompared: number;
	mismatches: string[];
	ms: number;
}

export interface MigrateOptions {
	/** Progress lines (the CLI prints them). */
	log?: (line: string) => void;
	/** Copy into a database that already has rows (default: refuse). */
	allowNonEmpty?: boolean;
	/** Only verify (after an earlier copy). */
	verifyOnly?: boolean;
	/** Stop listing mismatches after this many. */
	maxMismatches?: number;
}

export async function copySqliteToPostgres(
	sqlite: SqliteDatabase,
	pool: pg.Pool,
	options: MigrateOptions = {}
): Promise<Array<{ table: string; rows: number }>> {
	const log = options.log ?? (() => undefined);
	// PostgreSQL appends to the log itself and never moves a recent table: the log gets every row.
	settleRecentLog(sqlite);
	const tables = tablesOf(sqlite);
	if (!options.allowNonEmpty) {
		for (const t of tables) {
			const r = await pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${t.name}`);
			if ((r.rows[0]?.n ?? 0) > 0)
				throw new Error(
					`target database is not empty (${t.name} has rows): migrate-storage copies into a fresh database`
				);
		}
	}
	const copied: Array<{ table: string; rows: number }> = [];
	await withTransaction(pool, async (client) => {
		for (const t of tables) {
			if (!t.copy) continue;
			const cols = columnsOf(sqlite, t.name);
			const quoted = cols.map((c) => `"${c}"`).join(', ');
			const perBatch = Math.max(1, Math.min(BATCH, Math.floor(MAX_PARAMS / cols.length)));
			const select = sqlite.prepare(
				`SELECT ${quoted} FROM ${t.name} ORDER BY ${t.key.map((k) => `"${k}"`).join(', ')}`
			);
			let n = 0;
			let batch: unknown[][] = [];
			const flush = async () => {
				if (batch.length === 0) return;
				const params: unknown[] = [];
				const values = batch
					.map(
						(row) =>
							`(${row.map((v) => {
								params.push(v);
								return `$${params.length}`;
							})})`
					)
					.join(', ');
				await client.query(
					`INSERT INTO ${t.name} (${quoted}) OVERRIDING SYSTEM VALUE VALUES ${values}`,
					params
				);
				n += batch.length;
				batch = [];
			};
			for (const row of select.raw().iterate() as Iterable<unknown[]>) {
				batch.push(row);
				if (batch.length >= perBatch) await flush();
			}
			await flush();
			if (t.identity) {
				const numbered = [t.name, ...(t.identityAlso ?? [])];
				await client.query(
					`SELECT setval(pg_get_serial_sequence('${t.name}', '${t.identity}'),
					   GREATEST(${numbered.map((n) => `(SELECT max(${t.identity}) FROM ${n})`).join(', ')}, 1),
					   ${numbered.map((n) => `(SELECT count(*) > 0 FROM ${n})`).join(' OR ')})`
				);
			}
			copied.push({ table: t.name, rows: n });
			log(`copied ${t.name}: ${n} rows`);
		}
	});
	const indexed = await indexMissingEntries(postgresClient(pool));
	log(`indexed ${indexed} summaries for the curator dashboard`);
	return copied;
}

function sameValue(a: unknown, b: unknown): boolean {
	if (a === b) return true;
	if (a === null || b === null || a === undefined || b === undefined) return false;
	if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
	if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
	if (typeof a === 'bigint' || typeof b === 'bigint') return String(a) === String(b);
	return false;
}

/** Compares every table row by row and every document and summary through the stores. */
export async function verifyCopy(
	sqlite: SqliteDatabase,
	pool: pg.Pool,
	stores: { sqlite: DocumentStore; postgres: DocumentStore },
	options: MigrateOptions = {}
): Promise<Omit<MigrateReport, 'ms'>> {
	const log = options.log ?? (() => undefined);
	const max = options.maxMismatches ?? 50;
	const mismatches: string[] = [];
	const miss = (m: string) => {
		if (mismatches.length < max) mismatches.push(m);
	};
	const tables: MigrateReport['tables'] = [];
	for (const t of tablesOf(sqlite)) {
		if (t.unordered) continue;
		const cols = columnsOf(sqlite, t.name);
		const quoted = cols.map((c) => `"${c}"`).join(', ');
		const orderSqlite = t.key.map((k) => `"${k}"`).join(', ');
		// Integer keys sort numerically in both; text keys in byte order (SQLite BINARY = "C").
		const numeric = integerColumnsOf(sqlite, t.name);
		const orderPg = t.key.map((k) => (numeric.has(k) ? `"${k}"` : `"${k}" COLLATE "C"`)).join(', ');
		const left = sqlite
			.prepare(`SELECT ${quoted} FROM ${t.name} ORDER BY ${orderSqlite}`)
			.raw()
			.iterate() as IterableIterator<unknown[]>;
		let sqliteCount = 0;
		let pgCount = 0;
		let offset = 0;
		for (;;) {
			const r = await pool.query({
				text: `SELECT ${quoted} FROM ${t.name} ORDER BY ${orderPg} LIMIT ${BATCH * 4} OFFSET ${offset}`,
				rowMode: 'array'
			});
			const rows = r.rows as unknown[][];
			for (const right of rows) {
				pgCount++;
				const next = left.next();
				if (next.done) {
					miss(`${t.name}: extra row in PostgreSQL ${JSON.stringify(right.slice(0, 2))}`);
					continue;
				}
				sqliteCount++;
				const l = next.value;
				for (let i = 0; i < cols.length; i++) {
					if (!sameValue(l[i], right[i])) {
						const key = t.key.map((k) => String(l[cols.indexOf(k)])).join('/');
						miss(
							`${t.name} ${key}: ${cols[i]} differs (sqlite ${preview(l[i])}, postgres ${preview(right[i])})`
						);
					}
				}
			}
			offset += rows.length;
			if (rows.length < BATCH * 4) break;
		}
		for (let next = left.next(); !next.done; next = left.next()) {
			sqliteCount++;
			miss(`${t.name}: row missing in PostgreSQL ${JSON.stringify(next.value.slice(0, 2))}`);
		}
		tables.push({ table: t.name, sqlite: sqliteCount, postgres: pgCount, copied: t.copy });
		log(`verified ${t.name}: ${sqliteCount} rows in SQLite, ${pgCount} in PostgreSQL`);
	}

	const programIds = sqlite
		.prepare('SELECT id FROM programs ORDER BY id')
		.pluck()
		.all() as string[];
	let documentsCompared = 0;
	let summariesCompared = 0;
	const merged = (d: Awaited<ReturnType<DocumentStore['load']>>) =>
		Buffer.from(mergeUpdatesInRuns([...(d.state ? [d.state] : []), ...d.updates]));
	for (const id of programIds) {
		const [a, b] = await Promise.all([stores.sqlite.load(id), stores.postgres.load(id)]);
		if (!merged(a).equals(merged(b))) miss(`program ${id}: merged document differs`);
		if (a.lastSeq !== b.lastSeq) miss(`program ${id}: last sequence ${a.lastSeq} vs ${b.lastSeq}`);
		documentsCompared++;
		const [sa, sb] = await Promise.all([
			stores.sqlite.getSummary(id),
			stores.postgres.getSummary(id)
		]);
		if (!isDeepStrictEqual(sa, sb)) miss(`program ${id}: summary differs`);
		if (sa) summariesCompared++;
	}
	log(
		`verified ${documentsCompared} documents (merged bytes) and ${summariesCompared} summaries (fields)`
	);
	return {
		tables,
		// A program's decisions document is a row of `programs` too, compared as a document but not
		// counted as a program of its own.
		programs: programIds.filter((id) => !id.endsWith(DECISIONS_SUFFIX)).length,
		documentsCompared,
		summariesCompared,
		mismatches
	};
}

function preview(v: unknown): string {
	if (Buffer.isBuffer(v)) return `<${v.length} bytes>`;
	const s = JSON.stringify(v) ?? String(v);
	return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
