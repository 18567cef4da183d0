import type { SqliteDatabase } from '../../storage/sqlite/database.js';
import type { IdentityStore } from '../store.js';
import { createAuditRepository } from './audit.js';
import { createInvitationRepository } from './invitations.js';
import { createPeopleRepository } from './people.js';
import { createProgramRepository } from './programs.js';
import { createRoleRepository } from './roles.js';
import { createScopeRepository } from './scopes.js';
import { createCredentialRepository, createSessionRepository } from './sessions.js';

/** The SQLite identity store (schema: migration 20 in server/storage/sqlite/migrations.ts). */
export function createSqliteIdentityStore(db: SqliteDatabase): IdentityStore {
	return {
		scopes: createScopeRepository(db),
		people: createPeopleRepository(db),
		roles: createRoleRepository(db),
		programs: createProgramRepository(db),
		invitations: createInvitationRepository(db),
		sessions: createSessionRepository(db),
		credentials: createCredentialRepository(db),
		audit: createAuditRepository(db)
	};
}
