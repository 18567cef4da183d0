/**
 * Test doubles for the relay's unit tests (*.test.ts beside the code): a fake clock, an
 * in-memory socket, an in-memory DocumentStore and a relay on them (fakeClockRelay). For unit
 * tests ONLY: the integration suite runs the relay over real websockets and the real databases.
 */
import * as decoding from 'lib0/decoding';
import { Registry } from 'prom-client';
import * as Y from 'yjs';
import type { Access } from '../auth/tokens.js';
import { createLogger } from '../logger.js';
import type {
	CompactionOutcome,
	AppendedUpdate,
	DeviceSyncFacts,
	DeviceSyncRecord,
	DocumentStore,
	ProgramRecord,
	StoredDocument,
	StoredSummary
} from '../storage/document-store.js';
import { mergeVerified } from '../storage/update-containment.js';
import type { Clock, TimerHandle } from './clock.js';
import {
	MESSAGE_ACK,
	MESSAGE_AWARENESS,
	MESSAGE_QUERY_AWARENESS,
	MESSAGE_SYNC,
	SYNC_STEP1,
	SYNC_STEP2,
	SYNC_UPDATE,
	readAck
} from './protocol.js';
import { createRelay, type AttachedSession, type Relay, type RelayOptions } from './relay.js';
import type { SessionSocket } from './session.js';
import { DEFAULT_RELAY_CONFIG, type RelayConfig } from './config.js';

/**
 * The relay's defaults for tests on the fake clock, which move time only when told: commits on
 * the next turn, as with no gap between commits (the gap has its own tests in
 * commit-queue.test.ts; the integration suite runs the relay with its real defaults).
 */
export const FAKE_CLOCK_RELAY_CONFIG: RelayConfig = { ...DEFAULT_RELAY_CONFIG, commitGapMs: 0 };

interface FakeTimer {
	id: number;
	at: number;
	fn: () => void;
}

/** Lets promises already resolved run (one real macrotask turn; not a sleep). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Time that moves only when the test says so. */
export class FakeClock implements Clock {
	private timers: FakeTimer[] = [];
	private deferred: Array<() => void> = [];
	private nextId = 1;

	constructor(public time = Date.parse('2026-09-01T09:00:00Z')) {}

	now = (): number => this.time;
	monotonic = (): number => this.time;

	setTimeout(fn: () => void, ms: number): TimerHandle {
		const timer = { id: this.nextId++, at: this.time + Math.max(0, ms), fn };
		this.timers.push(timer);
		return timer as unknown as TimerHandle;
	}

	clearTimeout(handle: TimerHandle | null): void {
		if (handle) this.timers = this.timers.filter((t) => t !== (handle as unknown as FakeTimer));
	}

	defer(fn: () => void): void {
		this.deferred.push(fn);
	}

	yield(): Promise<void> {
		return Promise.resolve();
	}

	/** Timers still armed. */
	get pendingTimers(): number {
		return this.timers.length;
	}

	/** Runs deferred work and settled promises until nothing more happens without time moving. */
	async settle(): Promise<void> {
		for (let i = 0; i < 1000; i++) {
			await turn();
			if (this.deferred.length === 0) {
				await turn();
				if (this.deferred.length === 0) return;
			}
			const run = this.deferred;
			this.deferred = [];
			for (const fn of run) fn();
		}
		throw new Error('FakeClock.settle: work keeps coming');
	}

	/** Moves time forward by `ms`, firing due timers in order (and settling after each). */
	async advance(ms: number): Promise<void> {
		const until = this.time + ms;
		await this.settle();
		for (;;) {
			const due = this.timers
				.filter((t) => t.at <= until)
				.sort((a, b) => a.at - b.at || a.id - b.id)[0];
			if (!due) break;
			this.timers = this.timers.filter((t) => t !== due);
			this.time = Math.max(this.time, due.at);
			due.fn();
			await this.settle();
		}
		this.time = until;
		await this.settle();
	}
}

export type SentMessage =
	| { kind: 'step1' | 'step2' | 'update'; payload: Uint8Array }
	| { kind: 'ack'; persistedCount: number }
	| { kind: 'awareness' | 'query-awareness' | 'other' };

export function describeMessage(message: Uint8Array): SentMessage {
	const d = decoding.createDecoder(message);
	const type = decoding.readVarUint(d);
	if (type === MESSAGE_SYNC) {
		const sub = decoding.readVarUint(d);
		const payload = decoding.readVarUint8Array(d);
		const kind = sub === SYNC_STEP1 ? 'step1' : sub === SYNC_STEP2 ? 'step2' : 'update';
		if (sub !== SYNC_STEP1 && sub !== SYNC_STEP2 && sub !== SYNC_UPDATE) return { kind: 'other' };
		return { kind, payload };
	}
	if (type === MESSAGE_ACK) return { kind: 'ack', persistedCount: readAck(d).persistedCount };
	if (type === MESSAGE_AWARENESS) return { kind: 'awareness' };
	if (type === MESSAGE_QUERY_AWARENESS) return { kind: 'query-awareness' };
	return { kind: 'other' };
}

/** One end of an in-memory transport: records what the relay sends and how it closes. */
export class FakeSocket implements SessionSocket {
	readonly sent: Uint8Array[] = [];
	closedWith: { code: number; reason: string } | null = null;
	terminated = false;
	pings = 0;
	private onClosed: Array<() => void> = [];
	/** Called when the relay closes or terminates the socket (the transport's close event). */
	onClose: (() => void) | null = null;

	send(message: Uint8Array): void {
		if (this.isClosed) return;
		this.sent.push(message);
	}

	close(code: number, reason: string): void {
		if (this.isClosed) return;
		this.closedWith = { code, reason };
		this.finish();
	}

	terminate(): void {
		if (this.terminated) return;
		this.terminated = true;
		this.finish();
	}

	ping(): void {
		this.pings++;
	}

	closed(): Promise<void> {
		if (this.isClosed) return Promise.resolve();
		return new Promise((resolve) => this.onClosed.push(resolve));
	}

	get isClosed(): boolean {
		return this.closedWith !== null || this.terminated;
	}

	/** What was sent, decoded. */
	messages(): SentMessage[] {
		return this.sent.map(describeMessage);
	}

	kinds(): string[] {
		return this.messages().map((m) => m.kind);
	}

	acks(): number[] {
		return this.messages().flatMap((m) => (m.kind === 'ack' ? [m.persistedCount] : []));
	}

	private finish() {
		const waiting = this.onClosed;
		this.onClosed = [];
		for (const resolve of waiting) resolve();
		const onClose = this.onClose;
		this.onClose = null;
		onClose?.();
	}
}

/** A controllable gate: `append` waits on it while it is held. */
interface Gate {
	promise: Promise<void>;
	open(): void;
	fail(error: Error): void;
}

function gate(): Gate {
	let open!: () => void;
	let fail!: (e: Error) => void;
	const promise = new Promise<void>((resolve, reject) => {
		open = resolve;
		fail = reject;
	});
	return { promise, open, fail };
}

/** DocumentStore in memory, with appends that a test can hold (not durable yet) or fail. */
export class MemoryDocumentStore implements DocumentStore {
	readonly programs = new Map<string, ProgramRecord>();
	private readonly logs = new Map<string, Array<{ seq: number; data: Uint8Array }>>();
	private readonly states = new Map<string, { state: Uint8Array; throughSeq: number }>();
	private readonly owners = new Map<string, Map<number, string>>();
	readonly facts: DeviceSyncFacts[] = [];
	readonly summaries = new Map<string, StoredSummary>();
	/** Every summary write, in order. */
	readonly summaryWrites: StoredSummary[] = [];
	readonly appendCalls: AppendedUpdate[][] = [];
	private seq = 0;
	private held: Gate | null = null;
	private loadsHeld: Gate | null = null;

	async programExists(programId: string): Promise<boolean> {
		return this.programs.has(programId);
	}

	async createProgram(programId: string, organizationId: string | null = null) {
		const record = { id: programId, organizationId, createdAt: new Date(0).toISOString() };
		this.programs.set(programId, record);
		return record;
	}

	/** Holds every append until `release()` (or `failHeld()`). */
	hold(): void {
		this.held ??= gate();
	}

	release(): void {
		this.held?.open();
		this.held = null;
	}

	failHeld(error = new Error('disk full')): void {
		this.held?.fail(error);
		this.held = null;
	}

	/** Holds every load until `releaseLoads()` (a program that takes long to load). */
	holdLoads(): void {
		this.loadsHeld ??= gate();
	}

	releaseLoads(): void {
		this.loadsHeld?.open();
		this.loadsHeld = null;
	}

	async load(programId: string): Promise<StoredDocument> {
		const held = this.loadsHeld;
		if (held) await held.promise;
		const state = this.states.get(programId);
		const rows = this.logs.get(programId) ?? [];
		return {
			state: state?.state ?? null,
			stateVector: state ? Y.encodeStateVectorFromUpdate(state.state) : null,
			updates: rows.map((r) => r.data),
			lastSeq: rows.at(-1)?.seq ?? state?.throughSeq ?? 0,
			clientOwners: [...(this.owners.get(programId) ?? new Map<number, string>())]
		};
	}

	async append(updates: AppendedUpdate[], facts: DeviceSyncFacts[] = []): Promise<number[]> {
		this.appendCalls.push(updates);
		const held = this.held;
		if (held) await held.promise;
		const seqs: number[] = [];
		for (const u of updates) {
			const seq = ++this.seq;
			const log = this.logs.get(u.programId) ?? [];
			log.push({ seq, data: u.data });
			this.logs.set(u.programId, log);
			const owners = this.owners.get(u.programId) ?? new Map<number, string>();
			for (const c of u.claims?.clientIds ?? [])
				if (!owners.has(c)) owners.set(c, u.claims?.userId ?? '');
			this.owners.set(u.programId, owners);
			seqs.push(seq);
		}
		this.facts.push(...facts);
		return seqs;
	}

	async compact(
		programId: string,
		merged: Uint8Array | null,
		_sv: Uint8Array | null,
		throughSeq: number
	): Promise<CompactionOutcome> {
		// Same contract as the SQL stores: merge and verify the stored parts, or replace nothing.
		const current = this.states.get(programId);
		const rows = (this.logs.get(programId) ?? []).filter((r) => r.seq <= throughSeq);
		if (rows.length === 0) return { status: 'skipped' };
		const verdict = mergeVerified({
			parts: [...(current ? [current.state] : []), ...rows.map((r) => r.data)],
			candidate: merged
		});
		if (!verdict.ok) return { status: 'refused', reason: verdict.reason, detail: verdict.detail };
		this.states.set(programId, {
			state: verdict.merged,
			throughSeq: Math.max(current?.throughSeq ?? 0, throughSeq)
		});
		this.logs.set(
			programId,
			(this.logs.get(programId) ?? []).filter((r) => !rows.includes(r))
		);
		return { status: 'compacted', bytes: verdict.merged.length, rows: rows.length };
	}

	async logLength(programId: string): Promise<number> {
		return this.logs.get(programId)?.length ?? 0;
	}

	async saveFacts(facts: DeviceSyncFacts[]): Promise<void> {
		this.facts.push(...facts);
	}

	async getFacts(): Promise<DeviceSyncRecord[]> {
		return [];
	}

	async saveSummary(summary: StoredSummary): Promise<void> {
		this.summaries.set(summary.programId, summary);
		this.summaryWrites.push(summary);
	}

	async saveSummaries(summaries: StoredSummary[]): Promise<void> {
		for (const s of summaries) await this.saveSummary(s);
	}

	async getSummary(programId: string): Promise<StoredSummary | null> {
		return this.summaries.get(programId) ?? null;
	}
}

/** Who a test connection is; by default the mentor's phone `u1`, asking for acknowledgements. */
export interface FakePerson {
	userId?: string;
	access?: Access;
	/** The device id the facts are stored under (default `<userId>-phone`); null: none sent. */
	device?: string | null;
	wantsAcks?: boolean;
}

/** Attaches an in-memory connection of `person` to a program (or a decisions document). */
export function attachPhone(
	relay: Relay,
	clock: FakeClock,
	programId: string,
	{ userId = 'u1', access = 'rw', device = `${userId}-phone`, wantsAcks = true }: FakePerson = {}
): { socket: FakeSocket; attached: AttachedSession } {
	const socket = new FakeSocket();
	const attached = relay.attach(socket, {
		programId,
		grant: { userId, access, expiresAt: clock.now() + 3_600_000 },
		ip: '10.0.0.1',
		device,
		wantsAcks
	});
	socket.onClose = attached.closed;
	return { socket, attached };
}

export interface FakeClockRelayOptions<S extends DocumentStore> extends Partial<
	Omit<RelayOptions, 'store' | 'config' | 'clock'>
> {
	/** Default: a new MemoryDocumentStore. */
	store?: S;
	/** Default: a new FakeClock (pass one when the store needs it first). */
	clock?: FakeClock;
	/** Settings over FAKE_CLOCK_RELAY_CONFIG. */
	config?: Partial<RelayConfig>;
}

/**
 * A relay for unit tests: on a fake clock, over an in-memory store, with its own metrics and a
 * silent log; connections are attached directly (attachPhone), so every HTTP upgrade is refused.
 * The caller closes it.
 */
export function fakeClockRelay<S extends DocumentStore = MemoryDocumentStore>(
	options: FakeClockRelayOptions<S> = {}
): { relay: Relay; clock: FakeClock; store: S; registry: Registry } {
	const { store = new MemoryDocumentStore() as DocumentStore as S, clock = new FakeClock() } =
		options;
	const registry = options.registry ?? new Registry();
	const relay = createRelay({
		authorize: async () => ({ deny: 'unauthenticated' }),
		logger: createLogger('silent'),
		...options,
		registry,
		store,
		clock,
		config: { ...FAKE_CLOCK_RELAY_CONFIG, ...options.config }
	});
	return { relay, clock, store, registry };
}

/** The `relay_summary_docs` gauge (summary-docs.ts stats) of a relay's registry, by stat. */
export async function summaryDocsStats(registry: Registry): Promise<Record<string, number>> {
	const metric = await registry.getSingleMetric('relay_summary_docs')?.get();
	return Object.fromEntries((metric?.values ?? []).map((v) => [v.labels.stat, v.value]));
}
