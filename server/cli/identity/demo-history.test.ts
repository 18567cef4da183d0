// The demo's programs, as the dashboard sees them: 300 of them built in memory exactly as the
// demo builds them (template cycle, seeded history), then summarized as of one day. The spread is
// counted: stages, progress, overdue, reports, meetings, completions, cancellations.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
	TEMPLATES,
	createProgram,
	loadTemplate,
	summarize,
	type ProgramSummary
} from '../../../src/lib/shared/program/index.js';
import { addDays } from '../../../src/lib/shared/program/dates.js';
import { planDemoProgram, type DemoScenario } from './demo-history.js';

const TODAY = '2026-11-24';
const people = { mentor: 'p-mentor', mentee: 'p-mentee', curator: 'p-curator' };

async function build(seed: number) {
	const infos = TEMPLATES.filter((t) => t.id !== 'blank');
	const info = infos[(seed - 1) % infos.length]!;
	const template = await loadTemplate(info.id);
	const plan = planDemoProgram(seed, TODAY, template.durationMonths, people);
	const doc = new Y.Doc();
	const decisions = new Y.Doc();
	createProgram(doc, { userId: people.curator, role: 'curator' }, template, {
		startDate: plan.startDate,
		organization: 'МАОУ СОШ № 1',
		clock: () => new Date(`${plan.startDate}T08:00:00Z`),
		participants: [
			{ role: 'mentor', name: 'Иванова Мария Сергеевна', userId: people.mentor },
			{ role: 'mentee', name: 'Петров Сергей Иванович', userId: people.mentee },
			{ role: 'curator', name: 'Сидорова Анна Викторовна', userId: people.curator }
		]
	});
	plan.write(doc, decisions);
	return { plan, summary: summarize(doc, TODAY, decisions), template: info.id };
}

/** What the dashboard shows of a program, without ids (random per build). */
const shown = (s: ProgramSummary) => ({
	status: s.status,
	stage: [s.stage.phase, s.stage.index],
	progress: s.progress,
	overdue: s.overdue.count,
	reports: { ...s.reports, dueKeys: s.reports.dueKeys.length },
	meetings: s.meetings.count,
	completion: s.completion
});

describe('the demo programs', () => {
	it('are at realistic, varied points of their life (300 programs)', async () => {
		const all: Array<{ scenario: DemoScenario; s: ProgramSummary; start: string }> = [];
		for (let seed = 1; seed <= 300; seed++) {
			const { plan, summary } = await build(seed);
			expect(summary.problems).toEqual([]);
			all.push({ scenario: plan.scenario, s: summary, start: plan.startDate });
		}
		const count = (f: (x: (typeof all)[number]) => boolean) => all.filter(f).length;
		const byScenario = (k: DemoScenario) => count((x) => x.scenario === k);

		// Every kind is there, and the programs in progress are the bulk.
		for (const k of ['not-started', 'cancelled', 'completed', 'ended-early', 'lagging'] as const)
			expect(byScenario(k), k).toBeGreaterThan(3);
		expect(byScenario('on-track')).toBeGreaterThan(120);

		// Statuses: drafts, programs being carried out, completed ones.
		const active = all.filter((x) => x.s.status === 'active');
		expect(count((x) => x.s.status === 'draft')).toBeGreaterThan(5);
		expect(count((x) => x.s.status === 'completed')).toBeGreaterThan(20);
		expect(active.length).toBeGreaterThan(150);
		expect(count((x) => x.s.status === 'draft')).toBeLessThan(60);

		// Not all at one stage: the programs in progress are spread over at least four stages,
		// none holding more than 60 % of them.
		const stages = new Map<number, number>();
		for (const x of active.filter((y) => y.s.stage.phase === 'in-progress'))
			stages.set(x.s.stage.index, (stages.get(x.s.stage.index) ?? 0) + 1);
		expect(stages.size).toBeGreaterThanOrEqual(4);
		expect(Math.max(...stages.values())).toBeLessThan(active.length * 0.6);

		// Past their first month, every program in progress has done something and met.
		const running = active.filter((x) => x.start <= addDays(TODAY, -31));
		expect(running.length).toBeGreaterThan(100);
		for (const x of running) {
			expect(x.s.progress.done, x.s.title).toBeGreaterThan(0);
			expect(x.s.meetings.count).toBeGreaterThan(0);
		}
		// Progress is proportionate: the average percent grows with the time elapsed.
		const pct = (xs: typeof all) =>
			xs.reduce((a, x) => a + x.s.progress.percent, 0) / Math.max(1, xs.length);
		const early = running.filter((x) => x.s.stage.index <= 1);
		const late = running.filter((x) => x.s.stage.index >= 2);
		expect(early.length).toBeGreaterThan(10);
		expect(late.length).toBeGreaterThan(10);
		expect(pct(late)).toBeGreaterThan(pct(early));
		// Completed programs did their whole plan (or ended early on the participants' initiative).
		for (const x of all.filter((y) => y.s.completion?.reason === 'plan-completed'))
			expect(x.s.progress.percent).toBe(100);

		// Overdue: a minority of the programs in progress, but some.
		const overdue = count((x) => x.s.status === 'active' && x.s.overdue.count > 0);
		expect(overdue).toBeGreaterThan(5);
		expect(overdue).toBeLessThan(active.length * 0.35);

		// Reports in every state the curator deals with.
		const sum = (k: 'submitted' | 'accepted' | 'returned' | 'due' | 'draft') =>
			all.reduce((a, x) => a + x.s.reports[k], 0);
		expect(sum('accepted')).toBeGreaterThan(100);
		expect(sum('submitted')).toBeGreaterThan(5);
		expect(sum('returned')).toBeGreaterThan(2);
		expect(sum('due')).toBeGreaterThan(5);
	}, 120_000);

	it('is deterministic: the same seed and day give the same program', async () => {
		for (const seed of [1, 7, 42]) {
			const a = await build(seed);
			const b = await build(seed);
			expect(b.plan.scenario).toBe(a.plan.scenario);
			expect(b.plan.startDate).toBe(a.plan.startDate);
			expect(shown(b.summary)).toEqual(shown(a.summary));
		}
	});
});
