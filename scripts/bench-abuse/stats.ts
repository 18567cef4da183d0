/**
 * Latency bookkeeping of `npm run bench:abuse`: every honest edit is numbered per sender, and a
 * receiver that sees the sender's edit number `n` has received every edit up to `n` (Yjs applies
 * one client's structs in order, so a later edit never arrives without the earlier ones). An edit
 * that was never received counts as an infinite latency: an honest phone cut off for good must
 * make the figure worse, not drop out of it.
 */

/** One direction of an honest pair: edits sent by one partner, as seen by the other. */
export class Link {
	/** performance.now() at which edit i (0-based) was sent. */
	private readonly sentAt: number[] = [];
	/** Time at which edit i was first seen by the receiver (NaN until then). */
	private readonly receivedAt: number[] = [];
	private received = 0;

	/** The sender made an edit; returns its number (what the sender writes into the document). */
	send(now: number): number {
		this.sentAt.push(now);
		this.receivedAt.push(NaN);
		return this.sentAt.length - 1;
	}

	/** The receiver saw edit number `seq` (and therefore every earlier one) at `now`. */
	see(seq: number, now: number): void {
		const last = Math.min(seq, this.sentAt.length - 1);
		for (; this.received <= last; this.received++) this.receivedAt[this.received] = now;
	}

	/**
	 * Latencies (ms) of the edits sent in [from, to): Infinity for an edit not received by `asOf`.
	 */
	latencies(from: number, to: number, asOf: number): number[] {
		const out: number[] = [];
		for (let i = 0; i < this.sentAt.length; i++) {
			const s = this.sentAt[i] as number;
			if (s < from || s >= to) continue;
			const r = this.receivedAt[i] as number;
			out.push(Number.isNaN(r) || r > asOf ? Infinity : r - s);
		}
		return out;
	}
}

/**
 * Nearest-rank percentile (p in (0, 100]) of unsorted samples; Infinity samples sort last, so the
 * p99 is Infinity as soon as more than 1 % of the edits never arrived. NaN for no samples.
 */
export function percentile(samples: readonly number[], p: number): number {
	if (samples.length === 0) return NaN;
	const sorted = [...samples].sort((a, b) => a - b);
	const rank = Math.ceil((p / 100) * sorted.length);
	return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/**
 * bench:relay's percentile: values already sorted, the value at index floor(p% × n) (the
 * definition of all its recorded figures; one rank above `percentile`'s at some counts).
 */
export function sortedPercentile(sorted: readonly number[], p: number): number {
	if (sorted.length === 0) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** "12.3", "∞" (edits lost), "—" (nothing measured). */
export function formatMs(ms: number, digits = 1): string {
	if (Number.isNaN(ms)) return '—';
	if (ms === Infinity) return '∞';
	return ms.toFixed(digits);
}

/** The median of the finite-or-infinite samples (the mean of the middle two for an even count). */
export function median(samples: readonly number[]): number {
	if (samples.length === 0) return NaN;
	const sorted = [...samples].sort((a, b) => a - b);
	const mid = sorted.length >> 1;
	return sorted.length % 2
		? (sorted[mid] as number)
		: ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
