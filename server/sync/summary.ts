import type * as Y from 'yjs';
import {
	readCacheOf,
	summarize,
	summaryDay,
	SUMMARY_ROOTS
} from '../../src/lib/shared/program/index.js';

/**
 * Computes the curator-facing summary of a program document. The relay calls it off the hot
 * path (debounced after changes settle) on a Y.Doc decoded from the stored updates (or kept
 * from the previous summary: summary-docs.ts), and stores the result in `program_summaries`
 * next to the per-device sync facts. It must only read the document, through `doc.get*`.
 */
export type Summarizer = ((
	doc: Y.Doc,
	now: Date,
	decisions?: Y.Doc | null,
	/**
	 * The document is kept and summarized again after more updates (summary-docs.ts): the
	 * summarizer may keep what it read on it (the program core's ReadCache, issue 18).
	 */
	kept?: boolean
) => unknown) & {
	/**
	 * When given, the summary depends on `now` through this day only: a summary computed earlier
	 * the same day from the same inputs is still right (summary-docs.ts reuses it).
	 */
	dayOf?: (doc: Y.Doc, now: Date) => string;
	/**
	 * When given, the summary reads no top-level type but these: an update that changes none of
	 * them is not summarized again (summary-relevance.ts). Absent: every change is.
	 */
	roots?: ReadonlySet<string>;
};

/** The program core's `summarize` (src/lib/shared/program/summary.ts). */
export const programSummary: Summarizer = Object.assign(
	(doc: Y.Doc, now: Date, decisions?: Y.Doc | null, kept?: boolean) =>
		summarize(doc, now, decisions ?? null, kept ? readCacheOf(doc) : null),
	{ dayOf: summaryDay, roots: SUMMARY_ROOTS }
);
