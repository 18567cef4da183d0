import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { availableParallelism } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { loadServerSecret } from './auth/secret.js';
import type { ServerConfig } from './config.js';
import { registerHealthRoutes } from './http/health.js';
import { registerStaticClient } from './http/static-client.js';
import { safeUrl, type Logger } from './logger.js';
import { createMetricsRegistry } from './metrics.js';
import type { SqliteDatabase } from './storage/sqlite/database.js';
import { openStorage, type Storage } from './storage/index.js';
import type { DocumentStore } from './storage/document-store.js';
import { createRelay, type Relay } from './sync/relay.js';
import { readVersion } from './version.js';
import { createLocalCluster, createRedisCluster, type Cluster } from './cluster/index.js';
import { connectIdentityToCluster } from './cluster/identity.js';
import { watchRevocations } from './identity/revocation-watch.js';
import { createIdentityStore } from './identity/sql-store.js';
import { apiBoundary } from './http/api-boundary.js';
import { registerIdentityApi } from './http/api/identity.js';
import { registerAttachmentRoutes } from './http/api/attachments.js';
import { createAttachments, type Attachments } from './attachments/index.js';
import { registerCuratorRoutes } from './http/curator-routes.js';
import { CuratorService } from './curator/service.js';
import {
	inlineMergeVerifier,
	mergeRequestBytes,
	INLINE_MERGE_BYTES
} from './storage/update-containment.js';
import { WorkerPool } from './workers/pool.js';
import { inlineTasks, type TaskRunner } from './workers/tasks.js';
import { createPrograms, type ProgramsService } from './programs/index.js';
import { clientAddress, createProxyTrust, forgottenProxyWarning } from './http/client-address.js';
import { guardConnections } from './http/connection-guard.js';
import { cheapClientErrorHandler, frontDoorServerFactory } from './http/front-door.js';
import { createLoginThrottle, createSignInGuard, type SignInGuard } from './http/login-throttle.js';
import {
	registerMetricsRoute,
	startMetricsListener,
	type MetricsListener
} from './http/metrics-access.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { lazySchemaController } from './http/lazy-schemas.js';
import { WorkSlots } from './http/work-slots.js';
import { HeavyShare, registerHeavyShare } from './http/heavy-requests.js';
import { createLimiterFactory } from './http/rate-limiters.js';
import { secureDataDir } from './storage/data-files.js';
import { DATABASE_FILE } from './storage/sqlite/database.js';
import {
	connectIdentityToRelay,
	createIdentity,
	createRelayAuthorizer,
	logFirstStartHint,
	type IdentityService
} from './identity/index.js';

export interface NastavnikServer {
	app: FastifyInstance;
	/**
	 * The SQLite connection. Only with the embedded SQLite storage: with DATABASE_URL, reading it
	 * throws (use `storage`, which works with both).
	 */
	db: SqliteDatabase;
	/** Storage selected by configuration (SQLite in DATA_DIR, or PostgreSQL by DATABASE_URL). */
	storage: Storage;
	/** Document store writing inline (not the relay's): tests, tools. */
	documents: DocumentStore;
	/** The server's signing secret (never log it). */
	secret: string;
	/** Cross-instance fan-out and leadership (REDIS_URL), or the single-instance no-op. */
	cluster: Cluster;
	metrics: Registry;
	/** The sync relay (/sync/<programId>): server edits, closeWhere, diagnostics. */
	relay: Relay;
	/** People, roles, invitations, sessions, the authorization policy (server/identity). */
	identity: IdentityService;
	/** Programs: creation, participants, curator actions (server/programs). */
	programs: ProgramsService;
	/** Attachments (issue 17): uploads, the blob store, the garbage collector. */
	attachments: Attachments;
	/** Starts listening; resolves with the bound port (useful with PORT=0 in tests). */
	listen(): Promise<number>;
	/** Graceful shutdown: stop accepting, flush storage, close sockets, close the database. */
	close(): Promise<void>;
}

/** Builds the all-in-one server: the PWA, the HTTP API under /api and the relay under /sync. */
export async function createServer(config: ServerConfig, logger: Logger): Promise<NastavnikServer> {
	const version = readVersion();
	const startedAt = Date.now();
	const security = config.security;
	if (!config.databaseUrl) {
		// The database holds the signing secret: 0700 directory, 0600 files (server/storage/data-files.ts).
		for (const fix of secureDataDir(config.dataDir, DATABASE_FILE))
			logger.warn(fix, 'data file permissions tightened: others could read it');
	}
	const storage = await openStorage({
		dataDir: config.dataDir,
		databaseUrl: config.databaseUrl,
		poolSize: config.pgPoolSize,
		parallelWorkers: config.pgParallelWorkers,
		checkpointThread: { log: logger }
	});
	logger.info({ storage: storage.kind, location: storage.location }, 'storage opened');
	const metrics = createMetricsRegistry();
	let accepting = true;
	const cluster = config.redisUrl
		? await createRedisCluster({
				url: config.redisUrl,
				logger,
				registry: metrics,
				// Key and channel prefix: deployments (or test runs) sharing one Redis stay apart.
				prefix: config.clusterPrefix
			})
		: createLocalCluster();
	if (cluster.enabled) logger.info({ instanceId: cluster.instanceId }, 'cluster mode (REDIS_URL)');

	// Only the configured proxies' X-Forwarded-For decides the client address (request.ip, logs,
	// login throttling, the relay's per-address limit); anyone else's is ignored.
	const trust = createProxyTrust(security.trustedProxies, config.relay.trustedProxyHops);
	// Set once the sign-in guard exists (below): the front door refuses throttled or
	// over-capacity sign-ins before Fastify reads them (server/http/front-door.ts).
	let signInDoor: SignInGuard | null = null;
	// A person's heavy requests (documents, exports, imports): a fair share each, and a refusal
	// repeated within its Retry-After is answered at the door (server/http/heavy-requests.ts).
	// Rate limiters of the sign-ins and of the heavy requests: in memory, or in Redis (one client).
	const limiters = createLimiterFactory({
		redisUrl: config.redisUrl,
		prefix: config.clusterPrefix,
		log: logger
	});
	const heavy = new HeavyShare({
		perUser: security.heavyPerUser,
		queuePerUser: security.heavyQueuePerUser,
		perMinute: security.heavyPerMinute,
		registry: metrics,
		limiters
	});
	await heavy.start();
	const app = Fastify({
		// Route schemas compiled on each route's first request, not at start (issue 18).
		schemaController: lazySchemaController(),
		serverFactory: frontDoorServerFactory({
			trust,
			signIn: () => (signInDoor ? { path: '/api/login', admit: signInDoor.admit } : null),
			remembered: () => (request) => heavy.doorRefusal(request)
		}),
		// Timed-out and malformed connections: prepared bytes, no error formatting per socket.
		clientErrorHandler: cheapClientErrorHandler,
		// Fastify's own logger type is the narrower pino interface it needs.
		loggerInstance: logger as FastifyBaseLogger,
		bodyLimit: 1024 * 1024,
		trustProxy: trust,
		requestIdHeader: false,
		// Slow and idle connections are closed (server/http/connection-guard.ts).
		keepAliveTimeout: security.keepAliveTimeoutMs,
		requestTimeout: security.requestTimeoutMs,
		connectionTimeout: security.idleTimeoutMs,
		http: {
			headersTimeout: security.headersTimeoutMs,
			requestTimeout: security.requestTimeoutMs,
			// Node checks those deadlines this often (default 30 s: a slowloris would outlive them).
			connectionsCheckingInterval: 1_000
		}
	});
	const guard = guardConnections(app.server, security, { trust, log: logger, registry: metrics });
	const checkProxy = forgottenProxyWarning(trust, (fields, message) =>
		logger.warn(fields, message)
	);
	app.addHook('onRequest', async (request) =>
		checkProxy(request.socket.remoteAddress, request.headers['x-forwarded-for'])
	);
	await registerSecurityHeaders(app, {
		clientDir: config.clientDir,
		https: config.publicUrl?.startsWith('https:') ?? false
	});
	registerMetricsRoute(app, metrics, security.metricsToken);
	registerHealthRoutes(app, {
		version,
		startedAt,
		storageKind: storage.kind,
		storageOk: () => storage.ping(),
		schemaVersion: () => storage.schemaVersion(),
		accepting: () => accepting,
		...(cluster.enabled ? { cluster: () => cluster.health() } : {})
	});

	const secret = await loadServerSecret(storage.sql, config.serverSecret);
	const identity = createIdentity({
		store: createIdentityStore(storage.sql),
		secret,
		logger,
		publicUrl: config.publicUrl
	});
	await logFirstStartHint(identity, logger);
	const programs = createPrograms({
		identity,
		documents: storage.documents,
		logger,
		// roles (issue 13): orders (приказы) are records of the same store.
		sql: storage.sql
	});

	// storage-safety: heavy work off the event loop (server/workers, docs/architecture.md):
	// big compactions, the curator's program view, exports and import parsing run in worker
	// threads with time and memory limits. WORKER_THREADS=0 runs them inline.
	const workers =
		config.workerThreads > 0
			? new WorkerPool({
					threads: config.workerThreads,
					taskTimeoutMs: config.workerTaskTimeoutMs,
					maxMemoryMb: config.workerMaxMemoryMb,
					nice: config.workerNice,
					logger
				})
			: null;
	const tasks: TaskRunner = workers ? (task, input) => workers.run(task, input) : inlineTasks;
	// Self-check (and a warm worker): a build that lost its worker bundle says so at start-up.
	workers
		?.run('ping', { value: 1 })
		.then((r) =>
			logger.info({ threads: config.workerThreads, threadId: r.threadId }, 'worker pool ready')
		)
		.catch((error: unknown) =>
			logger.error({ err: error }, 'worker pool failed its start-up check')
		);

	const relayConfig = config.relay;
	// RELAY_WRITER_THREAD=1 moves the relay's commits (fsync) off the event loop (docs/relay.md).
	const store = storage.relayDocuments({
		writerThread: relayConfig.writerThread !== 0,
		// Compaction merges and verifies containment; big documents in the pool (storage-safety).
		verify: (request) =>
			mergeRequestBytes(request) < INLINE_MERGE_BYTES
				? inlineMergeVerifier(request)
				: tasks('mergeVerified', request)
	});
	const relay = createRelay({
		store,
		authorize: createRelayAuthorizer(identity, secret, store),
		logger,
		registry: metrics,
		config: relayConfig,
		cluster,
		summaryTask: (input) => tasks('summary', input),
		mergeTask: (parts) => tasks('merge', { parts }),
		clientAddress: (request) =>
			clientAddress(request.socket.remoteAddress, request.headers['x-forwarded-for'], trust),
		maxConnectionsPerUser: security.relayMaxConnectionsPerUser
	});
	// Curator actions are relay server edits: applied, made durable and broadcast like any update.
	programs.relay = relay;

	// Evidence files (issue 17, server/attachments): bytes in a blob store (disk or S3), references
	// in the program documents; the collector reads those documents in the worker pool.
	const attachments = createAttachments(config, {
		sql: storage.sql,
		identity,
		logger,
		// The stored document (state and log), not the relay's room: the collector loads no rooms.
		referencedBy: async (programId) => {
			const stored = await storage.documents.load(programId);
			const parts = [...(stored.state ? [stored.state] : []), ...stored.updates];
			return new Set(await tasks('attachmentHashes', { parts }));
		},
		...(cluster.enabled
			? {
					leads: async () =>
						(await cluster.tryLead('attachments-gc', 'all', 60 * 60_000)) !== 'follower'
				}
			: {})
	});
	const uploadLimiter = await limiters.make('attachment-uploads', {
		points: config.attachmentUploadsPerMinute,
		durationSeconds: 60
	});

	// Curator dashboards, exports and cases under /api/curator (server/curator, docs/curator.md).
	const curator = new CuratorService({
		db: storage.sql,
		scopes: identity.scopes,
		programs,
		// Documents, connections and the one writer of summaries (server/sync/summaries.ts).
		relay,
		logger,
		staleDays: config.curatorStaleDays,
		tasks,
		// One instance refreshes outdated summaries ('unknown' = Redis down: twice is harmless).
		...(cluster.enabled
			? {
					refreshLeader: async () =>
						(await cluster.tryLead('curator-refresh', 'all', 15 * 60_000)) !== 'follower'
				}
			: {})
	});

	// Password sign-ins: throttled per address and per account+address, never per account
	// alone; password checks bounded so a burst of sign-ins cannot starve the thread pool.
	const signIn = (signInDoor = createSignInGuard(
		await createLoginThrottle({
			failuresPerAddress: security.loginFailuresPerAddress,
			failuresPerAccount: security.loginFailuresPerAccount,
			blockMinutes: security.loginBlockMinutes,
			redisUrl: config.redisUrl,
			prefix: config.clusterPrefix,
			log: logger,
			limiters
		}),
		new WorkSlots(
			security.loginConcurrency || Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2))),
			security.loginQueue
		)
	));
	// The HTTP API: one boundary (session, CSRF, errors) in front of every /api route.
	await app.register(
		async (api) => {
			await api.register(apiBoundary, { identity });
			registerHeavyShare(api, heavy);
			api.get('/', async () => ({ name: 'nastavnik', version }));
			registerIdentityApi(api, { identity, programs, tasks, signIn });
			registerAttachmentRoutes(api, { attachments: attachments.service, uploadLimiter });
			await registerCuratorRoutes(api, { curator, programs, attachments: attachments.service });
		},
		{ prefix: '/api' }
	);

	await registerStaticClient(app, config.clientDir);

	const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
		// The relay takes over /sync/<programId> upgrades; nothing else speaks websocket.
		if (relay.handleUpgrade(request, socket, head)) return;
		logger.warn({ path: safeUrl(request.url) }, 'websocket upgrade to an unknown path');
		socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
	};
	app.server.on('upgrade', onUpgrade);
	connectIdentityToRelay(identity, relay);
	// Revocations and access changes reach the other instances too (no-op without REDIS_URL).
	const offCluster = connectIdentityToCluster({
		events: identity.events,
		relay,
		cluster,
		logger
	});
	// Revocation: the database as the truth — CLI revocations (1 s poll) and a 10 s backstop sweep.
	const offRevocationWatch = watchRevocations({
		store: identity.store,
		sql: storage.sql,
		relay,
		logger
	});

	let metricsListener: MetricsListener | null = null;
	let closing: Promise<void> | null = null;
	return {
		app,
		get db(): SqliteDatabase {
			if (!storage.sqlite)
				throw new Error(
					'server.db is the SQLite connection; this server uses PostgreSQL (server.storage)'
				);
			return storage.sqlite;
		},
		storage,
		documents: storage.documents,
		secret,
		cluster,
		metrics,
		relay,
		identity,
		programs,
		attachments,
		async listen() {
			// A restart brings every phone back within a second: with Node's default backlog (511)
			// the kernel drops the excess SYNs and those clients retry only after 1, 3, 7 s
			// (docs/resilience.md, reconnect storm). The kernel caps it at net.core.somaxconn.
			await app.listen({ port: config.port, host: config.host, backlog: 4096 });
			if (security.metricsPort > 0 && !metricsListener) {
				metricsListener = await startMetricsListener(metrics, {
					host: security.metricsHost,
					port: security.metricsPort,
					log: logger
				});
			}
			const address = app.server.address();
			return typeof address === 'object' && address ? address.port : config.port;
		},
		close() {
			closing ??= (async () => {
				// Relay first: flush queued updates, close sockets (1012), then HTTP, then storage.
				accepting = false;
				curator.close();
				attachments.close();
				offCluster();
				offRevocationWatch();
				await relay.close();
				await metricsListener?.close();
				await app.close();
				guard.stop();
				await signIn.close();
				await limiters.close();
				await cluster.close();
				await storage.close();
				await workers?.close();
			})();
			return closing;
		}
	};
}
