/**
 * The management reserve (резерв управленческих кадров, Dinskoy 2021 §5.6): an entry per person of
 * the identity registry, kept by the municipal center. The policy is the one that governs people:
 * 'reserve.write' on the person (its organization's curator, its municipality's coordinator, an
 * administrator); the lists need 'people.read' on the organization or the municipality. The
 * person's name, workplace, experience and contacts are read from the registry card, never copied.
 */
import { byRussian } from '../../src/lib/shared/names.js';
import type { SqlClient } from '../storage/sql.js';
import type { ReserveBody, ReserveEntry } from '../../src/lib/shared/api/reserve.js';
import { RELOCATION } from '../../src/lib/shared/api/reserve.js';
import { notFound } from './errors.js';
import type { Guard } from './guard.js';
import type { Actor } from './policy.js';
import type { IdentityRegistry } from './registry.js';
import { invalidField } from './rules.js';
import type { IdentityStore } from './store.js';

interface Row {
	person_id: string;
	full_name: string;
	organization_id: string | null;
	workplace: string | null;
	position: string | null;
	experience_years: number | null;
	email: string | null;
	phone: string | null;
	training_from: string | null;
	training_to: string | null;
	certificates: string;
	events: string | null;
	relocation: string;
	included_on: string | null;
	notes: string | null;
	updated_at: number;
}

const SELECT = `SELECT r.*, p.full_name, p.organization_id, p.position, p.experience_years, p.email,
		p.phone, o.name AS workplace
	FROM management_reserve r
	JOIN people p ON p.id = r.person_id
	LEFT JOIN organizations o ON o.id = p.organization_id`;

function toEntry(r: Row): ReserveEntry {
	let certificates: ReserveEntry['certificates'] = [];
	try {
		const parsed: unknown = JSON.parse(r.certificates);
		if (Array.isArray(parsed)) certificates = parsed as ReserveEntry['certificates'];
	} catch {
		// A damaged cell reads as no certificates; the rest of the entry stays readable.
	}
	return {
		personId: r.person_id,
		fullName: r.full_name,
		organizationId: r.organization_id,
		workplace: r.workplace ?? '',
		position: r.position,
		experienceYears: r.experience_years === null ? null : Number(r.experience_years),
		email: r.email,
		phone: r.phone,
		trainingFrom: r.training_from,
		trainingTo: r.training_to,
		certificates,
		events: r.events,
		relocation: (RELOCATION as readonly string[]).includes(r.relocation)
			? (r.relocation as ReserveEntry['relocation'])
			: 'none',
		includedOn: r.included_on,
		notes: r.notes,
		updatedAt: Number(r.updated_at)
	};
}

export class ManagementReserve {
	constructor(
		private readonly sql: SqlClient,
		private readonly store: IdentityStore,
		private readonly registry: IdentityRegistry,
		private readonly guard: Guard,
		private readonly now: () => number
	) {}

	/** Includes the person in the reserve or changes their entry. */
	async put(actor: Actor, personId: string, body: ReserveBody): Promise<ReserveEntry> {
		const p = await this.store.people.get(personId);
		if (!p) throw notFound();
		const res = await this.registry.personResource(p);
		const municipalityId = res.kind === 'person' ? res.municipalityId : null;
		return this.guard.guarded(
			actor,
			'reserve.write',
			res,
			async () => {
				if (!municipalityId)
					invalidField(
						'В резерв управленческих кадров включают работника организации муниципалитета'
					);
				if (body.trainingFrom && body.trainingTo && body.trainingTo < body.trainingFrom)
					invalidField('Окончание обучения раньше его начала');
				const now = this.now();
				const values = [
					body.trainingFrom,
					body.trainingTo,
					JSON.stringify(body.certificates),
					body.events?.trim() || null,
					body.relocation,
					body.includedOn,
					body.notes?.trim() || null,
					now,
					actor.personId
				];
				const updated = await this.sql.run(
					`UPDATE management_reserve SET training_from = ?, training_to = ?, certificates = ?,
						events = ?, relocation = ?, included_on = ?, notes = ?, updated_at = ?, updated_by = ?
					WHERE person_id = ?`,
					[...values, personId]
				);
				if (updated === 0)
					await this.sql.run(
						`INSERT INTO management_reserve (training_from, training_to, certificates, events,
							relocation, included_on, notes, updated_at, updated_by, person_id, municipality_id, created_at)
						VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
						[...values, personId, municipalityId, now]
					);
				return (await this.entry(personId)) as ReserveEntry;
			},
			() => ({
				action: 'reserve.put',
				entityType: 'person',
				entityId: personId,
				organizationId: p.organizationId,
				municipalityId,
				details: { fields: Object.keys(body) }
			})
		);
	}

	/** Excludes the person from the reserve (their registry card stays). */
	async remove(actor: Actor, personId: string): Promise<void> {
		const p = await this.store.people.get(personId);
		if (!p) throw notFound();
		const res = await this.registry.personResource(p);
		await this.guard.guarded(
			actor,
			'reserve.write',
			res,
			async () => {
				if (
					(await this.sql.run('DELETE FROM management_reserve WHERE person_id = ?', [personId])) ===
					0
				)
					throw notFound();
			},
			() => ({
				action: 'reserve.remove',
				entityType: 'person',
				entityId: personId,
				organizationId: p.organizationId,
				municipalityId: res.kind === 'person' ? res.municipalityId : null,
				details: null
			})
		);
	}

	/** The reserve of a municipality (its coordinator, the department, an administrator). */
	async listMunicipality(actor: Actor, municipalityId: string): Promise<ReserveEntry[]> {
		const mun = await this.store.scopes.getMunicipality(municipalityId);
		if (!mun) throw notFound();
		this.guard.check(actor, 'people.read', { kind: 'municipality', id: mun.id });
		return this.rows('WHERE r.municipality_id = ?', [municipalityId]);
	}

	/** The organization's people in the reserve (its curator and head). */
	async listOrganization(actor: Actor, organizationId: string): Promise<ReserveEntry[]> {
		const found = await this.registry.orgResource(organizationId);
		if (!found) throw notFound();
		this.guard.check(actor, 'people.read', found.res);
		return this.rows('WHERE p.organization_id = ?', [organizationId]);
	}

	private async entry(personId: string): Promise<ReserveEntry | null> {
		const r = await this.sql.get<Row>(`${SELECT} WHERE r.person_id = ?`, [personId]);
		return r ? toEntry(r) : null;
	}

	private rows(where: string, params: unknown[]): Promise<ReserveEntry[]> {
		return reserveRows(this.sql, where, params);
	}
}

async function reserveRows(
	sql: SqlClient,
	where: string,
	params: unknown[]
): Promise<ReserveEntry[]> {
	const list = (await sql.all<Row>(`${SELECT} ${where}`, params)).map(toEntry);
	return list.sort((a, b) => byRussian(a.fullName, b.fullName));
}

/**
 * Entries of the people of these organizations, without a policy check: for the registries export
 * of a scope the caller has checked with 'people.read' (server/curator/service.ts).
 */
export function reserveOfOrganizations(
	sql: SqlClient,
	organizationIds: string[]
): Promise<ReserveEntry[]> {
	if (organizationIds.length === 0) return Promise.resolve([]);
	return reserveRows(
		sql,
		`WHERE p.organization_id IN (${organizationIds.map(() => '?').join(',')})`,
		organizationIds
	);
}
