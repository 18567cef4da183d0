/**
 * `/metrics` (Prometheus) is closed by default: the figures tell how many people are connected,
 * which programs are loaded and how the server fails. Two ways to open it:
 * - `METRICS_TOKEN`: the main port serves it to `Authorization: Bearer <token>` only;
 * - `METRICS_PORT`: a separate listener (loopback by default, `METRICS_HOST`) serves only
 *   `/metrics`, for a scraper on the same machine or network segment.
 */
import type { FastifyInstance } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';

/** Constant-time comparison of a presented bearer token with the configured one. */
export function bearerMatches(header: string | undefined, token: string): boolean {
	const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
	if (!m?.[1]) return false;
	// Digests have equal lengths, so timingSafeEqual never throws and the length does not leak.
	const digest = (s: string) => createHash('sha256').update(s).digest();
	return timingSafeEqual(digest(m[1]), digest(token));
}

export function registerMetricsRoute(
	app: FastifyInstance,
	metrics: Registry,
	token: string | null
): void {
	app.get('/metrics', async (request, reply) => {
		reply.header('cache-control', 'no-store');
		if (!token) {
			// Not served on this port at all (METRICS_PORT or METRICS_TOKEN opens it).
			return reply.code(404).send({ error: 'not_found', message: 'Не найдено' });
		}
		if (!bearerMatches(request.headers.authorization, token)) {
			reply.header('www-authenticate', 'Bearer realm="metrics"');
			return reply.code(401).send({ error: 'unauthenticated', message: 'Нужен токен метрик' });
		}
		reply.header('content-type', metrics.contentType);
		return metrics.metrics();
	});
}

export interface MetricsListener {
	readonly port: number;
	close(): Promise<void>;
}

/** The separate `/metrics` listener (METRICS_PORT on METRICS_HOST). */
export async function startMetricsListener(
	metrics: Registry,
	options: { host: string; port: number; log: Logger }
): Promise<MetricsListener> {
	const server: Server = createServer((request, response) => {
		const path = (request.url ?? '').split('?')[0];
		if (request.method !== 'GET' || path !== '/metrics') {
			response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
			return;
		}
		metrics.metrics().then(
			(body) =>
				response
					.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' })
					.end(body),
			(error: unknown) => {
				options.log.error({ err: error }, 'collecting metrics failed');
				response.writeHead(500).end();
			}
		);
	});
	server.headersTimeout = 10_000;
	server.requestTimeout = 10_000;
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port, options.host, () => resolve());
	});
	const port = (server.address() as AddressInfo).port;
	options.log.info({ host: options.host, port }, 'metrics listener started');
	return {
		port,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}
