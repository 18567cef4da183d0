// Time zones of municipalities and organizations (migration 32): validation with a Russian
// message for the API, and the zone an organization's "today" is computed in.
import { DEFAULT_TIME_ZONE, TIME_ZONE_ERROR_RU, isTimeZone } from '../../src/lib/shared/time.js';
import { invalid } from './errors.js';
import type { Municipality, Organization } from './model.js';

/** An IANA zone the runtime knows, or null (= the default); anything else is a 400 in Russian. */
export function checkTimeZone(zone: string | null | undefined): string | null {
	if (zone === null || zone === undefined || zone === '') return null;
	if (!isTimeZone(zone)) throw invalid(TIME_ZONE_ERROR_RU);
	return zone;
}

/** The organization's own zone, else its municipality's, else Europe/Moscow. */
export function effectiveTimeZone(
	org: Pick<Organization, 'timeZone'> | null,
	mun: Pick<Municipality, 'timeZone'> | null
): string {
	return org?.timeZone ?? mun?.timeZone ?? DEFAULT_TIME_ZONE;
}
