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
import { createSqliteDocumentStore } from './storage/sqlite/document-store.js';
import { loadServerSecret } from './auth/secret.js';
import { loadRelayConfig } from './sync/config.js';
import { createRelay, type Relay } from './sync/relay.js';
import { readVersion } from './version.js';
import { registerIdentityApi } from './http/api/identity.js';
import { registerCuratorRoutes } from './http/curator-routes.js';
import { CuratorService } from './curator/service.js';
import {
	connectIdentityToRelay,
	createIdentity,
	createRelayAuthorizer,
	logFirstStartHint,
	type IdentityService
} from './identity/index.js';

export interface NastavnikServer {
	app: FastifyInstance;
	db: SqliteDatabase;
	metrics: Registry;
	/** The sync relay (/sync/<programId>): server edits, closeWhere, diagnostics. */
	relay: Relay;
	/** People, roles, invitations, sessions, the authorization policy (server/identity). */
	identity: IdentityService;
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

	const secret = loadServerSecret(db);
	const identity = createIdentity({
		db,
		documents: createSqliteDocumentStore(db),
		secret,
		logger,
		publicUrl: config.publicUrl
	});
	await logFirstStartHint(identity, logger);

	await app.register(
		async (api) => {
			api.get('/', async () => ({ name: 'nastavnik', version }));
			await registerIdentityApi(api, identity);
		},
		{ prefix: '/api' }
	);

	await registerStaticClient(app, config.clientDir);

	const relayConfig = loadRelayConfig();
	// RELAY_WRITER_THREAD=1 moves the relay's commits (fsync) off the event loop (docs/relay.md).
	const store = createSqliteDocumentStore(db, { writerThread: relayConfig.writerThread !== 0 });
	const relay = createRelay({
		store,
		authorize: createRelayAuthorizer(identity, secret, store),
		logger,
		registry: metrics,
		config: relayConfig
	});

	const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
		// The relay takes over /sync/<programId> upgrades; nothing else speaks websocket.
		if (relay.handleUpgrade(request, socket, head)) return;
		logger.warn({ path: safeUrl(request.url) }, 'websocket upgrade to an unknown path');
		socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
	};
	app.server.on('upgrade', onUpgrade);
	connectIdentityToRelay(identity, relay);

	// Curator dashboards, exports and actions under /api/curator (server/curator, docs/curator.md).
	const curator = new CuratorService({ db, identity, relay, documents: store, logger });
	await app.register(async (api) => registerCuratorRoutes(api, curator), { prefix: '/api' });

	let closing: Promise<void> | null = null;
	return {
		app,
		db,
		metrics,
		relay,
		identity,
		async listen() {
			await app.listen({ port: config.port, host: config.host });
			const address = app.server.address();
			return typeof address === 'object' && address ? address.port : config.port;
		},
		close() {
			closing ??= (async () => {
				// Relay first: flush queued updates, close sockets (1012), then HTTP, then storage.
				curator.close();
				await relay.close();
				await app.close();
				db.close();
			})();
			return closing;
		}
	};
}
