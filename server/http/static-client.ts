import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Paths owned by the server; everything else is the PWA. */
export const SERVER_PREFIXES = ['/api/', '/sync/', '/healthz', '/metrics'];

/**
 * Serves the built PWA. Hashed assets under /_app/immutable are cached forever; everything
 * else (HTML, the service worker, the manifest) must be revalidated so that an update of the
 * app reaches phones. Unknown paths get the SPA fallback page so deep links open the app.
 * Files go out brotli- or gzip-compressed when the build left a `.br` / `.gz` beside them
 * (adapter-static's `precompress`) and the browser accepts it: the program screen's scripts
 * are ~300 KB raw and ~100 KB compressed, which on a phone's slow 4G is about a second.
 */
export async function registerStaticClient(app: FastifyInstance, clientDir: string): Promise<void> {
	const fallback = '200.html';
	const built = existsSync(path.join(clientDir, fallback));
	if (!built) {
		app.log.warn({ clientDir }, 'client is not built: run `npm run build`; serving the API only');
	} else {
		await app.register(fastifyStatic, {
			root: clientDir,
			wildcard: true,
			index: ['index.html'],
			extensions: ['html'],
			cacheControl: false,
			preCompressed: true,
			setHeaders(res, filePath) {
				// The same URL is sent compressed or not: caches between must keep both apart.
				res.setHeader('vary', 'accept-encoding');
				if (filePath.includes(`${path.sep}_app${path.sep}immutable${path.sep}`)) {
					res.setHeader('cache-control', 'public, max-age=31536000, immutable');
				} else {
					res.setHeader('cache-control', 'no-cache');
				}
			}
		});
	}

	app.setNotFoundHandler((request, reply) => {
		const url = request.url;
		const isServerPath = SERVER_PREFIXES.some((p) => url.startsWith(p));
		if (!isServerPath && built && (request.method === 'GET' || request.method === 'HEAD')) {
			reply.header('cache-control', 'no-cache');
			return reply.type('text/html; charset=utf-8').sendFile(fallback);
		}
		return reply.code(404).send({ error: 'not_found', message: 'Не найдено' });
	});
}
