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
import { reserveOfOrganizations } from '../identity/reserve.js';
import { RolloutPlans } from './rollout.js';
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
import { early } from './early.js';
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
import { byRussian } from '../../src/lib/shared/names.js';
import {
	figuresAt,
	figuresFor,
	municipalityFigures,
	listedPrograms,
	sourcesOf,
	type Listing,
	type ListingQuery,
	type Sources,
	type FigurePeriod,
	type Figures
} from './figures.js';
import { fileNameOf, type DocModel } from './exports/model.js';
import type { FigureFacts } from '../../src/lib/shared/figures.js';
import {
	previewOf,
	PREVIEW_ROWS,
	scopeDocModel,
	type ProgramLine,
	type ScopeDocInput,
	type ScopeDocKind
} from './exports/scope-docs.js';
import {
	appendVersion,
	getVersion,
	listVersions,
	loadCalendar,
	personName,
	saveCalendar,
	type DocumentKey,
	type StoredVersion
} from './scope-documents.js';
import {
	CALENDAR_PRESETS,
	calendarProblems,
	presetCalendar,
	type CalendarConfig
} from '../../src/lib/shared/calendar.js';
import {
	SCOPE_DOC_TITLES,
	WRITTEN_SECTIONS,
	type CalendarConfigState,
	type SaveCalendarBody,
	type SaveScopeDocumentBody,
	type ScopeDocumentState,
	type WrittenSection
} from '../../src/lib/shared/api/scope-documents.js';
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
		connections(): ReadonlyArray<{
			readonly programId: string;
			readonly userId: string;
			readonly deviceId: string | undefined;
		}>;
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

/** Above this many program lines a document reads its scope's titles and names whole. */
const BULK_LINES = 2_000;

/** What a document's model takes of its scope (liveModel): figures, organizations' rows, lists. */
type ScopeModelParts = Pick<ScopeDocInput, 'figures' | 'organizations'> & {
	listed: Listing;
	lines: ProgramLine[];
};

export class CuratorService {
	readonly db: SqlClient;
	/** Organizations' rollout plans of mentoring (rollout.ts). */
	readonly rollout: RolloutPlans;
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
		this.rollout = new RolloutPlans(deps.db, deps.scopes, deps.now ?? Date.now, (zone) =>
			this.today(zone)
		);
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
		// A municipality's page also lists its organizations' aggregates: an independent scan,
		// started with the dashboard's own (PostgreSQL runs them on separate connections at once).
		const [result, organizations] = await Promise.all([
			queryDashboard(
				this.db,
				scope,
				{ staleDays: this.staleDays, ...query },
				{
					now: this.now(),
					connected: (id) => live.get(id) ?? []
				}
			),
			scope.kind === 'municipality'
				? organizationAggregates(this.db, scope.organizationIds, {
						now: this.now(),
						staleDays: query.staleDays ?? this.staleDays
					})
				: null
		]);
		if (result.outdated > 0) this.refresher?.nudge();
		return organizations ? { ...result, organizations } : result;
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

	/** The scope's calendar for a year: its municipality's items (configured or the default). */
	async calendar(scope: ResolvedScope, year: number): Promise<CalendarEvent[]> {
		const { config } = await loadCalendar(this.db, scope.municipalityId);
		const names = scope.kind === 'municipality' ? await this.scopes.organizationNames() : null;
		return monitoringCalendar(this.db, scope, {
			year,
			today: this.today(scope.timeZone),
			now: this.now(),
			config,
			organizations: names
				? scope.organizationIds
						.map((id) => ({ id, name: names.get(id) ?? '' }))
						.sort((a, b) => byRussian(a.name, b.name))
				: []
		});
	}

	/** The municipality's calendar configuration, and whether this actor may change it. */
	async calendarConfig(actor: Actor, scope: ResolvedScope): Promise<CalendarConfigState> {
		const { config, configured } = await loadCalendar(this.db, scope.municipalityId);
		return {
			municipalityId: scope.municipalityId,
			config,
			configured,
			presets: CALENDAR_PRESETS.map((p) => ({ id: p.id, label: p.label })),
			canEdit: await this.scopes.allows(actor, scope, 'municipality.calendar')
		};
	}

	/** The coordinator sets the calendar: a preset, or the items and the responsible body's name. */
	async saveCalendarConfig(
		actor: Actor,
		scope: ResolvedScope,
		body: SaveCalendarBody
	): Promise<CalendarConfigState> {
		this.scopes.checkCalendar(actor, scope.municipalityId);
		let config: CalendarConfig;
		if ('preset' in body) {
			const p = presetCalendar(body.preset);
			if (!p) throw new CuratorError(400, 'invalid_request', 'Такого образца календаря нет');
			config = p;
		} else {
			const { config: before } = await loadCalendar(this.db, scope.municipalityId);
			config = {
				preset: before.preset,
				bodyName: body.bodyName.trim(),
				items: body.items.map((i) => ({
					...i,
					title: i.title.trim(),
					basis: i.basis.trim(),
					responsibleOther: i.responsibleOther.trim()
				}))
			};
			const problems = calendarProblems(config);
			if (problems.length) throw new CuratorError(400, 'invalid_request', problems.join('; '));
		}
		await saveCalendar(this.db, scope.municipalityId, config, actor.personId, this.now());
		return this.calendarConfig(actor, scope);
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
		return { fileName: fileNameOf(model.name, format), contentType: CONTENT_TYPES[format], body };
	}

	/** A program's document (or a stage's note): read and rendered in the worker pool. */
	private async renderProgram(
		actor: Actor,
		programId: string,
		format: 'docx' | 'pdf',
		part: { stageId?: string; period?: string } = {}
	): Promise<FileResult | null> {
		const res = await this.programFor(actor, programId, 'program.read');
		const organizationName = (await this.scopes.organizationName(res.organizationId)) ?? '';
		const file = await this.tasks('programDocument', {
			...(await this.documentsOf(programId)),
			format,
			organizationName,
			now: this.now(),
			...part
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
		const file = await this.renderProgram(actor, programId, format, { stageId });
		if (!file) throw new CuratorError(404, 'not_found', 'Этап не найден');
		return file;
	}

	/** The mentor's semi-annual report ('YYYY-06' / 'YYYY-12'), where the regulation asks for one. */
	async mentorReport(
		actor: Actor,
		programId: string,
		period: string,
		format: 'docx' | 'pdf'
	): Promise<FileResult> {
		const file = await this.renderProgram(actor, programId, format, { period });
		if (!file)
			throw new CuratorError(
				404,
				'not_found',
				'Отчет наставника за этот период программой не предусмотрен'
			);
		return file;
	}

	// ------------------------------------------------------------------ scope documents

	/** The kinds each scope writes: the аналитическая справка is an organization's, the отчет a municipality's. */
	private checkKind(scope: ResolvedScope, kind: ScopeDocKind): void {
		if (kind === 'analytic-note' && scope.kind !== 'organization')
			throw new CuratorError(
				400,
				'invalid_request',
				'Аналитическую справку составляют по организации: выберите организацию'
			);
		if (kind === 'analytic-report' && scope.kind !== 'municipality')
			throw new CuratorError(
				400,
				'invalid_request',
				'Аналитический отчет составляют по муниципалитету'
			);
	}

	private checkPeriod(period: { from: string; to: string }): void {
		if (period.from > period.to)
			throw new CuratorError(400, 'invalid_request', 'Начало периода позже его окончания');
	}

	/**
	 * The rows a query (given its placeholders) reads for `ids`, in chunks of 500: a municipality's
	 * programs outnumber the parameters one statement may bind (65,535 in PostgreSQL, 32,766 in
	 * SQLite) — the analytic report of 100,000 failed.
	 */
	private async inChunks<T>(sql: (marks: string) => string, ids: string[]): Promise<T[]> {
		const out: T[] = [];
		for (let i = 0; i < ids.length; i += 500) {
			const chunk = ids.slice(i, i + 500);
			out.push(...(await this.db.all<T>(sql(chunk.map(() => '?').join(',')), chunk)));
		}
		return out;
	}

	/** The programs with their titles and their participants' names, by organization and title. */
	private async linesOf(
		scope: ResolvedScope,
		programs: Array<{ programId: string; facts: FigureFacts }>,
		orgNames: Map<string, string>
	): Promise<ProgramLine[]> {
		if (!programs.length) return [];
		const info = new Map<
			string,
			{ program_id: string; title: string; organization_id: string | null }
		>();
		// Many programs (a region's late ones): the scope's titles and people in one read each, not
		// hundreds of chunks by id; the participants from elsewhere by id after.
		const bulk = programs.length > BULK_LINES;
		const orgMarks = scope.organizationIds.map(() => '?').join(',');
		type Info = { program_id: string; title: string; organization_id: string | null };
		const keys = [...new Set(programs.flatMap((p) => p.facts.participants.map((x) => x.key)))];
		const names = new Map<string, string>();
		type Name = { id: string; full_name: string };
		// The titles and the names apart (PostgreSQL reads them on two connections at once).
		const titlesRead = async () => {
			if (bulk)
				for (const r of await this.db.all<Info>(
					`SELECT program_id, title, organization_id FROM curator_program_index
						WHERE organization_id IN (${orgMarks})`,
					scope.organizationIds
				))
					info.set(r.program_id, r);
			// (A program moved to another organization since the date is found by its id.)
			for (const r of await this.inChunks<Info>(
				(marks) =>
					`SELECT program_id, title, organization_id FROM curator_program_index WHERE program_id IN (${marks})`,
				programs.map((p) => p.programId).filter((id) => !info.has(id))
			))
				info.set(r.program_id, r);
		};
		const namesRead = async () => {
			if (bulk)
				for (const r of await this.db.all<Name>(
					`SELECT id, full_name FROM people WHERE organization_id IN (${orgMarks})`,
					scope.organizationIds
				))
					names.set(r.id, r.full_name);
			for (const r of await this.inChunks<Name>(
				(marks) => `SELECT id, full_name FROM people WHERE id IN (${marks})`,
				keys.filter((k) => !names.has(k))
			))
				names.set(r.id, r.full_name);
		};
		await Promise.all([titlesRead(), namesRead()]);
		const namesOf = (p: (typeof programs)[number], role: 'mentor' | 'mentee') =>
			p.facts.participants
				.filter((x) => x.role === role)
				.map((x) => names.get(x.key) ?? '')
				.filter(Boolean);
		return programs
			.map((p): ProgramLine => {
				const i = info.get(p.programId);
				return {
					title: i?.title ?? '',
					organizationName: (i?.organization_id && orgNames.get(i.organization_id)) || '',
					status: p.facts.status,
					stage: p.facts.stage,
					mentors: namesOf(p, 'mentor'),
					mentees: namesOf(p, 'mentee'),
					reportsDue: p.facts.reports.due,
					reportsAccepted: p.facts.reports.accepted,
					completion: p.facts.completion
				};
			})
			.sort(
				(a, b) => byRussian(a.organizationName, b.organizationName) || byRussian(a.title, b.title)
			);
	}

	/**
	 * A municipality's figures, its organizations' and its lists: the lists from the period's own
	 * scan (municipalityFigures), their titles and names read after.
	 */
	private async municipalityModel(
		scope: ResolvedScope,
		kind: ScopeDocKind,
		period: { from: string; to: string },
		sources: Sources,
		listing: ListingQuery,
		names: Map<string, string>
	): Promise<ScopeModelParts> {
		// The lines' titles and names are read while the previous period is computed.
		let lines: Promise<ProgramLine[]> | null = null;
		const read = await municipalityFigures(this.db, scope, period, {
			now: this.now(),
			sources,
			listing,
			// The analytic report shows no grouping by type, template or stage (its info-note does).
			groupings: kind !== 'analytic-report',
			onListing: (listed) => {
				lines = early(this.linesOf(scope, listed.programs, names));
			}
		});
		const organizations = scope.organizationIds.map((id, i) => ({
			name: names.get(id) ?? '',
			figures: read.organizations[i]!
		}));
		organizations.sort((a, b) => byRussian(a.name, b.name));
		const listed = read.listing!;
		return {
			figures: read.figures,
			organizations,
			listed,
			lines: await (lines ?? this.linesOf(scope, listed.programs, names))
		};
	}

	/**
	 * An organization's figures and lists: the lists first, their titles and names read from the
	 * database while the figures are computed, once the reads are sent (setImmediate: after the
	 * driver's own ticks).
	 */
	private async organizationModel(
		scope: ResolvedScope,
		period: { from: string; to: string },
		sources: Sources,
		listing: ListingQuery,
		names: Map<string, string>
	): Promise<ScopeModelParts> {
		const today = this.today(scope.timeZone);
		const asOf = period.to <= today ? period.to : today;
		const listed = await listedPrograms(this.db, scope.organizationIds, asOf, listing, sources);
		const [lines, figures] = await Promise.all([
			this.linesOf(scope, listed.programs, names),
			new Promise((sent) => setImmediate(sent)).then(() =>
				figuresFor(this.db, scope, period, this.now(), sources)
			)
		]);
		return { figures, listed, lines };
	}

	/**
	 * The document as it reads now: figures of the period (and the previous one) and the text.
	 * `lineLimit`: its lists of programs only to that many lines (the screen's preview).
	 */
	private async liveModel(
		scope: ResolvedScope,
		kind: ScopeDocKind,
		period: { from: string; to: string },
		version: StoredVersion | null,
		override?: Pick<
			StoredVersion,
			'version' | 'authorName' | 'createdAt' | 'handedIn' | 'sections'
		>,
		lineLimit = Infinity
	): Promise<DocModel> {
		const shown = override ?? version;
		const timeZone = scope.timeZone ?? DEFAULT_TIME_ZONE;
		const names = await this.scopes.organizationNames();
		// The figures and the lists from one reading of the sources.
		const sources = await sourcesOf(this.db, scope.organizationIds);
		// What the document lists: programs in force in the period, as on its end date (history),
		// with their facts (linesOf adds titles and names); for the analytic documents only those
		// their attention list shows — a municipality's 100,000 programs are not all fetched to
		// list the late ones. `lineLimit`: only the first organizations' programs, by name, that
		// make up the first lines (the screen's preview), and how many there are.
		const listing: ListingQuery = {
			period,
			attentionOnly: kind !== 'info-note',
			limit: lineLimit,
			orgName: (org) => (org && names.get(org)) || ''
		};
		const { figures, organizations, listed, lines } =
			scope.kind === 'municipality'
				? await this.municipalityModel(scope, kind, period, sources, listing, names)
				: await this.organizationModel(scope, period, sources, listing, names);
		return scopeDocModel({
			kind,
			scope: scope.kind,
			scopeName: scope.name,
			period,
			today: this.today(timeZone),
			timeZone,
			figures,
			programs: lines.slice(0, lineLimit),
			programsTotal: listed.total,
			...(organizations ? { organizations } : {}),
			sections: shown?.sections ?? {},
			version: shown
				? {
						version: shown.version,
						authorName: shown.authorName,
						createdAt: shown.createdAt,
						handedIn: shown.handedIn
					}
				: null
		});
	}

	/**
	 * The model of a version: a handed-in one as it was frozen, else today's figures with its
	 * text; `lineLimit` as liveModel's.
	 */
	private async modelOf(
		scope: ResolvedScope,
		kind: ScopeDocKind,
		period: { from: string; to: string },
		version: StoredVersion | null,
		lineLimit = Infinity
	): Promise<{ model: DocModel; frozen: boolean }> {
		if (version?.handedIn && version.snapshot) return { model: version.snapshot, frozen: true };
		return {
			model: await this.liveModel(scope, kind, period, version, undefined, lineLimit),
			frozen: false
		};
	}

	private async versionOf(
		key: DocumentKey,
		version: number | undefined
	): Promise<StoredVersion | null> {
		const v = await getVersion(this.db, key, version);
		if (version !== undefined && !v)
			throw new CuratorError(404, 'not_found', 'Такой редакции документа нет');
		return v;
	}

	/** A document of the scope for the period, as a version reads (default: the newest). */
	async documentState(
		actor: Actor,
		scope: ResolvedScope,
		kind: ScopeDocKind,
		period: { from: string; to: string },
		version?: number
	): Promise<ScopeDocumentState> {
		this.checkKind(scope, kind);
		this.checkPeriod(period);
		const key: DocumentKey = { scopeKind: scope.kind, scopeId: scope.id, kind, ...period };
		const shown = await this.versionOf(key, version);
		// The screen's preview: the lists' first lines (the file has them all). Its other reads at
		// the same time.
		const [{ model, frozen }, canWrite, versions] = await Promise.all([
			this.modelOf(scope, kind, period, shown, PREVIEW_ROWS),
			this.scopes.allows(actor, scope, 'organization.report'),
			listVersions(this.db, key)
		]);
		const meta = (v: StoredVersion) => ({
			version: v.version,
			authorName: v.authorName,
			createdAt: v.createdAt,
			handedIn: v.handedIn
		});
		return {
			scope: { kind: scope.kind, id: scope.id, name: scope.name },
			kind,
			title: SCOPE_DOC_TITLES[kind],
			period,
			canWrite,
			versions: versions.map(meta),
			version: shown ? meta(shown) : null,
			sections: shown?.sections ?? {},
			sectionKeys: [...WRITTEN_SECTIONS[kind]],
			frozen,
			preview: previewOf(model, frozen)
		};
	}

	/**
	 * Saves the written sections as a new version (the policy's 'organization.report' /
	 * 'municipality.report'); `handIn` freezes it with the document as it reads now.
	 */
	async saveDocument(
		actor: Actor,
		ref: ScopeRef,
		kind: ScopeDocKind,
		body: SaveScopeDocumentBody
	): Promise<ScopeDocumentState> {
		const scope = await this.scopes.scopeOf(actor, ref, 'organization.report');
		if (!scope) throw new CuratorError(404, 'not_found', 'Не найдено');
		this.checkKind(scope, kind);
		const period = { from: body.from, to: body.to };
		this.checkPeriod(period);
		const key: DocumentKey = { scopeKind: scope.kind, scopeId: scope.id, kind, ...period };
		const allowed = new Set<string>(WRITTEN_SECTIONS[kind]);
		const sections: Partial<Record<WrittenSection, string>> = {};
		for (const [k, v] of Object.entries(body.sections))
			if (allowed.has(k) && typeof v === 'string') sections[k as WrittenSection] = v;
		const meta = {
			version: body.baseVersion + 1,
			authorName: (await personName(this.db, actor.personId)) || 'без имени',
			createdAt: this.now(),
			handedIn: body.handIn === true,
			sections
		};
		const snapshot = meta.handedIn ? await this.liveModel(scope, kind, period, null, meta) : null;
		const ok = await appendVersion(this.db, key, body.baseVersion, {
			sections,
			authorId: actor.personId,
			authorName: meta.authorName,
			createdAt: meta.createdAt,
			handedIn: meta.handedIn,
			snapshot
		});
		if (!ok)
			throw new CuratorError(
				409,
				'conflict',
				'Документ уже изменили: откройте последнюю редакцию и внесите изменения в нее (ваш текст остался на экране)'
			);
		return this.documentState(actor, scope, kind, period, meta.version);
	}

	/** A version of the document (default: the newest) as DOCX or PDF. */
	async documentFile(
		scope: ResolvedScope,
		kind: ScopeDocKind,
		period: { from: string; to: string },
		format: 'docx' | 'pdf',
		version?: number
	): Promise<FileResult> {
		this.checkKind(scope, kind);
		this.checkPeriod(period);
		const key: DocumentKey = { scopeKind: scope.kind, scopeId: scope.id, kind, ...period };
		const shown = await this.versionOf(key, version);
		const { model } = await this.modelOf(scope, kind, period, shown);
		const file = await this.render(model, format);
		return shown
			? { ...file, fileName: fileNameOf(`${model.name} ред. ${shown.version}`, format) }
			: file;
	}

	/** The old export (GET …/exports/note): the newest version; no period — the current year. */
	scopeDocument(
		scope: ResolvedScope,
		kind: ScopeDocKind,
		period: FigurePeriod,
		format: 'docx' | 'pdf'
	): Promise<FileResult> {
		const year = this.today(scope.timeZone).slice(0, 4);
		return this.documentFile(
			scope,
			kind,
			{ from: period.from ?? `${year}-01-01`, to: period.to ?? this.today(scope.timeZone) },
			format
		);
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
			})),
			organizations: (await this.scopes.organizationsIn(scope.organizationIds)).map((o) => ({
				name: o.name,
				kind: o.kind ?? null,
				lowResults: o.lowResults === true,
				hardSocial: o.hardSocial === true
			})),
			reserve: await reserveOfOrganizations(this.db, scope.organizationIds)
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
