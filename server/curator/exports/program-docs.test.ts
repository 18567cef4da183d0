/**
 * The program documents as models and as rendered files, for the templates the integration test
 * (tests/integration/program-documents.test.ts) does not create: Appendix 3's stage 4 ends with
 * an аналитический отчет, which has sections of its own; student mentoring and blank programs;
 * the rules the documents, the summary and the calendar share.
 */
import { describe, expect, it } from 'vitest';
import {
	expectedReports,
	programTerm,
	readProgram,
	reportsDue,
	writtenNotOwed
} from '../../../src/lib/shared/program/index';
import {
	halfYearLabel,
	mentorReportsRequired,
	programApprover,
	stageDocumentForm
} from '../../../src/lib/shared/program/regulation';
import {
	editor,
	ids,
	mentee,
	mentor,
	newProgram
} from '../../../src/lib/shared/program/test-utils';
import lowResults from '../../../src/lib/shared/program/templates/tomsk-heads-low-results';
import teacher from '../../../src/lib/shared/program/templates/teacher-surgut';
import learner from '../../../src/lib/shared/program/templates/learner';
import { namesShort, surnameInitials } from '../../../src/lib/shared/names';
import { docxText } from '../../../tests/support/docx';
import { renderDocx } from './docx';
import { modelText } from './model';
import { mentorReportModel, programModel, stageNoteModel } from './program-docs';
import { excelValue } from './xlsx';

const ctx = { organizationName: 'МАОУ СОШ № 1', today: '2027-09-15' };

describe('the regulation of a program', () => {
	it('names who approves the ППН and whether the mentor reports twice a year', () => {
		expect(programApprover('tomsk-heads-low-results').position).toBe(
			'Начальник департамента образования администрации Города Томска'
		);
		expect(programApprover('teacher-surgut').position).toBe(
			'Руководитель образовательного учреждения'
		);
		expect(programApprover('school-roadmap').position).toBe(
			'Руководитель образовательной организации'
		);
		expect(programApprover('college-roadmap').position).toBe(
			'Руководитель образовательной организации'
		);
		for (const id of [
			'tomsk-heads-beginner',
			'tomsk-heads-reserve',
			'tomsk-heads-low-results',
			'tomsk-heads-low-efficiency'
		])
			expect(mentorReportsRequired(id), id).toBe(true);
		for (const id of [
			'teacher-surgut',
			'school-roadmap',
			'college-roadmap',
			'blank',
			null,
			'unknown'
		])
			expect(mentorReportsRequired(id), String(id)).toBe(false);
	});

	it('the stage document follows the form of the result; other forms end with a справка', () => {
		expect(stageDocumentForm({ resultForm: 'analytic-report' })).toBe('analytic-report');
		expect(stageDocumentForm({ resultForm: 'analytic-note' })).toBe('analytic-note');
		expect(stageDocumentForm({ resultForm: 'methodical-materials' })).toBe('info-note');
		expect(stageDocumentForm({ resultForm: null })).toBe('info-note');
	});

	it('the term after an extension: the JSON the curator page holds reads like the document', () => {
		const json = {
			meta: { startDate: '2026-09-01', durationMonths: 24 },
			changeRequests: [
				{ kind: 'extension', status: 'approved', months: 3, decidedAt: '2026-10-15' },
				{ kind: 'extension', status: 'rejected', months: 6, decidedAt: '2026-10-16' },
				{ kind: 'correction', status: 'approved', months: 0, decidedAt: '2026-10-17' }
			]
		};
		expect(programTerm(json)).toBe(
			'27 месяцев, с 01.09.2026 по 30.11.2028 (продлен на 3 месяца решением от 15.10.2026; первоначальный срок — 24 месяца)'
		);
		expect(programTerm({ ...json, changeRequests: [] })).toBe(
			'24 месяца, с 01.09.2026 по 31.08.2028'
		);
		expect(
			programTerm({ meta: { startDate: '2026-09-01', durationMonths: 1 }, changeRequests: [] })
		).toBe('1 месяц, с 01.09.2026 по 30.09.2026');
	});

	it('half-years and names as documents write them', () => {
		expect(halfYearLabel('2027-06')).toBe('I полугодие 2027 г.');
		expect(halfYearLabel('2027-12')).toBe('II полугодие 2027 г.');
		expect(surnameInitials('Иванова Мария Сергеевна')).toBe('Иванова М.С.');
		expect(surnameInitials('  Анна-Мария  ')).toBe('Анна-Мария');
		expect(surnameInitials('Петрова Анна-Мария Ивановна')).toBe('Петрова А.-М.И.');
		expect(namesShort(['Иванова Мария Сергеевна', 'Петров Пётр Петрович', 'Сидоров Иван'])).toBe(
			'Иванова М.С., Петров П.П. и др.'
		);
	});
});

describe('Appendix 3 (ШНОР), stage 4: the аналитический отчет', () => {
	const doc = newProgram(lowResults, '2025-09-01');
	const { menteeP, mentorP, stages } = ids(doc);
	const e = editor(doc, mentee);
	e.setAssessment('entry', menteeP, 'Анализ данных', 2);
	e.setAssessment('exit', menteeP, 'Анализ данных', 4);
	editor(doc, mentor).setAssessment('entry', mentorP, 'Анализ данных', 5);
	e.logMeeting({
		date: '2026-02-10',
		format: 'in-person',
		kind: 'regular',
		topic: 'Программа развития'
	});
	const v = readProgram(doc, doc);

	it('is titled by the appendix and has the sections of a report', async () => {
		const model = stageNoteModel(v, stages[3] as string, ctx);
		if (!model) throw new Error('no model');
		const text = docxText(await renderDocx(model));
		expect(text.split('\n')[0]).toBe('Аналитический отчет');
		for (const s of [
			'Динамика самооценки профессиональных компетенций наставляемого',
			'Встречи наставника и наставляемого',
			'Отчеты',
			'Удовлетворенность участников',
			'Выводы',
			'Анализ, выводы и перспективы участников (текст отчета)'
		])
			expect(text).toContain(s);
		expect(text).toContain('Программа развития');
		expect(text).toContain('входная 2,0, итоговая 4,0 балла (изменение +2,0)');
		expect(model.name).toBe('Аналитический отчет этап 4 Петров С.И.');
	});

	it('differs from the информационная справка of stage 1, which informs and does not analyse', () => {
		const note = modelText(stageNoteModel(v, stages[0] as string, ctx)!);
		const report = modelText(stageNoteModel(v, stages[3] as string, ctx)!);
		expect(note.split('\n')[0]).toBe('Информационная справка');
		expect(note).toContain('2. Выполнение мероприятий этапа');
		expect(note).not.toContain('Динамика самооценки');
		expect(report).not.toContain('2. Выполнение мероприятий этапа');
	});

	it('the ППН lists the mentor reports by half-year; a teacher program owes none and has no export', () => {
		expect(modelText(programModel(v, ctx))).toContain('Отчет наставника за I полугодие 2026 г.');
		const t = readProgram(newProgram(teacher, '2025-09-01'));
		expect(modelText(programModel(t, ctx))).not.toContain('Отчет наставника');
		expect(mentorReportModel(t, '2025-12', ctx)).toBeNull();
		expect(mentorReportModel(v, '2025-11', ctx)).toBeNull();
		expect(mentorReportModel(v, '2026-06', ctx)?.name).toBe(
			'Отчет наставника I полугодие 2026 г. Петров С.И.'
		);
	});
});

describe('a pupil’s ППН', () => {
	it('words the diagnosis for a learner: no «профессиональные затруднения» of an 8th-grader', () => {
		const text = modelText(programModel(readProgram(newProgram(learner, '2026-09-01')), ctx));
		expect(text).not.toContain('Профессиональные затруднения');
		expect(text).toContain('1. Трудности в учебе и общении наставляемого');
		expect(text).toContain('3. Интересы и сильные стороны наставляемого');
		// A pedagogue's keeps the regulation's words.
		const t = modelText(programModel(readProgram(newProgram(teacher, '2026-09-01')), ctx));
		expect(t).toContain('1. Профессиональные затруднения (дефициты) наставляемого');
	});
});

describe('a report written though the regulation does not ask for it', () => {
	it('is shown as not owed (never lost) and is never due', () => {
		const doc = newProgram(teacher, '2025-09-01');
		const id = editor(doc, mentor).startReport({ kind: 'mentor-semiannual', period: '2025-12' });
		editor(doc, mentor).setText({ kind: 'report', id, field: 'text' }, 'Отчет за полугодие');
		const v = readProgram(doc, doc);
		expect(expectedReports(v).some((e) => e.kind === 'mentor-semiannual')).toBe(false);
		expect(writtenNotOwed(v).map((e) => [e.key, e.required, e.state])).toEqual([
			['mentor:2025-12', false, 'draft']
		]);
		expect(reportsDue(v, '2026-12-31').some((e) => e.kind === 'mentor-semiannual')).toBe(false);
		expect(modelText(programModel(v, ctx))).toContain(
			'Отчет наставника за II полугодие 2025 г. | не требуется | черновик'
		);
	});
});

describe('XLSX cells', () => {
	it('an instant is the local wall-clock time of the zone, as an Excel date-time', () => {
		// 05:30 UTC is 12:30 in Tomsk (UTC+7) and 08:30 in Moscow.
		const at = Date.UTC(2026, 10, 24, 5, 30);
		expect(excelValue({ at, zone: 'Asia/Tomsk' })).toEqual({
			value: new Date(Date.UTC(2026, 10, 24, 12, 30)),
			numFmt: 'dd.mm.yyyy hh:mm'
		});
		expect((excelValue({ at, zone: 'Europe/Moscow' }).value as Date).getUTCHours()).toBe(8);
		expect(excelValue({ date: '2026-09-01' })).toEqual({
			value: new Date(Date.UTC(2026, 8, 1)),
			numFmt: 'dd.mm.yyyy'
		});
	});
});
