import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ProgramEditor } from './api';
import { createProgram } from './create';
import { readProgram } from './read';
import { META } from './schema';
import { summarize } from './summary';
import beginner from './templates/tomsk-heads-beginner';
import { curator, mentor } from './test-utils';

function program(timeZone?: string) {
	const doc = new Y.Doc();
	createProgram(doc, curator, beginner, {
		startDate: '2026-03-11',
		...(timeZone ? { timeZone } : {}),
		participants: [{ role: 'mentor', name: 'Иванова М. П.', userId: mentor.userId }]
	});
	return doc;
}

// 00:00:01 on 11 March in Kamchatka, 15:00:01 on 10 March in Moscow, 12:00:01 UTC.
const instant = new Date(Date.UTC(2026, 2, 10, 12, 0, 1));

describe('the program document carries its time zone', () => {
	it('is written at creation and read back; unknown zones are refused', () => {
		expect(readProgram(program('Asia/Kamchatka')).meta.timeZone).toBe('Asia/Kamchatka');
		expect(() => program('Mars/Olympus')).toThrow(/timeZone/);
	});

	it('documents written before zones read as Moscow; a bad value is reported', () => {
		const doc = program();
		doc.getMap('meta').delete(META.timeZone);
		expect(readProgram(doc).meta.timeZone).toBe('Europe/Moscow');
		doc.getMap('meta').set(META.timeZone, 'UTC+12');
		const view = readProgram(doc);
		expect(view.meta.timeZone).toBe('Europe/Moscow');
		expect(view.problems).toContain('meta.timeZone: unknown time zone');
	});

	it('summarize takes today in the document’s zone', () => {
		const kam = summarize(program('Asia/Kamchatka'), instant);
		expect(kam.asOf).toBe('2026-03-11');
		expect(kam.timeZone).toBe('Asia/Kamchatka');
		expect(kam.stage.phase).toBe('in-progress');
		const msk = summarize(program(), instant);
		expect(msk.asOf).toBe('2026-03-10');
		expect(msk.stage.phase).toBe('not-started');
		// A calendar day is taken as given, whatever the zone.
		expect(summarize(program('Asia/Kamchatka'), '2026-03-10').asOf).toBe('2026-03-10');
	});

	it('the editor dates what it writes in the document’s zone; setTimeZone is the curator’s', () => {
		const doc = program('Asia/Kamchatka');
		const ed = new ProgramEditor(doc, mentor, { clock: () => instant });
		const r = ed.startReport({ kind: 'stage', stageId: readProgram(doc).stages[0]!.id });
		ed.submitReport(r);
		expect(readProgram(doc).reports.find((x) => x.id === r)?.submittedAt).toBe('2026-03-11');
		expect(() => ed.setTimeZone('Europe/Moscow')).toThrow();
		new ProgramEditor(doc, curator).setTimeZone('Europe/Moscow');
		expect(readProgram(doc).meta.timeZone).toBe('Europe/Moscow');
		expect(() => new ProgramEditor(doc, curator).setTimeZone('nowhere')).toThrow();
	});
});
