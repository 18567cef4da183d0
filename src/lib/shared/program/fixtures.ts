// A realistic program after two years of use, generated deterministically from a seed: the
// document-size benchmark, the relay benchmark and later tests all build on it.
// Two people (mentor and mentee) work on their own replicas and sync now and then, as on phones
// with poor connectivity; the curator reviews reports and comments from a third replica.
import * as Y from 'yjs';
import { addDays, addMonths } from './dates';
import { ProgramEditor, type TextRef } from './api';
import { createProgram } from './create';
import { DIAGNOSIS_FIELDS, seededIds, type Actor } from './schema';
import { readProgram } from './read';
import { stageTimeline } from './rules';
import tomskBeginner from './templates/tomsk-heads-beginner';
import type { MeetingKind } from './labels';

export interface RealisticProgram {
	/** The merged document (all three replicas synced). */
	doc: Y.Doc;
	programId: string;
	actors: { mentor: Actor; mentee: Actor; curator: Actor };
	stats: {
		edits: number;
		activities: number;
		meetings: number;
		reports: number;
		typedChars: number;
	};
}

/**
 * A small seeded PRNG (mulberry32) in [0, 1): the same seed gives the same sequence (fixtures,
 * typing schedules in tests). Seed 0 stands for 0x9e3779b9.
 */
export function rng(seed: number): () => number {
	let a = seed >>> 0 || 0x9e3779b9;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const WORDS = (
	'наставляемый провел урок анализ затруднений план мероприятий методическая помощь школа управление ' +
	'консультация семинар стажировка результаты качество образования обратная связь отчет справка ' +
	'педагогический коллектив родители обучающиеся программа развития риски мониторинг встреча договорились ' +
	'подготовить представить обсудили проблемы решения компетенции лидерство контроль документы сроки'
).split(' ');

const sync = (a: Y.Doc, b: Y.Doc) => {
	Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
	Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
};

/**
 * Two years of a Tomsk «начинающий руководитель» program: ≥ 40 activities, 60 meetings, 8 reports
 * (4 stage + 4 semi-annual), `edits` user actions (default 5,000) of which most are keystrokes.
 */
export function generateRealisticProgram(
	seed = 1,
	opts: { edits?: number } = {}
): RealisticProgram {
	const rand = rng(seed);
	const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
	const totalEdits = opts.edits ?? 5000;
	const ids = seededIds(seed * 7919 + 1);
	const mentor: Actor = { userId: `mentor${seed}`, role: 'mentor' };
	const mentee: Actor = { userId: `mentee${seed}`, role: 'mentee' };
	const curator: Actor = { userId: `curator${seed}`, role: 'curator' };

	// Fixed client ids: the same seed yields byte-for-byte the same document. Large like real
	// (random 32-bit) ones, because small ids would encode shorter and flatter the size figures.
	const clientId = (k: number) =>
		((Math.imul((seed >>> 0) * 3 + k, 2654435761) >>> 0) | 0x80000000) >>> 0;
	const docC = new Y.Doc();
	docC.clientID = clientId(1);
	const start = '2024-09-02';
	let clockDay = start;
	let edits = 0;
	// Device time moves ~10 s per action, so "updatedAt" stamps change as often as in real use.
	const clock = () => new Date(Date.parse(`${clockDay}T10:00:00Z`) + edits * 10_000);
	const { programId } = createProgram(docC, curator, tomskBeginner, {
		organization: 'МАОУ СОШ № 1 г. Томска',
		startDate: start,
		newId: ids,
		clock,
		participants: [
			{ role: 'mentor', name: 'Иванова Мария Петровна', userId: mentor.userId },
			{ role: 'mentee', name: 'Петров Сергей Иванович', userId: mentee.userId },
			{ role: 'curator', name: 'Сидорова Анна Викторовна', userId: curator.userId }
		]
	});
	const docA = new Y.Doc();
	const docB = new Y.Doc();
	docA.clientID = clientId(2);
	docB.clientID = clientId(3);
	Y.applyUpdate(docA, Y.encodeStateAsUpdate(docC));
	Y.applyUpdate(docB, Y.encodeStateAsUpdate(docC));
	const edA = new ProgramEditor(docA, mentor, { clock, newId: ids });
	const edB = new ProgramEditor(docB, mentee, { clock, newId: ids });
	const edC = new ProgramEditor(docC, curator, { clock, newId: ids });
	edA.setMeta({ types: ['traditional', 'situational'] });
	// Approval is the curator's decision (one document here: decisions kept in the same doc).
	edC.approveProgram('2025-09-01');

	const view0 = readProgram(docA, docA);
	const menteeP = view0.participants.find((p) => p.role === 'mentee');
	const mentorP = view0.participants.find((p) => p.role === 'mentor');
	if (!menteeP || !mentorP) throw new Error('fixture: participants missing');
	const stageIds = view0.stages.map((s) => s.id);
	const tl = stageTimeline(view0);

	let typed = 0;
	const meetings: Array<{ id: string; by: ProgramEditor }> = [];
	const reports: string[] = [];
	const typeInto = (ed: ProgramEditor, ref: TextRef, chars: number) => {
		// Keystrokes: mostly appending words at one caret, with the occasional backspace.
		const t = ed.text(ref);
		let caret = rand() < 0.8 ? t.length : Math.floor(rand() * (t.length + 1));
		let buf = '';
		while (buf.length < chars) buf += pick(WORDS) + (rand() < 0.1 ? '. ' : ' ');
		for (let i = 0; i < chars && edits < totalEdits; i++) {
			if (rand() < 0.06 && caret > 0) {
				ed.editText(ref, caret - 1, 1);
				caret--;
			} else {
				ed.editText(ref, caret, 0, buf[i] as string);
				caret++;
				typed++;
			}
			edits++;
		}
	};

	// Diagnosis at the start, typed by both.
	for (const f of DIAGNOSIS_FIELDS) typeInto(pick([edA, edB]), { kind: 'diagnosis', field: f }, 80);
	// Entry self-assessment.
	const competencies = [
		'Стратегическое управление',
		'Управление персоналом',
		'Финансово-хозяйственная деятельность',
		'Нормативно-правовая база',
		'Управление качеством образования',
		'Лидерство'
	];
	for (const c of competencies) {
		edB.setAssessment('entry', menteeP.id, c, 1 + Math.floor(rand() * 3));
		edits++;
	}
	// Extra activities of their own (the plan grows to ≥ 40).
	for (let i = 0; i < 20; i++) {
		const ed = pick([edA, edB]);
		const stageId = stageIds[1 + (i % 3)] as string;
		ed.addActivity({
			stageId,
			title: `Дополнительное мероприятие ${i + 1}: ${pick(WORDS)} ${pick(WORDS)}`,
			responsible: pick(['наставник', 'наставляемый'])
		});
		edits++;
	}
	sync(docA, docB);

	const kinds: MeetingKind[] = ['organizational', 'trial', 'planning'];
	const days = 2 * 365;
	const meetingsTotal = 60;
	for (let dayIndex = 0; dayIndex < days; dayIndex += 3) {
		clockDay = addDays(start, dayIndex);
		const ed = rand() < 0.55 ? edA : edB;
		// A meeting every ~12 days, with notes and agreements typed in.
		if (meetings.length < meetingsTotal && dayIndex % 12 === 0) {
			const kind =
				meetings.length < 3
					? (kinds[meetings.length] as MeetingKind)
					: meetings.length === meetingsTotal - 1
						? 'final'
						: 'regular';
			const id = ed.logMeeting({
				date: clockDay,
				format: rand() < 0.6 ? 'in-person' : 'remote',
				kind,
				topic: `${pick(WORDS)} ${pick(WORDS)}`
			});
			meetings.push({ id, by: ed });
			edits++;
			typeInto(ed, { kind: 'meeting', id, field: 'notes' }, 20);
			typeInto(ed, { kind: 'meeting', id, field: 'agreements' }, 10);
		}
		const view = readProgram(ed.doc, ed.doc);
		const open = view.activities.filter((a) => a.status !== 'done');
		const r = rand();
		if (r < 0.25 && open.length) {
			const a = pick(open);
			const span = tl.find((s) => s.stageId === a.stageId);
			if (span && clockDay >= span.start) ed.completeActivity(a.id, clockDay);
			else ed.editActivity(a.id, { status: 'in-progress' });
			edits++;
		} else if (r < 0.35 && open.length) {
			const a = pick(open);
			ed.setDeadline(a.id, addDays(a.deadline ?? clockDay, 7 + Math.floor(rand() * 21)));
			edits++;
		} else if (r < 0.42 && open.length) {
			const a = pick(open);
			ed.moveActivity(a.id, a.stageId ?? (stageIds[0] as string), Math.floor(rand() * 5));
			edits++;
		} else if (r < 0.5 && open.length) {
			ed.editActivity(pick(open).id, {
				responsible: pick(['наставник', 'наставляемый', 'наставник и наставляемый'])
			});
			edits++;
		} else if (open.length) {
			typeInto(ed, { kind: 'activity', id: pick(open).id, field: 'notes' }, 12);
		}
		// Stage reports after each stage; semi-annual mentor reports by 10 June / 10 December.
		for (const s of tl) {
			if (clockDay >= s.end && !reports.includes(`stage:${s.stageId}`)) {
				reports.push(`stage:${s.stageId}`);
				const id = edB.startReport({ kind: 'stage', stageId: s.stageId });
				typeInto(edB, { kind: 'report', id, field: 'text' }, 50);
				edB.submitReport(id, clockDay);
				edits += 2;
				sync(docB, docC);
				edC.acceptReport(id, clockDay, 'Принято');
				edits++;
			}
		}
		for (const period of ['2024-12', '2025-06', '2025-12', '2026-06']) {
			const due = `${period}-10`;
			if (clockDay >= addDays(due, -10) && !reports.includes(period)) {
				reports.push(period);
				const id = edA.startReport({ kind: 'mentor-semiannual', period });
				typeInto(edA, { kind: 'report', id, field: 'text' }, 50);
				edA.submitReport(id, clockDay);
				edits += 2;
				sync(docA, docC);
				if (rand() < 0.3) {
					edC.returnReport(id, 'Дополните раздел о результатах', clockDay);
					sync(docA, docC);
					typeInto(edA, { kind: 'report', id, field: 'text' }, 20);
					edA.submitReport(id, clockDay);
					sync(docA, docC);
				}
				edC.acceptReport(id, clockDay);
				edits += 2;
			}
		}
		if (dayIndex % 30 === 0) {
			const view2 = readProgram(docC, docC);
			const a = view2.activities[Math.floor(rand() * view2.activities.length)];
			if (a && rand() < 0.3) {
				edC.commentActivity(a.id, 'Прошу приложить подтверждающие материалы');
				edits++;
			}
		}
		// Phones sync now and then, not after every action.
		if (rand() < 0.3) sync(docA, docB);
		if (rand() < 0.2) sync(docA, docC);
		if (rand() < 0.2) sync(docB, docC);
	}
	clockDay = addMonths(start, 23);
	// Whatever edit budget is left goes into typing the final analysis.
	while (edits < totalEdits)
		typeInto(
			edB,
			{ kind: 'diagnosis', field: 'expectedResults' },
			Math.min(100, totalEdits - edits)
		);
	for (const c of competencies)
		edB.setAssessment('exit', menteeP.id, c, 3 + Math.floor(rand() * 3));
	edA.setFeedback({
		participantId: mentorP.id,
		satisfaction: 8 + Math.floor(rand() * 3),
		date: clockDay
	});
	edB.setFeedback({
		participantId: menteeP.id,
		satisfaction: 7 + Math.floor(rand() * 4),
		date: clockDay
	});
	sync(docA, docB);
	sync(docA, docC);
	sync(docB, docC);
	const final = readProgram(docC, docC);
	return {
		doc: docC,
		programId,
		actors: { mentor, mentee, curator },
		stats: {
			edits,
			activities: final.activities.length,
			meetings: final.meetings.length,
			reports: final.reports.length,
			typedChars: typed
		}
	};
}
