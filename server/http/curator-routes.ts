/**
 * The curator's HTTP API under /api/curator (docs/curator.md): dashboards, figures, calendar,
 * exports (DOCX / PDF / XLSX), the read-only program view, curator actions and the registry of
 * successful practices. Authentication: identity's session cookie; authorization: identity's
 * policy (`organization.monitor`, `municipality.monitor`, `program.read`, `program.curate`,
 * `people.read`).
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
	COMPLETION_REASON_LABELS,
	FORM_LABELS,
	MENTEE_CATEGORY_LABELS,
	ProgramValidationError,
	TYPE_LABELS,
	programToJSON,
	type CompletionReason,
	type MenteeCategory,
	type MentoringForm,
	type MentoringType
} from '../../src/lib/shared/program/index.js';
import { CURATOR_ACTIONS, type CuratorAction } from '../curator/actions.js';
import {
	PROBLEM_FLAGS,
	SORT_KEYS,
	clampInt,
	type DashboardQuery,
	type ProblemFlag,
	type SortKey
} from '../curator/dashboard.js';
import { SCOPE_DOC_KINDS, type ScopeDocKind } from '../curator/exports/scope-docs.js';
import {
	CuratorError,
	CuratorService,
	type FileResult,
	type ScopeRef
} from '../curator/service.js';
import { IdentityError } from '../identity/errors.js';
import type { Actor } from '../identity/policy.js';
import { SESSION_COOKIE } from '../identity/relay-authorizer.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ID = /^[A-Za-z0-9_-]{1,128}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const actors = new WeakMap<FastifyRequest, Actor>();

function actorOf(request: FastifyRequest): Actor {
	const a = actors.get(request);
	if (!a) throw new CuratorError(401, 'unauthenticated', 'Войдите в систему');
	return a;
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
	for (const k of [
		'q',
		'organizationId',
		'form',
		'type',
		'category',
		'templateId',
		'stage',
		'status'
	] as const)
		s(k);
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
	const ascii = f.fileName.replace(/[^A-Za-z0-9._-]+/g, '_');
	return reply
		.header('content-type', f.contentType)
		.header(
			'content-disposition',
			`attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(f.fileName)}`
		)
		.header('cache-control', 'no-store')
		.send(f.body);
}

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
	if (error instanceof CuratorError)
		return reply.code(error.status).send({ error: error.code, message: error.messageRu });
	if (error instanceof IdentityError)
		return reply.code(error.status).send({ error: error.code, message: error.messageRu });
	if (error instanceof ProgramValidationError)
		return reply
			.code(
				error.code === 'not-found'
					? 404
					: error.code === 'forbidden'
						? 403
						: error.code === 'invalid-state'
							? 409
							: 400
			)
			.send({
				error: error.code,
				field: error.field,
				message: error.messageRu
			});
	const e = error as { validation?: unknown; statusCode?: number; message?: string };
	if (
		e.validation ||
		(typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
	)
		return reply
			.code(e.statusCode ?? 400)
			.send({ error: 'invalid_request', message: 'Неверный запрос' });
	if (e.message?.startsWith('unknown program'))
		return reply.code(404).send({ error: 'not_found', message: 'Программа не найдена' });
	reply.log.error({ err: error }, 'curator API error');
	return reply
		.code(500)
		.send({ error: 'internal', message: 'Ошибка сервера. Попробуйте ещё раз.' });
}

function parseAction(body: unknown): CuratorAction {
	const b = (body ?? {}) as Record<string, unknown>;
	const bad = (m: string) => new CuratorError(400, 'invalid_request', m);
	switch (b.action) {
		case 'accept-report':
			return {
				action: 'accept-report',
				reportId: id(b.reportId),
				...(typeof b.comment === 'string' && b.comment.trim() ? { comment: b.comment } : {})
			};
		case 'return-report':
			if (typeof b.comment !== 'string' || !b.comment.trim())
				throw bad('Укажите, что нужно доработать');
			return { action: 'return-report', reportId: id(b.reportId), comment: b.comment };
		case 'comment-activity':
			if (typeof b.text !== 'string' || !b.text.trim()) throw bad('Введите комментарий');
			return { action: 'comment-activity', activityId: id(b.activityId), text: b.text };
		case 'complete': {
			if (typeof b.reason !== 'string' || !(b.reason in COMPLETION_REASON_LABELS))
				throw bad('Укажите основание завершения');
			const d = date(b.date);
			if (!d) throw bad('Укажите дату завершения');
			return {
				action: 'complete',
				reason: b.reason as CompletionReason,
				date: d,
				...(typeof b.note === 'string' ? { note: b.note } : {})
			};
		}
		case 'petition-change':
		case 'approve-change':
		case 'reject-change':
			return { action: b.action, changeId: id(b.changeId) };
		case 'approve-program':
			return { action: 'approve-program' };
		case 'set-form': {
			const out: Extract<CuratorAction, { action: 'set-form' }> = { action: 'set-form' };
			if (b.form !== undefined) {
				if (typeof b.form !== 'string' || !(b.form in FORM_LABELS))
					throw bad('Неизвестная форма наставничества');
				out.form = b.form as MentoringForm;
			}
			if (b.types !== undefined) {
				if (
					!Array.isArray(b.types) ||
					b.types.length === 0 ||
					!b.types.every((t) => typeof t === 'string' && t in TYPE_LABELS)
				)
					throw bad('Неизвестный вид наставничества');
				out.types = b.types as MentoringType[];
			}
			if (b.menteeCategory !== undefined) {
				if (typeof b.menteeCategory !== 'string' || !(b.menteeCategory in MENTEE_CATEGORY_LABELS))
					throw bad('Неизвестная категория наставляемого');
				out.menteeCategory = b.menteeCategory as MenteeCategory;
			}
			return out;
		}
		default:
			throw bad(`Неизвестное действие; допустимы: ${CURATOR_ACTIONS.join(', ')}`);
	}
}

const format = (v: unknown): 'docx' | 'pdf' => (v === 'pdf' ? 'pdf' : 'docx');

export async function registerCuratorRoutes(
	api: FastifyInstance,
	curator: CuratorService
): Promise<void> {
	await api.register(
		async (scope) => {
			await scope.register(cookie);
			scope.setErrorHandler((error, _request, reply) => sendError(reply, error));

			// Same CSRF rule as the identity API: state changes only as same-origin JSON.
			scope.addHook('onRequest', async (request, reply) => {
				if (!UNSAFE.has(request.method)) return;
				const origin = request.headers.origin;
				if (origin !== undefined) {
					let ok = false;
					try {
						ok = new URL(origin).host === request.host;
					} catch {
						ok = false;
					}
					if (!ok)
						return reply
							.code(403)
							.send({ error: 'forbidden', message: 'Запрос с чужого сайта отклонён' });
				}
				const hasBody =
					request.headers['content-length'] !== undefined &&
					request.headers['content-length'] !== '0';
				if (
					(hasBody || request.headers['transfer-encoding']) &&
					!(request.headers['content-type'] ?? '').startsWith('application/json')
				)
					return reply
						.code(415)
						.send({ error: 'unsupported_media_type', message: 'Ожидается JSON' });
			});

			scope.addHook('preHandler', async (request) => {
				const token = request.cookies[SESSION_COOKIE];
				if (token === undefined) return;
				const principal = await curator.identity.authenticate(token);
				if (principal) actors.set(request, principal.actor);
			});

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
				const { view, organizationId, organizationName } = await curator.programView(
					actor,
					programId
				);
				reply.header('cache-control', 'no-store');
				return {
					program: programToJSON(view),
					organizationId,
					organizationName,
					row: await curator.programRow(organizationId, programId),
					today: curator.today(view.meta.timeZone)
				};
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

			scope.post('/programs/:id/actions', { bodyLimit: 64 * 1024 }, async (request) => {
				const programId = id((request.params as { id: string }).id);
				return curator.act(actorOf(request), programId, parseAction(request.body));
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
				{
					schema: {
						body: {
							type: 'object',
							required: ['organizationId', 'participants'],
							properties: {
								organizationId: { type: 'string', maxLength: 64 },
								title: { type: 'string', maxLength: 300 },
								startDate: { type: 'string', maxLength: 10 },
								participants: {
									type: 'array',
									minItems: 1,
									maxItems: 50,
									items: {
										type: 'object',
										required: ['personId', 'role'],
										properties: {
											personId: { type: 'string', maxLength: 64 },
											role: { type: 'string', enum: ['mentor', 'mentee'] }
										},
										additionalProperties: false
									}
								}
							},
							additionalProperties: false
						}
					}
				},
				async (request, reply) => {
					const body = request.body as Parameters<CuratorService['createProgramFromCase']>[2];
					const program = await curator.createProgramFromCase(
						actorOf(request),
						id((request.params as { id: string }).id),
						body
					);
					reply.code(201);
					return { program };
				}
			);

			scope.delete('/cases/:id', async (request) => {
				await curator.withdraw(actorOf(request), id((request.params as { id: string }).id));
				return { ok: true };
			});
		},
		{ prefix: '/curator' }
	);
}
