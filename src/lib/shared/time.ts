// One clock for the phone and the server. "Today", deadlines, "overdue" and every date printed
// in a document are computed in the program's IANA time zone (written into the program document
// at creation from its organization's zone), never in UTC and never in the device's own zone:
// a school in Vladivostok and its curator's server in Moscow must agree on what day it is there.
// Pure functions of (instant, zone); the runtime does the zone arithmetic (Temporal where it has
// it, Intl otherwise), so no tz database ships here.
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

/**
 * The part of Temporal used here (TypeScript 5.9's lib does not declare it). Chromium (144+) and
 * Firefox (139+) have it; Node 20–24 and Safari do not, and take the Intl path.
 */
interface TemporalZoned {
	year: number;
	month: number;
	day: number;
	hour: number;
	minute: number;
	second: number;
}
interface TemporalLike {
	Instant: {
		fromEpochMilliseconds(ms: number): { toZonedDateTimeISO(zone: string): TemporalZoned };
	};
}

/**
 * Why Temporal first: the first Intl.DateTimeFormat of a page starts ICU's locale data, 85–200 ms
 * at Lighthouse's 4× slowdown — the longest single piece of the program screen's first render —
 * while Temporal answers the same zone question in 2–12 ms (docs/benchmarks.md, "The program page
 * without ICU's first format"). Both read the runtime's own tz data;
 * tests/e2e/zone-arithmetic.spec.ts checks that they agree in Chromium.
 */
const temporal = (globalThis as { Temporal?: TemporalLike }).Temporal;

const validity = new Map<string, boolean>();

/** Whether `zone` is an IANA time zone this runtime knows ('Asia/Vladivostok'; not 'UTC+10'). */
export function isTimeZone(zone: unknown): zone is string {
	if (typeof zone !== 'string' || zone.length === 0 || zone.length > 64) return false;
	let ok = validity.get(zone);
	if (ok === undefined) {
		try {
			if (temporal) temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(zone);
			else new Intl.DateTimeFormat('ru-RU', { timeZone: zone });
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
const partsFormats = new Map<string, Intl.DateTimeFormat>();

function fields(instant: Date | number, zone: string): Record<string, number> {
	const t = typeof instant === 'number' ? instant : instant.getTime();
	if (Number.isNaN(t)) throw new RangeError('invalid Date');
	if (temporal) {
		const z = temporal.Instant.fromEpochMilliseconds(Math.trunc(t)).toZonedDateTimeISO(zone);
		return {
			year: z.year,
			month: z.month,
			day: z.day,
			hour: z.hour,
			minute: z.minute,
			second: z.second
		};
	}
	let f = partsFormats.get(zone);
	if (!f) {
		f = new Intl.DateTimeFormat('ru-RU', {
			timeZone: zone,
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			second: '2-digit',
			hourCycle: 'h23'
		});
		partsFormats.set(zone, f);
	}
	const out: Record<string, number> = {};
	for (const p of f.formatToParts(t)) if (p.type !== 'literal') out[p.type] = Number(p.value);
	return out;
}

/** Zero-padded digits: pad(7) → '07', pad(5, 4) → '0005'. */
export const pad = (n: number, w = 2) => String(n).padStart(w, '0');

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
	const p = fields(instant, zone);
	return `${pad(p.hour ?? 0)}:${pad(p.minute ?? 0)}`;
}

/** Month names in the genitive, as ICU's ru-RU writes a long month after the day («10 декабря»). */
const MONTHS_GENITIVE = [
	'января',
	'февраля',
	'марта',
	'апреля',
	'мая',
	'июня',
	'июля',
	'августа',
	'сентября',
	'октября',
	'ноября',
	'декабря'
] as const;

/**
 * A day in words, exactly as `Intl.DateTimeFormat('ru-RU', { day: 'numeric', month: 'long',
 * year?: 'numeric' })` writes it: (2026, 12, 10) → «10 декабря 2026 г.» or «10 декабря». Written
 * out because the first Intl.DateTimeFormat of a page is the costliest step of the program
 * screen's first render (see `temporal` above); time.test.ts compares every month with Intl.
 */
export function dayInWords(year: number, month: number, day: number, withYear: boolean): string {
	const words = `${day} ${MONTHS_GENITIVE[month - 1] ?? ''}`;
	return withYear ? `${words} ${year} г.` : words;
}

/**
 * A calendar date in words: '2026-12-10' → «10 декабря» (or «10 декабря 2026 г.» with the year).
 * Calendar dates are days, not instants: no zone is involved (an impossible day such as
 * 2026-02-31 reads as the day it rolls over to, as a Date would).
 */
export function formatDateLong(date: IsoDate, withYear = true): string {
	const [y, m, d] = date.split('-').map(Number);
	if (!y || !m || !d) return date;
	const day = new Date(Date.UTC(y, m - 1, d));
	return dayInWords(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), withYear);
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
