import * as Y from 'yjs';
import {
	PROGRAM_DECISION_STARTED,
	createProgram,
	decisionsDocumentId,
	decisionsRoot,
	loadTemplate,
	summarize,
	TEMPLATES,
	type ProgramSummary,
	type ProgramTemplate
} from '../../src/lib/shared/program/index.js';
import type { DocumentStore } from '../storage/document-store.js';
import { writeSummaries } from '../sync/summaries.js';

export interface InitialDocumentInput {
	programId: string;
	templateId: string;
	/** A ready plan instead of a shipped template: a practice from the registry of cases. */
	template?: ProgramTemplate;
	title?: string;
	organizationName: string;
	/** The organization's IANA zone, written into the document (meta.timeZone); default Europe/Moscow. */
	timeZone?: string;
	/** YYYY-MM-DD */
	startDate: string;
	/** Term in months (checked against the template's regulation); default: the template's. */
	durationMonths?: number;
	/** Form of mentoring; default: the template's. */
	form?: string;
	/** The curator who creates the program (written into the document as its creator). */
	creatorId: string;
	participants: Array<{ role: 'mentor' | 'mentee' | 'curator'; name: string; userId: string }>;
	/**
	 * Server-side only (the demo, server/cli/identity/demo-history.ts): what the program has lived
	 * through, written into the new document and its decisions document before they are stored.
	 */
	history?: (doc: Y.Doc, decisions: Y.Doc) => void;
}

export const templateIds = (): string[] => TEMPLATES.map((t) => t.id);
/** Templates no longer offered for new programs (the Tomsk region roadmaps: rollout plans now). */
export const retiredTemplateIds = (): string[] =>
	TEMPLATES.filter((t) => t.retired).map((t) => t.id);

/** Builds the first Yjs update of a program from a template (src/lib/shared/program), plus its summary. */
export async function buildInitialDocument(
	input: InitialDocumentInput,
	now: Date = new Date()
): Promise<{ update: Uint8Array; summary: ProgramSummary; decisions?: Uint8Array }> {
	const template = input.template ?? (await loadTemplate(input.templateId));
	const doc = new Y.Doc();
	const decisions = new Y.Doc();
	try {
		const opts: Parameters<typeof createProgram>[3] = {
			programId: input.programId,
			organization: input.organizationName,
			startDate: input.startDate,
			participants: input.participants,
			clock: () => now
		};
		if (input.title !== undefined) opts.title = input.title;
		if (input.timeZone !== undefined) opts.timeZone = input.timeZone;
		if (input.durationMonths !== undefined) opts.durationMonths = input.durationMonths;
		if (input.form !== undefined) opts.form = input.form as NonNullable<typeof opts.form>;
		createProgram(doc, { userId: input.creatorId, role: 'curator' }, template, opts);
		if (!input.history) return { update: Y.encodeStateAsUpdate(doc), summary: summarize(doc, now) };
		input.history(doc, decisions);
		return {
			update: Y.encodeStateAsUpdate(doc),
			summary: summarize(doc, now, decisions),
			decisions: Y.encodeStateAsUpdate(decisions)
		};
	} finally {
		doc.destroy();
		decisions.destroy();
	}
}

/** The first update of a new program's decisions document: only the "started" mark. */
function startedDecisions(now: number): Uint8Array {
	const doc = new Y.Doc();
	try {
		decisionsRoot(doc).program.set(PROGRAM_DECISION_STARTED, new Date(now).toISOString());
		return Y.encodeStateAsUpdate(doc);
	} finally {
		doc.destroy();
	}
}

/**
 * Registers a program in the relay's storage and stores its initial document and summary.
 * The program id is new, so no relay room can hold it yet: writing to the store directly is safe.
 */
export async function storeInitialDocument(
	documents: Pick<DocumentStore, 'createProgram' | 'append' | 'saveSummary'>,
	organizationId: string | null,
	programId: string,
	built: { update: Uint8Array; summary: ProgramSummary; decisions?: Uint8Array },
	now: number = Date.now()
): Promise<void> {
	await documents.createProgram(programId, organizationId);
	// Its decisions document (server/sync/decisions.ts) is born started: nothing in the new
	// co-written document is ever imported as a legacy decision.
	const decisionsId = decisionsDocumentId(programId);
	await documents.createProgram(decisionsId, null);
	const [seq] = await documents.append([
		{ programId, data: built.update, receivedAt: now },
		{ programId: decisionsId, data: startedDecisions(now), receivedAt: now },
		...(built.decisions ? [{ programId: decisionsId, data: built.decisions, receivedAt: now }] : [])
	]);
	// Through the one writer of summaries (server/sync/summaries.ts).
	await writeSummaries(documents, [
		{
			programId,
			summary: built.summary,
			docBytes: built.update.byteLength,
			throughSeq: seq ?? 0,
			computedAt: now
		}
	]);
}
