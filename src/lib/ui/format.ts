import { dayInWords, pad } from '$lib/shared/time';

/**
 * '2026-12-10' → «10 декабря» in the current year, «10 декабря 2027 г.» otherwise (programs run
 * for two years). Calendar dates are parsed as local dates, never shifted by time zone. No
 * Intl.DateTimeFormat here: the first one of a page costs the program screen's first render the
 * most of any single step (`dayInWords`).
 */
export function formatDate(
	isoDate: string,
	{ now = new Date(), year = 'auto' }: { now?: Date; year?: 'auto' | 'always' } = {}
): string {
	const [y, m, d] = isoDate.split('-').map(Number);
	if (!y || !m || !d) return isoDate;
	const date = new Date(y, m - 1, d);
	const short = year === 'auto' && date.getFullYear() === now.getFullYear();
	return dayInWords(date.getFullYear(), date.getMonth() + 1, date.getDate(), !short);
}

/** An instant as «ЧЧ:ММ» on this device's clock (when a change was saved, a comment written). */
export function formatTime(iso: string): string {
	const date = new Date(iso);
	return Number.isNaN(date.getTime()) ? '' : `${pad(date.getHours())}:${pad(date.getMinutes())}`;
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
