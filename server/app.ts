import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import type { ServerConfig } from './config.js';
import { registerHealthRoutes } from './http/health.js';
import { registerStaticClient } from './http/static-client.js';
import { safeUrl, type Logger } from './logger.js';
import { createMetricsRegistry } from './metrics.js';
import { openDatabase, schemaVersion, type SqliteDatabase } from './storage/sqlite/database.js';
import { readVersion } from './version.js';

export interface NastavnikServer {
	app: FastifyInstance;
	db: SqliteDatabase;
	metrics: Registry;
	/** Starts listening; resolves with the bound port (useful with PORT=0 in tests). */
	listen(): Promise<number>;
	/** Graceful shutdown: stop accepting, flush storage, close sockets, close the database. */
	close(): Promise<void>;
}

/** Builds the all-in-one server: the PWA, the HTTP API under /api and the relay under /sync. */
export async function createServer(config: ServerConfig, logger: Logger): Promise<NastavnikServer> {
	const version = readVersion();
	const startedAt = Date.now();
	const db = openDatabase(config.dataDir);
	const metrics = createMetricsRegistry();

	const app = Fastify({
		// Fastify's own logger type is the narrower pino interface it needs.
		loggerInstance: logger as FastifyBaseLogger,
		bodyLimit: 1024 * 1024,
		trustProxy: true,
		requestIdHeader: false
	});
	registerHealthRoutes(
		app,
		{
			version,
			startedAt,
			storageOk: () => db.prepare('SELECT 1').pluck().get() === 1,
			schemaVersion: () => schemaVersion(db)
		},
		metrics
	);

	await app.register(
		async (api) => {
			api.get('/', async () => ({ name: 'nastavnik', version }));
		},
		{ prefix: '/api' }
	);

	await registerStaticClient(app, config.clientDir);

	const onUpgrade = (request: IncomingMessage, socket: Duplex) => {
		// The relay takes over /sync/<programId> upgrades; nothing else speaks websocket.
		logger.warn({ path: safeUrl(request.url) }, 'websocket upgrade to an unknown path');
		socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
	};
	app.server.on('upgrade', onUpgrade);

	let closing: Promise<void> | null = null;
	return {
		app,
		db,
		metrics,
		async listen() {
			await app.listen({ port: config.port, host: config.host });
			const address = app.server.address();
			return typeof address === 'object' && address ? address.port : config.port;
		},
		close() {
			closing ??= (async () => {
				await app.close();
				db.close();
			})();
			return closing;
		}
	};
}
