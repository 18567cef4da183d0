import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CreateInvitationBody } from '../../../src/lib/shared/api/registry.js';
import { invitationStatus, type IssuedSession } from '../../identity/service.js';
import type { MeResponse } from '../../../src/lib/shared/api/session.js';
import { LoginBody, RedeemBody, SetPasswordBody } from '../../../src/lib/shared/api/session.js';
import type { ApiDeps } from './deps.js';
import { qrSvg } from './qr.js';
import {
	clearSessionCookie,
	idParams,
	personJson,
	principalOf,
	requestOrigin,
	sessionJson,
	setSessionCookie
} from './context.js';

/** What a device needs to work: who, what roles, which programs, how to reach the relay. */
async function meJson(
	{ identity, programs: programsOf }: ApiDeps,
	issued: Omit<IssuedSession, 'token'>
): Promise<MeResponse> {
	const now = identity.now();
	return {
		person: personJson(issued.person, now),
		roles: [...issued.actor.roles],
		programs: await programsOf.myProgramItems(issued.actor),
		session: sessionJson(issued.session, issued.session.id, now),
		relay: {
			/** Same origin: the websocket upgrade carries the session cookie. */
			path: '/sync/',
			auth: 'cookie',
			/** For clients that cannot use the cookie: a short-lived token per program. */
			tokenEndpoint: '/api/programs/{id}/access'
		}
	};
}

function signIn(
	deps: ApiDeps,
	request: FastifyRequest,
	reply: FastifyReply,
	issued: IssuedSession
) {
	setSessionCookie(request, reply, issued.token, issued.session.expiresAt, deps.identity.now());
	reply.header('cache-control', 'no-store');
	return meJson(deps, issued);
}

export function registerAuthRoutes(app: FastifyInstance, deps: ApiDeps): void {
	const { identity } = deps;
	const api = app.withTypeProvider<TypeBoxTypeProvider>();
	api.post('/invitations/redeem', { schema: { body: RedeemBody } }, async (request, reply) => {
		const body = request.body;
		const issued = await identity.redeemInvitation(
			body.code,
			body.deviceName ?? guessDevice(request.headers['user-agent']),
			// The session this browser already has: the issuer cannot become the link's addressee.
			request.principal
		);
		return signIn(deps, request, reply, issued);
	});

	api.post('/login', { schema: { body: LoginBody } }, async (request, reply) => {
		const body = request.body;
		const login = () =>
			identity.loginWithPassword(
				body.login,
				body.password,
				body.deviceName ?? guessDevice(request.headers['user-agent'])
			);
		// request.ip is the client address the trusted proxies decided (TRUSTED_PROXIES).
		const issued = deps.signIn
			? await deps.signIn.attempt(
					request.ip,
					body.login,
					(seconds) => reply.header('retry-after', String(seconds)),
					login
				)
			: await login();
		return signIn(deps, request, reply, issued);
	});

	api.post('/logout', async (request, reply) => {
		if (request.principal) await identity.logout(request.principal);
		clearSessionCookie(request, reply);
		return { ok: true };
	});

	api.get('/me', async (request, reply) => {
		const p = principalOf(request);
		reply.header('cache-control', 'no-store');
		return meJson(deps, p);
	});

	api.put('/me/password', { schema: { body: SetPasswordBody } }, async (request) => {
		const p = principalOf(request);
		const body = request.body;
		await identity.setPassword(p.actor, p.actor.personId, body.login, body.password);
		return { ok: true };
	});

	// ---------------------------------------------------------------- sessions

	api.get('/sessions', async (request) => {
		const p = principalOf(request);
		const now = identity.now();
		const sessions = await identity.listSessions(p.actor, p.actor.personId);
		return { sessions: sessions.map((s) => sessionJson(s, p.session.id, now)) };
	});

	api.get('/people/:id/sessions', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: personId } = request.params;
		const now = identity.now();
		const sessions = await identity.listSessions(p.actor, personId);
		return { sessions: sessions.map((s) => sessionJson(s, p.session.id, now)) };
	});

	api.delete('/sessions/:id', { schema: { params: idParams } }, async (request, reply) => {
		const p = principalOf(request);
		const { id: sessionId } = request.params;
		await identity.revokeSession(p.actor, sessionId);
		if (sessionId === p.session.id) clearSessionCookie(request, reply);
		return { ok: true };
	});

	// ---------------------------------------------------------------- invitations

	api.post('/invitations', { schema: { body: CreateInvitationBody } }, async (request, reply) => {
		const p = principalOf(request);
		const body = request.body;
		const { invitation, url } = await identity.createInvitation(
			p.actor,
			{
				personId: body.personId,
				...(body.role !== undefined ? { role: body.role } : {}),
				...(body.organizationId !== undefined ? { organizationId: body.organizationId } : {}),
				...(body.municipalityId !== undefined ? { municipalityId: body.municipalityId } : {}),
				...(body.programId !== undefined ? { programId: body.programId } : {}),
				...(body.ttlHours !== undefined ? { ttlMs: body.ttlHours * 3600_000 } : {})
			},
			requestOrigin(request)
		);
		reply.header('cache-control', 'no-store');
		reply.code(201);
		return {
			invitation: invitationJson(invitation, identity.now()),
			url,
			qrSvg: await qrSvg(url)
		};
	});

	api.get('/organizations/:id/invitations', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: orgId } = request.params;
		const now = identity.now();
		const list = await identity.listInvitations(p.actor, orgId);
		return { invitations: list.map((i) => invitationJson(i, now)) };
	});

	api.delete('/invitations/:id', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: invitationId } = request.params;
		await identity.revokeInvitation(p.actor, invitationId);
		return { ok: true };
	});
}

function invitationJson(i: Parameters<typeof invitationStatus>[0], now: number) {
	return {
		id: i.id,
		personId: i.personId,
		role: i.role,
		organizationId: i.organizationId,
		municipalityId: i.municipalityId,
		programId: i.programId,
		createdBy: i.createdBy,
		createdAt: i.createdAt,
		expiresAt: i.expiresAt,
		usedAt: i.usedAt,
		revokedAt: i.revokedAt,
		status: invitationStatus(i, now)
	};
}

/** A readable default device name from the User-Agent («Android, Chrome»). */
export function guessDevice(ua: string | undefined): string {
	if (!ua) return 'Устройство';
	const os = /Android/.test(ua)
		? 'Android'
		: /iPhone|iPad/.test(ua)
			? 'iOS'
			: /Windows/.test(ua)
				? 'Windows'
				: /Mac OS/.test(ua)
					? 'macOS'
					: /Linux/.test(ua)
						? 'Linux'
						: null;
	const browser = /YaBrowser/.test(ua)
		? 'Яндекс Браузер'
		: /Edg\//.test(ua)
			? 'Edge'
			: /Firefox/.test(ua)
				? 'Firefox'
				: /Chrome/.test(ua)
					? 'Chrome'
					: /Safari/.test(ua)
						? 'Safari'
						: null;
	return [os, browser].filter(Boolean).join(', ') || 'Устройство';
}
