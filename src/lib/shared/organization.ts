// Attributes of an organization the municipal coordinator records (issue 15, registries): its kind
// and the marks ШНОР / ШССУ (Dinskoy 2021: «школы с низкими результатами обучения» and «школы,
// функционирующие в сложных социальных условиях»). Keys are stored; labels are presentation.

export const ORG_KINDS = ['oo', 'dou', 'do'] as const;
export type OrgKind = (typeof ORG_KINDS)[number];

/** Short names, as the coordinator's tables write them. */
export const ORG_KIND_SHORT: Record<OrgKind, string> = { oo: 'ОО', dou: 'ДОУ', do: 'ДО' };

export const ORG_KIND_LABELS: Record<OrgKind, string> = {
	oo: 'ОО — общеобразовательная организация',
	dou: 'ДОУ — дошкольное образовательное учреждение',
	do: 'ДО — организация дополнительного образования'
};

export const ORG_MARKS = {
	lowResults: 'ШНОР',
	hardSocial: 'ШССУ'
} as const;

export const ORG_MARK_TITLES = {
	lowResults: 'ШНОР — школа с низкими результатами обучения',
	hardSocial: 'ШССУ — школа, функционирующая в сложных социальных условиях'
} as const;

export interface OrgAttributes {
	kind: OrgKind | null;
	/** ШНОР */
	lowResults: boolean;
	/** ШССУ */
	hardSocial: boolean;
}

export const isOrgKind = (v: unknown): v is OrgKind =>
	typeof v === 'string' && (ORG_KINDS as readonly string[]).includes(v);

/** «ОО, ШНОР, ШССУ» — the attributes in one cell; '' when nothing is recorded. */
export function orgAttributesText(a: Partial<OrgAttributes>): string {
	return [
		a.kind ? ORG_KIND_SHORT[a.kind] : '',
		a.lowResults ? ORG_MARKS.lowResults : '',
		a.hardSocial ? ORG_MARKS.hardSocial : ''
	]
		.filter(Boolean)
		.join(', ');
}
