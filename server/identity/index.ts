/**
 * Identity: the registry (scopes, people, consents, roles), access (invitations, device
 * sessions, passwords, relay grants and tokens), the policy and the guard (check, write, audit).
 * docs/identity.md describes the model, the policy table and the HTTP API.
 */
import { chainAuthorizers, createTokenAuthorizer, type Authorizer } from '../auth/authorize.js';
import type { Logger } from '../logger.js';
import type { DocumentStore } from '../storage/document-store.js';
import { sqliteClient } from '../storage/sql.js';
import type { SqliteDatabase } from '../storage/sqlite/database.js';
import { CloseCode } from '../sync/protocol.js';
import type { ConnectionInfo } from '../sync/relay.js';
import { createSessionCookieAuthorizer, requireLiveSession } from './relay-authorizer.js';
import { sessionCloseCode } from './events.js';
import { IdentityService } from './service.js';
import { createIdentityStore } from './sql-store.js';
import type { IdentityStore } from './store.js';

export { IdentityService } from './service.js';
export { IdentityRegistry } from './registry.js';
export { IdentityAccess } from './access.js';
export { Guard } from './guard.js';
export { AccessLifecycle, type EndReason } from './lifecycle.js';
export { AccessTokens } from './access-tokens.js';
export { can, canSee, relayAccess, type Actor, type Resource, type Role } from './policy.js';
export {
	SESSION_COOKIE,
	createSessionCookieAuthorizer,
	requireLiveSession
} from './relay-authorizer.js';

export function createIdentity(options: {
	/** SQLite connection (the embedded default); or pass `store` (e.g. the PostgreSQL one). */
	db?: SqliteDatabase;
	store?: IdentityStore;
	secret: string;
	logger: Logger;
	publicUrl?: string | null;
	now?: () => number;
}): IdentityService {
	return new IdentityService({
		store: options.store ?? createIdentityStore(sqliteClient(requireDb(options.db))),
		secret: options.secret,
		logger: options.logger,
		publicUrl: options.publicUrl ?? null,
		...(options.now ? { now: options.now } : {})
	});
}

function requireDb(db: SqliteDatabase | undefined): SqliteDatabase {
	if (!db) throw new Error('createIdentity needs a database connection or a store');
	return db;
}

/**
 * The relay's authorizer chain: the session cookie first (same-origin PWA), then access tokens,
 * whose session (when they carry one) must still be alive.
 */
export function createRelayAuthorizer(
	identity: IdentityService,
	secret: string,
	documents: Pick<DocumentStore, 'programExists'>
): Authorizer {
	return chainAuthorizers(
		createSessionCookieAuthorizer(identity),
		requireLiveSession(createTokenAuthorizer(secret, documents), identity)
	);
}

/**
 * Makes revocation take effect on live websockets at once. A session signed out on its own device
 * closes with 4401; one revoked by someone else (the curator's device list) with 1012, non-final:
 * the client reconnects, the upgrade refuses it (4401) and the PWA keeps its local edits and asks
 * for a new link (events.ts, sessionCloseCode). When a person's access ends or changes (role or participation removed,
 * excluded — server/identity/lifecycle.ts) or a recorded token is revoked, their connections are
 * closed with 1012: the client reconnects and the upgrade asks again, so a device still entitled
 * to something comes back and is never told to give up (y-websocket 3 treats 44xx as final).
 */
export function connectIdentityToRelay(
	identity: IdentityService,
	relay: {
		closeWhere(predicate: (c: ConnectionInfo) => boolean, code: number, reason?: string): number;
	}
): () => void {
	const offRevoked = identity.events.onSessionRevoked((e) => {
		relay.closeWhere(
			(c) => c.sessionId === e.sessionId,
			sessionCloseCode(e.reason),
			'session revoked'
		);
	});
	const offChanged = identity.events.onAccessChanged((e) => {
		relay.closeWhere(
			(c) => c.userId === e.personId && (e.programId === undefined || c.programId === e.programId),
			CloseCode.SERVICE_RESTART,
			'access changed'
		);
	});
	const offToken = identity.events.onTokenRevoked((e) => {
		relay.closeWhere(
			(c) => c.tokenId === e.tokenId,
			CloseCode.SERVICE_RESTART,
			'access token revoked'
		);
	});
	return () => {
		offRevoked();
		offChanged();
		offToken();
	};
}

/** On an empty data directory, tells the operator how to create the first organization. */
export async function logFirstStartHint(
	identity: IdentityService,
	logger: Logger
): Promise<boolean> {
	if (!(await identity.store.scopes.isEmpty())) return false;
	logger.warn(
		{
			hint: 'PUBLIC_URL=<server origin> npm run cli -- setup --municipality "<муниципалитет>" --organization "<организация>" --curator "<ФИО куратора>"'
		},
		'no organizations yet: nothing is open to anonymous users; create the first organization and its curator with the CLI command in "hint" (it prints a one-time invitation link for the origin in PUBLIC_URL or --origin), or try the product with: PUBLIC_URL=<server origin> npm run cli -- demo'
	);
	return true;
}
