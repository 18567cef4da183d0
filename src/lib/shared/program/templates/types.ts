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
	durationMonths: number;
	stages: TemplateStage[];
}

/** The entry of the template index: enough to show a picker without loading any activities. */
export interface TemplateInfo {
	id: string;
	titleRu: string;
	kind: TemplateKind;
	load: () => Promise<ProgramTemplate>;
}

export const acts = (...titles: string[]): TemplateActivity[] => titles.map((title) => ({ title }));
