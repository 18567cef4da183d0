import path from 'node:path';

/** Everything the server reads from its environment, validated once at start-up. */
export interface ServerConfig {
	port: number;
	host: string;
	/** Directory for the SQLite file and the server secret. */
	dataDir: string;
	/** Built PWA (adapter-static output); the server serves it as static files. */
	clientDir: string;
	/** PostgreSQL connection string; when set, replaces SQLite (multi-instance deployments). */
	databaseUrl: string | null;
	/** Redis connection string; when set, fans out updates between relay instances. */
	redisUrl: string | null;
	logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
	/** Public origin used in invitation links, e.g. https://nastavnik.example.ru */
	publicUrl: string | null;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function parsePort(value: string | undefined, fallback: number): number {
	if (value === undefined || value === '') return fallback;
	const port = Number(value);
	if (!Number.isInteger(port) || port < 0 || port > 65535) {
		throw new ConfigError(`PORT must be an integer between 0 and 65535, got "${value}"`);
	}
	return port;
}

function parseUrl(name: string, value: string | undefined, protocols: string[]): string | null {
	if (value === undefined || value === '') return null;
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw new ConfigError(`${name} is not a valid URL`);
	}
	if (!protocols.includes(url.protocol)) {
		throw new ConfigError(`${name} must use one of ${protocols.join(', ')}, got ${url.protocol}`);
	}
	return value;
}

export function loadConfig(
	env: NodeJS.ProcessEnv = process.env,
	cwd: string = process.cwd()
): ServerConfig {
	const logLevel = (env.LOG_LEVEL ?? 'info') as ServerConfig['logLevel'];
	if (!LOG_LEVELS.includes(logLevel)) {
		throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
	}
	return {
		port: parsePort(env.PORT, 3000),
		host: env.HOST || '127.0.0.1',
		dataDir: path.resolve(cwd, env.DATA_DIR || './data'),
		clientDir: path.resolve(cwd, env.CLIENT_DIR || './build/client'),
		databaseUrl: parseUrl('DATABASE_URL', env.DATABASE_URL, ['postgres:', 'postgresql:']),
		redisUrl: parseUrl('REDIS_URL', env.REDIS_URL, ['redis:', 'rediss:']),
		logLevel,
		publicUrl: parseUrl('PUBLIC_URL', env.PUBLIC_URL, ['http:', 'https:'])
	};
}
