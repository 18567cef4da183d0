/**
 * The relay forwards an update to the partner before its commit (server/sync/commits.ts), so a
 * SIGKILL can fall between the partner receiving an edit and the relay storing it. Two stock
 * y-websocket clients, a real server process killed for real: the partner reconnects first and
 * re-sends what it received, and the writer must still own its client id — every edit it was
 * told is saved, and every edit it still held, ends up stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../server/storage/index';
import { ackedWriter, readOnlyObserver, waitFor, type AckedWriter } from './relay-helpers';
import { testStorageEnv, type TestStorageEnv } from './test-storage';
import { startServerProcess, type ServerProcess } from './server-process';

const SECRET = 'forward-crash-test-secret-0123456789ab';
const PROGRAM = 'p-forward';
/** Every commit waits this long after its first update: the window the kills fall into. */
const FLUSH_DELAY_MS = 3_000;

describe('relay: an edit forwarded before its commit, then SIGKILL', () => {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-forward-'));
	const dataDir = path.join(root, 'data');
	const env: Record<string, string> = {
		SERVER_SECRET: SECRET,
		LOG_LEVEL: 'warn',
		RELAY_FLUSH_DELAY_MS: String(FLUSH_DELAY_MS)
	};
	let storage: TestStorageEnv | null = null;
	const procs: ServerProcess[] = [];
	const clients: AckedWriter[] = [];

	afterAll(async () => {
		for (const c of clients) c.provider.destroy();
		for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
		await Promise.all(procs.map((p) => p.exited));
		await storage?.cleanup();
		rmSync(root, { recursive: true, force: true });
	});

	async function start(): Promise<ServerProcess> {
		const p = await startServerProcess(dataDir, env);
		procs.push(p);
		return p;
	}

	async function kill(p: ServerProcess): Promise<void> {
		p.child.kill('SIGKILL');
		await p.exited;
	}

	const has = (c: AckedWriter, key: string) => c.doc.getMap('m').has(key);
	function write(c: AckedWriter, key: string) {
		c.doc.getMap('m').set(key, key);
	}
	/** Reconnects a client to `p`, and waits until what it sent on connecting is stored. */
	async function reconnect(c: AckedWriter, p: ServerProcess, key: string) {
		c.provider.serverUrl = `ws://127.0.0.1:${p.port}/sync`;
		c.provider.connect();
		await waitFor(() => c.provider.synced, `${c.name} to sync again`, 30_000);
		// Acknowledgements come in order: once this edit is acknowledged, so is the sync step 2
		// that re-sent everything the relay lacked.
		write(c, key);
		await waitFor(() => c.acked.has(key), `${c.name}'s ${key} to be stored`, 30_000);
	}

	async function stored(p: ServerProcess): Promise<string[]> {
		const observer = readOnlyObserver(p.port, PROGRAM, SECRET);
		try {
			await waitFor(() => observer.provider.synced, 'the observer to sync', 30_000);
			return [...observer.doc.getMap('m').keys()].sort();
		} finally {
			observer.provider.destroy();
		}
	}

	it("the partner reconnecting first never takes the writer's client id; nothing the writer held is lost", async () => {
		storage = await testStorageEnv();
		Object.assign(env, storage.env);
		const st = await openStorage({ dataDir, databaseUrl: storage.env.DATABASE_URL ?? null });
		await st.documents.createProgram(PROGRAM);
		await st.close();

		let server = await start();
		const mentor = ackedWriter('m', server.port, PROGRAM, SECRET);
		const mentee = ackedWriter('e', server.port, PROGRAM, SECRET);
		clients.push(mentor, mentee);
		await waitFor(() => mentor.provider.synced && mentee.provider.synced, 'both to sync', 30_000);

		// 1. The mentor's first edit claims its client id: not forwarded before that claim is
		// stored. Killed before the commit, the mentee never had it.
		write(mentor, 'm-0');
		await new Promise((r) => setTimeout(r, 1_000));
		expect(has(mentee, 'm-0')).toBe(false); // its commit is 3 s away
		mentor.provider.disconnect();
		mentee.provider.disconnect();
		await kill(server);

		server = await start();
		await reconnect(mentee, server, 'e-0');
		await reconnect(mentor, server, 'm-1'); // re-sends m-0, claims its id, writes m-1
		await waitFor(() => has(mentee, 'm-1'), 'the mentee to get m-1', 30_000);

		// 2. Its id's claim stored, the mentor's next edit reaches the mentee before its commit…
		write(mentor, 'm-2');
		await waitFor(() => has(mentee, 'm-2'), 'the mentee to get m-2 before its commit', 2_500);
		expect(mentor.acked.has('m-2')).toBe(false);
		// … and the relay dies before storing it. The mentee comes back first and re-sends m-2
		// under the mentor's client id (dropped: not hers); the mentor re-sends it as its own.
		mentor.provider.disconnect();
		mentee.provider.disconnect();
		await kill(server);

		server = await start();
		await reconnect(mentee, server, 'e-1');
		expect(await stored(server)).not.toContain('m-2');
		await reconnect(mentor, server, 'm-3');
		await waitFor(() => has(mentee, 'm-3'), 'the mentee to get m-3', 30_000);
		expect(await stored(server)).toEqual(['e-0', 'e-1', 'm-0', 'm-1', 'm-2', 'm-3']);
		expect([...mentor.acked].sort()).toEqual(['m-0', 'm-1', 'm-2', 'm-3']);
	}, 300_000); // four server starts: up to 60 s each on a loaded machine
});
