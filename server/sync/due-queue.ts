/**
 * Keys by the time they are due, earliest first (the summaries' queue, summaries.ts).
 *
 * A binary heap beside a map that holds each key's current time. Moving a key later touches only
 * the map: its heap entry is brought up to date when it reaches the top. So a program edited
 * every second (its summary postponed at each edit) costs a map write per edit, and a tick finds
 * what is due without walking every waiting program — at 5,000 programs that walk, four times a
 * second, was 7 % of what the relay allocated (issue 18).
 */
interface Entry<K> {
	key: K;
	at: number;
}

export class DueQueue<K> {
	private readonly times = new Map<K, number>();
	private readonly heap: Entry<K>[] = [];

	get size(): number {
		return this.times.size;
	}

	has(key: K): boolean {
		return this.times.has(key);
	}

	/** Sets when `key` is due (later or earlier than before). */
	set(key: K, at: number): void {
		const before = this.times.get(key);
		this.times.set(key, at);
		// Later: the entry there is moved when it surfaces. Earlier or new: an entry of its own
		// (the later one is dropped when it surfaces, its time no longer the key's).
		if (before === undefined || at < before) this.push({ key, at });
	}

	delete(key: K): boolean {
		return this.times.delete(key);
	}

	/** Removes and returns the earliest key due at or before `until`; undefined when none is. */
	pop(until: number): K | undefined {
		const top = this.upToDateTop();
		if (!top || top.at > until) return undefined;
		this.removeTop();
		this.times.delete(top.key);
		return top.key;
	}

	/** When the earliest key is due; undefined when the queue is empty. */
	nextAt(): number | undefined {
		return this.upToDateTop()?.at;
	}

	/** The top entry once it holds its key's current time (stale entries dropped or moved). */
	private upToDateTop(): Entry<K> | undefined {
		for (;;) {
			const top = this.heap[0];
			if (!top) return undefined;
			const at = this.times.get(top.key);
			if (at === top.at) return top;
			// Deleted, set earlier (another entry holds it), or moved later: bring it up to date.
			if (at === undefined || at < top.at) this.removeTop();
			else {
				top.at = at;
				this.siftDown(0);
			}
		}
	}

	private push(entry: Entry<K>): void {
		const heap = this.heap;
		heap.push(entry);
		let i = heap.length - 1;
		while (i > 0) {
			const parent = (i - 1) >> 1;
			if (heap[parent]!.at <= entry.at) break;
			heap[i] = heap[parent]!;
			i = parent;
		}
		heap[i] = entry;
	}

	private removeTop(): void {
		const last = this.heap.pop();
		if (last && this.heap.length > 0) {
			this.heap[0] = last;
			this.siftDown(0);
		}
	}

	private siftDown(from: number): void {
		const heap = this.heap;
		const entry = heap[from]!;
		let i = from;
		for (;;) {
			const left = 2 * i + 1;
			if (left >= heap.length) break;
			const right = left + 1;
			const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
			if (heap[child]!.at >= entry.at) break;
			heap[i] = heap[child]!;
			i = child;
		}
		heap[i] = entry;
	}
}
