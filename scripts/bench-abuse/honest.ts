/**
 * The honest pairs of `npm run bench:abuse`: per program a mentor's and a mentee's phone, each a
 * stock y-websocket 3 client that edits once a second (a few typed characters and its edit number
 * in a map). The partner measures edit → received (stats.ts: edits never received count as ∞).
 */
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { token } from './server';
import { Link } from './stats';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface HonestClient {
	name: 'mentor' | 'mentee';
	userId: string;
	programId: string;
	/** Edits this client sends (to its partner). */
	out: Link;
	/** Edits its partner sends (to this client). */
	in: Link;
	doc: Y.Doc;
	provider: WebsocketProvider;
	next: number;
}

export interface Pair {
	programId: string;
	clients: [HonestClient, HonestClient];
}

export class HonestPairs {
	readonly pairs: Pair[] = [];
	/** Closes with a code y-websocket 3 treats as final (4400–4499): time and code. */
	readonly finalCloses: Array<{ t: number; code: number; programId: string }> = [];
	private wsBase: string;
	private ticker: NodeJS.Timeout | null = null;

	constructor(wsBase: string, programIds: string[]) {
		this.wsBase = wsBase;
		for (const programId of programIds) {
			const ab = new Link();
			const ba = new Link();
			const mk = (name: 'mentor' | 'mentee', out: Link, inn: Link) =>
				this.connect({
					name,
					userId: `${name}-${programId}`,
					programId,
					out,
					in: inn,
					next: 0
				});
			this.pairs.push({ programId, clients: [mk('mentor', ab, ba), mk('mentee', ba, ab)] });
		}
	}

	private connect(c: Omit<HonestClient, 'doc' | 'provider'>): HonestClient {
		const doc = new Y.Doc();
		const provider = new WebsocketProvider(this.wsBase, c.programId, doc, {
			WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
			params: { token: token(c.userId, c.programId) },
			disableBc: true
		});
		const client: HonestClient = { ...c, doc, provider };
		const partner = c.name === 'mentor' ? 'mentee' : 'mentor';
		const edits = doc.getMap<number>('bench-edits');
		edits.observe((event, tr) => {
			if (tr.local || !event.keysChanged.has(partner)) return;
			const seq = edits.get(partner);
			if (seq !== undefined) client.in.see(seq, performance.now());
		});
		provider.on('connection-close', (event) => {
			const code = event?.code ?? 0;
			if (code >= 4400 && code < 4500)
				this.finalCloses.push({ t: performance.now(), code, programId: c.programId });
		});
		return client;
	}

	/** Replaces a client by a fresh phone (new document) on the current server. */
	private replace(pair: Pair, i: 0 | 1): void {
		const old = pair.clients[i];
		old.provider.destroy();
		old.doc.destroy();
		const { doc: _d, provider: _p, ...rest } = old;
		pair.clients[i] = this.connect(rest);
	}

	/** All phones anew on a new server (after a crash the old documents may carry the poison). */
	resetAll(wsBase: string): void {
		this.wsBase = wsBase;
		for (const p of this.pairs) {
			this.replace(p, 0);
			this.replace(p, 1);
		}
	}

	/** Fresh phones for one program (an attack's victim) and for every phone that stopped for good. */
	repair(victimProgramId: string | null): number {
		let n = 0;
		for (const p of this.pairs) {
			for (const i of [0, 1] as const) {
				const c = p.clients[i];
				if (p.programId === victimProgramId || !c.provider.shouldConnect) {
					this.replace(p, i);
					n++;
				}
			}
		}
		return n;
	}

	pair(programId: string): Pair {
		const p = this.pairs.find((x) => x.programId === programId);
		if (!p) throw new Error(`no honest pair on ${programId}`);
		return p;
	}

	async waitSynced(timeoutMs = 90_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const missing = this.pairs.flatMap((p) => p.clients).filter((c) => !c.provider.synced);
			if (missing.length === 0) return;
			if (Date.now() > deadline)
				throw new Error(`${missing.length} honest clients did not sync within ${timeoutMs} ms`);
			await sleep(200);
		}
	}

	/** Each phone edits once a second at its own phase. */
	startEditing(): void {
		const t0 = performance.now();
		for (const c of this.pairs.flatMap((p) => p.clients)) c.next = t0 + Math.random() * 1000;
		this.ticker = setInterval(() => {
			const now = performance.now();
			for (const p of this.pairs) {
				for (const c of p.clients) {
					if (c.next > now) continue;
					c.next += 1000;
					if (c.next < now) c.next = now + 1000; // the driver fell behind: no burst
					const seq = c.out.send(performance.now());
					c.doc.transact(() => {
						const t = c.doc.getText('notes');
						t.insert(Math.floor(Math.random() * (t.length + 1)), 'ab');
						c.doc.getMap<number>('bench-edits').set(c.name, seq);
					});
				}
			}
		}, 5);
	}

	/** Latencies of the edits sent in [from, to); `except`: leave out that program's pair. */
	latencies(from: number, to: number, asOf: number, except?: string): number[] {
		return this.pairs
			.filter((p) => p.programId !== except)
			.flatMap((p) => p.clients.flatMap((c) => c.out.latencies(from, to, asOf)));
	}

	finalClosesIn(from: number, to: number): number {
		return this.finalCloses.filter((f) => f.t >= from && f.t <= to).length;
	}

	destroy(): void {
		if (this.ticker) clearInterval(this.ticker);
		for (const c of this.pairs.flatMap((p) => p.clients)) {
			c.provider.destroy();
			c.doc.destroy();
		}
	}
}
