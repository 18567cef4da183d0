/**
 * The relay's memory budget (issue 14, round 2): a program that grew big (here 1.2 MiB of text
 * from a stock client; in the benchmark an attacker's 1.8 MiB messages) is unloaded as soon as
 * nobody uses it, not after the idle period of ordinary programs — the bytes it holds stayed
 * resident until then (+150 MB RSS after the big-program attack). Nothing acknowledged is lost:
 * a fresh stock client gets everything back from storage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	connectClient,
	startRelay,
	storedText,
	synced,
	text,
	waitFor,
	type TestClient,
	type TestRelay
} from './relay-helpers';

describe('relay: memory budget of loaded programs', () => {
	let relay: TestRelay;
	const clients: TestClient[] = [];

	beforeAll(async () => {
		relay = await startRelay({
			// Ordinary programs stay loaded for ten minutes after their last connection.
			RELAY_IDLE_UNLOAD_MS: String(10 * 60_000)
		});
		await relay.createProgram('p-big');
		await relay.createProgram('p-small');
	});
	afterAll(async () => {
		for (const c of clients) c.destroy();
		await relay?.close();
	});

	const open = (programId: string, user: string) => {
		const c = connectClient(relay.wsBase, programId, relay.token(user, programId));
		clients.push(c);
		return c;
	};

	it('unloads a big program soon after its last connection closes; a small one keeps its idle period', async () => {
		const big = open('p-big', 'mentor');
		const small = open('p-small', 'mentor');
		await Promise.all([synced(big), synced(small)]);
		// 1.2 MiB in four messages of ~300 KiB (within the message limit).
		const chunk = 'Программа наставничества. '.repeat(12_000);
		for (let i = 0; i < 4; i++) {
			big.doc.getText('t').insert(text(big.doc).length, `[${i}]${chunk}`);
			await waitFor(
				async () => (await storedText(relay, 'p-big')).includes(`[${i}]`),
				`part ${i} to be stored`,
				30_000
			);
		}
		small.doc.getText('t').insert(0, 'короткая заметка');
		await waitFor(
			async () => (await storedText(relay, 'p-small')).includes('короткая'),
			'the small edit to be stored'
		);
		const expected = text(big.doc);
		expect(expected.length).toBeGreaterThan((1024 * 1024) / 2);
		expect(relay.server.relay.loadedPrograms()).toEqual(
			expect.arrayContaining(['p-big', 'p-small'])
		);

		big.destroy();
		small.destroy();
		await waitFor(
			() => !relay.server.relay.loadedPrograms().includes('p-big'),
			'the big program to be unloaded',
			60_000
		);
		// The ordinary program is still loaded (its idle period is ten minutes).
		expect(relay.server.relay.loadedPrograms()).toContain('p-small');

		// Nothing acknowledged is lost: a new phone gets the whole text back from storage.
		const again = open('p-big', 'mentee');
		await synced(again);
		await waitFor(() => text(again.doc) === expected, 'the new phone to hold the whole text');
	}, 120_000);
});
