/**
 * `node scripts/bench-text-markers.mjs`: why bench:relay's load generator costs more per edit
 * against a server that delivers promptly (docs/benchmarks.md, "The peak's load generator").
 *
 * Yjs keeps up to 80 search markers per text so that an insert at an index need not walk the
 * list from its start — and drops them all at every remote transaction
 * (`AbstractType._callObserver`). bench:relay's clients insert 'ab' at random places; a client
 * whose partner's updates arrive one by one, between its own edits (a server that delivers at
 * once), walks from the start at almost every edit; one whose partner's updates arrive in bursts
 * seconds late (a server that queues) edits between bursts with its markers intact.
 *
 * Here: 1,000 documents of ~560 text items (two writers' random inserts, as the peak run ends),
 * visited round-robin as the generator's clients are, 30 edits each, with or without one remote
 * update applied before each edit. Prints the mean time of the local insert alone.
 */
import * as Y from 'yjs';

const DOCS = 1000;
const EDITS = 30;

/** Inserts 'ab' at a random place of the document's text. */
function typeAtRandom(doc) {
	const text = doc.getText('t');
	text.insert(Math.floor(Math.random() * (text.length + 1)), 'ab');
}

const pairs = [];
for (let i = 0; i < DOCS; i++) {
	const a = new Y.Doc();
	const b = new Y.Doc();
	for (let k = 0; k < 280; k++)
		for (const [from, to] of [
			[a, b],
			[b, a]
		]) {
			typeAtRandom(from);
			Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
		}
	pairs.push({ a, b });
}

/** One edit per document; returns the local inserts' mean time in µs. */
function pass(remoteFirst) {
	let ms = 0;
	for (const { a, b } of pairs) {
		if (remoteFirst) {
			const known = Y.encodeStateVector(a);
			typeAtRandom(b);
			Y.applyUpdate(a, Y.encodeStateAsUpdate(b, known));
		}
		const t0 = performance.now();
		typeAtRandom(a);
		ms += performance.now() - t0;
	}
	return (ms / DOCS) * 1000;
}

for (const remoteFirst of [true, false, true, false]) {
	let sum = 0;
	for (let e = 0; e < EDITS; e++) sum += pass(remoteFirst);
	console.log(
		`${remoteFirst ? 'a remote update before each edit' : 'no remote update between edits'}: ` +
			`local insert ${(sum / EDITS).toFixed(1)} µs (${DOCS} documents, ${EDITS} edits each)`
	);
}
