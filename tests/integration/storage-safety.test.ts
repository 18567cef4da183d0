/**
 * No path drops stored bytes (issue #14): a property test that feeds random and hostile updates
 * through the relay's storage paths — append (group commit, writer thread on SQLite), compaction
 * as the relay runs it (the room's merge proposed as the new state), compaction with a wrong
 * proposal, restart, SQLite's move of the recent log, and the room's merge and catch-up — and
 * checks after every step that every acknowledged (appended) update is still contained in what
 * is stored: its exact bytes are still a stored part, or every struct and deletion it carries is
 * in the stored parts.
 *
 * Hostile updates are stored directly (an older relay acknowledged them; the campaign's base
 * state did not decode later): content nested too deep to merge, garbage, truncated updates.
 * SQLite always; PostgreSQL when TEST_DATABASE_URL (or DATABASE_URL) answers.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocumentStore, StoredDocument } from '../../server/storage/document-store';
import { openStorage, type Storage } from '../../server/storage/index';
import { LOG_TABLES } from '../../server/storage/sql-document-store';
import {
	coverageContains,
	coverageOf,
	type Coverage
} from '../../server/storage/update-containment';
import { RoomDocument } from '../../server/sync/room';
import {
	createTestDatabase,
	postgresUnavailable,
	skipUnlessCi,
	type TestDatabase
} from './test-storage';

type Op =
	| { kind: 'edit'; writer: number; edits: number[] }
	| { kind: 'reordered'; writer: number }
	| { kind: 'hostile'; what: 'deep' | 'garbage' | 'truncated' }
	| { kind: 'compact' }
	| { kind: 'compact-wrong'; what: 'empty' | 'first-row' | 'old-state' }
	| { kind: 'restart' }
	| { kind: 'move' }
	| { kind: 'merge' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
	{
		weight: 6,
		arbitrary: fc.record({
			kind: fc.constant('edit' as const),
			writer: fc.integer({ min: 0, max: 2 }),
			edits: fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: 1, maxLength: 4 })
		})
	},
	{
		weight: 2,
		arbitrary: fc.record({
			kind: fc.constant('reordered' as const),
			writer: fc.integer({ min: 0, max: 2 })
		})
	},
	{
		weight: 1,
		arbitrary: fc.record({
			kind: fc.constant('hostile' as const),
			what: fc.constantFrom('deep' as const, 'garbage' as const, 'truncated' as const)
		})
	},
	{ weight: 3, arbitrary: fc.constant({ kind: 'compact' as const }) },
	{
		weight: 2,
		arbitrary: fc.record({
			kind: fc.constant('compact-wrong' as const),
			what: fc.constantFrom('empty' as const, 'first-row' as const, 'old-state' as const)
		})
	},
	{ weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
	{ weight: 2, arbitrary: fc.constant({ kind: 'move' as const }) },
	{ weight: 1, arbitrary: fc.constant({ kind: 'merge' as const }) }
);

/** Content nested deeper than Yjs can merge (a RangeError in mergeUpdates). */
function deepUpdate(): Uint8Array {
	let v: unknown = 1;
	for (let i = 0; i < 5_000; i++) v = { a: v };
	// Encoded by hand: Y.Doc cannot apply it, but its encoder writes it at this depth.
	const doc = new Y.Doc();
	try {
		doc.getMap('m').set('deep', v);
		return Y.encodeStateAsUpdate(doc);
	} finally {
		doc.destroy();
	}
}

/** One writer: a Y.Doc whose updates are stored in order (or two of them swapped). */
class Writer {
	readonly doc = new Y.Doc();
	private readonly pending: Uint8Array[] = [];
	constructor(readonly n: number) {
		this.doc.on('update', (u: Uint8Array) => this.pending.push(u));
	}
	edit(seed: number): void {
		const d = this.doc;
		const text = d.getText('t');
		switch (seed % 4) {
			case 0:
				d.getMap('m').set(`k${this.n}-${seed % 7}`, seed);
				break;
			case 1:
				text.insert(Math.min(text.length, seed % 5), `w${this.n}:${seed};`);
				break;
			case 2:
				if (text.length > 2) text.delete(seed % (text.length - 1), 1);
				else d.getArray('a').push([seed]);
				break;
			default:
				d.getArray('a').push([{ by: this.n, seed }]);
		}
	}
	take(): Uint8Array[] {
		return this.pending.splice(0);
	}
}

/** Whether `u` (acknowledged) is still in what is stored. */
function retained(u: Uint8Array, parts: Uint8Array[], union: Coverage | null): boolean {
	if (parts.some((p) => p.length === u.length && Buffer.from(p).equals(Buffer.from(u))))
		return true;
	if (!union) return false;
	let cov: Coverage;
	try {
		cov = coverageOf(u);
	} catch {
		return false; // undecodable: only its exact bytes can hold it
	}
	return coverageContains(union, cov).ok;
}

/** The union of the coverage of every stored part that decodes. */
function unionOf(parts: Uint8Array[]): Coverage {
	const structs = new Map<number, Array<[number, number]>>();
	const deletes = new Map<number, Array<[number, number]>>();
	const add = (into: typeof structs, from: typeof structs) => {
		for (const [c, list] of from) into.set(c, [...(into.get(c) ?? []), ...list]);
	};
	for (const p of parts) {
		try {
			const c = coverageOf(p);
			add(structs, c.structs);
			add(deletes, c.deletes);
		} catch {
			// an undecodable part holds only itself (checked by bytes)
		}
	}
	for (const m of [structs, deletes])
		for (const [c, list] of m) {
			list.sort((a, b) => a[0] - b[0]);
			const out: Array<[number, number]> = [];
			for (const r of list) {
				const last = out[out.length - 1];
				if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
				else out.push([r[0], r[1]]);
			}
			m.set(c, out);
		}
	return { structs, deletes };
}

const partsOf = (s: StoredDocument) => [...(s.state ? [s.state] : []), ...s.updates];

interface Harness {
	open(): Promise<{ storage: Storage; store: DocumentStore & { close(): Promise<void> } }>;
	done(): Promise<void>;
}

async function runScenario(h: Harness, programId: string, ops: Op[]): Promise<void> {
	let { storage, store } = await h.open();
	try {
		await store.createProgram(programId);
		const writers = [0, 1, 2].map((n) => new Writer(n));
		const acked: Uint8Array[] = [];
		const append = async (updates: Uint8Array[]) => {
			if (updates.length === 0) return;
			await store.append(updates.map((data) => ({ programId, data, receivedAt: Date.now() })));
			acked.push(...updates);
		};
		const check = async (after: string) => {
			const stored = await store.load(programId);
			const parts = partsOf(stored);
			const union = unionOf(parts);
			const lost = acked.flatMap((u, i) =>
				retained(u, parts, union) ? [] : [`#${i} (${u.length} B)`]
			);
			if (lost.length === 0) return;
			// What each table holds, to tell a row never stored from one a path removed.
			const rows = storage.sqlite
				?.prepare(
					`SELECT 'state' AS t, through_seq AS seq, length(data) AS n FROM program_state WHERE program_id = ?
					${LOG_TABLES.map((t) => `UNION ALL SELECT '${t}', seq, length(data) FROM ${t} WHERE program_id = ?`).join(' ')}`
				)
				.all(...[programId, ...LOG_TABLES.map(() => programId)]);
			expect.fail(
				`${lost.length} acknowledged updates lost after ${after}: ${lost.join(', ')} of ` +
					`${acked.length} (sizes ${acked.map((u) => u.length).join(', ')}); loaded ` +
					`${parts.map((p) => p.length).join(', ')} B; tables ${JSON.stringify(rows)}`
			);
		};
		for (const op of ops) {
			switch (op.kind) {
				case 'edit': {
					const w = writers[op.writer] as Writer;
					for (const e of op.edits) w.edit(e);
					await append(w.take());
					break;
				}
				case 'reordered': {
					// Two consecutive updates of one writer, stored second first (legal in Yjs).
					const w = writers[op.writer] as Writer;
					w.edit(1);
					const first = w.take();
					w.edit(2);
					const second = w.take();
					await append(second);
					await append(first);
					break;
				}
				case 'hostile': {
					const valid = Y.encodeStateAsUpdate((writers[0] as Writer).doc);
					const bytes =
						op.what === 'deep'
							? deepUpdate()
							: op.what === 'garbage'
								? new Uint8Array([9, 9, 9, 200, 1])
								: valid.slice(0, Math.max(1, valid.length - 3));
					await append([bytes]);
					break;
				}
				case 'compact': {
					// As the relay's rooms compact: the room's merge of the stored document proposed.
					const room = RoomDocument.fromStored(await store.load(programId));
					const input = room.compactionInput();
					await store.compact(programId, input.merged, input.stateVector, input.throughSeq);
					break;
				}
				case 'compact-wrong': {
					// A caller proposing less than is stored: the store must not take its word.
					const stored = await store.load(programId);
					const proposal =
						op.what === 'empty'
							? new Uint8Array([0, 0])
							: op.what === 'first-row'
								? (stored.updates[0] ?? new Uint8Array([0, 0]))
								: (stored.state ?? new Uint8Array([0, 0]));
					let sv: Uint8Array = new Uint8Array([0]);
					try {
						sv = Y.encodeStateVectorFromUpdate(proposal);
					} catch {
						// a hostile row: its state vector is unknown
					}
					await store.compact(programId, proposal, sv, stored.lastSeq);
					break;
				}
				case 'restart': {
					await store.close();
					await storage.close();
					({ storage, store } = await h.open());
					break;
				}
				case 'move': {
					// SQLite: the recent part of the log moved to the log (a timer does it in the relay).
					await store.moveRecentLog?.();
					break;
				}
				case 'merge': {
					// The relay's merge and catch-up paths: they may fail, never store less.
					const room = RoomDocument.fromStored(await store.load(programId));
					try {
						room.merged();
					} catch {
						// reported; the parts are kept
					}
					try {
						new RoomDocument().catchUp(await store.load(programId));
					} catch {
						// reported; nothing stored
					}
					break;
				}
			}
			await check(op.kind);
		}
		// Finally: a compaction of everything, then a restart.
		const room = RoomDocument.fromStored(await store.load(programId));
		const input = room.compactionInput();
		await store.compact(programId, input.merged, input.stateVector, input.throughSeq);
		await check('final compaction');
		await store.close();
		await storage.close();
		({ storage, store } = await h.open());
		await check('final restart');
		for (const w of writers) w.doc.destroy();
	} finally {
		await store.close();
		await storage.close();
	}
}

/** The campaign's case, deterministic: a stored base state that cannot be merged, then 6 edits. */
async function campaignCase(h: Harness, programId: string): Promise<void> {
	const { storage, store } = await h.open();
	try {
		await store.createProgram(programId);
		const doc = new Y.Doc();
		const updates: Uint8Array[] = [];
		doc.on('update', (u: Uint8Array) => updates.push(u));
		doc.getMap('meta').set('title', 'Программа');
		doc.getText('plan').insert(0, 'Этапы программы по шаблону. '.repeat(200));
		// The hostile participant's content, nested deeper than Yjs can merge back.
		let deep: unknown = 1;
		for (let i = 0; i < 5_000; i++) deep = { a: deep };
		doc.getMap('m').set('deep', deep);
		const base = Y.encodeStateAsUpdate(doc);
		// The base as the compacted state: appended, then folded by a compaction of the log.
		const [seq] = await store.append([{ programId, data: base, receivedAt: Date.now() }]);
		updates.length = 0;
		for (let i = 0; i < 6; i++) doc.getText('plan').insert(i, `правка ${i}; `);
		await store.append(updates.map((data) => ({ programId, data, receivedAt: Date.now() })));
		const before = await store.load(programId);
		const room = RoomDocument.fromStored(before);
		const input = room.compactionInput();
		await store.compact(programId, input.merged, input.stateVector, input.throughSeq);
		const after = await store.load(programId);
		const parts = partsOf(after);
		const union = unionOf(parts);
		for (const u of [base, ...updates]) expect(retained(u, parts, union)).toBe(true);
		expect(seq).toBeGreaterThan(0);
		expect(parts.reduce((n, p) => n + p.length, 0)).toBeGreaterThanOrEqual(base.length);
		doc.destroy();
	} finally {
		await store.close();
		await storage.close();
	}
}

const RUNS = Number(process.env.STORAGE_SAFETY_RUNS ?? 30);
/** A failure's case again: FC_SEED and FC_PATH as fast-check printed them (`seed`, `path`). */
const REPLAY = process.env.FC_SEED
	? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH, endOnFailure: true }
	: {};

describe('storage safety: SQLite', () => {
	const roots: string[] = [];
	afterAll(() => {
		for (const r of roots) rmSync(r, { recursive: true, force: true });
	});
	const harness = (): Harness => {
		const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-safety-'));
		roots.push(root);
		return {
			async open() {
				const storage = await openStorage({ dataDir: root, databaseUrl: null });
				return { storage, store: storage.relayDocuments({ writerThread: true }) };
			},
			done: async () => undefined
		};
	};

	it('the campaign case: an unmergeable base state and 6 edits survive compaction', async () => {
		await campaignCase(harness(), 'campaign');
	});

	it('every acknowledged update survives append, compaction, restart and merge (property)', async () => {
		let n = 0;
		await fc.assert(
			fc.asyncProperty(fc.array(opArb, { minLength: 3, maxLength: 24 }), async (ops) => {
				await runScenario(harness(), `p${n++}`, ops);
			}),
			{ numRuns: RUNS, ...REPLAY }
		);
	}, 240_000);
});

const pgSkip = skipUnlessCi('storage safety on PostgreSQL', await postgresUnavailable());

describe.skipIf(pgSkip !== null)('storage safety: PostgreSQL', () => {
	let db: TestDatabase | null = null;
	const harness = (): Harness => ({
		async open() {
			db ??= await createTestDatabase();
			const storage = await openStorage({ dataDir: tmpdir(), databaseUrl: db.url, poolSize: 4 });
			return { storage, store: storage.relayDocuments() };
		},
		done: async () => undefined
	});
	afterAll(async () => {
		await db?.drop();
	});

	it('the campaign case: an unmergeable base state and 6 edits survive compaction', async () => {
		await campaignCase(harness(), 'campaign');
	});

	it('every acknowledged update survives append, compaction, restart and merge (property)', async () => {
		let n = 0;
		await fc.assert(
			fc.asyncProperty(fc.array(opArb, { minLength: 3, maxLength: 20 }), async (ops) => {
				await runScenario(harness(), `p${n++}`, ops);
			}),
			{ numRuns: Math.max(5, Math.round(RUNS / 2)), ...REPLAY }
		);
	}, 240_000);
});
