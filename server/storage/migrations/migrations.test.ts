import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate } from '../sqlite/database.js';
import { migrations as postgresMigrations } from '../postgres/migrations.js';
import { POSTGRES_ONLY_INDEXES } from '../postgres/curator-counts.js';
import { migrations as sqliteMigrations } from '../sqlite/migrations.js';
import type { Migration } from './index.js';

/**
 * Both dialects of every migration, rendered: a migration added later cannot give the two stores
 * different tables, columns or indexes (rows are copied one to one by `migrate-storage`).
 */

/** The shipped migrations: databases in the field have applied them by number and name. */
const SHIPPED: [number, string][] = [
	[1, 'server meta'],
	[10, 'relay: programs registry, update log, compacted state, summaries, device sync facts'],
	[11, 'relay: owners of Yjs client ids'],
	[
		20,
		'identity: municipalities, organizations, people, roles, consents, participants, invitations, sessions, audit'
	],
	[30, 'curator: program index, sync aggregate, cases registry'],
	[31, 'curator: index written by the store, not by triggers'],
	[32, 'scopes: time zone of municipalities and organizations'],
	[50, 'identity: access tokens by id'],
	[60, 'authority: orders and their programs, consent kinds']
];

/** SQLite column type → PostgreSQL column type (server/storage/migrations/dialect.ts). */
const TYPE_MAP: Record<string, string> = {
	TEXT: 'TEXT',
	INTEGER: 'BIGINT',
	REAL: 'DOUBLE PRECISION',
	BLOB: 'BYTEA'
};

/** What one migration's text does to the schema, as parsed from it. */
interface Delta {
	/** table → column → declared type */
	tables: Map<string, Map<string, string>>;
	/** ALTER TABLE … ADD COLUMN: [table, column, declared type] */
	addedColumns: [string, string, string][];
	/** index → its table */
	indexes: Map<string, string>;
	droppedTables: Set<string>;
	droppedIndexes: Set<string>;
	/**
	 * Tables rebuilt in place (SQLite changes a table's layout so: CREATE TABLE new; copy; DROP
	 * TABLE old; ALTER TABLE new RENAME TO old): table → its new columns. Not in `tables` or
	 * `droppedTables`; the old table's indexes go with it.
	 */
	rebuiltTables: Map<string, Map<string, string>>;
}

/** A schema: its tables' columns in order, its indexes and their tables. */
interface Schema {
	tables: Map<string, Map<string, string>>;
	indexes: Map<string, string>;
}

const CONSTRAINT_START =
	/\s+(PRIMARY|NOT|NULL|REFERENCES|DEFAULT|UNIQUE|GENERATED|CHECK|COLLATE)\b.*$/;

/** The columns of CREATE TABLE bodies written one definition a line, as all migrations are. */
function parseColumns(body: string): Map<string, string> {
	const columns = new Map<string, string>();
	for (const raw of body.split('\n')) {
		const line = raw.replace(/--.*$/, '').trim().replace(/,$/, '');
		if (!line || /^(PRIMARY KEY|UNIQUE|FOREIGN KEY|CHECK|CONSTRAINT)\b/.test(line)) continue;
		const [name = '', ...rest] = line.split(/\s+/);
		columns.set(name, rest.join(' ').replace(CONSTRAINT_START, '').trim());
	}
	return columns;
}

/** The capture groups of every match of `re` in `sql`. */
const captures = (sql: string, re: RegExp): string[][] =>
	[...sql.matchAll(re)].map((m) => m.slice(1).map((group) => group ?? ''));

function parseDelta(sql: string): Delta {
	const tables = new Map<string, Map<string, string>>();
	for (const [table = '', body = ''] of captures(
		sql,
		/CREATE TABLE (\w+) \(([\s\S]*?)\n\s*\)\s*(?:STRICT)?(?:,\s*WITHOUT ROWID)?\s*;/g
	))
		tables.set(table, parseColumns(body));
	const addedColumns = captures(sql, /ALTER TABLE (\w+) ADD COLUMN (\w+) ([^;]+);/g).map(
		([table = '', column = '', type = '']): [string, string, string] => [
			table,
			column,
			type.replace(CONSTRAINT_START, '').trim()
		]
	);
	const firstGroups = (re: RegExp) => new Set(captures(sql, re).map(([name = '']) => name));
	const droppedTables = firstGroups(/DROP TABLE (?:IF EXISTS )?(\w+)/g);
	const rebuiltTables = new Map<string, Map<string, string>>();
	for (const [from = '', to = ''] of captures(sql, /ALTER TABLE (\w+) RENAME TO (\w+)/g)) {
		expect(droppedTables.has(to) && tables.has(from), `${from} renamed to ${to}`).toBe(true);
		rebuiltTables.set(to, tables.get(from)!);
		tables.delete(from);
		droppedTables.delete(to);
	}
	return {
		tables,
		addedColumns,
		indexes: new Map(
			captures(sql, /CREATE (?:UNIQUE )?INDEX (\w+)\s+ON (\w+)/g).map(
				([index = '', table = '']): [string, string] => [index, table]
			)
		),
		droppedTables,
		droppedIndexes: firstGroups(/DROP INDEX (?:IF EXISTS )?(\w+)/g),
		rebuiltTables
	};
}

/** The schema after `migrations`, by their parsed texts. */
function schemaAfter(migrations: Migration[]): Schema {
	const tables = new Map<string, Map<string, string>>();
	const indexes = new Map<string, string>();
	const dropIndexesOf = (table: string) => {
		for (const [index, on] of indexes) if (on === table) indexes.delete(index);
	};
	for (const m of migrations) {
		const delta = parseDelta(m.sql);
		for (const [table, columns] of delta.tables) tables.set(table, new Map(columns));
		for (const [table, column, type] of delta.addedColumns) tables.get(table)!.set(column, type);
		for (const [table, columns] of delta.rebuiltTables) {
			dropIndexesOf(table);
			tables.set(table, new Map(columns));
		}
		for (const [index, table] of delta.indexes) indexes.set(index, table);
		for (const table of delta.droppedTables) {
			tables.delete(table);
			dropIndexesOf(table);
		}
		for (const index of delta.droppedIndexes) indexes.delete(index);
	}
	return { tables, indexes };
}

const byVersion = (list: Migration[]) => new Map(list.map((m) => [m.version, m]));

describe('migrations in both dialects', () => {
	it('keep the shipped versions, names and order, and list the same migrations', () => {
		const list = (ms: Migration[]) => ms.map((m) => [m.version, m.name]);
		expect(list(sqliteMigrations).slice(0, SHIPPED.length)).toEqual(SHIPPED);
		expect(list(postgresMigrations)).toEqual(list(sqliteMigrations));
		const versions = sqliteMigrations.map((m) => m.version);
		expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
	});

	it('create the same tables, columns (with mapped types) and indexes, migration by migration', () => {
		const postgres = byVersion(postgresMigrations);
		for (const [i, sqliteMigration] of sqliteMigrations.entries()) {
			const lite = parseDelta(sqliteMigration.sql);
			const pg = parseDelta(postgres.get(sqliteMigration.version)!.sql);
			const where = `migration ${sqliteMigration.version}`;
			expect([...pg.tables.keys()], where).toEqual([...lite.tables.keys()]);
			for (const [table, columns] of lite.tables) {
				const pgColumns = pg.tables.get(table)!;
				expect([...pgColumns.keys()], `${where}, ${table}`).toEqual([...columns.keys()]);
				for (const [column, type] of columns) {
					// INTEGER PRIMARY KEY AUTOINCREMENT ↔ BIGINT GENERATED … AS IDENTITY: both INTEGER.
					expect(TYPE_MAP[type], `${where}, ${table}.${column}: ${type}`).toBeDefined();
					expect(pgColumns.get(column), `${where}, ${table}.${column}`).toBe(TYPE_MAP[type]);
				}
			}
			expect(pg.addedColumns, where).toEqual(
				lite.addedColumns.map(([table, column, type]) => [table, column, TYPE_MAP[type]])
			);
			// A table SQLite rebuilds in place (another layout) keeps its columns as they were.
			const before = schemaAfter(sqliteMigrations.slice(0, i));
			for (const [table, columns] of lite.rebuiltTables)
				expect([...columns], `${where}, ${table} rebuilt`).toEqual([...before.tables.get(table)!]);
			// But for a region's dashboard on PostgreSQL (trigram search, an index per sort key).
			expect(
				[...pg.indexes.keys()].filter(
					(name) => !POSTGRES_ONLY_INDEXES[sqliteMigration.version]?.has(name)
				),
				where
			).toEqual([...lite.indexes.keys()]);
			expect([...pg.droppedTables], where).toEqual([...lite.droppedTables]);
			// PostgreSQL also drops indexes of its own (replaced dashboard indexes).
			for (const index of lite.droppedIndexes) expect(pg.droppedIndexes, where).toContain(index);
		}
	});

	it('write each dialect only in its own words', () => {
		for (const m of sqliteMigrations)
			expect(m.sql, `migration ${m.version}`).not.toMatch(
				/\b(BIGINT|BYTEA|DOUBLE PRECISION|IDENTITY)\b/
			);
		for (const m of postgresMigrations) {
			const tableDefinitions = [...m.sql.matchAll(/CREATE TABLE \w+ \([\s\S]*?\n\s*\)[^;]*;/g)]
				.map((t) => t[0])
				.join('\n');
			expect(tableDefinitions, `migration ${m.version}`).not.toMatch(
				/\b(INTEGER|REAL|BLOB|AUTOINCREMENT|STRICT)\b/
			);
		}
		const strictTables = sqliteMigrations.flatMap((m) => [
			...m.sql.matchAll(/\)\s*STRICT(?:, WITHOUT ROWID)?;/g)
		]);
		const allTables = sqliteMigrations.flatMap((m) => [...m.sql.matchAll(/CREATE TABLE /g)]);
		expect(strictTables.length).toBe(allTables.length);
	});

	it('are parsed completely: the parsed SQLite schema is the one a fresh database ends with', () => {
		const db = new Database(':memory:');
		try {
			migrate(db, sqliteMigrations);
			const { tables: parsed, indexes } = schemaAfter(sqliteMigrations);
			const actualTables = db
				.prepare(
					`SELECT name FROM sqlite_master WHERE type = 'table'
						AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`
				)
				.pluck()
				.all() as string[];
			expect(actualTables).toEqual([...parsed.keys()].sort());
			for (const table of actualTables) {
				const columns = db.prepare(`PRAGMA table_info(${table})`).all() as {
					name: string;
					type: string;
				}[];
				expect(
					columns.map((c) => [c.name, c.type]),
					table
				).toEqual([...parsed.get(table)!]);
			}
			const actualIndexes = db
				.prepare(
					`SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`
				)
				.pluck()
				.all() as string[];
			expect(actualIndexes).toEqual([...indexes.keys()].sort());
		} finally {
			db.close();
		}
	});
});
