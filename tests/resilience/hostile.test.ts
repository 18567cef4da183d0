/**
 * Hostile and buggy clients, each of which must be contained to its own connection while an
 * honest pair keeps working: a seeded fuzz run of random and mutated protocol frames, huge
 * awareness states, updates that reference structs the server never got, an update flood, and
 * forged client ids. At the end the honest phones are saved and identical to the stored
 * document, the summary is current, the server is alive and back to its baseline.
 */
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness';
import * as Y from 'yjs';
import {
	MESSAGE_AUTH,
	MESSAGE_QUERY_AWARENESS,
	encodeAck,
	encodeAwarenessMessage,
	encodeDeviceStatus,
	encodeSyncStep1,
	encodeSyncStep2,
	encodeSyncUpdate
} from '../../src/lib/shared/protocol';
import {
	BUSY_RELAY_ENV,
	LONG,
	createPrograms,
	expectBackToBaseline,
	procStats,
	readStored,
	rng,
	seeds,
	sleep,
	startServer,
	summarySettled,
	tempRoot,
	token,
	until,
	type ProcStats,
	type Rng,
	type ServerHandle
} from './harness';
import {
	MENTEE,
	MENTOR,
	contains,
	expectInvariants,
	phone,
	randomAction,
	sameDocument,
	seedProgram,
	type Phone
} from './phones';
import {
	bigAwarenessMessage,
	deepAnyUpdate,
	deepAwarenessMessage,
	deepJsonUpdate,
	hugeClockUpdate,
	manyClientsUpdate
} from '../support/hostile-payloads';

const FRAMES = Number(process.env.RESILIENCE_FUZZ_FRAMES ?? (LONG ? 100_000 : 10_000));
const [FUZZ_SEED] = seeds(1, 4242);
/**
 * A cap for a hang, not a budget: 10,000 frames take 30–40 s on a busy 2-core machine, but at a
 * load of 30–36 on the 2 cores the long form ran ~2 s per 100 frames (linear: the server used
 * 0.6 s of CPU per 1,000 frames), so 12 ms per frame cut a healthy run off at 77,000 frames.
 */
const FUZZ_TIMEOUT_MS = Math.max(120_000, FRAMES * 30);
const PROGRAM = 'hostile';
/** Most edits of the honest pair during the fuzz (what 10,000 frames took on the clock before). */
const HONEST_ACTIONS = 1_000;

/** A valid frame of every kind a client could send (and some it should not). */
function corpus(r: Rng): Uint8Array[] {
	const doc = new Y.Doc();
	doc.clientID = 1_000_000 + r.int(1_000_000);
	const before = Y.encodeStateVector(doc);
	doc.getMap('junk').set(`k${r.int(100)}`, r.int(1000));
	doc.getText('diagnosis.goals').insert(0, 'чужой текст');
	doc.getArray('activities').push([r.int(10)]);
	const update = Y.encodeStateAsUpdate(doc, before);
	const awareness = new Awareness(doc);
	awareness.setLocalState({ user: { name: 'x'.repeat(r.int(50)) } });
	const awarenessUpdate = encodeAwarenessUpdate(awareness, [doc.clientID]);
	awareness.destroy();
	const auth = encoding.createEncoder();
	encoding.writeVarUint(auth, MESSAGE_AUTH);
	encoding.writeVarString(auth, 'token?');
	const frames = [
		encodeSyncStep1(Y.encodeStateVector(doc)),
		encodeSyncStep2(update),
		encodeSyncUpdate(update),
		encodeAwarenessMessage(awarenessUpdate),
		Uint8Array.of(MESSAGE_QUERY_AWARENESS),
		encodeDeviceStatus({ deviceId: 'fuzz', pending: r.int(10) }),
		encodeAck({ persistedCount: 3, stateVector: Y.encodeStateVector(doc) }),
		encoding.toUint8Array(auth)
	];
	doc.destroy();
	return frames;
}

/**
 * Issue 14: content that crashed the relay or broke the partners' phones — drawn for 5 % of the
 * frames (they are large: sending them all the time would measure the loopback, not the relay).
 */
function hostilePayloads(r: Rng): Uint8Array[] {
	const clientId = 2_000_000 + r.int(1_000_000);
	return [
		encodeSyncUpdate(deepJsonUpdate(clientId + 1, r.range(65, 5_000))),
		encodeSyncUpdate(deepAnyUpdate(clientId + 2, r.range(65, 5_000))),
		encodeSyncUpdate(manyClientsUpdate(r.range(2_001, 2_200), 600_000_000 + r.int(1_000_000))),
		encodeSyncUpdate(hugeClockUpdate(clientId + 3)),
		deepAwarenessMessage(clientId + 4, r.range(17, 10_000)),
		bigAwarenessMessage(clientId + 5, r.range(66_000, 120_000), 20)
	];
}

function mutate(frame: Uint8Array, r: Rng): Uint8Array {
	const bytes = Uint8Array.from(frame);
	switch (r.int(7)) {
		case 0: // flip bits
			for (let i = r.range(1, 3); i > 0 && bytes.length; i--)
				bytes[r.int(bytes.length)]! ^= 1 << r.int(8);
			return bytes;
		case 1: // truncate
			return bytes.slice(0, r.int(bytes.length));
		case 2: // trailing garbage
			return Uint8Array.from([...bytes, ...r.bytes(r.range(1, 8))]);
		case 3: // replace a byte
			if (bytes.length) bytes[r.int(bytes.length)] = r.int(256);
			return bytes;
		case 4: {
			// a huge varUint length where a length is expected
			const at = Math.min(bytes.length, 1 + r.int(3));
			return Uint8Array.from([
				...bytes.slice(0, at),
				0xff,
				0xff,
				0xff,
				0xff,
				0x0f,
				...bytes.slice(at)
			]);
		}
		case 5: // delete a byte
			if (bytes.length < 2) return bytes;
			return Uint8Array.from([...bytes.slice(0, 1), ...bytes.slice(2)]);
		default: // random bytes
			return r.bytes(r.int(64));
	}
}

async function openRaw(url: string): Promise<WebSocket | null> {
	const ws = new WebSocket(url);
	ws.on('error', () => {});
	try {
		await new Promise<void>((resolve, reject) => {
			ws.once('open', () => resolve());
			ws.once('close', () => reject(new Error('closed')));
		});
		return ws;
	} catch {
		return null;
	}
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
	return new Promise((resolve) => {
		if (ws.readyState === WebSocket.CLOSED) resolve({ code: -1, reason: '' });
		ws.once('close', (code: number, reason: Buffer) =>
			resolve({ code, reason: reason.toString() })
		);
	});
}

describe('hostile clients are contained to their own connection', () => {
	const tmp = tempRoot('hostile');
	let server: ServerHandle;
	let baseline: ProcStats;
	let mentor: Phone;
	let mentee: Phone;
	const intruderUrl = () =>
		`${server.wsBase}/${PROGRAM}?token=${encodeURIComponent(token('intruder', PROGRAM))}`;

	beforeAll(async () => {
		server = await startServer(tmp.dataDir, { ...BUSY_RELAY_ENV, RELAY_IDLE_UNLOAD_MS: '30000' });
		await createPrograms(tmp.dataDir, [PROGRAM, 'forged']);
		const opts = { programId: PROGRAM, wsBase: server.wsBase, maxBackoffMs: 300 };
		mentor = phone({ ...opts, name: 'mentor', actor: MENTOR });
		mentee = phone({ ...opts, name: 'mentee', actor: MENTEE });
		seedProgram(mentor.doc, PROGRAM);
		for (const p of [mentor, mentee]) {
			p.sync.start();
			p.sync.setOnline(true);
		}
		await until(
			() => [mentor, mentee].every((p) => p.sync.state.phase === 'saved'),
			'honest pair saved'
		);
		// Let memory settle before the baseline (no condition to await).
		await sleep(500);
		baseline = procStats(server.pid);
	});

	afterAll(async () => {
		mentor?.destroy();
		mentee?.destroy();
		await server?.stop('SIGKILL');
		tmp.dispose();
	});

	async function honestPairStillWorks(context: string) {
		const r = rng(FUZZ_SEED! + context.length);
		for (let i = 0; i < 5; i++)
			randomAction(r.pick([mentor, mentee]).editor, r.pick([mentor, mentee]).doc, r);
		mentor.editor.editText({ kind: 'diagnosis', field: 'request' }, 0, 0, `${context}; `);
		await until(
			() =>
				[mentor, mentee].every((p) => p.sync.state.phase === 'saved') &&
				sameDocument(mentor.doc, mentee.doc),
			() =>
				`${context}: honest pair saved and in sync: ${mentor.sync.state.phase}/${mentee.sync.state.phase}`,
			20_000
		);
		expect(mentee.doc.getText('diagnosis.request').toString()).toContain(context);
		expect((await fetch(`${server.url}/healthz`)).ok).toBe(true);
	}

	it(
		`fuzz: ${FRAMES} random and mutated frames (seed ${FUZZ_SEED})`,
		async () => {
			const r = rng(FUZZ_SEED!);
			const frames = corpus(r);
			const payloads = hostilePayloads(r);
			let sent = 0;
			let connections = 0;
			const codes = new Map<number, number>();
			const started = Date.now();
			let honestActions = 0;
			const worker = async () => {
				while (sent < FRAMES) {
					const ws = await openRaw(intruderUrl());
					connections++;
					if (!ws) continue;
					const done = closed(ws);
					for (
						let n = r.range(1, 40);
						n > 0 && sent < FRAMES && ws.readyState === WebSocket.OPEN;
						n--
					) {
						const base = r.chance(0.05) ? r.pick(payloads) : r.pick(frames);
						const frame = r.chance(0.15) ? base : mutate(base, r);
						if (r.chance(0.02)) ws.send(Buffer.from(frame).toString('latin1'));
						else ws.send(frame);
						sent++;
						if (sent % 10_000 === 0)
							console.log(
								`[hostile] fuzz: ${sent} frames, ${connections} connections, ${Math.round((Date.now() - started) / 1000)} s`
							);
						if (r.chance(0.1)) await sleep(1);
					}
					if (ws.readyState === WebSocket.OPEN) ws.close();
					const { code } = await done;
					codes.set(code, (codes.get(code) ?? 0) + 1);
				}
			};
			// The honest pair edits throughout (every 10–60 ms), but at most once per
			// `framesPerAction` frames sent: at most HONEST_ACTIONS edits in either form, at any
			// machine speed. (Paced by the clock alone, a slow machine made the pair edit more per
			// frame, the document grew with the run's length, and every compaction, summary and
			// whole-document sync step 2 the fuzz asks for grew with it: the long form never finished.)
			const framesPerAction = Math.max(10, Math.floor(FRAMES / HONEST_ACTIONS));
			const honest = (async () => {
				const hr = rng(FUZZ_SEED! + 1);
				let acted = 0;
				while (sent < FRAMES) {
					if (acted * framesPerAction <= sent) {
						const p = hr.pick([mentor, mentee]);
						randomAction(p.editor, p.doc, hr);
						acted++;
					}
					await sleep(hr.range(10, 60));
				}
				honestActions = acted;
			})();
			try {
				await Promise.all([worker(), worker(), worker(), worker(), honest]);
			} catch (error) {
				console.error(
					`[hostile] FAILED fuzz seed ${FUZZ_SEED} (replay: RESILIENCE_SEEDS=${FUZZ_SEED})`
				);
				throw error;
			}
			console.log(
				`[hostile] fuzz seed ${FUZZ_SEED}: ${sent} frames over ${connections} connections, close codes ${JSON.stringify(Object.fromEntries(codes))}, ${honestActions} honest edits, ${Math.round((Date.now() - started) / 1000)} s`
			);
			expect(sent).toBeGreaterThanOrEqual(FRAMES);
			await honestPairStillWorks('после фаззинга');
		},
		FUZZ_TIMEOUT_MS
	);

	it('huge awareness states: over 64 KiB closes that connection (4413), under it is relayed and survived', async () => {
		const doc = new Y.Doc();
		const awareness = new Awareness(doc);
		awareness.setLocalState({ user: { name: 'я'.repeat(15_000) } }); // ~30 KB of UTF-8
		const big = encodeAwarenessMessage(encodeAwarenessUpdate(awareness, [doc.clientID]));
		awareness.setLocalState({ user: { name: 'я'.repeat(600_000) } }); // ~1.2 MB
		const tooBig = encodeAwarenessMessage(encodeAwarenessUpdate(awareness, [doc.clientID]));
		awareness.setLocalState({ user: { name: 'я'.repeat(1_200_000) } }); // ~2.4 MB > 2 MiB
		const overMessageLimit = encodeAwarenessMessage(
			encodeAwarenessUpdate(awareness, [doc.clientID])
		);
		const ws1 = await openRaw(intruderUrl());
		ws1!.send(big);
		await until(
			() => mentor.sync.provider.awareness.getStates().has(doc.clientID),
			'the 30 KB state relayed to the mentor'
		);
		for (const bytes of [tooBig, overMessageLimit]) {
			const ws = await openRaw(intruderUrl());
			const c = closed(ws!);
			ws!.send(bytes);
			expect((await c).code).toBe(4413);
		}
		ws1!.close();
		awareness.destroy();
		await honestPairStillWorks('после огромного awareness');
	});

	it('updates that reference structs the server never received do not break anyone', async () => {
		const a = new Y.Doc();
		a.clientID = 77_000_001;
		a.getText('diagnosis.strengths').insert(0, 'первая часть ');
		const sv = Y.encodeStateVector(a);
		a.getText('diagnosis.strengths').insert(13, 'зависимая часть');
		a.getMap('meta').set('x-orphan', 1);
		const dependent = Y.encodeStateAsUpdate(a, sv); // needs the first part, which is never sent
		const ws = await openRaw(intruderUrl());
		ws!.send(encodeSyncUpdate(dependent));
		// "Nothing happens": the socket must stay open through a fixed window.
		await sleep(300);
		expect(ws!.readyState).toBe(WebSocket.OPEN);
		ws!.close();
		await honestPairStillWorks('после обрывков');
		// The orphan is stored as pending (harmless); nobody shows it.
		expect(mentor.doc.getText('diagnosis.strengths').toString()).not.toContain('зависимая часть');
	});

	it('an update flood is cut (4429) after what was accepted, and the pair is unaffected', async () => {
		const doc = new Y.Doc();
		doc.clientID = 77_000_002;
		const ws = await openRaw(intruderUrl());
		const c = closed(ws!);
		let sent = 0;
		for (let i = 0; i < 3_000 && ws!.readyState === WebSocket.OPEN; i++) {
			const sv = Y.encodeStateVector(doc);
			doc.getArray('flood').push([i]);
			ws!.send(encodeSyncUpdate(Y.encodeStateAsUpdate(doc, sv)));
			sent++;
		}
		expect((await c).code).toBe(4429);
		await honestPairStillWorks('после потока');
		const stored = readStored(tmp.dataDir, PROGRAM);
		const accepted = stored.doc.getArray('flood').length;
		console.log(`[hostile] flood: ${sent} sent, ${accepted} accepted before 4429`);
		expect(accepted).toBeGreaterThan(0);
		expect(accepted).toBeLessThan(3_000);
		// Accepted is a prefix: no holes.
		expect(stored.doc.getArray('flood').toArray()).toEqual(
			Array.from({ length: accepted }, (_, i) => i)
		);
	});

	it('end state: honest replicas = stored document, acknowledged work kept, summary current, baseline', async () => {
		await summarySettled(tmp.dataDir, PROGRAM);
		expectInvariants(
			tmp.dataDir,
			PROGRAM,
			[mentor, mentee].map((p) => ({ name: p.name, doc: p.doc, acked: p.acked })),
			'hostile'
		);
		const after = await expectBackToBaseline(server, baseline);
		console.log(`[hostile] baseline ${JSON.stringify(baseline)} → after ${JSON.stringify(after)}`);
	});

	/**
	 * Regression (docs/resilience.md "Bugs found"): the relay accepted structs under any client
	 * id, so a participant could write under the partner's client id at the partner's next clock;
	 * the partner's real edit was then skipped as "already known" everywhere, yet acknowledged.
	 * Fixed: a client id belongs to the user who first wrote under it (server/sync/room.ts
	 * `claimClientIds`, table program_client_owners); the forged structs are dropped (receiver.ts).
	 */
	it('regression: a forged client id cannot erase the partner’s next edit', async () => {
		const programId = 'forged';
		const victim = phone({
			programId,
			wsBase: server.wsBase,
			name: 'victim',
			actor: MENTEE,
			maxBackoffMs: 300
		});
		seedProgram(victim.doc, programId);
		try {
			victim.sync.start();
			victim.sync.setOnline(true);
			await until(() => victim.sync.state.phase === 'saved', 'victim saved');
			// The victim goes offline (a school day without network); it never sees what follows.
			victim.sync.setOnline(false);
			// The intruder reads the victim's client id and clock from the document it syncs.
			const forger = new Y.Doc();
			Y.applyUpdate(forger, readStored(tmp.dataDir, programId).update);
			const sv = Y.encodeStateVector(forger);
			forger.clientID = victim.doc.clientID;
			forger.getText('diagnosis.goals').insert(0, 'x'.repeat(50));
			const forged = Y.encodeStateAsUpdate(forger, sv);
			const ws = await openRaw(
				`${server.wsBase}/${programId}?token=${encodeURIComponent(token('intruder', programId))}`
			);
			ws!.send(encodeSyncUpdate(forged));
			// Give the relay a fixed window to (not) accept the forgery before the victim returns.
			await sleep(500);
			ws!.close();
			// The victim, still offline, writes; then comes back.
			victim.editor.setText({ kind: 'diagnosis', field: 'goals' }, 'Настоящая цель наставляемого');
			victim.sync.setOnline(true);
			await until(() => victim.sync.state.phase === 'saved', 'victim saved again');
			const stored = readStored(tmp.dataDir, programId);
			expect(contains(stored.doc, victim.acked!), 'acknowledged work is stored').toBe(true);
		} finally {
			victim.destroy();
		}
	});
});
