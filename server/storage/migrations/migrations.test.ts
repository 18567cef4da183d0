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

interface Schema {
	/** table → column → declared type */
	tables: Map<string, Map<string, string>>;
	/** ALTER TABLE … ADD COLUMN: [table, column, declared type] */
	addedColumns: [string, string, string][];
	indexes: Set<string>;
	droppedTables: Set<string>;
	droppedIndexes: Set<string>;
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

function parseSchema(sql: string): Schema {
	const tables = new Map<string, Map<string, string>>();
	for (const [table = '', body = ''] of captures(
		sql,
		/CREATE TABLE (\w+) \(([\s\S]*?)\n\s*\)\s*(?:STRICT)?\s*;/g
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
	return {
		tables,
		addedColumns,
		indexes: firstGroups(/CREATE (?:UNIQUE )?INDEX (\w+)/g),
		droppedTables: firstGroups(/DROP TABLE (?:IF EXISTS )?(\w+)/g),
		droppedIndexes: firstGroups(/DROP INDEX (?:IF EXISTS )?(\w+)/g)
	};
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
		for (const sqliteMigration of sqliteMigrations) {
			const lite = parseSchema(sqliteMigration.sql);
			const pg = parseSchema(postgres.get(sqliteMigration.version)!.sql);
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
			// But for a region's dashboard on PostgreSQL (trigram search, an index per sort key).
			expect(
				[...pg.indexes].filter(
					(name) => !POSTGRES_ONLY_INDEXES[sqliteMigration.version]?.has(name)
				),
				where
			).toEqual([...lite.indexes]);
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
		const strictTables = sqliteMigrations.flatMap((m) => [...m.sql.matchAll(/\)\s*STRICT;/g)]);
		const allTables = sqliteMigrations.flatMap((m) => [...m.sql.matchAll(/CREATE TABLE /g)]);
		expect(strictTables.length).toBe(allTables.length);
	});

	it('are parsed completely: the parsed SQLite schema is the one a fresh database ends with', () => {
		const db = new Database(':memory:');
		try {
			migrate(db, sqliteMigrations);
			const parsed = new Map<string, Map<string, string>>();
			const indexes = new Set<string>();
			for (const m of sqliteMigrations) {
				const schema = parseSchema(m.sql);
				for (const [table, columns] of schema.tables) parsed.set(table, columns);
				for (const [table, column, type] of schema.addedColumns)
					parsed.get(table)!.set(column, type);
				for (const index of schema.indexes) indexes.add(index);
				for (const table of schema.droppedTables) parsed.delete(table);
				for (const index of schema.droppedIndexes) indexes.delete(index);
			}
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
			expect(actualIndexes).toEqual([...indexes].sort());
		} finally {
			db.close();
		}
	});
});
