import type { FastifyReply, FastifyRequest } from 'fastify';
import { unauthenticated } from '../../identity/errors.js';
import type { Person, Session } from '../../identity/model.js';
import { isUnder35, type Principal } from '../../identity/service.js';
import { SESSION_COOKIE } from '../../identity/relay-authorizer.js';

export { Id as id, IdParams as idParams, paramsOf } from '../../../src/lib/shared/api/common.js';

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
		staffKind: p.staffKind ?? null,
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
