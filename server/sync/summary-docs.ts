/**
 * Decoded documents kept for summaries (issue 18). The relay holds programs as update bytes; a
 * summary needs a Y.Doc, and decoding a two-year program (~94 KB) whole was most of a summary's
 * cost. Here the Y.Doc a summary decoded is kept, and the next summary of the same program
 * applies only the updates absorbed since (`RoomDocument.absorbedSince`): a few hundred bytes
 * instead of the whole program.
 *
 * And when those updates changed nothing the previous read looked at, the read is not run
 * again: each read records the top-level types it opened (`doc.get*`), each applied update the
 * top-level types it changed, and the previous result is returned when none of the first were
 * among the second and the caller's other inputs (`key`: the summary's day, the decisions) are
 * the same. A reader must therefore read the document only through `doc.get*` and what it
 * returns — as the program's readers do.
 *
 * Yjs documents converge whatever the order and grouping of the updates applied, and summaries
 * only read, so a document brought up to date equals one decoded anew (summary-docs.test.ts
 * checks the summaries over random edit sequences). When the room's tail was merged past what a
 * kept document holds (the updates can no longer be told apart), it gets the merged base's
 * structs beyond its state vector instead (`missingParts`); it is decoded anew when the room was
 * reloaded (another RoomDocument), or after a reader threw.
 *
 * Memory: decoded documents are charged an estimate (`DECODED_BYTES_PER_BYTE` × the update
 * bytes) against `budgetBytes`, and a room's document is dropped when the room unloads. When the
 * budget is full, a document summarized in the last `staleMs` is never given up for another:
 * summaries visit the changing programs in turn, and least-recently-used eviction under such a
 * cycle would throw away every document just before its next use (no summary would find one).
 * So the documents kept are those of programs that keep changing, as many as the budget holds,
 * and the others decode anew each time. 0 disables keeping (every summary decodes, as before).
 *
 * A document is kept from its program's second summary within `staleMs` on, never on the
 * first: a program summarized once (an upload, a phone that synced after days away) or only
 * once in a long while gains nothing from a kept document, which would hold the budget's room
 * and the event loop's heap (V8 marks it at every full collection) until it went stale
 * (bench:relay 1k-real, 2026-11-27: 33 documents decoded on the loop and kept, 1 read again).
 * `wouldKeep` says no for such a first summary, so it runs in the worker pool
 * (`summarizedElsewhere` then counts it as the program's previous summary).
 */
import * as Y from 'yjs';
import { transientDoc } from './transient-doc.js';
import type { RoomDocument } from './room.js';

/**
 * JS heap of a decoded program per byte of its update, rounded up: a two-year program (93,990
 * bytes) held 1.54 MB of heap decoded (16.4 per byte; docs/benchmarks.md "Incremental summaries"),
 * 1.63 MB with the program core's ReadCache filled by its summary (17.3 per byte).
 */
export const DECODED_BYTES_PER_BYTE = 20;

/** A kept document not read for this long may give way to another when the budget is full. */
export const KEPT_DOCUMENT_STALE_MS = 10 * 60_000;

/** The inputs of a read besides the document; compared with ===, byte arrays by their bytes. */
export type ReadKey = readonly unknown[];

interface Memo {
	key: ReadKey;
	/** Top-level types the read opened. */
	opened: ReadonlySet<string>;
	value: unknown;
}

interface Entry {
	/** The room's document the Y.Doc was decoded from (a reload makes another). */
	source: RoomDocument;
	/** `source.absorbedMark` the Y.Doc reflects. */
	mark: number;
	doc: Y.Doc;
	/** Top-level types changed since the last read. */
	changed: Set<string>;
	memo: Memo | null;
	/** Estimated heap bytes (charged against the budget). */
	cost: number;
	/** When it was last read (ms, the clock given). */
	usedAt: number;
}

export interface SummaryDocs {
	/**
	 * Runs `read` on the decoded document of `source` as it is now (the kept one brought up to
	 * date, or one decoded anew), or returns its previous result when nothing `read` opened
	 * changed since and `key(doc)` equals the previous key (null: always run). `read` must not
	 * change the document.
	 */
	read<T>(
		id: string,
		source: RoomDocument,
		read: (doc: Y.Doc) => T,
		key?: (doc: Y.Doc) => ReadKey | null
	): T;
	/**
	 * Whether a read of `source` now would find its document kept, or keep the one it decodes
	 * (there is room, or documents gone stale would give way). When not, the caller may summarize
	 * elsewhere (summaries.ts: the worker pool) instead of decoding a document only to drop it;
	 * counted as `declined`.
	 */
	wouldKeep(id: string, source: RoomDocument): boolean;
	/**
	 * A summary of `id` was computed without `read` (the worker pool): it counts as the
	 * program's previous summary, so the next one within `staleMs` may keep its document.
	 */
	summarizedElsewhere(id: string): void;
	/** Forgets a room's document (the room unloads). */
	drop(id: string): void;
	/**
	 * Documents kept and their estimated heap bytes; so far: reads that decoded the whole
	 * document, reads served by a kept one, how many of those applied new updates, and how many
	 * returned the previous result; how many times `wouldKeep` said no, and how many documents
	 * were not kept because their program had no summary in the last `staleMs` (`firstReads`).
	 */
	stats(): {
		documents: number;
		bytes: number;
		decodes: number;
		reuses: number;
		updates: number;
		unchanged: number;
		declined: number;
		firstReads: number;
	};
}

export interface SummaryDocsOptions {
	/** Estimated heap the kept documents may take, bytes. */
	budgetBytes: number;
	/**
	 * A document not read for this long may give way to another when the budget is full; a
	 * program's document is kept only when its previous summary is more recent than this.
	 */
	staleMs: number;
	now(): number;
}

function sameKey(a: ReadKey, b: ReadKey): boolean {
	if (a.length !== b.length) return false;
	return a.every((x, i) => {
		const y = b[i];
		if (x === y) return true;
		if (!(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== y.length)
			return false;
		for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
		return true;
	});
}

type AnyType = Y.Transaction['changed'] extends Map<infer T, unknown> ? T : never;

/** The name of the top-level type `type` belongs to. */
function topLevelName(doc: Y.Doc, type: AnyType): string | null {
	let t = type;
	while (t._item) t = t._item.parent as AnyType;
	for (const [name, value] of doc.share) if (value === t) return name;
	return null;
}

/** Runs `read` on `doc`, telling which top-level types it opened. */
export function readOpening<T>(
	doc: Y.Doc,
	read: (doc: Y.Doc) => T
): { value: T; opened: Set<string> } {
	const opened = new Set<string>();
	const get = doc.get;
	// getMap, getArray, getText, getXml* all open a top-level type through `get`.
	doc.get = function (this: Y.Doc, ...args: Parameters<Y.Doc['get']>) {
		opened.add(args[0] ?? '');
		return get.apply(this, args);
	} as Y.Doc['get'];
	try {
		return { value: read(doc), opened };
	} finally {
		// The prototype's `get` again.
		delete (doc as { get?: unknown }).get;
	}
}

export function createSummaryDocs({ budgetBytes, staleMs, now }: SummaryDocsOptions): SummaryDocs {
	/** In least recently used order (a read moves its entry last). */
	const entries = new Map<string, Entry>();
	let bytes = 0;
	let decodes = 0;
	let reuses = 0;
	let updates = 0;
	let unchanged = 0;
	let declined = 0;
	let firstReads = 0;
	/** When each program's latest summary was computed (here or elsewhere). */
	const summarizedAt = new Map<string, number>();

	/** Whether a document of `id` summarized at `t` may be kept: its previous summary is recent. */
	function secondWithinStale(id: string, t: number): boolean {
		const previous = summarizedAt.get(id);
		return previous !== undefined && t - previous < staleMs;
	}

	function forget(id: string) {
		const e = entries.get(id);
		if (!e) return;
		entries.delete(id);
		bytes -= e.cost;
		e.doc.destroy();
	}

	/** The kept entry brought up to date (taken out of the map), or null. */
	function upToDate(id: string, source: RoomDocument): Entry | null {
		const e = entries.get(id);
		if (!e) return null;
		if (e.source !== source) {
			forget(id);
			return null;
		}
		const since = source.absorbedSince(e.mark) ?? missingParts(source, e.doc);
		entries.delete(id);
		bytes -= e.cost;
		reuses++;
		if (since.length > 0) {
			try {
				// One transaction: the updates are integrated once, as if merged.
				e.doc.transact(() => {
					for (const u of since) Y.applyUpdate(e.doc, u);
				});
			} catch (error) {
				e.doc.destroy();
				throw error;
			}
			updates++;
		}
		return e;
	}

	/**
	 * What `doc` lacks of the room's document when the updates since its mark were merged into
	 * the base: the base's structs beyond the document's state vector (with the base's delete
	 * set), then the tail. Structs it has already are skipped by Yjs.
	 */
	function missingParts(source: RoomDocument, doc: Y.Doc): Uint8Array[] {
		const [base, ...tail] = source.parts();
		return base ? [Y.diffUpdate(base, Y.encodeStateVector(doc)), ...tail] : tail;
	}

	function decode(source: RoomDocument): Entry {
		const doc = transientDoc();
		const e: Entry = {
			source,
			mark: 0,
			doc,
			changed: new Set(),
			memo: null,
			cost: 0,
			usedAt: 0
		};
		doc.on('afterTransaction', (tr: Y.Transaction) => {
			for (const type of tr.changed.keys()) {
				const name = topLevelName(doc, type);
				if (name !== null) e.changed.add(name);
			}
		});
		doc.transact(() => {
			for (const part of source.parts()) Y.applyUpdate(doc, part);
		});
		decodes++;
		return e;
	}

	/** Keeps `e` when there is room; `admitted`: its program had a recent summary before this one. */
	function keep(id: string, e: Entry, admitted: boolean) {
		if (!admitted) {
			firstReads++;
			e.doc.destroy();
			return;
		}
		e.cost = e.source.bytes * DECODED_BYTES_PER_BYTE;
		e.usedAt = now();
		// Least recently read first; only stale ones give way.
		for (const [oldest, old] of entries) {
			if (bytes + e.cost <= budgetBytes || e.usedAt - old.usedAt < staleMs) break;
			forget(oldest);
		}
		if (bytes + e.cost > budgetBytes) {
			e.doc.destroy();
			return;
		}
		entries.set(id, e);
		bytes += e.cost;
	}

	/** As `keep` will decide for a document of `source` read now (after its old entry is gone). */
	function wouldKeep(id: string, source: RoomDocument): boolean {
		const kept = entries.get(id);
		if (kept?.source === source) return true;
		const t = now();
		if (!secondWithinStale(id, t)) {
			declined++;
			return false;
		}
		const cost = source.bytes * DECODED_BYTES_PER_BYTE;
		let free = budgetBytes - bytes + (kept?.cost ?? 0);
		for (const [other, old] of entries) {
			if (free >= cost) break;
			if (other === id) continue;
			if (t - old.usedAt < staleMs) break;
			free += old.cost;
		}
		if (free >= cost) return true;
		declined++;
		return false;
	}

	return {
		wouldKeep,
		read(id, source, read, key) {
			let e: Entry | null = null;
			let reused: Entry | null = null;
			let result: ReturnType<typeof read>;
			const t = now();
			const admitted = secondWithinStale(id, t);
			summarizedAt.set(id, t);
			try {
				reused = upToDate(id, source);
				const kept = reused ?? decode(source);
				e = kept;
				kept.mark = source.absorbedMark;
				const k = key ? key(kept.doc) : null;
				const memo = kept.memo;
				if (
					memo &&
					k &&
					sameKey(memo.key, k) &&
					![...memo.opened].some((n) => kept.changed.has(n))
				) {
					unchanged++;
					// The same reader (the caller's key says so) on unchanged inputs: its own result.
					result = memo.value as ReturnType<typeof read>;
				} else {
					const { value, opened } = readOpening(kept.doc, read);
					result = value;
					kept.memo = k ? { key: k, opened, value } : null;
				}
				kept.changed.clear();
			} catch (error) {
				// An update that did not apply, or a reader that threw: the document is not kept.
				e?.doc.destroy();
				throw error;
			}
			// A kept document brought up to date stays kept, whenever its previous summary was.
			keep(id, e, admitted || reused !== null);
			return result;
		},
		summarizedElsewhere(id) {
			summarizedAt.set(id, now());
		},
		drop(id) {
			forget(id);
			summarizedAt.delete(id);
		},
		stats: () => ({
			documents: entries.size,
			bytes,
			decodes,
			reuses,
			updates,
			unchanged,
			declined,
			firstReads
		})
	};
}
