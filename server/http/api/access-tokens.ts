import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
	AccessTokensQuery,
	AccessTokensResponse,
	type AccessTokenItem
} from '../../../src/lib/shared/api/access-tokens.js';
import { IdParams, OkResponse } from '../../../src/lib/shared/api/common.js';
import type { AccessTokenRecord } from '../../identity/token-store.js';
import type { ApiDeps } from './deps.js';
import { principalOf } from './context.js';

function tokenJson(r: AccessTokenRecord, now: number): AccessTokenItem {
	return {
		id: r.id,
		personId: r.personId,
		programId: r.programId,
		access: r.access,
		createdBy: r.createdBy,
		createdAt: r.createdAt,
		expiresAt: r.expiresAt,
		revokedAt: r.revokedAt,
		revokedReason: r.revokedReason,
		active: r.revokedAt === null && r.expiresAt > now
	};
}

/**
 * Recorded relay access tokens (docs/access-tokens.md): listed and revoked by the person, their
 * curator or an administrator — who may see and revoke the person's sessions. Revoking closes the
 * connections opened with the token on every instance.
 */
export function registerAccessTokenRoutes(app: FastifyInstance, { identity }: ApiDeps): void {
	const api = app.withTypeProvider<TypeBoxTypeProvider>();
	api.get(
		'/access-tokens',
		{ schema: { querystring: AccessTokensQuery, response: { 200: AccessTokensResponse } } },
		async (request, reply) => {
			const p = principalOf(request);
			reply.header('cache-control', 'no-store');
			const list = await identity.listAccessTokens(
				p.actor,
				request.query.personId ?? p.actor.personId
			);
			const now = identity.now();
			return { tokens: list.map((r) => tokenJson(r, now)) };
		}
	);
	api.delete(
		'/access-tokens/:id',
		{ schema: { params: IdParams, response: { 200: OkResponse } } },
		async (request) => {
			const p = principalOf(request);
			await identity.revokeAccessToken(p.actor, request.params.id);
			return { ok: true } as const;
		}
	);
}
