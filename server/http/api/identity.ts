import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { IdentityService } from '../../identity/service.js';
import { SESSION_COOKIE } from '../../identity/relay-authorizer.js';
import { registerAuthRoutes } from './auth.js';
import { sendError, setSessionCookie } from './context.js';
import { registerProgramRoutes } from './programs.js';
import { registerRegistryRoutes } from './registry.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The identity HTTP API under /api (docs/identity.md): invitations, sessions, the people
 * registry, scopes, programs and their participants. Every route asks the policy through
 * IdentityService; anonymous requests get nothing but the redeem / login endpoints.
 */
export async function registerIdentityApi(
	api: FastifyInstance,
	identity: IdentityService
): Promise<void> {
	await api.register(async (scope) => {
		await scope.register(cookie);
		scope.decorateRequest('principal', null);

		// CSRF: state-changing requests must be JSON (a cross-site form cannot send it without a
		// CORS preflight, which we never grant) and, when the browser says where it comes from, same-origin.
		scope.addHook('onRequest', async (request, reply) => {
			if (!UNSAFE.has(request.method)) return;
			const origin = request.headers.origin;
			if (origin !== undefined) {
				let ok = false;
				try {
					ok = new URL(origin).host === request.host;
				} catch {
					ok = false;
				}
				if (!ok) {
					request.log.warn(
						{ path: request.routeOptions.url, method: request.method },
						'cross-origin request refused'
					);
					return reply
						.code(403)
						.send({ error: 'forbidden', message: 'Запрос с чужого сайта отклонён' });
				}
			}
			const type = request.headers['content-type'];
			const hasBody =
				request.headers['content-length'] !== undefined &&
				request.headers['content-length'] !== '0';
			if (
				(hasBody || request.headers['transfer-encoding']) &&
				!(type ?? '').startsWith('application/json')
			) {
				return reply.code(415).send({ error: 'unsupported_media_type', message: 'Ожидается JSON' });
			}
		});

		scope.addHook('preHandler', async (request, reply) => {
			const token = request.cookies[SESSION_COOKIE];
			if (token === undefined) return;
			const principal = await identity.authenticate(token);
			request.principal = principal;
			if (principal?.renewed) {
				setSessionCookie(request, reply, token, principal.session.expiresAt, identity.now());
			}
		});

		scope.setErrorHandler((error, _request, reply) => sendError(reply, error));

		registerAuthRoutes(scope, identity);
		registerRegistryRoutes(scope, identity);
		registerProgramRoutes(scope, identity);
	});
}
