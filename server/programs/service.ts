/**
 * Programs: create one (its first document and its record), read it (card, summary, lists for a
 * person, an organization, a municipality), its participants, and the one curator-action
 * pipeline (policy 'program.curate', the program's rules, a relay server edit, the audit entry).
 * Records, roles and the policy come from identity (registry + guard); documents from storage.
 */
import type { Access } from '../auth/tokens.js';
import { conflict, IdentityError, notFound } from '../identity/errors.js';
import type { ProgramInfo, Person } from '../identity/model.js';
import type { Actor, ParticipantRole } from '../identity/policy.js';
import { invalidField, isValidIsoDate } from '../identity/rules.js';
import { newId } from '../identity/secrets.js';
import type { IdentityService } from '../identity/service.js';
import type { ProgramRepository } from '../identity/store.js';
import type { Logger } from '../logger.js';
import type { DocumentStore } from '../storage/document-store.js';
import { ProgramEditor, type ProgramTemplate } from '../../src/lib/shared/program/index.js';
import { today } from '../../src/lib/shared/time.js';
import type { CuratorActionResult } from '../../src/lib/shared/api/curator.js';
import type { MyProgramItem } from '../../src/lib/shared/api/programs.js';
import { shortName } from '../../src/lib/shared/names.js';
import {
	DECISION_KINDS,
	decisionOf,
	decisionRefusal,
	type DecisionKind
} from '../identity/authority.js';
import { can, departmentRoles } from '../identity/policy.js';
import { applyCuratorAction, type CuratorAction, type ServerEditor } from './curator-actions.js';
import { manageProgram } from './manage.js';
import type { OrdersService } from './orders.js';
import type { RecordsService } from './records.js';
import {
	buildInitialDocument,
	retiredTemplateIds,
	storeInitialDocument,
	templateIds,
	type InitialDocumentInput
} from './program-document.js';

export interface ProgramInput {
	organizationId: string;
	templateId: string;
	/**
	 * A plan taken from the registry of successful practices (server/curator/cases.ts); the
	 * caller has checked that the actor may see it. `templateId` then names the practice.
	 */
	template?: ProgramTemplate;
	title?: string;
	startDate?: string;
	/** Term in months within the template's regulation (kernel checkTerm); default: the template's. */
	durationMonths?: number;
	/** Form of mentoring (a key of FORM_LABELS); default: the template's. */
	form?: string;
	participants: Array<{ personId: string; role: ParticipantRole }>;
	/** Idempotency key from the client (records.ts): one program per key, however many requests. */
	requestKey?: string;
	/** Server-side only (the demo): the history written into the new documents (program-document.ts). */
	history?: InitialDocumentInput['history'];
}

export type MyProgram = ProgramInfo & {
	role: ParticipantRole | 'curator' | 'head';
	access: Access;
};

export interface ProgramsDeps {
	identity: IdentityService;
	/** Program records (identity's store holds them beside the people they refer to). */
	records: ProgramRepository;
	documents: Pick<DocumentStore, 'createProgram' | 'append' | 'saveSummary' | 'getSummary'>;
	logger: Logger;
	now?: () => number;
}

export class ProgramsService {
	private readonly identity: IdentityService;
	private readonly records: ProgramRepository;
	private readonly documents: ProgramsDeps['documents'];
	private readonly log: Logger;
	readonly now: () => number;
	/** The relay's server edits (set by app.ts once the relay exists; null = 503 on actions). */
	relay: ServerEditor | null = null;
	/** Orders (приказы), set by createPrograms when it has the store's SQL client. */
	orders: OrdersService | null = null;
	/** The curator's records (idempotent creation, cancellations, merges, erasure; records.ts). */
	curatorRecords: RecordsService | null = null;

	constructor(deps: ProgramsDeps) {
		this.identity = deps.identity;
		this.records = deps.records;
		this.documents = deps.documents;
		this.log = deps.logger.child({ component: 'programs' });
		this.now = deps.now ?? deps.identity.now;
		// A zone set on an organization or a municipality is written into its programs' documents.
		deps.identity.registry.onTimeZoneChanged = (actor, organizationIds) =>
			this.writeZoneIntoPrograms(actor, organizationIds);
	}

	/** The program's record after the policy allowed `action` on it (404 when missing). */
	async checked(
		actor: Actor,
		programId: string,
		action: 'program.read' | 'program.curate' | 'program.summary' | 'program.manage',
		missing: () => Error = notFound
	): Promise<ProgramInfo> {
		const found = await this.identity.registry.program(programId);
		if (!found) throw missing();
		this.identity.guard(actor, action, found.res);
		return found.info;
	}

	// ------------------------------------------------------------------ create

	async createProgram(actor: Actor, input: ProgramInput): Promise<ProgramInfo> {
		const key = input.requestKey;
		const records = this.curatorRecords;
		if (!key || !records) return this.createProgramOnce(actor, input, newId());
		// A repeated request (double click, retry, another tab) answers with the program the first made.
		const programId = newId();
		const claim = await records.claimCreation(actor.personId, key, programId);
		if (claim.kind === 'existing') return this.getProgram(actor, claim.programId);
		try {
			return await this.createProgramOnce(actor, input, programId);
		} catch (error) {
			await records.releaseCreation(actor.personId, key, programId);
			throw error;
		}
	}

	private async createProgramOnce(
		actor: Actor,
		input: ProgramInput,
		programId: string
	): Promise<ProgramInfo> {
		const registry = this.identity.registry;
		const found = await registry.orgResource(input.organizationId);
		if (!found) throw notFound();
		return this.identity.policy.guarded(
			actor,
			'program.create',
			found.res,
			async () => {
				if (!input.template && !templateIds().includes(input.templateId))
					invalidField('Неизвестный шаблон программы');
				if (!input.template && retiredTemplateIds().includes(input.templateId))
					invalidField(
						'Дорожная карта внедрения наставничества — это план организации, а не программа обучающегося: ведите ее в разделе «План внедрения», а для пары выберите шаблон «Программа наставничества обучающегося».'
					);
				// The document carries its organization's zone; the default start is today there.
				const timeZone = await registry.organizationTimeZone(found.org.id);
				const startDate = input.startDate ?? today(timeZone, this.now());
				if (!isValidIsoDate(startDate))
					invalidField('Дата начала должна быть в формате ГГГГ-ММ-ДД');
				if (input.participants.length === 0) invalidField('Укажите наставника и наставляемого');
				const seen = new Set<string>();
				const people: Array<{ person: Person; role: ParticipantRole }> = [];
				for (const part of input.participants) {
					if (seen.has(part.personId)) invalidField('Один человек указан в программе дважды');
					seen.add(part.personId);
					const person = await registry.participantCandidate(actor, found.org, part.personId);
					await registry.ensureMayParticipate(person, part.role);
					people.push({ person, role: part.role });
				}
				const curator = await registry.personRecord(actor.personId);
				const now = this.now();
				const title = input.title?.trim() || undefined;
				const built = await buildInitialDocument(
					{
						programId,
						templateId: input.templateId,
						...(input.template ? { template: input.template } : {}),
						...(title ? { title } : {}),
						...(input.history ? { history: input.history } : {}),
						organizationName: found.org.name,
						timeZone,
						startDate,
						...(input.durationMonths !== undefined ? { durationMonths: input.durationMonths } : {}),
						...(input.form !== undefined ? { form: input.form } : {}),
						creatorId: actor.personId,
						participants: [
							...people.map((p) => ({
								role: p.role,
								name: p.person.fullName,
								userId: p.person.id
							})),
							...(curator
								? [{ role: 'curator' as const, name: curator.fullName, userId: curator.id }]
								: [])
						]
					},
					new Date(now)
				);
				await storeInitialDocument(this.documents, found.org.id, programId, built, now);
				const info: Omit<ProgramInfo, 'municipalityId'> = {
					id: programId,
					organizationId: found.org.id,
					title: built.summary.title,
					templateId: input.templateId,
					createdBy: actor.personId,
					createdAt: now,
					participants: people.map((p) => ({ personId: p.person.id, role: p.role }))
				};
				await this.records.create(info, actor.personId);
				for (const p of people) {
					await registry.grantParticipantRole(actor, p.person.id, p.role, found.org.id, now);
				}
				return { ...info, municipalityId: found.org.municipalityId };
			},
			(info) => ({
				action: 'program.create',
				entityType: 'program',
				entityId: info.id,
				organizationId: info.organizationId,
				municipalityId: info.municipalityId,
				details: { templateId: input.templateId, participants: info.participants }
			})
		);
	}

	// ------------------------------------------------------------------ read

	getProgram(actor: Actor, programId: string): Promise<ProgramInfo> {
		return this.checked(actor, programId, 'program.summary');
	}

	async programSummary(actor: Actor, programId: string): Promise<unknown> {
		const info = await this.getProgram(actor, programId);
		return (await this.documents.getSummary(info.id))?.summary ?? null;
	}

	/** The program card: the record with participants' names, and the stored summary. */
	async programCard(actor: Actor, programId: string) {
		const program = await this.getProgram(actor, programId);
		const participants = [];
		for (const part of program.participants) {
			const person = await this.identity.registry.personRecord(part.personId);
			participants.push({ ...part, fullName: person?.fullName ?? null });
		}
		return {
			program: { ...program, participants },
			summary: await this.programSummary(actor, programId)
		};
	}

	/** Programs the person takes part in, plus those of organizations they curate or head. */
	async listMyPrograms(actor: Actor): Promise<MyProgram[]> {
		const out = new Map<string, MyProgram>();
		for (const p of await this.records.listForPerson(actor.personId)) {
			out.set(p.id, { ...p, access: 'rw' });
		}
		for (const g of actor.roles) {
			// The department's curator and head: every program of their municipality (Tomsk 2024 §1.2.4).
			if (
				(g.role === 'municipal-curator' || g.role === 'department-head') &&
				g.organizationId === null &&
				g.municipalityId !== null
			) {
				const role = g.role === 'municipal-curator' ? 'curator' : 'head';
				for (const p of await this.records.listByMunicipality(g.municipalityId)) {
					if (!out.has(p.id)) out.set(p.id, { ...p, role, access: 'ro' });
				}
				continue;
			}
			if ((g.role !== 'curator' && g.role !== 'head') || g.organizationId === null) continue;
			for (const p of await this.records.listByOrganization(g.organizationId)) {
				if (!out.has(p.id)) out.set(p.id, { ...p, role: g.role, access: 'ro' });
			}
		}
		return [...out.values()];
	}

	/**
	 * The person's programs as the device receives them (`/api/me`, `/api/programs`): with the
	 * short names of the mentees and mentors of the programs they take part in, so two programs of
	 * one template read apart on the home screen. Monitored programs (read-only) go without.
	 */
	async myProgramItems(actor: Actor): Promise<MyProgramItem[]> {
		const names = new Map<string, string>();
		const nameOf = async (personId: string) => {
			let n = names.get(personId);
			if (n === undefined) {
				n = shortName((await this.identity.registry.personRecord(personId))?.fullName ?? '');
				names.set(personId, n);
			}
			return n;
		};
		const out: MyProgramItem[] = [];
		for (const p of await this.listMyPrograms(actor)) {
			const item: MyProgramItem = {
				id: p.id,
				title: p.title,
				role: p.role,
				access: p.access,
				organizationId: p.organizationId
			};
			if (p.access === 'rw') {
				const of = async (role: ParticipantRole) =>
					(
						await Promise.all(
							p.participants.filter((x) => x.role === role).map((x) => nameOf(x.personId))
						)
					).filter(Boolean);
				item.mentees = await of('mentee');
				item.mentors = await of('mentor');
			}
			out.push(item);
		}
		return out;
	}

	async listOrganizationPrograms(actor: Actor, organizationId: string): Promise<ProgramInfo[]> {
		const found = await this.identity.registry.orgResource(organizationId);
		if (!found) throw notFound();
		this.identity.guard(actor, 'organization.monitor', found.res);
		return this.records.listByOrganization(organizationId);
	}

	/** Monitoring of a municipality: programs with their stored summaries (no texts). */
	async municipalityMonitoring(
		actor: Actor,
		municipalityId: string
	): Promise<Array<{ program: ProgramInfo; summary: unknown }>> {
		await this.identity.registry.municipalityFor(actor, municipalityId, 'municipality.monitor');
		const programs = await this.records.listByMunicipality(municipalityId);
		const out: Array<{ program: ProgramInfo; summary: unknown }> = [];
		for (const program of programs) {
			out.push({
				program,
				summary: (await this.documents.getSummary(program.id))?.summary ?? null
			});
		}
		return out;
	}

	// ------------------------------------------------------------------ participants

	async addParticipant(
		actor: Actor,
		programId: string,
		personId: string,
		role: ParticipantRole
	): Promise<ProgramInfo> {
		const registry = this.identity.registry;
		return manageProgram(
			this.identity,
			actor,
			programId,
			{ action: 'participant.add', details: { personId, role } },
			async (info) => {
				const org = await registry.organizationRecord(info.organizationId);
				if (!org) throw notFound();
				const person = await registry.participantCandidate(actor, org, personId);
				if (info.participants.some((p) => p.personId === personId)) {
					throw conflict('already_participant', 'Этот человек уже участвует в программе');
				}
				await registry.ensureMayParticipate(person, role);
				const now = this.now();
				await this.records.addParticipant(programId, personId, role, actor.personId, now);
				await registry.grantParticipantRole(actor, personId, role, info.organizationId, now);
				return (await this.records.get(programId)) ?? info;
			}
		);
	}

	async removeParticipant(actor: Actor, programId: string, personId: string): Promise<void> {
		await manageProgram(
			this.identity,
			actor,
			programId,
			{ action: 'participant.remove', details: { personId } },
			async () => {
				if (!(await this.records.removeParticipant(programId, personId))) throw notFound();
			}
		);
		// Their pending links, sessions and tokens end, and their sockets close on every instance.
		await this.identity.endAccess(personId, 'participant-removed', { actor, programId });
	}

	// ------------------------------------------------------------------ time zones

	/**
	 * Writes each organization's zone into its programs' documents (meta.timeZone) through the
	 * relay, so that phones, offline too, count days in it and the curator index (which reads the
	 * organization's zone, server/curator/local-day.ts) agrees with the documents. Called by the
	 * registry after a zone change (registry.onTimeZoneChanged); without a relay nothing is written.
	 */
	async writeZoneIntoPrograms(actor: Actor, organizationIds: string[]): Promise<void> {
		const relay = this.relay;
		if (!relay) return;
		const author = { userId: actor.personId, role: 'curator' as const };
		for (const orgId of organizationIds) {
			const zone = await this.identity.registry.organizationTimeZone(orgId);
			for (const p of await this.records.listByOrganization(orgId)) {
				try {
					await relay.applyServerEdit(p.id, author, (doc) => {
						new ProgramEditor(doc, author).setTimeZone(zone);
					});
				} catch (error) {
					this.log.warn({ err: error, programId: p.id }, 'time zone not written into the program');
				}
			}
		}
	}

	// ------------------------------------------------------------------ curator actions

	/**
	 * The decisions `actor` may take about the program now (none when they may not curate it):
	 * the program page offers only these, so each role sees its own actions; `curatorAction`
	 * still checks every one.
	 */
	async decisionsAllowed(actor: Actor, programId: string): Promise<DecisionKind[]> {
		const found = await this.identity.registry.program(programId);
		if (!found || !can(actor, 'program.curate', found.res)) return [];
		return DECISION_KINDS.filter((k) => decisionRefusal(actor, k, found.info) === null);
	}

	/**
	 * A curator action (comment, accept / return a report, completion, extension petition and
	 * decision, approval, form) applied by the server on behalf of a curator or head of the
	 * program's organization, as a relay server edit, then audited.
	 */
	async curatorAction(
		actor: Actor,
		programId: string,
		action: CuratorAction
	): Promise<CuratorActionResult> {
		const info = await this.checked(
			actor,
			programId,
			'program.curate',
			() => new IdentityError(404, 'not_found', 'Программа не найдена')
		);
		// Who may take THIS decision (server/identity/authority.ts); approval needs its order.
		const refusal = decisionRefusal(actor, decisionOf(action.action), info);
		if (refusal !== null) {
			this.identity.logDenial(actor.personId, `decide.${action.action}`, programId, refusal);
			throw new IdentityError(403, 'forbidden', refusal);
		}
		if (action.action === 'approve-program') {
			if (!this.orders) throw new IdentityError(503, 'unavailable', 'Сервис временно недоступен');
			await this.orders.ensureApprovalOrder(info);
		}
		const relay = this.relay;
		if (!relay) throw new IdentityError(503, 'unavailable', 'Сервис временно недоступен');
		const person = await this.identity.registry.personRecord(actor.personId);
		const curator =
			actor.roles.some((g) => g.role === 'curator' && g.organizationId === info.organizationId) ||
			departmentRoles(actor, info.municipalityId).municipalCurator;
		const result = await applyCuratorAction(
			relay,
			programId,
			{
				personId: actor.personId,
				fullName: person?.fullName ?? 'Куратор',
				role: curator ? 'curator' : 'head'
			},
			action,
			this.now()
		);
		await this.identity.policy.audit(actor, {
			action: `curator.${action.action}`,
			entityType: 'program',
			entityId: programId,
			organizationId: info.organizationId,
			municipalityId: info.municipalityId,
			details: { action: action.action }
		});
		this.log.info({ actorId: actor.personId, programId, action: action.action }, 'curator action');
		return result;
	}
}
