import type { FastifyInstance } from 'fastify';
import { TEMPLATES } from '../../../src/lib/shared/program/index.js';
import type { ParticipantRole } from '../../identity/policy.js';
import { CURATOR_ACTIONS, type CuratorActionInput } from '../../identity/curator-actions.js';
import type { IdentityService } from '../../identity/service.js';
import { id, idParams, paramsOf, principalOf } from './context.js';

const participantRole = { type: 'string', enum: ['mentor', 'mentee'] } as const;

export function registerProgramRoutes(api: FastifyInstance, identity: IdentityService): void {
	api.get('/templates', async (request) => {
		principalOf(request);
		return { templates: TEMPLATES.map((t) => ({ id: t.id, title: t.titleRu, kind: t.kind })) };
	});

	api.get('/programs', async (request) => {
		const p = principalOf(request);
		const programs = await identity.listMyPrograms(p.actor);
		return {
			programs: programs.map((x) => ({
				id: x.id,
				title: x.title,
				role: x.role,
				access: x.access,
				organizationId: x.organizationId
			}))
		};
	});

	api.post(
		'/programs',
		{
			schema: {
				body: {
					type: 'object',
					required: ['organizationId', 'templateId', 'participants'],
					properties: {
						organizationId: id,
						templateId: { type: 'string', maxLength: 64 },
						title: { type: 'string', maxLength: 300 },
						startDate: { type: 'string', maxLength: 10 },
						participants: {
							type: 'array',
							minItems: 1,
							maxItems: 50,
							items: {
								type: 'object',
								required: ['personId', 'role'],
								properties: { personId: id, role: participantRole },
								additionalProperties: false
							}
						}
					},
					additionalProperties: false
				}
			}
		},
		async (request, reply) => {
			const p = principalOf(request);
			const body = request.body as {
				organizationId: string;
				templateId: string;
				title?: string;
				startDate?: string;
				participants: Array<{ personId: string; role: ParticipantRole }>;
			};
			const program = await identity.createProgram(p.actor, body);
			reply.code(201);
			return { program };
		}
	);

	api.get('/programs/:id', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: programId } = request.params as { id: string };
		const program = await identity.getProgram(p.actor, programId);
		const participants = [];
		for (const part of program.participants) {
			const person = await identity.store.people.get(part.personId);
			participants.push({ ...part, fullName: person?.fullName ?? null });
		}
		return {
			program: { ...program, participants },
			summary: await identity.programSummary(p.actor, programId)
		};
	});

	api.get('/organizations/:id/programs', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: orgId } = request.params as { id: string };
		return { programs: await identity.listOrganizationPrograms(p.actor, orgId) };
	});

	api.post(
		'/programs/:id/participants',
		{
			schema: {
				params: idParams,
				body: {
					type: 'object',
					required: ['personId', 'role'],
					properties: { personId: id, role: participantRole },
					additionalProperties: false
				}
			}
		},
		async (request, reply) => {
			const p = principalOf(request);
			const { id: programId } = request.params as { id: string };
			const body = request.body as { personId: string; role: ParticipantRole };
			reply.code(201);
			return {
				program: await identity.addParticipant(p.actor, programId, body.personId, body.role)
			};
		}
	);

	api.delete(
		'/programs/:id/participants/:personId',
		{
			schema: {
				params: paramsOf('id', 'personId')
			}
		},
		async (request) => {
			const p = principalOf(request);
			const params = request.params as { id: string; personId: string };
			await identity.removeParticipant(p.actor, params.id, params.personId);
			return { ok: true };
		}
	);

	/** Curator actions on the document (curators and heads of the program's organization). */
	api.post(
		'/programs/:id/curator-actions',
		{
			schema: {
				params: idParams,
				body: {
					type: 'object',
					required: ['action'],
					properties: {
						action: { type: 'string', enum: [...CURATOR_ACTIONS] },
						activityId: id,
						commentId: id,
						reportId: id,
						changeId: id,
						text: { type: 'string', maxLength: 20_000 },
						comment: { type: 'string', maxLength: 20_000 },
						note: { type: 'string', maxLength: 2000 },
						date: { type: 'string', maxLength: 10 },
						reason: {
							type: 'string',
							enum: ['plan-completed', 'participant-initiative', 'curator-initiative']
						},
						decision: { type: 'string', enum: ['approved', 'rejected'] }
					},
					additionalProperties: false
				}
			}
		},
		async (request) => {
			const p = principalOf(request);
			const { id: programId } = request.params as { id: string };
			return identity.curatorAction(p.actor, programId, request.body as CuratorActionInput);
		}
	);

	/** A short-lived relay token for this device's session (the cookie also works on the upgrade). */
	api.get('/programs/:id/access', { schema: { params: idParams } }, async (request, reply) => {
		const p = principalOf(request);
		const { id: programId } = request.params as { id: string };
		reply.header('cache-control', 'no-store');
		return identity.programAccessToken(p, programId);
	});
}
