import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { TEMPLATES } from '../../../src/lib/shared/program/index.js';
import { IdParams, OkResponse, paramsOf } from '../../../src/lib/shared/api/common.js';
import {
	AddParticipantBody,
	CreateProgramBody,
	MyProgramsResponse,
	ProgramAccessResponse,
	TemplatesResponse
} from '../../../src/lib/shared/api/programs.js';
import type { ApiDeps } from './deps.js';
import { principalOf } from './context.js';

/** Programs (server/programs): create, read, lists, participants, the relay token. */
export function registerProgramRoutes(app: FastifyInstance, { identity, programs }: ApiDeps): void {
	const api = app.withTypeProvider<TypeBoxTypeProvider>();

	api.get('/templates', { schema: { response: { 200: TemplatesResponse } } }, async (request) => {
		principalOf(request);
		return { templates: TEMPLATES.map((t) => ({ id: t.id, title: t.titleRu, kind: t.kind })) };
	});

	api.get('/programs', { schema: { response: { 200: MyProgramsResponse } } }, async (request) => {
		const p = principalOf(request);
		return { programs: await programs.myProgramItems(p.actor) };
	});

	api.post('/programs', { schema: { body: CreateProgramBody } }, async (request, reply) => {
		const p = principalOf(request);
		const program = await programs.createProgram(p.actor, request.body);
		reply.code(201);
		return { program };
	});

	api.get('/programs/:id', { schema: { params: IdParams } }, async (request) => {
		const p = principalOf(request);
		return programs.programCard(p.actor, request.params.id);
	});

	api.get('/organizations/:id/programs', { schema: { params: IdParams } }, async (request) => {
		const p = principalOf(request);
		return { programs: await programs.listOrganizationPrograms(p.actor, request.params.id) };
	});

	api.post(
		'/programs/:id/participants',
		{ schema: { params: IdParams, body: AddParticipantBody } },
		async (request, reply) => {
			const p = principalOf(request);
			const { personId, role } = request.body;
			reply.code(201);
			return {
				program: await programs.addParticipant(p.actor, request.params.id, personId, role)
			};
		}
	);

	api.delete(
		'/programs/:id/participants/:personId',
		{ schema: { params: paramsOf('id', 'personId'), response: { 200: OkResponse } } },
		async (request) => {
			const p = principalOf(request);
			await programs.removeParticipant(p.actor, request.params.id, request.params.personId);
			return { ok: true } as const;
		}
	);

	/** A short-lived relay token for this device's session (the cookie also works on the upgrade). */
	const accessSchema = { params: IdParams, response: { 200: ProgramAccessResponse } };
	api.get('/programs/:id/access', { schema: accessSchema }, async (request, reply) => {
		const p = principalOf(request);
		reply.header('cache-control', 'no-store');
		return identity.programAccessToken(p, request.params.id);
	});
}
