import type { FastifyInstance } from 'fastify';

export interface DependencyHealth {
	ok: boolean;
	/** Set when not ok: what the instance does meanwhile. */
	detail?: string;
}

export interface HealthSource {
	version: string;
	startedAt: number;
	/** 'sqlite' | 'postgres' */
	storageKind: string;
	/** Resolves true when storage answers; rejects or false when it cannot. */
	storageOk(): Promise<boolean>;
	schemaVersion(): Promise<number>;
	/**
	 * Cross-instance fan-out (REDIS_URL), when configured. Losing it degrades the service (clients
	 * on other instances catch up on reconnect) but never fails readiness: the durable log is in
	 * the database.
	 */
	cluster?: () => DependencyHealth & { instanceId: string; peers?: number };
	/** False once shutdown has begun: the load balancer should stop sending new connections. */
	accepting?: () => boolean;
}

const STORAGE_TIMEOUT_MS = 2_000;

async function checkStorage(
	health: HealthSource,
	log: FastifyInstance['log']
): Promise<{ ok: boolean; schema: number | null }> {
	try {
		const result = await Promise.race([
			(async () => ({ ok: await health.storageOk(), schema: await health.schemaVersion() }))(),
			new Promise<never>((_, reject) =>
				setTimeout(() => reject(new Error('storage check timed out')), STORAGE_TIMEOUT_MS).unref()
			)
		]);
		return result;
	} catch (error) {
		log.error({ err: error }, 'storage health check failed');
		return { ok: false, schema: null };
	}
}

/**
 * `/healthz` — liveness plus the state of every dependency (200 when storage answers, else 503).
 * `/readyz` — readiness for a load balancer: 200 only when storage answers and the instance is
 * not shutting down. Redis being down is reported (`cluster.ok: false`, `status: 'degraded'`)
 * but keeps the instance ready: updates are still durable and acknowledged; clients of the same
 * program on other instances see them on their next sync (reconnect), not live.
 */
export function registerHealthRoutes(app: FastifyInstance, health: HealthSource): void {
	const body = async () => {
		const storage = await checkStorage(health, app.log);
		const cluster = health.cluster?.();
		const accepting = health.accepting?.() ?? true;
		const degraded = !storage.ok || (cluster !== undefined && !cluster.ok) || !accepting;
		return {
			storageOk: storage.ok,
			accepting,
			payload: {
				status: !storage.ok ? 'unavailable' : degraded ? 'degraded' : 'ok',
				version: health.version,
				uptimeSeconds: Math.round((Date.now() - health.startedAt) / 1000),
				storage: { ok: storage.ok, kind: health.storageKind, schemaVersion: storage.schema },
				...(cluster ? { cluster } : {}),
				accepting
			}
		};
	};
	app.get('/healthz', async (_request, reply) => {
		const b = await body();
		reply.header('cache-control', 'no-store');
		return reply.code(b.storageOk ? 200 : 503).send(b.payload);
	});
	app.get('/readyz', async (_request, reply) => {
		const b = await body();
		reply.header('cache-control', 'no-store');
		return reply.code(b.storageOk && b.accepting ? 200 : 503).send(b.payload);
	});
	// `/metrics` is registered apart, behind its token (server/http/metrics-access.ts).
}
