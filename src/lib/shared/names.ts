/**
 * A person's short name as Russian writing abbreviates it: surname, then initials. Screens use
 * «Иванова М. С.» with non-breaking spaces (a narrow card never leaves an initial alone on the
 * next line); documents and their file names use the compact «Иванова М.С.», so a mentor with two
 * mentees downloads two distinct «ППН …» files. A double given name keeps both initials («А.-М.»).
 */

/** 'Иванова Мария Сергеевна' → ['Иванова', 'М.', 'С.']; '' → []. */
function surnameAndInitials(fullName: string): string[] {
	const [surname, ...rest] = fullName.trim().split(/\s+/).filter(Boolean);
	if (!surname) return [];
	const initials = rest.map((w) =>
		w
			.split('-')
			.map((part) => (part ? `${part[0]!.toLocaleUpperCase('ru-RU')}.` : ''))
			.join('-')
	);
	return [surname, ...initials];
}

/** On screen: «Иванова М. С.» (non-breaking spaces). */
export function shortName(fullName: string): string {
	return surnameAndInitials(fullName).join('\u00a0');
}

/** Several people on screen, comma-separated: «Иванова М. С., Петров П. П.». */
export function shortNames(fullNames: readonly string[]): string {
	return fullNames.map(shortName).filter(Boolean).join(', ');
}

/** In documents and file names: «Иванова М.С.»; «Иванова» → «Иванова». */
export function surnameInitials(fullName: string): string {
	const [surname, ...initials] = surnameAndInitials(fullName);
	if (!surname) return '';
	return initials.length ? `${surname} ${initials.join('')}` : surname;
}

/** Several people in a document: «Иванова М.С., Петров П.П.»; more than `max`: the first ones and «и др.». */
export function namesShort(fullNames: readonly string[], max = 2): string {
	const short = fullNames.map(surnameInitials).filter(Boolean);
	if (short.length <= max) return short.join(', ');
	return `${short.slice(0, max).join(', ')} и др.`;
}

let russian: Intl.Collator | undefined;

/**
 * Russian alphabetical order, for names and titles. One collator for every comparison:
 * `localeCompare(x, 'ru')` builds one per call — seconds for the 50,000 lines of a region's
 * analytic report (issue 18). Built at the first comparison, not when the module loads: its ICU
 * data was ~2 MB of the relay's resident memory from start-up, which a relay that never sorts a
 * name does not need (issue 18's fixed cost).
 */
export const byRussian = (a: string, b: string): number =>
	(russian ??= new Intl.Collator('ru')).compare(a, b);
