/**
 * What a program's summary costs the relay, in CPU time (npm run bench:summary; issue 18,
 * docs/benchmarks.md "Summaries in CPU time"). The program is bench:relay's realistic one
 * (generateRealisticProgram, two years, 5,000 edits, ~94 KB) and the decisions are imported from
 * it as the relay does for a program whose decisions document was never started
 * (LEGACY_DECISIONS). Each operation is timed alone with process.cpuUsage (this process's CPU,
 * user + system: on Node < 23.9 that includes V8's helper threads, as the relay's budget does)
 * and repeated; the table gives the median and the mean per operation (the mean carries the
 * garbage collections the operation causes).
 *
 *   decode            a transient Y.Doc + Y.applyUpdate of the stored state (the first summary)
 *   readProgram       readProgram(doc, decisions) on the decoded document
 *   summarize         summarize(doc, now, decisions) on the decoded document
 *   summarize, reads kept  the same with the document's ReadCache (read.ts), nothing changed since
 *   first summary     the relay's path with no kept document: computeSummary (decode + summary)
 *   after a notes edit the relay's path on a kept document (summary-docs.ts): one notes edit by
 *                     the mentor absorbed by the room, then summarizeKept
 *   worker pool       a summary of a document the relay does not keep, in the worker pool: the
 *                     event loop's thread's CPU per summary and the task's own time in the worker
 *
 * BENCH_REPEATS (default 300), BENCH_EDITS (5000), BENCH_SEED (1), BENCH_NOW (2025-11-20T09:00Z),
 * BENCH_ONLY (one operation by name, for a profile: `BENCH_ONLY=summarize node --cpu-prof --import tsx
 * scripts/bench-summary.ts`, then `node scripts/profile-summary.mjs <file>`).
 * Run it on a quiet machine or at low priority: CPU time is what is measured, but a busy machine
 * still moves caches and frequencies.
 */
import * as Y from 'yjs';
import { ProgramEditor } from '../src/lib/shared/program/api';
import { generateRealisticProgram } from '../src/lib/shared/program/fixtures';
import { importLegacyDecisions } from '../src/lib/shared/program/legacy-decisions';
import { readCacheOf, readProgram } from '../src/lib/shared/program/read';
import { summarize } from '../src/lib/shared/program/summary';
import { LEGACY_DECISIONS } from '../server/sync/decisions';
import { inspectUpdate } from '../server/sync/protocol';
import { RoomDocument } from '../server/sync/room';
import { computeSummary, summarizeKept } from '../server/sync/summaries';
import { createSummaryDocs } from '../server/sync/summary-docs';
import { programSummary } from '../server/sync/summary';
import { transientDoc } from '../server/sync/transient-doc';
import { createLogger } from '../server/logger';
import { WorkerPool } from '../server/workers/pool';
import { threadCpuMs } from '../server/sync/cpu-time';

const num = (name: string, fallback: number) => {
	const v = Number(process.env[name]);
	return Number.isFinite(v) && v > 0 ? v : fallback;
};
const REPEATS = num('BENCH_REPEATS', 300);
const EDITS = num('BENCH_EDITS', 5000);
const SEED = num('BENCH_SEED', 1);
const NOW = Date.parse(process.env.BENCH_NOW ?? '2025-11-20T09:00:00Z');
const ONLY = process.env.BENCH_ONLY;

const cpuMs = () => {
	const u = process.cpuUsage();
	return (u.user + u.system) / 1000;
};

interface Row {
	op: string;
	median: number;
	mean: number;
	p90: number;
}

/** Times `op` alone `REPEATS` times (after a tenth as many unmeasured), CPU ms. */
function measure(name: string, op: () => void, prepare: () => void = () => {}): Row | null {
	if (ONLY && ONLY !== name) return null;
	const warm = Math.max(5, Math.floor(REPEATS / 10));
	for (let i = 0; i < warm; i++) {
		prepare();
		op();
	}
	const times: number[] = [];
	for (let i = 0; i < REPEATS; i++) {
		prepare();
		const t = cpuMs();
		op();
		times.push(cpuMs() - t);
	}
	times.sort((a, b) => a - b);
	const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
	return {
		op: name,
		median: at(0.5),
		mean: times.reduce((a, b) => a + b, 0) / times.length,
		p90: at(0.9)
	};
}

const program = generateRealisticProgram(SEED, { edits: EDITS });
const state = Y.encodeStateAsUpdate(program.doc);
const now = new Date(NOW);

const decoded = transientDoc();
Y.applyUpdate(decoded, state);
const decisions = transientDoc();
importLegacyDecisions(decoded, decisions, now.toISOString());

const rows: Array<Row | null> = [];
rows.push(
	measure('decode', () => {
		const doc = transientDoc();
		Y.applyUpdate(doc, state);
		doc.destroy();
	})
);
rows.push(measure('readProgram', () => void readProgram(decoded, decisions)));
rows.push(measure('summarize', () => void summarize(decoded, now, decisions)));
// What is left when every item read is kept (nothing changed since the last summary).
rows.push(
	measure(
		'summarize, reads kept',
		() => void summarize(decoded, now, decisions, readCacheOf(decoded))
	)
);
rows.push(
	measure(
		'first summary',
		() => void computeSummary(program.programId, state, 1, programSummary, NOW, LEGACY_DECISIONS)
	)
);

// The relay's kept document: a room fed by a mentor's phone typing into an activity's notes.
{
	const room = new RoomDocument();
	let seq = 0;
	const absorb = (u: Uint8Array) => room.absorb(u, inspectUpdate(u).ranges, ++seq);
	absorb(state);
	const phone = new Y.Doc();
	Y.applyUpdate(phone, state);
	phone.on('update', (u: Uint8Array) => absorb(u));
	const view = readProgram(phone, decisions);
	const mentor = program.actors.mentor;
	const editor = new ProgramEditor(phone, mentor, {
		// The device clock moves a minute per edit, so every edit stamps the activity anew.
		clock: () => new Date(NOW + seq * 60_000)
	});
	const activity = view.activities[Math.floor(view.activities.length / 2)];
	if (!activity) throw new Error('bench: the program has no activity');
	const ref = { kind: 'activity' as const, id: activity.id, field: 'notes' as const };
	const docs = createSummaryDocs({ budgetBytes: 1 << 30, staleMs: 600_000, now: () => 0 });
	const summary = () =>
		void summarizeKept(docs, program.programId, room, programSummary, NOW, LEGACY_DECISIONS);
	// Kept from the program's second summary on (summary-docs.ts): the first decodes, the second
	// decodes and keeps.
	summary();
	summary();
	rows.push(
		measure('after a notes edit', summary, () => {
			const len = editor.text(ref).length;
			if (len > 2000) editor.editText(ref, 0, 2);
			else editor.editText(ref, len, 0, 'ab');
		})
	);
	const stats = docs.stats();
	if (!ONLY && (stats.decodes !== 2 || stats.unchanged !== 0))
		throw new Error(`bench: expected two decodes and no reuse, got ${JSON.stringify(stats)}`);
}

// A program whose document is not kept, summarized by the worker pool (summaries.ts): what the
// event loop's thread pays for the round trip, and what the budget charges for the task (the
// worker thread's CPU since its previous task), both by cpu-time.ts — in the threads' CPU ticks on
// Node before 23.9 (10 ms each), so over all the repeats: means, not medians.
let pooled: { mainThreadMean: number; workMean: number } | null = null;
if (!ONLY || ONLY === 'worker pool') {
	const pool = new WorkerPool({
		threads: 1,
		taskTimeoutMs: 60_000,
		maxMemoryMb: 512,
		logger: createLogger('silent')
	});
	// The pool's workers do not hold the process open.
	const alive = setInterval(() => {}, 1_000);
	const input = {
		programId: program.programId,
		state: [state],
		throughSeq: 1,
		now: NOW,
		decisions: LEGACY_DECISIONS
	} as const;
	for (let i = 0; i < 20; i++) await pool.run('summary', { ...input, state: [state] });
	let work = 0;
	const before = threadCpuMs();
	for (let i = 0; i < REPEATS; i++)
		work += (await pool.run('summary', { ...input, state: [state] })).workMs;
	pooled = { mainThreadMean: (threadCpuMs() - before) / REPEATS, workMean: work / REPEATS };
	clearInterval(alive);
	await pool.close();
}

const view = readProgram(decoded, decisions);
console.log(
	`program: seed ${SEED}, ${EDITS} edits, ${state.length} bytes, ${view.activities.length} activities, ` +
		`${view.meetings.length} meetings, ${view.reports.length} reports; now ${now.toISOString()}; ` +
		`${REPEATS} repeats; node ${process.version}`
);
console.log('CPU ms per operation (process.cpuUsage)');
console.log('| operation | median | mean | p90 |');
console.log('| --- | --- | --- | --- |');
for (const r of rows)
	if (r)
		console.log(
			`| ${r.op} | ${r.median.toFixed(3)} | ${r.mean.toFixed(3)} | ${r.p90.toFixed(3)} |`
		);
if (pooled)
	console.log(
		`first summary in the worker pool: the event loop's thread ${pooled.mainThreadMean.toFixed(3)} ms, ` +
			`the task as charged ${pooled.workMean.toFixed(3)} ms (means of the threads' CPU)`
	);
console.log(JSON.stringify({ bench: 'summary', seed: SEED, bytes: state.length, rows, pooled }));
