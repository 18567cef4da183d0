import { notFound } from '../identity/errors.js';
import type { ProgramInfo } from '../identity/model.js';
import type { Actor } from '../identity/policy.js';
import type { IdentityService } from '../identity/service.js';

/**
 * A write on one program that needs 'program.manage' (participants, cancellation): 404 when the
 * program is missing, `run` only when the policy allows it, then one audit entry `action` on the
 * program with `details`.
 */
export async function manageProgram<T>(
	identity: IdentityService,
	actor: Actor,
	programId: string,
	audit: { action: string; details: Record<string, unknown> },
	run: (info: ProgramInfo) => Promise<T>
): Promise<T> {
	const found = await identity.registry.program(programId);
	if (!found) throw notFound();
	const info = found.info;
	return identity.policy.guarded(
		actor,
		'program.manage',
		found.res,
		() => run(info),
		() => ({
			action: audit.action,
			entityType: 'program',
			entityId: programId,
			organizationId: info.organizationId,
			municipalityId: info.municipalityId,
			details: audit.details
		})
	);
}
