import type { FastifyReply, FastifyRequest } from 'fastify';
import { IdentityError, unauthenticated } from '../../identity/errors.js';
import type { Person, Session } from '../../identity/model.js';
import { isUnder35, type Principal } from '../../identity/service.js';
import { SESSION_COOKIE } from '../../identity/relay-authorizer.js';

declare module 'fastify' {
	interface FastifyRequest {
		/** Set by the identity API's preHandler: the signed-in person, or null. */
		principal: Principal | null;
	}
}

/** JSON schema of an id in a path or body: random, URL-safe. */
export const id = {
	type: 'string',
	minLength: 1,
	maxLength: 64,
	pattern: '^[A-Za-z0-9_-]+$'
} as const;

/** Path parameters that are all ids, e.g. `paramsOf('id', 'personId')`. */
export function paramsOf<const K extends string>(...names: K[]) {
	return {
		type: 'object',
		required: names,
		properties: Object.fromEntries(names.map((n) => [n, id])) as Record<K, typeof id>,
		additionalProperties: false
	} as const;
}

export const idParams = paramsOf('id');

export function principalOf(request: FastifyRequest): Principal {
	if (!request.principal) throw unauthenticated();
	return request.principal;
}

/** The session cookie: httpOnly, SameSite=Lax, Secure over HTTPS, lives as long as the session. */
export function setSessionCookie(
	request: FastifyRequest,
	reply: FastifyReply,
	token: string,
	expiresAt: number,
	now: number
): void {
	reply.setCookie(SESSION_COOKIE, token, {
		path: '/',
		httpOnly: true,
		sameSite: 'lax',
		secure: request.protocol === 'https',
		maxAge: Math.max(0, Math.round((expiresAt - now) / 1000))
	});
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
	reply.clearCookie(SESSION_COOKIE, {
		path: '/',
		httpOnly: true,
		sameSite: 'lax',
		secure: request.protocol === 'https'
	});
}

/** Origin for links when PUBLIC_URL is not set. */
export function requestOrigin(request: FastifyRequest): string {
	return `${request.protocol}://${request.host}`;
}

export function personJson(p: Person, now: number) {
	return {
		id: p.id,
		fullName: p.fullName,
		organizationId: p.organizationId,
		municipalityId: p.municipalityId,
		position: p.position,
		email: p.email,
		phone: p.phone,
		birthDate: p.birthDate,
		ageGroup: p.ageGroup,
		minor: p.minor,
		under35: isUnder35(p, now),
		experienceYears: p.experienceYears,
		category: p.category,
		mentorRequirements: p.mentorRequirements,
		mentorRequirementsMet: p.mentorRequirements
			? Boolean(
					p.mentorRequirements.experience5Years &&
					p.mentorRequirements.provenResults &&
					p.mentorRequirements.positiveAssessment &&
					p.mentorRequirements.mentoringCourse
				)
			: null,
		notes: p.notes,
		active: p.active,
		createdAt: p.createdAt,
		updatedAt: p.updatedAt
	};
}

export function sessionJson(s: Session, currentId: string | null, now: number) {
	return {
		id: s.id,
		deviceName: s.deviceName,
		method: s.method,
		createdAt: s.createdAt,
		lastUsedAt: s.lastUsedAt,
		expiresAt: s.expiresAt,
		revokedAt: s.revokedAt,
		active: s.revokedAt === null && s.expiresAt > now,
		current: s.id === currentId
	};
}

/** Error bodies: `{ error, message }`, message in Russian for users; nothing else leaks. */
export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
	if (error instanceof IdentityError) {
		return reply
			.code(error.status)
			.send({ error: error.code, message: error.messageRu, ...(error.details ?? {}) });
	}
	const e = error as { validation?: unknown; statusCode?: number; code?: string };
	if (e.validation) {
		return reply
			.code(400)
			.send({ error: 'invalid_request', message: 'Неверный запрос: проверьте заполнение полей' });
	}
	if (e.statusCode === 415 || e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
		return reply.code(415).send({ error: 'unsupported_media_type', message: 'Ожидается JSON' });
	}
	if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
		return reply.code(e.statusCode).send({ error: 'bad_request', message: 'Неверный запрос' });
	}
	reply.log.error({ err: error }, 'identity API error');
	return reply
		.code(500)
		.send({ error: 'internal', message: 'Ошибка сервера. Попробуйте ещё раз.' });
}
