import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { formatImportErrors, importPeople, type ImportRow } from '../../identity/import.js';
import { inlineTasks } from '../../workers/tasks.js';
import { IdentityError, invalid } from '../../identity/errors.js';
import { SpreadsheetRefused } from '../../identity/spreadsheet-guard.js';
import { CsvEncodingError, decodeCsv } from '../../identity/csv-encoding.js';
import type { ApiDeps } from './deps.js';
import { can } from '../../identity/policy.js';
import { idParams, paramsOf, personJson, principalOf } from './context.js';
import {
	AssignRoleBody,
	ConsentBody,
	CreateMunicipalityBody,
	CreateOrganizationBody,
	CreatePersonBody,
	ImportBody,
	OrgAttributesBody,
	SetTimeZoneBody,
	UpdatePersonBody
} from '../../../src/lib/shared/api/registry.js';
import { ReserveBody } from '../../../src/lib/shared/api/reserve.js';

export function registerRegistryRoutes(
	app: FastifyInstance,
	{ identity, programs, tasks = inlineTasks }: ApiDeps
): void {
	const api = app.withTypeProvider<TypeBoxTypeProvider>();
	const now = () => identity.now();

	// ---------------------------------------------------------------- municipalities

	api.get('/municipalities', async (request) => {
		const p = principalOf(request);
		return { municipalities: await identity.listMunicipalities(p.actor) };
	});

	api.post(
		'/municipalities',
		{
			schema: {
				body: CreateMunicipalityBody
			}
		},
		async (request, reply) => {
			const p = principalOf(request);
			const { name: n, timeZone: zone } = request.body;
			reply.code(201);
			return { municipality: await identity.createMunicipality(p.actor, n, zone ?? null) };
		}
	);

	api.patch(
		'/municipalities/:id',
		{ schema: { params: idParams, body: SetTimeZoneBody } },
		async (request) => {
			const p = principalOf(request);
			const { id: munId } = request.params;
			const { timeZone: zone } = request.body;
			return { municipality: await identity.setMunicipalityTimeZone(p.actor, munId, zone) };
		}
	);

	api.get(
		'/municipalities/:id/organizations',
		{ schema: { params: idParams } },
		async (request) => {
			const p = principalOf(request);
			const { id: munId } = request.params;
			await identity.getMunicipality(p.actor, munId);
			return { organizations: await identity.listOrganizations(p.actor, munId) };
		}
	);

	api.get('/municipalities/:id/people', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: munId } = request.params;
		const people = await identity.listMunicipalityPeople(p.actor, munId);
		return { people: people.map((x) => personJson(x, now())) };
	});

	api.get('/municipalities/:id/monitoring', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: munId } = request.params;
		const rows = await programs.municipalityMonitoring(p.actor, munId);
		return {
			programs: rows.map((r) => ({
				id: r.program.id,
				organizationId: r.program.organizationId,
				title: r.program.title,
				templateId: r.program.templateId,
				participants: r.program.participants,
				summary: r.summary
			}))
		};
	});

	// ---------------------------------------------------------------- organizations

	api.get('/organizations', async (request) => {
		const p = principalOf(request);
		return { organizations: await identity.listOrganizations(p.actor) };
	});

	api.post(
		'/organizations',
		{
			schema: {
				body: CreateOrganizationBody
			}
		},
		async (request, reply) => {
			const p = principalOf(request);
			const body = request.body;
			reply.code(201);
			return {
				organization: await identity.createOrganization(
					p.actor,
					body.municipalityId,
					body.name,
					body.timeZone ?? null
				)
			};
		}
	);

	api.get('/organizations/:id', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: orgId } = request.params;
		const organization = await identity.getOrganization(p.actor, orgId);
		const res = {
			kind: 'organization' as const,
			id: organization.id,
			municipalityId: organization.municipalityId
		};
		return {
			organization: {
				...organization,
				effectiveTimeZone: await identity.organizationTimeZone(orgId)
			},
			// What this viewer may do here (the bank offers only these; each call is checked again).
			may: {
				peopleWrite: can(p.actor, 'people.write', res),
				programCreate: can(p.actor, 'program.create', res),
				settings: can(p.actor, 'organization.settings', res),
				auditRead: can(p.actor, 'audit.read', res)
			}
		};
	});

	api.put(
		'/organizations/:id/attributes',
		{ schema: { params: idParams, body: OrgAttributesBody } },
		async (request) => {
			const p = principalOf(request);
			const { id: orgId } = request.params;
			return {
				organization: await identity.setOrganizationAttributes(p.actor, orgId, request.body)
			};
		}
	);

	api.patch(
		'/organizations/:id',
		{ schema: { params: idParams, body: SetTimeZoneBody } },
		async (request) => {
			const p = principalOf(request);
			const { id: orgId } = request.params;
			const { timeZone: zone } = request.body;
			const organization = await identity.setOrganizationTimeZone(p.actor, orgId, zone);
			return {
				organization: {
					...organization,
					effectiveTimeZone: await identity.organizationTimeZone(orgId)
				}
			};
		}
	);

	api.get('/organizations/:id/people', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: orgId } = request.params;
		const people = await identity.listPeople(p.actor, orgId);
		return { people: people.map((x) => personJson(x, now())) };
	});

	// The bank's import from the curator's screen: the same rules and report as the CLI import,
	// with a dry run that lists errors by row in Russian; the real import is atomic.
	api.post(
		'/organizations/:id/import',
		{
			bodyLimit: 8 * 1024 * 1024,
			schema: {
				params: idParams,
				body: ImportBody
			}
		},
		async (request) => {
			const p = principalOf(request);
			const { id: orgId } = request.params;
			const body = request.body;
			const data = Buffer.from(body.content, 'base64');
			const lower = body.fileName.toLowerCase();
			let rows: ImportRow[];
			try {
				// Parsed in the worker pool: a hostile spreadsheet costs this request, not the server.
				if (lower.endsWith('.xlsx')) rows = await tasks('readXlsx', { data });
				else if (lower.endsWith('.csv') || lower.endsWith('.txt'))
					// UTF-8 or Windows-1251 (Russian Excel), detected; neither → a Russian message (issue 16).
					rows = await tasks('readCsv', { text: decodeCsv(data).text });
				else throw invalid('Поддерживаются файлы .csv и .xlsx');
			} catch (error) {
				if (error instanceof IdentityError) throw error;
				if (error instanceof SpreadsheetRefused) throw invalid(error.messageRu);
				if (error instanceof CsvEncodingError) throw invalid(error.messageRu);
				throw invalid('Не удалось прочитать файл: проверьте, что это таблица .csv или .xlsx');
			}
			const report = await importPeople(identity, p.actor, orgId, rows, {
				dryRun: body.dryRun ?? false
			});
			return { report, messages: formatImportErrors(report) };
		}
	);

	api.post(
		'/organizations/:id/people',
		{
			schema: {
				params: idParams,
				body: CreatePersonBody
			}
		},
		async (request, reply) => {
			const p = principalOf(request);
			const { id: orgId } = request.params;
			const { allowDuplicate, ...input } = request.body;
			// The same person already in the bank (src/lib/shared/duplicates.ts): 409 with the records,
			// unless the curator confirmed it is someone else (issue 16).
			if (!allowDuplicate && programs.curatorRecords) {
				const candidates = await programs.curatorRecords.duplicatesOf(p.actor, orgId, input);
				if (candidates.length > 0)
					throw new IdentityError(
						409,
						'duplicate_person',
						`Похоже, этот человек уже есть в банке: ${candidates.map((c) => `${c.fullName} (${c.reasonRu})`).join('; ')}`,
						{ candidates }
					);
			}
			const person = await identity.createPerson(p.actor, { organizationId: orgId }, input);
			reply.code(201);
			return { person: personJson(person, now()) };
		}
	);

	api.get('/organizations/:id/audit', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: orgId } = request.params;
		return { entries: await identity.listAudit(p.actor, { organizationId: orgId }) };
	});

	api.get('/audit', async (request) => {
		const p = principalOf(request);
		return { entries: await identity.listAudit(p.actor, {}) };
	});

	// ---------------------------------------------------------------- people

	api.get('/people/:id', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: personId } = request.params;
		const person = await identity.getPerson(p.actor, personId);
		return { person: personJson(person, now()) };
	});

	api.patch(
		'/people/:id',
		{
			schema: {
				params: idParams,
				body: UpdatePersonBody
			}
		},
		async (request) => {
			const p = principalOf(request);
			const { id: personId } = request.params;
			const person = await identity.updatePerson(p.actor, personId, request.body);
			return { person: personJson(person, now()) };
		}
	);

	api.get('/people/:id/consents', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: personId } = request.params;
		return { consents: await identity.listConsents(p.actor, personId) };
	});

	api.post(
		'/people/:id/consents',
		{
			schema: {
				params: idParams,
				body: ConsentBody
			}
		},
		async (request, reply) => {
			const p = principalOf(request);
			const { id: personId } = request.params;
			reply.code(201);
			return {
				consent: await identity.recordConsent(p.actor, personId, request.body)
			};
		}
	);

	api.delete(
		'/people/:id/consents/:consentId',
		{
			schema: {
				params: paramsOf('id', 'consentId')
			}
		},
		async (request) => {
			const p = principalOf(request);
			const params = request.params;
			await identity.revokeConsent(p.actor, params.id, params.consentId);
			return { ok: true };
		}
	);

	// ---------------------------------------------------------------- management reserve

	api.put(
		'/people/:id/reserve',
		{ schema: { params: idParams, body: ReserveBody } },
		async (request) => {
			const p = principalOf(request);
			return { entry: await identity.reserve.put(p.actor, request.params.id, request.body) };
		}
	);

	api.delete('/people/:id/reserve', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		await identity.reserve.remove(p.actor, request.params.id);
		return { ok: true };
	});

	api.get('/municipalities/:id/reserve', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		return { reserve: await identity.reserve.listMunicipality(p.actor, request.params.id) };
	});

	api.get('/organizations/:id/reserve', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		return { reserve: await identity.reserve.listOrganization(p.actor, request.params.id) };
	});

	api.get('/people/:id/roles', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: personId } = request.params;
		return { roles: await identity.listRoles(p.actor, personId) };
	});

	api.post(
		'/people/:id/roles',
		{
			schema: {
				params: idParams,
				body: AssignRoleBody
			}
		},
		async (request, reply) => {
			const p = principalOf(request);
			const { id: personId } = request.params;
			const body = request.body;
			reply.code(201);
			return {
				role: await identity.assignRole(p.actor, personId, body.role, {
					...(body.organizationId !== undefined ? { organizationId: body.organizationId } : {}),
					...(body.municipalityId !== undefined ? { municipalityId: body.municipalityId } : {})
				})
			};
		}
	);

	api.delete('/roles/:id', { schema: { params: idParams } }, async (request) => {
		const p = principalOf(request);
		const { id: roleId } = request.params;
		await identity.removeRole(p.actor, roleId);
		return { ok: true };
	});
}
