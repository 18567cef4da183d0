// Documents written before the decisions document (decisions.ts) carry their decisions in the
// co-written document: report status/reviewedAt/reviewedBy/curatorComment, `comments`,
// change petitions and decisions, the curator's completion, meta.status. `importLegacyDecisions`
// copies them once into an empty decisions document (the server does it on the first load of a
// program whose decisions document is empty), after which readers ignore the legacy fields.
import * as Y from 'yjs';
import {
	CHANGE_DECISION,
	PROGRAM_DECISION,
	VERDICT,
	decisionsEmpty,
	decisionsRoot
} from './decisions';
import { isIsoDate } from './dates';
import { Problems, listItems, readCompletion } from './read';
import { CHANGE, COMMENT, META, REPORT, root, type UserOrigin } from './schema';

/** The origin of the import transaction (the server's, not a person's). */
export const LEGACY_IMPORT_ORIGIN = Object.freeze({ kind: 'legacy-decisions-import' as const });

/**
 * Copies the legacy decision fields of `doc` into `decisions` when `decisions` is empty, and
 * marks it imported (so it runs once even for a program without decisions). Returns whether it
 * wrote anything. Pure Yjs: the caller persists the decisions document's update.
 */
export function importLegacyDecisions(
	doc: Y.Doc,
	decisions: Y.Doc,
	at: string,
	origin: UserOrigin | typeof LEGACY_IMPORT_ORIGIN = LEGACY_IMPORT_ORIGIN
): boolean {
	if (!decisionsEmpty(decisions)) return false;
	const r = root(doc);
	const d = decisionsRoot(decisions);
	const p = new Problems();
	decisions.transact(() => {
		for (const { id, map } of listItems(r.reports, p, 'reports')) {
			const status = map.get(REPORT.status);
			if (status !== 'accepted' && status !== 'returned') continue;
			const v = new Y.Map<unknown>();
			v.set(VERDICT.status, status);
			const at = map.get(REPORT.reviewedAt);
			if (isIsoDate(at)) v.set(VERDICT.reviewedAt, at);
			const by = map.get(REPORT.reviewedBy);
			if (typeof by === 'string') v.set(VERDICT.reviewedBy, by);
			const sub = map.get(REPORT.submission);
			v.set(VERDICT.submission, typeof sub === 'string' ? sub : null);
			const c = map.get(REPORT.curatorComment);
			v.set(VERDICT.curatorComment, new Y.Text(c instanceof Y.Text ? c.toString() : ''));
			d.reports.set(id, v);
		}
		for (const { map } of listItems(r.comments, p, 'comments')) {
			// A copy of each comment item: same id and keys, text as a new Y.Text.
			const entries: Array<[string, unknown]> = [];
			for (const [k, v] of map.entries()) if (!(v instanceof Y.AbstractType)) entries.push([k, v]);
			const t = map.get(COMMENT.text);
			entries.push([COMMENT.text, new Y.Text(t instanceof Y.Text ? t.toString() : '')]);
			d.comments.push([new Y.Map<unknown>(entries)]);
		}
		for (const { id, map } of listItems(r.changes, p, 'changeRequests')) {
			const rec: Record<string, unknown> = {};
			const pb = map.get(CHANGE.petitionedBy);
			if (typeof pb === 'string') rec[CHANGE_DECISION.petitionedBy] = pb;
			const st = map.get(CHANGE.status);
			if (st === 'approved' || st === 'rejected') {
				rec[CHANGE_DECISION.status] = st;
				const db = map.get(CHANGE.decidedBy);
				if (typeof db === 'string') rec[CHANGE_DECISION.decidedBy] = db;
				const da = map.get(CHANGE.decidedAt);
				if (isIsoDate(da)) rec[CHANGE_DECISION.decidedAt] = da;
				const m = map.get(CHANGE.months);
				rec[CHANGE_DECISION.months] = typeof m === 'number' ? m : 0;
			}
			if (Object.keys(rec).length > 0) d.changes.set(id, rec);
		}
		const completion = readCompletion(r, p);
		if (
			completion &&
			(completion.initiatorRole === 'curator' || completion.initiatorRole === 'head')
		)
			d.program.set(PROGRAM_DECISION.completion, { ...completion });
		const status = r.meta.get(META.status);
		if (status === 'active' || status === 'completed')
			d.program.set(PROGRAM_DECISION.approval, { by: null, date: null, legacy: true });
		d.program.set(PROGRAM_DECISION.imported, at);
	}, origin);
	return true;
}
