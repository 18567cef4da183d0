import type { SqliteDatabase } from '../../storage/sqlite/database.js';
import type { AgeGroup, Consent, MentorRequirements, Pair, Person } from '../model.js';
import type { PeopleRepository } from '../store.js';
import { insertAudit } from './audit.js';
import { insertRole } from './roles.js';
import { bool, run } from './util.js';

export interface PersonRow {
	id: string;
	organization_id: string | null;
	municipality_id: string | null;
	full_name: string;
	position: string | null;
	email: string | null;
	phone: string | null;
	birth_date: string | null;
	age_group: string | null;
	minor: number;
	experience_years: number | null;
	category: string | null;
	mentor_requirements: string | null;
	notes: string | null;
	active: number;
	created_at: number;
	updated_at: number;
}

export interface ConsentRow {
	id: string;
	person_id: string;
	representative_name: string;
	representative_relation: string | null;
	given_on: string;
	scope: string;
	document_ref: string | null;
	recorded_by: string | null;
	recorded_at: number;
	revoked_at: number | null;
}

export interface PairRow {
	id: string;
	organization_id: string;
	mentor_id: string;
	mentee_id: string;
	program_id: string | null;
	created_at: number;
}

export const toPerson = (r: PersonRow): Person => ({
	id: r.id,
	organizationId: r.organization_id,
	municipalityId: r.municipality_id,
	fullName: r.full_name,
	position: r.position,
	email: r.email,
	phone: r.phone,
	birthDate: r.birth_date,
	ageGroup: r.age_group as AgeGroup | null,
	minor: bool(r.minor),
	experienceYears: r.experience_years,
	category: r.category,
	mentorRequirements: r.mentor_requirements
		? (JSON.parse(r.mentor_requirements) as MentorRequirements)
		: null,
	notes: r.notes,
	active: bool(r.active),
	createdAt: r.created_at,
	updatedAt: r.updated_at
});

export const personParams = (p: Person) => ({
	id: p.id,
	organizationId: p.organizationId,
	municipalityId: p.municipalityId,
	fullName: p.fullName,
	position: p.position,
	email: p.email,
	phone: p.phone,
	birthDate: p.birthDate,
	ageGroup: p.ageGroup,
	minor: p.minor ? 1 : 0,
	experienceYears: p.experienceYears,
	category: p.category,
	mentorRequirements: p.mentorRequirements ? JSON.stringify(p.mentorRequirements) : null,
	notes: p.notes,
	active: p.active ? 1 : 0,
	createdAt: p.createdAt,
	updatedAt: p.updatedAt
});

export const toConsent = (r: ConsentRow): Consent => ({
	id: r.id,
	personId: r.person_id,
	representativeName: r.representative_name,
	representativeRelation: r.representative_relation,
	givenOn: r.given_on,
	scope: r.scope,
	documentRef: r.document_ref,
	recordedBy: r.recorded_by,
	recordedAt: r.recorded_at,
	revokedAt: r.revoked_at
});

export const toPair = (r: PairRow): Pair => ({
	id: r.id,
	organizationId: r.organization_id,
	mentorId: r.mentor_id,
	menteeId: r.mentee_id,
	programId: r.program_id,
	createdAt: r.created_at
});

/** People (the bank of mentors and mentees), consents of legal representatives, pairs. */
export function createPeopleRepository(db: SqliteDatabase): PeopleRepository {
	const s = {
		insert: db.prepare(
			`INSERT INTO people (id, organization_id, municipality_id, full_name, position, email, phone,
			   birth_date, age_group, minor, experience_years, category, mentor_requirements, notes, active,
			   created_at, updated_at)
			 VALUES (@id, @organizationId, @municipalityId, @fullName, @position, @email, @phone, @birthDate,
			   @ageGroup, @minor, @experienceYears, @category, @mentorRequirements, @notes, @active, @createdAt,
			   @updatedAt)`
		),
		update: db.prepare(
			`UPDATE people SET organization_id = @organizationId, municipality_id = @municipalityId,
			   full_name = @fullName, position = @position, email = @email, phone = @phone,
			   birth_date = @birthDate, age_group = @ageGroup, minor = @minor,
			   experience_years = @experienceYears, category = @category,
			   mentor_requirements = @mentorRequirements, notes = @notes, active = @active,
			   updated_at = @updatedAt
			 WHERE id = @id`
		),
		get: db.prepare('SELECT * FROM people WHERE id = ?'),
		byOrg: db.prepare('SELECT * FROM people WHERE organization_id = ? ORDER BY full_name, id'),
		byMun: db.prepare(
			`SELECT p.* FROM people p LEFT JOIN organizations o ON o.id = p.organization_id
			 WHERE p.municipality_id = ? OR o.municipality_id = ? ORDER BY p.full_name, p.id`
		),
		byName: db.prepare(
			'SELECT * FROM people WHERE organization_id = ? AND full_name = ? ORDER BY created_at'
		),
		insertConsent: db.prepare(
			`INSERT INTO consents (id, person_id, representative_name, representative_relation, given_on,
			   scope, document_ref, recorded_by, recorded_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
		),
		consents: db.prepare('SELECT * FROM consents WHERE person_id = ? ORDER BY recorded_at'),
		revokeConsent: db.prepare(
			'UPDATE consents SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL'
		),
		activeConsent: db
			.prepare('SELECT 1 FROM consents WHERE person_id = ? AND revoked_at IS NULL LIMIT 1')
			.pluck(),
		insertPair: db.prepare(
			`INSERT INTO pairs (id, organization_id, mentor_id, mentee_id, program_id, created_at, created_by)
			 VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mentor_id, mentee_id) DO NOTHING`
		),
		pairs: db.prepare('SELECT * FROM pairs WHERE organization_id = ? ORDER BY created_at')
	};
	const addConsent = (c: Consent) =>
		s.insertConsent.run(
			c.id,
			c.personId,
			c.representativeName,
			c.representativeRelation,
			c.givenOn,
			c.scope,
			c.documentRef,
			c.recordedBy,
			c.recordedAt
		);
	const addPair = (p: Pair, by: string | null) =>
		s.insertPair.run(p.id, p.organizationId, p.mentorId, p.menteeId, p.programId, p.createdAt, by);
	const importTx = db.transaction((batch: Parameters<PeopleRepository['importBatch']>[0]) => {
		for (const p of batch.people) s.insert.run(personParams(p));
		for (const r of batch.roles) insertRole(db, r);
		for (const c of batch.consents) addConsent(c);
		for (const p of batch.pairs) addPair(p, null);
		for (const a of batch.audit) insertAudit(db, a);
	});
	return {
		create: (p) => run(() => void s.insert.run(personParams(p))),
		get: (id) =>
			run(() => {
				const r = s.get.get(id) as PersonRow | undefined;
				return r ? toPerson(r) : null;
			}),
		update: (p) => run(() => void s.update.run(personParams(p))),
		listByOrganization: (orgId) => run(() => (s.byOrg.all(orgId) as PersonRow[]).map(toPerson)),
		listByMunicipality: (munId) =>
			run(() => (s.byMun.all(munId, munId) as PersonRow[]).map(toPerson)),
		findByName: (orgId, name) =>
			run(() => (s.byName.all(orgId, name) as PersonRow[]).map(toPerson)),
		addConsent: (c) => run(() => void addConsent(c)),
		listConsents: (personId) =>
			run(() => (s.consents.all(personId) as ConsentRow[]).map(toConsent)),
		revokeConsent: (id, by, at) => run(() => s.revokeConsent.run(at, by, id).changes === 1),
		hasActiveConsent: (personId) => run(() => s.activeConsent.get(personId) === 1),
		createPair: (p) => run(() => void addPair(p, null)),
		listPairs: (orgId) => run(() => (s.pairs.all(orgId) as PairRow[]).map(toPair)),
		importBatch: (batch) => run(() => importTx(batch))
	};
}
