// Calendar dates are stored as 'YYYY-MM-DD' strings, never as device timestamps: a deadline is a
// day in a school calendar, and a phone with a skewed clock must not be able to shift it.
// All arithmetic is done in UTC days so that it does not depend on the device time zone.

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

export type IsoDate = string;

function parts(s: string, strict = true): [number, number, number] | null {
	const m = ISO_DATE.exec(s);
	if (!m) return null;
	const y = Number(m[1]);
	const mo = Number(m[2]);
	const d = Number(m[3]);
	// Stored dates must be plausible (1900–2200); arithmetic on them may go further.
	if (
		(strict && (y < 1900 || y > 2200)) ||
		y < 1 ||
		mo < 1 ||
		mo > 12 ||
		d < 1 ||
		d > daysInMonth(y, mo)
	)
		return null;
	return [y, mo, d];
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Days in month `m` (1–12) of year `y`. Counted, not asked of a Date: it runs for every date read
 * and every stage boundary of every summary (issue 18). Anything else — a month outside 1–12,
 * years before 100 (which Date.UTC takes for 1900–1999) or after 9999 — gets the Date's answer,
 * as it always did (dates.test.ts compares the two over every month of years -1 to 10001).
 */
export function daysInMonth(y: number, m: number): number {
	if (m >= 1 && m <= 12 && y >= 100 && y <= 9999 && Number.isInteger(y) && Number.isInteger(m)) {
		if (m !== 2) return MONTH_DAYS[m - 1] as number;
		return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
	}
	return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function fmt(y: number, m: number, d: number): IsoDate {
	return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** A real calendar day between 1900 and 2200 in the form 'YYYY-MM-DD'. */
export function isIsoDate(v: unknown): v is IsoDate {
	return typeof v === 'string' && parts(v) !== null;
}

function mustParts(s: IsoDate): [number, number, number] {
	const p = parts(s, false);
	if (!p) throw new RangeError(`not a calendar date: ${JSON.stringify(s)}`);
	return p;
}

/** Adds months, clamping the day (31 January + 1 month = 28/29 February). */
export function addMonths(date: IsoDate, months: number): IsoDate {
	const [y, m, d] = mustParts(date);
	const total = y * 12 + (m - 1) + Math.trunc(months);
	const ny = Math.min(9999, Math.max(1, Math.floor(total / 12)));
	const nm = (total % 12) + 1;
	return fmt(ny, nm, Math.min(d, daysInMonth(ny, nm)));
}

export function addDays(date: IsoDate, days: number): IsoDate {
	const [y, m, d] = mustParts(date);
	const t = new Date(Date.UTC(y, m - 1, d) + Math.trunc(days) * DAY_MS);
	return fmt(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/** Whole days from a to b (positive when b is later). */
export function daysBetween(a: IsoDate, b: IsoDate): number {
	const [y1, m1, d1] = mustParts(a);
	const [y2, m2, d2] = mustParts(b);
	return Math.round((Date.UTC(y2, m2 - 1, d2) - Date.UTC(y1, m1 - 1, d1)) / DAY_MS);
}

/**
 * The calendar day of an instant. Rules take the day, not the instant; callers that hold a Date
 * choose the time zone (offset in minutes east of UTC, e.g. 420 for Tomsk).
 */
export function calendarDate(now: Date | IsoDate, offsetMinutes = 0): IsoDate {
	if (typeof now === 'string') {
		mustParts(now);
		return now;
	}
	const t = new Date(now.getTime() + offsetMinutes * 60_000);
	if (Number.isNaN(t.getTime())) throw new RangeError('invalid Date');
	return fmt(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/**
 * "Who changed it when" stamp: minute precision is enough for people and keeps the document small
 * (an edit inside the same minute does not rewrite the key). Informational only: nothing
 * in the rules depends on it, because device clocks lie.
 */
export function stampOf(now: Date): string {
	const iso = now.toISOString();
	return iso.slice(0, 16) + 'Z';
}
