/**
 * The byte-level guard must never refuse what stock Yjs writes (a refusal is 4400, final for an
 * honest y-websocket 3 client), must agree with Yjs' own decoder on what it reads, and must
 * refuse the hostile payloads of issue 14 without recursing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	deepAnyUpdate,
	deepJsonUpdate,
	hugeClockUpdate,
	manyClientsUpdate
} from '../../tests/support/hostile-payloads';
import { inspectUpdate } from './protocol.js';
import {
	UPDATE_LIMITS,
	UpdateRefused,
	checkNewClients,
	jsonDepth,
	scanUpdate
} from './update-guard.js';

type Op =
	| { k: 'text'; at: number; s: string }
	| { k: 'format'; at: number; len: number }
	| { k: 'embed'; at: number }
	| { k: 'del'; at: number; len: number }
	| { k: 'map'; key: string; v: unknown }
	| { k: 'array'; v: unknown }
	| { k: 'nested' }
	| { k: 'xml' }
	| { k: 'binary' };

const value = fc.letrec((tie) => ({
	v: fc.oneof(
		{ depthSize: 'small', withCrossShrink: true },
		fc.constant(null),
		fc.boolean(),
		fc.integer(),
		fc.double({ noNaN: true }),
		fc.string(),
		fc.array(tie('v'), { maxLength: 4 }),
		fc.dictionary(fc.string({ maxLength: 5 }), tie('v'), { maxKeys: 4, noNullPrototype: true })
	)
})).v;

const op: fc.Arbitrary<Op> = fc.oneof(
	fc.record({
		k: fc.constant('text' as const),
		at: fc.nat(50),
		s: fc.string({ minLength: 1, unit: 'grapheme' })
	}),
	fc.record({ k: fc.constant('format' as const), at: fc.nat(50), len: fc.nat(10) }),
	fc.record({ k: fc.constant('embed' as const), at: fc.nat(50) }),
	fc.record({ k: fc.constant('del' as const), at: fc.nat(50), len: fc.nat(5) }),
	fc.record({ k: fc.constant('map' as const), key: fc.string({ maxLength: 4 }), v: value }),
	fc.record({ k: fc.constant('array' as const), v: value }),
	fc.constant({ k: 'nested' as const }),
	fc.constant({ k: 'xml' as const }),
	fc.constant({ k: 'binary' as const })
);

function apply(doc: Y.Doc, o: Op): void {
	const text = doc.getText('t');
	const at = (n: number) => Math.min(n, text.length);
	switch (o.k) {
		case 'text':
			text.insert(at(o.at), o.s);
			return;
		case 'format':
			text.format(at(o.at), o.len, { bold: true, link: { href: 'x', deep: [[1]] } });
			return;
		case 'embed':
			text.insertEmbed(at(o.at), { image: 'x', size: [1, 2] });
			return;
		case 'del':
			text.delete(at(o.at), Math.min(o.len, text.length - at(o.at)));
			return;
		case 'map':
			doc.getMap('m').set(o.key, o.v as never);
			return;
		case 'array':
			doc.getArray('a').push([o.v as never]);
			return;
		case 'nested': {
			const inner = new Y.Map();
			doc.getArray('a').push([inner]);
			inner.set('t', new Y.Text('вложенный'));
			return;
		}
		case 'xml': {
			const el = new Y.XmlElement('p');
			el.setAttribute('class', 'x');
			el.insert(0, [new Y.XmlText('текст')]);
			// A hook (type ref 5, with its key) beside the element; Yjs' types do not list it as a child.
			doc.getXmlFragment('x').insert(0, [el, new Y.XmlHook('hook') as unknown as Y.XmlElement]);
			return;
		}
		case 'binary':
			doc.getMap('m').set('bin', new Uint8Array([1, 2, 3]));
	}
}

describe('update guard', () => {
	it('accepts every update stock Yjs writes and reads the same client ids as Yjs', () => {
		fc.assert(
			fc.property(
				fc.array(fc.array(op, { maxLength: 6 }), { minLength: 1, maxLength: 5 }),
				(batches) => {
					const doc = new Y.Doc();
					const updates: Uint8Array[] = [];
					doc.on('update', (u: Uint8Array) => updates.push(u));
					for (const batch of batches) doc.transact(() => batch.forEach((o) => apply(doc, o)));
					updates.push(Y.encodeStateAsUpdate(doc), Y.mergeUpdates(updates));
					for (const u of updates) {
						const scan = scanUpdate(u);
						expect([...scan.clients].sort()).toEqual([...inspectUpdate(u).clients].sort());
						expect(scan.structs).toBe(Y.decodeUpdate(u).structs.length);
						// The relay takes the clock ranges from the scan alone (no second decode).
						const yjs = inspectUpdate(u);
						expect(scan.ranges).toEqual(yjs.ranges);
						expect(scan.empty).toBe(yjs.empty);
					}
					doc.destroy();
				}
			),
			{ numRuns: 300 }
		);
	});

	it('refuses the payloads of issue 14 on the bytes (no recursion)', () => {
		const refused = (u: Uint8Array) => {
			try {
				scanUpdate(u);
				return null;
			} catch (error) {
				expect(error).toBeInstanceOf(UpdateRefused);
				return (error as UpdateRefused).code;
			}
		};
		expect(refused(deepJsonUpdate(1, 100_000))).toBe(4400);
		expect(refused(deepAnyUpdate(1, 100_000))).toBe(4400);
		expect(refused(deepAnyUpdate(1, UPDATE_LIMITS.maxDepth))).toBeNull();
		expect(refused(deepAnyUpdate(1, UPDATE_LIMITS.maxDepth + 1))).toBe(4400);
		expect(refused(hugeClockUpdate(1))).toBe(4400);
		expect(refused(manyClientsUpdate(2_001))).toBeNull(); // per document: checkNewClients
		// More client ids than a document may hold: refused at the count, before any struct is
		// read (the count followed by garbage is refused as too complex, not as malformed).
		expect(refused(manyClientsUpdate(UPDATE_LIMITS.maxClientsPerDocument))).toBeNull();
		expect(refused(manyClientsUpdate(UPDATE_LIMITS.maxClientsPerDocument + 1))).toBe(4508);
		expect(refused(new Uint8Array([0x90, 0x4e, 0xff, 0xff, 0xff]))).toBe(4508); // 10,000 groups
		expect(() =>
			checkNewClients(scanUpdate(manyClientsUpdate(2_001)).clients, () => false, 0)
		).toThrow('too many new client ids');
		expect(() =>
			checkNewClients(scanUpdate(manyClientsUpdate(2_000)).clients, () => false, 3_001)
		).toThrow('too many client ids in the document');
		// Known ids do not count: a partner re-sending them is not adding any.
		expect(() =>
			checkNewClients(scanUpdate(manyClientsUpdate(2_001)).clients, () => true, 5_000)
		).not.toThrow();
	});

	it('accepts nothing that Yjs cannot decode, and reads the same ranges (mutated updates)', () => {
		fc.assert(
			fc.property(
				fc.array(op, { minLength: 1, maxLength: 8 }),
				fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
					minLength: 1,
					maxLength: 3
				}),
				(ops, flips) => {
					const doc = new Y.Doc();
					doc.transact(() => ops.forEach((o) => apply(doc, o)));
					const u = Y.encodeStateAsUpdate(doc);
					for (const [at, byte] of flips) u[at % u.length] = byte;
					let scan: ReturnType<typeof scanUpdate>;
					try {
						scan = scanUpdate(u);
					} catch {
						return; // refused: nothing of it reaches the log
					}
					const yjs = inspectUpdate(u); // must not throw
					expect(scan.ranges).toEqual(yjs.ranges);
					expect(scan.empty).toBe(yjs.empty);
					expect([...scan.clients].sort()).toEqual([...yjs.clients].sort());
					doc.destroy();
				}
			),
			{ numRuns: 2_000 }
		);
	});

	it('refuses embed and format content whose JSON does not parse (Yjs would throw)', () => {
		const doc = new Y.Doc();
		doc.getText('t').insertEmbed(0, { a: 1 });
		const u = Y.encodeStateAsUpdate(doc);
		const json = new TextEncoder().encode('{"a":1}');
		const at = u.findIndex((_, i) => json.every((b, j) => u[i + j] === b));
		expect(at).toBeGreaterThan(0);
		u[at + json.length - 1] = ']'.charCodeAt(0); // {"a":1] — same length, not JSON
		expect(() => Y.decodeUpdate(u)).toThrow();
		expect(() => scanUpdate(u)).toThrow(UpdateRefused);
	});

	it('counts a string in UTF-16 units as Yjs does, and refuses invalid UTF-8 as Yjs does', () => {
		for (const s of ['ж'.repeat(100_000), `${'a'.repeat(70)}😀é`, '😀'.repeat(40)]) {
			const doc = new Y.Doc();
			doc.getText('t').insert(0, s);
			const u = Y.encodeStateAsUpdate(doc);
			expect(scanUpdate(u).ranges).toEqual(inspectUpdate(u).ranges);
			const bad = u.slice();
			bad[bad.length - 8] = 0xff; // inside the string: never valid in UTF-8
			expect(() => inspectUpdate(bad)).toThrow();
			expect(() => scanUpdate(bad)).toThrow(UpdateRefused);
		}
	});

	it('garbage and truncation throw (the caller closes with 4400), never hang', () => {
		const doc = new Y.Doc();
		doc.getText('t').insert(0, 'abc');
		doc.getMap('m').set('k', { a: [1, 2, { b: 'c' }] });
		const u = Y.encodeStateAsUpdate(doc);
		for (let n = 0; n < u.length; n++) expect(() => scanUpdate(u.slice(0, n))).toThrow();
		expect(() => scanUpdate(Uint8Array.from([...u, 0]))).toThrow();
	});

	it('measures JSON depth outside strings only', () => {
		expect(jsonDepth('{"a":"[[[[[[","b":[{"c":1}]}')).toBe(3);
		expect(jsonDepth('"\\"[["')).toBe(0);
		expect(jsonDepth('['.repeat(1_000_000), 16)).toBe(17);
	});
});
