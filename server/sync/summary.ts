import type * as Y from 'yjs';
import { summarize } from '../../src/lib/shared/program/index.js';

/**
 * Computes the curator-facing summary of a program document. The relay calls it off the hot
 * path (debounced after changes settle) on a transient Y.Doc built from the merged update, and
 * stores the result in `program_summaries` next to the per-device sync facts.
 */
export type Summarizer = (doc: Y.Doc, now: Date, decisions?: Y.Doc | null) => unknown;

/** The program core's `summarize` (src/lib/shared/program/summary.ts). */
export const programSummary: Summarizer = (doc, now, decisions) =>
	summarize(doc, now, decisions ?? null);
