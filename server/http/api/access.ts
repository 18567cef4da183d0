import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type {
	DevicesResponse,
	SessionStateResponse,
	SignInLinkResponse,
	SignInSheetResponse
} from '../../../src/lib/shared/api/access.js';
import { SignInLinkBody, SignInSheetBody } from '../../../src/lib/shared/api/access.js';
import { notFound } from '../../identity/errors.js';
import { SESSION_COOKIE } from '../../identity/relay-authorizer.js';
import { hashSecret, looksLikeSecret } from '../../identity/secrets.js';
import { accessOpened, issueSheet, reissueSignIn } from '../../identity/sign-in-links.js';
import type { ApiDeps } from './deps.js';
import { qrSvg } from './qr.js';
import { idParams, paramsOf, principalOf, requestOrigin, sessionJson } from './context.js';

/**
 * The curator's access tools (docs/identity.md, "Re-issuing access"): a new sign-in link and QR
 * for a person, links for a whole school (the printable sheet), a person's devices and the revoke
 * of one, and what a device learns about its own ended session. Every decision is the policy's
 * (createInvitation → mayIssueSignIn; sessions.read / sessions.revoke; people.write).
 */
export function registerAccessRoutes(app: FastifyInstance, { identity }: ApiDeps): void {
	const api = app.withTypeProvider<TypeBoxTypeProvider>();

	api.post(
		'/people/:id/sign-in-link',
		{ schema: { params: idParams, body: SignInLinkBody } },
		async (request, reply): Promise<SignInLinkResponse> => {
			const p = principalOf(request);
			const { ttlHours } = request.body;
			const issued = await reissueSignIn(
				identity,
				p.actor,
				request.params.id,
				requestOrigin(request),
				ttlHours !== undefined ? ttlHours * 3600_000 : undefined
			);
			reply.header('cache-control', 'no-store');
			reply.code(201);
			return {
				url: issued.url,
				qrSvg: await qrSvg(issued.url),
				invitationId: issued.invitation.id,
				expiresAt: issued.invitation.expiresAt,
				revoked: issued.revoked
			};
		}
	);

	api.post(
		'/organizations/:id/sign-in-sheet',
		{ schema: { params: idParams, body: SignInSheetBody } },
		async (request, reply): Promise<SignInSheetResponse> => {
			const p = principalOf(request);
			const body = request.body;
			const { entries, skipped } = await issueSheet(
				identity,
				p.actor,
				request.params.id,
				{
					...(body.personIds !== undefined ? { personIds: body.personIds } : {}),
					...(body.onlyNotOpened !== undefined ? { onlyNotOpened: body.onlyNotOpened } : {}),
					...(body.ttlHours !== undefined ? { ttlMs: body.ttlHours * 3600_000 } : {})
				},
				requestOrigin(request)
			);
			const org = await identity.getOrganization(p.actor, request.params.id);
			reply.header('cache-control', 'no-store');
			return {
				organizationName: org.name,
				entries: await Promise.all(
					entries.map(async (e) => ({
						personId: e.personId,
						fullName: e.fullName,
						role: e.role,
						url: e.url,
						qrSvg: await qrSvg(e.url),
						expiresAt: e.expiresAt,
						revoked: e.revoked,
						openedAt: e.openedAt
					}))
				),
				skipped
			};
		}
	);

	api.get(
		'/people/:id/devices',
		{ schema: { params: idParams } },
		async (request, reply): Promise<DevicesResponse> => {
			const p = principalOf(request);
			const personId = request.params.id;
			// listSessions checks sessions.read on the person (404 when unknown).
			const sessions = await identity.listSessions(p.actor, personId);
			const person = await identity.store.people.get(personId);
			if (!person) throw notFound();
			const now = identity.now();
			const opened = await accessOpened(identity, personId);
			reply.header('cache-control', 'no-store');
			return {
				person: { id: person.id, fullName: person.fullName },
				openedAt: opened?.firstAt ?? null,
				devices: sessions
					.map((s) => sessionJson(s, p.session.id, now))
					.sort((a, b) => b.lastUsedAt - a.lastUsedAt)
			};
		}
	);

	api.delete(
		'/people/:id/devices/:sessionId',
		{ schema: { params: paramsOf('id', 'sessionId') } },
		async (request) => {
			const p = principalOf(request);
			await identity.lifecycle.endDevice(p.actor, request.params.id, request.params.sessionId);
			return { ok: true as const };
		}
	);

	/** No session needed: a device asks what became of the one its cookie names. */
	api.get('/session/state', async (request, reply): Promise<SessionStateResponse> => {
		reply.header('cache-control', 'no-store');
		const token = request.cookies[SESSION_COOKIE];
		if (request.principal) return { state: 'active', byOther: false, at: null };
		if (!looksLikeSecret(token)) return { state: 'none', byOther: false, at: null };
		const s = await identity.store.sessions.findByTokenHash(hashSecret(token));
		if (!s) return { state: 'none', byOther: false, at: null };
		if (s.revokedAt !== null)
			return {
				state: 'revoked',
				byOther: s.revokedBy !== null && s.revokedBy !== s.personId,
				at: s.revokedAt
			};
		return { state: 'expired', byOther: false, at: s.expiresAt };
	});
}
