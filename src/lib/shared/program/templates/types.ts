import type {
	MenteeCategory,
	MentoringForm,
	MentoringType,
	ResultForm,
	StageKind,
	TemplateKind
} from '../labels';

export interface TemplateActivity {
	title: string;
	/** Omitted: the stage's form of the result applies. */
	resultForm?: ResultForm;
}

export interface TemplateStage {
	kind: StageKind;
	title: string;
	/** Length of the stage in months; deadlines are computed from the start date and these. */
	months: number;
	/** Form of the stage report (and default form of its activities). */
	resultForm?: ResultForm;
	activities: TemplateActivity[];
}

export interface ProgramTemplate {
	id: string;
	titleRu: string;
	kind: TemplateKind;
	/** Where the activities come from (document, appendix). */
	source: string;
	form?: MentoringForm;
	types: MentoringType[];
	menteeCategory?: MenteeCategory;
	/** Name of the model, as the regulation calls it. */
	model?: string;
	/** Default term in months (the creation form's preset). */
	durationMonths: number;
	/** The term the template's regulation allows; absent: 1 to 60 months (a blank program). */
	term?: ProgramTerm;
	stages: TemplateStage[];
}

/** Term of a program as its regulation allows it (Surgut 2022 §1.3.7: 3 months to a year; Tomsk 2024 §1.2.6: 24 months). */
export interface ProgramTerm {
	minMonths: number;
	maxMonths: number;
	/** Where the regulation says so, for the error message and the creation form («Положение …, п. 1.3.7»). */
	basis: string;
}

/** The entry of the template index: enough to show a picker without loading any activities. */
export interface TemplateInfo {
	id: string;
	titleRu: string;
	kind: TemplateKind;
	/**
	 * Not offered for new programs any more; programs made from it stay readable. The Tomsk region
	 * roadmaps were once shipped as a pupil's program, but they are an organization's rollout plan
	 * (server/rollout, docs/curator.md).
	 */
	retired?: true;
	/** The template's term and default, for the creation form (copies of the template's own). */
	term?: ProgramTerm;
	durationMonths: number;
	load: () => Promise<ProgramTemplate>;
}

export const acts = (...titles: string[]): TemplateActivity[] => titles.map((title) => ({ title }));

/** A template without a regulated term (blank, a practice from the registry): 1 to 60 months, the document's own limit. */
export const ANY_TERM: ProgramTerm = { minMonths: 1, maxMonths: 60, basis: '' };
