/**
 * The one Fastify plugin every /api route runs behind (registered once in server/app.ts):
 * - session: the `nst_session` cookie → `request.principal` (sliding renewal of the cookie);
 * - CSRF: state-changing requests must be same-origin JSON (raw bytes only where a route says so);
 * - errors: one mapping of failures to `{ error, message }` bodies (Russian message for users).
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { ProgramValidationError } from '../../src/lib/shared/program/index.js';
import { IdentityError } from '../identity/errors.js';
import { SESSION_COOKIE } from '../identity/relay-authorizer.js';
import type { IdentityService, Principal } from '../identity/service.js';
import { setSessionCookie } from './api/context.js';

declare module 'fastify' {
	interface FastifyRequest {
		/** Set by the API boundary's preHandler: the signed-in person, or null. */
		principal: Principal | null;
	}
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Error bodies: `{ error, message }`, message in Russian for users; nothing else leaks. */
export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
	if (error instanceof IdentityError) {
		return reply
			.code(error.status)
			.send({ error: error.code, message: error.messageRu, ...(error.details ?? {}) });
	}
	if (error instanceof ProgramValidationError) {
		// The program core refused a server edit (a curator action): its code and field are stable.
		const status =
			error.code === 'not-found'
				? 404
				: error.code === 'forbidden'
					? 403
					: error.code === 'invalid-state'
						? 409
						: 400;
		return reply
			.code(status)
			.send({ error: error.code, field: error.field, message: error.messageRu });
	}
	const e = error as { validation?: unknown; statusCode?: number; code?: string; message?: string };
	if (e.validation) {
		return reply
			.code(400)
			.send({ error: 'invalid_request', message: 'Неверный запрос: проверьте заполнение полей' });
	}
	if (e.statusCode === 415 || e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
		return reply.code(415).send({ error: 'unsupported_media_type', message: 'Ожидается JSON' });
	}
	if (e.statusCode === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
		return reply.code(413).send({ error: 'too_large', message: 'Слишком большой запрос' });
	}
	if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
		return reply.code(e.statusCode).send({ error: 'bad_request', message: 'Неверный запрос' });
	}
	// The relay's document store refuses a program it does not know (a curator reading one).
	if (e.message?.startsWith('unknown program'))
		return reply.code(404).send({ error: 'not_found', message: 'Программа не найдена' });
	reply.log.error({ err: error }, 'API error');
	return reply
		.code(500)
		.send({ error: 'internal', message: 'Ошибка сервера. Попробуйте ещё раз.' });
}

async function boundary(api: FastifyInstance, opts: { identity: IdentityService }): Promise<void> {
	const { identity } = opts;
	await api.register(cookie);
	api.decorateRequest('principal', null);

	// CSRF: state-changing requests must be JSON (a cross-site form cannot send it without a
	// CORS preflight, which we never grant) and, when the browser says where it comes from, same-origin.
	api.addHook('onRequest', async (request, reply) => {
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
			request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0';
		// A route that takes raw bytes (an attachment's chunk) says so; `application/octet-stream`
		// is no CORS-safelisted type either, so a cross-site page cannot send it without a preflight.
		const binary =
			(request.routeOptions.config as { binaryBody?: boolean } | undefined)?.binaryBody === true &&
			(type ?? '').startsWith('application/octet-stream');
		if (
			(hasBody || request.headers['transfer-encoding']) &&
			!binary &&
			!(type ?? '').startsWith('application/json')
		) {
			return reply.code(415).send({ error: 'unsupported_media_type', message: 'Ожидается JSON' });
		}
	});

	api.addHook('preHandler', async (request, reply) => {
		const token = request.cookies[SESSION_COOKIE];
		if (token === undefined) return;
		const principal = await identity.authenticate(token);
		request.principal = principal;
		if (principal?.renewed) {
			setSessionCookie(request, reply, token, principal.session.expiresAt, identity.now());
		}
	});

	api.setErrorHandler((error, _request, reply) => sendError(reply, error));
}

/**
 * Not encapsulated (like fastify-plugin does it): the hooks and the error handler apply to every
 * route registered beside it in the /api scope.
 */
export const apiBoundary: FastifyPluginAsync<{ identity: IdentityService }> = Object.assign(
	boundary,
	{ [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'api-boundary' }
);
