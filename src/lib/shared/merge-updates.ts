/**
 * Merging many Yjs updates in runs (issue 18).
 *
 * `Y.mergeUpdates` re-sorts all of its inputs' readers each time it moves from one input's run of
 * structs to another's, so its cost grows with the square of the number of inputs: 512 of a
 * blank program's one-keystroke updates took 4.3–5.1 ms where 64 took 0.2 (`npm run
 * bench:merge`, the relay's long-blank load; docs/benchmarks.md, "Merges in runs"). Merged 32 at
 * a time and those results merged again, 512 take half the time and 750 a quarter, and the
 * result is the same update: merging is associative (the union of the structs and of the
 * deletions), and Yjs writes the structs it reads as they are, in client and clock order,
 * whatever the grouping.
 */
import * as Y from 'yjs';

/** Inputs per merge of a run. */
const RUN = 32;
/** Up to this many parts a flat merge costs no more than runs (bench:merge: 128 parts: 0.38 ms flat, 0.35 in runs). */
const FLAT_UP_TO = 128;
/**
 * A part this big (a stored state) joins only the last merge: a run would read it once and the
 * last merge again, and reading a two-year program's 178 KB costs more than the sorting saved
 * (40 parts after it: 10.0 ms in runs against 5.0 flat).
 */
const BIG_PART_BYTES = 4096;

/**
 * `Y.mergeUpdates(parts)`, in runs of 32 for more than 128 parts; one part is returned as it
 * is. Throws what Yjs throws (a part that does not decode): the caller keeps every part then, as
 * with one flat merge.
 */
export function mergeUpdatesInRuns(parts: readonly Uint8Array[]): Uint8Array {
	if (parts.length === 1) return parts[0] as Uint8Array;
	const big = parts.filter((p) => p.length >= BIG_PART_BYTES);
	let level = big.length > 0 ? parts.filter((p) => p.length < BIG_PART_BYTES) : parts.slice();
	while (level.length > FLAT_UP_TO) {
		const next: Uint8Array[] = [];
		for (let i = 0; i < level.length; i += RUN) {
			const run = level.slice(i, i + RUN);
			next.push(run.length === 1 ? (run[0] as Uint8Array) : Y.mergeUpdates(run));
		}
		level = next;
	}
	return Y.mergeUpdates(big.length > 0 ? [...big, ...level] : level);
}
