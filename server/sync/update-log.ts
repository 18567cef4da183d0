/**
 * The buffer of every empty log, shared: a buffer of its own, even empty, is a typed array and an
 * ArrayBuffer (~0.2 KB of heap) for each idle program (issue 18). Never written: the first push
 * copies into a buffer of the log's own.
 */
const NO_BYTES = new Uint8Array(0);

/**
 * A program's unmerged tail of updates, copied into one growing buffer (issue 18: the relay's
 * memory and its collections). Held as they arrived, each update was a view of the message it
 * came in — its own ArrayBuffer, backing store and objects, ~535 bytes of RSS for a 40-byte
 * update, and a view of a big socket read keeps the whole read. 1,000 programs edited at 1/s hold
 * up to 383,000 of them between merges (room.ts): ~200 MB, and the collector marks and sweeps
 * them all, in the 300 s bench run 100–150 ms of the event loop at a time. Here a tail costs its
 * bytes and one offset per update; the views are made when a reader asks (merges, sync step 2,
 * summaries), and stay valid: written bytes are never changed, a grown or trimmed log copies into
 * a new buffer.
 */
export class UpdateLog {
	private buffer = NO_BYTES;
	/** End offset of each update in `buffer`. */
	private ends: number[] = [];

	get length(): number {
		return this.ends.length;
	}

	/** Bytes of the updates held. */
	get byteLength(): number {
		return this.ends[this.ends.length - 1] ?? 0;
	}

	push(update: Uint8Array): void {
		const start = this.byteLength;
		const end = start + update.length;
		if (end > this.buffer.length) {
			// By half again: a big program's tail (megabytes between merges) leaves at most a third
			// of its buffer unused.
			const grown = new Uint8Array(Math.max(end, Math.ceil(this.buffer.length * 1.5), 256));
			grown.set(this.buffer.subarray(0, start));
			this.buffer = grown;
		}
		this.buffer.set(update, start);
		this.ends.push(end);
	}

	/** The updates from the `from`-th on, in order (views, no copies). */
	slice(from = 0): Uint8Array[] {
		const views: Uint8Array[] = [];
		for (let i = Math.max(0, from); i < this.ends.length; i++)
			views.push(this.buffer.subarray(this.ends[i - 1] ?? 0, this.ends[i]));
		return views;
	}

	/** Drops the first `count` updates (merged into the base). */
	dropFirst(count: number): void {
		if (count >= this.ends.length) {
			this.clear();
			return;
		}
		const cut = this.ends[count - 1] ?? 0;
		if (cut === 0) return;
		this.buffer = this.buffer.slice(cut, this.byteLength);
		this.ends = this.ends.slice(count).map((end) => end - cut);
	}

	clear(): void {
		this.buffer = NO_BYTES;
		this.ends = [];
	}
}
