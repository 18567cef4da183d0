import type { OrgAttributes } from '../../src/lib/shared/organization.js';
import type {
	AuditEntry,
	AuditInput,
	Consent,
	ConsentKind,
	Invitation,
	Municipality,
	Organization,
	Pair,
	Person,
	ProgramInfo,
	RoleAssignment,
	Session
} from './model.js';
import type { ParticipantRole, Role } from './policy.js';
import type { AccessTokenRepository } from './token-store.js';
import type { SqlClient } from '../storage/sql.js';

/**
 * Identity storage, one repository per aggregate, implemented once for SQLite and PostgreSQL over
 * the storage's SQL client (server/identity/sql-store.ts); async because PostgreSQL is.
 * Each function is atomic on its own; operations that must be atomic together are one function
 * (e.g. `invitations.consume`, `people.importBatch`).
 */
export interface ScopeRepository {
	createMunicipality(m: Municipality): Promise<void>;
	getMunicipality(id: string): Promise<Municipality | null>;
	listMunicipalities(): Promise<Municipality[]>;
	createOrganization(o: Organization): Promise<void>;
	getOrganization(id: string): Promise<Organization | null>;
	listOrganizations(municipalityId?: string): Promise<Organization[]>;
	renameOrganization(id: string, name: string): Promise<void>;
	/** null: back to the default (Europe/Moscow for a municipality, the municipality's for an organization). */
	setMunicipalityTimeZone(id: string, timeZone: string | null): Promise<void>;
	setOrganizationTimeZone(id: string, timeZone: string | null): Promise<void>;
	/** Kind and ШНОР / ШССУ (migration 96). */
	setOrganizationAttributes(id: string, attributes: OrgAttributes): Promise<void>;
	isEmpty(): Promise<boolean>;
}

export interface ImportBatch {
	people: Person[];
	roles: RoleAssignment[];
	consents: Consent[];
	pairs: Pair[];
	audit: AuditInput[];
}

export interface PeopleRepository {
	create(p: Person): Promise<void>;
	get(id: string): Promise<Person | null>;
	update(p: Person): Promise<void>;
	listByOrganization(organizationId: string): Promise<Person[]>;
	listByMunicipality(municipalityId: string): Promise<Person[]>;
	findByName(organizationId: string, fullName: string): Promise<Person[]>;
	addConsent(c: Consent): Promise<void>;
	listConsents(personId: string): Promise<Consent[]>;
	revokeConsent(id: string, by: string, at: number): Promise<boolean>;
	/** An unrevoked consent of `kind` (default: a legal representative's). */
	hasActiveConsent(personId: string, kind?: ConsentKind): Promise<boolean>;
	createPair(p: Pair): Promise<void>;
	listPairs(organizationId: string): Promise<Pair[]>;
	/** Inserts everything in one transaction: all rows or none. */
	importBatch(batch: ImportBatch): Promise<void>;
}

export interface RoleRepository {
	assign(r: RoleAssignment): Promise<boolean>;
	remove(id: string): Promise<RoleAssignment | null>;
	get(id: string): Promise<RoleAssignment | null>;
	listForPerson(personId: string): Promise<RoleAssignment[]>;
	listForOrganization(organizationId: string): Promise<RoleAssignment[]>;
	find(
		personId: string,
		role: Role,
		organizationId: string | null,
		municipalityId: string | null
	): Promise<RoleAssignment | null>;
}

export interface ProgramRepository {
	create(info: Omit<ProgramInfo, 'municipalityId'>, addedBy: string | null): Promise<void>;
	get(id: string): Promise<ProgramInfo | null>;
	listByOrganization(organizationId: string): Promise<ProgramInfo[]>;
	listByMunicipality(municipalityId: string): Promise<ProgramInfo[]>;
	listForPerson(personId: string): Promise<Array<ProgramInfo & { role: ParticipantRole }>>;
	addParticipant(
		programId: string,
		personId: string,
		role: ParticipantRole,
		by: string | null,
		at: number
	): Promise<boolean>;
	removeParticipant(programId: string, personId: string): Promise<boolean>;
}

export interface InvitationRepository {
	create(inv: Invitation, codeHash: string): Promise<void>;
	get(id: string): Promise<Invitation | null>;
	findByCodeHash(codeHash: string): Promise<Invitation | null>;
	/**
	 * Marks the invitation used by `sessionId` if it is still active at `now`; exactly one of
	 * several concurrent callers gets true.
	 */
	consume(id: string, sessionId: string, now: number): Promise<boolean>;
	revoke(id: string, by: string, now: number): Promise<boolean>;
	listByOrganization(organizationId: string): Promise<Invitation[]>;
	listByPerson(personId: string): Promise<Invitation[]>;
}

export interface SessionRepository {
	create(s: Session, tokenHash: string): Promise<void>;
	get(id: string): Promise<Session | null>;
	findByTokenHash(tokenHash: string): Promise<Session | null>;
	touch(id: string, lastUsedAt: number, expiresAt: number): Promise<void>;
	revoke(id: string, by: string, now: number): Promise<boolean>;
	listForPerson(personId: string): Promise<Session[]>;
}

export interface CredentialRepository {
	set(personId: string, login: string, passwordHash: string, now: number): Promise<void>;
	findByLogin(login: string): Promise<{ personId: string; passwordHash: string } | null>;
}

export interface AuditRepository {
	record(entry: AuditInput): Promise<void>;
	list(filter: {
		organizationId?: string;
		entityId?: string;
		limit?: number;
	}): Promise<AuditEntry[]>;
}

export interface IdentityStore {
	scopes: ScopeRepository;
	people: PeopleRepository;
	roles: RoleRepository;
	programs: ProgramRepository;
	invitations: InvitationRepository;
	sessions: SessionRepository;
	credentials: CredentialRepository;
	audit: AuditRepository;
	/** Standalone relay access tokens by id (migration 50). */
	accessTokens: AccessTokenRepository;
	/** The store's SQL client: registries kept beside people query it (the management reserve, reserve.ts). */
	sql: SqlClient;
}
