// Issue 15, «Terms»: the term is chosen at creation within what the template's regulation allows
// (Surgut 2022 §1.3.7: 3 months to a year; Tomsk 2024 §1.2.6: 24 months), and an approved
// extension (Tomsk 2024 §7.2) moves what is still ahead — the stage under way, every later stage,
// the program's end, and the deadlines not yet passed, those set by hand included.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ProgramEditor } from './api';
import { createProgram } from './create';
import { readProgram } from './read';
import { expectedReports, programEndDate } from './rules';
import { CREATABLE_TEMPLATES, TEMPLATES, loadTemplate, termOf } from './templates/index';
import surgut from './templates/teacher-surgut';
import beginner from './templates/tomsk-heads-beginner';
import { curator, fixedClock, mentee, mentor, newProgram } from './test-utils';
import type { ProgramValidationError } from './validate';

const create = (template: typeof surgut, durationMonths: number) =>
	createProgram(new Y.Doc(), curator, template, {
		startDate: '2025-09-01',
		durationMonths,
		clock: fixedClock
	});

function refusal(f: () => unknown): ProgramValidationError {
	try {
		f();
	} catch (e) {
		return e as ProgramValidationError;
	}
	throw new Error('expected a refusal');
}

describe('the term at creation', () => {
	it('a Surgut program runs 3 to 12 months; outside that it is refused in Russian', () => {
		for (const m of [3, 6, 12]) expect(() => create(surgut, m)).not.toThrow();
		for (const m of [1, 2, 13, 24]) {
			const e = refusal(() => create(surgut, m));
			expect(e.field).toBe('durationMonths');
			expect(e.messageRu).toBe(
				'Срок реализации программы по этому шаблону — от 3 до 12 месяцев (Положение о наставничестве (Сургут, 2022), п. 1.3.7: от 3 месяцев до 1 года).'
			);
		}
		// A six-month program's stages fit the six months: its end and last deadline.
		const doc = new Y.Doc();
		createProgram(doc, curator, surgut, {
			startDate: '2025-09-01',
			durationMonths: 6,
			clock: fixedClock
		});
		const v = readProgram(doc);
		expect(v.meta.durationMonths).toBe(6);
		expect(programEndDate(v)).toBe('2026-02-28');
		expect(
			v.activities
				.map((a) => a.deadline)
				.sort()
				.at(-1)
		).toBe('2026-02-28');
	});

	it('a Tomsk head program runs 24 months, no other term', () => {
		expect(() => create(beginner, 24)).not.toThrow();
		const e = refusal(() => create(beginner, 12));
		expect(e.messageRu).toBe(
			'Срок реализации программы по этому шаблону — 24 месяца (Положение о наставничестве руководителей (Томск, 2024), п. 1.2.6: 24 месяца).'
		);
	});

	it('the index offers each template’s term and default without loading it', async () => {
		for (const t of TEMPLATES) {
			const full = await loadTemplate(t.id);
			expect(t.term, t.id).toEqual(full.term);
			expect(t.durationMonths, t.id).toBe(full.durationMonths);
			const term = termOf(t);
			expect(full.durationMonths).toBeGreaterThanOrEqual(term.minMonths);
			expect(full.durationMonths).toBeLessThanOrEqual(term.maxMonths);
		}
		expect(termOf(TEMPLATES.find((t) => t.id === 'teacher-surgut')!)).toMatchObject({
			minMonths: 3,
			maxMonths: 12
		});
		expect(CREATABLE_TEMPLATES.map((t) => t.id)).not.toContain('school-roadmap');
		expect(CREATABLE_TEMPLATES.map((t) => t.id)).not.toContain('college-roadmap');
	});
});

describe('the term and the form after creation', () => {
	it('the pair cannot set a term the regulation does not allow; a longer stay is an extension', () => {
		const doc = newProgram(surgut, '2025-09-01');
		const ed = new ProgramEditor(doc, mentor, { clock: fixedClock });
		ed.setMeta({ durationMonths: 9 });
		expect(readProgram(doc).meta.durationMonths).toBe(9);
		const e = refusal(() => ed.setMeta({ durationMonths: 18 }));
		expect(e.messageRu).toContain('от 3 до 12 месяцев');
		expect(readProgram(doc).meta.durationMonths).toBe(9);
	});

	it('a learner’s program keeps a learner form; the mentee category follows it', async () => {
		const doc = newProgram(await loadTemplate('learner'), '2025-09-01');
		const ed = new ProgramEditor(doc, curator, { clock: fixedClock });
		ed.setMeta({ form: 'lecturer-student' });
		expect(readProgram(doc).meta).toMatchObject({
			form: 'lecturer-student',
			menteeCategory: 'student'
		});
		expect(refusal(() => ed.setMeta({ form: 'teacher-teacher' })).field).toBe('form');
		expect(readProgram(doc).meta.form).toBe('lecturer-student');
	});
});

describe('an approved extension moves what is still ahead', () => {
	// A 12-month Surgut program from 2025-09-01: «Организационный» Sep, «Деятельностный»
	// Oct–Jun (ends 2026-06-30), «Рефлексивный» Jul–Aug (ends 2026-08-31).
	function setup() {
		const doc = newProgram(surgut, '2025-09-01');
		const decisions = new Y.Doc();
		const ed = (a: typeof mentor) => new ProgramEditor(doc, a, { clock: fixedClock, decisions });
		const v = readProgram(doc, decisions);
		const [s1, s2, s3] = v.stages.map((s) => s.id);
		const of = (stageId: string | undefined) => v.activities.filter((a) => a.stageId === stageId);
		return { doc, decisions, ed, s1: of(s1), s2: of(s2), s3: of(s3) };
	}

	it('decided in December (stage 2): stage 2 and 3 deadlines, hand-set ones ahead, the end and the stage reports move by 3 months; what is behind or done does not', () => {
		const { doc, decisions, ed, s1, s2, s3 } = setup();
		expect(s2[0]!.deadline).toBe('2026-06-30');
		expect(s3[0]!.deadline).toBe('2026-08-31');
		// Done in November; an overdue one of stage 1; one set by hand ahead, one set by hand behind.
		ed(mentee).completeActivity(s2[1]!.id, '2025-11-20');
		ed(mentor).setDeadline(s2[2]!.id, '2026-02-15');
		ed(mentor).setDeadline(s2[3]!.id, '2025-11-01');
		const id = ed(mentee).requestChange({ kind: 'extension', months: 3, reason: 'Болезнь' });
		ed(mentor).consentChange(id);
		ed(curator).petitionChange(id);
		ed(curator).decideChange(id, 'approved', '2025-12-10');

		const v = readProgram(doc, decisions);
		const dl = (aid: string) => v.activities.find((a) => a.id === aid)!.deadline;
		expect(programEndDate(v)).toBe('2026-11-30');
		expect(dl(s1[0]!.id)).toBe('2025-09-30'); // behind: unchanged
		expect(dl(s2[0]!.id)).toBe('2026-09-30'); // the stage under way: its end moves
		expect(dl(s2[1]!.id)).toBe('2026-06-30'); // done: stays as it was
		expect(dl(s2[2]!.id)).toBe('2026-05-15'); // set by hand, ahead: +3 months
		expect(dl(s2[3]!.id)).toBe('2025-11-01'); // set by hand, already passed: stays
		for (const a of s3) expect(dl(a.id)).toBe('2026-11-30'); // a later stage
		const due = expectedReports(v)
			.filter((r) => r.kind === 'stage')
			.map((r) => r.dueDate);
		expect(due).toEqual(['2025-09-30', '2026-09-30', '2026-11-30']);

		// The pair sets the moved deadline again afterwards: their date wins.
		ed(mentor).setDeadline(s2[2]!.id, '2026-04-01');
		expect(readProgram(doc, decisions).activities.find((a) => a.id === s2[2]!.id)!.deadline).toBe(
			'2026-04-01'
		);
	});

	it('two extensions add up; one decided after the end lengthens the last stage', () => {
		const { doc, decisions, ed, s2, s3 } = setup();
		for (const [months, on] of [
			[2, '2025-10-15'],
			[1, '2026-11-05']
		] as const) {
			const id = ed(mentee).requestChange({ kind: 'extension', months, reason: 'Болезнь' });
			ed(mentor).consentChange(id);
			ed(curator).petitionChange(id);
			ed(curator).decideChange(id, 'approved', on);
		}
		const v = readProgram(doc, decisions);
		const dl = (aid: string) => v.activities.find((a) => a.id === aid)!.deadline;
		expect(programEndDate(v)).toBe('2026-11-30');
		expect(dl(s2[0]!.id)).toBe('2026-08-31');
		expect(dl(s3[0]!.id)).toBe('2026-11-30');
	});
});
