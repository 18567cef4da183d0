/**
 * Storage of standalone relay access tokens by id (migration 50, docs/access-tokens.md): the
 * token itself is never stored, only its id (`jti`), whom and what it is for, and whether it was
 * revoked. Written once over the storage's SQL client for SQLite and PostgreSQL.
 */
import type { Access } from '../auth/tokens.js';
import type { SqlClient } from '../storage/sql.js';

export interface AccessTokenRecord {
	id: string;
	personId: string;
	programId: string;
	access: Access;
	createdBy: string | null;
	createdAt: number;
	expiresAt: number;
	revokedAt: number | null;
	revokedBy: string | null;
	revokedReason: string | null;
}

export interface AccessTokenRepository {
	create(r: AccessTokenRecord): Promise<void>;
	get(id: string): Promise<AccessTokenRecord | null>;
	listForPerson(personId: string): Promise<AccessTokenRecord[]>;
	/** True when this call revoked it (it was live). */
	revoke(id: string, by: string, reason: string, now: number): Promise<boolean>;
	/** Revokes every live token of a person; returns the ids revoked. */
	revokeForPerson(personId: string, by: string, reason: string, now: number): Promise<string[]>;
	/** Ids revoked at or after `since` (the relay's poll for revocations written by the CLI). */
	revokedSince(since: number): Promise<string[]>;
	/** Of the given ids, those revoked, expired or unknown at `now`. */
	deadAmong(ids: string[], now: number): Promise<string[]>;
}

interface Row {
	id: string;
	person_id: string;
	program_id: string;
	access: string;
	created_by: string | null;
	created_at: number | string;
	expires_at: number | string;
	revoked_at: number | string | null;
	revoked_by: string | null;
	revoked_reason: string | null;
}

const COLUMNS = `id, person_id, program_id, access, created_by, created_at, expires_at, revoked_at,
	revoked_by, revoked_reason`;

// PostgreSQL returns BIGINT as text: numbers here are Unix milliseconds, safe as doubles.
const num = (v: number | string) => Number(v);

function toRecord(r: Row): AccessTokenRecord {
	return {
		id: r.id,
		personId: r.person_id,
		programId: r.program_id,
		access: r.access === 'ro' ? 'ro' : 'rw',
		createdBy: r.created_by,
		createdAt: num(r.created_at),
		expiresAt: num(r.expires_at),
		revokedAt: r.revoked_at === null ? null : num(r.revoked_at),
		revokedBy: r.revoked_by,
		revokedReason: r.revoked_reason
	};
}

export function createAccessTokenRepository(sql: SqlClient): AccessTokenRepository {
	return {
		create: async (r) =>
			void (await sql.run(
				`INSERT INTO access_tokens (id, person_id, program_id, access, created_by, created_at,
				   expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				[r.id, r.personId, r.programId, r.access, r.createdBy, r.createdAt, r.expiresAt]
			)),
		get: async (id) => {
			const r = await sql.get<Row>(`SELECT ${COLUMNS} FROM access_tokens WHERE id = ?`, [id]);
			return r === undefined ? null : toRecord(r);
		},
		listForPerson: async (personId) =>
			(
				await sql.all<Row>(
					`SELECT ${COLUMNS} FROM access_tokens WHERE person_id = ? ORDER BY created_at DESC, id`,
					[personId]
				)
			).map(toRecord),
		revoke: async (id, by, reason, now) =>
			(await sql.run(
				`UPDATE access_tokens SET revoked_at = ?, revoked_by = ?, revoked_reason = ?
				 WHERE id = ? AND revoked_at IS NULL`,
				[now, by, reason, id]
			)) > 0,
		revokeForPerson: async (personId, by, reason, now) => {
			const live = await sql.all<{ id: string }>(
				'SELECT id FROM access_tokens WHERE person_id = ? AND revoked_at IS NULL',
				[personId]
			);
			const revoked: string[] = [];
			for (const { id } of live) {
				const changed = await sql.run(
					`UPDATE access_tokens SET revoked_at = ?, revoked_by = ?, revoked_reason = ?
					 WHERE id = ? AND revoked_at IS NULL`,
					[now, by, reason, id]
				);
				if (changed > 0) revoked.push(id);
			}
			return revoked;
		},
		revokedSince: async (since) =>
			(
				await sql.all<{ id: string }>('SELECT id FROM access_tokens WHERE revoked_at >= ?', [since])
			).map((r) => r.id),
		deadAmong: async (ids, now) => {
			if (ids.length === 0) return [];
			const live = new Set(
				(
					await sql.all<{ id: string }>(
						`SELECT id FROM access_tokens WHERE id IN (${ids.map(() => '?').join(',')})
						 AND revoked_at IS NULL AND expires_at > ?`,
						[...ids, now]
					)
				).map((r) => r.id)
			);
			return ids.filter((id) => !live.has(id));
		}
	};
}
