// Shared helpers of the *.test.ts files (not part of the public API).
import * as Y from 'yjs';
import { ProgramEditor } from './api';
import { createProgram } from './create';
import { readProgram } from './read';
import type { Actor } from './schema';
import beginner from './templates/tomsk-heads-beginner';
import type { ProgramTemplate } from './templates/types';

export const mentor: Actor = { userId: 'u-mentor', role: 'mentor' };
export const mentee: Actor = { userId: 'u-mentee', role: 'mentee' };
export const curator: Actor = { userId: 'u-curator', role: 'curator' };
export const head: Actor = { userId: 'u-head', role: 'head' };

export const fixedClock = () => new Date('2025-09-01T08:00:00Z');

export function newProgram(template: ProgramTemplate = beginner, startDate = '2025-09-01') {
	const doc = new Y.Doc();
	createProgram(doc, curator, template, {
		startDate,
		organization: 'МАОУ СОШ № 1',
		clock: fixedClock,
		participants: [
			{ role: 'mentor', name: 'Иванова М. П.', userId: mentor.userId },
			{ role: 'mentee', name: 'Петров С. И.', userId: mentee.userId },
			{ role: 'curator', name: 'Сидорова А. В.', userId: curator.userId }
		]
	});
	return doc;
}

export function replica(of: Y.Doc): Y.Doc {
	const d = new Y.Doc();
	Y.applyUpdate(d, Y.encodeStateAsUpdate(of));
	return d;
}

export function sync(...docs: Y.Doc[]): void {
	for (const a of docs)
		for (const b of docs)
			if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
}

export const editor = (doc: Y.Doc, actor: Actor) =>
	new ProgramEditor(doc, actor, { clock: fixedClock });

export function ids(doc: Y.Doc) {
	const v = readProgram(doc, doc);
	const p = (role: string) => v.participants.find((x) => x.role === role)?.id as string;
	return {
		view: v,
		mentorP: p('mentor'),
		menteeP: p('mentee'),
		curatorP: p('curator'),
		stages: v.stages.map((s) => s.id)
	};
}
