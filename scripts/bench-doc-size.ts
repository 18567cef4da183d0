// Size of a program document after two years of realistic use (npm run bench:doc).
// Budget: < 200 KB encoded (docs/program-document.md, "Size").
import * as Y from 'yjs';
import { generateRealisticProgram } from '../src/lib/shared/program/fixtures';
import { summarize } from '../src/lib/shared/program/summary';

const LIMIT = 200 * 1024;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

const seeds = process.argv.slice(2).map(Number).filter(Number.isFinite);
let failed = false;
for (const seed of seeds.length ? seeds : [1, 2, 3]) {
	const t0 = performance.now();
	const { doc, stats } = generateRealisticProgram(seed);
	const genMs = performance.now() - t0;
	const v1 = Y.encodeStateAsUpdate(doc).byteLength;
	const v2 = Y.encodeStateAsUpdateV2(doc).byteLength;
	// What a fresh replica holds after loading and what the relay would keep after a snapshot.
	const reloaded = new Y.Doc();
	Y.applyUpdate(reloaded, Y.encodeStateAsUpdate(doc));
	const t1 = performance.now();
	const summary = summarize(reloaded, '2026-09-01');
	const sumMs = performance.now() - t1;
	const summaryBytes = new TextEncoder().encode(JSON.stringify(summary)).byteLength;
	console.log(
		`seed ${seed}: ${stats.edits} edits (${stats.typedChars} typed chars), ${stats.activities} activities, ` +
			`${stats.meetings} meetings, ${stats.reports} reports | update v1 ${kb(v1)} (${v1} B), v2 ${kb(v2)} (${v2} B) | ` +
			`state vector ${Y.encodeStateVector(doc).byteLength} B | summary JSON ${summaryBytes} B, summarize ${sumMs.toFixed(1)} ms | generate ${genMs.toFixed(0)} ms`
	);
	if (v1 >= LIMIT || v2 >= LIMIT) failed = true;
}
// Headroom: four times the edits of the realistic program (not budgeted, printed for the record).
{
	const { doc, stats } = generateRealisticProgram(1, { edits: 20_000 });
	const v1 = Y.encodeStateAsUpdate(doc).byteLength;
	const v2 = Y.encodeStateAsUpdateV2(doc).byteLength;
	console.log(
		`heavy (seed 1, ${stats.edits} edits, ${stats.typedChars} typed chars): update v1 ${kb(v1)}, v2 ${kb(v2)}`
	);
}
if (failed) {
	console.error(`FAIL: a document exceeds ${kb(LIMIT)}`);
	process.exit(1);
}
console.log(`OK: every document under ${kb(LIMIT)}`);
