/**
 * A compaction's verdict on content nested deeper than any peer takes must not depend on the
 * moment. Yjs decodes `Any` content recursively: whether 5,000 levels fit on the stack depends on
 * how far V8 has optimized its decoder (a cold process throws a RangeError, a warm one decodes).
 * A CI run's storage-safety property found a compaction that merged such a row when warm, into a
 * state the test's own decoder then could not read (seed -1783066134, path 7).
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MAX_CONTENT_DEPTH } from '../../src/lib/shared/protocol';
import { coverageOf, mergeVerified, verifyContainment } from './update-containment';

/** An update whose map value is nested `depth` objects deep (Yjs' encoder writes any depth). */
function nested(depth: number): Uint8Array {
	let v: unknown = 1;
	for (let i = 0; i < depth; i++) v = { a: v };
	const doc = new Y.Doc();
	doc.getMap('m').set('deep', v);
	return Y.encodeStateAsUpdate(doc);
}

/** Decodes shallow content until Yjs' decoder is warm enough to read `deep` itself. */
function warmUntilDecodes(deep: Uint8Array): void {
	const shallow = nested(8);
	for (let round = 0; round < 200; round++) {
		try {
			Y.decodeUpdate(deep);
			return;
		} catch {
			for (let k = 0; k < 200; k++) Y.decodeUpdate(shallow);
		}
	}
	throw new Error('the decoder never read the deep update: nothing here depends on the moment');
}

describe('content nested too deep', () => {
	const deep = nested(5_000);
	const edit = (() => {
		const doc = new Y.Doc();
		doc.getText('t').insert(0, 'правка');
		return Y.encodeStateAsUpdate(doc);
	})();

	it('is never verified, however warm the decoder: the stored rows are kept', () => {
		warmUntilDecodes(deep);
		expect(() => coverageOf(deep)).toThrow(/nested too deep/);
		expect(verifyContainment(deep, [deep, edit]).ok).toBe(false);
		const verdict = mergeVerified({ parts: [deep, edit] });
		expect(verdict.ok).toBe(false);
		// A proposal that merely repeats the deep row (a caller's mistake) is refused too.
		expect(mergeVerified({ parts: [deep, edit], candidate: deep }).ok).toBe(false);
	});

	it('content within the limit is verified and merged; one level more is not', () => {
		const fine = nested(MAX_CONTENT_DEPTH);
		expect(verifyContainment(fine, [fine]).ok).toBe(true);
		expect(mergeVerified({ parts: [fine, edit] }).ok).toBe(true);
		const over = nested(MAX_CONTENT_DEPTH + 1);
		expect(verifyContainment(over, [over]).ok).toBe(false);
	});
});
