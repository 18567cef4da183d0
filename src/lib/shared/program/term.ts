// The program's current term as documents and screens write it: «27 месяцев, с 01.09.2026 по
// 30.11.2028 (продлен на 3 месяца решением от 15.10.2026; первоначальный срок — 24 месяца)».
// An approved extension (Tomsk 2024 §7.2; decided in the decisions document) lengthens it; the
// length is written with Intl plurals, never «24 мес.» after an extension.
import { MONTHS, countOf, formatDateNumeric } from '../time';
import { approvedExtensionMonths, programEndDate } from './rules';

/** What the term reads: the JSON of a program view or a ProgramView itself. */
export interface TermSource {
	meta: { startDate: string | null; durationMonths: number | null };
	changeRequests: ReadonlyArray<{
		kind: string;
		status: string;
		months: number;
		decidedAt?: string | null;
	}>;
}

export function programTerm(v: TermSource): string {
	const { startDate, durationMonths } = v.meta;
	if (!startDate || !durationMonths) return '—';
	const extra = approvedExtensionMonths(v);
	const end = programEndDate(v) ?? startDate;
	const base = `${countOf(durationMonths + extra, MONTHS)}, с ${formatDateNumeric(startDate)} по ${formatDateNumeric(end)}`;
	if (!extra) return base;
	const decided = v.changeRequests
		.filter((c) => c.kind === 'extension' && c.status === 'approved' && c.decidedAt)
		.map((c) => formatDateNumeric(c.decidedAt as string))
		.join(', ');
	return `${base} (продлен на ${countOf(extra, MONTHS)}${decided ? ` решением от ${decided}` : ''}; первоначальный срок — ${countOf(durationMonths, MONTHS)})`;
}
