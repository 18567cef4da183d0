/**
 * Numbered schema migrations for the SQLite store. Each runs once, in its own transaction,
 * in order, at start-up. Never edit a migration that has shipped: add the next number.
 */
import { CURATOR_MIGRATION_30 } from './migration-30-curator.js';

export interface Migration {
	version: number;
	name: string;
	sql: string;
}

export const migrations: Migration[] = [
	{
		version: 1,
		name: 'server meta',
		sql: `
			CREATE TABLE server_meta (
				key TEXT PRIMARY KEY,
				value TEXT NOT NULL
			) STRICT;
		`
	},
	{
		// Relay storage (server/storage/sqlite/document-store.ts, docs/relay.md).
		version: 10,
		name: 'relay: programs registry, update log, compacted state, summaries, device sync facts',
		sql: `
			CREATE TABLE programs (
				id TEXT PRIMARY KEY,
				organization_id TEXT,
				created_at TEXT NOT NULL
			) STRICT;
			-- Append-only log of accepted updates (Yjs V1), in arrival order per program.
			CREATE TABLE program_updates (
				seq INTEGER PRIMARY KEY AUTOINCREMENT,
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				data BLOB NOT NULL,
				received_at INTEGER NOT NULL
			) STRICT;
			CREATE INDEX program_updates_by_program ON program_updates (program_id, seq);
			-- Merged state of all log rows up to through_seq (compaction output) and its state vector.
			CREATE TABLE program_state (
				program_id TEXT PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
				data BLOB NOT NULL,
				state_vector BLOB NOT NULL,
				through_seq INTEGER NOT NULL,
				compacted_at INTEGER NOT NULL
			) STRICT;
			CREATE TABLE program_summaries (
				program_id TEXT PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
				summary TEXT NOT NULL,
				doc_bytes INTEGER NOT NULL,
				through_seq INTEGER NOT NULL,
				computed_at INTEGER NOT NULL
			) STRICT;
			-- Sync facts per participant and device (times are Unix milliseconds).
			CREATE TABLE program_device_sync (
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				user_id TEXT NOT NULL,
				device_id TEXT NOT NULL,
				last_connected_at INTEGER,
				last_update_at INTEGER,
				last_in_sync_at INTEGER,
				pending INTEGER,
				pending_reported_at INTEGER,
				PRIMARY KEY (program_id, user_id, device_id)
			) STRICT;
		`
	},
	{
		// Who first wrote under each Yjs client id of a program (docs/relay.md, "Client ids belong
		// to their writer"): a participant cannot write under the partner's id and erase their edits.
		version: 11,
		name: 'relay: owners of Yjs client ids',
		sql: `
			CREATE TABLE program_client_owners (
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				client_id INTEGER NOT NULL,
				user_id TEXT NOT NULL,
				PRIMARY KEY (program_id, client_id)
			) STRICT;
		`
	},
	{
		// Identity (server/identity/, docs/identity.md): scopes, people registry, invitations,
		// sessions, consents, audit. Times are Unix milliseconds; ids are random and URL-safe.
		version: 20,
		name: 'identity: municipalities, organizations, people, roles, consents, participants, invitations, sessions, audit',
		sql: `
			CREATE TABLE municipalities (
				id TEXT PRIMARY KEY,
				name TEXT NOT NULL,
				created_at INTEGER NOT NULL
			) STRICT;
			CREATE TABLE organizations (
				id TEXT PRIMARY KEY,
				municipality_id TEXT NOT NULL REFERENCES municipalities(id),
				name TEXT NOT NULL,
				created_at INTEGER NOT NULL
			) STRICT;
			CREATE INDEX organizations_by_municipality ON organizations (municipality_id);
			-- The bank of mentors and mentees (and accounts of curators, heads, coordinators, administrators).
			CREATE TABLE people (
				id TEXT PRIMARY KEY,
				organization_id TEXT REFERENCES organizations(id),
				municipality_id TEXT REFERENCES municipalities(id),
				full_name TEXT NOT NULL,
				position TEXT,
				email TEXT,
				phone TEXT,
				birth_date TEXT,
				age_group TEXT,
				minor INTEGER NOT NULL DEFAULT 0,
				experience_years REAL,
				category TEXT,
				mentor_requirements TEXT,
				notes TEXT,
				active INTEGER NOT NULL DEFAULT 1,
				created_at INTEGER NOT NULL,
				updated_at INTEGER NOT NULL
			) STRICT;
			CREATE INDEX people_by_organization ON people (organization_id, full_name);
			-- role: mentor | mentee | curator | head (organization scope), coordinator (municipality), admin (global).
			CREATE TABLE role_assignments (
				id TEXT PRIMARY KEY,
				person_id TEXT NOT NULL REFERENCES people(id),
				role TEXT NOT NULL,
				organization_id TEXT REFERENCES organizations(id),
				municipality_id TEXT REFERENCES municipalities(id),
				created_at INTEGER NOT NULL,
				created_by TEXT
			) STRICT;
			CREATE UNIQUE INDEX role_assignments_unique
				ON role_assignments (person_id, role, COALESCE(organization_id, ''), COALESCE(municipality_id, ''));
			CREATE INDEX role_assignments_by_organization ON role_assignments (organization_id, role);
			-- Consent of a legal representative (minors) to processing of personal data.
			CREATE TABLE consents (
				id TEXT PRIMARY KEY,
				person_id TEXT NOT NULL REFERENCES people(id),
				representative_name TEXT NOT NULL,
				representative_relation TEXT,
				given_on TEXT NOT NULL,
				scope TEXT NOT NULL,
				document_ref TEXT,
				recorded_by TEXT,
				recorded_at INTEGER NOT NULL,
				revoked_at INTEGER,
				revoked_by TEXT
			) STRICT;
			CREATE INDEX consents_by_person ON consents (person_id);
			-- What identity knows about a program registered in the relay's programs table.
			CREATE TABLE program_info (
				program_id TEXT PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
				organization_id TEXT NOT NULL REFERENCES organizations(id),
				title TEXT NOT NULL,
				template_id TEXT NOT NULL,
				created_by TEXT,
				created_at INTEGER NOT NULL
			) STRICT;
			CREATE INDEX program_info_by_organization ON program_info (organization_id);
			CREATE TABLE program_participants (
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				person_id TEXT NOT NULL REFERENCES people(id),
				role TEXT NOT NULL,
				added_at INTEGER NOT NULL,
				added_by TEXT,
				PRIMARY KEY (program_id, person_id)
			) STRICT;
			CREATE INDEX program_participants_by_person ON program_participants (person_id);
			-- Mentoring pairs formed by the curator (import, registry) before a program exists.
			CREATE TABLE pairs (
				id TEXT PRIMARY KEY,
				organization_id TEXT NOT NULL REFERENCES organizations(id),
				mentor_id TEXT NOT NULL REFERENCES people(id),
				mentee_id TEXT NOT NULL REFERENCES people(id),
				program_id TEXT,
				created_at INTEGER NOT NULL,
				created_by TEXT,
				UNIQUE (mentor_id, mentee_id)
			) STRICT;
			-- One-time invitation links; only the SHA-256 of the code is stored.
			CREATE TABLE invitations (
				id TEXT PRIMARY KEY,
				code_hash TEXT NOT NULL UNIQUE,
				person_id TEXT NOT NULL REFERENCES people(id),
				role TEXT,
				organization_id TEXT REFERENCES organizations(id),
				municipality_id TEXT REFERENCES municipalities(id),
				program_id TEXT,
				created_by TEXT,
				created_at INTEGER NOT NULL,
				expires_at INTEGER NOT NULL,
				used_at INTEGER,
				session_id TEXT,
				revoked_at INTEGER,
				revoked_by TEXT
			) STRICT;
			CREATE INDEX invitations_by_person ON invitations (person_id);
			-- Device sessions; only the SHA-256 of the cookie token is stored.
			CREATE TABLE sessions (
				id TEXT PRIMARY KEY,
				token_hash TEXT NOT NULL UNIQUE,
				person_id TEXT NOT NULL REFERENCES people(id),
				device_name TEXT NOT NULL,
				method TEXT NOT NULL,
				created_at INTEGER NOT NULL,
				last_used_at INTEGER NOT NULL,
				expires_at INTEGER NOT NULL,
				revoked_at INTEGER,
				revoked_by TEXT
			) STRICT;
			CREATE INDEX sessions_by_person ON sessions (person_id);
			-- Optional password login for curators and administrators (scrypt).
			CREATE TABLE credentials (
				person_id TEXT PRIMARY KEY REFERENCES people(id),
				login TEXT NOT NULL UNIQUE,
				password_hash TEXT NOT NULL,
				updated_at INTEGER NOT NULL
			) STRICT;
			CREATE TABLE audit_log (
				seq INTEGER PRIMARY KEY AUTOINCREMENT,
				at INTEGER NOT NULL,
				actor_id TEXT,
				action TEXT NOT NULL,
				entity_type TEXT NOT NULL,
				entity_id TEXT NOT NULL,
				organization_id TEXT,
				municipality_id TEXT,
				details TEXT
			) STRICT;
			CREATE INDEX audit_log_by_organization ON audit_log (organization_id, seq);
			CREATE INDEX audit_log_by_entity ON audit_log (entity_id, seq);
		`
	},
	{
		// Curator dashboard index, sync aggregate (triggers on program_summaries / program_device_sync)
		// and the registry of successful practices (migration-30-curator.ts, docs/curator.md).
		version: 30,
		name: 'curator: program index, sync aggregate, cases registry',
		sql: CURATOR_MIGRATION_30
	},
	{
		// The curator index is written by the document store in TypeScript, in the same transaction
		// as the summary and the device facts (server/storage/curator-index.ts): the triggers go.
		// The index is emptied here and rebuilt from the stored summaries when the database opens.
		version: 31,
		name: 'curator: index written by the store, not by triggers',
		sql: `
			DROP TRIGGER curator_index_summary_insert;
			DROP TRIGGER curator_index_summary_update;
			DROP TRIGGER curator_sync_insert;
			DROP TRIGGER curator_sync_update;
			DROP TRIGGER curator_program_org;
			-- The mentors' and mentees' user ids of each summary, for the sync aggregate.
			CREATE TABLE curator_program_users (
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				user_id TEXT NOT NULL,
				PRIMARY KEY (program_id, user_id)
			) STRICT;
			DELETE FROM curator_program_index;
			DELETE FROM curator_program_search;
		`
	},
	{
		// IANA time zone per municipality and (overriding it) per organization: "today", overdue
		// and document dates are computed in it (src/lib/shared/time.ts). NULL = Europe/Moscow for
		// a municipality, the municipality's zone for an organization.
		version: 32,
		name: 'scopes: time zone of municipalities and organizations',
		sql: `
			ALTER TABLE municipalities ADD COLUMN time_zone TEXT;
			ALTER TABLE organizations ADD COLUMN time_zone TEXT;
		`
	}
];
