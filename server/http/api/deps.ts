import type { IdentityService } from '../../identity/service.js';
import type { ProgramsService } from '../../programs/service.js';
import type { TaskRunner } from '../../workers/tasks.js';

/** What the /api routes call: identity (registry, access, policy) and programs. */
export interface ApiDeps {
	identity: IdentityService;
	programs: ProgramsService;
	/** Where import parsing runs (the worker pool, server/workers; default inline). */
	tasks?: TaskRunner;
}
