/**
 * The monitoring calendar of a scope for a year: the items of its municipality's calendar
 * (configured by the municipal coordinator, else the default — src/lib/shared/calendar.ts, the
 * seeds' calendars as presets), each with its live figures for its date and the documents it
 * pre-fills (the scope's справка / отчет for the item's period, the monitoring tables).
 */
import { DEFAULT_TIME_ZONE, addDays, startOfDay } from '../../src/lib/shared/time.js';
import {
	itemDate,
	itemPeriod,
	responsibleText,
	type CalendarConfig,
	type CalendarItem
} from '../../src/lib/shared/calendar.js';
import { SCOPE_DOC_TITLES } from '../../src/lib/shared/api/scope-documents.js';
import { mentorReportsRequired } from '../../src/lib/shared/program/regulation.js';
import { notCancelled } from './cancelled.js';
import { early } from './early.js';
import type { SqlClient } from '../storage/sql.js';
import type { Scope } from './dashboard.js';
import { figuresAt, plansAt, sourcesOf, type Sources } from './figures.js';
import { documentStates, stateKey } from './scope-documents.js';
import type { CalendarDocument, CalendarEvent } from '../../src/lib/shared/api/curator.js';

export type { CalendarDocument, CalendarEvent };

const addDaysIso = (d: string, n: number) => addDays(d, n);

export interface CalendarScope extends Scope {
	kind: 'organization' | 'municipality';
	id: string;
	name: string;
}

export async function monitoringCalendar(
	db: SqlClient,
	scope: CalendarScope,
	opts: {
		year: number;
		today: string;
		/** The clock `today` was read from (the figures' own today: the same day). */
		now?: number;
		config: CalendarConfig;
		/** The municipality's organizations (its calendar links each one's аналитическая справка). */
		organizations: Array<{ id: string; name: string }>;
	}
): Promise<CalendarEvent[]> {
	const y = opts.year;
	const ids = scope.organizationIds;
	const municipal = scope.kind === 'municipality';
	// Cancelled programs owe nothing (server/curator/cancelled.ts).
	const inScope =
		(ids.length ? `organization_id IN (${ids.map(() => '?').join(',')})` : '1 = 0') +
		` AND ${notCancelled('program_id')}`;
	const scalar = async (sql: string, p: unknown[]) =>
		(await db.get<{ n: number | null }>(sql, p))?.n ?? 0;
	// Each item's figures are those of its date (the state then, from the programs' history: a
	// program created later is not counted); a date still ahead shows today's state.
	const asOf = (date: string) => (date <= opts.today ? date : opts.today);
	// What the items read from the database, asked for at once: PostgreSQL answers on its own
	// core while the figures are computed here.
	const sources = early(sourcesOf(db, ids));
	const states = early(linkedDocumentStates(db, scope, opts.organizations));
	let practices: Promise<number[]> | null = null;
	/** `read` of a date once per request, as on the date (asOf), with the sources read once. */
	const onceByDate = <T>(read: (date: string, sources: Sources) => Promise<T>) => {
		const known = new Map<string, Promise<T>>();
		return (date: string): Promise<T> => {
			const d = asOf(date);
			let p = known.get(d);
			if (!p) known.set(d, (p = (async () => read(d, await sources))()));
			return p;
		};
	};
	const at = onceByDate((d, read) => figuresAt(db, scope, d, opts.now, read));
	// Both report items of a year still ahead are as on today: one scan.
	const plansOn = onceByDate((d, read) => plansAt(db, ids, d, read));
	/** Programs owing the semi-annual report of `period` (YYYY-06 / YYYY-12): ran ≥ 1 month before the date and overlap the half-year. */
	const semiannual = async (period: string, due: string) => {
		const monthBefore = addDaysIso(due, -30);
		const halfYearBefore = addDaysIso(due, -183);
		// After the date, a report still missing is listed in the summary's due keys — only in
		// summaries with reports due, so only those are read (not every summary of a region).
		const missing =
			due <= opts.today
				? early(
						scalar(
							`SELECT count(*) AS n FROM curator_program_index i JOIN program_summaries s ON s.program_id = i.program_id
							WHERE ${inScope.replace('organization_id', 'i.organization_id').replace(notCancelled('program_id'), notCancelled('i.program_id'))}
								AND i.reports_due > 0 AND instr(s.summary, ?) > 0`,
							[...ids, `"mentor:${period}"`]
						)
					)
				: null;
		let expected = 0;
		for (const { plan, programs } of await plansOn(due))
			if (
				// Only programs whose regulation asks for the report (head mentoring, Tomsk 2024).
				mentorReportsRequired(plan.templateId) &&
				plan.startDate !== null &&
				plan.startDate <= monthBefore &&
				(plan.endDate === null || plan.endDate >= halfYearBefore)
			)
				expected += programs;
		const figures = [{ label: 'программ, которые должны представить отчет', value: expected }];
		if (missing !== null)
			figures.push({ label: 'из них отчет не представлен', value: await missing });
		return figures;
	};
	const figuresOf = async (
		i: CalendarItem,
		date: string
	): Promise<Array<{ label: string; value: number }>> => {
		switch (i.measure) {
			case 'none':
				return [];
			case 'inclusion': {
				// Monitoring of forms and of the inclusion of pedagogues and pupils (Divnogorsk 2022 p. 5.2).
				const f = await at(date);
				return [
					{ label: 'программ реализуется', value: f.programs.active },
					{ label: 'форм наставничества', value: f.byForm.filter((r) => r.key !== '').length },
					{ label: 'наставляемых-педагогов', value: f.participants.pedagogues.mentees },
					{ label: 'наставляемых-обучающихся', value: f.participants.learners.mentees }
				];
			}
			case 'programs': {
				const f = await at(date);
				return [
					{ label: 'программ реализуется', value: f.programs.active },
					{ label: 'завершено', value: f.programs.completed },
					{ label: 'программ', value: f.programs.total }
				];
			}
			case 'regional': {
				const f = await at(date);
				return [
					{ label: 'программ', value: f.programs.total },
					{ label: 'наставляемых', value: f.participants.mentees }
				];
			}
			case 'semiannual-reports':
				return semiannual(
					`${date.slice(0, 4)}-${Number(date.slice(5, 7)) <= 6 ? '06' : '12'}`,
					date
				);
			case 'cases': {
				// Practices entered by the end of the item's day (in the scope's zone).
				const end = startOfDay(addDays(asOf(date), 1), scope.timeZone ?? DEFAULT_TIME_ZONE);
				const entered = await (practices ??= practicesEntered(db, ids));
				return [
					{
						label: 'практик в реестре успешных практик',
						value: entered.filter((createdAt) => createdAt < end).length
					}
				];
			}
			case 'mentee-list': {
				const f = await at(date);
				return [
					{ label: 'наставляемых', value: f.participants.mentees },
					{ label: 'молодых педагогов в организациях', value: f.youngTeachers.inRegistry },
					{ label: 'из них наставляемых', value: f.youngTeachers.covered }
				];
			}
		}
	};

	// Every item's figures at once: the dates' figures share one read of the sources.
	const figures = await Promise.all(opts.config.items.map((i) => figuresOf(i, itemDate(i, y))));
	const written = await states;
	const scopeDoc = (
		docKind: 'info-note' | 'analytic-note' | 'analytic-report',
		target: { kind: 'organization' | 'municipality'; id: string; name: string },
		period: { from: string; to: string }
	): CalendarDocument => {
		const s = written.get(stateKey(target.id, docKind, period.from, period.to));
		return {
			kind: 'scope-document',
			docKind,
			label:
				municipal && target.kind === 'organization'
					? `${SCOPE_DOC_TITLES[docKind]}: ${target.name}`
					: SCOPE_DOC_TITLES[docKind],
			scope: target,
			...period,
			versions: s?.versions ?? 0,
			handedIn: s?.handedIn ?? false
		};
	};
	const self = { kind: scope.kind, id: scope.id, name: scope.name };
	const documentsOf = (i: CalendarItem, date: string): CalendarDocument[] => {
		const period = itemPeriod(i.period, date);
		const out: CalendarDocument[] = [];
		for (const d of i.documents)
			switch (d) {
				case 'info-note':
					out.push(scopeDoc('info-note', self, period));
					break;
				case 'analytic-note':
					if (!municipal) out.push(scopeDoc('analytic-note', self, period));
					else
						for (const o of opts.organizations)
							out.push(scopeDoc('analytic-note', { kind: 'organization', ...o }, period));
					break;
				case 'analytic-report':
					// The municipality's: its organizations do not write it.
					if (municipal) out.push(scopeDoc('analytic-report', self, period));
					break;
				case 'monitoring-xlsx':
					out.push({ kind: 'monitoring-xlsx', label: 'Таблица мониторинга (XLSX)' });
					break;
				case 'registries-xlsx':
					out.push({
						kind: 'registries-xlsx',
						label: 'Реестры: наставники, наставляемые, программы, успешные практики (XLSX)'
					});
					break;
				case 'reports-due':
					out.push({
						kind: 'dashboard',
						label: 'Программы с непредставленными отчетами',
						flag: 'reports-due'
					});
					break;
			}
		return out;
	};

	const soon = addDaysIso(opts.today, 30);
	const events = opts.config.items.map((i, k): CalendarEvent => {
		const date = itemDate(i, y);
		return {
			id: `${y}-${i.id}`,
			itemId: i.id,
			date,
			title: i.title,
			basis: i.basis,
			responsible: responsibleText(i, opts.config.bodyName),
			figures: figures[k]!,
			documents: documentsOf(i, date),
			state: date < opts.today ? 'past' : date <= soon ? 'soon' : 'upcoming'
		};
	});
	return events.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** Written versions of the documents a calendar links to (a handed-in one says so). */
async function linkedDocumentStates(
	db: SqlClient,
	scope: CalendarScope,
	organizations: Array<{ id: string }>
): ReturnType<typeof documentStates> {
	if (scope.kind === 'organization') return documentStates(db, 'organization', [scope.id]);
	const [own, theirs] = await Promise.all([
		documentStates(db, 'municipality', [scope.id]),
		documentStates(
			db,
			'organization',
			organizations.map((o) => o.id)
		)
	]);
	return new Map([...own, ...theirs]);
}

/** When each practice of the scope's registry of successful practices (not withdrawn) was entered. */
async function practicesEntered(db: SqlClient, ids: string[]): Promise<number[]> {
	if (ids.length === 0) return [];
	const rows = await db.all<{ created_at: number }>(
		`SELECT created_at FROM curator_cases
			WHERE withdrawn_at IS NULL AND organization_id IN (${ids.map(() => '?').join(',')})`,
		ids
	);
	return rows.map((r) => Number(r.created_at));
}
