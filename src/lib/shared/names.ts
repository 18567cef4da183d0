/**
 * A person's short name as Russian documents write it: «Иванова Мария Сергеевна» →
 * «Иванова М. С.» (surname, then initials). The spaces are non-breaking so a narrow card never
 * leaves an initial alone on the next line. A name already written with initials stays as is.
 */
export function shortName(fullName: string): string {
	const words = fullName.trim().split(/\s+/).filter(Boolean);
	if (words.length === 0) return '';
	const [surname, ...rest] = words;
	const initials = rest.map((w) =>
		w
			.split('-')
			.map((part) => (part ? `${part[0]!.toLocaleUpperCase('ru-RU')}.` : ''))
			.join('-')
	);
	return [surname, ...initials].join('\u00a0');
}

/** Several people's short names, comma-separated: «Иванова М. С., Петров П. П.». */
export function shortNames(fullNames: readonly string[]): string {
	return fullNames.map(shortName).filter(Boolean).join(', ');
}
