/** The bank form's draft of a legal representative's consent (PersonRecordFields.svelte). */
export interface ConsentDraft {
	minor: boolean;
	representativeName: string;
	representativeRelation: string;
	givenOn: string;
	documentRef: string;
}

export const emptyConsent = (): ConsentDraft => ({
	minor: false,
	representativeName: '',
	representativeRelation: '',
	givenOn: '',
	documentRef: ''
});

/** The body of POST /api/people/:id/consents, or null when nothing was entered. */
export function consentBody(c: ConsentDraft): Record<string, unknown> | null {
	if (!c.representativeName.trim() && !c.givenOn) return null;
	return {
		kind: 'representative',
		representativeName: c.representativeName.trim(),
		representativeRelation: c.representativeRelation.trim() || null,
		givenOn: c.givenOn,
		documentRef: c.documentRef.trim() || null
	};
}
