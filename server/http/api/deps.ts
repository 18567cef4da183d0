import type { IdentityService } from '../../identity/service.js';
import type { ProgramsService } from '../../programs/service.js';

/** What the /api routes call: identity (registry, access, policy) and programs. */
export interface ApiDeps {
	identity: IdentityService;
	programs: ProgramsService;
}
