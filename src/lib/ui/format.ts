const dateFormat = new Intl.DateTimeFormat('ru-RU', { day: 'numeric', month: 'long' });
const dateWithYearFormat = new Intl.DateTimeFormat('ru-RU', {
	day: 'numeric',
	month: 'long',
	year: 'numeric'
});
const timeFormat = new Intl.DateTimeFormat('ru-RU', { hour: '2-digit', minute: '2-digit' });

/**
 * '2026-12-10' → «10 декабря» in the current year, «10 декабря 2027 г.» otherwise (programs run
 * for two years). Calendar dates are parsed as local dates, never shifted by time zone.
 */
export function formatDate(
	isoDate: string,
	{ now = new Date(), year = 'auto' }: { now?: Date; year?: 'auto' | 'always' } = {}
): string {
	const [y, m, d] = isoDate.split('-').map(Number);
	if (!y || !m || !d) return isoDate;
	const date = new Date(y, m - 1, d);
	const short = year === 'auto' && y === now.getFullYear();
	return (short ? dateFormat : dateWithYearFormat).format(date);
}

export function formatTime(iso: string): string {
	const date = new Date(iso);
	return Number.isNaN(date.getTime()) ? '' : timeFormat.format(date);
}

/** Russian plural (Intl.PluralRules): one helper for the phone, the curator screens and the server. */
export { plural, countOf, type PluralForms } from '$lib/shared/time';

/** «3 изменения ждут отправки». */
export const PENDING = {
	one: 'изменение ждёт',
	few: 'изменения ждут',
	many: 'изменений ждут'
} as const;

/** «из 21 мероприятия», «из 5 мероприятий» (genitive after «из»). */
export const OF_ACTIVITIES = {
	one: 'мероприятия',
	few: 'мероприятий',
	many: 'мероприятий'
} as const;

/** «1 комментарий», «3 комментария», «5 комментариев» (mentor ↔ mentee comments). */
export const COMMENTS = {
	one: 'комментарий',
	few: 'комментария',
	many: 'комментариев'
} as const;

/** «1 файл», «3 файла», «5 файлов» (attachments of an activity, a meeting, a report). */
export const FILES = {
	one: 'файл',
	few: 'файла',
	many: 'файлов'
} as const;

/** «1 файл ещё не загружен», «3 файла ещё не загружены» (sign-out's warning). */
export const FILES_UNSENT = {
	one: 'файл ещё не загружен',
	few: 'файла ещё не загружены',
	many: 'файлов ещё не загружены'
} as const;
