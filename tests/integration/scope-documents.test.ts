/**
 * Issue 15, the documents of an organization and a municipality and the monitoring calendar, as a
 * curator and a coordinator meet them: the real server, a small municipality whose history is made
 * by moving the server's clock through 2025 and 2026, every document downloaded and read back
 * (DOCX XML, PDF text) and its figures compared with values counted by hand below. Runs on SQLite,
 * and on PostgreSQL with TEST_STORAGE=postgres.
 *
 * The defects as they were found:
 * - the информационная справка, аналитическая справка and аналитический отчет had the same
 *   sections, no dynamics against the previous period, no conclusions / recommendations /
 *   management decisions written by a person, device-sync jargon and a false sentence
 *   («Наставникам и наставляемым направлены напоминания» — the system sends none);
 * - nothing written was kept: no versions, nothing handed in, so a document could not be reopened
 *   as it was handed in;
 * - one calendar (Divnogorsk's) with «МКУ ГИМЦ» for every municipality, missing items.
 *
 * The data set (org A = the test server's «МАОУ СОШ № 1 г. Томска», org B «МАОУ СОШ № 2»):
 *   aHead  A  директор                  head of A (issues A's orders; reads, does not write)
 *   aM1    A  учитель русского языка    born 1970-01-15; mentor of Q1 and Q2
 *   aY1    A  учитель математики        born 1999-04-01, 2 years' experience; mentee of Q1
 *   aY2    A  учитель физики            born 2000-05-05; mentee of Q2
 *   bP1    B  ученик 7 класса (minor)   mentee of Q3
 *   bP3    B  ученик 10 класса (minor)  mentor of Q3
 *
 *   Q1  A  teacher-surgut  2025-03-03  approved; self-assessment 2, 2 → 4, 4; completed (plan) 2026-03-02
 *   Q2  A  teacher-surgut  2026-02-02  approved
 *   Q3  B  blank, «ученик – ученик»    2026-02-02  approved
 *   Q4  A  teacher-surgut  created and approved on «today» (2026-12-21), after the hand-in
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ProgramEditor, readProgram } from '../../src/lib/shared/program/index';
import type { CalendarEvent } from '../../src/lib/shared/api/curator';
import type {
	CalendarConfigState,
	ScopeDocumentState
} from '../../src/lib/shared/api/scope-documents';
import type { Actor } from '../../server/identity/policy';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import { docxText } from '../support/docx';
import { startCuratorServer, type CuratorTestServer } from './curator-server';

const TODAY = '2026-12-21';
const YEAR = { from: '2026-01-01', to: '2026-12-31' };
const PAST = { from: '2025-01-01', to: '2025-12-31' };

let t: CuratorTestServer;
const P: Record<string, string> = {};
const who: Record<string, string> = {};
let orgB = '';
let curatorA: Actor;
let headCookie = '';
let curatorBCookie = '';
let coordinatorCookie = '';
/** The curator of school A, signed in «today». */
let curatorCookie = '';

function setDay(day: string): void {
	vi.setSystemTime(new Date(`${day}T09:00:00Z`));
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

async function refresh(): Promise<void> {
	await t.server.relay.flushSummaries();
	await t.server.relay.refreshSummaries(Object.values(P));
}

const orgA = () => `organizations/${t.organizationId}`;
const mun = () => `municipalities/${t.municipalityId}`;
const q = (p: { from: string; to: string }) => `from=${p.from}&to=${p.to}`;

async function file(url: string, cookie = curatorCookie): Promise<Buffer> {
	const res = await t.get(url, cookie);
	expect(res.status, await res.clone().text()).toBe(200);
	return Buffer.from(await res.arrayBuffer());
}
const docx = async (
	scope: string,
	kind: string,
	period: { from: string; to: string },
	extra = '',
	cookie?: string
) =>
	docxText(
		await file(
			`/api/curator/${scope}/documents/${kind}/file?${q(period)}&format=docx${extra}`,
			cookie
		)
	);

/** The PDF's text as poppler reads it (what a person copying from the PDF would get). */
function pdfText(pdf: Buffer): string {
	const dir = mkdtempSync(path.join(tmpdir(), 'scope-doc-pdf-'));
	try {
		const f = path.join(dir, 'doc.pdf');
		writeFileSync(f, pdf);
		return execFileSync('pdftotext', ['-layout', f, '-'], { encoding: 'utf8' });
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

async function state(
	scope: string,
	kind: string,
	period: { from: string; to: string },
	cookie = curatorCookie,
	extra = ''
): Promise<ScopeDocumentState> {
	const res = await t.get(`/api/curator/${scope}/documents/${kind}?${q(period)}${extra}`, cookie);
	expect(res.status, await res.clone().text()).toBe(200);
	return (await res.json()) as ScopeDocumentState;
}

/** The rows of a table in a document read back: its cells, in order, after the label. */
const rowAfter = (text: string, label: string, cells: number): string[] => {
	const lines = text.split('\n');
	const i = lines.indexOf(label);
	if (i < 0) throw new Error(`no row «${label}» in:\n${text}`);
	return lines.slice(i + 1, i + 1 + cells);
};

beforeAll(async () => {
	vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
	setDay('2025-03-03');
	t = await startCuratorServer({ RELAY_SUMMARY_DEBOUNCE_MS: '20', RELAY_FACTS_FLUSH_MS: '20' });
	const id = t.identity;
	const sys = SYSTEM_ACTOR;
	curatorA = t.curatorActor;
	orgB = (await id.createOrganization(sys, t.municipalityId, 'МАОУ СОШ № 2 г. Томска')).id;
	const curatorB = await t.person('Кураторова Бэлла Борисовна', 'curator', orgB);
	curatorBCookie = curatorB.cookie;
	const head = await t.person('Александров Андрей Андреевич', 'head');
	who.aHead = head.id;
	headCookie = head.cookie;
	const person = async (
		key: string,
		org: string,
		fullName: string,
		fields: { position: string; birthDate: string; experienceYears?: number }
	) => {
		who[key] = (await id.createPerson(sys, { organizationId: org }, { fullName, ...fields })).id;
	};
	await person('aM1', t.organizationId, 'Артемьева Алла Сергеевна', {
		position: 'учитель русского языка',
		birthDate: '1970-01-15'
	});
	await person('aY1', t.organizationId, 'Алексеева Анна Игоревна', {
		position: 'учитель математики',
		birthDate: '1999-04-01',
		experienceYears: 2
	});
	await person('aY2', t.organizationId, 'Антонов Артем Олегович', {
		position: 'учитель физики',
		birthDate: '2000-05-05'
	});
	await person('bP1', orgB, 'Борисов Богдан', {
		position: 'ученик 7 класса',
		birthDate: '2013-02-02'
	});
	await person('bP3', orgB, 'Белова Вера', {
		position: 'ученик 10 класса',
		birthDate: '2010-03-03'
	});
	for (const k of ['bP1', 'bP3'])
		await id.recordConsent(sys, who[k]!, {
			kind: 'representative',
			representativeName: 'Борисова Мария Ивановна',
			givenOn: '2025-03-01'
		});

	const programs = t.server.programs;
	const orders = programs.orders;
	if (!orders) throw new Error('orders are not wired');
	const create = async (
		key: string,
		actor: Actor,
		organizationId: string,
		templateId: string,
		startDate: string,
		mentor: string,
		mentee: string
	) => {
		P[key] = (
			await programs.createProgram(actor, {
				organizationId,
				templateId,
				startDate,
				participants: [
					{ personId: who[mentor]!, role: 'mentor' },
					{ personId: who[mentee]!, role: 'mentee' }
				]
			})
		).id;
	};
	const approveA = async (key: string, day: string) => {
		const o = await orders.createOrder(curatorA, {
			number: `${key}-п`,
			issuedOn: day,
			kind: 'approve-programs',
			issuerId: who.aHead!,
			programIds: [P[key]!]
		});
		await orders.attachOrder(curatorA, o.id);
		await programs.curatorAction(curatorA, P[key]!, { action: 'approve-program' });
	};

	// ---- 2025-03-03: Q1 -------------------------------------------------------------------------
	await create('Q1', curatorA, t.organizationId, 'teacher-surgut', '2025-03-03', 'aM1', 'aY1');
	await approveA('Q1', '2025-03-03');
	await edit(P.Q1!, who.aY1!, 'mentee', (ed, v) => {
		ed.setAssessment('entry', participantId(v, who.aY1!), 'Планирование урока', 2);
		ed.setAssessment('entry', participantId(v, who.aY1!), 'Оценивание', 2);
	});
	await refresh();

	// ---- 2026-02-02: Q2 (A), Q3 (B, pupils) ----------------------------------------------------
	setDay('2026-02-02');
	await create('Q2', curatorA, t.organizationId, 'teacher-surgut', '2026-02-02', 'aM1', 'aY2');
	await approveA('Q2', '2026-02-02');
	await create('Q3', curatorB.actor, orgB, 'blank', '2026-02-02', 'bP3', 'bP1');
	await programs.curatorAction(curatorB.actor, P.Q3!, { action: 'set-form', form: 'pupil-pupil' });
	await programs.curatorAction(curatorB.actor, P.Q3!, { action: 'approve-program' });
	await refresh();

	// ---- 2026-03-02: Q1 completed with its plan done; the mentee's exit self-assessment -------
	setDay('2026-03-02');
	await edit(P.Q1!, who.aY1!, 'mentee', (ed, v) => {
		ed.setAssessment('exit', participantId(v, who.aY1!), 'Планирование урока', 4);
		ed.setAssessment('exit', participantId(v, who.aY1!), 'Оценивание', 4);
		for (const a of v.activities) if (a.status !== 'done') ed.completeActivity(a.id, '2026-03-02');
	});
	await programs.curatorAction(curatorA, P.Q1!, {
		action: 'complete',
		reason: 'plan-completed',
		date: '2026-03-02'
	});
	await refresh();

	setDay(TODAY);
	await refresh();
	// Sessions signed in at the start have expired by now: everyone signs in again today.
	const signIn = async (personId: string) => {
		const inv = await id.createInvitation(t.admin, { personId });
		return `nst_session=${(await id.redeemInvitation(inv.code, 'test')).token}`;
	};
	curatorCookie = await signIn(curatorA.personId);
	headCookie = await signIn(who.aHead!);
	curatorBCookie = await signIn(curatorB.id);
	coordinatorCookie = (await t.person('Координаторова Кира Олеговна', 'coordinator')).cookie;
}, 180_000);

afterAll(async () => {
	await t?.close();
	vi.useRealTimers();
});

describe('three documents, each with its own sections', () => {
	it('the аналитическая справка: figures of 2026 against 2025, counted by hand; written sections', async () => {
		const text = await docx(orgA(), 'analytic-note', YEAR);
		expect(text).toContain('Аналитическая справка');
		expect(text).toContain(
			'о реализации персонализированных программ наставничества в МАОУ СОШ № 1 г. Томска за период с 01.01.2026 по 31.12.2026'
		);
		for (const h of [
			'1. Общие сведения',
			'2. Показатели и их динамика',
			'3. Формы наставничества и категории наставляемых',
			'4. Ход реализации программ',
			'5. Результативность и удовлетворенность',
			'6. Программы, требующие внимания',
			'7. Выводы',
			'8. Рекомендации',
			'9. Управленческие решения'
		])
			expect(text).toContain(h);
		// 2025: Q1 in force (aM1 → aY1). Young pedagogues on 2025-12-31: aY1 (26), aY2 (25); covered aY1.
		// 2026: Q1 (completed 03-02) and Q2 (aM1 → aY2): 2 in force, 1 completed in the period;
		// mentors aM1 = 1; mentees aY1, aY2 = 2; young pedagogues on 2026-12-31: 2, both covered.
		// Growth: aY1's own 2 → 4 (+2); none in 2025 (no exit assessment yet).
		expect(rowAfter(text, 'Программ реализовывалось в периоде', 3)).toEqual(['1', '2', '+1']);
		expect(rowAfter(text, 'Программ завершено в периоде', 3)).toEqual(['0', '1', '+1']);
		expect(rowAfter(text, 'Наставников (человек)', 3)).toEqual(['1', '1', 'без изменений']);
		expect(rowAfter(text, 'Наставляемых (человек)', 3)).toEqual(['1', '2', '+1']);
		expect(rowAfter(text, '— из них обучающихся', 3)).toEqual(['0', '0', 'без изменений']);
		expect(rowAfter(text, 'Охват молодых педагогов наставничеством, %', 3)).toEqual([
			'50,0',
			'100,0',
			'+50,0'
		]);
		expect(rowAfter(text, 'Прирост самооценки наставляемых, баллов (из 5)', 3)).toEqual([
			'—',
			'2,00',
			'—'
		]);
		expect(text).toContain('Сравнение с периодом\nс 01.01.2025 по 31.12.2025');
		// Nothing written yet: the sections say so, no sentence invents anything.
		expect(text).toContain('7. Выводы\nНе заполнено.');
	});

	it('the информационная справка: the facts of the period and the list of programs, no analytic sections', async () => {
		const text = await docx(orgA(), 'info-note', YEAR);
		expect(text).toContain('Информационная справка');
		expect(text).toContain(
			'о реализации и эффективности персонализированных программ наставничества'
		);
		for (const h of [
			'1. Общие сведения',
			'2. Формы наставничества',
			'5. Охват молодых педагогов (до 35 лет)',
			'8. Перечень программ'
		])
			expect(text).toContain(h);
		for (const h of ['Показатели и их динамика', 'Рекомендации', 'Управленческие решения'])
			expect(text).not.toContain(h);
		expect(text).toContain('Программ реализовывалось в периоде\n2');
		expect(text).toContain(
			'Педагогических и руководящих работников: наставников / наставляемых\n1 / 2'
		);
		// The list: Q1 (completed) and Q2, with their mentors and mentees.
		expect(text).toContain('Артемьева Алла Сергеевна\nАлексеева Анна Игоревна\nзавершена');
		expect(text).toContain('Артемьева Алла Сергеевна\nАнтонов Артем Олегович');
	});

	it('the аналитический отчет: the municipality with dynamics and an analysis per organization', async () => {
		const text = await docx(mun(), 'analytic-report', YEAR, '', coordinatorCookie);
		expect(text).toContain('Аналитический отчет');
		expect(text).toContain('по результатам мониторинга реализации целевой модели наставничества');
		for (const h of [
			'2. Показатели муниципалитета и их динамика',
			'3. Анализ по образовательным организациям',
			'7. Выводы',
			'8. Рекомендации',
			'9. Управленческие решения'
		])
			expect(text).toContain(h);
		// Municipality 2026: Q1, Q2, Q3 = 3 (2025: Q1). Mentees aY1, aY2, bP1 = 3; of them pupils bP1.
		expect(rowAfter(text, 'Программ реализовывалось в периоде', 3)).toEqual(['1', '3', '+2']);
		expect(rowAfter(text, 'Наставляемых (человек)', 3)).toEqual(['1', '3', '+2']);
		expect(rowAfter(text, '— из них обучающихся', 3)).toEqual(['0', '1', '+1']);
		expect(text).toContain('Образовательных организаций\n2');
		// Per organization: [programs before → now, mentors, mentees before → now, pupils, young %, growth, reports due].
		const a = rowAfter(text, 'МАОУ СОШ № 1 г. Томска', 6);
		expect(a).toEqual(['1 → 2', '1', '1 → 2', '0', '100,0', '2,00']);
		const b = rowAfter(text, 'МАОУ СОШ № 2 г. Томска', 6);
		expect(b).toEqual(['0 → 1', '1', '0 → 1', '1', '—', '—']);
	});

	it('a past period shows what was true then (the history), not today', async () => {
		const text = await docx(orgA(), 'info-note', PAST);
		expect(text).toContain('за период с 01.01.2025 по 31.12.2025');
		expect(text).toContain('Программ реализовывалось в периоде\n1');
		expect(text).toContain('Наставляемых (человек)\n1');
		// Q2 did not exist; Q1 was not completed yet.
		expect(text).not.toContain('Антонов Артем Олегович');
		expect(text).not.toContain('\nзавершена');
	});

	it('says nothing the system did not do: no reminders, no device jargon, no raw codes', async () => {
		for (const [scope, kind, cookie] of [
			[orgA(), 'info-note', curatorCookie],
			[orgA(), 'analytic-note', curatorCookie],
			[mun(), 'analytic-report', coordinatorCookie],
			[mun(), 'info-note', coordinatorCookie]
		] as const) {
			const text = await docx(scope, kind, YEAR, '', cookie);
			expect(text).not.toMatch(/напоминани/i);
			expect(text).not.toMatch(/устройств|синхрониз|на связи/i);
			expect(text).not.toMatch(/\b\d{4}-\d{2}(-\d{2})?\b/);
			expect(text).not.toMatch(
				/\b(head-head|pupil-pupil|educator-educator|plan-completed|teacher-surgut|not-started|unscheduled)\b/
			);
		}
	});

	it('the kinds belong to their scopes; a period must be given', async () => {
		const wrong = await t.get(
			`/api/curator/${orgA()}/documents/analytic-report?${q(YEAR)}`,
			curatorCookie
		);
		expect(wrong.status).toBe(400);
		expect(((await wrong.json()) as { message: string }).message).toContain('по муниципалитету');
		const none = await t.get(`/api/curator/${orgA()}/documents/analytic-note`, curatorCookie);
		expect(none.status).toBe(400);
		expect(
			(await t.get(`/api/curator/${orgA()}/documents/other?${q(YEAR)}`, curatorCookie)).status
		).toBe(404);
	});
});

describe('written, versioned, handed in', () => {
	const save = (
		body: Record<string, unknown>,
		cookie = curatorCookie,
		scope = orgA(),
		kind = 'analytic-note'
	) => t.post(`/api/curator/${scope}/documents/${kind}`, { ...YEAR, ...body }, cookie);

	it('who may write: the curator and the coordinator; the head reads; another school sees nothing', async () => {
		const head = await state(orgA(), 'analytic-note', YEAR, headCookie);
		expect(head.canWrite).toBe(false);
		const denied = await save({ sections: { conclusions: 'x' }, baseVersion: 0 }, headCookie);
		expect(denied.status).toBe(403);
		const other = await save({ sections: { conclusions: 'x' }, baseVersion: 0 }, curatorBCookie);
		expect(other.status).toBe(404);
		expect(
			(await t.get(`/api/curator/${orgA()}/documents/analytic-note?${q(YEAR)}`, curatorBCookie))
				.status
		).toBe(404);
		const anonymous = await save({ sections: {}, baseVersion: 0 }, '');
		expect(anonymous.status).toBe(401);
		expect((await state(orgA(), 'analytic-note', YEAR, coordinatorCookie)).canWrite).toBe(true);
		// Too long a text is refused with a Russian message, nothing stored.
		const long = await save({ sections: { conclusions: 'я'.repeat(20_001) }, baseVersion: 0 });
		expect(long.status).toBe(400);
		expect(((await long.json()) as { message: string }).message).toContain('Неверный запрос');
		expect((await state(orgA(), 'analytic-note', YEAR)).versions).toEqual([]);
	});

	it('saves versions with their authors, refuses a stale one, hands one in frozen with its figures', async () => {
		const v1 = await save({
			sections: {
				conclusions: 'Охват молодых педагогов наставничеством достиг 100 %.',
				recommendations: 'Продолжить программы для педагогов первых лет работы.'
			},
			baseVersion: 0
		});
		expect(v1.status, await v1.clone().text()).toBe(201);
		const s1 = (await v1.json()) as ScopeDocumentState;
		expect(s1.version).toMatchObject({
			version: 1,
			authorName: 'Сидорова Анна Викторовна',
			handedIn: false
		});
		// Someone who started from nothing (baseVersion 0) after version 1 exists: a conflict, in Russian.
		const stale = await save(
			{ sections: { conclusions: 'другое' }, baseVersion: 0 },
			coordinatorCookie
		);
		expect(stale.status).toBe(409);
		expect(((await stale.json()) as { message: string }).message).toContain(
			'Документ уже изменили'
		);

		const v2 = await save({
			sections: {
				conclusions: 'Охват молодых педагогов наставничеством достиг 100 %.',
				recommendations: 'Продолжить программы для педагогов первых лет работы.',
				decisions: 'Включить Антонова А. О. в план методической работы на 2027 год.'
			},
			handIn: true,
			baseVersion: 1
		});
		expect(v2.status).toBe(201);
		const s2 = (await v2.json()) as ScopeDocumentState;
		expect(s2.frozen).toBe(true);
		expect(s2.versions.map((v) => [v.version, v.handedIn])).toEqual([
			[2, true],
			[1, false]
		]);
		const handedDocx = await file(
			`/api/curator/${orgA()}/documents/analytic-note/file?${q(YEAR)}&format=docx`
		);
		const handed = docxText(handedDocx);
		expect(handed).toContain('7. Выводы\nОхват молодых педагогов наставничеством достиг 100 %.');
		expect(handed).toContain(
			'9. Управленческие решения\nВключить Антонова А. О. в план методической работы на 2027 год.'
		);
		expect(handed).toMatch(
			/Редакция 2 от \d\d\.\d\d\.\d{4} \d\d:\d\d, Сидорова Анна Викторовна\. Сдана\./
		);
		expect(rowAfter(handed, 'Программ реализовывалось в периоде', 3)).toEqual(['1', '2', '+1']);
		const handedPdf = pdfText(
			await file(`/api/curator/${orgA()}/documents/analytic-note/file?${q(YEAR)}&format=pdf`)
		);
		for (const s of [
			'Аналитическая справка',
			'Показатели и их динамика',
			'Выводы',
			'Рекомендации',
			'Управленческие решения'
		])
			expect(handedPdf).toContain(s);
		expect(handedPdf).toContain('Продолжить программы для педагогов первых лет работы.');

		// The data change: a new program in school A today (Q4: aM1 → aY1 again).
		const created = await t.server.programs.createProgram(curatorA, {
			organizationId: t.organizationId,
			templateId: 'teacher-surgut',
			startDate: TODAY,
			participants: [
				{ personId: who.aM1!, role: 'mentor' },
				{ personId: who.aY2!, role: 'mentee' }
			]
		});
		P.Q4 = created.id;
		const orders = t.server.programs.orders!;
		const o = await orders.createOrder(curatorA, {
			number: 'Q4-п',
			issuedOn: TODAY,
			kind: 'approve-programs',
			issuerId: who.aHead!,
			programIds: [created.id]
		});
		await orders.attachOrder(curatorA, o.id);
		await t.server.programs.curatorAction(curatorA, created.id, { action: 'approve-program' });
		await refresh();
		// The live figures moved (3 programs in force in 2026)…
		const live = await docx(orgA(), 'analytic-note', YEAR, '&version=1');
		expect(rowAfter(live, 'Программ реализовывалось в периоде', 3)).toEqual(['1', '3', '+2']);
		// …the handed-in document did not: the same bytes of text, the same figures, on screen too.
		expect(await docx(orgA(), 'analytic-note', YEAR)).toBe(handed);
		expect(await docx(orgA(), 'analytic-note', YEAR, '&version=2')).toBe(handed);
		const reopened = await state(orgA(), 'analytic-note', YEAR);
		expect(reopened.frozen).toBe(true);
		expect(reopened.preview).toEqual(s2.preview);
		expect(reopened.sections).toEqual(s2.sections);
		// An older version is still there to read and download.
		const first = await state(orgA(), 'analytic-note', YEAR, curatorCookie, '&version=1');
		expect(first.sections.decisions).toBeUndefined();
		expect(
			(
				await t.get(
					`/api/curator/${orgA()}/documents/analytic-note?${q(YEAR)}&version=9`,
					curatorCookie
				)
			).status
		).toBe(404);
		// The head reads the handed-in document.
		expect((await state(orgA(), 'analytic-note', YEAR, headCookie)).preview).toEqual(s2.preview);
	});
});

describe('the calendar of each municipality', () => {
	const calendar = async (scope: string, cookie: string, year = 2026) => {
		const res = await t.get(`/api/curator/${scope}/calendar?year=${year}`, cookie);
		expect(res.status).toBe(200);
		return ((await res.json()) as { events: CalendarEvent[] }).events;
	};
	const config = async (cookie: string, body?: unknown) => {
		const res = body
			? await fetch(`${t.base}/api/curator/${mun()}/calendar/config`, {
					method: 'PUT',
					headers: { cookie, 'content-type': 'application/json' },
					body: JSON.stringify(body)
				})
			: await t.get(`/api/curator/${mun()}/calendar/config`, cookie);
		return res;
	};

	it('by default: both seeds, the items that were missing, no institution hard-coded', async () => {
		const events = await calendar(mun(), coordinatorCookie);
		const titles = events.map((e) => e.title).join('\n');
		expect(titles).toContain('Мониторинг сайтов образовательных организаций'); // 5.1
		expect(titles).toContain('Рекомендации по результатам мониторинга'); // 5.6
		expect(titles).toContain('Контроль исполнения мероприятий муниципальной дорожной карты'); // 6.2
		expect(titles).toContain('Трансляция лучших практик'); // 4.2
		expect(titles).toContain('Актуализация списка руководителей и резервистов'); // Tomsk 2024 §3.3
		expect(JSON.stringify(events)).not.toContain('ГИМЦ');
		expect(events.find((e) => e.itemId === '12-monitoring')?.responsible).toBe(
			'муниципальный координатор, кураторы в ОО'
		);
	});

	it('the December monitoring item pre-fills the справки of each school and the отчет for the year; 1 June the информационная справка', async () => {
		const events = await calendar(mun(), coordinatorCookie);
		const dec = events.find((e) => e.itemId === '12-monitoring')!;
		expect(dec.date).toBe('2026-12-20');
		expect(dec.documents).toEqual([
			expect.objectContaining({
				kind: 'scope-document',
				docKind: 'analytic-note',
				label: 'Аналитическая справка: МАОУ СОШ № 1 г. Томска',
				scope: { kind: 'organization', id: t.organizationId, name: 'МАОУ СОШ № 1 г. Томска' },
				...YEAR,
				versions: 2,
				handedIn: true
			}),
			expect.objectContaining({
				docKind: 'analytic-note',
				scope: expect.objectContaining({ id: orgB }),
				handedIn: false
			}),
			expect.objectContaining({
				docKind: 'analytic-report',
				scope: expect.objectContaining({ kind: 'municipality' }),
				...YEAR
			})
		]);
		const school = await calendar(orgA(), curatorCookie);
		expect(school.find((e) => e.itemId === '12-monitoring')?.documents).toEqual([
			expect.objectContaining({
				docKind: 'analytic-note',
				scope: expect.objectContaining({ id: t.organizationId })
			})
		]);
		expect(school.find((e) => e.itemId === '06-01-note')?.documents).toEqual([
			expect.objectContaining({ docKind: 'info-note', from: '2025-09-01', to: '2026-05-31' })
		]);
		// The December item's figures are those of 2026-12-20: Q2 active, Q1 completed.
		expect(school.find((e) => e.itemId === '12-monitoring')?.figures).toEqual([
			{ label: 'программ реализуется', value: 1 },
			{ label: 'завершено', value: 1 },
			{ label: 'программ', value: 2 }
		]);
	});

	it('the coordinator sets the preset, the body and the items; nobody else may', async () => {
		const before = (await (await config(coordinatorCookie)).json()) as CalendarConfigState;
		expect(before.canEdit).toBe(true);
		expect(before.configured).toBe(false);
		expect(before.presets.map((p) => p.id)).toEqual(['combined', 'divnogorsk-2022', 'tomsk-2024']);
		const curatorView = (await (
			await t.get(`/api/curator/${orgA()}/calendar/config`, curatorCookie)
		).json()) as CalendarConfigState;
		expect(curatorView.canEdit).toBe(false);
		expect((await config(curatorCookie, { preset: 'tomsk-2024' })).status).toBe(403);

		const tomsk = await config(coordinatorCookie, { preset: 'tomsk-2024' });
		expect(tomsk.status, await tomsk.clone().text()).toBe(200);
		const events = await calendar(mun(), coordinatorCookie);
		expect(events.map((e) => e.itemId)).toEqual([
			'06-10-reports',
			'08-mentee-list',
			'12-10-reports',
			'12-monitoring',
			'12-annual'
		]);
		expect(events[0]?.responsible).toContain('наставники, комитет по общему образованию');
		expect(events[3]?.responsible).toBe('департамент образования администрации Города Томска');

		// Edit: rename the body, move an item, add one, remove another.
		const cfg = ((await tomsk.json()) as CalendarConfigState).config;
		cfg.bodyName = 'МКУ «Информационно-методический центр»';
		cfg.items = cfg.items.filter((i) => i.id !== '12-annual');
		cfg.items[0]!.day = 11;
		cfg.items.push({
			id: 'own-1',
			title: 'Совещание кураторов по итогам полугодия',
			month: 7,
			day: 5,
			basis: 'Решение координационного совета',
			responsible: ['body', 'curators'],
			responsibleOther: '',
			measure: 'programs',
			documents: ['info-note'],
			period: 'half-year'
		});
		const saved = await config(coordinatorCookie, { bodyName: cfg.bodyName, items: cfg.items });
		expect(saved.status, await saved.clone().text()).toBe(200);
		const after = await calendar(mun(), coordinatorCookie);
		expect(after.map((e) => [e.itemId, e.date])).toEqual([
			['06-10-reports', '2026-06-11'],
			['own-1', '2026-07-05'],
			['08-mentee-list', '2026-08-31'],
			['12-10-reports', '2026-12-10'],
			['12-monitoring', '2026-12-20']
		]);
		const own = after.find((e) => e.itemId === 'own-1')!;
		expect(own.responsible).toBe('МКУ «Информационно-методический центр», кураторы в ОО');
		expect(own.documents).toEqual([
			expect.objectContaining({ docKind: 'info-note', from: '2026-01-01', to: '2026-06-30' })
		]);
		// The school's calendar is its municipality's.
		expect((await calendar(orgA(), curatorCookie)).map((e) => e.itemId)).toContain('own-1');

		// Bad input: a clear Russian error, nothing lost.
		const bad = await config(coordinatorCookie, {
			bodyName: 'x',
			items: [{ ...cfg.items[0]!, title: ' ', month: 2, day: 30 }]
		});
		expect(bad.status).toBe(400);
		const msg = ((await bad.json()) as { message: string }).message;
		expect(msg).toContain('Пункт 1: укажите мероприятие');
		expect(msg).toContain('Пункт 1: неверный день');
		expect((await calendar(mun(), coordinatorCookie)).length).toBe(5);
		expect((await config(coordinatorCookie, { preset: 'nope' })).status).toBe(400);
	});
});
