import type { SqliteDatabase } from '../../storage/sqlite/database.js';
import type { Municipality, Organization } from '../model.js';
import type { ScopeRepository } from '../store.js';
import { run } from './util.js';

export interface OrgRow {
	id: string;
	municipality_id: string;
	name: string;
	created_at: number;
	time_zone: string | null;
}

export const toOrg = (r: OrgRow): Organization => ({
	id: r.id,
	municipalityId: r.municipality_id,
	name: r.name,
	createdAt: r.created_at,
	timeZone: r.time_zone ?? null
});

/** Municipalities and organizations (the scopes of responsibility). */
export function createScopeRepository(db: SqliteDatabase): ScopeRepository {
	const s = {
		insertMun: db.prepare(
			'INSERT INTO municipalities (id, name, created_at, time_zone) VALUES (?, ?, ?, ?)'
		),
		getMun: db.prepare(
			'SELECT id, name, created_at AS createdAt, time_zone AS timeZone FROM municipalities WHERE id = ?'
		),
		listMun: db.prepare(
			'SELECT id, name, created_at AS createdAt, time_zone AS timeZone FROM municipalities ORDER BY name'
		),
		insertOrg: db.prepare(
			'INSERT INTO organizations (id, municipality_id, name, created_at, time_zone) VALUES (?, ?, ?, ?, ?)'
		),
		munZone: db.prepare('UPDATE municipalities SET time_zone = ? WHERE id = ?'),
		orgZone: db.prepare('UPDATE organizations SET time_zone = ? WHERE id = ?'),
		getOrg: db.prepare('SELECT * FROM organizations WHERE id = ?'),
		listOrg: db.prepare('SELECT * FROM organizations ORDER BY name'),
		listOrgByMun: db.prepare('SELECT * FROM organizations WHERE municipality_id = ? ORDER BY name'),
		renameOrg: db.prepare('UPDATE organizations SET name = ? WHERE id = ?'),
		anyScope: db
			.prepare(
				'SELECT (SELECT COUNT(*) FROM organizations) + (SELECT COUNT(*) FROM role_assignments)'
			)
			.pluck()
	};
	return {
		createMunicipality: (m) =>
			run(() => void s.insertMun.run(m.id, m.name, m.createdAt, m.timeZone ?? null)),
		getMunicipality: (id) => run(() => (s.getMun.get(id) as Municipality | undefined) ?? null),
		listMunicipalities: () => run(() => s.listMun.all() as Municipality[]),
		createOrganization: (o) =>
			run(
				() => void s.insertOrg.run(o.id, o.municipalityId, o.name, o.createdAt, o.timeZone ?? null)
			),
		getOrganization: (id) =>
			run(() => {
				const r = s.getOrg.get(id) as OrgRow | undefined;
				return r ? toOrg(r) : null;
			}),
		listOrganizations: (municipalityId) =>
			run(() =>
				(
					(municipalityId === undefined
						? s.listOrg.all()
						: s.listOrgByMun.all(municipalityId)) as OrgRow[]
				).map(toOrg)
			),
		renameOrganization: (id, name) => run(() => void s.renameOrg.run(name, id)),
		setMunicipalityTimeZone: (id, zone) => run(() => void s.munZone.run(zone, id)),
		setOrganizationTimeZone: (id, zone) => run(() => void s.orgZone.run(zone, id)),
		isEmpty: () => run(() => Number(s.anyScope.get()) === 0)
	};
}
