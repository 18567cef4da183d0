import { addDays, calendarDate, type IsoDate } from '$lib/shared/program';

/** Today's calendar date on this device, in its own time zone. */
export function today(now: Date = new Date()): IsoDate {
	return calendarDate(now, -now.getTimezoneOffset());
}

export function inDays(days: number, now: Date = new Date()): IsoDate {
	return addDays(today(now), days);
}
