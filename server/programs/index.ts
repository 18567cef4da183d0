/**
 * Programs (server/programs): creation, reading, participants and curator actions over identity's
 * records and policy, the documents' store and the relay's server edits. Wired in server/app.ts.
 */
import type { IdentityService } from '../identity/service.js';
import type { Logger } from '../logger.js';
import type { ProgramsDeps } from './service.js';
import { ProgramsService } from './service.js';

export { ProgramsService, type ProgramInput, type MyProgram } from './service.js';
export { CURATOR_ACTIONS, parseCuratorAction, type CuratorAction } from './curator-actions.js';

/** Programs over an identity and a documents' store (the relay is attached later: `relay`). */
export function createPrograms(options: {
	identity: IdentityService;
	documents: ProgramsDeps['documents'];
	logger: Logger;
	now?: () => number;
}): ProgramsService {
	return new ProgramsService({
		identity: options.identity,
		records: options.identity.store.programs,
		documents: options.documents,
		logger: options.logger,
		...(options.now ? { now: options.now } : {})
	});
}
