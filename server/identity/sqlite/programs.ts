import type { SqliteDatabase } from '../../storage/sqlite/database.js';
import type { ProgramInfo } from '../model.js';
import type { ParticipantRole } from '../policy.js';
import type { ProgramRepository } from '../store.js';
import { run } from './util.js';

interface InfoRow {
	program_id: string;
	organization_id: string;
	municipality_id: string;
	title: string;
	template_id: string;
	created_by: string | null;
	created_at: number;
}

/**
 * What identity knows about programs: organization, title, template and participants. The
 * program itself (id, document) is registered by the relay's DocumentStore.createProgram.
 */
export function createProgramRepository(db: SqliteDatabase): ProgramRepository {
	const select = `SELECT i.*, o.municipality_id FROM program_info i JOIN organizations o ON o.id = i.organization_id`;
	const s = {
		insertInfo: db.prepare(
			`INSERT INTO program_info (program_id, organization_id, title, template_id, created_by, created_at)
			 VALUES (?, ?, ?, ?, ?, ?)`
		),
		insertParticipant: db.prepare(
			`INSERT INTO program_participants (program_id, person_id, role, added_at, added_by)
			 VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
		),
		removeParticipant: db.prepare(
			'DELETE FROM program_participants WHERE program_id = ? AND person_id = ?'
		),
		get: db.prepare(`${select} WHERE i.program_id = ?`),
		byOrg: db.prepare(`${select} WHERE i.organization_id = ? ORDER BY i.created_at, i.program_id`),
		byMun: db.prepare(`${select} WHERE o.municipality_id = ? ORDER BY i.created_at, i.program_id`),
		forPerson: db.prepare(
			`SELECT i.*, o.municipality_id, pp.role FROM program_info i
			 JOIN organizations o ON o.id = i.organization_id
			 JOIN program_participants pp ON pp.program_id = i.program_id
			 WHERE pp.person_id = ? ORDER BY i.created_at`
		),
		participants: db.prepare(
			'SELECT person_id, role FROM program_participants WHERE program_id = ? ORDER BY added_at, person_id'
		)
	};
	const full = (r: InfoRow): ProgramInfo => ({
		id: r.program_id,
		organizationId: r.organization_id,
		municipalityId: r.municipality_id,
		title: r.title,
		templateId: r.template_id,
		createdBy: r.created_by,
		createdAt: r.created_at,
		participants: (
			s.participants.all(r.program_id) as Array<{ person_id: string; role: ParticipantRole }>
		).map((p) => ({ personId: p.person_id, role: p.role }))
	});
	const createTx = db.transaction(
		(info: Omit<ProgramInfo, 'municipalityId'>, addedBy: string | null) => {
			s.insertInfo.run(
				info.id,
				info.organizationId,
				info.title,
				info.templateId,
				info.createdBy,
				info.createdAt
			);
			for (const p of info.participants) {
				s.insertParticipant.run(info.id, p.personId, p.role, info.createdAt, addedBy);
			}
		}
	);
	return {
		create: (info, addedBy) => run(() => createTx(info, addedBy)),
		get: (id) =>
			run(() => {
				const r = s.get.get(id) as InfoRow | undefined;
				return r ? full(r) : null;
			}),
		listByOrganization: (orgId) => run(() => (s.byOrg.all(orgId) as InfoRow[]).map(full)),
		listByMunicipality: (munId) => run(() => (s.byMun.all(munId) as InfoRow[]).map(full)),
		listForPerson: (personId) =>
			run(() =>
				(s.forPerson.all(personId) as Array<InfoRow & { role: ParticipantRole }>).map((r) => ({
					...full(r),
					role: r.role
				}))
			),
		addParticipant: (programId, personId, role, by, at) =>
			run(() => s.insertParticipant.run(programId, personId, role, at, by).changes === 1),
		removeParticipant: (programId, personId) =>
			run(() => s.removeParticipant.run(programId, personId).changes === 1)
	};
}
