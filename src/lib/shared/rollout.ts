// An organization's rollout plan of the target model of mentoring (Tomsk region 2020, распоряжение
// № 420-р/№ 261): the school's 34 steps and the college's 10, each with the responsible, the
// deadline and the status, tracked by the curator. These roadmaps were once shipped as a pupil's
// program; they are the organization's plan, not a pair's (docs/curator.md «План внедрения»).
// The steps' wording and grouping are the templates' own (program/templates/*-roadmap.ts).
import { addDays, addMonths } from './program/dates';
import college from './program/templates/college-roadmap';
import school from './program/templates/school-roadmap';
import type { ProgramTemplate } from './program/templates/types';

export const ROLLOUT_KINDS = ['school', 'college'] as const;
export type RolloutKind = (typeof ROLLOUT_KINDS)[number];

const SOURCES: Record<RolloutKind, ProgramTemplate> = { school, college };

export const ROLLOUT_TITLES: Record<RolloutKind, string> = {
	school: school.titleRu,
	college: college.titleRu
};

/** Steps of a plan are tracked with the program's activity statuses. */
export const ROLLOUT_STATUSES = ['planned', 'in-progress', 'done', 'cancelled'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

export interface RolloutStepDraft {
	/** The document's own number (1..34, 1..10). */
	step: number;
	/** The group of steps (the stage of the target model). */
	group: string;
	title: string;
	/** Default deadline: the end of its group, counted from 1 September of the school year. */
	deadline: string;
}

/** «2025/2026 учебный год» */
export const schoolYearText = (startYear: number): string =>
	`${startYear}/${startYear + 1} учебный год`;

/** The steps of a new plan for the school year starting on 1 September of `startYear`. */
export function rolloutSteps(kind: RolloutKind, startYear: number): RolloutStepDraft[] {
	const start = `${startYear}-09-01`;
	const out: RolloutStepDraft[] = [];
	let months = 0;
	let step = 0;
	for (const stage of SOURCES[kind].stages) {
		months += stage.months;
		const deadline = addDays(addMonths(start, months), -1);
		for (const a of stage.activities)
			out.push({ step: ++step, group: stage.title, title: a.title, deadline });
	}
	return out;
}
