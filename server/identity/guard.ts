/**
 * The one "check, write, audit" path of identity and programs: the policy decides (policy.ts),
 * a denial is logged and answered 404 when the actor may not know the resource exists (403
 * otherwise), the write runs, and the audit entry is recorded with the acting person and the time.
 */
import type { Logger } from '../logger.js';
import { forbidden, notFound } from './errors.js';
import type { AuditInput } from './model.js';
import { can, canSee, type Action, type Actor, type Resource } from './policy.js';
import type { AuditRepository } from './store.js';

/** What an operation writes to the audit log; the actor and the time are added by the guard. */
export type AuditRecord = Omit<AuditInput, 'actorId' | 'at'> & { actorId?: string | null };

export class Guard {
	constructor(
		private readonly auditLog: Pick<AuditRepository, 'record'>,
		private readonly log: Logger,
		private readonly now: () => number
	) {}

	/** Asks the policy; on denial logs (actor, action, resource — never secrets) and throws. */
	check(actor: Actor, action: Action, resource: Resource): void {
		if (can(actor, action, resource)) return;
		const visible = canSee(actor, resource);
		this.log.warn(
			{
				actorId: actor.personId,
				action,
				resourceKind: resource.kind,
				resourceId: 'id' in resource ? resource.id : null,
				answer: visible ? 403 : 404
			},
			'access denied'
		);
		throw visible ? forbidden() : notFound();
	}

	/** Logs a denial decided outside `check` (the relay, sign-in). */
	logDenial(actorId: string | null, action: string, resourceId: string, reason: string): void {
		this.log.warn({ actorId, action, resourceId, reason }, 'access denied');
	}

	/** Records one audit entry by `actor` (or by `entry.actorId` when the act is on someone's behalf). */
	audit(actor: Actor | null, entry: AuditRecord): Promise<void> {
		return this.auditLog.record({
			...entry,
			actorId: entry.actorId !== undefined ? entry.actorId : (actor?.personId ?? null),
			at: this.now()
		});
	}

	/**
	 * Check, write, audit: `run` happens only if the policy allows `action` on `resource`; the
	 * audit entry `audit(result)` describes (null: nothing to record, e.g. an idempotent repeat).
	 */
	async guarded<T>(
		actor: Actor,
		action: Action,
		resource: Resource,
		run: () => Promise<T>,
		audit?: (result: T) => AuditRecord | null
	): Promise<T> {
		this.check(actor, action, resource);
		const result = await run();
		const entry = audit?.(result);
		if (entry) await this.audit(actor, entry);
		return result;
	}
}
