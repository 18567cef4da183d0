/**
 * A merge of many Yjs updates, flat (`Y.mergeUpdates`) and in runs (`mergeUpdatesInRuns`,
 * src/lib/shared/merge-updates.ts), on the relay's cases (issue 18; docs/benchmarks.md, "Merges
 * in runs"): a blank program's one-keystroke updates as bench:relay's long-blank load makes them
 * (two people, two characters at a random place and a map entry each), alone and after a stored
 * state, and a two-year-sized state (178 KB) with the updates after it. Prints ms per merge
 * (median of 25 after 5 warm-up merges) and checks that both give the same bytes.
 *
 *   npm run bench:merge
 */
import * as Y from 'yjs';
import { mergeUpdatesInRuns } from '../src/lib/shared/merge-updates.js';

/** Two people typing in turn; `texts` texts, `keys` map entries overwritten. */
function typing(edits: number, texts: number, keys: number): Uint8Array[] {
	const a = new Y.Doc();
	const b = new Y.Doc();
	const updates: Uint8Array[] = [];
	const relay = (from: Y.Doc, to: Y.Doc) =>
		from.on('update', (u: Uint8Array, origin: unknown) => {
			if (origin === 'remote') return;
			updates.push(u);
			Y.applyUpdate(to, u, 'remote');
		});
	relay(a, b);
	relay(b, a);
	for (let i = 0; i < edits; i++) {
		const doc = i % 2 ? a : b;
		doc.transact(() => {
			const t = doc.getText(`notes-${i % texts}`);
			t.insert(Math.floor(Math.random() * (t.length + 1)), 'ab');
			doc.getMap<number>('bench').set(`k${i % keys}`, i);
		});
	}
	return updates;
}

function median(f: () => unknown): number {
	for (let i = 0; i < 5; i++) f();
	const times: number[] = [];
	for (let i = 0; i < 25; i++) {
		const t = performance.now();
		f();
		times.push(performance.now() - t);
	}
	return times.sort((x, y) => x - y)[12] as number;
}

const blank = typing(1_200, 1, 2);
const big = typing(6_000, 40, 300);
const bigState = Y.mergeUpdates(big.slice(0, 5_500));
const cases: Array<[string, Uint8Array[]]> = [
	...[64, 128, 256, 384, 512, 750].map((n): [string, Uint8Array[]] => [
		`blank program, ${n} updates`,
		blank.slice(0, n)
	]),
	[
		'blank program, its state of 256 updates + 344 after',
		[Y.mergeUpdates(blank.slice(0, 256)), ...blank.slice(256, 600)]
	],
	...[40, 100, 300, 500].map((n): [string, Uint8Array[]] => [
		`a state of ${Math.round(bigState.length / 1024)} KB + ${n} updates`,
		[bigState, ...big.slice(5_500, 5_500 + n)]
	])
];

console.log(
	`node ${process.version}\n\n| merge | flat ms | in runs ms | ratio | same bytes |\n|---|---:|---:|---:|---|`
);
for (const [name, parts] of cases) {
	const flat = median(() => Y.mergeUpdates(parts));
	const runs = median(() => mergeUpdatesInRuns(parts));
	const same = Buffer.compare(Y.mergeUpdates(parts), mergeUpdatesInRuns(parts)) === 0;
	console.log(
		`| ${name} | ${flat.toFixed(2)} | ${runs.toFixed(2)} | ${(runs / flat).toFixed(2)} | ${same ? 'yes' : 'NO'} |`
	);
}
