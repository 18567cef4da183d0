/**
 * The attacks of issue #14, one small function each. An attack runs against the live server
 * until `ctx.until` (performance.now()), never throws for what the server does to it (a refused
 * or dropped connection is the server's answer, not the benchmark's failure), cleans up its
 * sockets, and writes what it saw into `ctx.note` for the report.
 */
import { request as httpRequest } from 'node:http';
import net from 'node:net';
import ExcelJS from 'exceljs';
import * as decoding from 'lib0/decoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import {
	MESSAGE_SYNC,
	SYNC_STEP2,
	SYNC_UPDATE,
	decodeStateVector,
	encodeStateVector,
	encodeSyncStep1,
	encodeSyncUpdate
} from '../../src/lib/shared/protocol';
import {
	bigTextUpdate,
	claimClientIdUpdate,
	consecutiveUpdates,
	deepAwarenessState,
	hostileTitleUpdate,
	xfdSpreadsheet
} from './payloads';
import {
	awarenessMessage,
	deepAnyUpdate,
	manyClientsUpdate
} from '../../tests/support/hostile-payloads';

export interface AttackContext {
	url: string;
	wsBase: string;
	until: number;
	/**
	 * The honest pair of the program this attack targets (mentor, mentee): who they are, and a
	 * way to make one reconnect (the phones live in the driver's phone threads, phones.ts; the
	 * attack may run in a worker thread of its own, attacker.ts).
	 */
	victims: [Victim, Victim];
	victimProgramId: string;
	organizationId: string;
	bigProgramId: string;
	titleProgramId: string;
	attackerId: string;
	curatorCookie: string;
	/** Open file descriptors this process may still use (the slow-connection attack scales to it). */
	fdBudget: number;
	token(userId: string, programId: string, access?: 'rw' | 'ro'): string;
	note(text: string): void;
}

/** What an attack knows of an honest phone, and what it can make it do. */
export interface Victim {
	userId: string;
	/** Its document's Yjs client id. */
	clientId: number;
	/** The phone reconnects, as a phone does when it changes networks. */
	reconnect(): void;
}

export interface Attack {
	id: string;
	title: string;
	/**
	 * Runs in a process of its own (scripts/bench-abuse/attacker.ts), from loopback addresses of
	 * its own (127.0.1.0 and up; the honest phones and the /healthz probe use 127.0.0.1): the
	 * attacker's CPU is then neither the honest clients' nor the server's, and is reported apart.
	 */
	ownProcess?: true;
	run(ctx: AttackContext): Promise<void>;
}

/** The n-th attacker address (127.0.1.0 …): a client of its own, as a remote attacker would be. */
export function attackerAddress(n: number): string {
	return `127.0.${1 + Math.floor(n / 256)}.${n % 256}`;
}

/** "TypeError: fetch failed (ECONNREFUSED …)": a request error with its cause, for the notes. */
export function describeError(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
	return `${error.name}: ${error.message}${cause}`.slice(0, 160);
}

/** One POST on a new connection from `localAddress`: the status, or the error's code. */
function postFrom(
	url: URL,
	localAddress: string,
	body: string,
	timeoutMs: number
): Promise<string> {
	return new Promise((resolve) => {
		const req = httpRequest(
			url,
			{
				method: 'POST',
				localAddress,
				agent: false,
				timeout: timeoutMs,
				headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
			},
			(res) => {
				res.resume();
				res.on('end', () => resolve(String(res.statusCode)));
				res.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
			}
		);
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
		req.end(body);
	});
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const left = (ctx: AttackContext) => ctx.until - performance.now();

/** A raw relay connection that mirrors the document it is sent (an attacker's own client). */
class Raw {
	readonly doc = new Y.Doc();
	closeCode: number | null = null;
	private synced: Promise<void>;

	private constructor(readonly ws: WebSocket) {
		let done = () => undefined as void;
		this.synced = new Promise<void>((r) => (done = r));
		ws.on('message', (data: Buffer) => {
			const bytes = new Uint8Array(data);
			if (bytes[0] !== MESSAGE_SYNC) return;
			const d = decoding.createDecoder(bytes);
			decoding.readVarUint(d);
			const kind = decoding.readVarUint(d);
			if (kind !== SYNC_STEP2 && kind !== SYNC_UPDATE) return;
			try {
				Y.applyUpdate(this.doc, decoding.readVarUint8Array(d));
			} catch {
				// what others forwarded may not apply: the attacker does not care
			}
			if (kind === SYNC_STEP2) done();
		});
		ws.on('close', (code) => (this.closeCode = code));
		ws.on('error', () => undefined);
	}

	static open(url: string, timeoutMs = 5000): Promise<Raw | null> {
		return new Promise((resolve) => {
			const ws = new WebSocket(url);
			const timer = setTimeout(() => {
				ws.terminate();
				resolve(null);
			}, timeoutMs);
			ws.on('open', () => {
				clearTimeout(timer);
				resolve(new Raw(ws));
			});
			ws.on('error', () => {
				clearTimeout(timer);
				resolve(null);
			});
		});
	}

	get open(): boolean {
		return this.ws.readyState === WebSocket.OPEN;
	}

	send(bytes: Uint8Array): void {
		if (this.open) this.ws.send(bytes);
	}

	/** Sync step 1 with an empty state vector; resolves when the server's step 2 was applied. */
	async sync(timeoutMs = 10_000): Promise<boolean> {
		this.send(encodeSyncStep1(new Uint8Array([0])));
		return Promise.race([this.synced.then(() => true), sleep(timeoutMs).then(() => false)]);
	}

	close(): void {
		this.ws.terminate();
		this.doc.destroy();
	}
}

const relayUrl = (
	ctx: AttackContext,
	programId: string,
	userId: string,
	access: 'rw' | 'ro' = 'rw'
) => `${ctx.wsBase}/${programId}?token=${ctx.token(userId, programId, access)}`;

/** Keeps one attacker connection open (reopening it when the server closed it) and counts closes. */
async function withAttacker(
	ctx: AttackContext,
	programId: string,
	every: number,
	step: (raw: Raw, n: number) => Promise<void> | void,
	userId = `attacker-${programId}`
): Promise<void> {
	let raw: Raw | null = null;
	const closes = new Map<number, number>();
	let n = 0;
	while (left(ctx) > 0) {
		if (!raw || !raw.open) {
			if (raw?.closeCode != null) closes.set(raw.closeCode, (closes.get(raw.closeCode) ?? 0) + 1);
			raw?.close();
			raw = await Raw.open(relayUrl(ctx, programId, userId));
			if (raw) await raw.sync(Math.min(10_000, Math.max(100, left(ctx))));
		}
		if (raw?.open) await step(raw, n++);
		await sleep(Math.min(every, Math.max(0, left(ctx))));
	}
	raw?.close();
	ctx.note(
		`${n} rounds; attacker closed by the server: ${closes.size ? [...closes].map(([c, k]) => `${c}×${k}`).join(', ') : 'never'}`
	);
}

/** The honest phone reconnects, as a phone does when it changes networks. */
function reconnect(c: Victim): void {
	c.reconnect();
}

type Answer = { ms: number; status: number; body: Buffer } | { error: string };

/** A curator's GET, timed; an error when it did not answer before the window ended. */
async function curatorGet(ctx: AttackContext, path: string, minMs = 1000): Promise<Answer> {
	const t0 = performance.now();
	try {
		const r = await fetch(`${ctx.url}${path}`, {
			headers: { cookie: ctx.curatorCookie },
			signal: AbortSignal.timeout(Math.round(Math.max(minMs, left(ctx))))
		});
		const body = Buffer.from(await r.arrayBuffer());
		return { ms: performance.now() - t0, status: r.status, body };
	} catch (error) {
		await sleep(250); // a refused request must not turn the loop into a busy loop
		return { error: describeError(error) };
	}
}

function summary(name: string, xs: Answer[]): string {
	const done = xs.filter((x) => 'status' in x);
	const failed = xs.filter((x) => 'error' in x);
	const statuses = [...new Set(done.map((x) => x.status))].join('/');
	const worst = Math.max(0, ...done.map((x) => x.ms));
	const mean = done.reduce((a, x) => a + x.ms, 0) / Math.max(1, done.length);
	return `${name}: ${done.length} answered (HTTP ${statuses || '—'}), mean ${(mean / 1000).toFixed(1)} s, worst ${(worst / 1000).toFixed(1)} s${failed.length ? `, ${failed.length} unanswered (${failed[0]?.error})` : ''}`;
}

/** Payloads that cost the driver seconds to build, built before any window (not billed to one). */
let spreadsheet: Buffer | null = null;
export async function preparePayloads(): Promise<void> {
	spreadsheet ??= await xfdSpreadsheet();
}

export const ATTACKS: Attack[] = [
	{
		id: 'deep-json',
		title:
			'update with JSON content nested 5,000 deep (10 KB; less if the relay refuses that), then sync step 1; partner reconnects',
		async run(ctx) {
			// The issue's 5,000 levels, or the deepest the relay accepts (a refusal closes 4400).
			const depths = [5000, 4500, 4000, 3500, 3000, 2500];
			let level = 0;
			let lastClose = 0;
			await withAttacker(ctx, ctx.victimProgramId, 2000, async (raw) => {
				const depth = depths[level] as number;
				const client = 700_000_000 + Math.floor(Math.random() * 100_000_000);
				raw.send(encodeSyncUpdate(deepAnyUpdate(client, depth)));
				await sleep(300);
				if (!raw.open) {
					lastClose = raw.closeCode ?? 0;
					if (lastClose === 4400 && level < depths.length - 1) level++;
					return;
				}
				// Sync step 1 whose state vector covers the stored base, the deep struct included.
				const sv = decodeStateVector(Y.encodeStateVector(raw.doc));
				sv.set(client, 1);
				raw.send(encodeSyncStep1(encodeStateVector(sv)));
				reconnect(ctx.victims[1]);
			});
			ctx.note(
				`deepest content sent: ${depths[level]} levels${lastClose ? ` (deeper: closed ${lastClose})` : ''}`
			);
		}
	},
	{
		id: 'reverse-order',
		title: "a writer's two updates in reverse order, then the partner reconnects",
		run: (ctx) =>
			withAttacker(
				ctx,
				ctx.victimProgramId,
				2000,
				async (raw) => {
					const [u1, u2] = consecutiveUpdates();
					raw.send(encodeSyncUpdate(u2));
					raw.send(encodeSyncUpdate(u1));
					await sleep(300);
					reconnect(ctx.victims[1]);
				},
				ctx.victims[0].userId
			)
	},
	{
		id: 'claim-client-id',
		title: "structs under the partner's client id (seen in presence), partner reconnects",
		run: (ctx) =>
			withAttacker(ctx, ctx.victimProgramId, 1000, (raw, n) => {
				const victim = ctx.victims[1];
				raw.send(
					encodeSyncUpdate(claimClientIdUpdate(Y.encodeStateAsUpdate(raw.doc), victim.clientId, n))
				);
				if (n % 5 === 4) reconnect(victim);
			})
	},
	{
		id: 'awareness-storm',
		title: 'quick joins of one program with a read-only token (query-awareness storm), ~100/s',
		async run(ctx) {
			let joins = 0;
			let refused = 0;
			while (left(ctx) > 0) {
				const batch = await Promise.all(
					Array.from({ length: 10 }, () =>
						Raw.open(relayUrl(ctx, ctx.victimProgramId, `observer-${joins++ % 50}`, 'ro'), 2000)
					)
				);
				for (const raw of batch) {
					if (!raw) refused++;
					else raw.send(encodeSyncStep1(new Uint8Array([0])));
				}
				await sleep(100);
				for (const raw of batch) raw?.close();
			}
			ctx.note(`${joins} joins, ${refused} refused or timed out`);
		}
	},
	{
		id: 'many-client-ids',
		title: 'a 250 KB update carrying structs of 10,000 client ids, every 3 s',
		run: (ctx) =>
			withAttacker(ctx, ctx.victimProgramId, 3000, (raw, n) => {
				const u = manyClientsUpdate(10_000, 1_000_000 + n * 10_000, 'x'.repeat(8));
				raw.send(encodeSyncUpdate(u));
			})
	},
	{
		id: 'big-awareness',
		title: 'awareness nested 10,000 deep, 2 MB, from a writer and from a read-only connection, 2/s',
		async run(ctx) {
			const state = deepAwarenessState();
			const rw = await Raw.open(
				relayUrl(ctx, ctx.victimProgramId, `attacker-${ctx.victimProgramId}`)
			);
			const ro = await Raw.open(relayUrl(ctx, ctx.victimProgramId, 'observer-ro', 'ro'));
			let sent = 0;
			for (let clock = 1; left(ctx) > 0; clock++) {
				const conn = clock % 2 ? rw : ro;
				conn?.send(awarenessMessage([[clock % 2 ? 424242 : 434343, clock, state]]));
				if (conn?.open) sent++;
				await sleep(Math.min(500, Math.max(0, left(ctx))));
			}
			ctx.note(
				`${sent} messages of ${(state.length / 1048576).toFixed(1)} MB sent; writer closed ${rw?.closeCode ?? 'no'}, read-only closed ${ro?.closeCode ?? 'no'}`
			);
			rw?.close();
			ro?.close();
		}
	},
	{
		id: 'big-program',
		title: 'twelve 1.8 MiB messages grow a program to ~22 MiB, then curator view/export of it',
		async run(ctx) {
			// The growth is the attack's first half whatever the window: on a loaded machine it
			// can take longer than the window, which then stretches (the report covers it all).
			let raw: Raw | null = null;
			let tries = 0;
			while (!raw && tries < 5) {
				tries++;
				raw = await Raw.open(relayUrl(ctx, ctx.bigProgramId, ctx.attackerId), 10_000);
			}
			const synced = raw ? await raw.sync(60_000) : false;
			ctx.note(`attacker connected after ${tries} tries, synced: ${synced ? 'yes' : 'no'}`);
			let accepted = 0;
			for (let i = 0; i < 12 && raw?.open; i++) {
				raw.send(encodeSyncUpdate(bigTextUpdate(raw.doc, 1.8 * 1024 * 1024)));
				accepted++;
				await sleep(300);
			}
			ctx.note(`${accepted} big messages sent, attacker closed ${raw?.closeCode ?? 'no'}`);
			raw?.close();
			await sleep(1000);
			const views: Answer[] = [];
			const exports: Answer[] = [];
			// At least one view and one export, each given 30 s when the window is already over.
			for (let i = 0; left(ctx) > 0 || i < 2; i++) {
				const path = `/api/curator/programs/${ctx.bigProgramId}`;
				if (i % 2 === 0) views.push(await curatorGet(ctx, path, 30_000));
				else exports.push(await curatorGet(ctx, `${path}/document?format=docx`, 30_000));
			}
			ctx.note(summary('view', views));
			ctx.note(summary('export', exports));
		}
	},
	{
		id: 'xlsx-import',
		title: 'import of a ~47 KB XLSX with one cell in column XFD (dry run)',
		async run(ctx) {
			await preparePayloads();
			const file = spreadsheet as Buffer;
			const t0 = performance.now();
			let result = 'unanswered';
			try {
				const r = await fetch(`${ctx.url}/api/organizations/${ctx.organizationId}/import`, {
					method: 'POST',
					headers: { cookie: ctx.curatorCookie, 'content-type': 'application/json' },
					body: JSON.stringify({
						fileName: 'people.xlsx',
						content: file.toString('base64'),
						dryRun: true
					}),
					signal: AbortSignal.timeout(Math.round(Math.max(1000, left(ctx))))
				});
				await r.arrayBuffer();
				result = `${r.status} in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
			} catch (error) {
				result = `no answer after ${((performance.now() - t0) / 1000).toFixed(0)} s (${describeError(error)})`;
			}
			ctx.note(`${(file.length / 1024).toFixed(0)} KB file: ${result}`);
			await sleep(Math.max(0, left(ctx)));
		}
	},
	{
		id: 'slow-connections',
		title:
			'slow HTTP connections (a header line every 5 s), as many as the fd limit allows, 400 per address',
		ownProcess: true,
		async run(ctx) {
			const target = Math.min(20_000, ctx.fdBudget);
			const url = new URL(ctx.url);
			const sockets: net.Socket[] = [];
			const errors = new Map<string, number>();
			let connected = 0;
			let closedByServer = 0;
			for (let i = 0; i < target && left(ctx) > 0; i++) {
				// 400 per address: below the per-address cap (500), so the global cap is what they meet.
				const s = net.connect({
					port: Number(url.port),
					host: url.hostname,
					localAddress: attackerAddress(Math.floor(i / 400))
				});
				s.on('connect', () => {
					connected++;
					s.write(`GET / HTTP/1.1\r\nHost: ${url.host}\r\n`);
				});
				s.on('error', (e: NodeJS.ErrnoException) =>
					errors.set(e.code ?? e.message, (errors.get(e.code ?? e.message) ?? 0) + 1)
				);
				s.on('close', () => closedByServer++);
				sockets.push(s);
				if (i % 500 === 499) await sleep(50);
			}
			const drip = setInterval(() => {
				for (const s of sockets) if (!s.destroyed) s.write('X-Slow: 1\r\n');
			}, 5000);
			await sleep(Math.max(0, left(ctx)));
			clearInterval(drip);
			const open = sockets.filter((s) => !s.destroyed).length;
			for (const s of sockets) s.destroy();
			ctx.note(
				`${target} of 20,000 (fd limit) from ${Math.ceil(target / 400)} addresses, ${connected} connected, ${open} still open at the end; errors ${errors.size ? [...errors].map(([k, v]) => `${k}×${v}`).join(', ') : 'none'}; ${closedByServer} closed`
			);
		}
	},
	{
		id: 'parallel-logins',
		title:
			'400 password logins always in flight, each client from its own address (unknown logins, wrong passwords)',
		ownProcess: true,
		async run(ctx) {
			const statuses = new Map<string, number>();
			const url = new URL(`${ctx.url}/api/login`);
			let sent = 0;
			// Not in waves: a wave waits for its slowest sign-in (a queued password check), so 400
			// clients that each send again as soon as they are answered keep the pressure constant.
			await Promise.all(
				Array.from({ length: 400 }, async (_, i) => {
					while (left(ctx) > 0) {
						sent++;
						const k = await postFrom(
							url,
							attackerAddress(i),
							JSON.stringify({ login: `nobody${sent}x${i}`, password: 'wrong-password-123' }),
							Math.round(Math.max(1000, left(ctx)))
						);
						statuses.set(k, (statuses.get(k) ?? 0) + 1);
						if (!/^\d+$/.test(k)) await sleep(250);
					}
				})
			);
			ctx.note(
				`${sent} sign-ins sent; answers ${[...statuses].map(([k, v]) => `${k}×${v}`).join(', ')}`
			);
		}
	},
	{
		id: 'title-fffe',
		title: 'a title with U+FFFE, then organization-wide XLSX/DOCX exports',
		async run(ctx) {
			const raw = await Raw.open(relayUrl(ctx, ctx.titleProgramId, ctx.attackerId));
			if (raw && (await raw.sync()))
				raw.send(encodeSyncUpdate(hostileTitleUpdate(Y.encodeStateAsUpdate(raw.doc), 1)));
			ctx.note(
				`title sent: ${raw?.open ? 'yes' : 'no'}${raw?.closeCode ? `, attacker closed ${raw.closeCode}` : ''}`
			);
			await sleep(3000); // the summary that feeds the exports is debounced (2 s)
			raw?.close();
			const org = `/api/curator/organizations/${ctx.organizationId}/exports`;
			const results: Answer[] = [];
			let lastXlsx: Buffer | null = null;
			for (let i = 0; left(ctx) > 0; i++) {
				const path = [
					`${org}/monitoring.xlsx`,
					`${org}/registries.xlsx`,
					`${org}/note?format=docx`
				][i % 3] as string;
				const r = await curatorGet(ctx, path);
				results.push(r);
				if ('status' in r && i % 3 === 0 && r.status === 200) lastXlsx = r.body;
			}
			ctx.note(summary('exports', results));
			if (lastXlsx) {
				try {
					const wb = new ExcelJS.Workbook();
					await wb.xlsx.load(lastXlsx as unknown as ExcelJS.Buffer);
					let fffe = 0;
					wb.eachSheet((ws) =>
						ws.eachRow((row) =>
							row.eachCell((cell) => {
								if (String(cell.value ?? '').includes('\uFFFE')) fffe++;
							})
						)
					);
					ctx.note(`monitoring.xlsx reads back with exceljs; cells holding U+FFFE: ${fffe}`);
				} catch (error) {
					ctx.note(
						`monitoring.xlsx does not read back: ${error instanceof Error ? error.message.slice(0, 80) : String(error)}`
					);
				}
			}
		}
	}
];
