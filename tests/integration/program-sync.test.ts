import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import pg from 'pg';
import WebSocket from 'ws';
import * as Y from 'yjs';
import type { NastavnikServer } from '../../server/app';
import { mintAccessToken } from '../../server/auth/tokens';
import { DATABASE_FILE } from '../../server/storage/sqlite/database';
import { ProgramSync, type SyncState } from '../../src/lib/sync/program-sync';
import { freePort } from './server-process';
import { testStorageEnv, type TestStorageEnv } from './test-storage';
import { createTestServer } from '../support/test-server';
import { waitFor as until } from '../support/wait';
import { listening } from '../support/ports';

/**
 * The PWA's sync layer against the real relay over real sockets: the status it shows must be
 * true — "saved" only after the relay confirmed storage, pending work kept across drops.
 */
const PROGRAM = 'program-sync-test';

describe('ProgramSync against the relay', () => {
	let dataDir: string;
	let server: NastavnikServer;
	let port: number;
	let token: string;
	const syncs: ProgramSync[] = [];
	let storage: TestStorageEnv;

	async function start(env: Record<string, string> = {}) {
		server = (await createTestServer({ dataDir, port, storage, env, logLevel: 'silent' })).server;
	}

	beforeEach(async () => {
		dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-program-sync-'));
		port = await freePort();
		storage = await testStorageEnv();
		await start();
		await server.documents.createProgram(PROGRAM);
		token = mintAccessToken(server.secret, {
			userId: 'mentee-1',
			programId: PROGRAM,
			access: 'rw',
			expiresAt: Date.now() + 3600_000
		});
	});

	afterEach(async () => {
		for (const s of syncs.splice(0)) s.destroy();
		await server.close();
		await storage.cleanup();
		rmSync(dataDir, { recursive: true, force: true });
	});

	function phone(
		doc: Y.Doc,
		opts: { token?: string; initialPending?: number; deviceId?: string } = {}
	) {
		const states: SyncState[] = [];
		const sync = new ProgramSync({
			programId: PROGRAM,
			doc,
			serverUrl: `ws://127.0.0.1:${port}/sync`,
			deviceId: opts.deviceId ?? 'phone-1',
			getToken: async () => opts.token ?? token,
			WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
			startOffline: true,
			initialPending: opts.initialPending ?? 0,
			onState: (s) => states.push(s)
		});
		syncs.push(sync);
		return { sync, states };
	}

	async function storedText(): Promise<string> {
		const stored = await server.documents.load(PROGRAM);
		const doc = new Y.Doc();
		if (stored.state) Y.applyUpdate(doc, stored.state);
		for (const u of stored.updates) Y.applyUpdate(doc, u);
		return doc.getText('t').toString();
	}

	it('counts offline changes, sends them on reconnect and says saved only after the ack', async () => {
		const doc = new Y.Doc();
		const { sync, states } = phone(doc);
		sync.start();
		doc.getText('t').insert(0, 'первое ');
		// Time passes between the two edits (not a wait for a condition): two separate changes.
		await new Promise((r) => setTimeout(r, 1100));
		doc.getText('t').insert(7, 'второе');
		expect(sync.state).toMatchObject({ phase: 'offline', pending: 2, savedAt: null });

		sync.setOnline(true);
		await until(() => sync.state.phase === 'saved', 'saved');
		expect(sync.state.pending).toBe(0);
		expect(await storedText()).toBe('первое второе');
		// It went through connecting/syncing, and never claimed "saved" while changes were pending.
		expect(states.some((s) => s.phase === 'connecting')).toBe(true);
		expect(states.every((s) => s.phase !== 'saved' || s.pending === 0)).toBe(true);
	});

	it('counts a burst of typing as one change, confirmed when its last keystroke is stored', async () => {
		const doc = new Y.Doc();
		const { sync } = phone(doc);
		sync.start();
		for (const ch of 'наставник') doc.getText('t').insert(doc.getText('t').length, ch);
		expect(sync.state.pending).toBe(1);
		sync.setOnline(true);
		await until(() => sync.state.phase === 'saved', 'saved');
		expect(await storedText()).toBe('наставник');
	});

	it('counts distinct edits apart however fast they follow: each field typed into, each action', async () => {
		const doc = new Y.Doc();
		const { sync } = phone(doc);
		sync.start();
		const meta = doc.getMap('meta');
		// Typing in one field, then another, then back: three edits, each a burst of keys.
		for (const name of ['a', 'b', 'a'])
			for (const ch of 'слово') doc.getText(name).insert(doc.getText(name).length, ch);
		expect(sync.state.pending).toBe(3);
		// Metadata written beside the text in the same transaction does not split a burst.
		doc.transact(() => {
			doc.getText('a').insert(0, 'x');
			meta.set('updatedAt', 1);
		});
		expect(sync.state.pending).toBe(3);
		// The first keystroke that creates a text under a map and the next ones are one edit.
		const notes = doc.getMap('activity');
		doc.transact(() => {
			const t = new Y.Text();
			notes.set('notes', t);
			t.insert(0, 'з');
		});
		(notes.get('notes') as Y.Text).insert(1, 'аметка');
		expect(sync.state.pending).toBe(4);
		// Two actions that are not typing: two edits, even within the same second.
		meta.set('done', true);
		meta.set('done', false);
		expect(sync.state.pending).toBe(6);
		sync.setOnline(true);
		await until(() => sync.state.phase === 'saved', 'saved');
		expect(sync.state.pending).toBe(0);
	});

	it('keeps unconfirmed changes across a relay restart and confirms them after reconnecting', async () => {
		const doc = new Y.Doc();
		const { sync } = phone(doc);
		sync.start();
		sync.setOnline(true);
		await until(() => sync.state.phase === 'saved', 'first saved');

		await server.close();
		await until(() => sync.state.phase === 'connecting', 'disconnect noticed');
		doc.getText('t').insert(0, 'во время перезапуска');
		expect(sync.state.pending).toBe(1);
		await start();
		await until(() => sync.state.phase === 'saved', 'saved after restart', 20_000);
		expect(await storedText()).toBe('во время перезапуска');
	});

	it('restores the pending count of a previous page load and clears it once the relay has the work', async () => {
		// A previous page load made two changes offline; they are in the doc (IndexedDB) only.
		const doc = new Y.Doc();
		doc.getText('t').insert(0, 'с прошлого раза');
		const { sync } = phone(doc, { initialPending: 2 });
		sync.start();
		expect(sync.state).toMatchObject({ phase: 'offline', pending: 2 });
		sync.setOnline(true);
		await until(() => sync.state.phase === 'saved', 'saved');
		expect(await storedText()).toBe('с прошлого раза');
	});

	it('asks to sign in again when the relay refuses the credentials, keeping local work', async () => {
		const doc = new Y.Doc();
		const { sync } = phone(doc, { token: 'not-a-token' });
		sync.start();
		doc.getText('t').insert(0, 'моя работа');
		sync.setOnline(true);
		await until(() => sync.state.phase === 'auth-required', 'auth-required');
		expect(sync.state.pending).toBe(1);
		expect(doc.getText('t').toString()).toBe('моя работа');
		expect(await storedText()).toBe('');
	});

	it("says saved though the partner's edit it already shows is not stored yet (forwarded before the commit)", async () => {
		// The relay's commits must run off its event loop for the partner's edit to be forwarded
		// while one is in flight: PostgreSQL's are; SQLite's with the writer thread.
		await server.close();
		await start({ RELAY_WRITER_THREAD: '1' });
		const mentorToken = mintAccessToken(server.secret, {
			userId: 'mentor-1',
			programId: PROGRAM,
			access: 'rw',
			expiresAt: Date.now() + 3600_000
		});
		const mentorDoc = new Y.Doc();
		const mentor = phone(mentorDoc, { token: mentorToken, deviceId: 'phone-2' }).sync;
		mentor.start();
		mentor.setOnline(true);
		mentorDoc.getText('t').insert(0, 'цель: ');
		await until(() => mentor.state.phase === 'saved', "the mentor's first edit stored");

		// Another writer holds the database's write lock: the next commit waits for it.
		const release = await holdWriteLock();
		const doc = new Y.Doc();
		const { sync } = phone(doc);
		sync.start();
		doc.getText('u').insert(0, 'ответ'); // made offline: her step 2 carries it
		sync.setOnline(true);
		await until(() => sync.provider.synced, 'the mentee synced (her step 2 waits for the lock)');
		mentorDoc.getText('t').insert(6, 'читать');
		await until(() => doc.getText('t').toString() === 'цель: читать', 'the forwarded edit');
		await release();
		// Her step 2 is acknowledged with a state vector without the mentor's new edit, which she
		// already shows: her own work is stored all the same.
		await until(() => sync.state.phase === 'saved', 'the mentee saved');
		expect(sync.state.pending).toBe(0);
		await until(() => mentor.state.phase === 'saved', "the mentor's second edit stored");
		expect(await storedText()).toBe('цель: читать');
	});

	/** Takes the database's write lock from outside the server; resolves to its release. */
	async function holdWriteLock(): Promise<() => Promise<void>> {
		if (storage.kind === 'postgres') {
			const client = new pg.Client({ connectionString: storage.env.DATABASE_URL });
			await client.connect();
			await client.query('BEGIN');
			await client.query('LOCK TABLE program_updates IN SHARE ROW EXCLUSIVE MODE');
			return async () => {
				await client.query('COMMIT');
				await client.end();
			};
		}
		const db = new Database(path.join(dataDir, DATABASE_FILE));
		db.exec('BEGIN IMMEDIATE'); // the writer thread's busy_timeout (5 s) outlasts this
		return async () => {
			db.exec('COMMIT');
			db.close();
		};
	}

	it('never says saved to a relay that does not confirm storage (the in-memory reference server)', async () => {
		const refPort = await freePort();
		const ref = spawn(process.execPath, ['node_modules/y-websocket-1.5.4/bin/server.js'], {
			env: { ...process.env, PORT: String(refPort), HOST: '127.0.0.1' },
			stdio: 'ignore'
		});
		try {
			await until(() => ref.pid !== undefined, 'reference server');
			await until(() => listening(refPort), 'the reference server to listen');
			const doc = new Y.Doc();
			const sync = new ProgramSync({
				programId: PROGRAM,
				doc,
				serverUrl: `ws://127.0.0.1:${refPort}`,
				deviceId: 'phone-2',
				WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
				startOffline: true
			});
			syncs.push(sync);
			doc.getText('t').insert(0, 'x');
			sync.setOnline(true);
			await until(() => sync.provider.synced, 'synced with the reference server');
			// "Nothing happens": no ack ever comes, so give a would-be ack time to arrive.
			await new Promise((r) => setTimeout(r, 500));
			expect(sync.state.phase).toBe('pending');
			expect(sync.state.pending).toBe(1);
		} finally {
			ref.kill('SIGTERM');
		}
	});
});
