import type { SqliteDatabase } from '../../storage/sqlite/database.js';
import type { Session } from '../model.js';
import type { CredentialRepository, SessionRepository } from '../store.js';
import { run } from './util.js';

export interface SessionRow {
	id: string;
	person_id: string;
	device_name: string;
	method: string;
	created_at: number;
	last_used_at: number;
	expires_at: number;
	revoked_at: number | null;
	revoked_by: string | null;
}

export const toSession = (r: SessionRow): Session => ({
	id: r.id,
	personId: r.person_id,
	deviceName: r.device_name,
	method: r.method === 'password' ? 'password' : 'invitation',
	createdAt: r.created_at,
	lastUsedAt: r.last_used_at,
	expiresAt: r.expires_at,
	revokedAt: r.revoked_at,
	revokedBy: r.revoked_by
});

/** Device sessions. The cookie token is never stored, only its SHA-256. */
export function createSessionRepository(db: SqliteDatabase): SessionRepository {
	const cols = `id, person_id, device_name, method, created_at, last_used_at, expires_at, revoked_at, revoked_by`;
	const s = {
		insert: db.prepare(
			`INSERT INTO sessions (id, token_hash, person_id, device_name, method, created_at, last_used_at, expires_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
		),
		get: db.prepare(`SELECT ${cols} FROM sessions WHERE id = ?`),
		byHash: db.prepare(`SELECT ${cols} FROM sessions WHERE token_hash = ?`),
		touch: db.prepare(
			'UPDATE sessions SET last_used_at = ?, expires_at = MAX(expires_at, ?) WHERE id = ? AND revoked_at IS NULL'
		),
		revoke: db.prepare(
			'UPDATE sessions SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL'
		),
		forPerson: db.prepare(
			`SELECT ${cols} FROM sessions WHERE person_id = ? ORDER BY last_used_at DESC LIMIT 200`
		)
	};
	const one = (r: unknown) => (r ? toSession(r as SessionRow) : null);
	return {
		create: (x, tokenHash) =>
			run(
				() =>
					void s.insert.run(
						x.id,
						tokenHash,
						x.personId,
						x.deviceName,
						x.method,
						x.createdAt,
						x.lastUsedAt,
						x.expiresAt
					)
			),
		get: (id) => run(() => one(s.get.get(id))),
		findByTokenHash: (h) => run(() => one(s.byHash.get(h))),
		touch: (id, at, expiresAt) => run(() => void s.touch.run(at, expiresAt, id)),
		revoke: (id, by, now) => run(() => s.revoke.run(now, by, id).changes === 1),
		listForPerson: (personId) =>
			run(() => (s.forPerson.all(personId) as SessionRow[]).map(toSession))
	};
}

/** Optional password login for curators and administrators on desktops. */
export function createCredentialRepository(db: SqliteDatabase): CredentialRepository {
	const s = {
		upsert: db.prepare(
			`INSERT INTO credentials (person_id, login, password_hash, updated_at) VALUES (?, ?, ?, ?)
			 ON CONFLICT(person_id) DO UPDATE SET login = excluded.login,
			   password_hash = excluded.password_hash, updated_at = excluded.updated_at`
		),
		byLogin: db.prepare(
			'SELECT person_id AS personId, password_hash AS passwordHash FROM credentials WHERE login = ?'
		)
	};
	return {
		set: (personId, login, hash, now) => run(() => void s.upsert.run(personId, login, hash, now)),
		findByLogin: (login) =>
			run(
				() =>
					(s.byLogin.get(login) as { personId: string; passwordHash: string } | undefined) ?? null
			)
	};
}
