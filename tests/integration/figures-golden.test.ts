/**
 * Acceptance of issue 15 «figures that are true»: a golden municipality built through the real
 * server (the registry, the program service, orders and consents, curator actions, the relay's
 * server edits by the participants themselves), its history made by moving the server's clock
 * from September 2025 to March 2026, and every figure read back over HTTP and compared with the
 * values counted by hand below — for today, for a past date and for a period with its previous
 * period. Runs on SQLite, and on PostgreSQL under `npm run test:postgres`.
 *
 * The defects as they were found, each pinned by a figure below:
 * - people summed per program (B. Борисов mentors two programs: «3 наставников» for 2);
 * - every adult under 35 a «молодой педагог» (the deputy head, the lab assistant, students);
 * - growth mixing the mentor's self-assessment into the mentee's;
 * - completed programs counted in the stage their dates say (P6 completed in its first month);
 * - pupils and pedagogues not apart;
 * - a past date showing today's state (programs created later, completed since).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ProgramEditor, readProgram } from '../../src/lib/shared/program/index';
import type { Figures, CalendarEvent } from '../../src/lib/shared/api/curator';
import type { Actor } from '../../server/identity/policy';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import { startCuratorServer, type CuratorTestServer } from './curator-server';

// ---------------------------------------------------------------------------------------------
// The data set. Three organizations of one municipality; people with positions, birth dates and
// (for one) a recorded staff category; nine programs covering every template.
//
//   org A «МАОУ СОШ № 1» (the test server's), org B «МАОУ СОШ № 2», org C «ОГБПОУ Колледж».
//
//   id        org  position                      born        category        notes
//   aHead     A    директор                      1975-02-01  head            mentee of P1
//   aT1       A    учитель математики            1998-05-10  pedagogue       young; mentee of P5; 2 years' experience
//   aT2       A    учитель русского языка        1970-03-03  pedagogue       mentor of P5
//   aT3       A    учитель физики                1996-01-10  pedagogue       young, never a mentee
//   aT4       A    учитель биологии              1999-06-01  pedagogue       young; added to the registry on 2026-03-16
//   aT5       A    (none; recorded: pedagogue)   1991-01-10  pedagogue       34 on 2025-12-15, 35 on 2026-03-16
//   aDeputy   A    заместитель директора по УВР  1995-04-04  head            under 35, not a pedagogue
//   aLab      A    лаборант                      2000-07-07  other           under 35, not a pedagogue
//   aPupil1,2 A    ученик 8 класса               2011-…      pupil (minor)   mentees of P7
//   aPupil3   A    ученик 10 класса              2009-…      pupil (minor)   mentor of P7
//   bHead     B    директор                      1968-06-06  head            mentor of P1 and P2, mentee of P3
//   bT1       B    учитель начальных классов     1990-02-01  pedagogue       35 on both dates; mentor of P6
//   bT2       B    воспитатель                   2001-04-01  pedagogue       young; mentee of P6; 1 year's experience
//   bRes      B    учитель истории               1988-08-08  pedagogue       mentee of P2 (reservist)
//   bDeputy   B    заместитель директора         1994-09-09  head            mentee of the draft P4
//   cHead     C    директор                      1972-10-10  head            mentor of P3 and of the draft P4
//   cLect     C    преподаватель                 1985-11-11  pedagogue       mentor of P8
//   cSt1,2    C    студент 2 курса               2006-…      student         mentees of P8 (cSt1 also of P9)
//   cEmp      C    представитель работодателя    1980-12-12  other           mentor of P9
//
//   program  template                    org  form (set)        start       history
//   P1       tomsk-heads-beginner        A    head-head          2025-09-01  approved 09-01; stage-1 report accepted 12-15
//   P2       tomsk-heads-reserve         B    reservist-head     2025-09-01  approved 09-01
//   P3       tomsk-heads-low-results     B    head-head          2026-02-01  created and approved 2026-02-01
//   P4       tomsk-heads-low-efficiency  B    head-head          2025-09-01  a draft, never approved
//   P5       teacher-surgut              A    educator-educator  2025-09-01  approved 09-01; completed (plan) 2026-02-20
//   P6       teacher-surgut              B    educator-educator  2026-03-02  approved 03-02; completed (curator) 2026-03-10
//   P7       learner                     A    pupil-pupil        2025-09-01  approved 09-01
//   P8       learner                     C    lecturer-student   2025-09-01  approved 09-01
//   P9       blank                       C    employer-student   2026-01-15  created and approved 2026-01-15
//
// Self-assessments (1–5): P5 mentee aT1 entry 2, 2 (09-01) → exit 4, 4 (02-20); the mentor aT2's
// own entry 4, 4 → exit 5, 5 (must not count). P1 mentee aHead entry 3, 2 (09-01) → exit 4, 5
// (03-10). Feedback of P5 (02-20): mentor 9, mentee 8.
// ---------------------------------------------------------------------------------------------

const T0 = '2025-09-01';
const T1 = '2025-12-15'; // the past date
const T2 = '2026-03-16'; // "today" at the end

let t: CuratorTestServer;
const P: Record<string, string> = {};
const who: Record<string, string> = {};
let coordinatorCookie = '';
let curatorACookie = '';
let orgB = '';
let orgC = '';

/** The server's clock is moved forward only (days of the data set, at noon in Moscow). */
function setDay(day: string): void {
	vi.setSystemTime(new Date(`${day}T09:00:00Z`));
}

async function refreshAll(): Promise<void> {
	// What the refresher does each day (server/curator/refresh.ts): summaries recomputed today.
	await t.server.relay.flushSummaries();
	await t.server.relay.refreshSummaries(Object.values(P));
}

const edit = (
	program: string,
	personId: string,
	role: 'mentor' | 'mentee',
	fn: (ed: ProgramEditor, view: ReturnType<typeof readProgram>) => void
) =>
	t.server.relay.applyServerEdit(program, { userId: personId, role }, (doc) =>
		fn(new ProgramEditor(doc, { userId: personId, role }), readProgram(doc))
	);

const participantId = (view: ReturnType<typeof readProgram>, personId: string): string => {
	const p = view.participants.find((x) => x.userId === personId);
	if (!p) throw new Error(`no participant ${personId}`);
	return p.id;
};

async function figures(scope: string, query: string, cookie = coordinatorCookie): Promise<Figures> {
	const res = await t.get(`/api/curator/${scope}/figures${query}`, cookie);
	expect(res.status, await res.clone().text()).toBe(200);
	return ((await res.json()) as { figures: Figures }).figures;
}

beforeAll(async () => {
	vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
	setDay(T0);
	t = await startCuratorServer({ RELAY_SUMMARY_DEBOUNCE_MS: '20', RELAY_FACTS_FLUSH_MS: '20' });
	const id = t.identity;
	const sys = SYSTEM_ACTOR;
	const orgA = t.organizationId;
	orgB = (await id.createOrganization(sys, t.municipalityId, 'МАОУ СОШ № 2 г. Томска')).id;
	orgC = (await id.createOrganization(sys, t.municipalityId, 'ОГБПОУ «Томский колледж»')).id;
	const curatorA = t.curatorActor;
	const curatorB = (await t.person('Кураторова Бэлла Борисовна', 'curator', orgB)).actor;
	const curatorC = (await t.person('Кураторов Семен Семенович', 'curator', orgC)).actor;
	const depHead = await id.createPerson(
		sys,
		{ municipalityId: t.municipalityId },
		{ fullName: 'Начальникова Ирина Петровна', position: 'начальник департамента' }
	);
	await id.assignRole(sys, depHead.id, 'department-head', { municipalityId: t.municipalityId });
	const depActor = await id.actorFor(depHead.id);

	const person = async (
		key: string,
		org: string,
		fullName: string,
		fields: {
			position?: string;
			birthDate: string;
			experienceYears?: number;
			staffKind?: 'pedagogue';
		}
	) => {
		const p = await id.createPerson(sys, { organizationId: org }, { fullName, ...fields });
		who[key] = p.id;
		return p.id;
	};
	await person('aHead', orgA, 'Александров Андрей Андреевич', {
		position: 'директор',
		birthDate: '1975-02-01'
	});
	await person('aT1', orgA, 'Алексеева Анна Игоревна', {
		position: 'учитель математики',
		birthDate: '1998-05-10',
		experienceYears: 2
	});
	await person('aT2', orgA, 'Артемьева Алла Сергеевна', {
		position: 'учитель русского языка',
		birthDate: '1970-03-03'
	});
	await person('aT3', orgA, 'Антонов Артем Олегович', {
		position: 'учитель физики',
		birthDate: '1996-01-10'
	});
	await person('aT5', orgA, 'Ахметова Айгуль Маратовна', {
		birthDate: '1991-01-10',
		staffKind: 'pedagogue'
	});
	await person('aDeputy', orgA, 'Абрамов Антон Викторович', {
		position: 'заместитель директора по УВР',
		birthDate: '1995-04-04'
	});
	await person('aLab', orgA, 'Афанасьев Аркадий Ильич', {
		position: 'лаборант',
		birthDate: '2000-07-07'
	});
	await person('aPupil1', orgA, 'Андреев Алеша', {
		position: 'ученик 8 класса',
		birthDate: '2011-03-03'
	});
	await person('aPupil2', orgA, 'Андреева Ася', {
		position: 'ученик 8 класса',
		birthDate: '2011-05-05'
	});
	await person('aPupil3', orgA, 'Арсеньев Аким', {
		position: 'ученик 10 класса',
		birthDate: '2009-09-09'
	});
	await person('bHead', orgB, 'Борисов Борис Борисович', {
		position: 'директор',
		birthDate: '1968-06-06'
	});
	await person('bT1', orgB, 'Белова Бэла Юрьевна', {
		position: 'учитель начальных классов',
		birthDate: '1990-02-01'
	});
	await person('bT2', orgB, 'Беляева Богдана Олеговна', {
		position: 'воспитатель',
		birthDate: '2001-04-01',
		experienceYears: 1
	});
	await person('bRes', orgB, 'Богданов Булат Ринатович', {
		position: 'учитель истории',
		birthDate: '1988-08-08'
	});
	await person('bDeputy', orgB, 'Быкова Берта Павловна', {
		position: 'заместитель директора',
		birthDate: '1994-09-09'
	});
	await person('cHead', orgC, 'Смирнов Сергей Сергеевич', {
		position: 'директор',
		birthDate: '1972-10-10'
	});
	await person('cLect', orgC, 'Соколова Светлана Петровна', {
		position: 'преподаватель',
		birthDate: '1985-11-11'
	});
	await person('cSt1', orgC, 'Степанов Степан', {
		position: 'студент 2 курса',
		birthDate: '2006-01-20'
	});
	await person('cSt2', orgC, 'Сергеева Софья', {
		position: 'студент 2 курса',
		birthDate: '2006-02-20'
	});
	await person('cEmp', orgC, 'Савельев Савелий Ильич', {
		position: 'представитель работодателя',
		birthDate: '1980-12-12'
	});
	await id.assignRole(sys, who.aHead!, 'head', { organizationId: orgA });
	await id.assignRole(sys, who.bHead!, 'head', { organizationId: orgB });
	await id.assignRole(sys, who.cHead!, 'head', { organizationId: orgC });
	for (const k of ['aPupil1', 'aPupil2', 'aPupil3'])
		await id.recordConsent(sys, who[k]!, {
			kind: 'representative',
			representativeName: 'Андреева Анна Андреевна',
			givenOn: '2025-08-28'
		});
	for (const k of ['bHead', 'cHead'])
		await id.recordConsent(sys, who[k]!, { kind: 'mentor-duties', givenOn: '2025-08-28' });

	const programs = t.server.programs;
	const orders = programs.orders;
	if (!orders) throw new Error('orders are not wired');
	const create = async (
		key: string,
		actor: Actor,
		organizationId: string,
		templateId: string,
		startDate: string,
		mentors: string[],
		mentees: string[]
	) => {
		P[key] = (
			await programs.createProgram(actor, {
				organizationId,
				templateId,
				startDate,
				participants: [
					...mentors.map((m) => ({ personId: who[m]!, role: 'mentor' as const })),
					...mentees.map((m) => ({ personId: who[m]!, role: 'mentee' as const }))
				]
			})
		).id;
	};
	const order = async (actor: Actor, issuer: string, keys: string[], issuedOn: string) => {
		const o = await orders.createOrder(actor, {
			number: `${keys.join('-')}-п`,
			issuedOn,
			kind: 'approve-programs',
			issuerId: issuer,
			programIds: keys.map((k) => P[k]!)
		});
		await orders.attachOrder(actor, o.id);
	};
	const act = (actor: Actor, key: string, action: Parameters<typeof programs.curatorAction>[2]) =>
		programs.curatorAction(actor, P[key]!, action);

	// ---- 2025-09-01 -------------------------------------------------------------------------
	await create('P1', curatorA, orgA, 'tomsk-heads-beginner', T0, ['bHead'], ['aHead']);
	await create('P2', curatorB, orgB, 'tomsk-heads-reserve', T0, ['bHead'], ['bRes']);
	await create('P4', curatorB, orgB, 'tomsk-heads-low-efficiency', T0, ['cHead'], ['bDeputy']);
	await create('P5', curatorA, orgA, 'teacher-surgut', T0, ['aT2'], ['aT1']);
	await create('P7', curatorA, orgA, 'learner', T0, ['aPupil3'], ['aPupil1', 'aPupil2']);
	await create('P8', curatorC, orgC, 'learner', T0, ['cLect'], ['cSt1', 'cSt2']);
	await act(curatorA, 'P7', { action: 'set-form', form: 'pupil-pupil' });
	await act(curatorC, 'P8', { action: 'set-form', form: 'lecturer-student' });
	await order(depActor, depHead.id, ['P1', 'P2'], T0);
	await order(curatorA, who.aHead!, ['P5'], T0);
	for (const [actor, key] of [
		[curatorA, 'P1'],
		[curatorB, 'P2'],
		[curatorA, 'P5'],
		[curatorA, 'P7'],
		[curatorC, 'P8']
	] as const)
		await act(actor, key, { action: 'approve-program' });
	await edit(P.P5!, who.aT1!, 'mentee', (ed, v) => {
		ed.setAssessment('entry', participantId(v, who.aT1!), 'Планирование урока', 2);
		ed.setAssessment('entry', participantId(v, who.aT1!), 'Оценивание', 2);
	});
	await edit(P.P5!, who.aT2!, 'mentor', (ed, v) => {
		ed.setAssessment('entry', participantId(v, who.aT2!), 'Планирование урока', 4);
		ed.setAssessment('entry', participantId(v, who.aT2!), 'Оценивание', 4);
	});
	await edit(P.P1!, who.aHead!, 'mentee', (ed, v) => {
		ed.setAssessment('entry', participantId(v, who.aHead!), 'Управление', 3);
		ed.setAssessment('entry', participantId(v, who.aHead!), 'Финансы', 2);
	});
	await refreshAll();

	// ---- 2025-12-15: the mentee of P1 hands in the report of stage 1, the curator accepts it --
	setDay(T1);
	let reportId = '';
	await edit(P.P1!, who.aHead!, 'mentee', (ed, v) => {
		reportId = ed.startReport({ kind: 'stage', stageId: v.stages[0]!.id });
		ed.submitReport(reportId, T1);
	});
	await act(curatorA, 'P1', { action: 'accept-report', reportId });
	await refreshAll();

	// ---- 2026-01-15: P9 ------------------------------------------------------------------------
	setDay('2026-01-15');
	await create('P9', curatorC, orgC, 'blank', '2026-01-15', ['cEmp'], ['cSt1']);
	await act(curatorC, 'P9', { action: 'set-form', form: 'employer-student' });
	await act(curatorC, 'P9', { action: 'approve-program' });
	await refreshAll();

	// ---- 2026-02-01: P3 (B. Борисов, the mentor of P1 and P2, becomes a mentee) ---------------
	setDay('2026-02-01');
	await create('P3', curatorB, orgB, 'tomsk-heads-low-results', '2026-02-01', ['cHead'], ['bHead']);
	await order(depActor, depHead.id, ['P3'], '2026-02-01');
	await act(curatorB, 'P3', { action: 'approve-program' });
	await refreshAll();

	// ---- 2026-02-20: P5 ends with the plan done ------------------------------------------------
	setDay('2026-02-20');
	await edit(P.P5!, who.aT1!, 'mentee', (ed, v) => {
		ed.setAssessment('exit', participantId(v, who.aT1!), 'Планирование урока', 4);
		ed.setAssessment('exit', participantId(v, who.aT1!), 'Оценивание', 4);
		ed.setFeedback({ participantId: participantId(v, who.aT1!), satisfaction: 8 });
		// The plan done in full (Tomsk 2024 §7.1: the ground of «plan-completed»).
		for (const a of v.activities) if (a.status !== 'done') ed.completeActivity(a.id, '2026-02-20');
	});
	await edit(P.P5!, who.aT2!, 'mentor', (ed, v) => {
		ed.setAssessment('exit', participantId(v, who.aT2!), 'Планирование урока', 5);
		ed.setAssessment('exit', participantId(v, who.aT2!), 'Оценивание', 5);
		ed.setFeedback({ participantId: participantId(v, who.aT2!), satisfaction: 9 });
	});
	await act(curatorA, 'P5', { action: 'complete', reason: 'plan-completed', date: '2026-02-20' });
	await refreshAll();

	// ---- 2026-03-02: P6 ---------------------------------------------------------------------
	setDay('2026-03-02');
	await create('P6', curatorB, orgB, 'teacher-surgut', '2026-03-02', ['bT1'], ['bT2']);
	await order(curatorB, who.bHead!, ['P6'], '2026-03-02');
	await act(curatorB, 'P6', { action: 'approve-program' });
	await refreshAll();

	// ---- 2026-03-10: P6 terminated by the curator in its first month; P1's exit assessment ----
	setDay('2026-03-10');
	await act(curatorB, 'P6', {
		action: 'complete',
		reason: 'curator-initiative',
		date: '2026-03-10'
	});
	await edit(P.P1!, who.aHead!, 'mentee', (ed, v) => {
		ed.setAssessment('exit', participantId(v, who.aHead!), 'Управление', 4);
		ed.setAssessment('exit', participantId(v, who.aHead!), 'Финансы', 5);
	});
	await refreshAll();

	// ---- 2026-03-16: today. A young teacher joins the registry --------------------------------
	setDay(T2);
	await person('aT4', orgA, 'Аксенова Алина Денисовна', {
		position: 'учитель биологии',
		birthDate: '1999-06-01'
	});
	await refreshAll();
	coordinatorCookie = (await t.person('Координаторова Кира Олеговна', 'coordinator')).cookie;
	curatorACookie = (await t.person('Кураторова Алла Андреевна', 'curator')).cookie;
}, 180_000);

afterAll(async () => {
	await t?.close();
	vi.useRealTimers();
});

const mun = () => `municipalities/${t.municipalityId}`;
const rows = (list: Figures['byForm']) =>
	Object.fromEntries(list.map((r) => [r.key, [r.programs, r.mentors, r.mentees]]));

describe('figures of the golden municipality, counted by hand', () => {
	it('today (2026-03-16): people once, pupils apart, young pedagogues by definition, completed as completed', async () => {
		const f = await figures(mun(), '');
		expect(f.kind).toBe('date');
		expect(f.period).toEqual({ from: T2, to: T2 });
		// Existing: P1–P9 = 9. Drafts: P4. Completed: P5, P6. Active: P1, P2, P3, P7, P8, P9.
		// In force today: the six active (P5 and P6 ended before today).
		expect(f.programs).toEqual({ total: 9, draft: 1, active: 6, completed: 2, inForce: 6 });
		// Mentors: bHead (P1, P2 — once), cHead (P3), aPupil3 (P7), cLect (P8), cEmp (P9) = 5
		//   (summed per program: 6).
		// Mentees: aHead (P1), bRes (P2), bHead (P3), aPupil1, aPupil2 (P7), cSt1, cSt2 (P8; cSt1
		//   again in P9) = 7 (summed: 8). People: 5 + 7 − bHead in both = 11.
		expect(f.participants).toMatchObject({
			mentors: 5,
			mentees: 7,
			people: 11,
			mentorsPerMentee: 0.71, // 5 / 7
			menteesPerMentor: 1.4 // 7 / 5
		});
		// Pedagogues and heads: mentors bHead, cHead (heads), cLect; mentees aHead, bHead (heads), bRes.
		// Learners: mentor aPupil3; mentees aPupil1, aPupil2, cSt1, cSt2. Others: mentor cEmp.
		expect(f.participants.pedagogues).toEqual({ mentors: 3, mentees: 3 });
		expect(f.participants.learners).toEqual({ mentors: 1, mentees: 4 });
		expect(f.participants.others).toEqual({ mentors: 1, mentees: 0 });
		expect(f.participants.byKind).toEqual({
			pedagogue: { mentors: 1, mentees: 1 },
			head: { mentors: 2, mentees: 2 },
			pupil: { mentors: 1, mentees: 2 },
			student: { mentors: 0, mentees: 2 },
			other: { mentors: 1, mentees: 0 }
		});
		// [programs, mentors, mentees] of the programs in force today.
		expect(rows(f.byForm)).toEqual({
			'head-head': [2, 2, 2], // P1 (bHead → aHead), P3 (cHead → bHead)
			'reservist-head': [1, 1, 1],
			'pupil-pupil': [1, 1, 2],
			'lecturer-student': [1, 1, 2],
			'employer-student': [1, 1, 1]
		});
		expect(rows(f.byTemplate)).toEqual({
			'tomsk-heads-beginner': [1, 1, 1],
			'tomsk-heads-reserve': [1, 1, 1],
			'tomsk-heads-low-results': [1, 1, 1],
			learner: [2, 2, 4],
			blank: [1, 1, 1]
		});
		// Stages on 2026-03-16 of all nine: heads' programs from 2025-09-01 (1 + 4 + 9 + 1 months):
		// P1, P2 and the draft P4 in «Деятельностный» (from 2026-02-01); P3 from 2026-02-01 in
		// «Консультационный» (from 03-01); P5, P6 completed (P6's dates say «Организационный»);
		// the learners' P7, P8 (1 + 7 + 1 months) in «Деятельностный» (2025-10-01 – 2026-04-30);
		// the blank program has no stages.
		expect(Object.fromEntries(f.byStage.map((r) => [r.key, r.programs]))).toEqual({
			activity: 5,
			consultative: 1,
			completed: 2,
			unscheduled: 1
		});
		expect(f.completed).toEqual({
			total: 2,
			byReason: { 'plan-completed': 1, 'curator-initiative': 1 },
			inPeriod: 0
		});
		// Young pedagogues on 2026-03-16: aT1 (27), aT3 (30), bT2 (24), aT4 (26, added today) = 4;
		// not aT5 (35 since 2026-01-10), bT1 (36), aDeputy and bDeputy (heads), aLab (other),
		// students, pupils. Mentees of a program in force today: none of them (P5, P6 ended).
		expect(f.youngTeachers).toEqual({
			inRegistry: 4,
			covered: 0,
			sharePercent: 0,
			firstYearsCovered: 0
		});
		// Growth in force today: P1's mentee only, 2.5 → 4.5 (+2, +80 %).
		expect(f.assessment).toEqual({
			programsWithBoth: 1,
			menteesWithBoth: 1,
			entryAvg: 2.5,
			exitAvg: 4.5,
			growthAvg: 2,
			growthPercent: 80
		});
		expect(f.satisfaction).toEqual({
			surveys: 0,
			mentorAvg: null,
			menteeAvg: null,
			programsWithFeedback: 0
		});
		expect(f.reports).toMatchObject({ submitted: 0, accepted: 1, returned: 0 });
		expect(f.previous).toBeNull();
	});

	it('a past date (2025-12-15) shows what was true then: programs created later are not counted', async () => {
		const f = await figures(mun(), `?to=${T1}`);
		expect(f.kind).toBe('date');
		expect(f.period).toEqual({ from: T1, to: T1 });
		// Existing then: P1, P2, P4, P5, P7, P8 (P3, P6, P9 did not exist). Draft P4; five active.
		expect(f.programs).toEqual({ total: 6, draft: 1, active: 5, completed: 0, inForce: 5 });
		// Mentors: bHead (P1, P2), aT2 (P5), aPupil3 (P7), cLect (P8) = 4 (summed: 5).
		// Mentees: aHead, bRes, aT1, aPupil1, aPupil2, cSt1, cSt2 = 7. People 11.
		expect(f.participants).toMatchObject({ mentors: 4, mentees: 7, people: 11 });
		expect(f.participants.pedagogues).toEqual({ mentors: 3, mentees: 3 });
		expect(f.participants.learners).toEqual({ mentors: 1, mentees: 4 });
		expect(f.participants.others).toEqual({ mentors: 0, mentees: 0 });
		expect(rows(f.byForm)).toEqual({
			'head-head': [1, 1, 1],
			'reservist-head': [1, 1, 1],
			'educator-educator': [1, 1, 1],
			'pupil-pupil': [1, 1, 2],
			'lecturer-student': [1, 1, 2]
		});
		// Heads' programs (and the draft) in «Консультационный» (2025-10-01 – 2026-01-31), Surgut's
		// P5 and the learners' P7, P8 in «Деятельностный» (from 2025-10-01).
		expect(Object.fromEntries(f.byStage.map((r) => [r.key, r.programs]))).toEqual({
			consultative: 3,
			activity: 3
		});
		expect(f.completed).toEqual({ total: 0, byReason: {}, inPeriod: 0 });
		// Young pedagogues on 2025-12-15: aT1 (27), aT3 (29), bT2 (24), aT5 (34) = 4 (aT4 was not in
		// the registry yet). Covered: aT1 (mentee of P5), in her first 3 years: 1 of 4 = 25 %.
		expect(f.youngTeachers).toEqual({
			inRegistry: 4,
			covered: 1,
			sharePercent: 25,
			firstYearsCovered: 1
		});
		// Only entry self-assessments then.
		expect(f.assessment).toMatchObject({
			menteesWithBoth: 0,
			growthAvg: null,
			growthPercent: null
		});
		expect(f.reports).toMatchObject({ submitted: 0, accepted: 1, returned: 0 });
	});

	it('a period (2026-01-01 – 2026-03-16) counts everyone in force in it, growth from the mentees only, with the previous period', async () => {
		const f = await figures(mun(), `?from=2026-01-01&to=${T2}`);
		expect(f.kind).toBe('period');
		expect(f.period).toEqual({ from: '2026-01-01', to: T2 });
		// In force in the period: all but the draft P4 = 8.
		expect(f.programs).toEqual({ total: 9, draft: 1, active: 6, completed: 2, inForce: 8 });
		// Mentors: bHead, cHead, aT2, bT1, aPupil3, cLect, cEmp = 7.
		// Mentees: aHead, bRes, bHead, aT1, bT2, aPupil1, aPupil2, cSt1, cSt2 = 9. People 7 + 9 − 1 = 15.
		expect(f.participants).toMatchObject({ mentors: 7, mentees: 9, people: 15 });
		expect(f.participants.pedagogues).toEqual({ mentors: 5, mentees: 5 });
		expect(f.participants.learners).toEqual({ mentors: 1, mentees: 4 });
		expect(f.participants.others).toEqual({ mentors: 1, mentees: 0 });
		expect(rows(f.byForm)['educator-educator']).toEqual([2, 2, 2]); // P5, P6
		expect(f.completed.inPeriod).toBe(2);
		// Young pedagogues on 2026-03-16: 4; mentees in the period: aT1 (P5), bT2 (P6) — both in
		// their first 3 years: 2 of 4 = 50 %.
		expect(f.youngTeachers).toEqual({
			inRegistry: 4,
			covered: 2,
			sharePercent: 50,
			firstYearsCovered: 2
		});
		// Mentees' own self-assessment: aHead 2.5 → 4.5, aT1 2 → 4: entry 2.25, exit 4.25, +2,
		// +88.9 % of 2.25. (With the mentor aT2's own 4 → 5 mixed in it would be +1.5.)
		expect(f.assessment).toEqual({
			programsWithBoth: 2,
			menteesWithBoth: 2,
			entryAvg: 2.25,
			exitAvg: 4.25,
			growthAvg: 2,
			growthPercent: 88.9
		});
		expect(f.satisfaction).toEqual({
			surveys: 2,
			mentorAvg: 9,
			menteeAvg: 8,
			programsWithFeedback: 1
		});
		// The previous period of the same 75 days: 2025-10-18 – 2025-12-31 (the state of 12-15).
		const p = f.previous as Figures;
		expect(p.period).toEqual({ from: '2025-10-18', to: '2025-12-31' });
		expect(p.programs).toEqual({ total: 6, draft: 1, active: 5, completed: 0, inForce: 5 });
		expect(p.participants).toMatchObject({ mentors: 4, mentees: 7, people: 11 });
	});

	it('an organization counts its own programs and the mentors from other schools once', async () => {
		const f = await figures(`organizations/${t.organizationId}`, '', curatorACookie);
		// Org A: P1, P5, P7. In force today: P1, P7.
		expect(f.programs).toEqual({ total: 3, draft: 0, active: 2, completed: 1, inForce: 2 });
		// Mentors bHead (of school B), aPupil3; mentees aHead, aPupil1, aPupil2.
		expect(f.participants).toMatchObject({ mentors: 2, mentees: 3, people: 5 });
		expect(f.participants.pedagogues).toEqual({ mentors: 1, mentees: 1 });
		expect(f.participants.learners).toEqual({ mentors: 1, mentees: 2 });
		// Org A's young pedagogues today: aT1, aT3, aT4.
		expect(f.youngTeachers).toMatchObject({ inRegistry: 3, covered: 0 });
		const past = await figures(`organizations/${t.organizationId}`, `?to=${T1}`, curatorACookie);
		// Then: aT1, aT3, aT5; aT1 covered.
		expect(past.youngTeachers).toMatchObject({ inRegistry: 3, covered: 1 });
		expect(past.participants).toMatchObject({ mentors: 3, mentees: 4 }); // bHead, aT2, aPupil3; aHead, aT1, aPupil1, aPupil2
	});

	it("the calendar's past dates show the figures of their day", async () => {
		const calendar = async (year: number) => {
			const res = await t.get(`/api/curator/${mun()}/calendar?year=${year}`, coordinatorCookie);
			expect(res.status).toBe(200);
			return ((await res.json()) as { events: CalendarEvent[] }).events;
		};
		const value = (events: CalendarEvent[], id: string, label: string) =>
			events.find((e) => e.id === id)?.figures.find((x) => x.label === label)?.value;
		const y2025 = await calendar(2025);
		// 2025-12-20: the state of 12-15 — five programs active (today: six), six existing (today: nine).
		expect(value(y2025, '2025-12-monitoring', 'программ реализуется')).toBe(5);
		expect(value(y2025, '2025-12-annual', 'программ')).toBe(6);
		const y2026 = await calendar(2026);
		// 2026-01-31: active P1, P2, P5, P7, P8, P9; six forms; mentees: pedagogues aHead, bRes,
		// aT1; learners aPupil1, aPupil2, cSt1, cSt2.
		expect(value(y2026, '2026-01-monitoring', 'программ реализуется')).toBe(6);
		expect(value(y2026, '2026-01-monitoring', 'форм наставничества')).toBe(6);
		// Labels read with any figure after them («Наставляемых-педагогов: 3»).
		expect(value(y2026, '2026-01-monitoring', 'наставляемых-педагогов')).toBe(3);
		expect(value(y2026, '2026-01-monitoring', 'наставляемых-обучающихся')).toBe(4);
	});

	it('the registry records a staff category over the API; the figures follow it', async () => {
		const org = t.organizationId;
		const bad = await t.post(
			`/api/organizations/${org}/people`,
			{ fullName: 'Неверная Категория', staffKind: 'teacher' },
			curatorACookie
		);
		expect(bad.status).toBe(400);
		// No position, recorded as a pedagogue, 26 today: a young pedagogue of org A (3 → 4).
		const ok = await t.post(
			`/api/organizations/${org}/people`,
			{ fullName: 'Кириллова Ксения Олеговна', staffKind: 'pedagogue', birthDate: '2000-01-01' },
			curatorACookie
		);
		expect([200, 201]).toContain(ok.status);
		const f = await figures(`organizations/${org}`, '', curatorACookie);
		expect(f.youngTeachers).toMatchObject({ inRegistry: 4, covered: 0 });
		// …but not on the past date: she was not in the registry then.
		const past = await figures(`organizations/${org}`, `?to=${T1}`, curatorACookie);
		expect(past.youngTeachers).toMatchObject({ inRegistry: 3, covered: 1 });
	});
});
