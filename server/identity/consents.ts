/**
 * Consents as records (DOMAIN.md §1; Tomsk 2024 §3.4; the Tomsk region roadmap, steps 5–6):
 * what each kind requires when it is recorded, who must hold one to be added to a program, and
 * what its withdrawal ends. Pure rules here; the registry stores, audits and applies the effects.
 */
import { conflict } from './errors.js';
import type { Consent, ConsentKind, Person } from './model.js';
import { CONSENT_KINDS } from './model.js';
import {
	CONSENT_REQUIRED_RU,
	invalidField,
	isMinor,
	isValidIsoDate,
	requireText,
	type ConsentInput
} from './rules.js';

export { CONSENT_KINDS, type ConsentKind };

export const CONSENT_KIND_LABELS_RU: Record<ConsentKind, string> = {
	representative: 'согласие законного представителя на обработку персональных данных',
	'personal-data': 'согласие на обработку персональных данных',
	'mentor-duties': 'письменное согласие на выполнение обязанностей наставника'
};

/** Tomsk 2024 §3.4: a mentor is appointed for two years. */
export const MENTOR_TERM_YEARS = 2;

/** 'YYYY-MM-DD' plus whole years (29 February → 28 February). */
export function addYears(isoDate: string, years: number): string {
	const [y, m, d] = isoDate.split('-').map(Number) as [number, number, number];
	const day = m === 2 && d === 29 ? 28 : d;
	return `${String(y + years).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** A consent record from the request, checked field by field (Russian messages). */
export function buildConsent(
	person: Person,
	input: ConsentInput,
	ids: { id: string; recordedBy: string; recordedAt: number }
): Consent {
	const kind: ConsentKind = input.kind ?? 'representative';
	if (!CONSENT_KINDS.includes(kind)) invalidField('Неизвестный вид согласия');
	if (!isValidIsoDate(input.givenOn))
		invalidField('Дата согласия должна быть в формате ГГГГ-ММ-ДД');
	const own = kind !== 'representative';
	return {
		id: ids.id,
		personId: person.id,
		kind,
		representativeName: own
			? person.fullName
			: requireText(input.representativeName ?? '', 'ФИО законного представителя'),
		representativeRelation: own ? null : input.representativeRelation?.trim() || null,
		givenOn: input.givenOn,
		scope: input.scope?.trim()
			? requireText(input.scope, 'Объём согласия')
			: CONSENT_KIND_LABELS_RU[kind],
		documentRef: input.documentRef?.trim() || null,
		validUntil: kind === 'mentor-duties' ? addYears(input.givenOn, MENTOR_TERM_YEARS) : null,
		recordedBy: ids.recordedBy,
		recordedAt: ids.recordedAt,
		revokedAt: null
	};
}

/**
 * Whether `person` may be added to a program as `role`, from their consents: a minor needs an
 * active consent of a legal representative; a withdrawn personal-data consent (with no new one)
 * bars anyone; a withdrawn mentor-duties consent bars them as a mentor. Throws 409 (Russian).
 */
export function checkConsents(
	person: Person,
	consents: readonly Consent[],
	role: 'mentor' | 'mentee' | null,
	now: number
): void {
	const active = (kind: ConsentKind) =>
		consents.some((c) => c.kind === kind && c.revokedAt === null);
	const withdrawn = (kind: ConsentKind) =>
		!active(kind) && consents.some((c) => c.kind === kind && c.revokedAt !== null);
	if (isMinor(person, now) && !active('representative'))
		throw conflict('consent_required', CONSENT_REQUIRED_RU);
	if (withdrawn('personal-data') || (isMinor(person, now) && withdrawn('representative')))
		throw conflict(
			'consent_withdrawn',
			'Согласие на обработку персональных данных отозвано: человека нельзя добавить в программу.'
		);
	if (role === 'mentor' && withdrawn('mentor-duties'))
		throw conflict(
			'consent_withdrawn',
			'Согласие на выполнение обязанностей наставника отозвано: его нельзя назначить наставником.'
		);
}

/**
 * What the withdrawal of a consent ends (the registry applies it):
 * - mentor-duties: the mentor role everywhere, the person's places as mentor in programs and their
 *   unused links with role mentor;
 * - personal-data, and a representative's consent for a minor: all access (sessions, links,
 *   tokens) and places in programs.
 */
export function withdrawalEffect(consent: Consent): 'mentor' | 'all' {
	return consent.kind === 'mentor-duties' ? 'mentor' : 'all';
}
