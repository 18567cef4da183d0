import { expect, test } from '@playwright/test';
import { localDate, zoneOffsetMinutes } from '../../src/lib/shared/time';
import { pageBundle } from '../support/page-bundle';

/**
 * The phone and the server must agree on what day it is in a program's zone. In Chromium
 * src/lib/shared/time.ts does its zone arithmetic with Temporal (the first Intl.DateTimeFormat of
 * a page costs its first render ~25 ms of ICU start-up); Node, which has no Temporal, uses
 * Intl.DateTimeFormat. Here the same module runs in real Chromium and its answers are compared
 * with Node's for every Russian zone, zones with summer time and half-hour offsets, over the
 * years around Russia's changes of 2011, 2014 and 2016 and on both sides of each transition.
 */

const ZONES = [
	'Europe/Kaliningrad',
	'Europe/Moscow',
	'Europe/Samara',
	'Europe/Volgograd',
	'Europe/Astrakhan',
	'Asia/Yekaterinburg',
	'Asia/Omsk',
	'Asia/Tomsk',
	'Asia/Krasnoyarsk',
	'Asia/Irkutsk',
	'Asia/Yakutsk',
	'Asia/Vladivostok',
	'Asia/Magadan',
	'Asia/Kamchatka',
	'Europe/Berlin',
	'America/New_York',
	'Asia/Kolkata',
	'Australia/Lord_Howe'
];

/** Instants every 13 h 7 min from 2010 to 2028 (every hour of the day comes round), and ±1 s of each hour. */
function instants(): number[] {
	const out: number[] = [];
	for (let t = Date.UTC(2010, 0, 1); t < Date.UTC(2028, 0, 1); t += (13 * 60 + 7) * 60_000)
		out.push(t);
	// Transitions happen on the hour (UTC or local): both sides of every hour of 2011's and 2014's changes.
	for (const [from, to] of [
		[Date.UTC(2011, 2, 26), Date.UTC(2011, 2, 28)],
		[Date.UTC(2014, 9, 25), Date.UTC(2014, 9, 27)],
		[Date.UTC(2016, 2, 26), Date.UTC(2016, 2, 28)],
		[Date.UTC(2026, 2, 28), Date.UTC(2026, 2, 30)],
		[Date.UTC(2026, 9, 24), Date.UTC(2026, 9, 26)]
	] as const)
		for (let t = from; t < to; t += 30 * 60_000) out.push(t - 1000, t, t + 1000);
	return out;
}

test('Chromium (Temporal) and Node (Intl) agree on the day and the offset in every zone', async ({
	page
}) => {
	const bundle =
		await pageBundle(`import { localDate, zoneOffsetMinutes } from './src/lib/shared/time';
Object.assign(window, { localDate, zoneOffsetMinutes });`);
	await page.setContent('<!doctype html><title>zones</title>');
	// Without Temporal this would compare Intl with Intl and prove nothing.
	expect(await page.evaluate(() => typeof (globalThis as { Temporal?: unknown }).Temporal)).toBe(
		'object'
	);
	await page.addScriptTag({ content: bundle });

	const ts = instants();
	const inChromium = await page.evaluate(
		({ zones, ts }) => {
			const w = window as unknown as {
				localDate(t: number, zone: string): string;
				zoneOffsetMinutes(t: number, zone: string): number;
			};
			return zones.map((zone) =>
				ts.map((t) => `${w.localDate(t, zone)} ${w.zoneOffsetMinutes(t, zone)}`)
			);
		},
		{ zones: ZONES, ts }
	);
	let compared = 0;
	for (const [i, zone] of ZONES.entries()) {
		const mismatches: string[] = [];
		for (const [j, t] of ts.entries()) {
			const inNode = `${localDate(t, zone)} ${zoneOffsetMinutes(t, zone)}`;
			if (inChromium[i]![j] !== inNode)
				mismatches.push(`${new Date(t).toISOString()}: ${inChromium[i]![j]} ≠ ${inNode}`);
			compared++;
		}
		expect(mismatches.slice(0, 5), zone).toEqual([]);
	}
	expect(compared).toBe(ZONES.length * ts.length);
});
