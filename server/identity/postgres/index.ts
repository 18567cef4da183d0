/**
 * The PostgreSQL identity store: the same repositories, SQL and atomicity as server/identity/sqlite
 * (schema: migration 20 in server/storage/postgres/migrations.ts). Text ordering uses
 * COLLATE "C" (byte order, like SQLite's BINARY), so lists come back in the same order.
 */
import type pg from 'pg';
import { withTransaction } from '../../storage/postgres/database.js';
import type {
	AuditEntry,
	AuditInput,
	Municipality,
	ProgramInfo,
	RoleAssignment
} from '../model.js';
import type { ParticipantRole } from '../policy.js';
import type { IdentityStore } from '../store.js';
import type { AuditRow } from '../sqlite/audit.js';
import { toInvitation, type InvitationRow } from '../sqlite/invitations.js';
import {
	personParams,
	toConsent,
	toPair,
	toPerson,
	type ConsentRow,
	type PairRow,
	type PersonRow
} from '../sqlite/people.js';
import { toRole, type RoleRow } from '../sqlite/roles.js';
import { toOrg, type OrgRow } from '../sqlite/scopes.js';
import { toSession, type SessionRow } from '../sqlite/sessions.js';

type Q = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

async function rows<T>(db: Q, sql: string, params: unknown[] = []): Promise<T[]> {
	return (await (db as pg.Pool).query(sql, params)).rows as T[];
}
async function one<T>(db: Q, sql: string, params: unknown[] = []): Promise<T | null> {
	return ((await (db as pg.Pool).query(sql, params)).rows[0] as T | undefined) ?? null;
}
async function changes(db: Q, sql: string, params: unknown[] = []): Promise<number> {
	return (await (db as pg.Pool).query(sql, params)).rowCount ?? 0;
}

const C = 'COLLATE "C"';

async function insertAudit(db: Q, e: AuditInput): Promise<void> {
	await changes(
		db,
		`INSERT INTO audit_log (at, actor_id, action, entity_type, entity_id, organization_id, municipality_id, details)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		[
			e.at ?? Date.now(),
			e.actorId,
			e.action,
			e.entityType,
			e.entityId,
			e.organizationId,
			e.municipalityId,
			e.details ? JSON.stringify(e.details) : null
		]
	);
}

async function insertRole(db: Q, r: RoleAssignment): Promise<boolean> {
	return (
		(await changes(
			db,
			`INSERT INTO role_assignments (id, person_id, role, organization_id, municipality_id, created_at, created_by)
			 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
			[r.id, r.personId, r.role, r.organizationId, r.municipalityId, r.createdAt, r.createdBy]
		)) === 1
	);
}

const PERSON_INSERT = `INSERT INTO people (id, organization_id, municipality_id, full_name, position, email, phone,
	birth_date, age_group, minor, experience_years, category, mentor_requirements, notes, active, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`;
const personValues = (p: Parameters<typeof personParams>[0]) => {
	const x = personParams(p);
	return [
		x.id,
		x.organizationId,
		x.municipalityId,
		x.fullName,
		x.position,
		x.email,
		x.phone,
		x.birthDate,
		x.ageGroup,
		x.minor,
		x.experienceYears,
		x.category,
		x.mentorRequirements,
		x.notes,
		x.active,
		x.createdAt,
		x.updatedAt
	];
};

export function createPostgresIdentityStore(pool: pg.Pool): IdentityStore {
	const invCols = `id, person_id, role, organization_id, municipality_id, program_id, created_by, created_at,
		expires_at, used_at, session_id, revoked_at`;
	const sesCols = `id, person_id, device_name, method, created_at, last_used_at, expires_at, revoked_at, revoked_by`;
	const infoSelect = `SELECT i.*, o.municipality_id FROM program_info i JOIN organizations o ON o.id = i.organization_id`;
	type InfoRow = {
		program_id: string;
		organization_id: string;
		municipality_id: string;
		title: string;
		template_id: string;
		created_by: string | null;
		created_at: number;
	};
	const fullInfo = async (r: InfoRow): Promise<ProgramInfo> => ({
		id: r.program_id,
		organizationId: r.organization_id,
		municipalityId: r.municipality_id,
		title: r.title,
		templateId: r.template_id,
		createdBy: r.created_by,
		createdAt: r.created_at,
		participants: (
			await rows<{ person_id: string; role: ParticipantRole }>(
				pool,
				`SELECT person_id, role FROM program_participants WHERE program_id = $1 ORDER BY added_at, person_id ${C}`,
				[r.program_id]
			)
		).map((p) => ({ personId: p.person_id, role: p.role }))
	});
	const addConsent = (db: Q, c: Parameters<IdentityStore['people']['addConsent']>[0]) =>
		changes(
			db,
			`INSERT INTO consents (id, person_id, representative_name, representative_relation, given_on,
			   scope, document_ref, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			[
				c.id,
				c.personId,
				c.representativeName,
				c.representativeRelation,
				c.givenOn,
				c.scope,
				c.documentRef,
				c.recordedBy,
				c.recordedAt
			]
		);
	const addPair = (db: Q, p: Parameters<IdentityStore['people']['createPair']>[0]) =>
		changes(
			db,
			`INSERT INTO pairs (id, organization_id, mentor_id, mentee_id, program_id, created_at, created_by)
			 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (mentor_id, mentee_id) DO NOTHING`,
			[p.id, p.organizationId, p.mentorId, p.menteeId, p.programId, p.createdAt, null]
		);

	return {
		scopes: {
			createMunicipality: async (m) =>
				void (await changes(
					pool,
					'INSERT INTO municipalities (id, name, created_at, time_zone) VALUES ($1, $2, $3, $4)',
					[m.id, m.name, m.createdAt, m.timeZone ?? null]
				)),
			getMunicipality: (id) =>
				one<Municipality>(
					pool,
					'SELECT id, name, created_at AS "createdAt", time_zone AS "timeZone" FROM municipalities WHERE id = $1',
					[id]
				),
			listMunicipalities: () =>
				rows<Municipality>(
					pool,
					`SELECT id, name, created_at AS "createdAt", time_zone AS "timeZone" FROM municipalities ORDER BY name ${C}`
				),
			createOrganization: async (o) =>
				void (await changes(
					pool,
					'INSERT INTO organizations (id, municipality_id, name, created_at, time_zone) VALUES ($1, $2, $3, $4, $5)',
					[o.id, o.municipalityId, o.name, o.createdAt, o.timeZone ?? null]
				)),
			getOrganization: async (id) => {
				const r = await one<OrgRow>(pool, 'SELECT * FROM organizations WHERE id = $1', [id]);
				return r ? toOrg(r) : null;
			},
			listOrganizations: async (municipalityId) =>
				(municipalityId === undefined
					? await rows<OrgRow>(pool, `SELECT * FROM organizations ORDER BY name ${C}`)
					: await rows<OrgRow>(
							pool,
							`SELECT * FROM organizations WHERE municipality_id = $1 ORDER BY name ${C}`,
							[municipalityId]
						)
				).map(toOrg),
			renameOrganization: async (id, name) =>
				void (await changes(pool, 'UPDATE organizations SET name = $1 WHERE id = $2', [name, id])),
			setMunicipalityTimeZone: async (id, zone) =>
				void (await changes(pool, 'UPDATE municipalities SET time_zone = $1 WHERE id = $2', [
					zone,
					id
				])),
			setOrganizationTimeZone: async (id, zone) =>
				void (await changes(pool, 'UPDATE organizations SET time_zone = $1 WHERE id = $2', [
					zone,
					id
				])),
			isEmpty: async () => {
				const r = await one<{ n: number }>(
					pool,
					'SELECT (SELECT COUNT(*) FROM organizations) + (SELECT COUNT(*) FROM role_assignments) AS n'
				);
				return Number(r?.n ?? 0) === 0;
			}
		},
		people: {
			create: async (p) => void (await changes(pool, PERSON_INSERT, personValues(p))),
			get: async (id) => {
				const r = await one<PersonRow>(pool, 'SELECT * FROM people WHERE id = $1', [id]);
				return r ? toPerson(r) : null;
			},
			update: async (p) => {
				const v = personValues(p);
				await changes(
					pool,
					`UPDATE people SET organization_id = $2, municipality_id = $3, full_name = $4, position = $5,
					   email = $6, phone = $7, birth_date = $8, age_group = $9, minor = $10, experience_years = $11,
					   category = $12, mentor_requirements = $13, notes = $14, active = $15, updated_at = $17
					 WHERE id = $1`,
					v
				);
			},
			listByOrganization: async (orgId) =>
				(
					await rows<PersonRow>(
						pool,
						`SELECT * FROM people WHERE organization_id = $1 ORDER BY full_name ${C}, id ${C}`,
						[orgId]
					)
				).map(toPerson),
			listByMunicipality: async (munId) =>
				(
					await rows<PersonRow>(
						pool,
						`SELECT p.* FROM people p LEFT JOIN organizations o ON o.id = p.organization_id
						 WHERE p.municipality_id = $1 OR o.municipality_id = $1 ORDER BY p.full_name ${C}, p.id ${C}`,
						[munId]
					)
				).map(toPerson),
			findByName: async (orgId, name) =>
				(
					await rows<PersonRow>(
						pool,
						'SELECT * FROM people WHERE organization_id = $1 AND full_name = $2 ORDER BY created_at',
						[orgId, name]
					)
				).map(toPerson),
			addConsent: async (c) => void (await addConsent(pool, c)),
			listConsents: async (personId) =>
				(
					await rows<ConsentRow>(
						pool,
						'SELECT * FROM consents WHERE person_id = $1 ORDER BY recorded_at',
						[personId]
					)
				).map(toConsent),
			revokeConsent: async (id, by, at) =>
				(await changes(
					pool,
					'UPDATE consents SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL',
					[at, by, id]
				)) === 1,
			hasActiveConsent: async (personId) =>
				(await one(
					pool,
					'SELECT 1 FROM consents WHERE person_id = $1 AND revoked_at IS NULL LIMIT 1',
					[personId]
				)) !== null,
			createPair: async (p) => void (await addPair(pool, p)),
			listPairs: async (orgId) =>
				(
					await rows<PairRow>(
						pool,
						'SELECT * FROM pairs WHERE organization_id = $1 ORDER BY created_at',
						[orgId]
					)
				).map(toPair),
			importBatch: (batch) =>
				withTransaction(pool, async (client) => {
					for (const p of batch.people) await changes(client, PERSON_INSERT, personValues(p));
					for (const r of batch.roles) await insertRole(client, r);
					for (const c of batch.consents) await addConsent(client, c);
					for (const p of batch.pairs) await addPair(client, p);
					for (const a of batch.audit) await insertAudit(client, a);
				})
		},
		roles: {
			assign: (r) => insertRole(pool, r),
			remove: (id) =>
				withTransaction(pool, async (client) => {
					const row = await one<RoleRow>(
						client,
						'SELECT * FROM role_assignments WHERE id = $1 FOR UPDATE',
						[id]
					);
					if (!row) return null;
					await changes(client, 'DELETE FROM role_assignments WHERE id = $1', [id]);
					return toRole(row);
				}),
			get: async (id) => {
				const r = await one<RoleRow>(pool, 'SELECT * FROM role_assignments WHERE id = $1', [id]);
				return r ? toRole(r) : null;
			},
			listForPerson: async (personId) =>
				(
					await rows<RoleRow>(
						pool,
						'SELECT * FROM role_assignments WHERE person_id = $1 ORDER BY created_at',
						[personId]
					)
				).map(toRole),
			listForOrganization: async (orgId) =>
				(
					await rows<RoleRow>(
						pool,
						`SELECT * FROM role_assignments WHERE organization_id = $1 ORDER BY role ${C}, created_at`,
						[orgId]
					)
				).map(toRole),
			find: async (personId, role, orgId, munId) => {
				const r = await one<RoleRow>(
					pool,
					`SELECT * FROM role_assignments WHERE person_id = $1 AND role = $2
					   AND COALESCE(organization_id, '') = $3 AND COALESCE(municipality_id, '') = $4`,
					[personId, role, orgId ?? '', munId ?? '']
				);
				return r ? toRole(r) : null;
			}
		},
		programs: {
			create: (info, addedBy) =>
				withTransaction(pool, async (client) => {
					await changes(
						client,
						`INSERT INTO program_info (program_id, organization_id, title, template_id, created_by, created_at)
						 VALUES ($1, $2, $3, $4, $5, $6)`,
						[
							info.id,
							info.organizationId,
							info.title,
							info.templateId,
							info.createdBy,
							info.createdAt
						]
					);
					for (const p of info.participants) {
						await changes(
							client,
							`INSERT INTO program_participants (program_id, person_id, role, added_at, added_by)
							 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
							[info.id, p.personId, p.role, info.createdAt, addedBy]
						);
					}
				}),
			get: async (id) => {
				const r = await one<InfoRow>(pool, `${infoSelect} WHERE i.program_id = $1`, [id]);
				return r ? fullInfo(r) : null;
			},
			listByOrganization: async (orgId) =>
				Promise.all(
					(
						await rows<InfoRow>(
							pool,
							`${infoSelect} WHERE i.organization_id = $1 ORDER BY i.created_at, i.program_id ${C}`,
							[orgId]
						)
					).map(fullInfo)
				),
			listByMunicipality: async (munId) =>
				Promise.all(
					(
						await rows<InfoRow>(
							pool,
							`${infoSelect} WHERE o.municipality_id = $1 ORDER BY i.created_at, i.program_id ${C}`,
							[munId]
						)
					).map(fullInfo)
				),
			listForPerson: async (personId) =>
				Promise.all(
					(
						await rows<InfoRow & { role: ParticipantRole }>(
							pool,
							`SELECT i.*, o.municipality_id, pp.role FROM program_info i
							 JOIN organizations o ON o.id = i.organization_id
							 JOIN program_participants pp ON pp.program_id = i.program_id
							 WHERE pp.person_id = $1 ORDER BY i.created_at`,
							[personId]
						)
					).map(async (r) => ({ ...(await fullInfo(r)), role: r.role }))
				),
			addParticipant: async (programId, personId, role, by, at) =>
				(await changes(
					pool,
					`INSERT INTO program_participants (program_id, person_id, role, added_at, added_by)
					 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
					[programId, personId, role, at, by]
				)) === 1,
			removeParticipant: async (programId, personId) =>
				(await changes(
					pool,
					'DELETE FROM program_participants WHERE program_id = $1 AND person_id = $2',
					[programId, personId]
				)) === 1
		},
		invitations: {
			create: async (i, codeHash) =>
				void (await changes(
					pool,
					`INSERT INTO invitations (id, code_hash, person_id, role, organization_id, municipality_id, program_id,
					   created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
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
			get: async (id) => {
				const r = await one<InvitationRow>(
					pool,
					`SELECT ${invCols} FROM invitations WHERE id = $1`,
					[id]
				);
				return r ? toInvitation(r) : null;
			},
			findByCodeHash: async (h) => {
				const r = await one<InvitationRow>(
					pool,
					`SELECT ${invCols} FROM invitations WHERE code_hash = $1`,
					[h]
				);
				return r ? toInvitation(r) : null;
			},
			consume: async (id, sessionId, now) =>
				(await changes(
					pool,
					`UPDATE invitations SET used_at = $1, session_id = $2
					 WHERE id = $3 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1`,
					[now, sessionId, id]
				)) === 1,
			revoke: async (id, by, now) =>
				(await changes(
					pool,
					`UPDATE invitations SET revoked_at = $1, revoked_by = $2
					 WHERE id = $3 AND used_at IS NULL AND revoked_at IS NULL`,
					[now, by, id]
				)) === 1,
			listByOrganization: async (orgId) =>
				(
					await rows<InvitationRow>(
						pool,
						`SELECT ${invCols} FROM invitations WHERE organization_id = $1 ORDER BY created_at DESC LIMIT 500`,
						[orgId]
					)
				).map(toInvitation),
			listByPerson: async (personId) =>
				(
					await rows<InvitationRow>(
						pool,
						`SELECT ${invCols} FROM invitations WHERE person_id = $1 ORDER BY created_at DESC LIMIT 100`,
						[personId]
					)
				).map(toInvitation)
		},
		sessions: {
			create: async (x, tokenHash) =>
				void (await changes(
					pool,
					`INSERT INTO sessions (id, token_hash, person_id, device_name, method, created_at, last_used_at, expires_at)
					 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
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
			get: async (id) => {
				const r = await one<SessionRow>(pool, `SELECT ${sesCols} FROM sessions WHERE id = $1`, [
					id
				]);
				return r ? toSession(r) : null;
			},
			findByTokenHash: async (h) => {
				const r = await one<SessionRow>(
					pool,
					`SELECT ${sesCols} FROM sessions WHERE token_hash = $1`,
					[h]
				);
				return r ? toSession(r) : null;
			},
			touch: async (id, at, expiresAt) =>
				void (await changes(
					pool,
					'UPDATE sessions SET last_used_at = $1, expires_at = GREATEST(expires_at, $2) WHERE id = $3 AND revoked_at IS NULL',
					[at, expiresAt, id]
				)),
			revoke: async (id, by, now) =>
				(await changes(
					pool,
					'UPDATE sessions SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL',
					[now, by, id]
				)) === 1,
			listForPerson: async (personId) =>
				(
					await rows<SessionRow>(
						pool,
						`SELECT ${sesCols} FROM sessions WHERE person_id = $1 ORDER BY last_used_at DESC LIMIT 200`,
						[personId]
					)
				).map(toSession)
		},
		credentials: {
			set: async (personId, login, hash, now) =>
				void (await changes(
					pool,
					`INSERT INTO credentials (person_id, login, password_hash, updated_at) VALUES ($1, $2, $3, $4)
					 ON CONFLICT (person_id) DO UPDATE SET login = EXCLUDED.login,
					   password_hash = EXCLUDED.password_hash, updated_at = EXCLUDED.updated_at`,
					[personId, login, hash, now]
				)),
			findByLogin: (login) =>
				one<{ personId: string; passwordHash: string }>(
					pool,
					'SELECT person_id AS "personId", password_hash AS "passwordHash" FROM credentials WHERE login = $1',
					[login]
				)
		},
		audit: {
			record: (e) => insertAudit(pool, e),
			list: async (filter) => {
				const where: string[] = [];
				const params: unknown[] = [];
				if (filter.organizationId !== undefined) {
					params.push(filter.organizationId);
					where.push(`organization_id = $${params.length}`);
				}
				if (filter.entityId !== undefined) {
					params.push(filter.entityId);
					where.push(`entity_id = $${params.length}`);
				}
				params.push(Math.min(Math.max(filter.limit ?? 200, 1), 1000));
				const list = await rows<AuditRow>(
					pool,
					`SELECT * FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
					 ORDER BY seq DESC LIMIT $${params.length}`,
					params
				);
				return list.map((r): AuditEntry => ({
					seq: r.seq,
					at: r.at,
					actorId: r.actor_id,
					action: r.action,
					entityType: r.entity_type,
					entityId: r.entity_id,
					organizationId: r.organization_id,
					municipalityId: r.municipality_id,
					details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null
				}));
			}
		}
	};
}
