import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../server/storage/index';
import { testStorageEnv, type TestStorageEnv } from './test-storage';
import { ackedWriter, readOnlyObserver, waitFor, type AckedWriter } from './relay-helpers';
import { startServerProcess, type ServerProcess } from './server-process';

const SECRET = 'durability-test-secret-0123456789abcdef';

type Writer = AckedWriter;
const writer = (name: string, port: number, programId: string) =>
	ackedWriter(name, port, programId, SECRET);

describe('relay: durability across SIGKILL', () => {
	const root = mkdtempSync(path.join(tmpdir(), 'nastavnik-kill-'));
	const dataDir = path.join(root, 'data');
	const procs: ServerProcess[] = [];
	const writers: Writer[] = [];

	let storage: TestStorageEnv | null = null;

	afterAll(async () => {
		for (const w of writers) w.provider.destroy();
		for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
		await Promise.all(procs.map((p) => p.exited));
		await storage?.cleanup();
		rmSync(root, { recursive: true, force: true });
	});

	it('every acknowledged update survives a SIGKILL and all clients converge after restart', async () => {
		// Register the program before the server starts (the storage function, no HTTP API yet).
		storage = await testStorageEnv();
		const st = await openStorage({ dataDir, databaseUrl: storage.env.DATABASE_URL ?? null });
		await st.documents.createProgram('p-kill');
		await st.close();

		// Frequent compaction: the kill also lands while logs are being merged into the state.
		const env = {
			SERVER_SECRET: SECRET,
			LOG_LEVEL: 'warn',
			RELAY_COMPACT_AFTER_UPDATES: '20',
			...storage.env
		};
		const first = await startServerProcess(dataDir, env);
		procs.push(first);
		writers.push(writer('a', first.port, 'p-kill'), writer('b', first.port, 'p-kill'));
		await waitFor(() => writers.every((w) => w.provider.synced), 'writers to sync');

		let writing = true;
		const loops = writers.map(async (w) => {
			while (writing) {
				w.doc.getMap('m').set(`${w.name}-${w.written++}`, Date.now());
				await new Promise((r) => setTimeout(r, 2));
			}
		});
		await waitFor(
			() => writers.every((w) => w.acked.size >= 50),
			'some acknowledged writes',
			10_000
		);
		first.child.kill('SIGKILL');
		await first.exited;
		const ackedAtKill = writers.map((w) => new Set(w.acked));
		// Keep editing while the server is down (offline edits).
		await new Promise((r) => setTimeout(r, 100));
		writing = false;
		await Promise.all(loops);
		const ackedTotal = ackedAtKill.reduce((n, s) => n + s.size, 0);
		const writtenTotal = writers.reduce((n, w) => n + w.written, 0);
		console.log(`SIGKILL test: ${writtenTotal} writes, ${ackedTotal} acknowledged before the kill`);
		expect(ackedTotal).toBeGreaterThanOrEqual(100);

		// Restart on the same data directory; check with a fresh observer BEFORE the writers come back
		// (otherwise they would re-upload what the server lost and hide it).
		const second = await startServerProcess(dataDir, env);
		procs.push(second);
		const { doc: observer, provider: op } = readOnlyObserver(second.port, 'p-kill', SECRET);
		try {
			await waitFor(() => op.synced, 'the observer to sync');
			const stored = new Set(observer.getMap('m').keys());
			const lost = ackedAtKill.flatMap((s) => [...s].filter((k) => !stored.has(k)));
			expect(lost).toEqual([]);

			// Writers reconnect to the restarted server and everything converges.
			for (const w of writers) w.provider.serverUrl = `ws://127.0.0.1:${second.port}/sync`;
			const all = () =>
				writers.flatMap((w) =>
					[...w.doc.getMap('m').keys()].filter((k) => k.startsWith(`${w.name}-`))
				);
			await waitFor(
				() => {
					const keys = new Set(all());
					return (
						writers.every((w) => w.doc.getMap('m').size === keys.size) &&
						observer.getMap('m').size === keys.size
					);
				},
				'all clients to converge after restart',
				15_000
			);
			expect(observer.getMap('m').size).toBe(writtenTotal);
		} finally {
			op.destroy();
			second.child.kill('SIGTERM');
			await second.exited;
		}
	}, 240_000); // two child servers: up to 90 s each to start on a loaded machine
});
