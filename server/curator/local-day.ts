/**
 * "Today" per program inside SQL. Programs of one dashboard may live in different time zones
 * (a municipality's organizations may override its zone), so the day a summary is outdated
 * against is the day in its organization's zone: the organization's own, else its
 * municipality's, else Europe/Moscow — the same zone the document carries (identity writes it
 * into every program document of the organization when the zone changes). The day per zone is
 * computed here with Intl and handed to SQL as a CASE over the zones in use (a dozen at most).
 */
import { DEFAULT_TIME_ZONE, isTimeZone, today } from '../../src/lib/shared/time.js';
import type { SqlClient } from '../storage/sql.js';

/** Joins that give alias `i` (curator_program_index) its zone columns. */
export const ZONE_JOINS = `LEFT JOIN organizations oz ON oz.id = i.organization_id
	LEFT JOIN municipalities mz ON mz.id = oz.municipality_id`;

export interface SqlFragment {
	sql: string;
	params: unknown[];
}

/** The zones in use (plus the default): what the CASE must cover. */
async function zonesInUse(db: SqlClient): Promise<string[]> {
	const rows = await db.all<{ z: string | null }>(
		`SELECT time_zone AS z FROM organizations WHERE time_zone IS NOT NULL
		 UNION SELECT time_zone AS z FROM municipalities WHERE time_zone IS NOT NULL`
	);
	const zones = new Set([DEFAULT_TIME_ZONE]);
	for (const r of rows) if (r.z && isTimeZone(r.z)) zones.add(r.z);
	return [...zones];
}

/** The program's local day at `now`: an SQL expression and the joins it needs (ZONE_JOINS, or none). */
export interface LocalDay extends SqlFragment {
	joins: string;
}

export async function localDaySql(db: SqlClient, now: number): Promise<LocalDay> {
	const zones = await zonesInUse(db);
	// Every zone in use on the same date (most of the time: all of a region's schools in one
	// zone): that date, with no join to each program's organization and municipality.
	const days = new Set(zones.map((z) => today(z, now)));
	if (days.size === 1) {
		const [day] = days;
		return {
			sql: db.dialect === 'postgres' ? 'CAST(? AS TEXT)' : '?',
			params: [day],
			joins: ''
		};
	}
	const params: unknown[] = [];
	let sql = `CASE coalesce(oz.time_zone, mz.time_zone, '${DEFAULT_TIME_ZONE}')`;
	for (const z of zones) {
		sql += ' WHEN ? THEN ?';
		params.push(z, today(z, now));
	}
	sql += ' ELSE ? END';
	params.push(today(DEFAULT_TIME_ZONE, now));
	// PostgreSQL must know the parameters' type to compare them with text columns.
	return {
		sql: db.dialect === 'postgres' ? `CAST(${sql} AS TEXT)` : sql,
		params,
		joins: ZONE_JOINS
	};
}

/**
 * "The figures of this summary changed since its day" (alias i, needs ZONE_JOINS): the program's
 * local day moved past its summary's day, and a date stored in the index has been reached.
 */
export function outdatedSql(day: SqlFragment): SqlFragment {
	const d = `(${day.sql})`;
	return {
		sql: `(i.as_of < ${d} AND (
	(i.next_deadline IS NOT NULL AND i.next_deadline < ${d})
	OR (i.next_report_due IS NOT NULL AND i.next_report_due <= ${d})
	OR (i.stage_phase = 'in-progress' AND i.stage_end IS NOT NULL AND i.stage_end < ${d})
	OR (i.stage_phase = 'not-started' AND i.start_date IS NOT NULL AND i.start_date <= ${d})))`,
		params: [...day.params, ...day.params, ...day.params, ...day.params, ...day.params]
	};
}
