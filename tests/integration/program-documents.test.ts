/**
 * The documents of one program as a curator downloads them from the real server and hands them
 * in (issue 15), read back: the DOCX text, the PDF's drawn lines, the file names.
 * - the ППН of a Tomsk head is approved by the head of the department of education (Tomsk 2024
 *   §§3.2, 6.2, 7.2), not by «руководитель образовательной организации» (the mentee himself);
 *   a teacher's by the head of the school (Surgut 2022 §4.6.1); after an extension it shows the
 *   current term, not «24 мес.»;
 * - the stage document's type is the appendix's form of the result (stage 4 → аналитическая
 *   справка) with the sections of an analysis: results against goals, the MENTEE's entry → exit
 *   self-assessment, conclusions;
 * - the mentor's report by 10 June / 10 December: exported from what the mentor wrote, owed only
 *   by head mentoring (Tomsk 2024, order p. 3) — not by a teacher's program, and the calendar
 *   counts only the programs that owe it;
 * - no raw codes («2026-12», enum keys); PDF lines never split a word; file names name the
 *   document and the mentee, so a mentor with two mentees gets two files.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ProgramEditor, readProgram } from '../../src/lib/shared/program/index';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import { docxText } from './curator-fixtures';
import { pdfLines } from '../support/pdf';
import { readZipEntry } from '../support/docx';
import { api, signIn, startTestServer, type TestServer } from './identity-fixture';

let t: TestServer;
const ids = {} as Record<
	| 'mun'
	| 'schoolA'
	| 'schoolB'
	| 'mentorHead'
	| 'menteeHead'
	| 'depCurator'
	| 'depHead'
	| 'schoolCurator'
	| 'teacherMentor'
	| 'teacherA'
	| 'teacherB'
	| 'head'
	| 'teacher1'
	| 'teacher2',
	string
>;
const cookies = {} as Record<
	'mentorHead' | 'menteeHead' | 'depCurator' | 'depHead' | 'schoolCurator' | 'teacherMentor',
	string
>;

const view = async (programId: string) => {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, await t.server.relay.getDocument(programId));
	const decisions = new Y.Doc();
	Y.applyUpdate(decisions, await t.server.relay.getDecisions(programId));
	return readProgram(doc, decisions);
};

/** A participant's own edit, as their phone would send it. */
const asParticipant = (
	programId: string,
	userId: string,
	role: 'mentor' | 'mentee',
	edit: (e: ProgramEditor, doc: Y.Doc) => void
) =>
	t.server.relay.applyServerEdit(programId, { userId, role }, (doc) =>
		edit(new ProgramEditor(doc, { userId, role }), doc)
	);

async function download(
	url: string,
	cookie: string
): Promise<{ status: number; body: Buffer; fileName: string }> {
	const res = await fetch(`${t.base}${url}`, { headers: { cookie } });
	const disposition = res.headers.get('content-disposition') ?? '';
	const star = /filename\*=UTF-8''([^;]+)/.exec(disposition);
	return {
		status: res.status,
		body: Buffer.from(await res.arrayBuffer()),
		fileName: star ? decodeURIComponent(star[1] as string) : ''
	};
}

/** Raw codes a document must not show: a bare year-month, enum keys of the program document. */
function expectNoRawCodes(text: string) {
	expect(text).not.toMatch(/(?<![\d.])\d{4}-\d{2}(?![\d-])/);
	for (const key of [
		'mentor-semiannual',
		'info-note',
		'analytic-note',
		'analytic-report',
		'head-head',
		'tomsk-heads',
		'in-progress',
		'traditional'
	])
		expect(text).not.toContain(key);
}

/**
 * Every drawn line of the PDF holds whole words only: each space-separated token is a word of
 * the document's text (or a part of a hyphenated word ending at its hyphen).
 */
function expectNoBrokenWords(pdf: Buffer, sourceText: string) {
	const words = new Set<string>();
	for (const w of sourceText.split(/\s+/)) {
		if (!w) continue;
		words.add(w);
		const parts = w.split(/(?<=[-\u2010])/);
		parts.forEach((p, i) => {
			words.add(p);
			words.add(parts.slice(i).join(''));
			words.add(parts.slice(0, i + 1).join(''));
		});
	}
	const broken: string[] = [];
	const lines = pdfLines(pdf);
	expect(lines.length).toBeGreaterThan(20);
	for (const l of lines)
		for (const tok of l.text.split(/\s+/))
			if (tok && !/^\d+ \/ \d+$/.test(l.text) && !words.has(tok))
				broken.push(`${tok} (in «${l.text}»)`);
	expect(broken).toEqual([]);
}

let headProgram = '';
let teacherProgram1 = '';
let teacherProgram2 = '';

beforeAll(async () => {
	t = await startTestServer();
	const id = t.server.identity;
	const sys = SYSTEM_ACTOR;
	ids.mun = (await id.createMunicipality(sys, 'Город Томск')).id;
	ids.schoolA = (await id.createOrganization(sys, ids.mun, 'МАОУ СОШ № 40 г. Томска')).id;
	ids.schoolB = (await id.createOrganization(sys, ids.mun, 'МАОУ СОШ № 7 г. Томска')).id;
	const person = async (
		scope: { organizationId: string } | { municipalityId: string },
		fullName: string,
		position: string,
		role: 'head' | 'curator' | 'municipal-curator' | 'department-head' | null
	) => {
		const p = await id.createPerson(sys, scope, { fullName, position, birthDate: '1975-03-01' });
		if (role) await id.assignRole(sys, p.id, role, scope);
		return p.id;
	};
	ids.mentorHead = await person(
		{ organizationId: ids.schoolA },
		'Громова Наталья Сергеевна',
		'директор',
		'head'
	);
	ids.menteeHead = await person(
		{ organizationId: ids.schoolB },
		'Белов Артём Викторович',
		'директор',
		'head'
	);
	ids.schoolCurator = await person(
		{ organizationId: ids.schoolB },
		'Ершова Ольга Ильинична',
		'заместитель директора',
		'curator'
	);
	ids.depCurator = await person(
		{ municipalityId: ids.mun },
		'Кравцова Марина Андреевна',
		'главный специалист департамента образования',
		'municipal-curator'
	);
	ids.depHead = await person(
		{ municipalityId: ids.mun },
		'Соболев Игорь Павлович',
		'начальник департамента образования',
		'department-head'
	);
	ids.teacherMentor = await person(
		{ organizationId: ids.schoolB },
		'Лаптева Анна Игоревна',
		'учитель',
		null
	);
	ids.teacher1 = await person(
		{ organizationId: ids.schoolB },
		'Мухин Денис Олегович',
		'учитель',
		null
	);
	ids.teacher2 = await person(
		{ organizationId: ids.schoolB },
		'Мухина Дарья Олеговна',
		'учитель',
		null
	);
	for (const k of [
		'mentorHead',
		'menteeHead',
		'depCurator',
		'depHead',
		'schoolCurator',
		'teacherMentor'
	] as const)
		cookies[k] = (await signIn(t, ids[k])).cookie;

	const create = async (cookie: string, body: Record<string, unknown>) => {
		const r = await api(t, 'POST', '/api/programs', { cookie, body });
		expect(r.status, JSON.stringify(r.body)).toBe(201);
		return (r.body.program as { id: string }).id;
	};
	headProgram = await create(cookies.depCurator, {
		organizationId: ids.schoolB,
		templateId: 'tomsk-heads-beginner',
		startDate: '2026-09-01',
		participants: [
			{ personId: ids.mentorHead, role: 'mentor' },
			{ personId: ids.menteeHead, role: 'mentee' }
		]
	});
	for (const [k, mentee] of [
		['1', ids.teacher1],
		['2', ids.teacher2]
	] as const) {
		const pid = await create(cookies.schoolCurator, {
			organizationId: ids.schoolB,
			templateId: 'teacher-surgut',
			startDate: '2026-09-01',
			participants: [
				{ personId: ids.teacherMentor, role: 'mentor' },
				{ personId: mentee, role: 'mentee' }
			]
		});
		if (k === '1') teacherProgram1 = pid;
		else teacherProgram2 = pid;
	}

	// The head's program: a 3-month extension, petitioned by the department's curator with the
	// pair's consent and approved by the head of the department (Tomsk 2024 §7.2).
	let changeId = '';
	await asParticipant(headProgram, ids.menteeHead, 'mentee', (e) => {
		changeId = e.requestChange({ kind: 'extension', months: 3, reason: 'Болезнь' });
	});
	await asParticipant(headProgram, ids.mentorHead, 'mentor', (e) => e.consentChange(changeId));
	const act = (who: 'depCurator' | 'depHead', body: unknown) =>
		api(t, 'POST', `/api/curator/programs/${headProgram}/actions`, { cookie: cookies[who], body });
	expect((await act('depCurator', { action: 'petition-change', changeId })).status).toBe(200);
	expect((await act('depHead', { action: 'approve-change', changeId })).status).toBe(200);

	// Self-assessment: the mentee 2 → 4 and 3 → 4; the mentor's own 5 → 5 must not count as growth.
	await asParticipant(headProgram, ids.menteeHead, 'mentee', (e, doc) => {
		const v = readProgram(doc);
		const me = v.participants.find((p) => p.role === 'mentee')?.id ?? '';
		e.setAssessment('entry', me, 'Управление персоналом', 2);
		e.setAssessment('exit', me, 'Управление персоналом', 4);
		e.setAssessment('entry', me, 'Стратегическое планирование', 3);
		e.setAssessment('exit', me, 'Стратегическое планирование', 4);
		const s4 = v.stages[3]?.id ?? '';
		const r = e.startReport({ kind: 'stage', stageId: s4 });
		e.setText(
			{ kind: 'report', id: r, field: 'text' },
			'Мониторинг качества проведен, выводы сделаны.'
		);
	});
	await asParticipant(headProgram, ids.mentorHead, 'mentor', (e, doc) => {
		const v = readProgram(doc);
		const me = v.participants.find((p) => p.role === 'mentor')?.id ?? '';
		e.setAssessment('entry', me, 'Управление персоналом', 5);
		e.setAssessment('exit', me, 'Управление персоналом', 5);
		// The mentor's report for the second half of 2026 (due 10 December).
		const r = e.startReport({ kind: 'mentor-semiannual', period: '2026-12' });
		e.setText(
			{ kind: 'report', id: r, field: 'text' },
			'Проведены консультации по управлению процессами; наставляемый освоил инструменты контроля.'
		);
	});
}, 120_000);

afterAll(async () => {
	await t?.close();
});

describe('the ППН', () => {
	it("a Tomsk head's program is approved by the head of the department, not by the mentee himself", async () => {
		const f = await download(
			`/api/curator/programs/${headProgram}/document?format=docx`,
			cookies.depCurator
		);
		expect(f.status).toBe(200);
		const text = docxText(f.body);
		expect(text).toContain(
			'УТВЕРЖДАЮ\nНачальник департамента образования администрации Города Томска\n'
		);
		expect(text).not.toContain('Руководитель образовательной организации');
	});

	it('after the extension it shows the current term: 27 months to 30.11.2028, not «24 мес.»', async () => {
		const text = docxText(
			(
				await download(
					`/api/curator/programs/${headProgram}/document?format=docx`,
					cookies.depCurator
				)
			).body
		);
		expect(text).toContain('27 месяцев, с 01.09.2026 по 30.11.2028');
		expect(text).toContain('продлен на 3 месяца');
		expect(text).toContain('первоначальный срок — 24 месяца');
		expect(text).not.toMatch(/24 мес\./);
		expectNoRawCodes(text);
	});

	it("a teacher's program is approved by the head of the school (Surgut 2022 §4.6.1)", async () => {
		const text = docxText(
			(
				await download(
					`/api/curator/programs/${teacherProgram1}/document?format=docx`,
					cookies.schoolCurator
				)
			).body
		);
		expect(text).toContain('УТВЕРЖДАЮ\nРуководитель образовательного учреждения\n');
		expect(text).toContain('12 месяцев, с 01.09.2026 по 31.08.2027');
		// No mentor's semi-annual report is owed by a teacher's program.
		expect(text).not.toContain('Отчет наставника');
		expectNoRawCodes(text);
	});

	it('file names carry the document and the mentee: a mentor with two mentees gets two files', async () => {
		const a = await download(
			`/api/curator/programs/${teacherProgram1}/document?format=docx`,
			cookies.teacherMentor
		);
		const b = await download(
			`/api/curator/programs/${teacherProgram2}/document?format=pdf`,
			cookies.teacherMentor
		);
		expect(a.status).toBe(200);
		expect(a.fileName).toBe('ППН Мухин Д.О.docx');
		expect(b.fileName).toBe('ППН Мухина Д.О.pdf');
		const head = await download(
			`/api/curator/programs/${headProgram}/document?format=docx`,
			cookies.depCurator
		);
		expect(head.fileName).toBe('ППН Белов А.В.docx');
	});

	it('the PDF breaks lines between words only', async () => {
		const docx = await download(
			`/api/curator/programs/${headProgram}/document?format=docx`,
			cookies.depCurator
		);
		const pdf = await download(
			`/api/curator/programs/${headProgram}/document?format=pdf`,
			cookies.depCurator
		);
		expect(pdf.status).toBe(200);
		expectNoBrokenWords(pdf.body, docxText(docx.body));
	});
});

describe('the stage document', () => {
	it('stage 1 ends with an информационная справка', async () => {
		const v = await view(headProgram);
		const f = await download(
			`/api/curator/programs/${headProgram}/stages/${v.stages[0]?.id}/note?format=docx`,
			cookies.depCurator
		);
		const text = docxText(f.body);
		expect(text.split('\n')[0]).toBe('Информационная справка');
		expect(f.fileName).toBe('Информационная справка этап 1 Белов А.В.docx');
	});

	it('stage 4 (Tomsk 2024, Appendix 1) ends with an аналитическая справка that analyses', async () => {
		const v = await view(headProgram);
		const url = `/api/curator/programs/${headProgram}/stages/${v.stages[3]?.id}/note`;
		const f = await download(`${url}?format=docx`, cookies.depCurator);
		expect(f.status).toBe(200);
		expect(f.fileName).toBe('Аналитическая справка этап 4 Белов А.В.docx');
		const text = docxText(f.body);
		expect(text.split('\n')[0]).toBe('Аналитическая справка');
		expect(text).not.toContain('Информационная справка\n');
		for (const section of [
			'Цели и ожидаемые результаты программы',
			'Результаты относительно целей: выполнение плана мероприятий',
			'Динамика самооценки профессиональных компетенций наставляемого',
			'Выводы'
		])
			expect(text).toContain(section);
		// The mentee's own growth: (2 + 3) / 2 = 2,5 → (4 + 4) / 2 = 4,0; the mentor's 5 → 5 is not in it.
		expect(text).toContain('входная 2,5, итоговая 4,0 балла (изменение +1,5)');
		expect(text).toContain('Управление персоналом\n2\n4\n+2,0');
		expect(text).not.toContain('Громова Наталья Сергеевна\nУправление персоналом');
		expect(text).toContain('Мониторинг качества проведен, выводы сделаны.');
		// Nothing the system did not do, no device-sync jargon.
		expect(text).not.toMatch(/напоминани|синхрониз|устройств/i);
		expectNoRawCodes(text);
		const pdf = await download(`${url}?format=pdf`, cookies.depCurator);
		expectNoBrokenWords(pdf.body, text);
	});
});

describe("the mentor's semi-annual report", () => {
	it('is exported from what the mentor wrote (DOCX and PDF), for the curator and for the mentor', async () => {
		const url = `/api/curator/programs/${headProgram}/reports/2026-12/document`;
		const f = await download(`${url}?format=docx`, cookies.depCurator);
		expect(f.status).toBe(200);
		expect(f.fileName).toBe('Отчет наставника II полугодие 2026 г. Белов А.В.docx');
		const text = docxText(f.body);
		expect(text.split('\n')[0]).toBe('Отчет наставника');
		expect(text).toContain('за II полугодие 2026 г.');
		expect(text).toContain('до 10 декабря 2026 г.');
		expect(text).toContain('01.09.2026 – 10.12.2026');
		expect(text).toContain(
			'Проведены консультации по управлению процессами; наставляемый освоил инструменты контроля.'
		);
		expect(text).toContain('черновик');
		expectNoRawCodes(text);
		const pdf = await download(`${url}?format=pdf`, cookies.mentorHead);
		expect(pdf.status).toBe(200);
		expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
		expect(pdfLines(pdf.body).map((l) => l.text)).toContain('Отчет наставника');
		expectNoBrokenWords(pdf.body, text);
	});

	it("is listed in the head's ППН with its half-year in words", async () => {
		const text = docxText(
			(
				await download(
					`/api/curator/programs/${headProgram}/document?format=docx`,
					cookies.depCurator
				)
			).body
		);
		expect(text).toContain('Отчет наставника за II полугодие 2026 г.');
		expect(text).toContain('Отчет наставника за I полугодие 2027 г.');
	});

	it("is not owed by a teacher's program: no export, no report due", async () => {
		const f = await download(
			`/api/curator/programs/${teacherProgram1}/reports/2026-12/document?format=docx`,
			cookies.schoolCurator
		);
		expect(f.status).toBe(404);
		const bad = await download(
			`/api/curator/programs/${headProgram}/reports/2026-13/document?format=docx`,
			cookies.depCurator
		);
		expect(bad.status).toBe(404);
		const v = await view(teacherProgram1);
		const { expectedReports } = await import('../../src/lib/shared/program/index');
		expect(expectedReports(v).map((e) => e.kind)).toEqual(v.stages.map(() => 'stage'));
	});

	it('the calendar counts only the programs that owe it', async () => {
		const r = await api(t, 'GET', `/api/curator/organizations/${ids.schoolB}/calendar?year=2026`, {
			cookie: cookies.schoolCurator
		});
		expect(r.status, JSON.stringify(r.body)).toBe(200);
		const events = r.body.events as Array<{
			id: string;
			figures: Array<{ label: string; value: number }>;
		}>;
		const dec = events.find((e) => e.id === '2026-12-10-reports');
		// Three programs started 01.09.2026; only the head's owes the report.
		expect(
			dec?.figures.find((x) => x.label === 'программ, которые должны представить отчет')?.value
		).toBe(1);
	});
});

describe('XLSX', () => {
	it('registries: real Excel dates with a Russian format, frozen and filtered headers, fitting widths', async () => {
		const f = await download(
			`/api/curator/organizations/${ids.schoolB}/exports/registries.xlsx`,
			cookies.schoolCurator
		);
		expect(f.status).toBe(200);
		const wb = new ExcelJS.Workbook();
		await wb.xlsx.load(f.body as unknown as ArrayBuffer);
		const ws = wb.getWorksheet('Реестр программ');
		if (!ws) throw new Error('no sheet');
		const header = (ws.getRow(2).values as unknown[]).map(String);
		const col = (name: string) => header.indexOf(name);
		expect(ws.rowCount).toBe(5);
		for (let r = 3; r <= ws.rowCount; r++) {
			const start = ws.getRow(r).getCell(col('Начало'));
			expect(start.type).toBe(ExcelJS.ValueType.Date);
			expect((start.value as Date).getTime()).toBe(Date.UTC(2026, 8, 1));
			expect(start.numFmt).toBe('dd.mm.yyyy');
			expect(ws.getRow(r).getCell(col('Данные на дату')).type).toBe(ExcelJS.ValueType.Date);
		}
		const longest = Math.max(
			...[3, 4, 5].map((r) => String(ws.getRow(r).getCell(col('Программа')).value).length)
		);
		expect(ws.getColumn(col('Программа')).width).toBe(Math.min(50, longest + 2));
		expect(ws.getColumn(col('№')).width).toBeLessThanOrEqual(8);
		const people = wb.getWorksheet('Реестр наставников');
		const birth = people?.getRow(3).getCell(5);
		expect(birth?.type).toBe(ExcelJS.ValueType.Date);
		expect((birth?.value as Date).getTime()).toBe(Date.UTC(1975, 2, 1));
		// The header rows stay in view; the filter covers the data, not the header row alone.
		const xml = readZipEntry(f.body, 'xl/worksheets/sheet3.xml') ?? '';
		expect(xml).toMatch(/<pane [^>]*ySplit="2"[^>]*state="frozen"/);
		expect(xml).toMatch(/<autoFilter ref="A2:[A-Z]+5"\/>/);
	});

	it('monitoring: dates and the last time on the network are Excel dates; widths fit', async () => {
		const f = await download(
			`/api/curator/organizations/${ids.schoolB}/exports/monitoring.xlsx`,
			cookies.schoolCurator
		);
		expect(f.status).toBe(200);
		const wb = new ExcelJS.Workbook();
		await wb.xlsx.load(f.body as unknown as ArrayBuffer);
		const ws = wb.getWorksheet('Мониторинг программ');
		if (!ws) throw new Error('no sheet');
		const header = (ws.getRow(2).values as unknown[]).map(String);
		const col = (name: string) => header.indexOf(name);
		expect(col('Последний выход участников на связь (местное время)')).toBeGreaterThan(0);
		for (let r = 3; r <= ws.rowCount; r++) {
			for (const name of ['Начало', 'Окончание', 'Данные на дату']) {
				const c = ws.getRow(r).getCell(col(name));
				expect(c.type, name).toBe(ExcelJS.ValueType.Date);
				expect(c.numFmt, name).toBe('dd.mm.yyyy');
			}
		}
		// Every sheet: frozen header rows and a filter over its data.
		wb.eachSheet((sheet) => {
			const view = sheet.views[0];
			expect(view?.state, sheet.name).toBe('frozen');
			expect(view?.state === 'frozen' ? view.ySplit : null, sheet.name).toBe(2);
		});
	});
});

describe('the PDF layout of the other documents', () => {
	it("the organization's информационная справка breaks lines between words only", async () => {
		const base = `/api/curator/organizations/${ids.schoolB}/exports/note?kind=info-note`;
		const docx = await download(`${base}&format=docx`, cookies.schoolCurator);
		const pdf = await download(`${base}&format=pdf`, cookies.schoolCurator);
		expect(pdf.status).toBe(200);
		expectNoBrokenWords(pdf.body, docxText(docx.body));
	});
});
