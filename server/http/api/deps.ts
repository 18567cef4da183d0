import type { IdentityService } from '../../identity/service.js';
import type { ProgramsService } from '../../programs/service.js';
import type { TaskRunner } from '../../workers/tasks.js';
import type { SignInGuard } from '../login-throttle.js';

/** What the /api routes call: identity (registry, access, policy) and programs. */
export interface ApiDeps {
	identity: IdentityService;
	programs: ProgramsService;
	/** Where import parsing runs (the worker pool, server/workers; default inline). */
	tasks?: TaskRunner;
	/** Throttling and bounded password checks of `/api/login` (server/http/login-throttle.ts). */
	signIn?: SignInGuard;
}
