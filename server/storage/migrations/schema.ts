/**
 * The table definitions of the numbered migrations, written once for both dialects
 * (server/storage/migrations/index.ts lists the migrations). A definition is a function of the
 * dialect's column types (./dialect.ts); the statements that really differ between SQLite and
 * PostgreSQL (the curator triggers of migrations 30 and 31) stay in each dialect's folder.
 * Shipped text: never edit a definition that a shipped migration uses, add the next migration.
 */
import type { ColumnTypes } from './dialect.js';

/** Migration 1. */
export const serverMeta = ({ STRICT }: ColumnTypes): string => `
			CREATE TABLE server_meta (
				key TEXT PRIMARY KEY,
				value TEXT NOT NULL
			)${STRICT};
		`;

/** Migration 10: relay storage (server/storage/sql-document-store.ts, docs/relay.md). */
export const relayTables = ({ INT, BLOB, SERIAL_KEY, STRICT }: ColumnTypes): string => `
			CREATE TABLE programs (
				id TEXT PRIMARY KEY,
				organization_id TEXT,
				created_at TEXT NOT NULL
			)${STRICT};
			-- Append-only log of accepted updates (Yjs V1), in arrival order per program.
			CREATE TABLE program_updates (
				seq ${SERIAL_KEY},
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				data ${BLOB} NOT NULL,
				received_at ${INT} NOT NULL
			)${STRICT};
			CREATE INDEX program_updates_by_program ON program_updates (program_id, seq);
			-- Merged state of all log rows up to through_seq (compaction output) and its state vector.
			CREATE TABLE program_state (
				program_id TEXT PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
				data ${BLOB} NOT NULL,
				state_vector ${BLOB} NOT NULL,
				through_seq ${INT} NOT NULL,
				compacted_at ${INT} NOT NULL
			)${STRICT};
			CREATE TABLE program_summaries (
				program_id TEXT PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
				summary TEXT NOT NULL,
				doc_bytes ${INT} NOT NULL,
				through_seq ${INT} NOT NULL,
				computed_at ${INT} NOT NULL
			)${STRICT};
			-- Sync facts per participant and device (times are Unix milliseconds).
			CREATE TABLE program_device_sync (
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				user_id TEXT NOT NULL,
				device_id TEXT NOT NULL,
				last_connected_at ${INT},
				last_update_at ${INT},
				last_in_sync_at ${INT},
				pending ${INT},
				pending_reported_at ${INT},
				PRIMARY KEY (program_id, user_id, device_id)
			)${STRICT};
		`;

/** Migration 11: who first wrote under each Yjs client id of a program. */
export const clientIdOwners = ({ INT, STRICT }: ColumnTypes): string => `
			CREATE TABLE program_client_owners (
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				client_id ${INT} NOT NULL,
				user_id TEXT NOT NULL,
				PRIMARY KEY (program_id, client_id)
			)${STRICT};
		`;

/**
 * Migration 152: the update log indexed by a program's number instead of its text id (issue 18).
 * Each commit inserts rows of hundreds of programs, one leaf of the log's index per program: with
 * 36-character ids in every entry (a number's is ~4 × smaller: fewer pages written and fsynced)
 * a 500-row commit cost 7.8 against 3.0 ms of CPU (docs/benchmarks.md, "The log indexed by a
 * program number"). `program_id` stays, with its foreign key, for readers.
 */
export const programLogKeys = ({ INT, SERIAL_KEY, STRICT }: ColumnTypes): string => `
			CREATE TABLE program_log_keys (
				key ${SERIAL_KEY},
				program_id TEXT NOT NULL UNIQUE REFERENCES programs(id) ON DELETE CASCADE
			)${STRICT};
			INSERT INTO program_log_keys (program_id) SELECT id FROM programs ORDER BY id;
			ALTER TABLE program_updates ADD COLUMN program_key ${INT} NOT NULL DEFAULT 0;
			UPDATE program_updates SET program_key =
				(SELECT k.key FROM program_log_keys k WHERE k.program_id = program_updates.program_id);
			CREATE INDEX program_updates_by_key ON program_updates (program_key, seq);
			DROP INDEX program_updates_by_program;
		`;

/**
 * Migration 153: the recent part of the update log (issue 18). A commit appends rows of hundreds
 * of programs; in the log's index by program each lands on its own leaf page, and writing those
 * pages was most of a commit's cost (9.4–10.1 ms of CPU for 483 rows against 1.5–1.8 without the
 * index). Rows first go to this small table, whose index stays a few hundred pages, and are moved
 * to `program_updates` in bulk sorted by program (server/storage/sqlite/recent-log.ts): a program's
 * rows of several commits then share one page write (docs/benchmarks.md, "The recent log").
 * Same columns in the same order as `program_updates`; a row is in exactly one of the two.
 * PostgreSQL creates the table for one schema (migrate-storage copies rows one to one) and
 * appends to `program_updates` directly: concurrent instances, no single mover.
 */
export const recentUpdateLog = ({ INT, BLOB, SERIAL_KEY, STRICT }: ColumnTypes): string => `
			CREATE TABLE program_updates_recent (
				seq ${SERIAL_KEY},
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				data ${BLOB} NOT NULL,
				received_at ${INT} NOT NULL,
				program_key ${INT} NOT NULL
			)${STRICT};
			CREATE INDEX program_updates_recent_by_key ON program_updates_recent (program_key, seq);
		`;

/**
 * Migration 155: the update log's big rows (issue 18). SQLite's log is clustered by program since
 * migration 154, a WITHOUT ROWID table whose B-tree compares whole rows: a row too big for its
 * page (a first sync uploads a whole two-year program, ~94 KB) is read entirely, all its overflow
 * pages, by every search that compares against it, so each move and load of its program and its
 * neighbours paid for it (bench:relay's realistic pattern: ~75,000 page reads in 20 s; 20,000
 * small rows appended next to 1,000 such rows, outside the relay: 1.7 s of CPU against 0.05).
 * Rows bigger than a few hundred bytes go to this rowid table instead, keyed by sequence number
 * with an index by program: its searches compare integers. Same columns in the same order as the
 * log; a row is in exactly one of the three tables. PostgreSQL creates it for one schema
 * (migrate-storage copies rows one to one); its log is a heap and stays whole.
 */
export const largeUpdateLog = ({ INT, BLOB, STRICT }: ColumnTypes): string => `
			CREATE TABLE program_updates_large (
				seq ${INT} PRIMARY KEY,
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				data ${BLOB} NOT NULL,
				received_at ${INT} NOT NULL,
				program_key ${INT} NOT NULL
			)${STRICT};
			CREATE INDEX program_updates_large_by_key ON program_updates_large (program_key, seq);
		`;

/** Migration 20: identity (server/identity/, docs/identity.md). */
export const identityTables = ({ INT, REAL, SERIAL_KEY, STRICT }: ColumnTypes): string => `
			CREATE TABLE municipalities (
				id TEXT PRIMARY KEY,
				name TEXT NOT NULL,
				created_at ${INT} NOT NULL
			)${STRICT};
			CREATE TABLE organizations (
				id TEXT PRIMARY KEY,
				municipality_id TEXT NOT NULL REFERENCES municipalities(id),
				name TEXT NOT NULL,
				created_at ${INT} NOT NULL
			)${STRICT};
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
				minor ${INT} NOT NULL DEFAULT 0,
				experience_years ${REAL},
				category TEXT,
				mentor_requirements TEXT,
				notes TEXT,
				active ${INT} NOT NULL DEFAULT 1,
				created_at ${INT} NOT NULL,
				updated_at ${INT} NOT NULL
			)${STRICT};
			CREATE INDEX people_by_organization ON people (organization_id, full_name);
			-- role: mentor | mentee | curator | head (organization scope), coordinator (municipality), admin (global).
			CREATE TABLE role_assignments (
				id TEXT PRIMARY KEY,
				person_id TEXT NOT NULL REFERENCES people(id),
				role TEXT NOT NULL,
				organization_id TEXT REFERENCES organizations(id),
				municipality_id TEXT REFERENCES municipalities(id),
				created_at ${INT} NOT NULL,
				created_by TEXT
			)${STRICT};
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
				recorded_at ${INT} NOT NULL,
				revoked_at ${INT},
				revoked_by TEXT
			)${STRICT};
			CREATE INDEX consents_by_person ON consents (person_id);
			-- What identity knows about a program registered in the relay's programs table.
			CREATE TABLE program_info (
				program_id TEXT PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
				organization_id TEXT NOT NULL REFERENCES organizations(id),
				title TEXT NOT NULL,
				template_id TEXT NOT NULL,
				created_by TEXT,
				created_at ${INT} NOT NULL
			)${STRICT};
			CREATE INDEX program_info_by_organization ON program_info (organization_id);
			CREATE TABLE program_participants (
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				person_id TEXT NOT NULL REFERENCES people(id),
				role TEXT NOT NULL,
				added_at ${INT} NOT NULL,
				added_by TEXT,
				PRIMARY KEY (program_id, person_id)
			)${STRICT};
			CREATE INDEX program_participants_by_person ON program_participants (person_id);
			-- Mentoring pairs formed by the curator (import, registry) before a program exists.
			CREATE TABLE pairs (
				id TEXT PRIMARY KEY,
				organization_id TEXT NOT NULL REFERENCES organizations(id),
				mentor_id TEXT NOT NULL REFERENCES people(id),
				mentee_id TEXT NOT NULL REFERENCES people(id),
				program_id TEXT,
				created_at ${INT} NOT NULL,
				created_by TEXT,
				UNIQUE (mentor_id, mentee_id)
			)${STRICT};
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
				created_at ${INT} NOT NULL,
				expires_at ${INT} NOT NULL,
				used_at ${INT},
				session_id TEXT,
				revoked_at ${INT},
				revoked_by TEXT
			)${STRICT};
			CREATE INDEX invitations_by_person ON invitations (person_id);
			-- Device sessions; only the SHA-256 of the cookie token is stored.
			CREATE TABLE sessions (
				id TEXT PRIMARY KEY,
				token_hash TEXT NOT NULL UNIQUE,
				person_id TEXT NOT NULL REFERENCES people(id),
				device_name TEXT NOT NULL,
				method TEXT NOT NULL,
				created_at ${INT} NOT NULL,
				last_used_at ${INT} NOT NULL,
				expires_at ${INT} NOT NULL,
				revoked_at ${INT},
				revoked_by TEXT
			)${STRICT};
			CREATE INDEX sessions_by_person ON sessions (person_id);
			-- Optional password login for curators and administrators (scrypt).
			CREATE TABLE credentials (
				person_id TEXT PRIMARY KEY REFERENCES people(id),
				login TEXT NOT NULL UNIQUE,
				password_hash TEXT NOT NULL,
				updated_at ${INT} NOT NULL
			)${STRICT};
			CREATE TABLE audit_log (
				seq ${SERIAL_KEY},
				at ${INT} NOT NULL,
				actor_id TEXT,
				action TEXT NOT NULL,
				entity_type TEXT NOT NULL,
				entity_id TEXT NOT NULL,
				organization_id TEXT,
				municipality_id TEXT,
				details TEXT
			)${STRICT};
			CREATE INDEX audit_log_by_organization ON audit_log (organization_id, seq);
			CREATE INDEX audit_log_by_entity ON audit_log (entity_id, seq);
		`;

/**
 * The columns of curator_program_index that migration 30's triggers filled from a summary (all
 * but the sync aggregate), in the order of their SELECT lists.
 */
export const CURATOR_INDEX_SUMMARY_COLUMNS = `program_id, organization_id, as_of, computed_at, title, template_id, form, types, category, status,
		stage_phase, stage_index, stage_count, stage_title, stage_kind, stage_end, start_date, end_date,
		progress_done, progress_total, progress_percent, overdue_count, next_deadline,
		reports_expected, reports_due, reports_draft, reports_submitted, reports_accepted, reports_returned,
		next_report_due, meetings_count, last_meeting, mentors, mentees, last_edit_at,
		feedback_count, mentor_avg, mentee_avg, entry_count, exit_count, entry_avg, exit_avg,
		completion_reason, completion_date, changes_pending, curator_comments, problems`;

/**
 * Migration 30, before the dialect's triggers: the curator dashboard index (docs/curator.md). The
 * dashboard must answer for 10,000 programs in well under 100 ms, so it never parses the stored
 * summary JSON per request: the filterable and sortable fields of a summary are real columns.
 */
export const curatorIndexTables = ({ INT, REAL, STRICT }: ColumnTypes): string => `
			-- Filterable / sortable fields of each stored summary (never written by hand).
			CREATE TABLE curator_program_index (
				program_id TEXT PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
				organization_id TEXT,
				as_of TEXT NOT NULL,
				computed_at ${INT} NOT NULL,
				title TEXT NOT NULL,
				template_id TEXT,
				form TEXT,
				types TEXT NOT NULL,
				category TEXT,
				status TEXT NOT NULL,
				stage_phase TEXT NOT NULL,
				stage_index ${INT} NOT NULL,
				stage_count ${INT} NOT NULL,
				stage_title TEXT,
				stage_kind TEXT,
				stage_end TEXT,
				start_date TEXT,
				end_date TEXT,
				progress_done ${INT} NOT NULL,
				progress_total ${INT} NOT NULL,
				progress_percent ${INT} NOT NULL,
				overdue_count ${INT} NOT NULL,
				next_deadline TEXT,
				reports_expected ${INT} NOT NULL,
				reports_due ${INT} NOT NULL,
				reports_draft ${INT} NOT NULL,
				reports_submitted ${INT} NOT NULL,
				reports_accepted ${INT} NOT NULL,
				reports_returned ${INT} NOT NULL,
				next_report_due TEXT,
				meetings_count ${INT} NOT NULL,
				last_meeting TEXT,
				mentors ${INT} NOT NULL,
				mentees ${INT} NOT NULL,
				last_edit_at TEXT,
				feedback_count ${INT} NOT NULL,
				mentor_avg ${REAL},
				mentee_avg ${REAL},
				entry_count ${INT} NOT NULL,
				exit_count ${INT} NOT NULL,
				entry_avg ${REAL},
				exit_avg ${REAL},
				completion_reason TEXT,
				completion_date TEXT,
				changes_pending ${INT} NOT NULL,
				curator_comments ${INT} NOT NULL,
				problems ${INT} NOT NULL,
				-- Device sync facts aggregated (Unix ms; 0 = a participant never seen by the server).
				device_count ${INT} NOT NULL DEFAULT 0,
				pending_devices ${INT} NOT NULL DEFAULT 0,
				min_participant_seen ${INT} NOT NULL DEFAULT 0
			)${STRICT};
			CREATE INDEX curator_program_index_by_org ON curator_program_index (organization_id, status);
			CREATE INDEX curator_program_index_by_asof ON curator_program_index (as_of);
			-- Covering index for the facet counts (one narrow scan for all pickers).
			CREATE INDEX curator_program_index_facets ON curator_program_index
				(organization_id, status, stage_phase, stage_kind, form, category, template_id);
			-- Covering index for the totals strip.
			CREATE INDEX curator_program_index_totals ON curator_program_index
				(organization_id, status, overdue_count, reports_expected, reports_due, reports_submitted,
				 reports_accepted, reports_returned, progress_percent, pending_devices, min_participant_seen, as_of,
				 next_deadline, next_report_due, stage_phase, stage_end, start_date);
			-- Title and participants' names, for search (kept apart so scans of the index stay narrow).
			CREATE TABLE curator_program_search (
				program_id TEXT PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
				-- folded: lower case, ё → е
				search TEXT NOT NULL
			)${STRICT};
`;

/** Migration 30, after the dialect's triggers. */
export const curatorCasesTable = ({ INT, STRICT }: ColumnTypes): string => `
			-- Registry of successful practices (cases): a completed program marked by a curator, with the
			-- participants' consent; it can be reused as a template.
			CREATE TABLE curator_cases (
				id TEXT PRIMARY KEY,
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				organization_id TEXT,
				title TEXT NOT NULL,
				description TEXT NOT NULL,
				tags TEXT NOT NULL,
				template_id TEXT,
				form TEXT,
				category TEXT,
				consent_mentor ${INT} NOT NULL,
				consent_mentee ${INT} NOT NULL,
				consent_note TEXT,
				snapshot TEXT NOT NULL,
				created_by TEXT NOT NULL,
				created_at ${INT} NOT NULL,
				withdrawn_at ${INT},
				UNIQUE (program_id)
			)${STRICT};
			CREATE INDEX curator_cases_by_org ON curator_cases (organization_id);
`;

/** Migration 31, after the dialect drops its triggers. */
export const curatorProgramUsers = ({ STRICT }: ColumnTypes): string => `
			-- The mentors' and mentees' user ids of each summary, for the sync aggregate.
			CREATE TABLE curator_program_users (
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				user_id TEXT NOT NULL,
				PRIMARY KEY (program_id, user_id)
			)${STRICT};
			DELETE FROM curator_program_index;
			DELETE FROM curator_program_search;
		`;

/** Migration 32: IANA time zone per municipality and (overriding it) per organization. */
export const scopeTimeZones = (): string => `
			ALTER TABLE municipalities ADD COLUMN time_zone TEXT;
			ALTER TABLE organizations ADD COLUMN time_zone TEXT;
		`;

/**
 * Migration 50: standalone relay access tokens (`npm run cli -- token`, docs/access-tokens.md) by
 * their id (`jti`): listed, revoked, and checked at each use. Only the id is stored, never the
 * token. `person_id` is not a foreign key: an operator may mint for an integration's user id.
 */
export const accessTokensTable = ({ INT, STRICT }: ColumnTypes): string => `
			CREATE TABLE access_tokens (
				id TEXT PRIMARY KEY,
				person_id TEXT NOT NULL,
				program_id TEXT NOT NULL,
				access TEXT NOT NULL,
				created_by TEXT,
				created_at ${INT} NOT NULL,
				expires_at ${INT} NOT NULL,
				revoked_at ${INT},
				revoked_by TEXT,
				revoked_reason TEXT
			)${STRICT};
			CREATE INDEX access_tokens_by_person ON access_tokens (person_id);
			CREATE INDEX access_tokens_by_revoked_at ON access_tokens (revoked_at);
		`;

/**
 * Migration 60 (issue 13, roles): orders (приказы) as records and the programs they approve;
 * consents of every kind (a legal representative's, an adult's personal-data consent, a
 * mentor's written consent to the duties for a term).
 */
export const ordersAndConsentKinds = ({ INT, STRICT }: ColumnTypes): string => `
			-- kind: approve-programs (pairs and programs) | change-program (extension, correction).
			CREATE TABLE orders (
				id TEXT PRIMARY KEY,
				number TEXT NOT NULL,
				issued_on TEXT NOT NULL,
				kind TEXT NOT NULL,
				organization_id TEXT REFERENCES organizations(id),
				municipality_id TEXT NOT NULL REFERENCES municipalities(id),
				issuer_id TEXT NOT NULL REFERENCES people(id),
				title TEXT NOT NULL,
				created_by TEXT,
				created_at ${INT} NOT NULL,
				attached_at ${INT},
				attached_by TEXT
			)${STRICT};
			CREATE INDEX orders_by_municipality ON orders (municipality_id, issued_on);
			CREATE TABLE order_programs (
				order_id TEXT NOT NULL REFERENCES orders(id),
				program_id TEXT NOT NULL,
				PRIMARY KEY (order_id, program_id)
			)${STRICT};
			CREATE INDEX order_programs_by_program ON order_programs (program_id);
			ALTER TABLE consents ADD COLUMN kind TEXT NOT NULL DEFAULT 'representative';
			ALTER TABLE consents ADD COLUMN valid_until TEXT;
		`;

/**
 * Migration 75 (issue 16, the curator's records): idempotent program creation (one program per
 * client request key, however many clicks or retries), cancelled programs (not a failure: out
 * of the dashboard and the figures, restorable), merged duplicates and erased personal data.
 */
export const curatorRecords = ({ INT, STRICT }: ColumnTypes): string => `
			-- One row per creation request: the key the client sent, the program it made.
			CREATE TABLE program_create_requests (
				actor_id TEXT NOT NULL,
				request_key TEXT NOT NULL,
				program_id TEXT NOT NULL,
				created_at ${INT} NOT NULL,
				PRIMARY KEY (actor_id, request_key)
			)${STRICT};
			-- A program cancelled by the curator (created by mistake, a duplicate): present while cancelled.
			CREATE TABLE program_cancellations (
				program_id TEXT PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
				reason TEXT NOT NULL,
				note TEXT,
				cancelled_at ${INT} NOT NULL,
				cancelled_by TEXT
			)${STRICT};
			-- A duplicate record merged into the kept one (the duplicate stays, inactive, for the audit).
			CREATE TABLE person_merges (
				duplicate_id TEXT PRIMARY KEY REFERENCES people(id),
				kept_id TEXT NOT NULL REFERENCES people(id),
				merged_at ${INT} NOT NULL,
				merged_by TEXT,
				details TEXT
			)${STRICT};
			CREATE INDEX person_merges_by_kept ON person_merges (kept_id);
			-- Personal data removed on the person's request (152-FZ art. 14, 21): when and by whom.
			CREATE TABLE person_erasures (
				person_id TEXT PRIMARY KEY REFERENCES people(id),
				erased_at ${INT} NOT NULL,
				erased_by TEXT,
				reason TEXT
			)${STRICT};
		`;

/**
 * Migration 80 (issue 15, figures): the registry's staff category of a person (кадровая категория:
 * pedagogue, head, pupil, student, other; src/lib/shared/figures.ts). NULL: not recorded, then
 * inferred from the position (должность). The «молодой педагог» figure counts pedagogues only.
 */
export const peopleStaffKind = (): string => `
			ALTER TABLE people ADD COLUMN staff_kind TEXT;
		`;

/**
 * Migration 81 (issue 15, figures): the per-program summaries as a time series — one row per
 * program per day its summary changed (the summary's own day), with the facts the statistical
 * figures are computed from (src/lib/shared/figures.ts `figureFacts`). A figure for a past date
 * reads, per program, the last row on or before that date: programs without one did not exist.
 */
export const curatorProgramHistory = ({ INT, STRICT }: ColumnTypes): string => `
			CREATE TABLE curator_program_history (
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				day TEXT NOT NULL,
				organization_id TEXT,
				computed_at ${INT} NOT NULL,
				facts TEXT NOT NULL,
				PRIMARY KEY (program_id, day)
			)${STRICT};
			CREATE INDEX curator_program_history_by_org ON curator_program_history (organization_id, day);
		`;

/**
 * Migration 90 (issue 15, documents): the versions of the scope documents (информационная справка,
 * аналитическая справка, аналитический отчет of an organization or a municipality, for a period).
 * Each save is a new row with its author; a handed-in version carries `snapshot`: the document as
 * it read then (figures included), so it reopens exactly as it was (server/curator/scope-documents.ts).
 */
export const scopeDocumentVersions = ({ INT, STRICT }: ColumnTypes): string => `
			CREATE TABLE scope_document_versions (
				scope_kind TEXT NOT NULL,
				scope_id TEXT NOT NULL,
				doc_kind TEXT NOT NULL,
				period_from TEXT NOT NULL,
				period_to TEXT NOT NULL,
				version ${INT} NOT NULL,
				sections TEXT NOT NULL,
				author_id TEXT NOT NULL,
				author_name TEXT NOT NULL,
				created_at ${INT} NOT NULL,
				handed_in ${INT} NOT NULL,
				snapshot TEXT,
				PRIMARY KEY (scope_kind, scope_id, doc_kind, period_from, period_to, version)
			)${STRICT};
		`;

/**
 * Migration 91 (issue 15, the calendar): a municipality's monitoring calendar as its coordinator
 * configured it (src/lib/shared/calendar.ts CalendarConfig as JSON); none = the default calendar.
 */
export const municipalityCalendars = ({ INT, STRICT }: ColumnTypes): string => `
			CREATE TABLE municipality_calendars (
				municipality_id TEXT PRIMARY KEY REFERENCES municipalities(id),
				config TEXT NOT NULL,
				updated_by TEXT,
				updated_at ${INT} NOT NULL
			)${STRICT};
		`;

/**
 * Migration 95 (issue 15, registries): the management reserve (резерв управленческих кадров,
 * Dinskoy 2021 §5.6), one entry per person of the identity registry: the dates of training in the
 * school of the reserve, the course certificates (JSON list), the other events attended, the
 * consent to relocate, and when the entry was made. Name, workplace, experience and contacts are
 * the person's own (people), never copied.
 */
export const managementReserveTable = ({ INT, STRICT }: ColumnTypes): string => `
			CREATE TABLE management_reserve (
				person_id TEXT PRIMARY KEY REFERENCES people(id),
				municipality_id TEXT NOT NULL REFERENCES municipalities(id),
				training_from TEXT,
				training_to TEXT,
				certificates TEXT NOT NULL DEFAULT '[]',
				events TEXT,
				relocation TEXT NOT NULL DEFAULT 'none',
				included_on TEXT,
				notes TEXT,
				created_at ${INT} NOT NULL,
				updated_at ${INT} NOT NULL,
				updated_by TEXT
			)${STRICT};
			CREATE INDEX management_reserve_by_municipality ON management_reserve (municipality_id);
		`;

/**
 * Migration 96 (issue 15, registries): attributes of an organization set by the municipal
 * coordinator — its kind (ОО, ДОУ, ДО) and the marks ШНОР (low results) and ШССУ (difficult
 * social conditions; Dinskoy 2021). NULL kind: not recorded.
 */
export const organizationAttributes = ({ INT }: ColumnTypes): string => `
			ALTER TABLE organizations ADD COLUMN kind TEXT;
			ALTER TABLE organizations ADD COLUMN low_results ${INT} NOT NULL DEFAULT 0;
			ALTER TABLE organizations ADD COLUMN hard_social ${INT} NOT NULL DEFAULT 0;
		`;

/**
 * Migration 97 (issue 15, student mentoring): an organization's rollout plan of the target model
 * of mentoring (Tomsk region 2020: the school's 34 steps, the college's 10), tracked by the
 * curator. One plan per organization and kind; its steps with the responsible, the deadline and
 * the status.
 */
export const rolloutPlanTables = ({ INT, STRICT }: ColumnTypes): string => `
			CREATE TABLE rollout_plans (
				id TEXT PRIMARY KEY,
				organization_id TEXT NOT NULL REFERENCES organizations(id),
				kind TEXT NOT NULL,
				start_year ${INT} NOT NULL,
				created_at ${INT} NOT NULL,
				created_by TEXT
			)${STRICT};
			CREATE UNIQUE INDEX rollout_plans_unique ON rollout_plans (organization_id, kind, start_year);
			CREATE TABLE rollout_steps (
				plan_id TEXT NOT NULL REFERENCES rollout_plans(id) ON DELETE CASCADE,
				step ${INT} NOT NULL,
				group_title TEXT NOT NULL,
				title TEXT NOT NULL,
				responsible TEXT NOT NULL DEFAULT '',
				deadline TEXT,
				status TEXT NOT NULL DEFAULT 'planned',
				done_on TEXT,
				note TEXT,
				updated_at ${INT} NOT NULL,
				updated_by TEXT,
				PRIMARY KEY (plan_id, step)
			)${STRICT};
		`;

/**
 * Migration 100 (issue 17, attachments): what the server knows of the evidence files
 * (server/attachments). `attachment_uploads`: one row per program and content hash — an upload
 * under way (`completed_at` NULL; its bytes so far are staged on the instance's disk) or done
 * (verified, the bytes in the blob store); a hash is served only through a program with a
 * completed row. `unreferenced_since`: when the garbage collector first found the program's
 * document no longer referring to the hash (NULL: referred to at the last look).
 * `attachment_blobs`: the hashes the blob store holds (disk or S3), with the sniffed type.
 */
export const attachmentTables = ({ INT, STRICT }: ColumnTypes): string => `
			CREATE TABLE attachment_uploads (
				program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
				hash TEXT NOT NULL,
				size ${INT} NOT NULL,
				type TEXT NOT NULL,
				name TEXT NOT NULL,
				uploaded_by TEXT NOT NULL,
				started_at ${INT} NOT NULL,
				completed_at ${INT},
				unreferenced_since ${INT},
				PRIMARY KEY (program_id, hash)
			)${STRICT};
			CREATE INDEX attachment_uploads_by_hash ON attachment_uploads (hash);
			CREATE TABLE attachment_blobs (
				hash TEXT PRIMARY KEY,
				size ${INT} NOT NULL,
				type TEXT NOT NULL,
				stored_at ${INT} NOT NULL
			)${STRICT};
		`;

/**
 * Migration 120 (issue 18, the curator at a region's scale): each mentor's and mentee's own device
 * facts for the program — how many devices reached the relay for it and their latest contact
 * (Unix ms, 0 = none) — kept beside the program's sync aggregate by the same statements
 * (server/storage/curator-index.ts). The stale and «приглашение не открыто» flags read them instead
 * of the device facts of every participant of a region (200,000 rows) per request.
 */
export const curatorUserSync = ({ INT }: ColumnTypes, greatest: string): string => `
			ALTER TABLE curator_program_users ADD COLUMN devices ${INT} NOT NULL DEFAULT 0;
			ALTER TABLE curator_program_users ADD COLUMN device_seen ${INT} NOT NULL DEFAULT 0;
			UPDATE curator_program_users SET
				devices = (SELECT count(*) FROM program_device_sync d
					WHERE d.program_id = curator_program_users.program_id AND d.user_id = curator_program_users.user_id),
				device_seen = coalesce((SELECT max(${greatest}(coalesce(d.last_connected_at, 0), coalesce(d.last_update_at, 0),
						coalesce(d.last_in_sync_at, 0), coalesce(d.pending_reported_at, 0)))
					FROM program_device_sync d
					WHERE d.program_id = curator_program_users.program_id AND d.user_id = curator_program_users.user_id), 0);
		`;
