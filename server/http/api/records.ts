import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdentityError } from '../../identity/errors.js';
import type { RecordsService } from '../../programs/records.js';
import { IdParams, OkResponse } from '../../../src/lib/shared/api/common.js';
import {
	CancelProgramBody,
	DuplicateCheckBody,
	ErasePersonBody,
	MergePeopleBody,
	type CancellationResponse,
	type CancelledProgramsResponse,
	type DuplicateCheckResponse,
	type DuplicateGroupsResponse,
	type EraseResponse,
	type MergeResponse
} from '../../../src/lib/shared/api/records.js';
import type { ApiDeps } from './deps.js';
import { principalOf } from './context.js';

/**
 * The curator's records (server/programs/records.ts, issue 16): cancel and restore a program,
 * probable duplicates and their merge, removal of a person's personal data on request. Every
 * route asks the policy through identity (program.manage, organization.monitor, person.write).
 */
export function registerRecordsRoutes(app: FastifyInstance, { programs }: ApiDeps): void {
	const api = app.withTypeProvider<TypeBoxTypeProvider>();
	const records = (): RecordsService => {
		if (!programs.curatorRecords)
			throw new IdentityError(503, 'unavailable', 'Сервис временно недоступен');
		return programs.curatorRecords;
	};

	api.get('/programs/:id/cancellation', { schema: { params: IdParams } }, async (request) => {
		const p = principalOf(request);
		const cancellation = await records().cancellation(p.actor, request.params.id);
		return { cancellation } satisfies CancellationResponse;
	});

	api.post(
		'/programs/:id/cancel',
		{ schema: { params: IdParams, body: CancelProgramBody } },
		async (request) => {
			const p = principalOf(request);
			const { reason, note } = request.body;
			const cancellation = await records().cancel(p.actor, request.params.id, reason, note ?? null);
			return { cancellation } satisfies CancellationResponse;
		}
	);

	api.post(
		'/programs/:id/restore',
		{ schema: { params: IdParams, response: { 200: OkResponse } } },
		async (request) => {
			const p = principalOf(request);
			await records().restore(p.actor, request.params.id);
			return { ok: true } as const;
		}
	);

	api.get(
		'/organizations/:id/cancelled-programs',
		{ schema: { params: IdParams } },
		async (request) => {
			const p = principalOf(request);
			const list = await records().listCancelled(p.actor, request.params.id);
			return { programs: list } satisfies CancelledProgramsResponse;
		}
	);

	api.post(
		'/organizations/:id/people/duplicates',
		{ schema: { params: IdParams, body: DuplicateCheckBody } },
		async (request) => {
			const p = principalOf(request);
			const { exceptId, ...who } = request.body;
			const candidates = await records().duplicatesOf(p.actor, request.params.id, who, exceptId);
			return { candidates } satisfies DuplicateCheckResponse;
		}
	);

	api.get('/organizations/:id/duplicates', { schema: { params: IdParams } }, async (request) => {
		const p = principalOf(request);
		const groups = await records().duplicateGroups(p.actor, request.params.id);
		return { groups } satisfies DuplicateGroupsResponse;
	});

	api.post(
		'/people/:id/merge',
		{ schema: { params: IdParams, body: MergePeopleBody } },
		async (request) => {
			const p = principalOf(request);
			const result = await records().merge(p.actor, request.params.id, request.body.duplicateId);
			return result satisfies MergeResponse;
		}
	);

	api.post(
		'/people/:id/erase',
		{ schema: { params: IdParams, body: ErasePersonBody } },
		async (request) => {
			const p = principalOf(request);
			const { confirmFullName, reason } = request.body;
			const result = await records().erase(
				p.actor,
				request.params.id,
				confirmFullName,
				reason ?? null
			);
			return result satisfies EraseResponse;
		}
	);
}
