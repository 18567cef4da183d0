import type { SqliteDatabase } from '../../storage/sqlite/database.js';
import type { Invitation } from '../model.js';
import type { Role } from '../policy.js';
import type { InvitationRepository } from '../store.js';
import { run } from './util.js';

export interface InvitationRow {
	id: string;
	person_id: string;
	role: string | null;
	organization_id: string | null;
	municipality_id: string | null;
	program_id: string | null;
	created_by: string | null;
	created_at: number;
	expires_at: number;
	used_at: number | null;
	session_id: string | null;
	revoked_at: number | null;
}

export const toInvitation = (r: InvitationRow): Invitation => ({
	id: r.id,
	personId: r.person_id,
	role: r.role as Role | null,
	organizationId: r.organization_id,
	municipalityId: r.municipality_id,
	programId: r.program_id,
	createdBy: r.created_by,
	createdAt: r.created_at,
	expiresAt: r.expires_at,
	usedAt: r.used_at,
	sessionId: r.session_id,
	revokedAt: r.revoked_at
});

/** One-time invitation links. The code itself is never stored, only its SHA-256. */
export function createInvitationRepository(db: SqliteDatabase): InvitationRepository {
	const cols = `id, person_id, role, organization_id, municipality_id, program_id, created_by, created_at,
		expires_at, used_at, session_id, revoked_at`;
	const s = {
		insert: db.prepare(
			`INSERT INTO invitations (id, code_hash, person_id, role, organization_id, municipality_id, program_id,
			   created_by, created_at, expires_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		),
		get: db.prepare(`SELECT ${cols} FROM invitations WHERE id = ?`),
		byHash: db.prepare(`SELECT ${cols} FROM invitations WHERE code_hash = ?`),
		consume: db.prepare(
			`UPDATE invitations SET used_at = ?, session_id = ?
			 WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`
		),
		revoke: db.prepare(
			`UPDATE invitations SET revoked_at = ?, revoked_by = ?
			 WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL`
		),
		byOrg: db.prepare(
			`SELECT ${cols} FROM invitations WHERE organization_id = ? ORDER BY created_at DESC LIMIT 500`
		),
		byPerson: db.prepare(
			`SELECT ${cols} FROM invitations WHERE person_id = ? ORDER BY created_at DESC LIMIT 100`
		)
	};
	const one = (r: unknown) => (r ? toInvitation(r as InvitationRow) : null);
	return {
		create: (i, codeHash) =>
			run(
				() =>
					void s.insert.run(
						i.id,
						codeHash,
						i.personId,
						i.role,
						i.organizationId,
						i.municipalityId,
						i.programId,
						i.createdBy,
						i.createdAt,
						i.expiresAt
					)
			),
		get: (id) => run(() => one(s.get.get(id))),
		findByCodeHash: (h) => run(() => one(s.byHash.get(h))),
		consume: (id, sessionId, now) =>
			run(() => s.consume.run(now, sessionId, id, now).changes === 1),
		revoke: (id, by, now) => run(() => s.revoke.run(now, by, id).changes === 1),
		listByOrganization: (orgId) =>
			run(() => (s.byOrg.all(orgId) as InvitationRow[]).map(toInvitation)),
		listByPerson: (personId) =>
			run(() => (s.byPerson.all(personId) as InvitationRow[]).map(toInvitation))
	};
}
