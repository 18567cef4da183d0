import type { SqliteDatabase } from '../../storage/sqlite/database.js';
import type { RoleAssignment } from '../model.js';
import type { Role } from '../policy.js';
import type { RoleRepository } from '../store.js';
import { run } from './util.js';

export interface RoleRow {
	id: string;
	person_id: string;
	role: string;
	organization_id: string | null;
	municipality_id: string | null;
	created_at: number;
	created_by: string | null;
}

export const toRole = (r: RoleRow): RoleAssignment => ({
	id: r.id,
	personId: r.person_id,
	role: r.role as Role,
	organizationId: r.organization_id,
	municipalityId: r.municipality_id,
	createdAt: r.created_at,
	createdBy: r.created_by
});

/** Inserts a role unless the same (person, role, scope) exists; true when inserted. */
export function insertRole(db: SqliteDatabase, r: RoleAssignment): boolean {
	return (
		db
			.prepare(
				`INSERT INTO role_assignments (id, person_id, role, organization_id, municipality_id, created_at, created_by)
				 VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
			)
			.run(r.id, r.personId, r.role, r.organizationId, r.municipalityId, r.createdAt, r.createdBy)
			.changes === 1
	);
}

/** Roles per organization (mentor, mentee, curator, head), per municipality (coordinator), global (admin). */
export function createRoleRepository(db: SqliteDatabase): RoleRepository {
	const s = {
		get: db.prepare('SELECT * FROM role_assignments WHERE id = ?'),
		del: db.prepare('DELETE FROM role_assignments WHERE id = ?'),
		forPerson: db.prepare('SELECT * FROM role_assignments WHERE person_id = ? ORDER BY created_at'),
		forOrg: db.prepare(
			'SELECT * FROM role_assignments WHERE organization_id = ? ORDER BY role, created_at'
		),
		find: db.prepare(
			`SELECT * FROM role_assignments WHERE person_id = ? AND role = ?
			   AND COALESCE(organization_id, '') = ? AND COALESCE(municipality_id, '') = ?`
		)
	};
	return {
		assign: (r) => run(() => insertRole(db, r)),
		remove: (id) =>
			run(() =>
				db.transaction(() => {
					const row = s.get.get(id) as RoleRow | undefined;
					if (!row) return null;
					s.del.run(id);
					return toRole(row);
				})()
			),
		get: (id) =>
			run(() => {
				const r = s.get.get(id) as RoleRow | undefined;
				return r ? toRole(r) : null;
			}),
		listForPerson: (personId) => run(() => (s.forPerson.all(personId) as RoleRow[]).map(toRole)),
		listForOrganization: (orgId) => run(() => (s.forOrg.all(orgId) as RoleRow[]).map(toRole)),
		find: (personId, role, orgId, munId) =>
			run(() => {
				const r = s.find.get(personId, role, orgId ?? '', munId ?? '') as RoleRow | undefined;
				return r ? toRole(r) : null;
			})
	};
}
