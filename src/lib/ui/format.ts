const dateFormat = new Intl.DateTimeFormat('ru-RU', { day: 'numeric', month: 'long' });
const timeFormat = new Intl.DateTimeFormat('ru-RU', { hour: '2-digit', minute: '2-digit' });

/** '2026-12-10' → «10 декабря». Calendar dates are parsed as local dates, never shifted by time zone. */
export function formatDate(isoDate: string): string {
	const [y, m, d] = isoDate.split('-').map(Number);
	if (!y || !m || !d) return isoDate;
	return dateFormat.format(new Date(y, m - 1, d));
}

export function formatTime(iso: string): string {
	const date = new Date(iso);
	return Number.isNaN(date.getTime()) ? '' : timeFormat.format(date);
}

/** Russian plural: plural(3, ['изменение', 'изменения', 'изменений']) → 'изменения'. */
export function plural(n: number, forms: [string, string, string]): string {
	const mod10 = n % 10;
	const mod100 = n % 100;
	if (mod10 === 1 && mod100 !== 11) return forms[0];
	if (mod10 >= 2 && mod10 <= 4 && (mod100 < 12 || mod100 > 14)) return forms[1];
	return forms[2];
}
