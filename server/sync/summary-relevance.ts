/**
 * Which committed updates can change a program's summary (issue 18). A summary reads only some
 * of the program's top-level types (SUMMARY_ROOTS: not the discussion, not the attachments, not
 * a type a client made up), and an update that touches none of them leaves it as it was: the
 * relay then does not compute it again. A message in the discussion, or the bench's stock
 * clients typing in a text of their own, cost a summary each before (a whole decode of the
 * program, in the worker pool, against the summaries' CPU budget).
 *
 * Telling it from the update's bytes: an item names its parent only when it has no origin;
 * otherwise it belongs where its origin (else its right origin) belongs, and an item inside a
 * nested type names the item that holds the type (Yjs' Item.getMissing). So each room keeps the
 * ids of its items that are *outside* the summary's types (clock ranges per client, built once
 * from the stored document by the update guard's walk, then grown by each commit), and an
 * update's item is outside when its parent's name is not a summary's, or the id it points to is
 * outside. Anything not shown to be outside counts as inside: an id the index does not hold, a
 * collected struct, a deletion of anything neither outside nor deleted already (the index keeps
 * the document's deletions too). Yjs integrates an item whose origin has
 * not arrived only when it does; a later update could then bring an inside item into the
 * document while itself looking outside, so a room where an item waits for another (or a gap)
 * is never judged again until it unloads: every commit marks it, as before.
 */
import type { Commit } from './hooks.js';
import type { RoomDocument } from './room.js';
import type { LiveRoom } from './rooms.js';
import { scanUpdate, type StructVisitor } from './update-guard.js';

/**
 * A document bigger than this gets no index (every commit marks it): the index is built on the
 * event loop by walking the whole document (~3 ms for a two-year program's 94 KB).
 */
export const MAX_INDEXED_BYTES = 512 * 1024;
/** Passes over a batch's items to follow ids that point forward in it (a merged document). */
const MAX_PASSES = 8;

/** One client's ranges: `n` numbers of `a` in use, as [from, to) pairs. */
interface Runs {
	a: Uint32Array;
	n: number;
}

/**
 * Sorted, disjoint clock ranges per client, as flat [from, to) pairs in a typed array: a
 * two-year program's deletions are ~1,200 ranges, kept for every loaded program (clocks stay
 * below 2^32: update-guard.ts).
 */
export class ClockRanges {
	private readonly byClient = new Map<number, Runs>();

	/** Index of the first pair whose end is after `clock`. */
	private static find(r: Runs, clock: number): number {
		let lo = 0;
		let hi = r.n / 2;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if ((r.a[mid * 2 + 1] as number) <= clock) lo = mid + 1;
			else hi = mid;
		}
		return lo;
	}

	/** The end of the range holding `clock`, or -1. */
	endAt(client: number, clock: number): number {
		const r = this.byClient.get(client);
		if (!r) return -1;
		const i = ClockRanges.find(r, clock) * 2;
		return i < r.n && (r.a[i] as number) <= clock ? (r.a[i + 1] as number) : -1;
	}

	add(client: number, from: number, to: number): void {
		let r = this.byClient.get(client);
		if (!r) this.byClient.set(client, (r = { a: new Uint32Array(4), n: 0 }));
		const { a, n } = r;
		// The usual case: a client's new items come after its earlier ones.
		if (n === 0 || (a[n - 1] as number) < from) {
			ClockRanges.room(r, 2);
			r.a[r.n++] = from;
			r.a[r.n++] = to;
			return;
		}
		// Pairs [i, j) touch or overlap [from, to): replaced by their union.
		const i = ClockRanges.find(r, from - 1) * 2;
		let j = i;
		let lo = from;
		let hi = to;
		while (j < n && (a[j] as number) <= to) {
			lo = Math.min(lo, a[j] as number);
			hi = Math.max(hi, a[j + 1] as number);
			j += 2;
		}
		if (j === i) {
			ClockRanges.room(r, 2);
			r.a.copyWithin(i + 2, i, n);
			r.n += 2;
		} else {
			r.a.copyWithin(i + 2, j, n);
			r.n -= j - i - 2;
		}
		r.a[i] = lo;
		r.a[i + 1] = hi;
	}

	/** Gives back the room the arrays grew beyond what they hold (after a build). */
	trim(): void {
		for (const r of this.byClient.values()) if (r.a.length > r.n) r.a = r.a.slice(0, r.n);
	}

	private static room(r: Runs, more: number): void {
		if (r.n + more <= r.a.length) return;
		const grown = new Uint32Array(Math.max(8, Math.ceil((r.n + more) * 1.5)));
		grown.set(r.a.subarray(0, r.n));
		r.a = grown;
	}
}

/** An update's (or a document's) structs as the walk told them, for `take`. */
class Batch implements StructVisitor {
	constructor(private readonly roots: ReadonlySet<string>) {}

	/** Per item: client, clock, length, then the id it belongs by (-1: by its parent's name). */
	readonly items: number[] = [];
	/** Per item: outside (true), or not shown to be (false). */
	outside: boolean[] = [];
	/** Per delete-set range: client, clock, length. */
	readonly deletes: number[] = [];
	collected = false;
	gap = false;

	readonly item: StructVisitor['item'] = (client, clock, length, parentName, by, at) => {
		this.items.push(client, clock, length, by, at);
		this.outside.push(parentName !== null && !this.roots.has(parentName));
	};
	gc(): void {
		this.collected = true;
	}
	skip(): void {
		this.gap = true;
	}
	deleted(client: number, clock: number, length: number): void {
		this.deletes.push(client, clock, length);
	}
}

/** What the index tells of a room; `unsure` once an item may wait in it for another. */
export class SummaryRelevance {
	private readonly outside = new ClockRanges();
	/**
	 * The document's deletions: deleting again changes nothing, and a phone's sync sends its
	 * whole delete set with every update it uploads (a reconnection: all it ever deleted).
	 */
	private readonly deleted = new ClockRanges();
	private unsure = false;

	/** `roots`: the top-level types the summary reads (summary.ts Summarizer.roots). */
	private constructor(private readonly roots: ReadonlySet<string>) {}

	/**
	 * The index of a stored document (its parts in order), or null when it cannot have one (too
	 * big, or a walk refused it: the room is then always marked). `stateVector`: the room's.
	 */
	static build(
		roots: ReadonlySet<string>,
		parts: readonly Uint8Array[],
		stateVector: ReadonlyMap<number, number>
	): SummaryRelevance | null {
		if (parts.reduce((n, p) => n + p.length, 0) > MAX_INDEXED_BYTES) return null;
		const index = new SummaryRelevance(roots);
		try {
			for (const part of parts) index.recordDeletes(index.take(part, stateVector));
			index.outside.trim();
			index.deleted.trim();
		} catch {
			return null;
		}
		return index;
	}

	/**
	 * Takes in a committed update (already in the room's `stateVector`) and says whether it may
	 * change the summary: true unless every item and deletion in it is outside the summary's types.
	 */
	mayChangeSummary(update: Uint8Array, stateVector: ReadonlyMap<number, number>): boolean {
		if (this.unsure) return true;
		let batch: Batch;
		try {
			batch = this.take(update, stateVector);
		} catch {
			return true;
		}
		const may =
			this.unsure ||
			batch.collected ||
			batch.outside.includes(false) ||
			!this.deletesChangeNothing(batch.deletes);
		this.recordDeletes(batch);
		return may;
	}

	/** Whether every range deleted is outside the summary's types or deleted already. */
	private deletesChangeNothing(d: readonly number[]): boolean {
		for (let i = 0; i < d.length; i += 3) {
			const client = d[i] as number;
			const end = (d[i + 1] as number) + (d[i + 2] as number);
			for (let clock = d[i + 1] as number; clock < end;) {
				const next = Math.max(this.outside.endAt(client, clock), this.deleted.endAt(client, clock));
				if (next < 0) return false;
				clock = next;
			}
		}
		return true;
	}

	private recordDeletes(batch: Batch): void {
		const d = batch.deletes;
		for (let i = 0; i < d.length; i += 3) {
			const from = d[i + 1] as number;
			this.deleted.add(d[i] as number, from, from + (d[i + 2] as number));
		}
	}

	/** Walks `update`, adds its outside items to the index; `unsure` when one may wait. */
	private take(update: Uint8Array, stateVector: ReadonlyMap<number, number>): Batch {
		const batch = new Batch(this.roots);
		scanUpdate(update, batch);
		if (batch.gap) this.unsure = true;
		const it = batch.items;
		const out = batch.outside;
		for (let i = 0; i < it.length && !this.unsure; i += 5) {
			const refClient = it[i + 3] as number;
			// Yjs keeps an item waiting when the document lacks the id it points to, or its own
			// client's earlier clocks: the state vector (Yjs' count stops at a gap) does not reach it.
			if (
				(refClient >= 0 && (it[i + 4] as number) >= (stateVector.get(refClient) ?? 0)) ||
				(it[i + 1] as number) + (it[i + 2] as number) > (stateVector.get(it[i] as number) ?? 0)
			)
				this.unsure = true;
		}
		const add = (i: number) => {
			const clock = it[i + 1] as number;
			this.outside.add(it[i] as number, clock, clock + (it[i + 2] as number));
		};
		// Outside by their parent's name first, then by the id they point to, until a pass finds
		// no more (a document's structs come by client: an id may point to one further on).
		for (let i = 0, k = 0; i < it.length; i += 5, k++) if (out[k]) add(i);
		for (let pass = 0, found = true; found && pass < MAX_PASSES; pass++) {
			found = false;
			for (let i = 0, k = 0; i < it.length; i += 5, k++) {
				const refClient = it[i + 3] as number;
				if (out[k] || refClient < 0 || this.outside.endAt(refClient, it[i + 4] as number) < 0)
					continue;
				out[k] = found = true;
				add(i);
			}
		}
		return batch;
	}
}

/**
 * The index of each loaded program room, for the summaries' hooks: built when the room loads,
 * from its stored document (an empty one's when its first commit comes), then grown by each
 * commit. Not at the first commit: the document then holds the commit, and a deletion in it
 * would look made already (a phone's offline deletion, sent with its whole delete set when it
 * reconnects). A room that absorbed what did not come through the hook (a catch-up with other
 * instances) has its index built anew, and those commits count as changes.
 */
export function createRelevanceTracker(roots: ReadonlySet<string>) {
	const byRoom = new WeakMap<
		LiveRoom,
		{ doc: RoomDocument; mark: number; index: SummaryRelevance | null | 'empty' }
	>();
	const indexOf = (doc: RoomDocument) =>
		doc.bytes === 0
			? ('empty' as const)
			: SummaryRelevance.build(roots, doc.parts(), doc.stateVector());
	return {
		/** A program room loaded: its index, before any commit. */
		loaded(room: LiveRoom): void {
			byRoom.set(room, { doc: room.doc, mark: room.doc.absorbedMark, index: indexOf(room.doc) });
		},
		/** Whether these commits of `room` (already absorbed) may change its summary. */
		mayChange(room: LiveRoom, commits: readonly Commit[]): boolean {
			const doc = room.doc;
			const updates = commits.flatMap((c) => (c.update ? [c.update] : []));
			const kept = byRoom.get(room);
			if (!kept || kept.doc !== doc || kept.mark + updates.length !== doc.absorbedMark) {
				byRoom.set(room, { doc, mark: doc.absorbedMark, index: indexOf(doc) });
				return true;
			}
			kept.mark = doc.absorbedMark;
			if (kept.index === 'empty') kept.index = SummaryRelevance.build(roots, [], new Map());
			const index = kept.index;
			if (!index) return true;
			let may = false;
			// Every update is taken in, even after one that counts: the index must hold them all.
			for (const u of updates) if (index.mayChangeSummary(u, doc.stateVector())) may = true;
			return may;
		}
	};
}
