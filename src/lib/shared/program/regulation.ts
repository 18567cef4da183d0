// What the regulation a program was created under prescribes for its documents and reports:
// who approves the personalized program, whether the mentor owes the semi-annual report, and
// what the document after a stage is. One place, so the documents, the reports tab, the summary
// (reports due) and the curator's calendar follow the same rule.
import type { ResultForm, TemplateKind } from './labels';
import { TEMPLATES } from './templates/index';

/** The kind of the template a program was created from (null: unknown or none). */
export function templateKindOf(templateId: string | null | undefined): TemplateKind | null {
	return TEMPLATES.find((t) => t.id === templateId)?.kind ?? null;
}

/**
 * The mentor's report by 10 June and by 10 December is required only of head mentoring: Tomsk
 * 2024, order p. 3 «организовать предоставление отчётов руководителей, осуществляющих функции
 * наставника, ежегодно до 10 июня, 10 декабря». Neither the Surgut 2022 regulation (teachers)
 * nor the Tomsk region 2020 programme (students, pupils) asks for it, and a blank program has no
 * regulation to ask.
 */
export function mentorReportsRequired(templateId: string | null | undefined): boolean {
	return templateKindOf(templateId) === 'tomsk-heads';
}

/** The «УТВЕРЖДАЮ» block of a personalized program: who signs it, and on what basis. */
export interface Approver {
	/** The position as the regulation names it (the signature line's caption). */
	position: string;
	/** Where the regulation says so. */
	basis: string;
}

const ORGANIZATION_HEAD = 'Руководитель образовательной организации';

/**
 * Who approves the program. In head mentoring the mentee is himself a head of a school, so the
 * organization's head cannot sign it (he would approve his own program): Tomsk 2024 §§3.2, 6.2
 * give the approval of mentors, mentees and pairs to the head of the department of education,
 * who also decides on extensions (§7.2). Teachers (Surgut 2022 §4.6.1) and student mentoring
 * (Tomsk region 2020, school roadmap step 19) are approved by the head of the organization.
 */
export function programApprover(templateId: string | null | undefined): Approver {
	switch (templateKindOf(templateId)) {
		case 'tomsk-heads':
			return {
				position: 'Начальник департамента образования администрации Города Томска',
				basis: 'Положение о наставничестве руководителей (Томск, 2024), пп. 3.2, 6.2, 7.2'
			};
		case 'teacher':
			return {
				position: 'Руководитель образовательного учреждения',
				basis: 'Положение о наставничестве педагогических работников (Сургут, 2022), п. 4.6.1'
			};
		case 'school-roadmap':
		case 'college-roadmap':
			return {
				position: ORGANIZATION_HEAD,
				basis: 'Программа наставничества обучающихся (Томская область, 2020), дорожная карта, п. 19'
			};
		default:
			return { position: ORGANIZATION_HEAD, basis: '' };
	}
}

/** The documents a stage may end with (the regulations' «форма отчетности»). */
export type StageDocumentForm = Extract<
	ResultForm,
	'info-note' | 'analytic-note' | 'analytic-report'
>;

/**
 * The document due after a stage: the stage's «форма представления результата» in the appendix
 * (Tomsk 2024: stages 1–3 информационная справка, stage 4 аналитическая справка; Appendix 3,
 * stage 4: аналитический отчет). Any other form (methodical materials, a custom one) still ends
 * with the regulation's basic reporting form, the информационная справка.
 */
export function stageDocumentForm(stage: { resultForm: ResultForm | null }): StageDocumentForm {
	const f = stage.resultForm;
	return f === 'analytic-note' || f === 'analytic-report' ? f : 'info-note';
}

/**
 * A semi-annual period as a document names it: '2027-06' → «I полугодие 2027 г.», '2027-12' →
 * «II полугодие 2027 г.» (the report due by 10 June covers the first half-year). Anything else is
 * returned as is (a newer app's value), never a crash.
 */
export function halfYearLabel(period: string | null | undefined): string {
	const m = /^(\d{4})-(06|12)$/.exec(period ?? '');
	if (!m) return period ?? '';
	return `${m[2] === '06' ? 'I' : 'II'} полугодие ${m[1]} г.`;
}
