import type { FastifyInstance } from 'fastify';
import { registerAccessTokenRoutes } from './access-tokens.js';
import { registerAccessRoutes } from './access.js';
import { registerAuthRoutes } from './auth.js';
import type { ApiDeps } from './deps.js';
import { registerOrderRoutes } from './orders.js';
import { registerProgramRoutes } from './programs.js';
import { registerRegistryRoutes } from './registry.js';
import { registerRecordsRoutes } from './records.js';

/**
 * The identity and programs HTTP API under /api (docs/identity.md): invitations, sessions, the
 * people registry, scopes, programs and their participants. Session, CSRF and errors come from
 * the API boundary (server/http/api-boundary.ts) registered once in server/app.ts; every route
 * asks the policy through identity or programs; anonymous requests get nothing but the redeem /
 * login endpoints.
 */
export function registerIdentityApi(api: FastifyInstance, deps: ApiDeps): void {
	registerAuthRoutes(api, deps);
	registerRegistryRoutes(api, deps);
	registerProgramRoutes(api, deps);
	registerAccessTokenRoutes(api, deps);
	registerOrderRoutes(api, deps);
	registerRecordsRoutes(api, deps);
	registerAccessRoutes(api, deps);
}
