/**
 * Orders (приказы) as records: an order with its number and date, its issuer and its scope (an
 * organization, or the municipality's department of education) attaches to the programs (pairs)
 * it approves. The order is generated as DOCX from the live records (names, positions, schools,
 * programs), signed on paper, then attached; a program whose regulations approve it by order
 * cannot be approved without an attached one (`ensureApprovalOrder`).
 * - Surgut 2022 §4.6: the head of the organization approves mentors and pairs by order;
 * - Tomsk 2024 §§3.2, 3.4, 7.2: the head of the department approves the pairs of heads by order,
 *   and decides on extension or correction.
 * Who may record an order: the curator or the head of the organization (organization orders),
 * the department's curator or head (municipality orders). The issuer must hold the authority, and
 * must not take part in any of the programs (nobody decides about their own program).
 * Schema: migration 60 (server/storage/migrations/schema.ts).
 */
import { conflict, forbidden, invalid, notFound } from '../identity/errors.js';
import type { ProgramInfo } from '../identity/model.js';
import { isHeadProgram } from '../identity/authority.js';
import { departmentRoles, type Actor } from '../identity/policy.js';
import { isValidIsoDate } from '../identity/rules.js';
import { DEFAULT_TIME_ZONE, today as todayIn } from '../../src/lib/shared/time.js';
import { newId } from '../identity/secrets.js';
import type { IdentityService } from '../identity/service.js';
import type { SqlClient } from '../storage/sql.js';
import { renderDocx } from '../curator/exports/docx.js';
import { ruLongDate, type DocModel } from '../curator/exports/model.js';
import type { OrderKind } from '../../src/lib/shared/api/orders.js';

export { ORDER_KINDS, type OrderKind } from '../../src/lib/shared/api/orders.js';

export interface Order {
	id: string;
	number: string;
	/** YYYY-MM-DD */
	issuedOn: string;
	kind: OrderKind;
	/** null: an order of the municipal department of education. */
	organizationId: string | null;
	municipalityId: string;
	issuerId: string;
	title: string;
	createdBy: string | null;
	createdAt: number;
	/** When the signed order was attached; null = generated, not yet signed and attached. */
	attachedAt: number | null;
	attachedBy: string | null;
	programIds: string[];
}

export interface OrderInput {
	number: string;
	issuedOn: string;
	kind: OrderKind;
	issuerId: string;
	programIds: string[];
}

const TITLES: Record<OrderKind, string> = {
	'approve-programs':
		'Об утверждении наставнических пар и персонализированных программ наставничества',
	'change-program': 'О продлении (корректировке) персонализированной программы наставничества'
};

/** The templates whose regulations approve the program by order (Surgut 2022, Tomsk 2024). */
export function requiresOrder(templateId: string): boolean {
	return isHeadProgram(templateId) || templateId === 'teacher-surgut';
}

interface OrderRow {
	id: string;
	number: string;
	issued_on: string;
	kind: string;
	organization_id: string | null;
	municipality_id: string;
	issuer_id: string;
	title: string;
	created_by: string | null;
	created_at: number;
	attached_at: number | null;
	attached_by: string | null;
}

const toOrder = (r: OrderRow, programIds: string[]): Order => ({
	id: r.id,
	number: r.number,
	issuedOn: r.issued_on,
	kind: r.kind as OrderKind,
	organizationId: r.organization_id,
	municipalityId: r.municipality_id,
	issuerId: r.issuer_id,
	title: r.title,
	createdBy: r.created_by,
	createdAt: Number(r.created_at),
	attachedAt: r.attached_at === null ? null : Number(r.attached_at),
	attachedBy: r.attached_by,
	programIds
});

export class OrdersService {
	constructor(
		private readonly sql: SqlClient,
		private readonly identity: IdentityService,
		private readonly now: () => number
	) {}

	// ------------------------------------------------------------------ who may

	/** Whether the actor records orders in this scope (curator / head, or the department's). */
	private mayRecord(actor: Actor, organizationId: string | null, municipalityId: string): boolean {
		const dep = departmentRoles(actor, municipalityId);
		if (organizationId === null) return dep.municipalCurator || dep.departmentHead;
		return actor.roles.some(
			(g) => (g.role === 'curator' || g.role === 'head') && g.organizationId === organizationId
		);
	}

	// ------------------------------------------------------------------ create

	async createOrder(actor: Actor, input: OrderInput): Promise<Order> {
		const registry = this.identity.registry;
		const number = input.number.trim();
		if (!number || number.length > 50) throw invalid('Укажите номер приказа');
		if (!isValidIsoDate(input.issuedOn))
			throw invalid('Дата приказа должна быть в формате ГГГГ-ММ-ДД');
		const ids = [...new Set(input.programIds)];
		if (ids.length === 0) throw invalid('Укажите программы (пары), которые утверждает приказ');
		const programs: ProgramInfo[] = [];
		for (const id of ids) {
			const found = await registry.program(id);
			if (!found) throw notFound();
			this.identity.guard(actor, 'program.curate', found.res);
			programs.push(found.info);
		}
		const first = programs[0] as ProgramInfo;
		const heads = programs.filter((p) => isHeadProgram(p.templateId));
		if (heads.length > 0 && heads.length < programs.length)
			throw invalid('Программы руководителей утверждает отдельный приказ департамента');
		if (programs.some((p) => p.municipalityId !== first.municipalityId))
			throw invalid('Все программы приказа должны быть из одного муниципалитета');
		// Head programs: the department's order; others: the organization's.
		const organizationId = heads.length > 0 ? null : first.organizationId;
		if (organizationId !== null && programs.some((p) => p.organizationId !== organizationId))
			throw invalid('Все программы приказа должны быть из одной организации');
		const municipalityId = first.municipalityId;
		if (!this.mayRecord(actor, organizationId, municipalityId)) throw forbidden();
		const issuer = await registry.personRecord(input.issuerId);
		if (!issuer || !issuer.active) throw invalid('Подписывающий приказ не найден в реестре');
		const issuerActor = await registry.actorFor(issuer.id);
		const authority =
			organizationId === null
				? departmentRoles(issuerActor, municipalityId).departmentHead
				: issuerActor.roles.some((g) => g.role === 'head' && g.organizationId === organizationId);
		if (!authority)
			throw invalid(
				organizationId === null
					? 'Приказ по программам руководителей подписывает начальник департамента образования'
					: 'Приказ подписывает руководитель организации'
			);
		if (programs.some((p) => p.participants.some((x) => x.personId === issuer.id)))
			throw invalid('Нельзя подписывать приказ о собственной программе');
		const order: Order = {
			id: newId(),
			number,
			issuedOn: input.issuedOn,
			kind: input.kind,
			organizationId,
			municipalityId,
			issuerId: issuer.id,
			title: TITLES[input.kind],
			createdBy: actor.personId,
			createdAt: this.now(),
			attachedAt: null,
			attachedBy: null,
			programIds: ids
		};
		await this.sql.batch([
			{
				sql: `INSERT INTO orders (id, number, issued_on, kind, organization_id, municipality_id,
					issuer_id, title, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				params: [
					order.id,
					order.number,
					order.issuedOn,
					order.kind,
					order.organizationId,
					order.municipalityId,
					order.issuerId,
					order.title,
					order.createdBy,
					order.createdAt
				]
			},
			...ids.map((programId) => ({
				sql: 'INSERT INTO order_programs (order_id, program_id) VALUES (?, ?)',
				params: [order.id, programId]
			}))
		]);
		await this.identity.policy.audit(actor, {
			action: 'order.create',
			entityType: 'order',
			entityId: order.id,
			organizationId,
			municipalityId,
			details: { number, issuedOn: order.issuedOn, kind: order.kind, programIds: ids }
		});
		return order;
	}

	// ------------------------------------------------------------------ read

	private async load(id: string): Promise<Order | null> {
		const row = await this.sql.get<OrderRow>('SELECT * FROM orders WHERE id = ?', [id]);
		if (!row) return null;
		const links = await this.sql.all<{ program_id: string }>(
			'SELECT program_id FROM order_programs WHERE order_id = ? ORDER BY program_id',
			[id]
		);
		return toOrder(
			row,
			links.map((l) => l.program_id)
		);
	}

	/** An order the actor may see: they record orders in its scope, or curate one of its programs. */
	async getOrder(actor: Actor, id: string): Promise<Order> {
		const order = await this.load(id);
		if (!order) throw notFound();
		if (this.mayRecord(actor, order.organizationId, order.municipalityId)) return order;
		for (const programId of order.programIds) {
			const found = await this.identity.registry.program(programId);
			if (found && (await this.curates(actor, found.res))) return order;
		}
		throw notFound();
	}

	private async curates(
		actor: Actor,
		res: NonNullable<Awaited<ReturnType<IdentityService['registry']['program']>>>['res']
	): Promise<boolean> {
		try {
			this.identity.guard(actor, 'program.curate', res);
			return true;
		} catch {
			return false;
		}
	}

	/** The orders attached to a program (newest first), for whoever may curate it. */
	async ordersOfProgram(actor: Actor, programId: string): Promise<Order[]> {
		const found = await this.identity.registry.program(programId);
		if (!found) throw notFound();
		this.identity.guard(actor, 'program.curate', found.res);
		return this.ordersFor(programId);
	}

	private async ordersFor(programId: string): Promise<Order[]> {
		const rows = await this.sql.all<{ order_id: string }>(
			'SELECT order_id FROM order_programs WHERE program_id = ?',
			[programId]
		);
		const out: Order[] = [];
		for (const r of rows) {
			const o = await this.load(r.order_id);
			if (o) out.push(o);
		}
		return out.sort((a, b) => b.createdAt - a.createdAt);
	}

	// ------------------------------------------------------------------ attach

	/** The signed order is attached: from now on it approves its programs. */
	async attachOrder(actor: Actor, id: string): Promise<Order> {
		const order = await this.getOrder(actor, id);
		if (!this.mayRecord(actor, order.organizationId, order.municipalityId)) throw forbidden();
		if (order.attachedAt !== null) return order;
		const at = this.now();
		await this.sql.run(
			'UPDATE orders SET attached_at = ?, attached_by = ? WHERE id = ? AND attached_at IS NULL',
			[at, actor.personId, id]
		);
		await this.identity.policy.audit(actor, {
			action: 'order.attach',
			entityType: 'order',
			entityId: id,
			organizationId: order.organizationId,
			municipalityId: order.municipalityId,
			details: { number: order.number, issuedOn: order.issuedOn }
		});
		return { ...order, attachedAt: at, attachedBy: actor.personId };
	}

	/**
	 * Approval by order: a program whose regulations approve it by order is approved only with an
	 * attached order of kind 'approve-programs' that lists it. Throws 409 (Russian) otherwise.
	 */
	async ensureApprovalOrder(program: ProgramInfo): Promise<void> {
		if (!requiresOrder(program.templateId)) return;
		const orders = await this.ordersFor(program.id);
		if (!orders.some((o) => o.kind === 'approve-programs' && o.attachedAt !== null))
			throw this.orderRequired(program);
		if (isHeadProgram(program.templateId)) await this.ensureMentorConsent(program);
	}

	/**
	 * A head's mentor works on his written consent to the duties for a term of two years (Tomsk
	 * 2024 §3.4): without a recorded, not withdrawn, unexpired consent the pair is not approved.
	 */
	private async ensureMentorConsent(program: ProgramInfo): Promise<void> {
		const today = todayIn(DEFAULT_TIME_ZONE, this.now());
		for (const p of program.participants) {
			if (p.role !== 'mentor') continue;
			const consents = await this.identity.store.people.listConsents(p.personId);
			const valid = consents.some(
				(c) =>
					c.kind === 'mentor-duties' &&
					c.revokedAt === null &&
					(c.validUntil === null || c.validUntil >= today)
			);
			if (!valid)
				throw conflict(
					'mentor_consent_required',
					'Наставник руководителя работает на основании письменного согласия на выполнение обязанностей наставника: запишите согласие, затем утверждайте программу.'
				);
		}
	}

	private orderRequired(program: ProgramInfo) {
		return conflict(
			'order_required',
			isHeadProgram(program.templateId)
				? 'Программу руководителя утверждает приказ начальника департамента: сформируйте приказ, подпишите и прикрепите его.'
				: 'Программу утверждает приказ руководителя организации: сформируйте приказ, подпишите и прикрепите его.'
		);
	}

	// ------------------------------------------------------------------ DOCX

	/** The order as a Word document, from the live records. */
	async orderDocx(actor: Actor, id: string): Promise<{ name: string; body: Buffer }> {
		const order = await this.getOrder(actor, id);
		const model = await this.orderModel(order);
		return { name: model.name, body: await renderDocx(model) };
	}

	async orderModel(order: Order): Promise<DocModel> {
		const registry = this.identity.registry;
		const mun = await this.identity.store.scopes.getMunicipality(order.municipalityId);
		const org = order.organizationId
			? await registry.organizationRecord(order.organizationId)
			: null;
		const issuer = await registry.personRecord(order.issuerId);
		const who = async (personId: string) => {
			const p = await registry.personRecord(personId);
			if (!p) return '—';
			const school = p.organizationId ? await registry.organizationRecord(p.organizationId) : null;
			return [p.fullName, p.position, school?.name].filter(Boolean).join(', ');
		};
		const rows: string[][] = [];
		for (const [i, programId] of order.programIds.entries()) {
			const info = await this.identity.store.programs.get(programId);
			if (!info) continue;
			const mentors = info.participants.filter((p) => p.role === 'mentor');
			const mentees = info.participants.filter((p) => p.role === 'mentee');
			rows.push([
				String(i + 1),
				(await Promise.all(mentors.map((m) => who(m.personId)))).join('; '),
				(await Promise.all(mentees.map((m) => who(m.personId)))).join('; '),
				info.title
			]);
		}
		const issuerOrg = org?.name ?? `Департамент образования: ${mun?.name ?? ''}`;
		const headProgram = order.organizationId === null;
		return {
			name: `Приказ ${order.number} от ${order.issuedOn}`,
			title: `Приказ № ${order.number}`,
			blocks: [
				{ kind: 'subtitle', text: issuerOrg },
				{ kind: 'title', text: 'ПРИКАЗ' },
				{ kind: 'para', text: `${ruLongDate(order.issuedOn)}    № ${order.number}`, bold: true },
				{ kind: 'heading', text: order.title },
				{
					kind: 'para',
					text:
						order.kind === 'approve-programs'
							? headProgram
								? 'В соответствии с Положением о наставничестве руководителей образовательных организаций (Томск, 2024, разделы 3–4) ПРИКАЗЫВАЮ:'
								: 'В соответствии с Положением о наставничестве в организации ПРИКАЗЫВАЮ:'
							: 'На основании ходатайства куратора, с обоюдного согласия наставника и наставляемого (раздел 7.2 Положения) ПРИКАЗЫВАЮ:'
				},
				{
					kind: 'para',
					text:
						order.kind === 'approve-programs'
							? '1. Утвердить наставнические пары и персонализированные программы наставничества:'
							: '1. Продлить (скорректировать) персонализированную программу наставничества:'
				},
				{
					kind: 'table',
					headers: ['№', 'Наставник', 'Наставляемый', 'Программа'],
					widths: [6, 32, 32, 30],
					rows
				},
				...(order.kind === 'approve-programs'
					? [
							{
								kind: 'para' as const,
								text: '2. Назначить наставников на два года при наличии их письменного согласия на выполнение обязанностей наставника.'
							}
						]
					: []),
				{
					kind: 'para',
					text: `${order.kind === 'approve-programs' ? 3 : 2}. Контроль исполнения приказа оставляю за собой.`
				},
				{
					kind: 'signatures',
					lines: [
						[
							issuer?.position ?? (headProgram ? 'Начальник департамента' : 'Руководитель'),
							issuer?.fullName ?? '—'
						]
					]
				}
			]
		};
	}
}
