/**
 * The rollout plans' contract (/api/curator/:kind/:id/rollout, /api/curator/rollout/:id):
 * an organization's plan of introducing mentoring, step by step (src/lib/shared/rollout.ts).
 */
import { Type, type Static } from 'typebox';
import { NullableText, StringEnum } from './common';
import { ROLLOUT_KINDS, ROLLOUT_STATUSES, type RolloutKind, type RolloutStatus } from '../rollout';

const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', maxLength: 10 });

/** POST /api/curator/organizations/:id/rollout */
export const CreateRolloutBody = Type.Object(
	{
		kind: StringEnum(ROLLOUT_KINDS),
		/** The year the school year starts in (2025 for 2025/2026). */
		startYear: Type.Integer({ minimum: 2000, maximum: 2100 })
	},
	{ additionalProperties: false }
);
export type CreateRolloutBody = Static<typeof CreateRolloutBody>;

/** PATCH /api/curator/rollout/:id/steps/:step */
export const RolloutStepPatch = Type.Object(
	{
		responsible: Type.Optional(Type.String({ maxLength: 300 })),
		deadline: Type.Optional(Type.Union([IsoDate, Type.Null()])),
		status: Type.Optional(StringEnum(ROLLOUT_STATUSES)),
		note: Type.Optional(NullableText(2000))
	},
	{ additionalProperties: false }
);
export type RolloutStepPatch = Static<typeof RolloutStepPatch>;

export interface RolloutStep {
	step: number;
	group: string;
	title: string;
	responsible: string;
	deadline: string | null;
	status: RolloutStatus;
	/** The day the step was marked done. */
	doneOn: string | null;
	note: string | null;
}

export interface RolloutPlan {
	id: string;
	organizationId: string;
	organizationName: string;
	kind: RolloutKind;
	startYear: number;
	title: string;
	steps: RolloutStep[];
	/** Counts for the list: done of all (cancelled not counted), and overdue (open, deadline passed). */
	done: number;
	total: number;
	overdue: number;
}
