/**
 * What a demo program has lived through by today, so every screen of the demo shows what it is
 * for: programs at different points of their plan, activities done in proportion to the time
 * elapsed, reports submitted / accepted / returned, meetings logged, a few finished, a few late,
 * a few that have not started. Deterministic: one seeded PRNG per program (`rng`), and dates
 * counted from the given day, so the same seed and day give the same document.
 *
 * The plan is chosen before the program is created (its start date), then `write` plays the
 * history into the freshly built document and decisions document with the program core's editor,
 * under the people's own ids, exactly as their phones and the curator's actions would.
 */
import type * as Y from 'yjs';
import {
	ProgramEditor,
	addDays,
	addMonths,
	daysBetween,
	expectedReports,
	readProgram,
	stageTimeline,
	type MeetingKind
} from '../../../src/lib/shared/program/index.js';
import { rng } from '../../../src/lib/shared/program/fixtures.js';

/** The kinds of demo programs, by share (of 100). */
export type DemoScenario =
	| 'not-started' // approved recently or still a draft, starts now
	| 'on-track' // in progress, everything due is done
	| 'lagging' // in progress, some activities overdue and a report missing
	| 'completed' // the plan done in full, the program closed
	| 'ended-early' // closed early on the participants' initiative
	| 'cancelled'; // created by mistake: cancelled by the curator (not a failure)

export interface DemoPlan {
	scenario: DemoScenario;
	startDate: string;
	/** The history to play into the new documents. */
	write(doc: Y.Doc, decisions: Y.Doc): void;
}

const TOPICS = [
	'Анализ затруднений и запроса наставляемого',
	'Планирование мероприятий этапа',
	'Разбор посещенного урока',
	'Подготовка к педагогическому совету',
	'Работа с документацией образовательной организации',
	'Обсуждение результатов мониторинга',
	'Организация методической работы',
	'Взаимодействие с родителями обучающихся',
	'Подготовка отчета по этапу'
];
const AGREEMENTS = [
	'Подготовить проект плана к следующей встрече.',
	'Посетить урок коллеги и заполнить карту наблюдения.',
	'Собрать предложения педагогического коллектива.',
	'Доработать справку с учетом замечаний.'
];
const NOTES = [
	'Обсудили ход выполнения плана, затруднения сняты частично.',
	'Разобрали типичные ошибки, наставляемый предложил свои решения.',
	'Проанализировали результаты, наметили следующие шаги.'
];
const REPORT_TEXT =
	'Мероприятия этапа выполнены. Наставляемый освоил основные управленческие процедуры, ' +
	'затруднения в планировании сняты; продолжить работу с документацией.';
const RETURN_COMMENT = 'Дополните отчет выводами по каждому мероприятию этапа.';

/**
 * The scenario and start of demo program `seed` as of `today` (both in the program's zone),
 * for a plan of `durationMonths`.
 */
export function planDemoProgram(
	seed: number,
	today: string,
	durationMonths: number,
	people: { mentor: string; mentee: string; curator: string }
): DemoPlan {
	const r = rng(seed * 2654435761 + 17);
	const int = (min: number, max: number) => min + Math.floor(r() * (max - min + 1));
	const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
	const u = r() * 100;
	const scenario: DemoScenario =
		u < 6
			? 'not-started'
			: u < 11
				? 'cancelled'
				: u < 21
					? 'completed'
					: u < 25
						? 'ended-early'
						: u < 40
							? 'lagging'
							: 'on-track';
	// In progress: anywhere from the first weeks to the last month of the plan.
	const monthsAgo =
		scenario === 'not-started' || scenario === 'cancelled'
			? 0
			: scenario === 'completed'
				? durationMonths + int(0, 3)
				: int(0, Math.max(0, durationMonths - 1));
	const startDate =
		scenario === 'not-started'
			? addDays(today, -int(0, 10))
			: addDays(addMonths(today, -monthsAgo), -int(0, 27));

	function write(doc: Y.Doc, decisions: Y.Doc): void {
		let day = startDate;
		// The stamps (updatedAt) follow the simulated day, not the machine's clock.
		const clock = () => new Date(`${day}T09:${String(int(10, 59)).padStart(2, '0')}:00.000Z`);
		const as = (userId: string, role: 'mentor' | 'mentee' | 'curator') =>
			new ProgramEditor(doc, { userId, role }, { decisions, clock });
		const mentor = as(people.mentor, 'mentor');
		const mentee = as(people.mentee, 'mentee');
		const curator = as(people.curator, 'curator');
		const either = () => (r() < 0.6 ? mentor : mentee);
		if (scenario === 'cancelled') return; // created by mistake, never used
		const approvedOn = addDays(startDate, -int(0, 5));
		if (scenario === 'not-started' && r() < 0.5) return; // still a draft awaiting approval
		day = approvedOn;
		curator.approveProgram(approvedOn);
		const view = readProgram(doc, decisions);
		const spans = stageTimeline(view);
		const end = spans.at(-1)?.end ?? addMonths(startDate, durationMonths);
		const closedOn =
			scenario === 'completed'
				? end
				: scenario === 'ended-early'
					? addDays(startDate, int(40, Math.max(41, daysBetween(startDate, today) - 1)))
					: null;
		const until = closedOn !== null && closedOn < today ? closedOn : today;

		// The diagnosis, written in the first days.
		day = startDate;
		mentee.setText(
			{ kind: 'diagnosis', field: 'difficulties' },
			'Планирование работы коллектива, распределение нагрузки, работа с документацией.'
		);
		mentor.setText(
			{ kind: 'diagnosis', field: 'goals' },
			'Сформировать управленческие компетенции наставляемого в планировании и контроле.'
		);

		// Activities: done by their deadline as time passes; the lagging program lets some slip.
		for (const [i, a] of view.activities.entries()) {
			const span = spans.find((s) => s.stageId === a.stageId);
			const deadline = a.deadline ?? span?.end ?? end;
			const from = span?.start ?? startDate;
			let doneOn: string | null = null;
			if (scenario === 'completed') doneOn = addDays(deadline, -int(0, 20));
			else if (deadline < until) {
				// Even a late program did its first activity.
				if (scenario !== 'lagging' || i === 0 || r() < 0.55)
					doneOn = addDays(deadline, -int(0, 20));
			} else if (from <= until) {
				// The current stage: done in proportion to the part of it already behind.
				const elapsed = daysBetween(from, until) / Math.max(1, daysBetween(from, deadline));
				if (r() < elapsed * 0.8)
					doneOn = addDays(from, int(0, Math.max(0, daysBetween(from, until))));
			}
			if (doneOn === null) continue;
			if (doneOn < startDate) doneOn = startDate;
			if (doneOn > until) doneOn = until;
			day = doneOn;
			either().completeActivity(a.id, doneOn);
		}

		// Meetings: every one to four weeks while the program runs.
		const kinds: MeetingKind[] = ['organizational', 'trial', 'planning'];
		let n = 0;
		for (let d = addDays(startDate, int(1, 7)); d <= until; d = addDays(d, int(7, 28))) {
			day = d;
			either().logMeeting({
				date: d,
				format: r() < 0.75 ? 'in-person' : 'remote',
				kind: kinds[n] ?? 'regular',
				topic: pick(TOPICS),
				notes: pick(NOTES),
				agreements: pick(AGREEMENTS)
			});
			n++;
		}
		if (closedOn !== null && closedOn <= today) {
			day = closedOn;
			mentor.logMeeting({
				date: closedOn,
				format: 'in-person',
				kind: 'final',
				topic: 'Подведение итогов программы',
				notes: 'Подвели итоги, заполнили анкеты удовлетворенности.',
				agreements: ''
			});
		}

		// Reports: written after each stage (and the mentor's by 10 June / 10 December); the
		// curator accepts most after a week or two and returns some for rework.
		for (const e of expectedReports(readProgram(doc, decisions))) {
			if (e.dueDate > until) continue;
			if (scenario === 'lagging' && r() < 0.35) continue; // not written: due
			day = addDays(e.dueDate, -int(0, 5));
			const writer = e.kind === 'stage' ? either() : mentor;
			const id = writer.startReport(
				e.kind === 'stage'
					? { kind: 'stage', stageId: e.stageId ?? '' }
					: { kind: 'mentor-semiannual', period: e.period ?? '' }
			);
			writer.setText({ kind: 'report', id, field: 'text' }, REPORT_TEXT);
			const submitted = addDays(e.dueDate, int(-3, scenario === 'lagging' ? 20 : 6));
			if (submitted > today) continue; // still a draft
			day = submitted;
			writer.submitReport(id, submitted);
			const reviewed = addDays(submitted, int(2, 14));
			if (reviewed > today) continue; // awaiting the curator
			day = reviewed;
			if (r() < 0.15) {
				curator.returnReport(id, RETURN_COMMENT, reviewed);
				const again = addDays(reviewed, int(3, 12));
				if (again > today || r() < 0.25) continue; // returned, being reworked
				day = again;
				writer.setText({ kind: 'report', id, field: 'text' }, `${REPORT_TEXT} Выводы дополнены.`);
				writer.submitReport(id, again);
				const second = addDays(again, int(2, 10));
				if (second > today) continue;
				day = second;
				curator.acceptReport(id, second);
			} else curator.acceptReport(id, reviewed);
		}

		// A short exchange on the first activity done: mentor ↔ mentee comments.
		const first = readProgram(doc, decisions).activities.find((a) => a.status === 'done');
		if (first?.doneAt) {
			day = first.doneAt;
			mentee.postComment(
				{ kind: 'activity', id: first.id },
				'Материалы загрузила, посмотрите, пожалуйста.'
			);
			mentor.postComment(
				{ kind: 'activity', id: first.id },
				'Посмотрел, всё в порядке. Отмечаю как выполненное.'
			);
		}

		if (closedOn !== null && closedOn <= today) {
			day = closedOn;
			if (scenario === 'completed')
				mentor.completeProgram({ reason: 'plan-completed', date: closedOn });
			else
				mentee.completeProgram({
					reason: 'participant-initiative',
					date: closedOn,
					note: 'Перевод наставляемого в другую организацию.'
				});
		}
	}

	return { scenario, startDate, write };
}
