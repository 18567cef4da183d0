import type { SqliteDatabase } from '../../storage/sqlite/database.js';
import type { AuditEntry, AuditInput } from '../model.js';
import type { AuditRepository } from '../store.js';
import { run } from './util.js';

export interface AuditRow {
	seq: number;
	at: number;
	actor_id: string | null;
	action: string;
	entity_type: string;
	entity_id: string;
	organization_id: string | null;
	municipality_id: string | null;
	details: string | null;
}

export function insertAudit(db: SqliteDatabase, e: AuditInput): void {
	db.prepare(
		`INSERT INTO audit_log (at, actor_id, action, entity_type, entity_id, organization_id, municipality_id, details)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	).run(
		e.at ?? Date.now(),
		e.actorId,
		e.action,
		e.entityType,
		e.entityId,
		e.organizationId,
		e.municipalityId,
		e.details ? JSON.stringify(e.details) : null
	);
}

/** Append-only audit log: who changed which person, role, consent, session, invitation, when. */
export function createAuditRepository(db: SqliteDatabase): AuditRepository {
	return {
		record: (e) => run(() => insertAudit(db, e)),
		list: (filter) =>
			run(() => {
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
				const rows = db
					.prepare(
						`SELECT * FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
						 ORDER BY seq DESC LIMIT ?`
					)
					.all(...params) as AuditRow[];
				return rows.map((r): AuditEntry => ({
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
			})
	};
}
