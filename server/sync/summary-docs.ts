/**
 * Decoded documents kept for summaries (issue 18). The relay holds programs as update bytes; a
 * summary needs a Y.Doc, and decoding a two-year program (~94 KB) whole cost ~10 ms of the
 * event loop per summary — the summaries' whole cost. Here the Y.Doc a summary decoded is kept,
 * and the next summary of the same program applies only the updates absorbed since
 * (`RoomDocument.absorbedSince`): a few hundred bytes instead of the whole program.
 *
 * Yjs documents converge whatever the order and grouping of the updates applied, and summaries
 * only read, so a document brought up to date equals one decoded anew (summary-docs.test.ts
 * checks the summaries over random edit sequences). A document is decoded anew when the room's
 * tail was merged past what it holds (the updates can no longer be told apart), when the room
 * was reloaded (another RoomDocument), or after a reader threw.
 *
 * Memory: decoded documents are charged an estimate (`DECODED_BYTES_PER_BYTE` × the update
 * bytes) against `budgetBytes`, and a room's document is dropped when the room unloads. When the
 * budget is full, a document summarized in the last `staleMs` is never given up for another:
 * summaries visit the changing programs in turn, and least-recently-used eviction under such a
 * cycle would throw away every document just before its next use (no summary would find one).
 * So the documents kept are those of programs that keep changing, as many as the budget holds,
 * and the others decode anew each time. 0 disables keeping (every summary decodes, as before).
 */
import * as Y from 'yjs';
import { transientDoc } from './transient-doc.js';
import type { RoomDocument } from './room.js';

/**
 * JS heap of a decoded program per byte of its update, rounded up: a two-year program (93,990
 * bytes) held 1.54 MB of heap decoded (16.4 per byte; docs/benchmarks.md "Incremental summaries").
 */
export const DECODED_BYTES_PER_BYTE = 20;

interface Entry {
	/** The room's document the Y.Doc was decoded from (a reload makes another). */
	source: RoomDocument;
	/** `source.absorbedMark` the Y.Doc reflects. */
	mark: number;
	doc: Y.Doc;
	/** Estimated heap bytes (charged against the budget). */
	cost: number;
	/** When it was last read (ms, the clock given). */
	usedAt: number;
}

export interface SummaryDocs {
	/**
	 * Runs `read` on the decoded document of `source` as it is now: the kept one brought up to
	 * date, or one decoded anew. `read` must not change the document.
	 */
	read<T>(id: string, source: RoomDocument, read: (doc: Y.Doc) => T): T;
	/** Forgets a room's document (the room unloads). */
	drop(id: string): void;
	/**
	 * Documents kept and their estimated heap bytes; so far: reads that decoded the whole
	 * document, reads served by a kept one, and how many of those applied new updates.
	 */
	stats(): { documents: number; bytes: number; decodes: number; reuses: number; updates: number };
}

export interface SummaryDocsOptions {
	/** Estimated heap the kept documents may take, bytes. */
	budgetBytes: number;
	/** A document not read for this long may give way to another when the budget is full. */
	staleMs: number;
	now(): number;
}

export function createSummaryDocs({ budgetBytes, staleMs, now }: SummaryDocsOptions): SummaryDocs {
	/** In least recently used order (a read moves its entry last). */
	const entries = new Map<string, Entry>();
	let bytes = 0;
	let decodes = 0;
	let reuses = 0;
	let updates = 0;

	function forget(id: string) {
		const e = entries.get(id);
		if (!e) return;
		entries.delete(id);
		bytes -= e.cost;
		e.doc.destroy();
	}

	/** The kept document brought up to date, or null when it must be decoded anew. */
	function upToDate(id: string, source: RoomDocument): Y.Doc | null {
		const e = entries.get(id);
		if (!e) return null;
		const since = e.source === source ? e.source.absorbedSince(e.mark) : null;
		if (!since) {
			forget(id);
			return null;
		}
		entries.delete(id);
		bytes -= e.cost;
		reuses++;
		if (since.length > 0) {
			// One transaction: the updates are integrated once, as if merged.
			e.doc.transact(() => {
				for (const u of since) Y.applyUpdate(e.doc, u);
			});
			updates++;
		}
		return e.doc;
	}

	function decode(source: RoomDocument): Y.Doc {
		const doc = transientDoc();
		doc.transact(() => {
			for (const part of source.parts()) Y.applyUpdate(doc, part);
		});
		decodes++;
		return doc;
	}

	function keep(id: string, source: RoomDocument, mark: number, doc: Y.Doc) {
		const cost = source.bytes * DECODED_BYTES_PER_BYTE;
		const t = now();
		// Least recently read first; only stale ones give way.
		for (const [oldest, e] of entries) {
			if (bytes + cost <= budgetBytes || t - e.usedAt < staleMs) break;
			forget(oldest);
		}
		if (bytes + cost > budgetBytes) {
			doc.destroy();
			return;
		}
		entries.set(id, { source, mark, doc, cost, usedAt: t });
		bytes += cost;
	}

	return {
		read(id, source, read) {
			const doc = upToDate(id, source) ?? decode(source);
			const mark = source.absorbedMark;
			let result: ReturnType<typeof read>;
			try {
				result = read(doc);
			} catch (error) {
				// Whatever the reader did to it, the document is not kept.
				doc.destroy();
				throw error;
			}
			keep(id, source, mark, doc);
			return result;
		},
		drop: forget,
		stats: () => ({ documents: entries.size, bytes, decodes, reuses, updates })
	};
}
