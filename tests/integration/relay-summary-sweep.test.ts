import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { NastavnikServer } from '../../server/app';
import { openDatabase } from '../../server/storage/sqlite/database';
import { createSqliteDocumentStore } from '../../server/storage/sqlite/document-store';
import { createTestServer } from '../support/test-server';
import { waitFor } from '../support/wait';
import {
	ProgramEditor,
	SUMMARY_VERSION,
	createProgram,
	loadTemplate
} from '../../src/lib/shared/program';

/**
 * A crash between a commit and the debounced summary leaves the curator's figures behind the
 * document (found by the resilience campaign, crash seed 2001). At start-up the relay recomputes
 * such summaries, also for programs nobody reopens.
 */
let server: NastavnikServer | null = null;
let dataDir = '';
afterEach(async () => {
	await server?.close();
	server = null;
	rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Starts the server on `dataDir` and waits for its start-up sweep to leave no stale summary. The
 * test writes SQLite directly: the server uses it too, whatever TEST_STORAGE says.
 */
async function startAndSweep() {
	const t = await createTestServer({
		dataDir,
		storage: null,
		logLevel: 'silent',
		env: { RELAY_SUMMARY_DEBOUNCE_MS: '20' }
	});
	server = t.server;
	// The server's own store: a second one on its database would run a second recent-log mover.
	const started = server.documents;
	await waitFor(async () => !(await started.staleSummaries?.())?.length, {
		what: 'the start-up sweep to recompute the stale summaries'
	}).catch(() => undefined); // the assertions after it say what is wrong
	return started;
}

it('recomputes at start-up the summaries a crash left behind the log', async () => {
	dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-sweep-'));
	// What a crash leaves: updates committed, no summary (or an older one).
	const db = openDatabase(dataDir);
	const store = createSqliteDocumentStore(db);
	const doc = new Y.Doc();
	const curator = { userId: 'curator-1', role: 'curator' as const };
	createProgram(doc, curator, await loadTemplate('tomsk-heads-beginner'), {
		programId: 'crashed',
		startDate: '2026-09-01'
	});
	await store.createProgram('crashed');
	await store.append([{ programId: 'crashed', data: Y.encodeStateAsUpdate(doc), receivedAt: 1 }]);
	const mentor = new ProgramEditor(doc, { userId: 'mentor-1', role: 'mentor' });
	const before = Y.encodeStateVector(doc);
	const first = mentor.read().activities[0];
	if (!first) throw new Error('template without activities');
	mentor.completeActivity(first.id, '2026-09-10');
	await store.append([
		{ programId: 'crashed', data: Y.encodeStateAsUpdate(doc, before), receivedAt: 2 }
	]);
	expect(await store.staleSummaries?.()).toEqual(['crashed']);
	await store.close(); // its recent-log mover, before the database it moves in
	db.close();

	const started = await startAndSweep();
	const summary = await started.getSummary('crashed');
	expect(summary?.throughSeq).toBe(2);
	expect((summary?.summary as { progress: { done: number } }).progress.done).toBe(1);
	expect(await started.staleSummaries?.()).toEqual([]);
});

it('recomputes at start-up the summaries computed by older rules (another SUMMARY_VERSION)', async () => {
	dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-sweep-'));
	// What an upgrade finds: a summary in step with the log, written by the previous version.
	const db = openDatabase(dataDir);
	const store = createSqliteDocumentStore(db);
	const doc = new Y.Doc();
	createProgram(
		doc,
		{ userId: 'curator-1', role: 'curator' },
		await loadTemplate('teacher-surgut'),
		{
			programId: 'upgraded',
			startDate: '2026-09-01'
		}
	);
	await store.createProgram('upgraded');
	await store.append([{ programId: 'upgraded', data: Y.encodeStateAsUpdate(doc), receivedAt: 1 }]);
	await store.saveSummary({
		programId: 'upgraded',
		summary: { v: SUMMARY_VERSION - 1, title: 'by the old rules' },
		docBytes: 1,
		throughSeq: 1,
		computedAt: 1
	});
	expect(await store.staleSummaries?.()).toEqual(['upgraded']);
	await store.close(); // its recent-log mover, before the database it moves in
	db.close();

	const started = await startAndSweep();
	const summary = (await started.getSummary('upgraded'))?.summary as { v: number; title: string };
	expect(summary.v).toBe(SUMMARY_VERSION);
	expect(summary.title).not.toBe('by the old rules');
});
