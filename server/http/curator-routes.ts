/**
 * The curator's HTTP API under /api/curator (docs/curator.md): dashboards, figures, calendar,
 * exports (DOCX / PDF / XLSX), the read-only program view, curator actions and the registry of
 * successful practices. Session, CSRF and errors: the API boundary (server/http/api-boundary.ts);
 * authorization: identity's policy (`organization.monitor`, `municipality.monitor`,
 * `program.read`, `program.curate`, `people.read`) through the curator, identity and programs.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { attachmentPath } from '../../src/lib/shared/api/attachments.js';
import type { CuratorProgramAttachment } from '../../src/lib/shared/api/curator.js';
import type { AttachmentView } from '../../src/lib/shared/program/attachments.js';
import type { AttachmentsService } from '../attachments/service.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProgramFromCaseBody } from '../../src/lib/shared/api/programs.js';
import {
	DASHBOARD_TEXT_FILTERS,
	PROBLEM_FLAGS,
	SORT_KEYS,
	type DashboardQuery,
	type ProblemFlag,
	type SortKey
} from '../../src/lib/shared/api/curator.js';
import { clampInt } from '../curator/dashboard.js';
import { exportSafe } from '../curator/exports/export-safe.js';
import { SCOPE_DOC_KINDS, type ScopeDocKind } from '../curator/exports/scope-docs.js';
import {
	SaveCalendarBody,
	SaveScopeDocumentBody
} from '../../src/lib/shared/api/scope-documents.js';
import {
	CuratorError,
	CuratorService,
	type FileResult,
	type ScopeRef
} from '../curator/service.js';
import type { Actor } from '../identity/policy.js';
import { parseCuratorAction } from '../programs/curator-actions.js';
import type { ProgramsService } from '../programs/service.js';
import { principalOf } from './api/context.js';
import { registerRolloutRoutes } from './rollout-routes.js';

const ID = /^[A-Za-z0-9_-]{1,128}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function actorOf(request: FastifyRequest): Actor {
	return principalOf(request).actor;
}

function str(v: unknown, max = 200): string | undefined {
	return typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;
}

function id(v: unknown): string {
	if (typeof v !== 'string' || !ID.test(v)) throw new CuratorError(404, 'not_found', 'Не найдено');
	return v;
}

function date(v: unknown): string | undefined {
	const s = str(v, 10);
	if (s === undefined) return undefined;
	if (!DATE.test(s))
		throw new CuratorError(400, 'invalid_request', 'Дата должна быть в формате ГГГГ-ММ-ДД');
	return s;
}

export function parseDashboardQuery(q: Record<string, unknown>): DashboardQuery {
	const out: DashboardQuery = {};
	const s = (k: keyof DashboardQuery & string) => {
		const v = str(q[k]);
		if (v !== undefined) (out as Record<string, unknown>)[k] = v;
	};
	for (const k of DASHBOARD_TEXT_FILTERS) s(k);
	const flags = str(q.flags, 500);
	if (flags)
		out.flags = flags
			.split(',')
			.filter((f): f is ProblemFlag => (PROBLEM_FLAGS as readonly string[]).includes(f));
	const sort = str(q.sort);
	if (sort && (SORT_KEYS as readonly string[]).includes(sort)) out.sort = sort as SortKey;
	if (q.dir === 'desc' || q.dir === 'asc') out.dir = q.dir;
	if (q.offset !== undefined) out.offset = clampInt(q.offset, 0, 1_000_000, 0);
	if (q.limit !== undefined) out.limit = clampInt(q.limit, 1, 500, 50);
	if (q.staleDays !== undefined) out.staleDays = clampInt(q.staleDays, 1, 365, 7);
	return out;
}

function sendFile(reply: FastifyReply, f: FileResult): FastifyReply {
	// A lone surrogate in a title would make encodeURIComponent throw (export-safe.ts).
	const fileName = exportSafe(f.fileName);
	const ascii = fileName.replace(/[^A-Za-z0-9._-]+/g, '_');
	return reply
		.header('content-type', f.contentType)
		.header(
			'content-disposition',
			`attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`
		)
		.header('cache-control', 'no-store')
		.send(f.body);
}

const format = (v: unknown): 'docx' | 'pdf' => (v === 'pdf' ? 'pdf' : 'docx');

export async function registerCuratorRoutes(
	api: FastifyInstance,
	{
		curator,
		programs,
		attachments
	}: { curator: CuratorService; programs: ProgramsService; attachments?: AttachmentsService }
): Promise<void> {
	await api.register(
		async (plain) => {
			const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
			const scopeRef = (request: FastifyRequest): ScopeRef => {
				const p = request.params as { kind: string; id: string };
				if (p.kind !== 'organizations' && p.kind !== 'municipalities')
					throw new CuratorError(404, 'not_found', 'Не найдено');
				return { kind: p.kind === 'organizations' ? 'organization' : 'municipality', id: id(p.id) };
			};
			const period = (q: Record<string, unknown>) => {
				const from = date(q.from);
				const to = date(q.to);
				return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
			};

			scope.get('/scopes', async (request) => ({
				scopes: await curator.monitoredScopes(actorOf(request)),
				staleDays: curator.staleDays,
				today: curator.today()
			}));

			scope.get('/:kind/:id/dashboard', async (request, reply) => {
				const s = await curator.resolveScope(actorOf(request), scopeRef(request));
				reply.header('cache-control', 'no-store');
				return {
					scope: { kind: s.kind, id: s.id, name: s.name },
					...(await curator.dashboard(
						s,
						parseDashboardQuery(request.query as Record<string, unknown>)
					))
				};
			});

			scope.get('/:kind/:id/figures', async (request) => {
				const s = await curator.resolveScope(actorOf(request), scopeRef(request));
				return {
					scope: { kind: s.kind, id: s.id, name: s.name },
					figures: await curator.figures(s, period(request.query as Record<string, unknown>))
				};
			});

			scope.get('/:kind/:id/calendar', async (request) => {
				const s = await curator.resolveScope(actorOf(request), scopeRef(request));
				const q = request.query as Record<string, unknown>;
				const year = clampInt(q.year, 2000, 2100, Number(curator.today(s.timeZone).slice(0, 4)));
				return {
					scope: { kind: s.kind, id: s.id, name: s.name },
					year,
					today: curator.today(s.timeZone),
					events: await curator.calendar(s, year)
				};
			});

			// The municipality's calendar: its items and responsible body (the coordinator sets them).
			scope.get('/:kind/:id/calendar/config', async (request, reply) => {
				const actor = actorOf(request);
				const s = await curator.resolveScope(actor, scopeRef(request));
				reply.header('cache-control', 'no-store');
				return curator.calendarConfig(actor, s);
			});

			scope.put(
				'/:kind/:id/calendar/config',
				{ schema: { body: SaveCalendarBody }, bodyLimit: 256 * 1024 },
				async (request) => {
					const actor = actorOf(request);
					const s = await curator.resolveScope(actor, scopeRef(request));
					return curator.saveCalendarConfig(actor, s, request.body);
				}
			);

			// Documents of the scope for a period, in versions (docs/curator.md «Documents and the calendar»).
			const docKind = (request: FastifyRequest): ScopeDocKind => {
				const k = (request.params as { docKind: string }).docKind;
				if (!(SCOPE_DOC_KINDS as readonly string[]).includes(k))
					throw new CuratorError(404, 'not_found', 'Такого документа нет');
				return k as ScopeDocKind;
			};
			const docPeriod = (q: Record<string, unknown>) => {
				const from = date(q.from);
				const to = date(q.to);
				if (!from || !to)
					throw new CuratorError(400, 'invalid_request', 'Укажите период документа: с и по');
				return { from, to };
			};
			const versionOf = (q: Record<string, unknown>) =>
				q.version === undefined ? undefined : clampInt(q.version, 1, 1_000_000, 1);

			scope.get('/:kind/:id/documents/:docKind', async (request, reply) => {
				const actor = actorOf(request);
				const s = await curator.resolveScope(actor, scopeRef(request));
				const q = request.query as Record<string, unknown>;
				reply.header('cache-control', 'no-store');
				return curator.documentState(actor, s, docKind(request), docPeriod(q), versionOf(q));
			});

			scope.post(
				'/:kind/:id/documents/:docKind',
				{ schema: { body: SaveScopeDocumentBody }, bodyLimit: 256 * 1024 },
				async (request, reply) => {
					const state = await curator.saveDocument(
						actorOf(request),
						scopeRef(request),
						docKind(request),
						request.body
					);
					reply.code(201);
					return state;
				}
			);

			scope.get('/:kind/:id/documents/:docKind/file', async (request, reply) => {
				const s = await curator.resolveScope(actorOf(request), scopeRef(request));
				const q = request.query as Record<string, unknown>;
				return sendFile(
					reply,
					await curator.documentFile(
						s,
						docKind(request),
						docPeriod(q),
						format(q.format),
						versionOf(q)
					)
				);
			});

			scope.get('/:kind/:id/exports/monitoring.xlsx', async (request, reply) => {
				const s = await curator.resolveScope(actorOf(request), scopeRef(request));
				const q = request.query as Record<string, unknown>;
				return sendFile(
					reply,
					await curator.monitoringXlsx(s, { ...parseDashboardQuery(q), offset: 0 }, period(q))
				);
			});

			scope.get('/:kind/:id/exports/registries.xlsx', async (request, reply) => {
				const actor = actorOf(request);
				const s = await curator.resolveScope(actor, scopeRef(request));
				return sendFile(reply, await curator.registriesXlsx(actor, s));
			});

			scope.get('/:kind/:id/exports/note', async (request, reply) => {
				const s = await curator.resolveScope(actorOf(request), scopeRef(request));
				const q = request.query as Record<string, unknown>;
				const kind = (SCOPE_DOC_KINDS as readonly string[]).includes(String(q.kind))
					? (q.kind as ScopeDocKind)
					: s.kind === 'municipality'
						? 'analytic-report'
						: 'analytic-note';
				return sendFile(reply, await curator.scopeDocument(s, kind, period(q), format(q.format)));
			});

			scope.get('/programs/:id', async (request, reply) => {
				const actor = actorOf(request);
				const programId = id((request.params as { id: string }).id);
				// Read in the worker pool: a huge document costs this request, not the server.
				const { program, organizationId, organizationName } = await curator.programJson(
					actor,
					programId
				);
				reply.header('cache-control', 'no-store');
				// The evidence files (issue 17): the document's references, with where to get the bytes.
				const stored = new Set(
					(await attachments?.listStored(programId))?.map((a) => a.hash) ?? []
				);
				const files: CuratorProgramAttachment[] = (
					(program as { attachments?: AttachmentView[] }).attachments ?? []
				).map((a) => ({
					...a,
					url: attachmentPath(programId, a.hash),
					uploaded: stored.has(a.hash)
				}));
				return {
					program,
					organizationId,
					organizationName,
					attachments: files,
					row: await curator.programRow(actor, programId),
					today: curator.today(program.meta.timeZone),
					decisions: await curator.decisionsAllowed(actor, programId)
				};
			});

			// The participants' sync health alone: the program page reads the document itself live
			// through a read-only relay connection and asks only for this when the document changes.
			scope.get('/programs/:id/row', async (request, reply) => {
				const programId = id((request.params as { id: string }).id);
				reply.header('cache-control', 'no-store');
				return { row: await curator.programRow(actorOf(request), programId) };
			});

			scope.get('/programs/:id/document', async (request, reply) => {
				const programId = id((request.params as { id: string }).id);
				return sendFile(
					reply,
					await curator.programDocument(
						actorOf(request),
						programId,
						format((request.query as Record<string, unknown>).format)
					)
				);
			});

			scope.get('/programs/:id/stages/:stageId/note', async (request, reply) => {
				const p = request.params as { id: string; stageId: string };
				return sendFile(
					reply,
					await curator.stageNote(
						actorOf(request),
						id(p.id),
						id(p.stageId),
						format((request.query as Record<string, unknown>).format)
					)
				);
			});

			// The mentor's report by 10 June / 10 December: period 'YYYY-06' or 'YYYY-12'.
			scope.get('/programs/:id/reports/:period/document', async (request, reply) => {
				const p = request.params as { id: string; period: string };
				if (!/^\d{4}-(06|12)$/.test(p.period))
					throw new CuratorError(404, 'not_found', 'Отчетный период не найден');
				return sendFile(
					reply,
					await curator.mentorReport(
						actorOf(request),
						id(p.id),
						p.period,
						format((request.query as Record<string, unknown>).format)
					)
				);
			});

			scope.post('/programs/:id/actions', { bodyLimit: 64 * 1024 }, async (request) => {
				const programId = id((request.params as { id: string }).id);
				return programs.curatorAction(
					actorOf(request),
					programId,
					parseCuratorAction(request.body)
				);
			});

			scope.post('/programs/:id/case', { bodyLimit: 64 * 1024 }, async (request, reply) => {
				const programId = id((request.params as { id: string }).id);
				const b = (request.body ?? {}) as Record<string, unknown>;
				if (typeof b.description !== 'string' || !b.description.trim())
					throw new CuratorError(
						400,
						'invalid_request',
						'Опишите практику: чем она успешна и что можно перенять'
					);
				const c = await curator.markCase(actorOf(request), programId, {
					...(typeof b.title === 'string' ? { title: b.title } : {}),
					description: b.description,
					tags: Array.isArray(b.tags)
						? b.tags.filter((t): t is string => typeof t === 'string').slice(0, 20)
						: [],
					consentMentor: b.consentMentor === true,
					consentMentee: b.consentMentee === true,
					consentNote: typeof b.consentNote === 'string' ? b.consentNote.slice(0, 500) : null
				});
				reply.code(201);
				return { case: c };
			});

			scope.get('/cases', async (request) => {
				const q = request.query as Record<string, unknown>;
				const filter = {
					...(str(q.q) ? { q: str(q.q) } : {}),
					...(str(q.form) ? { form: str(q.form) } : {}),
					...(str(q.category) ? { category: str(q.category) } : {})
				};
				return { cases: await curator.cases(actorOf(request), filter) };
			});

			scope.get('/cases/:id', async (request) => ({
				case: await curator.caseById(actorOf(request), id((request.params as { id: string }).id))
			}));

			// A practice from the registry reused as the plan of a new program.
			scope.post(
				'/cases/:id/programs',
				{ schema: { body: ProgramFromCaseBody } },
				async (request, reply) => {
					const program = await curator.createProgramFromCase(
						actorOf(request),
						id((request.params as { id: string }).id),
						request.body
					);
					reply.code(201);
					return { program };
				}
			);

			scope.delete('/cases/:id', async (request) => {
				await curator.withdraw(actorOf(request), id((request.params as { id: string }).id));
				return { ok: true };
			});

			registerRolloutRoutes(plain, curator);
		},
		{ prefix: '/curator' }
	);
}
