/**
 * Rollout plans (план внедрения, Tomsk region 2020): an organization's steps of introducing the
 * target model of mentoring — the school's 34, the college's 10 — with the responsible, deadlines
 * and status. Monitoring rights read them ('organization.monitor' through identity's scope
 * check: the organization's curator and head, the municipality's coordinator); the
 * organization's curator creates a plan and keeps its steps.
 */
import { randomBytes } from 'node:crypto';
import type {
	RolloutPlan,
	RolloutStep,
	RolloutStepPatch
} from '../../src/lib/shared/api/rollout.js';
import {
	ROLLOUT_TITLES,
	rolloutSteps,
	type RolloutKind,
	type RolloutStatus
} from '../../src/lib/shared/rollout.js';
import { IdentityError } from '../identity/errors.js';
import type { Actor } from '../identity/policy.js';
import type { CheckedScope, MonitoringScopes } from '../identity/scopes.js';
import type { SqlClient } from '../storage/sql.js';

/** Refusals with a Russian message, sent as the API's errors (api-boundary.ts). */
export class RolloutError extends IdentityError {}

interface PlanRow {
	id: string;
	organization_id: string;
	organization_name: string;
	kind: string;
	start_year: number;
}
interface StepRow {
	plan_id: string;
	step: number;
	group_title: string;
	title: string;
	responsible: string;
	deadline: string | null;
	status: string;
	done_on: string | null;
	note: string | null;
}

const toStep = (r: StepRow): RolloutStep => ({
	step: Number(r.step),
	group: r.group_title,
	title: r.title,
	responsible: r.responsible,
	deadline: r.deadline,
	status: r.status as RolloutStatus,
	doneOn: r.done_on,
	note: r.note
});

function plan(r: PlanRow, steps: RolloutStep[], today: string): RolloutPlan {
	const counted = steps.filter((s) => s.status !== 'cancelled');
	return {
		id: r.id,
		organizationId: r.organization_id,
		organizationName: r.organization_name,
		kind: r.kind as RolloutKind,
		startYear: Number(r.start_year),
		title: ROLLOUT_TITLES[r.kind as RolloutKind] ?? r.kind,
		steps,
		done: counted.filter((s) => s.status === 'done').length,
		total: counted.length,
		overdue: counted.filter((s) => s.status !== 'done' && s.deadline !== null && s.deadline < today)
			.length
	};
}

const isCurator = (actor: Actor, organizationId: string) =>
	actor.roles.some((g) => g.role === 'curator' && g.organizationId === organizationId);

export class RolloutPlans {
	constructor(
		private readonly db: SqlClient,
		private readonly scopes: MonitoringScopes,
		private readonly now: () => number,
		/** Today in the scope's zone (overdue steps). */
		private readonly today: (timeZone: string) => string
	) {}

	/** The plans of an organization, or of every organization of a municipality. */
	async list(actor: Actor, scope: CheckedScope): Promise<RolloutPlan[]> {
		const ids = scope.organizationIds;
		if (ids.length === 0) return [];
		const rows = await this.db.all<PlanRow>(
			`SELECT p.id, p.organization_id, o.name AS organization_name, p.kind, p.start_year
			FROM rollout_plans p JOIN organizations o ON o.id = p.organization_id
			WHERE p.organization_id IN (${ids.map(() => '?').join(',')})
			ORDER BY p.start_year DESC, o.name, p.kind`,
			ids
		);
		const today = this.today(scope.timeZone);
		const out: RolloutPlan[] = [];
		for (const r of rows) out.push(plan(r, await this.steps(r.id), today));
		return out;
	}

	async create(
		actor: Actor,
		scope: CheckedScope,
		kind: RolloutKind,
		startYear: number
	): Promise<RolloutPlan> {
		if (scope.kind !== 'organization' || !isCurator(actor, scope.id))
			throw new RolloutError(403, 'forbidden', 'План внедрения ведет куратор организации.');
		const exists = await this.db.get<{ id: string }>(
			'SELECT id FROM rollout_plans WHERE organization_id = ? AND kind = ? AND start_year = ?',
			[scope.id, kind, startYear]
		);
		if (exists)
			throw new RolloutError(409, 'exists', 'План внедрения на этот учебный год уже создан.');
		const id = randomBytes(9).toString('base64url');
		const now = this.now();
		await this.db.run(
			'INSERT INTO rollout_plans (id, organization_id, kind, start_year, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)',
			[id, scope.id, kind, startYear, now, actor.personId]
		);
		for (const s of rolloutSteps(kind, startYear))
			await this.db.run(
				`INSERT INTO rollout_steps (plan_id, step, group_title, title, deadline, updated_at, updated_by)
				VALUES (?, ?, ?, ?, ?, ?, ?)`,
				[id, s.step, s.group, s.title, s.deadline, now, actor.personId]
			);
		return (await this.list(actor, scope)).find((p) => p.id === id) as RolloutPlan;
	}

	/** The organization of a plan, after the actor was allowed to monitor it. */
	async planScope(actor: Actor, planId: string): Promise<CheckedScope> {
		const r = await this.db.get<{ organization_id: string }>(
			'SELECT organization_id FROM rollout_plans WHERE id = ?',
			[planId]
		);
		const scope = r
			? await this.scopes.scopeOf(
					actor,
					{ kind: 'organization', id: r.organization_id },
					'organization.monitor'
				)
			: null;
		if (!scope) throw new RolloutError(404, 'not_found', 'План внедрения не найден.');
		return scope;
	}

	async updateStep(
		actor: Actor,
		planId: string,
		step: number,
		patch: RolloutStepPatch
	): Promise<RolloutPlan> {
		const scope = await this.planScope(actor, planId);
		if (!isCurator(actor, scope.id))
			throw new RolloutError(403, 'forbidden', 'План внедрения ведет куратор организации.');
		const cur = await this.db.get<StepRow>(
			'SELECT * FROM rollout_steps WHERE plan_id = ? AND step = ?',
			[planId, step]
		);
		if (!cur) throw new RolloutError(404, 'not_found', 'Мероприятие плана не найдено.');
		const status = patch.status ?? (cur.status as RolloutStatus);
		// The day it was done is the day it was marked, in the organization's zone.
		const doneOn =
			status === 'done' ? (cur.status === 'done' ? cur.done_on : this.today(scope.timeZone)) : null;
		await this.db.run(
			`UPDATE rollout_steps SET responsible = ?, deadline = ?, status = ?, done_on = ?, note = ?,
				updated_at = ?, updated_by = ? WHERE plan_id = ? AND step = ?`,
			[
				patch.responsible !== undefined ? patch.responsible.trim() : cur.responsible,
				patch.deadline !== undefined ? patch.deadline : cur.deadline,
				status,
				doneOn,
				patch.note !== undefined ? patch.note?.trim() || null : cur.note,
				this.now(),
				actor.personId,
				planId,
				step
			]
		);
		return (await this.list(actor, scope)).find((p) => p.id === planId) as RolloutPlan;
	}

	private async steps(planId: string): Promise<RolloutStep[]> {
		return (
			await this.db.all<StepRow>('SELECT * FROM rollout_steps WHERE plan_id = ? ORDER BY step', [
				planId
			])
		).map(toStep);
	}
}
