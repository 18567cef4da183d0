/**
 * /api/curator rollout plans (server/curator/rollout.ts, docs/curator.md «План внедрения»):
 * GET /:kind/:id/rollout (an organization's plans, or a municipality's), POST
 * /organizations/:id/rollout (a new plan for a school year), PATCH /rollout/:id/steps/:step.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CreateRolloutBody, RolloutStepPatch } from '../../src/lib/shared/api/rollout.js';
import type { Actor } from '../identity/policy.js';
import { CuratorError, type CuratorService } from '../curator/service.js';
import { paramsOf, principalOf } from './api/context.js';

export function registerRolloutRoutes(plain: FastifyInstance, curator: CuratorService): void {
	const api = plain.withTypeProvider<TypeBoxTypeProvider>();
	const actorOf = (request: Parameters<typeof principalOf>[0]): Actor => principalOf(request).actor;

	api.get(
		'/:kind/:id/rollout',
		{ schema: { params: paramsOf('kind', 'id') } },
		async (request, reply) => {
			const { kind, id } = request.params;
			if (kind !== 'organizations' && kind !== 'municipalities')
				throw new CuratorError(404, 'not_found', 'Не найдено');
			const actor = actorOf(request);
			const scope = await curator.resolveScope(actor, {
				kind: kind === 'organizations' ? 'organization' : 'municipality',
				id
			});
			reply.header('cache-control', 'no-store');
			return {
				scope: { kind: scope.kind, id: scope.id, name: scope.name },
				today: curator.today(scope.timeZone),
				plans: await curator.rollout.list(actor, scope)
			};
		}
	);

	api.post(
		'/organizations/:id/rollout',
		{ schema: { params: paramsOf('id'), body: CreateRolloutBody } },
		async (request, reply) => {
			const actor = actorOf(request);
			const scope = await curator.resolveScope(actor, {
				kind: 'organization',
				id: request.params.id
			});
			reply.code(201);
			return {
				plan: await curator.rollout.create(actor, scope, request.body.kind, request.body.startYear)
			};
		}
	);

	api.patch(
		'/rollout/:id/steps/:step',
		{ schema: { params: paramsOf('id', 'step'), body: RolloutStepPatch } },
		async (request) => {
			const step = Number(request.params.step);
			if (!Number.isInteger(step) || step < 1 || step > 100)
				throw new CuratorError(404, 'not_found', 'Мероприятие плана не найдено.');
			return {
				plan: await curator.rollout.updateStep(
					actorOf(request),
					request.params.id,
					step,
					request.body
				)
			};
		}
	);
}
