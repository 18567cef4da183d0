/**
 * The curator's and the municipal coordinator's side of the server: monitoring dashboards,
 * figures, calendar, exports, cases. Every entry point asks identity's policy first: scopes
 * through `scopes.scopeOf` (the one scope check: its organizations filter every query over
 * curator_program_index), programs through `programs.checked`; nothing here reads identity's
 * records except through those. Curator actions are the programs module's (server/programs).
 */
import * as Y from 'yjs';
import { transientDoc } from '../sync/transient-doc.js';
import { readProgram, type ProgramView } from '../../src/lib/shared/program/index.js';
import {
	DEFAULT_TIME_ZONE,
	formatDateNumeric,
	today as todayIn
} from '../../src/lib/shared/time.js';
import type { Actor } from '../identity/policy.js';
import { IdentityError } from '../identity/errors.js';
import type { CheckedScope, MonitoringScopes } from '../identity/scopes.js';
import type { ProgramInfo } from '../identity/model.js';
import type { ProgramInput, ProgramsService } from '../programs/service.js';
import type { Logger } from '../logger.js';
import type { SqlClient } from '../storage/sql.js';
import type { SummaryWriter } from '../sync/summaries.js';
import {
	CaseError,
	createCase,
	getCase,
	listCases,
	withdrawCase,
	type CaseRecord
} from './cases.js';
import { monitoringCalendar, type CalendarEvent } from './calendar.js';
import {
	DEFAULT_STALE_DAYS,
	organizationAggregates,
	queryDashboard,
	type DashboardQuery,
	type DashboardResult,
	type DashboardRow,
	type OrganizationAggregate,
	type Scope
} from './dashboard.js';
import { figuresAt, figuresFor, type FigurePeriod, type Figures } from './figures.js';
import type { DocModel } from './exports/model.js';
import { scopeDocModel, type ScopeDocKind } from './exports/scope-docs.js';
import type { RegistryPerson } from './exports/xlsx.js';
import { inlineTasks, type TaskInput, type TaskRunner } from '../workers/tasks.js';
import { memoizeTasks } from './task-memo.js';
import { createRefresher, type Refresher } from './refresh.js';

export interface CuratorDeps {
	/** SQL over the server's storage (SQLite or PostgreSQL): server/storage/sql.ts. */
	db: SqlClient;
	/** Identity's scope check: every query here is filtered by the scope it returns. */
	scopes: MonitoringScopes;
	programs: ProgramsService;
	/** The relay: documents, connections, and the one writer of summaries (server/sync/summaries.ts). */
	relay: SummaryWriter & {
		getDocument(programId: string): Promise<Uint8Array>;
		/** The program's decisions document (server/sync/decisions.ts). */
		getDecisions(programId: string): Promise<Uint8Array>;
		connections(): Array<{ programId: string; userId: string; deviceId: string | undefined }>;
	};
	logger: Logger;
	now?: () => number;
	/** Default "not seen for N days" (CURATOR_STALE_DAYS). */
	staleDays?: number;
	/** Start the background refresher of outdated summaries (default true). */
	refresher?: boolean;
	/** Several instances: whether this one runs the refresher now (server/cluster lease). */
	refreshLeader?: () => Promise<boolean>;
	/**
	 * Where heavy work runs: the program view of a document, every rendered export (the worker
	 * pool, server/workers; default: inline on the calling thread).
	 */
	tasks?: TaskRunner;
}

/** The program view as plain JSON (Y.Text as strings), as the curator's program page gets it. */
export interface ProgramJson {
	meta: { timeZone: string; title: string } & Record<string, unknown>;
	[key: string]: unknown;
}

export type ScopeRef = { kind: 'organization'; id: string } | { kind: 'municipality'; id: string };

/** A scope the policy allowed (identity's `scopes.scopeOf`); its organizations filter every query. */
export type ResolvedScope = CheckedScope & Scope;

export interface FileResult {
	fileName: string;
	contentType: string;
	body: Buffer;
}

export const CONTENT_TYPES = {
	docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	pdf: 'application/pdf',
	xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
} as const;

/** A curator failure: an API error like identity's (status, code, Russian message). */
export class CuratorError extends IdentityError {
	constructor(status: number, code: string, messageRu: string) {
		super(status, code, messageRu);
		this.name = 'CuratorError';
	}
}

export class CuratorService {
	readonly db: SqlClient;
	private readonly scopes: MonitoringScopes;
	private readonly programs: ProgramsService;
	private readonly deps: CuratorDeps;
	readonly now: () => number;
	readonly staleDays: number;
	readonly refresher: Refresher | null;
	private readonly tasks: TaskRunner;

	constructor(deps: CuratorDeps) {
		this.deps = deps;
		// Identical renderings within a few seconds are rendered once (task-memo.ts, issue 14).
		this.tasks = memoizeTasks(deps.tasks ?? inlineTasks, {
			tasks: [
				'programView',
				'programDocument',
				'renderDocument',
				'monitoringXlsx',
				'registriesXlsx'
			]
		});
		this.db = deps.db;
		this.scopes = deps.scopes;
		this.programs = deps.programs;
		this.now = deps.now ?? Date.now;
		this.staleDays = deps.staleDays ?? DEFAULT_STALE_DAYS;
		this.refresher =
			deps.refresher === false
				? null
				: createRefresher({
						db: deps.db,
						summaries: deps.relay,
						logger: deps.logger,
						now: this.now,
						...(deps.refreshLeader ? { isLeader: deps.refreshLeader } : {})
					});
	}

	/** Today in `timeZone` (a scope's or a program's; default Europe/Moscow). */
	today(timeZone: string = DEFAULT_TIME_ZONE): string {
		return todayIn(timeZone, this.now());
	}

	close(): void {
		this.refresher?.stop();
	}

	// ------------------------------------------------------------------ scopes

	/** Organizations and municipalities the actor monitors (for the scope picker). */
	monitoredScopes(actor: Actor) {
		return this.scopes.monitoredScopes(actor);
	}

	/** The scope after the policy allowed monitoring it; its organizations filter every query. */
	async resolveScope(actor: Actor, ref: ScopeRef): Promise<ResolvedScope> {
		const scope = await this.scopes.scopeOf(actor, ref, 'organization.monitor');
		if (!scope)
			throw new CuratorError(
				404,
				'not_found',
				ref.kind === 'organization' ? 'Организация не найдена' : 'Муниципалитет не найден'
			);
		return scope;
	}

	// ------------------------------------------------------------------ monitoring

	async dashboard(
		scope: ResolvedScope,
		query: DashboardQuery
	): Promise<DashboardResult & { organizations?: OrganizationAggregate[] }> {
		const live = this.liveConnections();
		const result = await queryDashboard(
			this.db,
			scope,
			{ staleDays: this.staleDays, ...query },
			{
				now: this.now(),
				connected: (id) => live.get(id) ?? []
			}
		);
		if (result.outdated > 0) this.refresher?.nudge();
		if (scope.kind === 'municipality')
			return {
				...result,
				organizations: await organizationAggregates(this.db, scope.organizationIds, {
					now: this.now(),
					staleDays: query.staleDays ?? this.staleDays
				})
			};
		return result;
	}

	/** Every matching row (exports): the dashboard query without paging. */
	async allRows(scope: ResolvedScope, query: DashboardQuery = {}): Promise<DashboardRow[]> {
		const live = this.liveConnections();
		const rows: DashboardRow[] = [];
		for (let offset = 0; ; offset += 500) {
			const r = await queryDashboard(
				this.db,
				scope,
				{ staleDays: this.staleDays, ...query, offset, limit: 500 },
				{
					now: this.now(),
					connected: (id) => live.get(id) ?? []
				}
			);
			rows.push(...r.rows);
			if (r.rows.length < 500) break;
		}
		return rows;
	}

	/**
	 * Figures for a period (with the previous period as `previous`, for dynamics) or, with only
	 * `to`, the state on that date; neither: today. What was true then (docs/curator.md «Показатели»).
	 */
	figures(scope: ResolvedScope, period: FigurePeriod = {}): Promise<Figures> {
		return figuresFor(this.db, scope, period, this.now());
	}

	/** The figures on a date: the state then (programs that did not exist then are not counted). */
	figuresAt(scope: ResolvedScope, date: string): Promise<Figures> {
		return figuresAt(this.db, scope, date, this.now());
	}

	calendar(scope: ResolvedScope, year: number): Promise<CalendarEvent[]> {
		return monitoringCalendar(this.db, scope, {
			year,
			today: this.today(scope.timeZone),
			municipal: scope.kind === 'municipality'
		});
	}

	private liveConnections(): Map<string, Array<{ userId: string; deviceId: string | undefined }>> {
		const m = new Map<string, Array<{ userId: string; deviceId: string | undefined }>>();
		for (const c of this.deps.relay.connections()) {
			const arr = m.get(c.programId) ?? [];
			arr.push({ userId: c.userId, deviceId: c.deviceId });
			m.set(c.programId, arr);
		}
		return m;
	}

	// ------------------------------------------------------------------ one program

	private programFor(actor: Actor, programId: string, action: 'program.read' | 'program.curate') {
		return this.programs.checked(
			actor,
			programId,
			action,
			() => new CuratorError(404, 'not_found', 'Программа не найдена')
		);
	}

	/** A program's two documents as bytes, for the worker pool's tasks. */
	private async documentsOf(
		programId: string
	): Promise<{ bytes: Uint8Array; decisions: Uint8Array }> {
		const [bytes, decisions] = await Promise.all([
			this.deps.relay.getDocument(programId),
			this.deps.relay.getDecisions(programId)
		]);
		return { bytes, decisions };
	}

	/** The live view of a program on THIS thread (tests, small documents); requests use `programJson`. */
	async readView(programId: string): Promise<ProgramView> {
		const [bytes, decisionBytes] = await Promise.all([
			this.deps.relay.getDocument(programId),
			this.deps.relay.getDecisions(programId)
		]);
		const doc = transientDoc();
		Y.applyUpdate(doc, bytes);
		const decisions = transientDoc();
		Y.applyUpdate(decisions, decisionBytes);
		// The view holds live Y.Text references; the docs stay alive as long as they are used.
		// Decisions are read from the decisions document only (forged co-written fields are ignored).
		return readProgram(doc, decisions);
	}

	async programView(
		actor: Actor,
		programId: string
	): Promise<{ view: ProgramView; organizationId: string; organizationName: string }> {
		const res = await this.programFor(actor, programId, 'program.read');
		return {
			view: await this.readView(programId),
			organizationId: res.organizationId,
			organizationName: (await this.scopes.organizationName(res.organizationId)) ?? ''
		};
	}

	/**
	 * The program page: the view as JSON, computed in the worker pool (a 20 MiB document costs
	 * its requester, not everyone).
	 */
	async programJson(
		actor: Actor,
		programId: string
	): Promise<{ program: ProgramJson; organizationId: string; organizationName: string }> {
		const res = await this.programFor(actor, programId, 'program.read');
		const { program } = await this.tasks('programView', await this.documentsOf(programId));
		return {
			// programToJSON of a ProgramView: meta is always there (read.ts).
			program: program as ProgramJson,
			organizationId: res.organizationId,
			organizationName: (await this.scopes.organizationName(res.organizationId)) ?? ''
		};
	}

	/** The decisions the actor may take about the program (the page shows only those). */
	decisionsAllowed(actor: Actor, programId: string): Promise<string[]> {
		return this.programs.decisionsAllowed(actor, programId);
	}

	/** Dashboard row of one program (sync health included), after the policy's 'program.read'. */
	async programRow(actor: Actor, programId: string): Promise<DashboardRow | null> {
		const { organizationId } = await this.programFor(actor, programId, 'program.read');
		const live = this.liveConnections();
		const r = await queryDashboard(
			this.db,
			{ organizationIds: [organizationId] },
			{ programId, staleDays: this.staleDays },
			{
				now: this.now(),
				connected: (id) => live.get(id) ?? []
			}
		);
		return r.rows[0] ?? null;
	}

	// ------------------------------------------------------------------ documents

	/** Renders a document model in the worker pool. */
	async render(model: DocModel, format: 'docx' | 'pdf'): Promise<FileResult> {
		const body = Buffer.from(await this.tasks('renderDocument', { model, format }));
		return { fileName: `${model.name}.${format}`, contentType: CONTENT_TYPES[format], body };
	}

	/** A program's document (or a stage's note): read and rendered in the worker pool. */
	private async renderProgram(
		actor: Actor,
		programId: string,
		format: 'docx' | 'pdf',
		stageId?: string
	): Promise<FileResult | null> {
		const res = await this.programFor(actor, programId, 'program.read');
		const organizationName = (await this.scopes.organizationName(res.organizationId)) ?? '';
		const file = await this.tasks('programDocument', {
			...(await this.documentsOf(programId)),
			format,
			organizationName,
			now: this.now(),
			...(stageId !== undefined ? { stageId } : {})
		});
		if (!file) return null;
		return {
			fileName: file.fileName,
			contentType: CONTENT_TYPES[format],
			body: Buffer.from(file.body)
		};
	}

	async programDocument(
		actor: Actor,
		programId: string,
		format: 'docx' | 'pdf'
	): Promise<FileResult> {
		const file = await this.renderProgram(actor, programId, format);
		if (!file) throw new CuratorError(404, 'not_found', 'Программа не найдена');
		return file;
	}

	async stageNote(
		actor: Actor,
		programId: string,
		stageId: string,
		format: 'docx' | 'pdf'
	): Promise<FileResult> {
		const file = await this.renderProgram(actor, programId, format, stageId);
		if (!file) throw new CuratorError(404, 'not_found', 'Этап не найден');
		return file;
	}

	async scopeDocument(
		scope: ResolvedScope,
		kind: ScopeDocKind,
		period: FigurePeriod,
		format: 'docx' | 'pdf'
	): Promise<FileResult> {
		const rows = await this.allRows(scope, {});
		const inPeriod = rows.filter(
			(r) =>
				(!period.to || !r.startDate || r.startDate <= period.to) &&
				(!period.from || !r.endDate || r.endDate >= period.from)
		);
		const model = scopeDocModel({
			kind,
			scope: scope.kind,
			scopeName: scope.name,
			period: { from: period.from ?? null, to: period.to ?? null },
			today: this.today(scope.timeZone),
			figures: await this.figures(scope, period),
			rows: inPeriod,
			...(scope.kind === 'municipality'
				? {
						organizations: await organizationAggregates(this.db, scope.organizationIds, {
							now: this.now(),
							staleDays: this.staleDays
						})
					}
				: {}),
			staleDays: this.staleDays
		});
		return this.render(model, format);
	}

	async monitoringXlsx(
		scope: ResolvedScope,
		query: DashboardQuery,
		period: FigurePeriod = {}
	): Promise<FileResult> {
		const body = await this.xlsx('monitoringXlsx', {
			title: `Мониторинг реализации программ наставничества: ${scope.name}, на ${formatDateNumeric(this.today(scope.timeZone))}`,
			timeZone: scope.timeZone,
			rows: await this.allRows(scope, query),
			figures: await this.figures(scope, period),
			...(scope.kind === 'municipality'
				? {
						organizations: await organizationAggregates(this.db, scope.organizationIds, {
							now: this.now(),
							staleDays: this.staleDays
						})
					}
				: {})
		});
		return { fileName: `Мониторинг ${scope.name}.xlsx`, contentType: CONTENT_TYPES.xlsx, body };
	}

	private async xlsx<K extends 'monitoringXlsx' | 'registriesXlsx'>(
		task: K,
		input: TaskInput<K>
	): Promise<Buffer> {
		return Buffer.from(await this.tasks(task, input));
	}

	async registriesXlsx(actor: Actor, monitored: ResolvedScope): Promise<FileResult> {
		// The registries hold personal data: 'people.read' on the scope, not only monitoring.
		const scope = await this.scopes.scopeOf(actor, monitored, 'people.read');
		if (!scope) throw new CuratorError(404, 'not_found', 'Не найдено');
		const { mentors, mentees } = await this.registryPeople(scope.organizationIds);
		const orgNames = await this.scopes.organizationNames();
		const body = await this.xlsx('registriesXlsx', {
			title: scope.name,
			timeZone: scope.timeZone,
			mentors,
			mentees,
			programs: await this.allRows(scope, {}),
			cases: (await listCases(this.db, scope.organizationIds)).map((c) => ({
				title: c.title,
				organization: (c.organizationId && orgNames.get(c.organizationId)) || '',
				form: c.form,
				category: c.category,
				template: c.templateId,
				description: c.description,
				tags: c.tags.join(', '),
				createdAt: c.createdAt
			}))
		});
		return { fileName: `Реестры ${scope.name}.xlsx`, contentType: CONTENT_TYPES.xlsx, body };
	}

	/**
	 * Mentors and mentees of the organizations (by role or by participation), with their programs
	 * and consents. Only for organizations of a scope checked with 'people.read' (registriesXlsx).
	 */
	private async registryPeople(organizationIds: string[]): Promise<{
		mentors: RegistryPerson[];
		mentees: RegistryPerson[];
	}> {
		if (!organizationIds.length) return { mentors: [], mentees: [] };
		const marks = organizationIds.map(() => '?').join(',');
		const concat =
			this.db.dialect === 'postgres'
				? "string_agg(pi.title, '; ')"
				: "group_concat(pi.title, '; ')";
		const rows = await this.db.all<{
			full_name: string;
			org_name: string | null;
			position: string | null;
			birth_date: string | null;
			age_group: string | null;
			minor: number;
			experience_years: number | null;
			category: string | null;
			email: string | null;
			phone: string | null;
			mentor_requirements: string | null;
			notes: string | null;
			role: 'mentor' | 'mentee';
			programs: string | null;
			consent: string | null;
		}>(
			`SELECT p.*, o.name AS org_name, r.role AS role,
					(SELECT ${concat} FROM program_participants pp JOIN program_info pi ON pi.program_id = pp.program_id
						WHERE pp.person_id = p.id AND pp.role = r.role) AS programs,
					(SELECT max(c.given_on) FROM consents c WHERE c.person_id = p.id AND c.revoked_at IS NULL) AS consent
				FROM role_assignments r JOIN people p ON p.id = r.person_id LEFT JOIN organizations o ON o.id = p.organization_id
				WHERE r.role IN ('mentor', 'mentee') AND r.organization_id IN (${marks}) AND p.active = 1
				GROUP BY p.id, r.role, o.name ORDER BY p.full_name`,
			organizationIds
		);
		const REQ: Record<string, string> = {
			experience5Years: 'стаж руководителя от 5 лет',
			provenResults: 'подтвержденные результаты',
			positiveAssessment: 'положительная оценка эффективности',
			mentoringCourse: 'курсы по наставничеству'
		};
		const toPerson = (r: (typeof rows)[number]): RegistryPerson => {
			let req = '';
			if (r.mentor_requirements) {
				try {
					const o = JSON.parse(r.mentor_requirements) as Record<string, boolean>;
					req = Object.entries(o)
						.filter(([, v]) => v)
						.map(([k]) => REQ[k] ?? k)
						.join('; ');
				} catch {
					req = '';
				}
			}
			return {
				fullName: r.full_name,
				organization: r.org_name ?? '',
				position: r.position,
				birthDate: r.birth_date,
				ageGroup: r.age_group,
				experienceYears: r.experience_years,
				category: r.category,
				email: r.email,
				phone: r.phone,
				roles: r.role === 'mentor' ? 'наставник' : 'наставляемый',
				programs: r.programs ?? '',
				consent: r.consent
					? `получено ${r.consent.split('-').reverse().join('.')}`
					: r.minor
						? 'требуется (несовершеннолетний)'
						: '',
				mentorRequirements: req,
				notes: r.notes
			};
		};
		return {
			mentors: rows.filter((r) => r.role === 'mentor').map(toPerson),
			mentees: rows.filter((r) => r.role === 'mentee').map(toPerson)
		};
	}

	// ------------------------------------------------------------------ cases

	async markCase(
		actor: Actor,
		programId: string,
		input: {
			title?: string;
			description: string;
			tags: string[];
			consentMentor: boolean;
			consentMentee: boolean;
			consentNote?: string | null;
		}
	): Promise<CaseRecord> {
		const res = await this.programFor(actor, programId, 'program.curate');
		if (!actor.roles.some((g) => g.role === 'curator' && g.organizationId === res.organizationId))
			throw new CuratorError(
				403,
				'forbidden',
				'Вносить практики в реестр может куратор организации'
			);
		const { program } = await this.tasks('programView', await this.documentsOf(programId));
		// The JSON form of a ProgramView: createCase reads plain fields only (status, participants,
		// stages, activities), never a Y.Text, so the detached view serves it as well.
		const view = program as ProgramView;
		try {
			return await createCase(this.db, {
				...input,
				view,
				programId,
				organizationId: res.organizationId,
				createdBy: actor.personId,
				now: this.now()
			});
		} catch (e) {
			if (e instanceof CaseError) throw new CuratorError(e.status, e.code, e.messageRu);
			throw e;
		}
	}

	/** Cases visible to the actor: every organization and municipality they monitor. */
	async cases(
		actor: Actor,
		filter: { q?: string; form?: string; category?: string }
	): Promise<CaseRecord[]> {
		const orgs = new Set<string>();
		for (const s of await this.monitoredScopes(actor)) {
			const r = await this.resolveScope(actor, s);
			for (const id of r.organizationIds) orgs.add(id);
		}
		return listCases(this.db, [...orgs], filter);
	}

	async caseById(actor: Actor, id: string): Promise<CaseRecord> {
		const c = await getCase(this.db, id);
		if (!c || c.withdrawnAt !== null)
			throw new CuratorError(404, 'not_found', 'Практика не найдена');
		const visible = (await this.cases(actor, {})).some((x) => x.id === id);
		if (!visible) throw new CuratorError(404, 'not_found', 'Практика не найдена');
		return c;
	}

	/**
	 * A new program whose plan is a practice from the registry: the practice becomes a reusable
	 * template. Identity checks the right to create programs in the organization and the people.
	 */
	async createProgramFromCase(
		actor: Actor,
		caseId: string,
		input: Omit<ProgramInput, 'templateId' | 'template'>
	): Promise<ProgramInfo> {
		const c = await this.caseById(actor, caseId);
		return this.programs.createProgram(actor, {
			...input,
			templateId: c.template.id,
			template: c.template
		});
	}

	async withdraw(actor: Actor, id: string): Promise<void> {
		const c = await this.caseById(actor, id);
		if (!actor.roles.some((g) => g.role === 'curator' && g.organizationId === c.organizationId))
			throw new CuratorError(
				403,
				'forbidden',
				'Исключить практику из реестра может куратор организации'
			);
		await withdrawCase(this.db, id, this.now());
	}
}
