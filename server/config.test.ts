import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_TABLE_END, CONFIG_TABLE_START, tableRows } from './config-docs';
import { ConfigError, configTable, configVariables, loadConfig } from './config';
import { DEFAULT_RELAY_CONFIG } from './sync/config';

describe('configuration schema', () => {
	it('gives the defaults for an empty environment', () => {
		const config = loadConfig({}, '/srv/app');
		expect(config.port).toBe(3000);
		expect(config.host).toBe('127.0.0.1');
		expect(config.dataDir).toBe(path.resolve('/srv/app', 'data'));
		expect(config.clientDir).toBe(path.resolve('/srv/app', 'build/client'));
		expect(config.databaseUrl).toBeNull();
		expect(config.redisUrl).toBeNull();
		expect(config.pgPoolSize).toBe(10);
		expect(config.pgParallelWorkers).toBe(0);
		expect(config.clusterPrefix).toBe('nst');
		expect(config.logLevel).toBe('info');
		expect(config.serverSecret).toBeNull();
		expect(config.curatorStaleDays).toBe(7);
		expect(config.relay).toEqual(DEFAULT_RELAY_CONFIG);
	});

	it('reads every variable', () => {
		const config = loadConfig(
			{
				PORT: '8080',
				HOST: '0.0.0.0',
				DATA_DIR: '/var/lib/n',
				DATABASE_URL: 'postgres://u:p@db:5432/n',
				REDIS_URL: 'rediss://cache:6380',
				PG_POOL_SIZE: '4',
				PG_PARALLEL_WORKERS: '2',
				CLUSTER_PREFIX: 'school',
				LOG_LEVEL: 'debug',
				PUBLIC_URL: 'https://nastavnik.example.ru',
				SERVER_SECRET: 'x'.repeat(32),
				CURATOR_STALE_DAYS: '14',
				RELAY_WRITER_THREAD: '1',
				RELAY_IDLE_UNLOAD_MS: '250'
			},
			'/srv/app'
		);
		expect(config).toMatchObject({
			port: 8080,
			host: '0.0.0.0',
			dataDir: '/var/lib/n',
			databaseUrl: 'postgres://u:p@db:5432/n',
			redisUrl: 'rediss://cache:6380',
			pgPoolSize: 4,
			pgParallelWorkers: 2,
			clusterPrefix: 'school',
			logLevel: 'debug',
			publicUrl: 'https://nastavnik.example.ru',
			serverSecret: 'x'.repeat(32),
			curatorStaleDays: 14
		});
		expect(config.relay.writerThread).toBe(1);
		expect(config.relay.idleUnloadMs).toBe(250);
		expect(config.relay.maxMessageBytes).toBe(DEFAULT_RELAY_CONFIG.maxMessageBytes);
	});

	it('treats an empty value as unset', () => {
		expect(loadConfig({ PORT: '', LOG_LEVEL: '', SERVER_SECRET: '' }).port).toBe(3000);
	});

	it('is frozen, the relay part too', () => {
		const config = loadConfig({});
		expect(Object.isFrozen(config)).toBe(true);
		expect(Object.isFrozen(config.relay)).toBe(true);
	});

	it.each([
		[{ PORT: 'abc' }, 'PORT must be an integer 0–65535, got "abc"'],
		[{ PORT: '70000' }, 'PORT must be an integer 0–65535, got "70000"'],
		[{ PORT: '3.5' }, 'PORT must be an integer 0–65535, got "3.5"'],
		[
			{ LOG_LEVEL: 'loud' },
			'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"'
		],
		[
			{ DATABASE_URL: 'mysql://x' },
			'DATABASE_URL must be a URL starting with postgres:// or postgresql://, got "mysql://x"'
		],
		[
			{ REDIS_URL: 'not a url' },
			'REDIS_URL must be a URL starting with redis:// or rediss://, got "not a url"'
		],
		[
			{ PUBLIC_URL: 'ftp://x' },
			'PUBLIC_URL must be a URL starting with http:// or https://, got "ftp://x"'
		],
		[{ PG_POOL_SIZE: '0' }, 'PG_POOL_SIZE must be an integer 1–1000, got "0"'],
		[{ PG_PARALLEL_WORKERS: '-1' }, 'PG_PARALLEL_WORKERS must be an integer 0–64, got "-1"'],
		[{ CURATOR_STALE_DAYS: '-1' }, 'CURATOR_STALE_DAYS must be an integer 1–365, got "-1"'],
		[{ RELAY_WRITER_THREAD: 'yes' }, 'RELAY_WRITER_THREAD must be an integer 0–1, got "yes"'],
		[{ RELAY_IDLE_UNLOAD_MS: '-5' }, 'RELAY_IDLE_UNLOAD_MS must be an integer ≥ 0, got "-5"'],
		[{ SERVER_SECRET: 'short' }, 'SERVER_SECRET must be at least 32 characters, got 5']
	])('names the variable, the value and what is expected: %o', (env, message) => {
		expect(() => loadConfig(env)).toThrow(ConfigError);
		expect(() => loadConfig(env)).toThrow(message);
	});

	it('never shows a secret in its error', () => {
		const secret = 'short-secret';
		expect(() => loadConfig({ SERVER_SECRET: secret })).toThrow(/got 12$/);
		try {
			loadConfig({ SERVER_SECRET: secret });
		} catch (error) {
			expect(String(error)).not.toContain(secret);
		}
	});

	it('documents every variable once, in docs/deploy.md (npm run docs:config)', () => {
		const names = configVariables().map((v) => v.name);
		expect(new Set(names).size).toBe(names.length);
		const docs = readFileSync(new URL('../docs/deploy.md', import.meta.url), 'utf8');
		const start = docs.indexOf(CONFIG_TABLE_START);
		const end = docs.indexOf(CONFIG_TABLE_END);
		expect(start, 'docs/deploy.md has the configuration table markers').toBeGreaterThan(-1);
		expect(tableRows(docs.slice(start, end))).toEqual(tableRows(configTable()));
	});
});
