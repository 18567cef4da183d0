import { addDays, type IsoDate } from '$lib/shared/program';
import { today as todayIn } from '$lib/shared/time';

/** What the phone needs of a program to know its day: the zone its document carries. */
export interface Zoned {
	meta: { timeZone: string };
}

/**
 * Today's calendar date where the program's school is (its document's zone), not on this device:
 * the phone offline and the curator's server must agree on "overdue" at any hour.
 */
export function today(program: Zoned, now: Date = new Date()): IsoDate {
	return todayIn(program.meta.timeZone, now);
}

export function inDays(program: Zoned, days: number, now: Date = new Date()): IsoDate {
	return addDays(today(program, now), days);
}
