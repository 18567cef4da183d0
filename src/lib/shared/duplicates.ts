/**
 * When two registry records are the same person (issue 16: import added the same person twice,
 * a manual add did too). One rule for the server (manual add, import, the bank's list of
 * probable duplicates) and the PWA. Two records of one organization's bank match when ANY of:
 * 1. the same full name after normalization (case, «ё»/«е», punctuation and extra spaces ignored)
 *    and birth dates that do not contradict (equal, or at least one is not recorded);
 * 2. the same e-mail (case and surrounding spaces ignored);
 * 3. the same phone number (digits only; a leading 8 or 7 of an 11-digit Russian number
 *    ignored; at least 10 digits).
 * Namesakes with different recorded birth dates are different people (rule 1 does not match).
 * docs/identity.md, «Дубликаты и объединение».
 */

export interface PersonKeys {
	fullName: string;
	birthDate?: string | null;
	email?: string | null;
	phone?: string | null;
}

export type DuplicateReason = 'name-birth' | 'name' | 'email' | 'phone';

export const DUPLICATE_REASON_LABELS: Record<DuplicateReason, string> = {
	'name-birth': 'совпадают ФИО и дата рождения',
	name: 'совпадают ФИО (дата рождения указана не у обоих)',
	email: 'совпадает e-mail',
	phone: 'совпадает телефон'
};

export function normalizeName(name: string): string {
	return name
		.toLowerCase()
		.replace(/ё/g, 'е')
		.replace(/[^\p{L}\p{N}\s-]/gu, ' ')
		.replace(/\s+/g, ' ')
		.trim();
}

export function normalizeEmail(email: string | null | undefined): string | null {
	const e = (email ?? '').trim().toLowerCase();
	return e ? e : null;
}

export function normalizePhone(phone: string | null | undefined): string | null {
	let d = (phone ?? '').replace(/\D/g, '');
	if (d.length === 11 && (d.startsWith('8') || d.startsWith('7'))) d = d.slice(1);
	return d.length >= 10 ? d : null;
}

/** Why `a` and `b` are the same person, or null when the rule says they are not. */
export function duplicateReason(a: PersonKeys, b: PersonKeys): DuplicateReason | null {
	const na = normalizeName(a.fullName);
	if (na && na === normalizeName(b.fullName)) {
		if (a.birthDate && b.birthDate) {
			if (a.birthDate === b.birthDate) return 'name-birth';
		} else return 'name';
	}
	const ea = normalizeEmail(a.email);
	if (ea && ea === normalizeEmail(b.email)) return 'email';
	const pa = normalizePhone(a.phone);
	if (pa && pa === normalizePhone(b.phone)) return 'phone';
	return null;
}

/** The records of `among` that are the same person as `who`, with the reason. */
export function findDuplicates<T extends PersonKeys>(
	who: PersonKeys,
	among: readonly T[]
): Array<{ record: T; reason: DuplicateReason }> {
	const out: Array<{ record: T; reason: DuplicateReason }> = [];
	for (const record of among) {
		const reason = duplicateReason(who, record);
		if (reason) out.push({ record, reason });
	}
	return out;
}
