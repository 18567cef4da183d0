/**
 * The curator's records (issue 16, «день куратора»): what keeps the bank and the list of programs
 * true when people make mistakes.
 * - Idempotent creation: one program per (person, request key) — a double click, a retry after a
 *   lost answer, two tabs — enforced by the primary key of `program_create_requests`.
 * - Cancelled programs («отменена»: created by mistake, a duplicate): NOT a completion and not a
 *   failure; they leave the dashboard and the figures and can be restored. Only the curator of
 *   the organization (policy 'program.manage').
 * - Duplicates (src/lib/shared/duplicates.ts) and their merge: the kept record takes over every
 *   program, role, consent, pair, invitation, session, token and order of the duplicate.
 * - Removal of personal data on request (152-ФЗ): the record is anonymized, what the law requires
 *   kept (orders, decisions, the audit log, the fact of consents) stays, without the person's data.
 * Schema: migration 75. docs/identity.md, «Записи куратора».
 */
import { IdentityError, conflict, invalid, notFound } from '../identity/errors.js';
import { blankPerson, type ProgramInfo, type Person } from '../identity/model.js';
import type { Actor } from '../identity/policy.js';
import { PERSON_COLUMNS, personValues } from '../identity/rows.js';
import type { IdentityService } from '../identity/service.js';
import type { Logger } from '../logger.js';
import { lockIndexRows } from '../storage/curator-index.js';
import type { SqlClient, Statement } from '../storage/sql.js';
import { ProgramEditor } from '../../src/lib/shared/program/index.js';
import {
	DUPLICATE_REASON_LABELS,
	duplicateReason,
	findDuplicates,
	normalizeName,
	type PersonKeys
} from '../../src/lib/shared/duplicates.js';
import type {
	CancelReason,
	DuplicateCandidate,
	EraseResponse,
	MergeResponse,
	ProgramCancellation
} from '../../src/lib/shared/api/records.js';
import type { ServerEditor } from './curator-actions.js';
import { manageProgram } from './manage.js';

/** The name an erased person's record and program entries carry from then on. */
export const ERASED_NAME = 'Участник (персональные данные удалены)';

/** How long a repeated creation request waits for the first one to finish. */
const CLAIM_WAIT_MS = 30_000;

export type CreationClaim = { kind: 'new' } | { kind: 'existing'; programId: string };

interface CancellationRow {
	program_id: string;
	reason: string;
	note: string | null;
	cancelled_at: number | string;
	cancelled_by: string | null;
}

const toCancellation = (r: CancellationRow): ProgramCancellation => ({
	programId: r.program_id,
	reason: r.reason as CancelReason,
	note: r.note,
	cancelledAt: Number(r.cancelled_at),
	cancelledBy: r.cancelled_by
});

export function candidateJson(p: Person, reason: DuplicateCandidate['reason']): DuplicateCandidate {
	return {
		id: p.id,
		fullName: p.fullName,
		birthDate: p.birthDate,
		email: p.email,
		phone: p.phone,
		position: p.position,
		reason,
		reasonRu: DUPLICATE_REASON_LABELS[reason]
	};
}

/** Fields merged from the duplicate into the kept record, with their Russian names. */
const MERGED_FIELDS: Array<[keyof Person, string]> = [
	['position', 'должность'],
	['email', 'e-mail'],
	['phone', 'телефон'],
	['birthDate', 'дата рождения'],
	['ageGroup', 'возрастная группа'],
	['experienceYears', 'стаж'],
	['category', 'категория']
];

export class RecordsService {
	private readonly log: Logger;

	constructor(
		private readonly sql: SqlClient,
		private readonly identity: IdentityService,
		private readonly relay: () => ServerEditor | null,
		logger: Logger,
		private readonly now: () => number,
		private readonly sleep: (ms: number) => Promise<void> = (ms) =>
			new Promise((r) => setTimeout(r, ms))
	) {
		this.log = logger.child({ component: 'records' });
	}

	// ------------------------------------------------------------------ idempotent creation

	/**
	 * Claims `key` for a new program `programId`. The first request gets 'new' and creates it;
	 * a repeat (concurrent or later) gets the program the first one made, waiting while it is
	 * being made. When the first fails, its claim is released (`releaseCreation`) and a repeat
	 * creates the program itself.
	 */
	async claimCreation(actorId: string, key: string, programId: string): Promise<CreationClaim> {
		const deadline = this.now() + CLAIM_WAIT_MS;
		for (;;) {
			const inserted = await this.sql.run(
				`INSERT INTO program_create_requests (actor_id, request_key, program_id, created_at)
					VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				[actorId, key, programId, this.now()]
			);
			if (inserted === 1) return { kind: 'new' };
			const row = await this.sql.get<{ program_id: string }>(
				'SELECT program_id FROM program_create_requests WHERE actor_id = ? AND request_key = ?',
				[actorId, key]
			);
			if (row && (await this.identity.store.programs.get(row.program_id)))
				return { kind: 'existing', programId: row.program_id };
			if (this.now() > deadline)
				throw new IdentityError(
					409,
					'creation_in_progress',
					'Программа по этому запросу ещё создаётся. Обновите страницу через минуту.'
				);
			await this.sleep(100);
		}
	}

	async releaseCreation(actorId: string, key: string, programId: string): Promise<void> {
		await this.sql.run(
			'DELETE FROM program_create_requests WHERE actor_id = ? AND request_key = ? AND program_id = ?',
			[actorId, key, programId]
		);
	}

	// ------------------------------------------------------------------ cancellation

	private async programFor(actor: Actor, programId: string) {
		const found = await this.identity.registry.program(programId);
		if (!found) throw notFound();
		return found;
	}

	async cancellation(actor: Actor, programId: string): Promise<ProgramCancellation | null> {
		const found = await this.programFor(actor, programId);
		this.identity.guard(actor, 'program.summary', found.res);
		const row = await this.sql.get<CancellationRow>(
			'SELECT * FROM program_cancellations WHERE program_id = ?',
			[programId]
		);
		return row ? toCancellation(row) : null;
	}

	async cancel(
		actor: Actor,
		programId: string,
		reason: CancelReason,
		note: string | null
	): Promise<ProgramCancellation> {
		return manageProgram(
			this.identity,
			actor,
			programId,
			{ action: 'program.cancel', details: { reason } },
			async () => {
				const at = this.now();
				const text = note?.trim() || null;
				const n = await this.sql.run(
					`INSERT INTO program_cancellations (program_id, reason, note, cancelled_at, cancelled_by)
						VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
					[programId, reason, text, at, actor.personId]
				);
				if (n === 0) throw conflict('already_cancelled', 'Программа уже отменена');
				return { programId, reason, note: text, cancelledAt: at, cancelledBy: actor.personId };
			}
		);
	}

	async restore(actor: Actor, programId: string): Promise<void> {
		await manageProgram(
			this.identity,
			actor,
			programId,
			{ action: 'program.restore', details: {} },
			async () => {
				const n = await this.sql.run('DELETE FROM program_cancellations WHERE program_id = ?', [
					programId
				]);
				if (n === 0) throw conflict('not_cancelled', 'Программа не отменена');
			}
		);
	}

	async listCancelled(actor: Actor, organizationId: string) {
		const found = await this.identity.registry.orgResource(organizationId);
		if (!found) throw notFound();
		this.identity.guard(actor, 'organization.monitor', found.res);
		const rows = await this.sql.all<
			CancellationRow & { title: string; cancelled_by_name: string | null }
		>(
			`SELECT c.*, pi.title AS title, p.full_name AS cancelled_by_name
				FROM program_cancellations c
				JOIN program_info pi ON pi.program_id = c.program_id
				LEFT JOIN people p ON p.id = c.cancelled_by
				WHERE pi.organization_id = ? ORDER BY c.cancelled_at DESC`,
			[organizationId]
		);
		return rows.map((r) => ({
			...toCancellation(r),
			title: r.title,
			cancelledByName: r.cancelled_by_name
		}));
	}

	// ------------------------------------------------------------------ duplicates

	/** Active records of the organization's bank that are the same person as `who`. */
	async duplicatesOf(
		actor: Actor,
		organizationId: string,
		who: PersonKeys,
		exceptId?: string
	): Promise<DuplicateCandidate[]> {
		// Only someone who may add people to this bank learns who is already in it this way.
		await this.identity.checkPeopleWrite(actor, organizationId);
		const people = await this.identity.listPeople(actor, organizationId);
		return findDuplicates(
			who,
			people.filter((p) => p.active && p.id !== exceptId)
		).map((d) => candidateJson(d.record, d.reason));
	}

	/** Probable duplicates already in the bank, grouped (each group: one person, several records). */
	async duplicateGroups(actor: Actor, organizationId: string) {
		// Oldest first: the record offered to keep is the one entered first.
		const people = (await this.identity.listPeople(actor, organizationId))
			.filter((p) => p.active)
			.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
		const groupOf = new Map<string, number>();
		const groups: Array<Map<string, DuplicateCandidate>> = [];
		for (let i = 0; i < people.length; i++) {
			for (let j = i + 1; j < people.length; j++) {
				const a = people[i] as Person;
				const b = people[j] as Person;
				const reason = duplicateReason(a, b);
				if (!reason) continue;
				let g = groupOf.get(a.id) ?? groupOf.get(b.id);
				if (g === undefined) {
					g = groups.length;
					groups.push(new Map());
				}
				const group = groups[g] as Map<string, DuplicateCandidate>;
				for (const p of [a, b]) {
					groupOf.set(p.id, g);
					if (!group.has(p.id)) group.set(p.id, candidateJson(p, reason));
				}
			}
		}
		return groups.map((g) => ({ people: [...g.values()] }));
	}

	// ------------------------------------------------------------------ merge

	/**
	 * Merges `duplicateId` into `keptId` in one transaction. Empty fields of the kept record are
	 * filled from the duplicate; where both have different values the kept one stays and the
	 * other is written into the notes («При объединении записей: e-mail: …»), so nothing is lost.
	 * Programs, roles, consents, pairs, invitations, sessions, tokens and orders move to the kept
	 * record; the duplicate stays in the registry, inactive, with a note where it went.
	 */
	async merge(actor: Actor, keptId: string, duplicateId: string): Promise<MergeResponse> {
		if (keptId === duplicateId) throw invalid('Нельзя объединить запись с самой собой');
		const people = this.identity.store.people;
		const kept = await people.get(keptId);
		const dup = await people.get(duplicateId);
		if (!kept || !dup) throw notFound();
		const registry = this.identity.registry;
		this.identity.guard(actor, 'person.write', await registry.personResource(kept));
		this.identity.guard(actor, 'person.write', await registry.personResource(dup));
		if (!dup.active) throw conflict('person_inactive', 'Дубликат уже исключён из банка');
		if (kept.organizationId !== dup.organizationId)
			throw invalid('Объединять можно записи одной организации');
		const keptPrograms = await this.identity.store.programs.listForPerson(keptId);
		const dupPrograms = await this.identity.store.programs.listForPerson(duplicateId);
		const shared = dupPrograms.filter((p) => keptPrograms.some((k) => k.id === p.id));
		if (shared.length > 0)
			throw conflict(
				'same_program',
				`Обе записи участвуют в одной программе («${shared[0]?.title ?? ''}»): сначала уберите одну из них из программы`
			);

		const at = this.now();
		const filled: string[] = [];
		const conflicts: MergeResponse['conflicts'] = [];
		const next: Person = { ...kept, updatedAt: at };
		const show = (v: unknown) => (v === null || v === undefined ? '' : String(v));
		for (const [field, label] of MERGED_FIELDS) {
			const a = kept[field];
			const b = dup[field];
			if (b === null || b === undefined || b === '') continue;
			if (a === null || a === undefined || a === '') {
				(next as unknown as Record<string, unknown>)[field] = b;
				filled.push(label);
			} else if (show(a) !== show(b))
				conflicts.push({ field: label, kept: show(a), other: show(b) });
		}
		if (!kept.mentorRequirements && dup.mentorRequirements) {
			next.mentorRequirements = dup.mentorRequirements;
			filled.push('требования к наставнику');
		}
		next.minor = kept.minor || dup.minor;
		const notes = [
			kept.notes,
			dup.notes,
			conflicts.length
				? `При объединении записей (другие значения): ${conflicts.map((c) => `${c.field}: ${c.other}`).join('; ')}`
				: null
		].filter((x): x is string => !!x && x.trim() !== '');
		next.notes = notes.length ? [...new Set(notes)].join('\n').slice(0, 2000) : null;
		const dupNext: Person = {
			...dup,
			active: false,
			notes: `Объединена с записью «${kept.fullName}» (${keptId})`.slice(0, 2000),
			updatedAt: at
		};

		const update = (p: Person): Statement => {
			const [id, ...rest] = personValues(p);
			const columns = PERSON_COLUMNS.slice(1).filter((c) => c !== 'created_at');
			const values = rest.filter((_, i) => PERSON_COLUMNS[i + 1] !== 'created_at');
			return {
				sql: `UPDATE people SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`,
				params: [...values, id]
			};
		};
		const d = duplicateId;
		const k = keptId;
		// The programs' index rows in the summaries' lock order first (lockIndexRows).
		const locks = lockIndexRows(
			this.sql.dialect,
			[...keptPrograms, ...dupPrograms].map((p) => p.id)
		);
		const statements: Statement[] = [
			...(locks ? [locks] : []),
			update(next),
			update(dupNext),
			{
				sql: 'UPDATE program_participants SET person_id = ? WHERE person_id = ?',
				params: [k, d]
			},
			// Roles: the kept record's stay; the duplicate's that the kept one lacks move.
			{
				sql: `UPDATE role_assignments SET person_id = ? WHERE person_id = ? AND NOT EXISTS (
					SELECT 1 FROM role_assignments r WHERE r.person_id = ? AND r.role = role_assignments.role
						AND COALESCE(r.organization_id, '') = COALESCE(role_assignments.organization_id, '')
						AND COALESCE(r.municipality_id, '') = COALESCE(role_assignments.municipality_id, ''))`,
				params: [k, d, k]
			},
			{ sql: 'DELETE FROM role_assignments WHERE person_id = ?', params: [d] },
			{ sql: 'UPDATE consents SET person_id = ? WHERE person_id = ?', params: [k, d] },
			// The management reserve entry: the duplicate's moves unless the kept record has one.
			{
				sql: `UPDATE management_reserve SET person_id = ? WHERE person_id = ? AND NOT EXISTS (
					SELECT 1 FROM management_reserve r WHERE r.person_id = ?)`,
				params: [k, d, k]
			},
			{ sql: 'DELETE FROM management_reserve WHERE person_id = ?', params: [d] },
			// Pairs: a pair of the two records with each other goes; the others move unless they repeat one.
			{
				sql: 'DELETE FROM pairs WHERE (mentor_id = ? AND mentee_id = ?) OR (mentor_id = ? AND mentee_id = ?)',
				params: [k, d, d, k]
			},
			{
				sql: `UPDATE pairs SET mentor_id = ? WHERE mentor_id = ? AND NOT EXISTS (
					SELECT 1 FROM pairs q WHERE q.mentor_id = ? AND q.mentee_id = pairs.mentee_id)`,
				params: [k, d, k]
			},
			{
				sql: `UPDATE pairs SET mentee_id = ? WHERE mentee_id = ? AND NOT EXISTS (
					SELECT 1 FROM pairs q WHERE q.mentee_id = ? AND q.mentor_id = pairs.mentor_id)`,
				params: [k, d, k]
			},
			{ sql: 'DELETE FROM pairs WHERE mentor_id = ? OR mentee_id = ?', params: [d, d] },
			{ sql: 'UPDATE invitations SET person_id = ? WHERE person_id = ?', params: [k, d] },
			// Sessions: the duplicate's devices stay signed in, now as the kept record.
			{ sql: 'UPDATE sessions SET person_id = ? WHERE person_id = ?', params: [k, d] },
			{ sql: 'UPDATE access_tokens SET person_id = ? WHERE person_id = ?', params: [k, d] },
			{ sql: 'UPDATE orders SET issuer_id = ? WHERE issuer_id = ?', params: [k, d] },
			// A password login: the kept record's stays; the duplicate's moves only if the kept has none.
			{
				sql: `UPDATE credentials SET person_id = ? WHERE person_id = ? AND NOT EXISTS (
					SELECT 1 FROM credentials c WHERE c.person_id = ?)`,
				params: [k, d, k]
			},
			{ sql: 'DELETE FROM credentials WHERE person_id = ?', params: [d] },
			// The relay's records of the duplicate's devices: its Yjs client ids are now the kept record's.
			{ sql: 'UPDATE program_client_owners SET user_id = ? WHERE user_id = ?', params: [k, d] },
			{
				sql: `UPDATE program_device_sync SET user_id = ? WHERE user_id = ? AND NOT EXISTS (
					SELECT 1 FROM program_device_sync s WHERE s.user_id = ?
						AND s.program_id = program_device_sync.program_id AND s.device_id = program_device_sync.device_id)`,
				params: [k, d, k]
			},
			{ sql: 'DELETE FROM program_device_sync WHERE user_id = ?', params: [d] },
			{
				sql: `INSERT INTO person_merges (duplicate_id, kept_id, merged_at, merged_by, details)
					VALUES (?, ?, ?, ?, ?)`,
				params: [d, k, at, actor.personId, JSON.stringify({ filled, conflicts })]
			}
		];
		await this.sql.batch(statements);
		await this.identity.policy.audit(actor, {
			action: 'person.merge',
			entityType: 'person',
			entityId: keptId,
			organizationId: kept.organizationId,
			municipalityId: kept.municipalityId,
			details: {
				duplicateId,
				filled,
				conflicts: conflicts.map((c) => c.field),
				programs: dupPrograms.length
			}
		});
		// The documents name the kept record from now on (the phones see it like any edit).
		await this.relinkInDocuments(actor, dupPrograms, duplicateId, keptId, next.fullName);
		this.identity.events.emitAccessChanged({ personId: keptId });
		this.log.info({ keptId, duplicateId, programs: dupPrograms.length }, 'people merged');
		return { keptId, filled, conflicts, programs: dupPrograms.length };
	}

	private async relinkInDocuments(
		actor: Actor,
		programs: ProgramInfo[],
		from: string,
		to: string,
		name: string
	): Promise<void> {
		const relay = this.relay();
		if (!relay) return;
		const author = { userId: actor.personId, role: 'curator' as const };
		for (const p of programs) {
			try {
				await relay.applyServerEdit(p.id, author, (doc) => {
					new ProgramEditor(doc, author).relinkParticipants(from, to, name);
				});
			} catch (error) {
				this.log.warn({ err: error, programId: p.id }, 'participant not relinked in the document');
			}
		}
		// The summaries (the curator's rows show participants' names) now, not when the documents
		// settle: after an erasure no page may still show the removed name.
		try {
			await relay.refreshSummaries?.(programs.map((p) => p.id));
		} catch (error) {
			this.log.warn({ err: error }, 'summaries not refreshed after relinking participants');
		}
	}

	// ------------------------------------------------------------------ removal of personal data

	/**
	 * Removes a person's personal data on their request (152-ФЗ art. 14, 21). Removed: name
	 * (replaced by ERASED_NAME), position, contacts, birth date, age group, experience, category,
	 * mentor requirements, notes, the password login, the representative's name in consents;
	 * the name in every program document. Access ends (links, sessions, tokens). Kept, without the
	 * person's data: the record's id (programs, orders and decisions refer to it), participation
	 * in programs (the counts of past periods), the fact and dates of consents (proof that the
	 * processing was lawful, art. 9 §3), orders and decisions, the audit log (ids, no data).
	 */
	async erase(
		actor: Actor,
		personId: string,
		confirmFullName: string,
		reason: string | null
	): Promise<EraseResponse> {
		const person = await this.identity.store.people.get(personId);
		if (!person) throw notFound();
		const res = await this.identity.registry.personResource(person);
		this.identity.guard(actor, 'person.write', res);
		if (personId === actor.personId)
			throw invalid('Свои данные удаляет администратор или другой куратор');
		const done = await this.sql.get<{ erased_at: number }>(
			'SELECT erased_at FROM person_erasures WHERE person_id = ?',
			[personId]
		);
		if (done) throw conflict('already_erased', 'Персональные данные этого человека уже удалены');
		if (normalizeName(confirmFullName) !== normalizeName(person.fullName))
			throw invalid('Для подтверждения введите ФИО точно так, как оно записано в банке');
		const at = this.now();
		const programs = await this.identity.store.programs.listForPerson(personId);
		// Everything the card records is blanked (blankPerson's empty card); the id, the places,
		// the staff kind and the creation time stay.
		const erased: Person = {
			...person,
			...blankPerson(
				{
					id: person.id,
					organizationId: person.organizationId,
					municipalityId: person.municipalityId,
					fullName: ERASED_NAME,
					active: false,
					createdAt: person.createdAt
				},
				at
			)
		};
		const [id, ...rest] = personValues(erased);
		const columns = PERSON_COLUMNS.slice(1).filter((c) => c !== 'created_at');
		const values = rest.filter((_, i) => PERSON_COLUMNS[i + 1] !== 'created_at');
		await this.sql.batch([
			{
				sql: `UPDATE people SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`,
				params: [...values, id]
			},
			{
				sql: `UPDATE consents SET representative_name = ?, representative_relation = NULL,
					document_ref = NULL, revoked_at = COALESCE(revoked_at, ?), revoked_by = COALESCE(revoked_by, ?)
					WHERE person_id = ?`,
				params: ['(данные удалены)', at, actor.personId, personId]
			},
			{ sql: 'DELETE FROM credentials WHERE person_id = ?', params: [personId] },
			// The management reserve entry (certificates, training dates) is personal data too.
			{ sql: 'DELETE FROM management_reserve WHERE person_id = ?', params: [personId] },
			{
				sql: 'INSERT INTO person_erasures (person_id, erased_at, erased_by, reason) VALUES (?, ?, ?, ?)',
				params: [personId, at, actor.personId, reason?.trim() || null]
			}
		]);
		await this.identity.policy.audit(actor, {
			action: 'person.erase',
			entityType: 'person',
			entityId: personId,
			organizationId: person.organizationId,
			municipalityId: person.municipalityId,
			details: { programs: programs.length }
		});
		// Links, sessions, tokens and live connections end (identity's one end of access).
		await this.identity.endAccess(personId, 'excluded', { actor });
		await this.relinkInDocuments(actor, programs, personId, personId, ERASED_NAME);
		this.log.info({ personId, programs: programs.length }, 'personal data erased on request');
		return {
			personId,
			erasedAt: at,
			removed: [
				'ФИО (заменено на «' + ERASED_NAME + '»)',
				'должность, e-mail, телефон, дата рождения, возрастная группа, стаж, категория, примечания',
				'имя законного представителя в согласиях',
				'пароль для входа; ссылки-приглашения, сеансы и токены отозваны',
				`ФИО в документах программ (${programs.length})`
			],
			kept: [
				'участие в программах и их содержание — без ФИО (для отчётов за прошедшие периоды)',
				'приказы и решения куратора — со ссылкой на обезличенную запись',
				'факт и даты согласий — подтверждение законности обработки (ст. 9 152-ФЗ)',
				'журнал действий — только идентификаторы, без персональных данных'
			]
		};
	}
}
