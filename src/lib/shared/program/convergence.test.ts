// Property: three replicas apply random API operations while partitioned in random ways, then
// exchange all updates in a random order, and end identical, with every operation's effect
// present unless another operation legitimately overwrote or removed it.
import fc from 'fast-check';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { ProgramEditor } from './api';
import { programToJSON, readProgram } from './read';
import { ROOT, root, type Actor } from './schema';
import { summarize } from './summary';
import { ProgramValidationError } from './validate';
import { DIAGNOSIS_FIELDS } from './schema';
import { newProgram, curator } from './test-utils';

const ACTORS: Actor[] = [
	{ userId: 'u-mentor', role: 'mentor' },
	{ userId: 'u-mentee', role: 'mentee' },
	{ userId: 'u-mentor', role: 'mentor' } // the mentor's second device
];
const DAYS = ['2025-09-10', '2025-10-01', '2025-12-31', '2026-03-15', '2026-09-01'];
const COMPS = ['Лидерство', 'Управление персоналом', 'Финансы'];

type Op =
	| { t: 'add'; r: number; stage: number; index: number }
	| { t: 'move'; r: number; act: number; stage: number; index: number }
	| { t: 'complete'; r: number; act: number; day: number }
	| { t: 'reopen'; r: number; act: number }
	| { t: 'deadline'; r: number; act: number; day: number }
	| { t: 'title'; r: number; act: number }
	| { t: 'remove'; r: number; act: number }
	| { t: 'restore'; r: number; act: number }
	| { t: 'type'; r: number; field: number; pos: number }
	| { t: 'del'; r: number; field: number; pos: number; len: number }
	| { t: 'notes'; r: number; act: number }
	| { t: 'meeting'; r: number; day: number }
	| { t: 'assess'; r: number; comp: number; score: number }
	| { t: 'report'; r: number; stage: number }
	| { t: 'review'; r: number; accept: boolean }
	| { t: 'sync'; from: number; to: number };

const r = fc.integer({ min: 0, max: 2 });
const n = fc.nat({ max: 30 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
	{ arbitrary: fc.record({ t: fc.constant('add' as const), r, stage: n, index: n }), weight: 2 },
	{
		arbitrary: fc.record({ t: fc.constant('move' as const), r, act: n, stage: n, index: n }),
		weight: 3
	},
	{
		arbitrary: fc.record({
			t: fc.constant('complete' as const),
			r,
			act: n,
			day: fc.nat({ max: 4 })
		}),
		weight: 2
	},
	{ arbitrary: fc.record({ t: fc.constant('reopen' as const), r, act: n }), weight: 1 },
	{
		arbitrary: fc.record({
			t: fc.constant('deadline' as const),
			r,
			act: n,
			day: fc.nat({ max: 4 })
		}),
		weight: 2
	},
	{ arbitrary: fc.record({ t: fc.constant('title' as const), r, act: n }), weight: 2 },
	{ arbitrary: fc.record({ t: fc.constant('remove' as const), r, act: n }), weight: 2 },
	{ arbitrary: fc.record({ t: fc.constant('restore' as const), r, act: n }), weight: 2 },
	{
		arbitrary: fc.record({
			t: fc.constant('type' as const),
			r,
			field: fc.nat({ max: 1 }),
			pos: fc.nat({ max: 200 })
		}),
		weight: 3
	},
	{
		arbitrary: fc.record({
			t: fc.constant('del' as const),
			r,
			field: fc.nat({ max: 1 }),
			pos: fc.nat({ max: 200 }),
			len: fc.integer({ min: 1, max: 4 })
		}),
		weight: 3
	},
	{ arbitrary: fc.record({ t: fc.constant('notes' as const), r, act: n }), weight: 2 },
	{
		arbitrary: fc.record({ t: fc.constant('meeting' as const), r, day: fc.nat({ max: 4 }) }),
		weight: 1
	},
	{
		arbitrary: fc.record({
			t: fc.constant('assess' as const),
			r,
			comp: fc.nat({ max: 2 }),
			score: fc.integer({ min: 1, max: 5 })
		}),
		weight: 1
	},
	{ arbitrary: fc.record({ t: fc.constant('report' as const), r, stage: n }), weight: 2 },
	{
		arbitrary: fc.record({ t: fc.constant('review' as const), r, accept: fc.boolean() }),
		weight: 2
	},
	{ arbitrary: fc.record({ t: fc.constant('sync' as const), from: r, to: r }), weight: 3 }
);

function shuffle<T>(xs: T[], seed: number): T[] {
	const out = [...xs];
	let s = seed >>> 0 || 1;
	for (let i = out.length - 1; i > 0; i--) {
		s = (Math.imul(s, 1103515245) + 12345) >>> 0;
		const j = s % (i + 1);
		[out[i], out[j]] = [out[j] as T, out[i] as T];
	}
	return out;
}

const base = newProgram(); // shared starting point (same client ids do not matter: replicas get their own)
const baseUpdate = Y.encodeStateAsUpdate(base);

/** Successful operations per kind over all runs: proves the generator exercises every operation. */
const applied = new Map<string, number>();

function run(ops: Op[], seed: number) {
	const docs = [0, 1, 2].map(() => {
		const d = new Y.Doc();
		Y.applyUpdate(d, baseUpdate);
		return d;
	});
	const log: Uint8Array[] = [];
	docs.forEach((d) => d.on('update', (u: Uint8Array) => log.push(u)));
	let uniq = 0;
	const ids = () => `x${seed.toString(36)}n${uniq++}`;
	const eds = docs.map(
		(d, i) =>
			new ProgramEditor(d, ACTORS[i] as Actor, {
				newId: ids,
				clock: () => new Date('2025-09-01T10:00:00Z')
			})
	);
	const cur = docs.map((d) => new ProgramEditor(d, curator, { newId: ids }));

	// What each operation wrote, to check its effect at the end.
	const written = {
		title: new Map<string, Set<string>>(),
		deadline: new Map<string, Set<string>>(),
		stage: new Map<string, Set<string>>(),
		status: new Map<string, Set<string>>(),
		score: new Map<string, Set<number>>()
	};
	const add = <T>(m: Map<string, Set<T>>, k: string, v: T) =>
		(m.get(k) ?? m.set(k, new Set()).get(k)!).add(v);
	const added: string[] = [];
	const meetings: string[] = [];
	const notesTokens: Array<{ id: string; token: string }> = [];
	const textTokens: Array<{ field: number; token: string }> = [];
	const deletedFields = new Set<number>();
	for (const a of readProgram(base).activities) {
		add(written.title, a.id, a.title);
		add(written.deadline, a.id, a.deadline as string);
		add(written.stage, a.id, a.stageId as string);
		add(written.status, a.id, a.status);
	}

	for (const op of ops) {
		if (op.t === 'sync') {
			const [a, b] = [docs[op.from]!, docs[op.to]!];
			if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
			continue;
		}
		const doc = docs[op.r]!;
		const ed = eds[op.r]!;
		const v = readProgram(doc);
		const acts = v.activities;
		const act = 'act' in op ? acts[op.act % Math.max(1, acts.length)] : undefined;
		const stage = 'stage' in op ? v.stages[op.stage % v.stages.length] : undefined;
		const token = `‹${op.r}.${uniq++}›`;
		const before = log.length;
		try {
			switch (op.t) {
				case 'add': {
					const id = ed.addActivity({ stageId: stage!.id, title: `A${token}`, index: op.index });
					added.push(id);
					add(written.title, id, `A${token}`);
					add(written.stage, id, stage!.id);
					add(written.status, id, 'planned');
					add(
						written.deadline,
						id,
						readProgram(doc).activities.find((x) => x.id === id)!.deadline as string
					);
					break;
				}
				case 'move':
					if (!act) break;
					ed.moveActivity(act.id, stage!.id, op.index);
					add(written.stage, act.id, stage!.id);
					break;
				case 'complete':
					if (!act) break;
					ed.completeActivity(act.id, DAYS[op.day]!);
					add(written.status, act.id, 'done');
					break;
				case 'reopen':
					if (!act) break;
					ed.reopenActivity(act.id);
					add(written.status, act.id, 'in-progress');
					break;
				case 'deadline':
					if (!act) break;
					ed.setDeadline(act.id, DAYS[op.day]!);
					add(written.deadline, act.id, DAYS[op.day]!);
					break;
				case 'title':
					if (!act) break;
					ed.editActivity(act.id, { title: `T${token}` });
					add(written.title, act.id, `T${token}`);
					break;
				case 'remove':
					if (act) ed.removeActivity(act.id);
					break;
				case 'restore': {
					const raw = root(doc).activities.toArray() as Array<Y.Map<unknown>>;
					const removed = raw.filter((m) => m.get('removed') === true);
					const m = removed[op.act % Math.max(1, removed.length)];
					if (m) ed.restoreActivity(m.get('id') as string);
					break;
				}
				case 'type': {
					const field = DIAGNOSIS_FIELDS[op.field]!;
					// Type between tokens (a token split by a later insertion would still be "kept",
					// but could not be found by substring; YATA never interleaves concurrent runs).
					const cur = v.diagnosis.texts[field].toString();
					const bounds = [0, ...[...cur].flatMap((c, i) => (c === '›' ? [i + 1] : []))];
					ed.editText({ kind: 'diagnosis', field }, bounds[op.pos % bounds.length]!, 0, token);
					textTokens.push({ field: op.field, token });
					break;
				}
				case 'del': {
					const field = DIAGNOSIS_FIELDS[op.field]!;
					const len = v.diagnosis.texts[field].length;
					if (len === 0) break;
					const pos = op.pos % len;
					ed.editText({ kind: 'diagnosis', field }, pos, Math.min(op.len, len - pos));
					deletedFields.add(op.field);
					break;
				}
				case 'notes': {
					if (!act || !act.notes) break;
					ed.editText({ kind: 'activity', id: act.id, field: 'notes' }, act.notes.length, 0, token);
					notesTokens.push({ id: act.id, token });
					break;
				}
				case 'meeting':
					meetings.push(
						ed.logMeeting({
							date: DAYS[op.day]!,
							format: 'in-person',
							kind: 'regular',
							topic: `M${token}`
						})
					);
					break;
				case 'assess': {
					const pid = v.participants.find((p) => p.role === 'mentee')!.id;
					ed.setAssessment('entry', pid, COMPS[op.comp]!, op.score);
					add(written.score, COMPS[op.comp]!, op.score);
					break;
				}
				case 'report': {
					const id = ed.startReport({ kind: 'stage', stageId: stage!.id });
					ed.submitReport(id, '2025-10-01');
					break;
				}
				case 'review': {
					const rep = v.reports.find((x) => x.status === 'submitted');
					if (!rep) break;
					if (op.accept) cur[op.r]!.acceptReport(rep.id, '2025-10-02');
					else cur[op.r]!.returnReport(rep.id, 'Доработать', '2025-10-02');
					break;
				}
			}
			if (log.length > before) applied.set(op.t, (applied.get(op.t) ?? 0) + 1);
		} catch (e) {
			// Legitimate refusals (e.g. the item was removed on this replica) are part of the game.
			if (!(e instanceof ProgramValidationError)) throw e;
		}
	}

	// Exchange everything in a random order (out-of-order updates wait in Yjs' pending queue).
	const updates = [...log];
	docs.forEach((d, i) => {
		for (const u of shuffle(updates, seed + i)) Y.applyUpdate(d, u);
	});

	// 1. Identical replicas.
	const [d0, d1, d2] = docs as [Y.Doc, Y.Doc, Y.Doc];
	const sv = Y.encodeStateVector(d0);
	expect(Y.encodeStateVector(d1)).toEqual(sv);
	expect(Y.encodeStateVector(d2)).toEqual(sv);
	for (const d of docs) expect(d.store.pendingStructs).toBeNull();
	// Same state vector and same delete set (snapshots compare both canonically): the replicas hold
	// the same operations. Raw encodings may still differ in how runs of items are split (a replica
	// that received a run in pieces keeps the pieces), so bytes are not compared.
	expect(Y.equalSnapshots(Y.snapshot(d1), Y.snapshot(d0))).toBe(true);
	expect(Y.equalSnapshots(Y.snapshot(d2), Y.snapshot(d0))).toBe(true);
	const json = (d: Y.Doc) => {
		const out: Record<string, unknown> = {};
		for (const k of Object.values(ROOT))
			out[k] =
				k === ROOT.meta ||
				k === ROOT.assessments ||
				k === ROOT.feedback ||
				k === ROOT.completion ||
				k === ROOT.diagnosis
					? d.getMap(k).toJSON()
					: d.getArray(k).toJSON();
		for (const f of DIAGNOSIS_FIELDS) out[f] = d.getText(`diagnosis.${f}`).toString();
		return out;
	};
	const j0 = json(d0);
	expect(json(d1)).toEqual(j0);
	expect(json(d2)).toEqual(j0);
	const p0 = programToJSON(readProgram(d0));
	expect(programToJSON(readProgram(d1))).toEqual(p0);
	expect(programToJSON(readProgram(d2))).toEqual(p0);
	expect(summarize(d1, '2026-01-01')).toEqual(summarize(d0, '2026-01-01'));
	expect(summarize(d2, '2026-01-01')).toEqual(summarize(d0, '2026-01-01'));

	// 2. Every effect present unless legitimately overwritten/removed.
	const view = readProgram(d0);
	expect(view.problems).toEqual([]);
	const raw = (root(d0).activities.toArray() as Array<Y.Map<unknown>>).map(
		(m) => m.get('id') as string
	);
	expect(new Set(raw).size).toBe(raw.length); // moves never duplicate
	for (const id of added) expect(raw).toContain(id); // soft removal: never lost
	const all = new Map(
		(root(d0).activities.toArray() as Array<Y.Map<unknown>>).map((m) => [m.get('id') as string, m])
	);
	for (const [id, m] of all) {
		expect(written.title.get(id)).toContain(m.get('title'));
		expect(written.deadline.get(id)).toContain(m.get('deadline'));
		expect(written.stage.get(id)).toContain(m.get('stageId'));
		expect(written.status.get(id)).toContain(m.get('status'));
	}
	for (const { id, token } of notesTokens)
		expect(String(all.get(id)!.get('notes'))).toContain(token);
	for (const { field, token } of textTokens)
		if (!deletedFields.has(field))
			expect(view.diagnosis.texts[DIAGNOSIS_FIELDS[field]!].toString()).toContain(token);
	for (const id of meetings) expect(view.meetings.map((m) => m.id)).toContain(id);
	for (const a of view.assessments) expect(written.score.get(a.competency)).toContain(a.score);
	expect(view.assessments.length).toBe(written.score.size);
}

describe('convergence (property-based)', () => {
	it('3 partitioned replicas converge with every effect kept', () => {
		fc.assert(
			fc.property(fc.array(opArb, { minLength: 5, maxLength: 50 }), fc.nat(), (ops, seed) =>
				run(ops, seed)
			),
			// A fixed seed keeps CI reproducible (and the coverage check below stable); set FC_SEED to
			// explore other sequences — fast-check prints the seed and path of any failure.
			{ numRuns: 200, seed: Number(process.env.FC_SEED ?? 20261121) }
		);
		for (const t of [
			'add',
			'move',
			'complete',
			'reopen',
			'deadline',
			'title',
			'remove',
			'restore',
			'type',
			'del',
			'notes',
			'meeting',
			'assess',
			'report',
			'review'
		])
			expect(applied.get(t) ?? 0, `${t}: ${JSON.stringify([...applied])}`).toBeGreaterThan(10);
	}, 300_000); // generous: 200 runs take ~80 s on a machine under load 15
});
