// One clock for the phone and the server. "Today", deadlines, "overdue" and every date printed
// in a document are computed in the program's IANA time zone (written into the program document
// at creation from its organization's zone), never in UTC and never in the device's own zone:
// a school in Vladivostok and its curator's server in Moscow must agree on what day it is there.
// Pure functions of (instant, zone); `Intl` does the zone arithmetic, so no tz database ships here.
import { addDays, addMonths, daysBetween, isIsoDate, type IsoDate } from './program/dates';

export { addDays, addMonths, daysBetween, isIsoDate, type IsoDate };

/** The zone of programs and organizations that never chose one (and of documents written before zones). */
export const DEFAULT_TIME_ZONE = 'Europe/Moscow';

/** The Russian zones offered on the organization screen (west to east), with their Russian names. */
export const RUSSIAN_TIME_ZONES: ReadonlyArray<{ id: string; label: string }> = [
	{ id: 'Europe/Kaliningrad', label: 'Калининград (МСК−1)' },
	{ id: 'Europe/Moscow', label: 'Москва (МСК)' },
	{ id: 'Europe/Samara', label: 'Самара (МСК+1)' },
	{ id: 'Asia/Yekaterinburg', label: 'Екатеринбург (МСК+2)' },
	{ id: 'Asia/Omsk', label: 'Омск (МСК+3)' },
	{ id: 'Asia/Krasnoyarsk', label: 'Красноярск (МСК+4)' },
	{ id: 'Asia/Irkutsk', label: 'Иркутск (МСК+5)' },
	{ id: 'Asia/Yakutsk', label: 'Якутск (МСК+6)' },
	{ id: 'Asia/Vladivostok', label: 'Владивосток (МСК+7)' },
	{ id: 'Asia/Magadan', label: 'Магадан (МСК+8)' },
	{ id: 'Asia/Kamchatka', label: 'Камчатка (МСК+9)' }
];

/** Russian message for a zone the runtime does not know (shown to the user as is). */
export const TIME_ZONE_ERROR_RU =
	'Неизвестный часовой пояс. Выберите пояс из списка (например, Europe/Moscow).';

const validity = new Map<string, boolean>();

/** Whether `zone` is an IANA time zone this runtime knows ('Asia/Vladivostok'; not 'UTC+10'). */
export function isTimeZone(zone: unknown): zone is string {
	if (typeof zone !== 'string' || zone.length === 0 || zone.length > 64) return false;
	let ok = validity.get(zone);
	if (ok === undefined) {
		try {
			new Intl.DateTimeFormat('ru-RU', { timeZone: zone });
			// Offsets ('+03:00') are accepted by newer engines but are not places: no DST history.
			ok = /^[A-Za-z]/.test(zone);
		} catch {
			ok = false;
		}
		validity.set(zone, ok);
	}
	return ok;
}

/** The zone to compute in: `zone` when valid, the default otherwise (absent in old documents). */
export function zoneOr(zone: unknown, fallback: string = DEFAULT_TIME_ZONE): string {
	return isTimeZone(zone) ? zone : fallback;
}

// Intl.DateTimeFormat construction is slow (tens of µs); the server formats thousands of dates.
const formats = new Map<string, Intl.DateTimeFormat>();
function format(zone: string, key: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
	const k = `${zone}|${key}`;
	let f = formats.get(k);
	if (!f) {
		f = new Intl.DateTimeFormat('ru-RU', { ...opts, timeZone: zone });
		formats.set(k, f);
	}
	return f;
}

function fields(instant: Date | number, zone: string): Record<string, number> {
	const d = typeof instant === 'number' ? new Date(instant) : instant;
	if (Number.isNaN(d.getTime())) throw new RangeError('invalid Date');
	const f = format(zone, 'parts', {
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit',
		second: '2-digit',
		hourCycle: 'h23'
	});
	const out: Record<string, number> = {};
	for (const p of f.formatToParts(d)) if (p.type !== 'literal') out[p.type] = Number(p.value);
	return out;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The last day asked for: a summary asks for the same instant and zone twice (issue 18). */
let lastDay: { t: number; zone: string; day: IsoDate } | null = null;

/** The calendar day ('YYYY-MM-DD') that `instant` falls on in `zone`. */
export function localDate(instant: Date | number, zone: string): IsoDate {
	const t = typeof instant === 'number' ? instant : instant.getTime();
	if (lastDay && lastDay.t === t && lastDay.zone === zone) return lastDay.day;
	const p = fields(instant, zone);
	const day = `${pad(p.year ?? 0, 4)}-${pad(p.month ?? 0)}-${pad(p.day ?? 0)}`;
	lastDay = { t, zone, day };
	return day;
}

/** Today in `zone`: the day every rule (overdue, due reports, current stage) is computed for. */
export function today(zone: string, now: Date | number = Date.now()): IsoDate {
	return localDate(now, zone);
}

/** Offset of `zone` from UTC at `instant`, in minutes east (Kamchatka: 720). */
export function zoneOffsetMinutes(instant: Date | number, zone: string): number {
	const t = typeof instant === 'number' ? instant : instant.getTime();
	const p = fields(t, zone);
	const asUtc = Date.UTC(
		p.year ?? 1970,
		(p.month ?? 1) - 1,
		p.day ?? 1,
		p.hour ?? 0,
		p.minute ?? 0,
		p.second ?? 0
	);
	return Math.round((asUtc - (t - (t % 1000))) / 60_000);
}

/** The instant of local midnight starting `date` in `zone` (for tests and "from the start of the day" bounds). */
export function startOfDay(date: IsoDate, zone: string): number {
	const [y, m, d] = date.split('-').map(Number) as [number, number, number];
	const guess = Date.UTC(y, m - 1, d);
	// Two rounds settle a DST change between the guess and the result.
	let t = guess - zoneOffsetMinutes(guess, zone) * 60_000;
	t = guess - zoneOffsetMinutes(t, zone) * 60_000;
	return t;
}

// ---------- formatting (Russian, in the zone) ------------------------------------------------

/** '2026-12-10' → '10.12.2026' (a calendar date: no zone involved). */
export function formatDateNumeric(date: IsoDate): string {
	return date.split('-').reverse().join('.');
}

/** An instant as 'ДД.ММ.ГГГГ ЧЧ:ММ' in `zone` (document stamps: "сформировано …"). */
export function formatDateTime(instant: Date | number, zone: string): string {
	const p = fields(instant, zone);
	return `${pad(p.day ?? 0)}.${pad(p.month ?? 0)}.${p.year ?? 0} ${pad(p.hour ?? 0)}:${pad(p.minute ?? 0)}`;
}

/** An instant as 'ЧЧ:ММ' in `zone`. */
export function formatTimeIn(instant: Date | number, zone: string): string {
	return format(zone, 'ru-time', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
		typeof instant === 'number' ? new Date(instant) : instant
	);
}

/**
 * A calendar date in words: '2026-12-10' → «10 декабря» (or «10 декабря 2026 г.» with the year).
 * Calendar dates are days, not instants: formatted at UTC noon in UTC so no zone can shift them.
 */
export function formatDateLong(date: IsoDate, withYear = true): string {
	const [y, m, d] = date.split('-').map(Number);
	if (!y || !m || !d) return date;
	const f = format('UTC', withYear ? 'ru-long-year' : 'ru-long', {
		day: 'numeric',
		month: 'long',
		...(withYear ? { year: 'numeric' } : {})
	});
	return f.format(new Date(Date.UTC(y, m - 1, d, 12)));
}

// ---------- plurals -------------------------------------------------------------------------

export interface PluralForms {
	/** 1, 21, 101 … программа */
	one: string;
	/** 2–4, 22–24 … программы */
	few: string;
	/** 0, 5–20, 25 … программ */
	many: string;
	/** Fractions (1,5 программы); defaults to `few`. */
	other?: string;
}

/**
 * Made on first use: building ICU's rules at module load touches its locale data, ~2 MB of the
 * relay's resident memory that an idle relay (which never writes a plural) need not hold (#18).
 */
let pluralRules: Intl.PluralRules | undefined;

/** The Russian form for `n`: plural(3, { one: 'этап', few: 'этапа', many: 'этапов' }) → 'этапа'. */
export function plural(n: number, forms: PluralForms): string {
	pluralRules ??= new Intl.PluralRules('ru-RU');
	switch (pluralRules.select(n)) {
		case 'one':
			return forms.one;
		case 'few':
			return forms.few;
		case 'many':
			return forms.many;
		default:
			return forms.other ?? forms.few;
	}
}

/** `n` with its word: countOf(5, DAYS) → '5 дней'. */
export function countOf(n: number, forms: PluralForms): string {
	return `${n} ${plural(n, forms)}`;
}

export const DAYS: PluralForms = { one: 'день', few: 'дня', many: 'дней' };
export const MONTHS: PluralForms = { one: 'месяц', few: 'месяца', many: 'месяцев' };
export const PROGRAMS: PluralForms = { one: 'программа', few: 'программы', many: 'программ' };
export const STAGES: PluralForms = { one: 'этап', few: 'этапа', many: 'этапов' };
export const MENTORS: PluralForms = { one: 'наставник', few: 'наставника', many: 'наставников' };
export const MENTEES: PluralForms = {
	one: 'наставляемый',
	few: 'наставляемых',
	many: 'наставляемых'
};
export const ACTIVITIES: PluralForms = {
	one: 'мероприятие',
	few: 'мероприятия',
	many: 'мероприятий'
};
