/**
 * The identity store, written once over the storage's SQL client for SQLite and PostgreSQL
 * (schema: migration 20 in server/storage/{sqlite,postgres}/migrations.ts). Operations that must
 * be atomic together are one batch (one transaction). Text ordering is byte order in both
 * databases (`bytewise`: SQLite's BINARY, PostgreSQL's "C"), so lists come back in the same order.
 */
import { dialectSql, type SqlClient, type Statement } from '../storage/sql.js';
import type {
	AuditInput,
	Consent,
	Municipality,
	Pair,
	ProgramInfo,
	RoleAssignment
} from './model.js';
import type { ParticipantRole } from './policy.js';
import {
	PERSON_COLUMNS,
	personValues,
	toAuditEntry,
	toConsent,
	toInvitation,
	toOrg,
	toPair,
	toPerson,
	toRole,
	toSession,
	type AuditRow,
	type ConsentRow,
	type InvitationRow,
	type OrgRow,
	type PairRow,
	type PersonRow,
	type RoleRow,
	type SessionRow
} from './rows.js';
import type { IdentityStore } from './store.js';
import { createAccessTokenRepository } from './token-store.js';

const INVITATION_COLUMNS = `id, person_id, role, organization_id, municipality_id, program_id, created_by,
	created_at, expires_at, used_at, session_id, revoked_at`;
const SESSION_COLUMNS = `id, person_id, device_name, method, created_at, last_used_at, expires_at,
	revoked_at, revoked_by`;
const MUNICIPALITY_COLUMNS = 'id, name, created_at AS "createdAt", time_zone AS "timeZone"';
const PROGRAM_SELECT = `SELECT i.*, o.municipality_id FROM program_info i
	JOIN organizations o ON o.id = i.organization_id`;

interface InfoRow {
	program_id: string;
	organization_id: string;
	municipality_id: string;
	title: string;
	template_id: string;
	created_by: string | null;
	created_at: number;
}

const insertPerson: Statement['sql'] = `INSERT INTO people (${PERSON_COLUMNS.join(', ')})
	VALUES (${PERSON_COLUMNS.map(() => '?').join(', ')})`;

const insertAudit = (e: AuditInput): Statement => ({
	sql: `INSERT INTO audit_log (at, actor_id, action, entity_type, entity_id, organization_id,
		municipality_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	params: [
		e.at ?? Date.now(),
		e.actorId,
		e.action,
		e.entityType,
		e.entityId,
		e.organizationId,
		e.municipalityId,
		e.details ? JSON.stringify(e.details) : null
	]
});

/** Inserts a role unless the same (person, role, scope) exists. */
const insertRole = (r: RoleAssignment): Statement => ({
	sql: `INSERT INTO role_assignments (id, person_id, role, organization_id, municipality_id,
		created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
	params: [r.id, r.personId, r.role, r.organizationId, r.municipalityId, r.createdAt, r.createdBy]
});

const insertConsent = (c: Consent): Statement => ({
	sql: `INSERT INTO consents (id, person_id, representative_name, representative_relation, given_on,
		scope, document_ref, recorded_by, recorded_at, kind, valid_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	params: [
		c.id,
		c.personId,
		c.representativeName,
		c.representativeRelation,
		c.givenOn,
		c.scope,
		c.documentRef,
		c.recordedBy,
		c.recordedAt,
		c.kind,
		c.validUntil
	]
});

const insertPair = (p: Pair): Statement => ({
	sql: `INSERT INTO pairs (id, organization_id, mentor_id, mentee_id, program_id, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mentor_id, mentee_id) DO NOTHING`,
	params: [p.id, p.organizationId, p.mentorId, p.menteeId, p.programId, p.createdAt, null]
});

const insertParticipant = (
	programId: string,
	personId: string,
	role: ParticipantRole,
	at: number,
	by: string | null
): Statement => ({
	sql: `INSERT INTO program_participants (program_id, person_id, role, added_at, added_by)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
	params: [programId, personId, role, at, by]
});

export function createIdentityStore(sql: SqlClient): IdentityStore {
	const C = dialectSql(sql.dialect).bytewise;
	const exec = async (s: Statement) => sql.run(s.sql, s.params);
	const rows = async <R, T>(map: (r: R) => T, query: string, params: unknown[] = []) =>
		(await sql.all<R>(query, params)).map(map);
	const one = async <R, T>(map: (r: R) => T, query: string, params: unknown[] = []) => {
		const r = await sql.get<R>(query, params);
		return r === undefined ? null : map(r);
	};
	const withParticipants = async (r: InfoRow): Promise<ProgramInfo> => ({
		id: r.program_id,
		organizationId: r.organization_id,
		municipalityId: r.municipality_id,
		title: r.title,
		templateId: r.template_id,
		createdBy: r.created_by,
		createdAt: r.created_at,
		participants: await rows(
			(p: { person_id: string; role: ParticipantRole }) => ({
				personId: p.person_id,
				role: p.role
			}),
			`SELECT person_id, role FROM program_participants WHERE program_id = ?
			 ORDER BY added_at, person_id${C}`,
			[r.program_id]
		)
	});
	const programs = async (query: string, params: unknown[]) =>
		Promise.all((await sql.all<InfoRow>(query, params)).map(withParticipants));
	const same = <T>(x: T) => x;

	return {
		sql,
		scopes: {
			createMunicipality: async (m) =>
				void (await sql.run(
					'INSERT INTO municipalities (id, name, created_at, time_zone) VALUES (?, ?, ?, ?)',
					[m.id, m.name, m.createdAt, m.timeZone ?? null]
				)),
			getMunicipality: (id) =>
				one(same<Municipality>, `SELECT ${MUNICIPALITY_COLUMNS} FROM municipalities WHERE id = ?`, [
					id
				]),
			listMunicipalities: () =>
				rows(
					same<Municipality>,
					`SELECT ${MUNICIPALITY_COLUMNS} FROM municipalities ORDER BY name${C}`
				),
			createOrganization: async (o) =>
				void (await sql.run(
					'INSERT INTO organizations (id, municipality_id, name, created_at, time_zone) VALUES (?, ?, ?, ?, ?)',
					[o.id, o.municipalityId, o.name, o.createdAt, o.timeZone ?? null]
				)),
			getOrganization: (id) => one(toOrg, 'SELECT * FROM organizations WHERE id = ?', [id]),
			listOrganizations: (municipalityId) =>
				municipalityId === undefined
					? rows(toOrg, `SELECT * FROM organizations ORDER BY name${C}`)
					: rows(
							(r: OrgRow) => toOrg(r),
							`SELECT * FROM organizations WHERE municipality_id = ? ORDER BY name${C}`,
							[municipalityId]
						),
			renameOrganization: async (id, name) =>
				void (await sql.run('UPDATE organizations SET name = ? WHERE id = ?', [name, id])),
			setMunicipalityTimeZone: async (id, zone) =>
				void (await sql.run('UPDATE municipalities SET time_zone = ? WHERE id = ?', [zone, id])),
			setOrganizationTimeZone: async (id, zone) =>
				void (await sql.run('UPDATE organizations SET time_zone = ? WHERE id = ?', [zone, id])),
			setOrganizationAttributes: async (id, a) =>
				void (await sql.run(
					'UPDATE organizations SET kind = ?, low_results = ?, hard_social = ? WHERE id = ?',
					[a.kind, a.lowResults ? 1 : 0, a.hardSocial ? 1 : 0, id]
				)),
			isEmpty: async () => {
				const r = await sql.get<{ n: number }>(
					'SELECT (SELECT COUNT(*) FROM organizations) + (SELECT COUNT(*) FROM role_assignments) AS n'
				);
				return Number(r?.n ?? 0) === 0;
			}
		},
		people: {
			create: async (p) => void (await sql.run(insertPerson, personValues(p))),
			get: (id) => one(toPerson, 'SELECT * FROM people WHERE id = ?', [id]),
			update: async (p) => {
				const [id, ...rest] = personValues(p);
				// Every column but id and created_at.
				const columns = PERSON_COLUMNS.slice(1).filter((c) => c !== 'created_at');
				const values = rest.filter((_, i) => PERSON_COLUMNS[i + 1] !== 'created_at');
				await sql.run(
					`UPDATE people SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`,
					[...values, id]
				);
			},
			listByOrganization: (orgId) =>
				rows(
					(r: PersonRow) => toPerson(r),
					`SELECT * FROM people WHERE organization_id = ? ORDER BY full_name${C}, id${C}`,
					[orgId]
				),
			listByMunicipality: (munId) =>
				rows(
					(r: PersonRow) => toPerson(r),
					`SELECT p.* FROM people p LEFT JOIN organizations o ON o.id = p.organization_id
					 WHERE p.municipality_id = ? OR o.municipality_id = ? ORDER BY p.full_name${C}, p.id${C}`,
					[munId, munId]
				),
			findByName: (orgId, name) =>
				rows(
					(r: PersonRow) => toPerson(r),
					'SELECT * FROM people WHERE organization_id = ? AND full_name = ? ORDER BY created_at',
					[orgId, name]
				),
			addConsent: async (c) => void (await exec(insertConsent(c))),
			listConsents: (personId) =>
				rows(
					(r: ConsentRow) => toConsent(r),
					'SELECT * FROM consents WHERE person_id = ? ORDER BY recorded_at',
					[personId]
				),
			revokeConsent: async (id, by, at) =>
				(await sql.run(
					'UPDATE consents SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL',
					[at, by, id]
				)) === 1,
			hasActiveConsent: async (personId, kind = 'representative') =>
				(await sql.get(
					'SELECT 1 AS one FROM consents WHERE person_id = ? AND kind = ? AND revoked_at IS NULL LIMIT 1',
					[personId, kind]
				)) !== undefined,
			createPair: async (p) => void (await exec(insertPair(p))),
			listPairs: (orgId) =>
				rows(
					(r: PairRow) => toPair(r),
					'SELECT * FROM pairs WHERE organization_id = ? ORDER BY created_at',
					[orgId]
				),
			importBatch: async (batch) =>
				void (await sql.batch([
					...batch.people.map((p) => ({ sql: insertPerson, params: personValues(p) })),
					...batch.roles.map(insertRole),
					...batch.consents.map(insertConsent),
					...batch.pairs.map(insertPair),
					...batch.audit.map(insertAudit)
				]))
		},
		roles: {
			assign: async (r) => (await exec(insertRole(r))) === 1,
			remove: async (id) => {
				const [deleted] = await sql.batch([
					{ sql: 'DELETE FROM role_assignments WHERE id = ? RETURNING *', params: [id] }
				]);
				const row = deleted?.rows[0] as RoleRow | undefined;
				return row ? toRole(row) : null;
			},
			get: (id) => one(toRole, 'SELECT * FROM role_assignments WHERE id = ?', [id]),
			listForPerson: (personId) =>
				rows(
					(r: RoleRow) => toRole(r),
					'SELECT * FROM role_assignments WHERE person_id = ? ORDER BY created_at',
					[personId]
				),
			listForOrganization: (orgId) =>
				rows(
					(r: RoleRow) => toRole(r),
					`SELECT * FROM role_assignments WHERE organization_id = ? ORDER BY role${C}, created_at`,
					[orgId]
				),
			find: (personId, role, orgId, munId) =>
				one(
					(r: RoleRow) => toRole(r),
					`SELECT * FROM role_assignments WHERE person_id = ? AND role = ?
					   AND COALESCE(organization_id, '') = ? AND COALESCE(municipality_id, '') = ?`,
					[personId, role, orgId ?? '', munId ?? '']
				)
		},
		programs: {
			create: async (info, addedBy) =>
				void (await sql.batch([
					{
						sql: `INSERT INTO program_info (program_id, organization_id, title, template_id,
							created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
						params: [
							info.id,
							info.organizationId,
							info.title,
							info.templateId,
							info.createdBy,
							info.createdAt
						]
					},
					...info.participants.map((p) =>
						insertParticipant(info.id, p.personId, p.role, info.createdAt, addedBy)
					)
				])),
			get: async (id) =>
				(await programs(`${PROGRAM_SELECT} WHERE i.program_id = ?`, [id]))[0] ?? null,
			listByOrganization: (orgId) =>
				programs(
					`${PROGRAM_SELECT} WHERE i.organization_id = ? ORDER BY i.created_at, i.program_id${C}`,
					[orgId]
				),
			listByMunicipality: (munId) =>
				programs(
					`${PROGRAM_SELECT} WHERE o.municipality_id = ? ORDER BY i.created_at, i.program_id${C}`,
					[munId]
				),
			listForPerson: async (personId) => {
				const list = await sql.all<InfoRow & { role: ParticipantRole }>(
					`SELECT i.*, o.municipality_id, pp.role FROM program_info i
					 JOIN organizations o ON o.id = i.organization_id
					 JOIN program_participants pp ON pp.program_id = i.program_id
					 WHERE pp.person_id = ? ORDER BY i.created_at`,
					[personId]
				);
				return Promise.all(
					list.map(async (r) => ({ ...(await withParticipants(r)), role: r.role }))
				);
			},
			addParticipant: async (programId, personId, role, by, at) =>
				(await exec(insertParticipant(programId, personId, role, at, by))) === 1,
			removeParticipant: async (programId, personId) =>
				(await sql.run('DELETE FROM program_participants WHERE program_id = ? AND person_id = ?', [
					programId,
					personId
				])) === 1
		},
		invitations: {
			create: async (i, codeHash) =>
				void (await sql.run(
					`INSERT INTO invitations (id, code_hash, person_id, role, organization_id, municipality_id,
					   program_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					[
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
					]
				)),
			get: (id) =>
				one(toInvitation, `SELECT ${INVITATION_COLUMNS} FROM invitations WHERE id = ?`, [id]),
			findByCodeHash: (h) =>
				one(toInvitation, `SELECT ${INVITATION_COLUMNS} FROM invitations WHERE code_hash = ?`, [h]),
			consume: async (id, sessionId, now) =>
				(await sql.run(
					`UPDATE invitations SET used_at = ?, session_id = ?
					 WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`,
					[now, sessionId, id, now]
				)) === 1,
			revoke: async (id, by, now) =>
				(await sql.run(
					`UPDATE invitations SET revoked_at = ?, revoked_by = ?
					 WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL`,
					[now, by, id]
				)) === 1,
			listByOrganization: (orgId) =>
				rows(
					(r: InvitationRow) => toInvitation(r),
					`SELECT ${INVITATION_COLUMNS} FROM invitations WHERE organization_id = ?
					 ORDER BY created_at DESC LIMIT 500`,
					[orgId]
				),
			listByPerson: (personId) =>
				rows(
					(r: InvitationRow) => toInvitation(r),
					`SELECT ${INVITATION_COLUMNS} FROM invitations WHERE person_id = ?
					 ORDER BY created_at DESC LIMIT 100`,
					[personId]
				)
		},
		sessions: {
			create: async (x, tokenHash) =>
				void (await sql.run(
					`INSERT INTO sessions (id, token_hash, person_id, device_name, method, created_at,
					   last_used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
					[
						x.id,
						tokenHash,
						x.personId,
						x.deviceName,
						x.method,
						x.createdAt,
						x.lastUsedAt,
						x.expiresAt
					]
				)),
			get: (id) => one(toSession, `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`, [id]),
			findByTokenHash: (h) =>
				one(toSession, `SELECT ${SESSION_COLUMNS} FROM sessions WHERE token_hash = ?`, [h]),
			touch: async (id, at, expiresAt) =>
				void (await sql.run(
					`UPDATE sessions SET last_used_at = ?,
					   expires_at = CASE WHEN expires_at >= ? THEN expires_at ELSE ? END
					 WHERE id = ? AND revoked_at IS NULL`,
					[at, expiresAt, expiresAt, id]
				)),
			revoke: async (id, by, now) =>
				(await sql.run(
					'UPDATE sessions SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL',
					[now, by, id]
				)) === 1,
			listForPerson: (personId) =>
				rows(
					(r: SessionRow) => toSession(r),
					`SELECT ${SESSION_COLUMNS} FROM sessions WHERE person_id = ?
					 ORDER BY last_used_at DESC LIMIT 200`,
					[personId]
				)
		},
		credentials: {
			set: async (personId, login, hash, now) =>
				void (await sql.run(
					`INSERT INTO credentials (person_id, login, password_hash, updated_at) VALUES (?, ?, ?, ?)
					 ON CONFLICT (person_id) DO UPDATE SET login = excluded.login,
					   password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
					[personId, login, hash, now]
				)),
			findByLogin: (login) =>
				one(
					same<{ personId: string; passwordHash: string }>,
					'SELECT person_id AS "personId", password_hash AS "passwordHash" FROM credentials WHERE login = ?',
					[login]
				)
		},
		accessTokens: createAccessTokenRepository(sql),
		audit: {
			record: async (e) => void (await exec(insertAudit(e))),
			list: (filter) => {
				const where: string[] = [];
				const params: unknown[] = [];
				if (filter.organizationId !== undefined) {
					where.push('organization_id = ?');
					params.push(filter.organizationId);
				}
				if (filter.entityId !== undefined) {
					where.push('entity_id = ?');
					params.push(filter.entityId);
				}
				params.push(Math.min(Math.max(filter.limit ?? 200, 1), 1000));
				return rows(
					(r: AuditRow) => toAuditEntry(r),
					`SELECT * FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
					 ORDER BY seq DESC LIMIT ?`,
					params
				);
			}
		}
	};
}
