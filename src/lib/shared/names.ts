/**
 * A person as Russian documents abbreviate them: surname and initials («Иванова М.С.»). Used where
 * two documents must be told apart by whom they are about (export file names: a mentor with two
 * mentees downloads two distinct «ППН …» files).
 */

/** 'Иванова Мария Сергеевна' → 'Иванова М.С.'; 'Иванова' → 'Иванова'; '' → ''. */
export function surnameInitials(fullName: string): string {
	const [surname, ...rest] = fullName.trim().split(/\s+/).filter(Boolean);
	if (!surname) return '';
	// A double given name («Анна-Мария») keeps both initials: «А.-М.».
	const initials = rest
		.map((part) =>
			part
				.split('-')
				.map((p) => (p ? `${p[0]?.toUpperCase()}.` : ''))
				.join('-')
		)
		.join('');
	return initials ? `${surname} ${initials}` : surname;
}

/** Several people abbreviated: «Иванова М.С., Петров П.П.»; more than `max`: the first ones and «и др.». */
export function namesShort(fullNames: readonly string[], max = 2): string {
	const short = fullNames.map(surnameInitials).filter(Boolean);
	if (short.length <= max) return short.join(', ');
	return `${short.slice(0, max).join(', ')} и др.`;
}
