/**
 * Several relay / API instances behind a load balancer (docs/deploy.md). With `REDIS_URL`:
 *
 * - **Fan-out.** After an update is durable (committed in PostgreSQL), the instance that accepted
 *   it publishes it on the program's channel (`<prefix>:p:<programId>`); every other instance with
 *   the program loaded delivers it to its own connections. Awareness (presence) travels the same
 *   way. Each message carries the origin instance id, so an instance never re-delivers its own.
 * - **Durable log is the truth.** Redis pub/sub is at-most-once: a message can be lost (Redis
 *   restart, a subscriber reconnecting). That costs liveness, never data: the update is already in
 *   PostgreSQL and acknowledged; a client that missed it gets it on its next sync step (reconnect),
 *   and an instance whose subscriber reconnects is told to reload its programs from storage
 *   (`onResync`). Losing Redis degrades to "clients on other instances sync on reconnect".
 * - **Leadership.** Compaction and summaries of a program run on one instance: a lease
 *   `SET <prefix>:lead:<task>:<programId> <instance> NX PX <ttl>`, extended by its holder. When
 *   Redis cannot answer, `tryLead` says 'unknown' and the caller decides (PostgreSQL compaction is
 *   safe to run concurrently; see server/storage/postgres/document-store.ts).
 * - **Control.** Session revocation and access changes are published on `<prefix>:control` so that
 *   every instance closes the affected websockets at once (the session rows in the database stay
 *   the truth: a revoked session cannot reconnect anywhere).
 * - **Resync.** An instance whose subscription or publishing comes back after an outage reloads
 *   its loaded programs from storage (`onResync`) and asks the others to do the same for those
 *   programs (a `resync` control message), because they may have missed its updates.
 *
 * Without REDIS_URL, `createLocalCluster()` is the single-instance no-op.
 */
import { randomBytes } from 'node:crypto';
import type { Registry } from 'prom-client';
import { Counter, Gauge } from 'prom-client';
import type { Logger } from '../logger.js';

export type ControlMessage =
	| { type: 'session-revoked'; sessionId: string; reason?: 'revoked' | 'logout' }
	| { type: 'access-changed'; personId: string; programId?: string }
	/** A recorded access token was revoked (server/identity/access-tokens.ts). */
	| { type: 'token-revoked'; tokenId: string }
	/** An instance could not publish for a while: reload these programs from storage. */
	| { type: 'resync'; programIds: string[] };

export type Leadership = 'leader' | 'follower' | 'unknown';

/** Yjs client ids an update claimed for its writer (the relay's client-id ownership). */
export interface UpdateClaims {
	userId: string;
	clientIds: number[];
}

export interface ClusterHealth {
	ok: boolean;
	instanceId: string;
	detail?: string;
}

export interface Cluster {
	/** Random per process (hex); messages carry it. */
	readonly instanceId: string;
	readonly enabled: boolean;
	/** Subscribe to a program's channel (call BEFORE loading it from storage: nothing is missed). */
	join(programId: string): Promise<void>;
	leave(programId: string): void;
	/** After the update is durable. Never throws; a failure is counted and logged. */
	publishUpdate(programId: string, update: Uint8Array, claims?: UpdateClaims): void;
	publishAwareness(programId: string, payload: Uint8Array): void;
	publishControl(message: ControlMessage): void;
	onUpdate(
		handler: (programId: string, update: Uint8Array, claims?: UpdateClaims) => void
	): () => void;
	onAwareness(handler: (programId: string, payload: Uint8Array) => void): () => void;
	onControl(handler: (message: ControlMessage) => void): () => void;
	/** The subscription came back after an outage: reload loaded programs from storage. */
	onResync(handler: () => void): () => void;
	/** Takes or extends the lease `task` of `programId` for `ttlMs`. */
	tryLead(task: string, programId: string, ttlMs?: number): Promise<Leadership>;
	release(task: string, programId: string): Promise<void>;
	health(): ClusterHealth;
	close(): Promise<void>;
}

const KIND_UPDATE = 1;
const KIND_AWARENESS = 2;
const KIND_CONTROL = 3;
/** An update with claims: uint16 length of the claims JSON, the JSON, then the update. */
const KIND_UPDATE_CLAIMS = 4;
const ORIGIN_BYTES = 8;

class Handlers<A extends unknown[]> {
	private readonly set = new Set<(...args: A) => void>();
	add(fn: (...args: A) => void): () => void {
		this.set.add(fn);
		return () => this.set.delete(fn);
	}
	emit(log: Logger, ...args: A): void {
		for (const fn of this.set) {
			try {
				fn(...args);
			} catch (error) {
				log.error({ err: error }, 'cluster handler failed');
			}
		}
	}
}

/** The single-instance cluster: nothing to fan out, always the leader. */
export function createLocalCluster(): Cluster {
	const instanceId = randomBytes(ORIGIN_BYTES).toString('hex');
	const none = () => () => undefined;
	return {
		instanceId,
		enabled: false,
		join: async () => undefined,
		leave: () => undefined,
		publishUpdate: () => undefined,
		publishAwareness: () => undefined,
		publishControl: () => undefined,
		onUpdate: none,
		onAwareness: none,
		onControl: none,
		onResync: none,
		tryLead: async () => 'leader',
		release: async () => undefined,
		health: () => ({ ok: true, instanceId }),
		close: async () => undefined
	};
}

export interface RedisClusterOptions {
	url: string;
	logger: Logger;
	/** Key and channel prefix (default `nst`); lets several deployments share one Redis. */
	prefix?: string;
	registry?: Registry;
	/** Default lease of tryLead (ms). */
	leaseMs?: number;
}

const LEAD_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

function metricsFor(registry: Registry | undefined) {
	const registers = registry ? [registry] : [];
	const existing = (name: string) => registry?.getSingleMetric(name);
	return {
		published:
			(existing('cluster_published_total') as Counter<'kind'> | undefined) ??
			new Counter({
				name: 'cluster_published_total',
				help: 'Messages published to other instances',
				labelNames: ['kind'],
				registers
			}),
		received:
			(existing('cluster_received_total') as Counter<'kind'> | undefined) ??
			new Counter({
				name: 'cluster_received_total',
				help: 'Messages received from other instances',
				labelNames: ['kind'],
				registers
			}),
		failures:
			(existing('cluster_publish_failures_total') as Counter | undefined) ??
			new Counter({
				name: 'cluster_publish_failures_total',
				help: 'Publishes that failed (Redis unreachable): those clients sync on reconnect',
				registers
			}),
		up:
			(existing('cluster_redis_up') as Gauge | undefined) ??
			new Gauge({
				name: 'cluster_redis_up',
				help: '1 when the Redis subscription is connected',
				registers
			})
	};
}

export async function createRedisCluster(options: RedisClusterOptions): Promise<Cluster> {
	// Loaded only in cluster mode: a single-instance server never pays for the Redis client.
	const { Redis } = await import('ioredis');
	const log = options.logger.child({ component: 'cluster' });
	const prefix = options.prefix ?? 'nst';
	const originBytes = randomBytes(ORIGIN_BYTES);
	const instanceId = originBytes.toString('hex');
	const leaseMs = options.leaseMs ?? 30_000;
	const metrics = metricsFor(options.registry);
	const programChannel = (id: string) => `${prefix}:p:${id}`;
	const controlChannel = `${prefix}:control`;
	const programOf = (channel: string) =>
		channel.startsWith(`${prefix}:p:`) ? channel.slice(prefix.length + 3) : null;

	const common = {
		lazyConnect: false,
		connectTimeout: 5_000,
		retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2_000)
	};
	// Publishes fail fast while Redis is down (no offline queue: stale presence is worse than none).
	// Auto-pipelining: the publishes of one group commit go out in one write.
	const pub = new Redis(options.url, {
		...common,
		enableOfflineQueue: false,
		enableAutoPipelining: true,
		maxRetriesPerRequest: 1
	});
	const sub = new Redis(options.url, { ...common, autoResubscribe: true });
	const updates = new Handlers<[string, Uint8Array, UpdateClaims | undefined]>();
	const awareness = new Handlers<[string, Uint8Array]>();
	const control = new Handlers<[ControlMessage]>();
	const resync = new Handlers<[]>();
	const joined = new Set<string>();
	let subReady = false;
	let everReady = false;
	let lostSince: number | null = null;
	let lastError: string | null = null;
	let publishFailing = false;
	let closed = false;

	pub.on('error', (e: Error) => {
		lastError = e.message;
	});
	sub.on('error', (e: Error) => {
		lastError = e.message;
	});
	sub.on('ready', () => {
		subReady = true;
		metrics.up.set(1);
		if (everReady && lostSince !== null) {
			log.warn(
				{ downMs: Date.now() - lostSince },
				'redis subscription restored: reloading loaded programs from storage'
			);
			resync.emit(log);
		}
		everReady = true;
		lostSince = null;
	});
	sub.on('close', () => {
		if (subReady && !closed)
			log.warn('redis subscription lost: clients on other instances will sync on reconnect');
		subReady = false;
		metrics.up.set(0);
		lostSince ??= Date.now();
	});
	void sub.subscribe(controlChannel).catch((e: unknown) => {
		log.warn({ err: e }, 'could not subscribe to the control channel yet (will retry)');
	});

	sub.on('messageBuffer', (channelBuf: Buffer, message: Buffer) => {
		if (message.length < 1 + ORIGIN_BYTES) return;
		// Our own message: already delivered locally.
		if (message.subarray(1, 1 + ORIGIN_BYTES).equals(originBytes)) return;
		const kind = message[0];
		const payload = new Uint8Array(
			message.buffer,
			message.byteOffset + 1 + ORIGIN_BYTES,
			message.length - 1 - ORIGIN_BYTES
		);
		const channel = channelBuf.toString();
		if (kind === KIND_CONTROL) {
			if (channel !== controlChannel) return;
			try {
				const m = JSON.parse(Buffer.from(payload).toString('utf8')) as ControlMessage;
				metrics.received.inc({ kind: 'control' });
				control.emit(log, m);
			} catch (error) {
				log.warn({ err: error }, 'malformed control message ignored');
			}
			return;
		}
		const programId = programOf(channel);
		if (!programId || !joined.has(programId)) return;
		if (kind === KIND_UPDATE) {
			metrics.received.inc({ kind: 'update' });
			updates.emit(log, programId, payload, undefined);
		} else if (kind === KIND_UPDATE_CLAIMS && payload.length >= 2) {
			const n = ((payload[0] ?? 0) << 8) | (payload[1] ?? 0);
			let claims: UpdateClaims;
			try {
				claims = JSON.parse(
					Buffer.from(payload.subarray(2, 2 + n)).toString('utf8')
				) as UpdateClaims;
			} catch {
				log.warn({ programId }, 'malformed claims ignored');
				return;
			}
			metrics.received.inc({ kind: 'update' });
			updates.emit(log, programId, payload.subarray(2 + n), claims);
		} else if (kind === KIND_AWARENESS) {
			metrics.received.inc({ kind: 'awareness' });
			awareness.emit(log, programId, payload);
		}
	});

	const frame = (kind: number, payload: Uint8Array) => {
		const b = Buffer.allocUnsafe(1 + ORIGIN_BYTES + payload.length);
		b[0] = kind;
		originBytes.copy(b, 1);
		b.set(payload, 1 + ORIGIN_BYTES);
		return b;
	};
	const publish = (channel: string, kind: number, label: string, payload: Uint8Array) => {
		if (closed) return;
		pub.publish(channel, frame(kind, payload)).then(
			() => {
				metrics.published.inc({ kind: label });
				if (publishFailing) {
					// Publishing works again: what failed meanwhile must reach the others from storage.
					publishFailing = false;
					log.warn('publishing to redis works again: asking for a resync');
					resync.emit(log);
				}
			},
			(error: unknown) => {
				metrics.failures.inc();
				publishFailing = true;
				lastError = error instanceof Error ? error.message : String(error);
			}
		);
	};

	const leadKey = (task: string, programId: string) => `${prefix}:lead:${task}:${programId}`;

	return {
		instanceId,
		enabled: true,
		async join(programId) {
			if (joined.has(programId)) return;
			joined.add(programId);
			try {
				await sub.subscribe(programChannel(programId));
			} catch (error) {
				// Redis down: autoResubscribe restores it; the program loads from storage meanwhile.
				log.debug({ err: error, programId }, 'subscribe failed (redis down?)');
			}
		},
		leave(programId) {
			if (!joined.delete(programId)) return;
			sub.unsubscribe(programChannel(programId)).catch(() => undefined);
		},
		publishUpdate: (programId, update, claims) => {
			if (!claims || claims.clientIds.length === 0) {
				publish(programChannel(programId), KIND_UPDATE, 'update', update);
				return;
			}
			const json = Buffer.from(JSON.stringify(claims), 'utf8');
			if (json.length > 0xffff) return; // never: a handful of ids
			const payload = new Uint8Array(2 + json.length + update.length);
			payload[0] = json.length >> 8;
			payload[1] = json.length & 0xff;
			payload.set(json, 2);
			payload.set(update, 2 + json.length);
			publish(programChannel(programId), KIND_UPDATE_CLAIMS, 'update', payload);
		},
		publishAwareness: (programId, payload) =>
			publish(programChannel(programId), KIND_AWARENESS, 'awareness', payload),
		publishControl: (message) =>
			publish(
				controlChannel,
				KIND_CONTROL,
				'control',
				new Uint8Array(Buffer.from(JSON.stringify(message), 'utf8'))
			),
		onUpdate: (fn) => updates.add(fn),
		onAwareness: (fn) => awareness.add(fn),
		onControl: (fn) => control.add(fn),
		onResync: (fn) => resync.add(fn),
		async tryLead(task, programId, ttlMs = leaseMs) {
			if (pub.status !== 'ready') return 'unknown';
			try {
				const r = await pub.eval(LEAD_SCRIPT, 1, leadKey(task, programId), instanceId, ttlMs);
				return r === 1 ? 'leader' : 'follower';
			} catch {
				return 'unknown';
			}
		},
		async release(task, programId) {
			if (pub.status !== 'ready') return;
			await pub
				.eval(RELEASE_SCRIPT, 1, leadKey(task, programId), instanceId)
				.catch(() => undefined);
		},
		health() {
			const ok = subReady && pub.status === 'ready';
			return ok
				? { ok, instanceId }
				: {
						ok,
						instanceId,
						detail: `redis unavailable${lastError ? ` (${lastError})` : ''}: updates stay durable; clients on other instances sync on reconnect`
					};
		},
		async close() {
			if (closed) return;
			closed = true;
			metrics.up.set(0);
			await Promise.allSettled([pub.quit(), sub.quit()]);
			pub.disconnect();
			sub.disconnect();
		}
	};
}
