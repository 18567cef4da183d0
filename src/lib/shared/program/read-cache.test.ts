// Issue 18: reads kept between readings of one document (ReadCache) must give the same view and
// the same summary, byte for byte, as a reading from scratch — over random honest and hostile
// edit sequences on programs of every template, on the edited document itself and on a replica
// that receives the edits as updates (the relay's kept documents).
import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { ProgramEditor } from './api';
import { createProgram } from './create';
import { generateRealisticProgram } from './fixtures';
import { programToJSON, readCacheOf, readProgram, type ReadCache } from './read';
import { ACTIVITY, DIAGNOSIS_FIELDS, ITEM, META, ROOT } from './schema';
import { summarize } from './summary';
import { ProgramValidationError } from './validate';
import { curator, mentee, mentor } from './test-utils';
import blank from './templates/blank';
import collegeRoadmap from './templates/college-roadmap';
import learner from './templates/learner';
import schoolRoadmap from './templates/school-roadmap';
import teacherSurgut from './templates/teacher-surgut';
import beginner from './templates/tomsk-heads-beginner';
import lowEfficiency from './templates/tomsk-heads-low-efficiency';
import lowResults from './templates/tomsk-heads-low-results';
import reserve from './templates/tomsk-heads-reserve';
import type { ProgramTemplate } from './templates/types';

const TEMPLATES: ProgramTemplate[] = [
	beginner,
	reserve,
	lowResults,
	lowEfficiency,
	teacherSurgut,
	schoolRoadmap,
	collegeRoadmap,
	learner,
	blank
];
const DAYS = ['2025-09-01', '2025-11-15', '2026-03-01', '2026-06-11', '2027-01-10', '2028-02-29'];
const ZONES = ['Europe/Moscow', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/St_Johns'];

/** The cached reading must equal the reading from scratch: the view (problems included) and the summary. */
function expectSame(doc: Y.Doc, decisions: Y.Doc | null, cache: ReadCache, day: string) {
	const plain = readProgram(doc, decisions);
	const kept = readProgram(doc, decisions, cache);
	expect(programToJSON(kept)).toEqual(programToJSON(plain));
	// The live texts are the document's own, not copies.
	expect(kept.activities.every((a, i) => a.notes === plain.activities[i]?.notes)).toBe(true);
	expect(JSON.stringify(summarize(doc, day, decisions, cache))).toBe(
		JSON.stringify(summarize(doc, day, decisions))
	);
}

type Op =
	| { t: 'honest'; who: number; what: number; n: number }
	| { t: 'junk'; list: number; idx: number; key: number; value: number }
	| { t: 'deleteKey'; list: number; idx: number; key: number }
	| { t: 'pushJunk'; list: number; value: number }
	| { t: 'dupId'; list: number; idx: number }
	| { t: 'sectionJunk'; which: number; value: number }
	| { t: 'inTransaction'; n: number }
	| { t: 'check' };

const LISTS = [
	ROOT.participants,
	ROOT.stages,
	ROOT.activities,
	ROOT.meetings,
	ROOT.reports,
	ROOT.comments,
	ROOT.changes
];
const KEYS = [
	ITEM.id,
	ITEM.removed,
	ITEM.updatedBy,
	ITEM.updatedAt,
	ITEM.createdBy,
	ACTIVITY.stageId,
	ACTIVITY.order,
	ACTIVITY.title,
	ACTIVITY.deadline,
	ACTIVITY.deadlineEdited,
	ACTIVITY.status,
	ACTIVITY.notes,
	'role',
	'kind',
	'months',
	'date',
	'period',
	'consent.p1',
	'name'
];
function junk(n: number): unknown {
	const values: unknown[] = [
		42.5,
		'garbage',
		null,
		true,
		{ phase: 'entry', score: 9 },
		['x'],
		'2025-02-30',
		'2026-01-15',
		'done',
		'cancelled',
		'x'.repeat(400),
		-1,
		'zz'
	];
	const i = n % (values.length + 2);
	if (i === values.length) return new Y.Text('текст вместо значения');
	if (i === values.length + 1) return new Y.Map<unknown>([['id', 'fake']]);
	return values[i];
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
	{
		arbitrary: fc.record({
			t: fc.constant('honest' as const),
			who: fc.nat({ max: 2 }),
			what: fc.nat({ max: 27 }),
			n: fc.nat({ max: 1000 })
		}),
		weight: 12
	},
	fc.record({
		t: fc.constant('junk' as const),
		list: fc.nat({ max: LISTS.length - 1 }),
		idx: fc.nat({ max: 40 }),
		key: fc.nat({ max: KEYS.length - 1 }),
		value: fc.nat({ max: 100 })
	}),
	fc.record({
		t: fc.constant('deleteKey' as const),
		list: fc.nat({ max: LISTS.length - 1 }),
		idx: fc.nat({ max: 40 }),
		key: fc.nat({ max: KEYS.length - 1 })
	}),
	fc.record({
		t: fc.constant('pushJunk' as const),
		list: fc.nat({ max: LISTS.length - 1 }),
		value: fc.nat({ max: 100 })
	}),
	fc.record({
		t: fc.constant('dupId' as const),
		list: fc.nat({ max: LISTS.length - 1 }),
		idx: fc.nat({ max: 40 })
	}),
	fc.record({
		t: fc.constant('sectionJunk' as const),
		which: fc.nat({ max: 5 }),
		value: fc.nat({ max: 100 })
	}),
	fc.record({ t: fc.constant('inTransaction' as const), n: fc.nat({ max: 1000 }) }),
	{ arbitrary: fc.record({ t: fc.constant('check' as const) }), weight: 4 }
);

/** One honest action of a mentor (0), mentee (1) or curator (2); refusals are part of the game. */
function honest(ed: ProgramEditor, what: number, n: number) {
	const view = ed.read();
	const pick = <T>(xs: readonly T[]): T | undefined => xs[n % Math.max(1, xs.length)];
	const act = pick(view.activities)?.id;
	const stage = pick(view.stages)?.id;
	const meeting = pick(view.meetings)?.id;
	const report = pick(view.reports)?.id;
	const change = pick(view.changeRequests)?.id;
	const person = pick(view.participants.filter((p) => p.role !== 'curator'));
	const day = DAYS[n % DAYS.length] as string;
	switch (what) {
		case 0:
			if (stage) ed.addActivity({ stageId: stage, title: `Новое ${n}`, index: n % 5 });
			break;
		case 1:
			if (act) ed.completeActivity(act, day);
			break;
		case 2:
			if (act) ed.editActivity(act, { status: 'cancelled' });
			break;
		case 3:
			if (act) ed.setDeadline(act, day);
			break;
		case 4:
			if (act && stage) ed.moveActivity(act, stage, n % 4);
			break;
		case 5:
			if (act) ed.removeActivity(act);
			break;
		case 6:
		case 7:
		case 8:
			// Typing in notes: what the relay sees most (it stamps the activity).
			if (act) ed.editText({ kind: 'activity', id: act, field: 'notes' }, 0, 0, `ab${n}`);
			break;
		case 9:
			ed.logMeeting({ date: day, format: 'remote', kind: 'regular', topic: `Встреча ${n}` });
			break;
		case 10:
			if (meeting) ed.editText({ kind: 'meeting', id: meeting, field: 'notes' }, 0, 0, 'заметка');
			break;
		case 11:
			if (meeting) ed.removeMeeting(meeting);
			break;
		case 12: {
			const s = pick(view.stages);
			const id = s
				? ed.startReport({ kind: 'stage', stageId: s.id })
				: ed.startReport({ kind: 'mentor-semiannual', period: '2026-06' });
			ed.submitReport(id, day);
			break;
		}
		case 13:
			if (report) ed.acceptReport(report, day, 'Принято');
			break;
		case 14:
			if (report) ed.returnReport(report, 'Доработать', day);
			break;
		case 15:
			if (person)
				ed.setFeedback({ participantId: person.id, satisfaction: 1 + (n % 10), date: day });
			break;
		case 16:
			if (person)
				ed.setAssessment(n % 2 ? 'entry' : 'exit', person.id, `Компетенция ${n % 3}`, 1 + (n % 5));
			break;
		case 17:
			ed.requestChange({ kind: 'extension', months: 1 + (n % 3), reason: 'Болезнь', date: day });
			break;
		case 18:
			if (change) {
				for (const p of view.participants.filter((x) => x.role !== 'curator'))
					new ProgramEditor(
						ed.doc,
						{ userId: p.userId ?? 'nobody', role: p.role === 'mentor' ? 'mentor' : 'mentee' },
						{ decisions: ed.decisions }
					).consentChange(change, day);
			}
			break;
		case 19:
			if (change) ed.petitionChange(change);
			break;
		case 20:
			if (change) ed.decideChange(change, n % 3 ? 'approved' : 'rejected', day);
			break;
		case 21:
			ed.completeProgram({
				reason: n % 2 ? 'participant-initiative' : 'curator-initiative',
				date: day
			});
			break;
		case 22:
			ed.reopenProgram();
			break;
		case 23:
			if (stage) ed.editStage(stage, { months: n % 7 });
			break;
		case 24:
			// Its activities' stage becomes unknown: problems that depend on another list.
			if (stage) ed.removeStage(stage);
			break;
		case 25:
			ed.addParticipant({
				role: n % 2 ? 'mentee' : 'mentor',
				name: `Участник ${n}`,
				userId: `u${n}`
			});
			break;
		case 26:
			ed.setTimeZone(ZONES[n % ZONES.length] as string);
			break;
		case 27:
			ed.editText(
				{ kind: 'diagnosis', field: DIAGNOSIS_FIELDS[n % DIAGNOSIS_FIELDS.length]! },
				0,
				0,
				'текст'
			);
			break;
	}
}

function hostile(doc: Y.Doc, op: Exclude<Op, { t: 'honest' | 'check' | 'inTransaction' }>) {
	const list = (i: number) => doc.getArray<unknown>(LISTS[i] as string);
	const itemAt = (i: number, idx: number) => {
		const arr = list(i);
		return arr.length ? arr.get(idx % arr.length) : undefined;
	};
	switch (op.t) {
		case 'junk': {
			const m = itemAt(op.list, op.idx);
			if (m instanceof Y.Map) m.set(KEYS[op.key] as string, junk(op.value));
			break;
		}
		case 'deleteKey': {
			const m = itemAt(op.list, op.idx);
			if (m instanceof Y.Map) m.delete(KEYS[op.key] as string);
			break;
		}
		case 'pushJunk':
			list(op.list).push([
				op.value % 3 === 0 ? new Y.Map<unknown>([['title', 'без id']]) : junk(op.value)
			]);
			break;
		case 'dupId': {
			const m = itemAt(op.list, op.idx);
			if (m instanceof Y.Map)
				list(op.list).insert(0, [
					new Y.Map<unknown>([
						['id', m.get('id')],
						[ACTIVITY.title, 'дубликат'],
						[ACTIVITY.status, 'done'],
						['role', 'mentee'],
						['kind', 'stage']
					])
				]);
			break;
		}
		case 'sectionJunk': {
			const targets: Array<[string, string]> = [
				[ROOT.meta, META.startDate],
				[ROOT.meta, META.types],
				[ROOT.assessments, '["entry","p","c"]'],
				[ROOT.feedback, 'p1'],
				[ROOT.completion, 'record'],
				[ROOT.diagnosis, DIAGNOSIS_FIELDS[0]]
			];
			const [name, key] = targets[op.which] as [string, string];
			doc.getMap(name).set(key, junk(op.value));
			break;
		}
	}
}

function newDoc(template: ProgramTemplate, start: string): Y.Doc {
	const doc = new Y.Doc();
	createProgram(doc, curator, template, {
		startDate: start,
		organization: 'МАОУ СОШ № 1',
		clock: () => new Date('2025-09-01T08:00:00Z'),
		participants: [
			{ role: 'mentor', name: 'Иванова М. П.', userId: mentor.userId },
			{ role: 'mentee', name: 'Петров С. И.', userId: mentee.userId },
			{ role: 'curator', name: 'Сидорова А. В.', userId: curator.userId }
		]
	});
	return doc;
}

describe('ReadCache', () => {
	it('reads the same as from scratch over random edits, on every template', () => {
		fc.assert(
			fc.property(
				fc.nat({ max: TEMPLATES.length - 1 }),
				fc.nat({ max: DAYS.length - 1 }),
				fc.constantFrom('same', 'separate', 'none'),
				fc.array(opArb, { minLength: 1, maxLength: 40 }),
				(t, startAt, decisionsAt, ops) => {
					const doc = newDoc(TEMPLATES[t] as ProgramTemplate, DAYS[startAt] as string);
					// Decisions in the program itself (legacy, as the fixture), in their own document, or none.
					const decisions =
						decisionsAt === 'separate' ? new Y.Doc() : decisionsAt === 'same' ? doc : null;
					// The relay's case: a replica kept and brought up to date with the updates.
					const kept = new Y.Doc();
					Y.applyUpdate(kept, Y.encodeStateAsUpdate(doc));
					doc.on('update', (u: Uint8Array) => Y.applyUpdate(kept, u));
					const keptDecisions =
						decisionsAt === 'separate' ? new Y.Doc() : decisionsAt === 'same' ? kept : null;
					if (decisions && keptDecisions && decisions !== doc)
						decisions.on('update', (u: Uint8Array) => Y.applyUpdate(keptDecisions, u));
					const cache = readCacheOf(doc);
					const keptCache = readCacheOf(kept);
					expect(readCacheOf(doc)).toBe(cache);
					const editors = [mentor, mentee, curator].map(
						(a) =>
							new ProgramEditor(doc, a, {
								decisions: decisions ?? doc,
								clock: () => new Date('2025-10-01T08:00:00Z')
							})
					);
					let i = 0;
					const check = () => {
						const day = DAYS[i++ % DAYS.length] as string;
						expectSame(doc, decisions, cache, day);
						expectSame(kept, keptDecisions, keptCache, day);
					};
					check();
					for (const op of ops) {
						if (op.t === 'check') check();
						else if (op.t === 'honest') {
							try {
								honest(editors[op.who] as ProgramEditor, op.what, op.n);
							} catch (e) {
								if (!(e instanceof ProgramValidationError)) throw e;
							}
						} else if (op.t === 'inTransaction') {
							// Read in the middle of a transaction that changed an item already read: the cache
							// must not answer from before the change.
							doc.transact(() => {
								const acts = doc.getArray<unknown>(ROOT.activities);
								const m = acts.length ? acts.get(op.n % acts.length) : null;
								if (m instanceof Y.Map) m.set(ACTIVITY.status, op.n % 2 ? 'done' : 'planned');
								expectSame(doc, decisions, cache, DAYS[op.n % DAYS.length] as string);
							});
						} else hostile(doc, op);
					}
					check();
				}
			),
			{ numRuns: 150 }
		);
	}, 120_000); // generous: CI machines are shared and busy

	it('a read by an observer of a change sees the change', () => {
		const doc = newDoc(beginner, '2025-09-01');
		const cache = readCacheOf(doc);
		const view = readProgram(doc, doc, cache);
		const id = view.activities[0]!.id;
		let seen: string | undefined;
		doc.getArray(ROOT.activities).observeDeep(() => {
			seen = readProgram(doc, doc, cache).activities.find((a) => a.id === id)?.status;
		});
		new ProgramEditor(doc, mentor).completeActivity(id, '2025-09-10');
		expect(seen).toBe('done');
		expect(readProgram(doc, doc, cache).activities.find((a) => a.id === id)?.status).toBe('done');
	});

	it('edge cases: an empty document, the layout claimed by another type, the realistic program', () => {
		const empty = new Y.Doc();
		expectSame(empty, null, readCacheOf(empty), '2026-01-01');
		const claimed = new Y.Doc();
		claimed.getText(ROOT.meta).insert(0, 'не карта');
		// (Only the summary: the view's detached diagnosis texts warn when printed.)
		expect(JSON.stringify(summarize(claimed, '2026-01-01', null, readCacheOf(claimed)))).toBe(
			JSON.stringify(summarize(claimed, '2026-01-01', null))
		);
		const { doc } = generateRealisticProgram(2, { edits: 1500 });
		const cache = readCacheOf(doc);
		for (const day of DAYS) expectSame(doc, doc, cache, day);
		// A meeting without a date and a cancelled activity, changed after they were read.
		const meeting = doc.getArray<Y.Map<unknown>>(ROOT.meetings).get(0);
		meeting.delete('date');
		expectSame(doc, doc, cache, DAYS[2] as string);
		const view = readProgram(doc, doc);
		new ProgramEditor(doc, mentor).editActivity(view.activities[3]!.id, { status: 'cancelled' });
		expectSame(doc, doc, cache, DAYS[2] as string);
	});

	it('hands out copies: changing a view does not change the next one', () => {
		const doc = newDoc(beginner, '2025-09-01');
		const cache = readCacheOf(doc);
		const a = readProgram(doc, doc, cache);
		a.activities[0]!.status = 'done';
		a.meta.types.push('traditional');
		a.meta.title = 'испорчено';
		const b = readProgram(doc, doc, cache);
		expect(programToJSON(b)).toEqual(programToJSON(readProgram(doc, doc)));
	});
});
