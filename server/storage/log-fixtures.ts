/**
 * Test fixtures for the update log's tests (compaction-commits, sqlite/recent-log,
 * sqlite/clustered-log): an update that tells itself apart, and what a store's stored parts read
 * as, the way a loading relay applies them.
 */
import * as Y from 'yjs';
import type { DocumentStore } from './document-store.js';

/** The `notes` text of a program as stored: its compacted state, then every log row. */
export async function textOf(
	store: Pick<DocumentStore, 'load'>,
	programId: string
): Promise<string> {
	const stored = await store.load(programId);
	const doc = new Y.Doc();
	if (stored.state) Y.applyUpdate(doc, stored.state);
	for (const u of stored.updates) Y.applyUpdate(doc, u);
	return doc.getText('notes').toString();
}

/** A one-key update, distinct per key: a row whose bytes a test can recognise after a move. */
export function editOf(key: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getMap('m').set(key, key);
	return Y.encodeStateAsUpdate(doc);
}
