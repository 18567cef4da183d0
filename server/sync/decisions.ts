/**
 * The decisions document of a program (src/lib/shared/program/decisions.ts), as the relay serves
 * it: synced at /sync/<programId>/decisions (document id `<programId>/decisions` in storage),
 * written by the server only.
 *
 * - Every client connection to it is read-only, whatever the grant of the program says
 *   (participants and curators alike): `decisionsAuthorizer`.
 * - Defence in depth: `decisionsHooks.beforeCommit` refuses any client update to it (a read-only
 *   session's updates are already dropped before that).
 * - The curator's decisions arrive over HTTP (server/programs/curator-actions.ts) and are
 *   written by `applyDecisionEdit`, a server edit of this document: stored, acknowledged,
 *   broadcast to open phones, and the program's summary recomputed.
 * - Old programs: on the first use of an empty decisions document, the legacy decision fields of
 *   the co-written document are copied into it once (`importLegacyDecisions`).
 */
import * as Y from 'yjs';
import { transientDoc } from './transient-doc.js';
import {
	DECISIONS_SUFFIX,
	decisionsDocumentId,
	decisionsEmpty,
	importLegacyDecisions
} from '../../src/lib/shared/program/index.js';
import { isDenied, type Authorizer } from '../auth/authorize.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { CommitVerdict, RelayHooks } from './hooks.js';
import type { ServerEditAuthor, ServerEditResult } from './server-edits.js';

export { decisionsDocumentId };

/**
 * A program whose decisions document was never started: its decisions are still the legacy
 * fields of the co-written document, which a reader imports into a transient decisions document
 * (`importLegacyDecisions`) from the program it decodes anyway.
 */
export const LEGACY_DECISIONS = 'legacy';

const PROGRAM_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Whether a document id is a decisions document (`<programId>/decisions`). */
export function isDecisionsId(id: string): boolean {
	return id.endsWith(DECISIONS_SUFFIX) && PROGRAM_ID.test(id.slice(0, -DECISIONS_SUFFIX.length));
}

/** The program of a decisions document id. */
export function programOfDecisions(id: string): string {
	return id.slice(0, -DECISIONS_SUFFIX.length);
}

/** A document id the relay serves: a program, or a program's decisions document. */
export function isDocumentId(id: string): boolean {
	return PROGRAM_ID.test(id) || isDecisionsId(id);
}

/**
 * Authorizes /sync/<programId>/decisions as the program itself, then forces read-only; runs the
 * legacy import (`prepare`) before the connection opens so the phone's first sync carries it.
 */
export function decisionsAuthorizer(
	authorize: Authorizer,
	prepare: (programId: string) => Promise<void>
): Authorizer {
	return async (request, id) => {
		if (!isDecisionsId(id)) return authorize(request, id);
		const programId = programOfDecisions(id);
		const result = await authorize(request, programId);
		if (isDenied(result)) return result;
		await prepare(programId);
		return { ...result, access: 'ro' };
	};
}

const REFUSED: CommitVerdict = {
	accept: false,
	reason: 'decisions are written by the server only'
};

/** Refuses every client update to a decisions document (server edits have no session). */
export const decisionsHooks: RelayHooks = {
	beforeCommit(room, proposed) {
		if (proposed.session !== null && isDecisionsId(room.id)) return REFUSED;
		return { accept: true };
	}
};

type ServerEdit = (
	id: string,
	author: ServerEditAuthor,
	edit: (doc: Y.Doc, author: ServerEditAuthor) => void
) => Promise<ServerEditResult>;

export type DecisionEdit = (doc: Y.Doc, decisions: Y.Doc, author: ServerEditAuthor) => void;

export interface Decisions {
	/**
	 * Runs `edit` with a snapshot of the co-written document (changes to it are discarded) and
	 * the decisions document (changes stored and broadcast as a server edit).
	 */
	applyDecisionEdit(
		programId: string,
		author: ServerEditAuthor,
		edit: DecisionEdit
	): Promise<ServerEditResult>;
	/** The decisions document's bytes (legacy import done first). */
	getDecisions(programId: string): Promise<Uint8Array>;
	/**
	 * The decisions for a reader that must not write (summaries): the stored decisions document,
	 * or — for a program not migrated yet — LEGACY_DECISIONS: the reader imports them in memory
	 * from the program document it decodes anyway (computeSummary), nothing is stored.
	 */
	readDecisions(programId: string): Promise<Uint8Array | typeof LEGACY_DECISIONS>;
	/** Registers the decisions document in storage and imports legacy decisions once. */
	prepare(programId: string): Promise<void>;
}

const SERVER_AUTHOR: ServerEditAuthor = { userId: 'server-decisions-import', role: 'server' };

export function createDecisions(options: {
	store: Pick<DocumentStore, 'programExists' | 'createProgram'>;
	applyServerEdit: ServerEdit;
	getDocument(id: string): Promise<Uint8Array>;
	now(): number;
}): Decisions {
	const prepared = new Set<string>();
	const preparing = new Map<string, Promise<void>>();

	async function prepareOnce(programId: string): Promise<void> {
		const id = decisionsDocumentId(programId);
		// The decisions document is a storage document of its own (updates reference programs(id)).
		if (!(await options.store.programExists(id))) await options.store.createProgram(id, null);
		const [co, dec] = await Promise.all([options.getDocument(programId), options.getDocument(id)]);
		const decisions = transientDoc();
		try {
			Y.applyUpdate(decisions, dec);
			if (!decisionsEmpty(decisions)) return;
		} finally {
			decisions.destroy();
		}
		await options.applyServerEdit(id, SERVER_AUTHOR, (ddoc) => {
			if (!decisionsEmpty(ddoc)) return;
			const doc = transientDoc();
			try {
				Y.applyUpdate(doc, co);
				importLegacyDecisions(doc, ddoc, new Date(options.now()).toISOString());
			} finally {
				doc.destroy();
			}
		});
	}

	async function prepare(programId: string): Promise<void> {
		if (prepared.has(programId)) return;
		let p = preparing.get(programId);
		if (!p) {
			p = prepareOnce(programId).finally(() => preparing.delete(programId));
			preparing.set(programId, p);
		}
		await p;
		prepared.add(programId);
	}

	return {
		prepare,
		async readDecisions(programId) {
			const id = decisionsDocumentId(programId);
			if (prepared.has(programId) || (await options.store.programExists(id)))
				return options.getDocument(id);
			// Decoding (and merging) the program here as well cost a summary twice its work, and a
			// wait on the worker pool for a big one (issue 18).
			return LEGACY_DECISIONS;
		},
		async getDecisions(programId) {
			await prepare(programId);
			return options.getDocument(decisionsDocumentId(programId));
		},
		async applyDecisionEdit(programId, author, edit) {
			await prepare(programId);
			const co = await options.getDocument(programId);
			return options.applyServerEdit(decisionsDocumentId(programId), author, (ddoc, a) => {
				const doc = transientDoc();
				try {
					Y.applyUpdate(doc, co);
					edit(doc, ddoc, a);
				} finally {
					doc.destroy();
				}
			});
		}
	};
}
