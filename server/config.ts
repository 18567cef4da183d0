/**
 * Every environment variable the server reads, in one schema: name, type, default, meaning.
 * `loadConfig` reads them once at start-up into a typed, frozen object; modules receive values
 * from it and never read `process.env` themselves (an ESLint rule keeps it so). The operator's
 * reference table in docs/deploy.md is generated from this schema (`npm run docs:config`) and a
 * test fails when the two disagree.
 */
import path from 'node:path';
import { DEFAULT_RELAY_CONFIG, type RelayConfig } from './sync/config.js';
import { parseTrustedProxies } from './http/client-address.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServerConfig {
	port: number;
	host: string;
	/** Directory for the SQLite file and the server secret. */
	dataDir: string;
	/** Built PWA (adapter-static output); the server serves it as static files. */
	clientDir: string;
	/** PostgreSQL connection string; when set, replaces SQLite (multi-instance deployments). */
	databaseUrl: string | null;
	/** PostgreSQL connections per instance. */
	pgPoolSize: number;
	pgParallelWorkers: number;
	/** Redis connection string; when set, fans out updates between relay instances. */
	redisUrl: string | null;
	/** Key and channel prefix in Redis: deployments (or test runs) sharing one Redis stay apart. */
	clusterPrefix: string;
	logLevel: LogLevel;
	/** Public origin used in invitation links, e.g. https://nastavnik.example.ru */
	publicUrl: string | null;
	/** Signing secret set by the operator, or null: generated once and kept in the database. */
	serverSecret: string | null;
	/** A participant not seen for this many days is "stale" on the curator dashboard. */
	curatorStaleDays: number;
	// storage-safety: the worker pool for heavy requests (server/workers/pool.ts)
	/** Worker threads for heavy work (0: run it on the event loop). */
	workerThreads: number;
	/** A worker task running longer is stopped and its worker terminated. */
	workerTaskTimeoutMs: number;
	/** Heap limit of each worker thread, MiB. */
	workerMaxMemoryMb: number;
	workerNice: number;
	/** V8 heap growth (MiB) after which the server asks V8 for memory-reducing collections; 0: off. */
	memoryReliefMb: number;
	// Attachments (issue 17, server/attachments): the blob store and its housekeeping.
	/** S3 bucket of the attachment bytes; null: files under DATA_DIR/attachments. */
	attachmentsS3Bucket: string | null;
	attachmentsS3Endpoint: string | null;
	attachmentsS3Region: string;
	attachmentsS3AccessKeyId: string | null;
	attachmentsS3SecretAccessKey: string | null;
	/** 1: path-style URLs (MinIO and most self-hosted S3). */
	attachmentsS3PathStyle: number;
	attachmentsS3Prefix: string;
	/** A person's upload requests (POST and PUT of chunks) a minute. */
	attachmentUploadsPerMinute: number;
	/** How often the garbage collector of attachments runs (0: never; the CLI command still does). */
	attachmentsGcIntervalMs: number;
	/** The relay's tunables (server/sync/config.ts). */
	relay: RelayConfig;
	/** Connections, proxies, login throttling, metrics access (docs/deploy.md, "Security"). */
	security: SecurityConfig;
}

/** What protects the server from one client: connection limits, login throttling, metrics access. */
export interface SecurityConfig {
	/** Reverse proxies (addresses, CIDR blocks, `loopback`, `private`) whose X-Forwarded-For counts. */
	trustedProxies: readonly string[];
	/** Open TCP connections in all; 0 = from the open-file limit. */
	maxConnections: number;
	/** Connections without a complete request yet; beyond, the ones waiting over 2 s are closed. */
	maxPendingConnections: number;
	/** Open TCP connections per peer address (trusted proxies excepted). */
	maxConnectionsPerIp: number;
	/** Relay connections of one user at once (all devices and tabs). */
	relayMaxConnectionsPerUser: number;
	headersTimeoutMs: number;
	requestTimeoutMs: number;
	keepAliveTimeoutMs: number;
	idleTimeoutMs: number;
	/** Failed sign-ins per client address before it waits `loginBlockMinutes`. */
	loginFailuresPerAddress: number;
	/** Failed sign-ins per account from one client address before that pair waits. */
	loginFailuresPerAccount: number;
	loginBlockMinutes: number;
	/** Password checks (scrypt) running at once (0: from the CPU count); more wait in a queue of `loginQueue`. */
	loginConcurrency: number;
	loginQueue: number;
	/** A person's heavy requests (documents, exports, imports) under way at once; `heavyQueuePerUser` more wait. */
	heavyPerUser: number;
	heavyQueuePerUser: number;
	/** A person's heavy requests started a minute (beyond: 429 with Retry-After). */
	heavyPerMinute: number;
	/** `/metrics` on the main port only with `Authorization: Bearer <token>`. */
	metricsToken: string | null;
	/** A separate listener for `/metrics` (0: none). */
	metricsPort: number;
	metricsHost: string;
}

/** A bad value in the environment; the message names the variable, the value and what is expected. */
export class ConfigError extends Error {}

export const MIN_SECRET_LENGTH = 32;

/** One environment variable: how to parse it and how to document it. */
interface Variable<T> {
	readonly name: string;
	/** The default as shown in the documentation. */
	readonly shown: string;
	readonly doc: string;
	/** Parses a non-empty raw value; throws ConfigError (message from `expected`) when it is bad. */
	read(raw: string | undefined, cwd: string): T;
}

function bad(name: string, expected: string, raw: string): ConfigError {
	return new ConfigError(`${name} must be ${expected}, got "${raw}"`);
}

function variable<T>(
	name: string,
	fallback: T,
	shown: string,
	doc: string,
	parse: (raw: string, cwd: string) => T | undefined,
	expected: string
): Variable<T> {
	return {
		name,
		shown,
		doc,
		read(raw, cwd) {
			// Unset and empty mean the same: `FOO= node …` is a common way to unset in a shell.
			if (raw === undefined || raw === '') return fallback;
			const value = parse(raw, cwd);
			if (value === undefined) throw bad(name, expected, raw);
			return value;
		}
	};
}

function integer(
	name: string,
	fallback: number,
	min: number,
	max: number,
	doc: string,
	shown = String(fallback)
): Variable<number> {
	const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `${min}–${max}`;
	return variable(
		name,
		fallback,
		shown,
		doc,
		(raw) => {
			if (!/^\s*\d+\s*$/.test(raw)) return undefined;
			const n = Number(raw);
			return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
		},
		`an integer ${range}`
	);
}

function text(name: string, fallback: string, doc: string): Variable<string> {
	return variable(name, fallback, `\`${fallback}\``, doc, (raw) => raw, 'a string');
}

function directory(name: string, fallback: string, doc: string): Variable<string> {
	return {
		name,
		shown: `\`${fallback}\``,
		doc,
		read: (raw, cwd) => path.resolve(cwd, raw || fallback)
	};
}

function url(name: string, protocols: string[], doc: string): Variable<string | null> {
	return variable<string | null>(
		name,
		null,
		'—',
		doc,
		(raw) => {
			try {
				return protocols.includes(new URL(raw).protocol) ? raw : undefined;
			} catch {
				return undefined;
			}
		},
		`a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`
	);
}

function oneOf<T extends string>(
	name: string,
	values: readonly T[],
	fallback: T,
	doc: string
): Variable<T> {
	return variable(
		name,
		fallback,
		`\`${fallback}\``,
		doc,
		(raw) => values.find((v) => v === raw),
		`one of ${values.join(', ')}`
	);
}

function secret(name: string, doc: string): Variable<string | null> {
	// The value is a secret: the error shows its length, never the value.
	return {
		name,
		shown: '—',
		doc,
		read(raw) {
			if (raw === undefined || raw === '') return null;
			if (raw.length < MIN_SECRET_LENGTH)
				throw new ConfigError(
					`${name} must be at least ${MIN_SECRET_LENGTH} characters, got ${raw.length}`
				);
			return raw;
		}
	};
}

const MiB = 1024 * 1024;
const ANY = Number.MAX_SAFE_INTEGER;
const R = DEFAULT_RELAY_CONFIG;

type Schema<T> = { readonly [K in keyof T]: Variable<T[K]> };

/** The server's own settings. */
export const SERVER_SCHEMA: Schema<Omit<ServerConfig, 'relay' | 'security'>> = {
	port: integer('PORT', 3000, 0, 65535, 'HTTP and websocket port (0: any free port)'),
	host: text(
		'HOST',
		'127.0.0.1',
		'interface to listen on; `0.0.0.0` to reach it from other devices'
	),
	dataDir: directory(
		'DATA_DIR',
		'./data',
		'directory of the SQLite database (`nastavnik.sqlite`, WAL mode) and its backups'
	),
	clientDir: directory('CLIENT_DIR', './build/client', 'the built PWA to serve'),
	databaseUrl: url(
		'DATABASE_URL',
		['postgres:', 'postgresql:'],
		'`postgres://user:password@host:5432/db`: PostgreSQL instead of SQLite, for several instances; migrations run at start-up under an advisory lock'
	),
	pgPoolSize: integer('PG_POOL_SIZE', 10, 1, 1000, 'PostgreSQL connections per instance'),
	pgParallelWorkers: integer(
		'PG_PARALLEL_WORKERS',
		0,
		0,
		64,
		"PostgreSQL's `max_parallel_workers_per_gather` for this server's connections; 0: no parallel workers (the dashboard's statements already run side by side), more for a database host with cores to spare"
	),
	redisUrl: url(
		'REDIS_URL',
		['redis:', 'rediss:'],
		'`redis://host:6379`: fan out updates, presence and revocations between instances; one leader per program for compaction and summaries'
	),
	clusterPrefix: text(
		'CLUSTER_PREFIX',
		'nst',
		'key and channel prefix in Redis; lets several deployments share one Redis'
	),
	logLevel: oneOf(
		'LOG_LEVEL',
		LOG_LEVELS,
		'info',
		'`fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`; logs are JSON lines on stdout'
	),
	publicUrl: url(
		'PUBLIC_URL',
		['http:', 'https:'],
		'public origin for invitation links, e.g. `https://nastavnik.school.ru`'
	),
	serverSecret: secret(
		'SERVER_SECRET',
		`token signing secret, at least ${MIN_SECRET_LENGTH} characters (docs/access-tokens.md); unset: the first start generates one and keeps it in the database`
	),
	curatorStaleDays: integer(
		'CURATOR_STALE_DAYS',
		7,
		1,
		365,
		'the curator dashboard flags a participant not seen for this many days'
	),
	// storage-safety: the worker pool (docs/architecture.md, "Heavy work off the event loop")
	workerThreads: integer(
		'WORKER_THREADS',
		2,
		0,
		64,
		'threads for heavy work: big compactions, the curator program view, DOCX/PDF/XLSX exports, imports; 0: on the event loop'
	),
	workerTaskTimeoutMs: integer(
		'WORKER_TASK_TIMEOUT_MS',
		60_000,
		100,
		ANY,
		'a heavy task running longer is stopped (its worker terminated); only its requester gets the error'
	),
	workerMaxMemoryMb: integer(
		'WORKER_MAX_MEMORY_MB',
		512,
		32,
		65_536,
		'heap limit of each worker thread (MiB); a task past it fails alone'
	),
	memoryReliefMb: integer(
		'MEMORY_RELIEF_MB',
		48,
		0,
		65_536,
		"when V8's heap has grown this much (MiB) above its lowest level (the summaries' kept documents not counted), V8 is asked for memory-reducing collections (incremental, no long pause), at most every 20 s, and 10 min after ones that freed little (server/memory/relief.ts); 0: off"
	),
	workerNice: integer(
		'WORKER_NICE',
		10,
		0,
		19,
		'worker threads run this much nicer than the event loop (Linux, per thread): heavy work yields the CPU to the phones; 0: same priority'
	),
	// Attachments (issue 17; docs/deploy.md, "Attachments")
	attachmentsS3Bucket: optionalText(
		'ATTACHMENTS_S3_BUCKET',
		'S3-compatible bucket for attachment bytes (files and photos of programs); unset: files under `DATA_DIR/attachments/blobs` (0600, back them up with the database)'
	),
	attachmentsS3Endpoint: url(
		'ATTACHMENTS_S3_ENDPOINT',
		['http:', 'https:'],
		'the S3 endpoint, e.g. `https://storage.yandexcloud.net` or `http://minio:9000`; unset: AWS by region'
	),
	attachmentsS3Region: text('ATTACHMENTS_S3_REGION', 'us-east-1', 'region of the bucket'),
	attachmentsS3AccessKeyId: credential(
		'ATTACHMENTS_S3_ACCESS_KEY_ID',
		'access key of the bucket; unset: the AWS SDK default chain (environment, instance role)'
	),
	attachmentsS3SecretAccessKey: credential(
		'ATTACHMENTS_S3_SECRET_ACCESS_KEY',
		'secret key of the bucket (with `ATTACHMENTS_S3_ACCESS_KEY_ID`)'
	),
	attachmentsS3PathStyle: integer(
		'ATTACHMENTS_S3_PATH_STYLE',
		0,
		0,
		1,
		'1: path-style URLs (`endpoint/bucket/key`; MinIO and most self-hosted servers); 0: virtual-hosted'
	),
	attachmentsS3Prefix: text(
		'ATTACHMENTS_S3_PREFIX',
		'attachments/',
		'key prefix of the blobs in the bucket'
	),
	attachmentUploadsPerMinute: integer(
		'ATTACHMENT_UPLOADS_PER_MINUTE',
		240,
		1,
		ANY,
		"one person's attachment upload requests (start and 1 MiB chunks) a minute; beyond it 429 with `Retry-After`, the phone resumes later"
	),
	attachmentsGcIntervalMs: integer(
		'ATTACHMENTS_GC_INTERVAL_MS',
		6 * 3_600_000,
		0,
		ANY,
		'how often bytes no program refers to any more (for 7 days) and abandoned uploads are deleted; 0: never (`npm run cli -- attachments-gc` still does)',
		'6 h'
	)
};

function optionalText(name: string, doc: string): Variable<string | null> {
	return variable<string | null>(
		name,
		null,
		'—',
		doc,
		(raw) => raw.trim() || undefined,
		'a string'
	);
}

/** A credential: the error never shows it (only its name). */
function credential(name: string, doc: string): Variable<string | null> {
	return { name, shown: '—', doc, read: (raw) => (raw === undefined || raw === '' ? null : raw) };
}

/** The relay's tunables (docs/relay.md explains each). */
export const RELAY_SCHEMA: Schema<RelayConfig> = {
	maxMessageBytes: integer(
		'RELAY_MAX_MESSAGE_BYTES',
		R.maxMessageBytes,
		1,
		ANY,
		'largest websocket message (close 4413)',
		'2 MiB'
	),
	maxDocumentBytes: integer(
		'RELAY_MAX_DOCUMENT_BYTES',
		R.maxDocumentBytes,
		1,
		ANY,
		'largest stored document (close 4507)',
		`${R.maxDocumentBytes / MiB} MiB`
	),
	updatesPerSecond: integer(
		'RELAY_UPDATES_PER_SECOND',
		R.updatesPerSecond,
		0,
		ANY,
		'document messages per second per connection, sustained (close 4429)'
	),
	updateBurst: integer(
		'RELAY_UPDATE_BURST',
		R.updateBurst,
		0,
		ANY,
		'burst allowance of the document message rate (token bucket size)'
	),
	messagesPerSecond: integer(
		'RELAY_MESSAGES_PER_SECOND',
		R.messagesPerSecond,
		0,
		ANY,
		'all messages per second per connection (awareness included), burst 4× plus the update burst'
	),
	maxConnectionsPerIp: integer(
		'RELAY_MAX_CONNECTIONS_PER_IP',
		R.maxConnectionsPerIp,
		0,
		ANY,
		'connections per remote address (close 4529); schools share one NAT address'
	),
	idleUnloadMs: integer(
		'RELAY_IDLE_UNLOAD_MS',
		R.idleUnloadMs,
		0,
		ANY,
		'unload a program this long after its last connection closed'
	),
	pingIntervalMs: integer(
		'RELAY_PING_INTERVAL_MS',
		R.pingIntervalMs,
		0,
		ANY,
		'websocket ping, each socket once per interval, spread over it (a thirtieth of the sockets at a time); a socket that missed the previous pong is terminated; 0: none'
	),
	flushDelayMs: integer(
		'RELAY_FLUSH_DELAY_MS',
		R.flushDelayMs,
		0,
		ANY,
		'group commit delay (0 = next tick)'
	),
	commitGapMs: integer(
		'RELAY_COMMIT_GAP_MS',
		R.commitGapMs,
		0,
		1_000,
		"the shortest time between two group commits: an update within it of the last commit waits for it to end, batched with the others (a lone update commits at once; the partner gets it before, only its acknowledgement waits; a phone's first edit, which the partner gets only once stored, waits at most 10 ms); 0: none"
	),
	compactAfterUpdates: integer(
		'RELAY_COMPACT_AFTER_UPDATES',
		R.compactAfterUpdates,
		0,
		ANY,
		"compact a program's log at this many rows (also on unload)"
	),
	summaryDebounceMs: integer(
		'RELAY_SUMMARY_DEBOUNCE_MS',
		R.summaryDebounceMs,
		0,
		ANY,
		'recompute a summary this long after the last change …'
	),
	summaryMaxWaitMs: integer(
		'RELAY_SUMMARY_MAX_WAIT_MS',
		R.summaryMaxWaitMs,
		0,
		ANY,
		'… but at least this often while changes keep coming'
	),
	summaryCpuPercent: integer(
		'RELAY_SUMMARY_CPU_PERCENT',
		R.summaryCpuPercent,
		1,
		100,
		'share of one core (%) background summaries may use; beyond it, changed programs wait their turn'
	),
	summaryDocsMb: integer(
		'RELAY_SUMMARY_DOCS_MB',
		R.summaryDocsMb,
		0,
		ANY,
		'heap (MB, estimated) for decoded documents kept between summaries, so a summary applies and reads only what changed; a program that finds no room (0: every one) is decoded whole for each summary, in the worker pool'
	),
	factsFlushMs: integer(
		'RELAY_FACTS_FLUSH_MS',
		R.factsFlushMs,
		0,
		ANY,
		'device sync facts are written at most this often'
	),
	trustedProxyHops: integer(
		'RELAY_TRUSTED_PROXY_HOPS',
		R.trustedProxyHops,
		0,
		ANY,
		'older form of `TRUSTED_PROXIES`, used only while that is unset: this many hops are trusted whatever their address; 0: the socket address'
	),
	writerThread: integer(
		'RELAY_WRITER_THREAD',
		R.writerThread,
		0,
		1,
		'1: commits (fsync) in a writer thread; 0: inline on the event loop'
	),
	clientIdBinding: integer(
		'RELAY_CLIENT_ID_BINDING',
		R.clientIdBinding,
		0,
		1,
		"1: a Yjs client id belongs to the user who first wrote under it (close 4403); 0 only while phones re-upload partners' edits after a restore"
	)
};

/** Connections, proxies, login throttling, metrics access (docs/deploy.md, "Security"). */
export const SECURITY_SCHEMA: Schema<SecurityConfig> = {
	trustedProxies: variable<readonly string[]>(
		'TRUSTED_PROXIES',
		[],
		'—',
		'reverse proxies whose `X-Forwarded-For` decides the client address (logs, login throttling, per-address limits): addresses, CIDR blocks, `loopback`, `private`, comma separated; unset: the socket address, forwarded headers ignored',
		(raw) => {
			const parsed = parseTrustedProxies(raw);
			return 'entries' in parsed ? Object.freeze(parsed.entries) : undefined;
		},
		'addresses or CIDR blocks (or loopback, private, linklocal), comma separated'
	),
	maxConnections: integer(
		'MAX_CONNECTIONS',
		0,
		0,
		ANY,
		'open TCP connections in all; beyond it new ones are closed at accept, and above 80 % of it connections that sent no request within 2 s are closed; 0: 90 % of the open-file limit (`ulimit -n`)'
	),
	maxPendingConnections: integer(
		'MAX_PENDING_CONNECTIONS',
		1_000,
		1,
		ANY,
		'connections that have not sent a complete request yet (an honest client sends it within milliseconds); beyond this many, those waiting longer than 2 s are closed, oldest first'
	),
	maxConnectionsPerIp: integer(
		'MAX_CONNECTIONS_PER_IP',
		500,
		1,
		ANY,
		"open TCP connections per address, checked at accept (trusted proxies excepted); generous: a school's phones share one NAT address"
	),
	relayMaxConnectionsPerUser: integer(
		'RELAY_MAX_CONNECTIONS_PER_USER',
		20,
		1,
		ANY,
		'relay connections of one person at once, all devices and tabs (close 4529, the client retries)'
	),
	headersTimeoutMs: integer(
		'HTTP_HEADERS_TIMEOUT_MS',
		15_000,
		1_000,
		ANY,
		"a request's headers must arrive within this time (slow clients, slowloris)"
	),
	requestTimeoutMs: integer(
		'HTTP_REQUEST_TIMEOUT_MS',
		60_000,
		1_000,
		ANY,
		'a whole request (headers and body) must arrive within this time'
	),
	keepAliveTimeoutMs: integer(
		'HTTP_KEEP_ALIVE_TIMEOUT_MS',
		10_000,
		1_000,
		ANY,
		'an idle keep-alive connection is closed after this time'
	),
	idleTimeoutMs: integer(
		'HTTP_IDLE_TIMEOUT_MS',
		120_000,
		1_000,
		ANY,
		'an HTTP connection with no traffic either way is closed after this time (websockets have their ping)'
	),
	loginFailuresPerAddress: integer(
		'LOGIN_FAILURES_PER_ADDRESS',
		30,
		1,
		ANY,
		'failed password sign-ins from one client address before it waits `LOGIN_BLOCK_MINUTES` (429)'
	),
	loginFailuresPerAccount: integer(
		'LOGIN_FAILURES_PER_ACCOUNT',
		5,
		1,
		ANY,
		'failed sign-ins to one account from one client address before that pair waits; never a lock of the account itself'
	),
	loginBlockMinutes: integer(
		'LOGIN_BLOCK_MINUTES',
		15,
		1,
		24 * 60,
		'the window of the two counts above and how long a client waits once over them'
	),
	loginConcurrency: integer(
		'LOGIN_CONCURRENCY',
		0,
		0,
		64,
		'password checks (scrypt, ~16 MiB and tens of ms of CPU each) at once; 0: half the CPU cores, 1 to 4 (they share the thread pool that reads files)'
	),
	loginQueue: integer(
		'LOGIN_QUEUE',
		32,
		0,
		ANY,
		'password checks waiting for a slot; beyond it a sign-in is answered 429 with `Retry-After` before its body is read'
	),
	heavyPerUser: integer(
		'HEAVY_REQUESTS_PER_USER',
		2,
		1,
		64,
		"one person's heavy requests (program view, DOCX/PDF/XLSX exports, imports) under way at once, all sessions together; one person cannot take the event loop or the workers from everyone"
	),
	heavyQueuePerUser: integer(
		'HEAVY_QUEUE_PER_USER',
		4,
		0,
		ANY,
		"one person's heavy requests waiting for a place; beyond it 429 with `Retry-After`"
	),
	heavyPerMinute: integer(
		'HEAVY_REQUESTS_PER_MINUTE',
		30,
		1,
		ANY,
		"one person's heavy requests started a minute (Redis-backed with `REDIS_URL`); beyond it 429 with `Retry-After`, repeated at the front door until then"
	),
	metricsToken: secret(
		'METRICS_TOKEN',
		`\`/metrics\` on the main port answers only \`Authorization: Bearer <METRICS_TOKEN>\` (at least ${MIN_SECRET_LENGTH} characters); unset: closed there`
	),
	metricsPort: integer(
		'METRICS_PORT',
		0,
		0,
		65535,
		'a separate listener serving only `/metrics`, without a token, on `METRICS_HOST`; 0: none'
	),
	metricsHost: text(
		'METRICS_HOST',
		'127.0.0.1',
		'interface of the `METRICS_PORT` listener (loopback: only this machine scrapes it)'
	)
};

function readSchema<T>(schema: Schema<T>, env: NodeJS.ProcessEnv, cwd: string): T {
	const out: Partial<T> = {};
	for (const key of Object.keys(schema) as (keyof T)[]) {
		const spec = schema[key];
		out[key] = spec.read(env[spec.name], cwd);
	}
	return out as T;
}

/**
 * Reads the configuration from `env` (the entry points pass `process.env`; tests pass their own).
 * Throws ConfigError on the first bad value. The result is frozen: nothing changes it later.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): ServerConfig {
	const relay = Object.freeze(readSchema(RELAY_SCHEMA, env, cwd));
	const security = Object.freeze(readSchema(SECURITY_SCHEMA, env, cwd));
	return Object.freeze({ ...readSchema(SERVER_SCHEMA, env, cwd), relay, security });
}

/** Every variable of the schema, in documentation order. */
export function configVariables(): { name: string; shown: string; doc: string }[] {
	return [
		...Object.values(SERVER_SCHEMA),
		...Object.values(RELAY_SCHEMA),
		...Object.values(SECURITY_SCHEMA)
	].map(({ name, shown, doc }) => ({ name, shown, doc }));
}

/** The operator's reference table (Markdown), as docs/deploy.md carries it. */
export function configTable(): string {
	const rows = configVariables().map(
		(v) => `| \`${v.name}\` | ${v.shown} | ${v.doc.replaceAll('|', '\\|')} |`
	);
	return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
