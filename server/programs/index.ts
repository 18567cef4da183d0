/**
 * Programs (server/programs): creation, reading, participants and curator actions over identity's
 * records and policy, the documents' store and the relay's server edits. Wired in server/app.ts.
 */
import type { IdentityService } from '../identity/service.js';
import type { Logger } from '../logger.js';
import type { SqlClient } from '../storage/sql.js';
import { OrdersService } from './orders.js';
import { RecordsService } from './records.js';
import type { ProgramsDeps } from './service.js';
import { ProgramsService } from './service.js';

export { ProgramsService, type ProgramInput, type MyProgram } from './service.js';
export { RecordsService } from './records.js';
export { CURATOR_ACTIONS, parseCuratorAction, type CuratorAction } from './curator-actions.js';

/** Programs over an identity and a documents' store (the relay is attached later: `relay`). */
export function createPrograms(options: {
	identity: IdentityService;
	documents: ProgramsDeps['documents'];
	logger: Logger;
	now?: () => number;
	/** The store's SQL client: orders (приказы) live there; without it /api/orders answers 503. */
	sql?: SqlClient;
}): ProgramsService {
	const programs = new ProgramsService({
		identity: options.identity,
		records: options.identity.store.programs,
		documents: options.documents,
		logger: options.logger,
		...(options.now ? { now: options.now } : {})
	});
	if (options.sql) programs.orders = new OrdersService(options.sql, options.identity, programs.now);
	// The curator's records (issue 16): idempotent creation, cancellations, merges, erasure.
	if (options.sql)
		programs.curatorRecords = new RecordsService(
			options.sql,
			options.identity,
			() => programs.relay,
			options.logger,
			programs.now
		);
	return programs;
}
