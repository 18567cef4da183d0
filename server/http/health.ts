import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface HealthSource {
	version: string;
	startedAt: number;
	/** Throws or returns false when storage cannot answer. */
	storageOk(): boolean;
	schemaVersion(): number;
}

export function registerHealthRoutes(
	app: FastifyInstance,
	health: HealthSource,
	metrics: Registry
): void {
	app.get('/healthz', async (_request, reply) => {
		let storageOk = false;
		let schema: number | null = null;
		try {
			storageOk = health.storageOk();
			schema = health.schemaVersion();
		} catch (error) {
			app.log.error({ err: error }, 'storage health check failed');
		}
		reply.header('cache-control', 'no-store');
		return reply.code(storageOk ? 200 : 503).send({
			status: storageOk ? 'ok' : 'degraded',
			version: health.version,
			uptimeSeconds: Math.round((Date.now() - health.startedAt) / 1000),
			storage: { ok: storageOk, kind: 'sqlite', schemaVersion: schema }
		});
	});

	app.get('/metrics', async (_request, reply) => {
		reply.header('content-type', metrics.contentType);
		reply.header('cache-control', 'no-store');
		return metrics.metrics();
	});
}
