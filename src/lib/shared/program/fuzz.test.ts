// A buggy or hostile client can send anything: bytes that are not an update at all, or valid
// updates putting wrong types under known keys. Reading and summarizing must never throw.
import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { ProgramEditor } from './api';
import { programToJSON, readProgram } from './read';
import { ACTIVITY, DIAGNOSIS_FIELDS, META, ROOT } from './schema';
import { summarize } from './summary';
import { ProgramValidationError } from './validate';
import { mentor, newProgram, replica } from './test-utils';

const base = newProgram();
const baseUpdate = Y.encodeStateAsUpdate(base);

function mustNotThrow(doc: Y.Doc) {
	const view = readProgram(doc);
	programToJSON(view);
	const s = summarize(doc, '2026-03-01');
	const json = JSON.stringify(s);
	expect(JSON.parse(json)).toEqual(s); // plain JSON
	// A hostile document must not blow up the dashboard record.
	expect(json.length).toBeLessThan(40_000);
	return { view, s };
}

describe('fuzz: random bytes', () => {
	it('garbage updates never make reading or summarize throw', () => {
		fc.assert(
			fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.boolean(), (bytes, v2) => {
				const doc = replica(base);
				try {
					if (v2) Y.applyUpdateV2(doc, bytes);
					else Y.applyUpdate(doc, bytes);
				} catch {
					// Yjs may reject the bytes; what matters is the document afterwards.
				}
				mustNotThrow(doc);
				const empty = new Y.Doc();
				try {
					Y.applyUpdate(empty, bytes);
				} catch {
					/* rejected */
				}
				mustNotThrow(empty);
			}),
			{ numRuns: 300 }
		);
	});
	it('truncated and bit-flipped real updates', () => {
		fc.assert(
			fc.property(
				fc.nat({ max: baseUpdate.length - 1 }),
				fc.nat({ max: 255 }),
				fc.boolean(),
				(at, byte, truncate) => {
					const bytes = truncate
						? baseUpdate.slice(0, at)
						: Uint8Array.from(baseUpdate, (b, i) => (i === at ? byte : b));
					const doc = new Y.Doc();
					try {
						Y.applyUpdate(doc, bytes);
					} catch {
						/* rejected */
					}
					mustNotThrow(doc);
				}
			),
			{ numRuns: 300 }
		);
	});
});

// ---------- valid-but-hostile updates ----------

const HUGE = 'Я'.repeat(100_000);
type Junk = {
	k:
		| 'num'
		| 'str'
		| 'huge'
		| 'null'
		| 'bool'
		| 'obj'
		| 'arr'
		| 'bytes'
		| 'text'
		| 'map'
		| 'yarr'
		| 'date'
		| 'neg';
};
const junkArb: fc.Arbitrary<Junk> = fc.record({
	k: fc.constantFrom(
		'num',
		'str',
		'huge',
		'null',
		'bool',
		'obj',
		'arr',
		'bytes',
		'text',
		'map',
		'yarr',
		'date',
		'neg'
	) as fc.Arbitrary<Junk['k']>
});
function junk(j: Junk): unknown {
	switch (j.k) {
		case 'num':
			return 42.5;
		case 'neg':
			return -1;
		case 'str':
			return 'garbage';
		case 'huge':
			return HUGE;
		case 'null':
			return null;
		case 'bool':
			return true;
		case 'obj':
			return { nested: { deep: [1, 2, 3] }, phase: 'entry', score: 99 };
		case 'arr':
			return ['traditional', 7, null];
		case 'bytes':
			return new Uint8Array([1, 2, 3]);
		case 'text':
			return new Y.Text('text where a value was expected');
		case 'map':
			return new Y.Map([
				['id', 'fake'],
				['title', 1]
			]);
		case 'yarr':
			return Y.Array.from([1, 2]);
		case 'date':
			return '2025-02-30';
	}
}

const LIST_KEYS = [
	'participants',
	'stages',
	'activities',
	'meetings',
	'reports',
	'comments',
	'changeRequests'
] as const;
const ITEM_KEYS = [
	'id',
	'stageId',
	'order',
	'title',
	'deadline',
	'status',
	'notes',
	'removed',
	'role',
	'name',
	'kind',
	'months',
	'date',
	'format',
	'text',
	'targetId',
	'period',
	'updatedBy',
	'updatedAt',
	'consent.xyz',
	'doneAt',
	'resultForm'
];
const META_KEYS = Object.values(META);

type Attack =
	| { a: 'metaKey'; key: number; j: Junk }
	| { a: 'itemKey'; list: number; idx: number; key: number; j: Junk }
	| { a: 'deleteKey'; list: number; idx: number; key: number }
	| { a: 'pushJunk'; list: number; j: Junk }
	| { a: 'dupId'; list: number; idx: number }
	| { a: 'mapJunk'; which: number; key: number; j: Junk }
	| { a: 'wrongTopType'; which: number }
	| { a: 'manyItems'; list: number; count: number }
	| { a: 'embed'; field: number };

const attackArb: fc.Arbitrary<Attack> = fc.oneof(
	fc.record({
		a: fc.constant('metaKey' as const),
		key: fc.nat({ max: META_KEYS.length - 1 }),
		j: junkArb
	}),
	fc.record({
		a: fc.constant('itemKey' as const),
		list: fc.nat({ max: 6 }),
		idx: fc.nat({ max: 30 }),
		key: fc.nat({ max: ITEM_KEYS.length - 1 }),
		j: junkArb
	}),
	fc.record({
		a: fc.constant('deleteKey' as const),
		list: fc.nat({ max: 6 }),
		idx: fc.nat({ max: 30 }),
		key: fc.nat({ max: ITEM_KEYS.length - 1 })
	}),
	fc.record({ a: fc.constant('pushJunk' as const), list: fc.nat({ max: 6 }), j: junkArb }),
	fc.record({
		a: fc.constant('dupId' as const),
		list: fc.nat({ max: 6 }),
		idx: fc.nat({ max: 30 })
	}),
	fc.record({
		a: fc.constant('mapJunk' as const),
		which: fc.nat({ max: 3 }),
		key: fc.nat({ max: 3 }),
		j: junkArb
	}),
	fc.record({ a: fc.constant('wrongTopType' as const), which: fc.nat({ max: 6 }) }),
	fc.record({
		a: fc.constant('manyItems' as const),
		list: fc.nat({ max: 6 }),
		count: fc.integer({ min: 50, max: 500 })
	}),
	fc.record({
		a: fc.constant('embed' as const),
		field: fc.nat({ max: DIAGNOSIS_FIELDS.length - 1 })
	})
);

function attack(h: Y.Doc, at: Attack) {
	const list = (i: number) => h.getArray<unknown>(LIST_KEYS[i % LIST_KEYS.length]!);
	const itemAt = (i: number, idx: number) => {
		const arr = list(i);
		return arr.length ? arr.get(idx % arr.length) : undefined;
	};
	switch (at.a) {
		case 'metaKey':
			h.getMap(ROOT.meta).set(META_KEYS[at.key]!, junk(at.j));
			break;
		case 'itemKey': {
			const m = itemAt(at.list, at.idx);
			if (m instanceof Y.Map) m.set(ITEM_KEYS[at.key]!, junk(at.j));
			break;
		}
		case 'deleteKey': {
			const m = itemAt(at.list, at.idx);
			if (m instanceof Y.Map) m.delete(ITEM_KEYS[at.key]!);
			break;
		}
		case 'pushJunk':
			list(at.list).push([junk(at.j)]);
			break;
		case 'dupId': {
			const m = itemAt(at.list, at.idx);
			if (m instanceof Y.Map)
				list(at.list).push([
					new Y.Map<unknown>([
						['id', m.get('id')],
						[ACTIVITY.title, 'дубликат'],
						[ACTIVITY.status, 'done']
					])
				]);
			break;
		}
		case 'mapJunk': {
			const names = [ROOT.assessments, ROOT.feedback, ROOT.completion, ROOT.diagnosis];
			const keys = ['["entry","p","c"]', 'record', 'record', 'difficulties'];
			h.getMap(names[at.which]!).set(keys[at.key]!, junk(at.j));
			break;
		}
		case 'wrongTopType': {
			// Another client used our names with other shared types.
			const names = [...LIST_KEYS];
			const other = new Y.Doc();
			const n = names[at.which % names.length]!;
			other.getMap(n).set('x', 1);
			other.getText(ROOT.meta).insert(0, 'meta as text');
			other
				.getArray(`diagnosis.${DIAGNOSIS_FIELDS[at.which % DIAGNOSIS_FIELDS.length]}`)
				.push([1, 2, 3]);
			Y.applyUpdate(h, Y.encodeStateAsUpdate(other));
			break;
		}
		case 'manyItems': {
			const arr = list(at.list);
			const items = Array.from(
				{ length: at.count },
				(_, i) =>
					new Y.Map<unknown>([
						['id', `spam${i}`],
						['title', 12],
						['role', 'mentee'],
						['kind', 'stage'],
						['targetId', 'x'],
						['updatedBy', `user${i}`],
						['updatedAt', '2099-01-01T00:00Z']
					])
			);
			arr.push(items);
			break;
		}
		case 'embed': {
			const t = h.getText(`diagnosis.${DIAGNOSIS_FIELDS[at.field]}`);
			t.insertEmbed(0, { image: 'x' });
			t.format(0, 1, { bold: true });
			break;
		}
	}
}

describe('fuzz: valid but hostile updates', () => {
	it('wrong types under known keys never make reading or summarize throw', () => {
		fc.assert(
			fc.property(fc.array(attackArb, { minLength: 1, maxLength: 8 }), (attacks) => {
				const hostile = replica(base);
				for (const at of attacks) attack(hostile, at);
				// The victim: an honest replica that receives the hostile update.
				const doc = replica(base);
				readProgram(doc); // types instantiated before the update arrives…
				Y.applyUpdate(doc, Y.encodeStateAsUpdate(hostile, Y.encodeStateVector(doc)));
				mustNotThrow(doc);
				// …and a replica that only ever saw the merged state.
				const fresh = new Y.Doc();
				Y.applyUpdate(fresh, Y.encodeStateAsUpdate(doc));
				const { s } = mustNotThrow(fresh);
				expect(Array.isArray(s.problems)).toBe(true);
				expect(s.problems.length).toBeLessThanOrEqual(41);
				// The honest user can still work, or gets a validation error, never a crash.
				const ed = new ProgramEditor(doc, mentor);
				const v = readProgram(doc);
				for (const act of [
					() => v.activities[0] && ed.completeActivity(v.activities[0].id, '2025-09-10'),
					() => v.stages[0] && ed.addActivity({ stageId: v.stages[0].id, title: 'Новое' }),
					() =>
						ed.logMeeting({
							date: '2025-09-03',
							format: 'in-person',
							kind: 'regular',
							topic: 'Встреча'
						}),
					() => ed.editText({ kind: 'diagnosis', field: 'goals' }, 0, 0, 'цель'),
					() =>
						v.activities[0] &&
						ed.editText(
							{ kind: 'activity', id: v.activities[0].id, field: 'notes' },
							0,
							0,
							'заметка'
						)
				]) {
					try {
						act();
					} catch (e) {
						expect(e).toBeInstanceOf(ProgramValidationError);
					}
				}
				mustNotThrow(doc);
			}),
			{ numRuns: 100 }
		);
	}, 60_000); // generous: CI machines are shared and busy

	it('reports what it could not read', () => {
		const doc = replica(base);
		const acts = doc.getArray<Y.Map<unknown>>('activities');
		doc.transact(() => {
			acts.get(0).set('deadline', 12345);
			acts.get(1).set('title', new Y.Text('x'));
			acts.push([new Y.Map<unknown>([['title', 'без id']])]);
			doc.getArray('meetings').push(['не карта']);
			doc.getMap('meta').set('startDate', 'вчера');
		});
		const s = summarize(doc, '2026-01-01');
		expect(s.problems.join('\n')).toMatch(/deadline: not a date/);
		expect(s.problems.join('\n')).toMatch(/title: not a string/);
		expect(s.problems.join('\n')).toMatch(/missing or invalid id/);
		expect(s.problems.join('\n')).toMatch(/meetings\[0\]: not a map/);
		expect(s.problems.join('\n')).toMatch(/meta.startDate: not a date/);
		expect(s.startDate).toBeNull();
		expect(s.progress.total).toBe(22);
		expect(summarize(doc, 'not a day').problems[0]).toBe('now: not a date');
	});
});
