/**
 * The relay: y-websocket protocol on /sync/<programId>, durable (group commit before the
 * acknowledgement; the partner gets an update when it is validated, commits.ts), authenticated
 * at the upgrade, limited per connection, and small in memory (a loaded program is its merged
 * update bytes + state vector, no Y.Doc).
 *
 * This file only composes the parts (docs/relay.md, "Modules"): the byte-level room
 * (room.ts) held by the loaded rooms (rooms.ts); sessions (session.ts, connections.ts) and what
 * their messages do (receiver.ts); the group commit (commit-queue.ts, commits.ts); the upgrade
 * (upgrade.ts); server edits (server-edits.ts); and, through lifecycle hooks (hooks.ts), device
 * facts (facts.ts), summaries (summaries.ts) and other instances (cluster-bridge.ts).
 */
import type { IncomingMessage as HttpRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Registry } from 'prom-client';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type * as Y from 'yjs';
import type { Authorizer } from '../auth/authorize.js';
import type { Logger } from '../logger.js';
import type { DocumentStore } from '../storage/document-store.js';
import { createAwarenessRelay } from './awareness.js';
import { systemClock, type Clock } from './clock.js';
import { createClusterBridge, type ClusterLink } from './cluster-bridge.js';
import { createCommits } from './commits.js';
import {
	createDecisions,
	decisionsAuthorizer,
	decisionsHooks,
	type DecisionEdit
} from './decisions.js';
import { authorshipHooks } from './authorship.js';
import type { RelayConfig } from './config.js';
import { createConnections, type SessionRequest } from './connections.js';
import { createFactsRecorder } from './facts.js';
import { ALWAYS_LEAD, combineHooks, type Leadership, type RelayHooks } from './hooks.js';
import { AddressCounts } from './limits.js';
import { createRelayMetrics, type RelayMetrics } from './metrics.js';
import { CloseCode } from './protocol.js';
import { createMessageReceiver } from './receiver.js';
import { createRooms } from './rooms.js';
import {
	createServerEditor,
	type ServerEditAuthor,
	type ServerEditResult
} from './server-edits.js';
import { sessionCloser, type ConnectionInfo, type Session, type SessionSocket } from './session.js';
import { createSummaries, type SummaryTaskInput, type SummaryTaskOutput } from './summaries.js';
import { programSummary, type Summarizer } from './summary.js';
import { createSummaryDocs, KEPT_DOCUMENT_STALE_MS } from './summary-docs.js';
import { createUpgradeHandler } from './upgrade.js';
import { sendBinary } from './ws-send.js';

export { SYNC_PATH_PREFIX } from './upgrade.js';
export type { ConnectionInfo } from './session.js';
export type { ServerEditAuthor, ServerEditResult } from './server-edits.js';
export type { SummaryWriter } from './summaries.js';

export interface Relay {
	/** Handles an HTTP upgrade; returns false when the path is not /sync/… (caller answers 404). */
	handleUpgrade(request: HttpRequest, socket: Duplex, head: Buffer): boolean;
	/**
	 * Loads the program, runs `edit` on a transient Y.Doc inside one transaction whose origin is
	 * `userOrigin(author.userId)` (as ProgramEditor does), persists the resulting update, then broadcasts it like any client update.
	 * Resolves once the update is durable.
	 */
	applyServerEdit(
		programId: string,
		author: ServerEditAuthor,
		edit: (doc: Y.Doc, author: ServerEditAuthor) => void
	): Promise<ServerEditResult>;
	/**
	 * A decision (server/sync/decisions.ts): `edit` gets a snapshot of the program's co-written
	 * document and its decisions document; the decisions it writes are stored, acknowledged and
	 * broadcast to the phones that have the decisions document open. Only the server writes it.
	 */
	applyDecisionEdit(
		programId: string,
		author: ServerEditAuthor,
		edit: DecisionEdit
	): Promise<ServerEditResult>;
	/** The program's decisions document (merged update; legacy decisions imported first). */
	getDecisions(programId: string): Promise<Uint8Array>;
	/** Closes every live connection matching the predicate (e.g. a revoked session); returns how many. */
	closeWhere(predicate: (c: ConnectionInfo) => boolean, code: number, reason?: string): number;
	/**
	 * The open connections as they are now (not copies: the revocation watch reads them every
	 * second, and copying 2,000 of them each time showed in the relay's profile).
	 */
	connections(): ReadonlyArray<Readonly<ConnectionInfo>>;
	loadedPrograms(): string[];
	/** The persisted document (merged update) of a program, loading it transiently if needed. */
	getDocument(programId: string): Promise<Uint8Array>;
	/**
	 * The heap the summaries' kept documents are estimated to hold (bytes): live by design, so
	 * the memory relief does not count it as growth (server/memory/relief.ts).
	 */
	keptSummaryBytes(): number;
	/**
	 * Recomputes the summaries of these programs from their current documents and stores them
	 * (the curator's refresher: the calendar moved). The relay is the only writer of summaries.
	 */
	refreshSummaries(programIds: string[]): Promise<number>;
	/**
	 * Opens a session on an already authorized transport (the upgrade does this for websockets;
	 * unit tests use an in-memory socket). The caller counts `ip` in no per-address limit.
	 */
	attach(socket: SessionSocket, request: SessionRequest): AttachedSession;
	/** Persists everything queued (and pending device facts) now. */
	flush(): Promise<void>;
	/** Computes pending summaries now (tests, shutdown). */
	flushSummaries(): Promise<void>;
	/** Stops accepting, flushes, closes all connections with 1012, stops timers. */
	close(): Promise<void>;
	readonly metrics: RelayMetrics;
}

/** A session opened by `attach`, with the transport's events to feed it. */
export interface AttachedSession {
	readonly session: Session;
	receive(message: Uint8Array, binary?: boolean): void;
	pong(): void;
	/** The transport closed. */
	closed(): void;
}

export interface RelayOptions {
	store: DocumentStore;
	authorize: Authorizer;
	logger: Logger;
	registry: Registry;
	config: RelayConfig;
	summarize?: Summarizer;
	/** storage-safety: merges big documents off the event loop (the worker pool's 'merge'). */
	mergeTask?: (parts: Uint8Array[]) => Promise<Uint8Array>;
	/**
	 * storage-safety: summarizes big documents off the event loop (the worker pool's 'summary'),
	 * and those whose decoded form the kept documents leave no room for (summaries.ts, issue 18).
	 */
	summaryTask?: (input: SummaryTaskInput) => Promise<SummaryTaskOutput>;
	now?: () => number;
	/** Timers and time (default: the system clock with `now`); unit tests pass a fake one. */
	clock?: Clock;
	/** More lifecycle hooks, run after the relay's own (e.g. update validation: `beforeCommit`). */
	hooks?: RelayHooks[];
	/**
	 * Several instances (server/cluster, REDIS_URL): durable updates and awareness are published
	 * to the other instances and theirs delivered here; compaction and summaries of a program run
	 * on its leader only. Absent or disabled: a single instance, as before.
	 */
	cluster?: ClusterLink;
	/** The client's address as the server decides it (TRUSTED_PROXIES); default by hops. */
	clientAddress?: (request: HttpRequest) => string;
	/** Open connections per user, all devices and tabs (RELAY_MAX_CONNECTIONS_PER_USER); none when absent. */
	maxConnectionsPerUser?: number;
}

function toUint8(data: RawData): Uint8Array {
	if (Array.isArray(data)) return Buffer.concat(data);
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	return data;
}

/**
 * The small socket surface a session needs, over a `ws` WebSocket. A class, not an object of
 * closures: its methods live once on the prototype, where five closures and their context cost
 * every idle connection ~0.4 KB of heap (issue 18, the relay's idle memory).
 */
class WsSessionSocket implements SessionSocket {
	constructor(private readonly ws: WebSocket) {}

	send(message: Uint8Array): void {
		sendBinary(this.ws, message);
	}

	close(code: number, reason: string): void {
		this.ws.close(code, reason);
	}

	terminate(): void {
		this.ws.terminate();
	}

	ping(): void {
		this.ws.ping();
	}

	closed(): Promise<void> {
		const ws = this.ws;
		return new Promise<void>((resolve) => {
			if (ws.readyState === ws.CLOSED) resolve();
			else ws.once('close', () => resolve());
		});
	}
}

export function createRelay(options: RelayOptions): Relay {
	const { store, config } = options;
	const cluster = options.cluster?.enabled ? options.cluster : null;
	const log = options.logger.child({ component: 'relay' });
	const clock = options.clock ?? systemClock(options.now);
	const metrics = createRelayMetrics(options.registry);
	let closing = false;
	const isClosing = () => closing;

	// Hooks are added to this list as the plug-ins are created (they need the rooms).
	const hookList: RelayHooks[] = [];
	const hooks = combineHooks(hookList);
	let lead: Leadership = ALWAYS_LEAD;
	const close = sessionCloser(log, metrics, clock);

	const rooms = createRooms({
		store,
		hooks,
		lead: (task, id) => lead(task, id),
		clock,
		config,
		log,
		metrics,
		isClosing,
		...(options.mergeTask ? { merge: options.mergeTask } : {})
	});
	const commits = createCommits({
		store,
		clock,
		flushDelayMs: config.flushDelayMs,
		commitGapMs: config.commitGapMs,
		hooks,
		rooms,
		metrics,
		log,
		close
	});
	const facts = createFactsRecorder({ store, clock, flushMs: config.factsFlushMs, log });
	const bridge = cluster
		? createClusterBridge({
				cluster,
				rooms,
				store,
				metrics,
				log,
				committedElsewhere: (room, update, claims) =>
					hooks.committed(room, [
						{ update, ...(claims ? { claims } : {}), session: null, origin: 'remote' }
					])
			})
		: null;
	if (bridge) lead = bridge.lead;
	const summaryDocs = createSummaryDocs({
		budgetBytes: config.summaryDocsMb * 1024 * 1024,
		// Longer than the summaries' round under overload (500 busy programs at 2 %: ~4 min), so
		// the programs that keep changing keep their documents (bench:relay pattern, 300 s: with
		// 2 × the max wait every kept document went stale before its turn came back: 0 reuses).
		staleMs: KEPT_DOCUMENT_STALE_MS,
		now: () => clock.now()
	});
	metrics.countSummaryDocs(() => summaryDocs.stats());
	const summaries = createSummaries({
		store,
		rooms,
		summarize: options.summarize ?? programSummary,
		// storage-safety: big documents summarized in the worker pool (same logic: programSummary)
		...(options.summaryTask && !options.summarize ? { compute: options.summaryTask } : {}),
		lead: (task, id) => lead(task, id),
		clock,
		config,
		log,
		isClosing,
		decisionsOf: (programId) => decisions.readDecisions(programId),
		docs: summaryDocs,
		metrics,
		...(bridge ? { catchUp: (room) => bridge.catchUp(room) } : {})
	});
	hookList.push(
		decisionsHooks,
		authorshipHooks,
		facts.hooks,
		summaries.hooks,
		...(bridge ? [bridge.hooks] : []),
		...(options.hooks ?? [])
	);

	const awareness = createAwarenessRelay({ clock });
	const receiver = createMessageReceiver({
		config,
		clock,
		metrics,
		commits,
		facts,
		hooks,
		awareness,
		close
	});
	const addresses = new AddressCounts(config.maxConnectionsPerIp);
	const connections = createConnections({
		rooms,
		hooks,
		receiver,
		awareness,
		addresses,
		config,
		clock,
		metrics,
		log,
		close
	});
	const applyServerEdit = createServerEditor({
		rooms,
		commits,
		hooks,
		config,
		clock,
		metrics,
		log
	});
	// A big document's merge runs in the worker pool (mergedAsync, storage-safety).
	const getDocument = (id: string) => rooms.withRoom(id, (room) => room.doc.mergedAsync());
	const decisions = createDecisions({
		store,
		applyServerEdit,
		getDocument,
		now: () => clock.now()
	});

	function attach(socket: SessionSocket, request: SessionRequest): AttachedSession {
		const session = connections.open(socket, request);
		return {
			session,
			receive: (message, binary = true) => receiver.receive(session, message, binary),
			pong: () => {
				session.awaitingPong = false;
			},
			closed: () => connections.closed(session)
		};
	}

	// The websockets' listeners, one of each for all of them (`this` is the websocket): per
	// connection, closures and their contexts were ~0.4 KB of an idle relay's heap (issue 18).
	const sessionOf = new WeakMap<WebSocket, Session>();
	function onMessage(this: WebSocket, data: RawData, isBinary: boolean) {
		const session = sessionOf.get(this);
		if (session) receiver.receive(session, toUint8(data), isBinary);
	}
	function onPong(this: WebSocket) {
		const session = sessionOf.get(this);
		if (session) session.awaitingPong = false;
	}
	function onClose(this: WebSocket) {
		const session = sessionOf.get(this);
		if (session) connections.closed(session);
	}
	function onError(this: WebSocket, error: Error) {
		log.debug({ err: error, conn: sessionOf.get(this)?.id }, 'websocket error');
	}

	const wss = new WebSocketServer({
		noServer: true,
		clientTracking: false,
		perMessageDeflate: false,
		// Messages up to 4× the limit are read and refused with 4413; beyond that the
		// websocket layer refuses them without buffering (1009).
		maxPayload: config.maxMessageBytes * 4 + 1024
	});
	const handleUpgrade = createUpgradeHandler({
		wss,
		authorize: decisionsAuthorizer(options.authorize, (id) => decisions.prepare(id)),
		addresses,
		config,
		clock,
		metrics,
		log,
		isClosing,
		...(options.clientAddress ? { clientAddress: options.clientAddress } : {}),
		...(options.maxConnectionsPerUser
			? {
					users: {
						counts: new AddressCounts(options.maxConnectionsPerUser),
						limit: options.maxConnectionsPerUser,
						replaceOwn(userId: string, programId: string, device: string | null) {
							if (!device) return false;
							let oldest: Session | null = null;
							for (const s of connections.all()) {
								const i = s.info;
								if (s.closing || i.userId !== userId || i.programId !== programId) continue;
								if (i.deviceId !== device) continue;
								if (!oldest || i.connectedAt < oldest.info.connectedAt) oldest = s;
							}
							if (!oldest) return false;
							close(
								oldest,
								CloseCode.TOO_MANY_CONNECTIONS,
								'replaced by a newer connection of its device'
							);
							return true;
						}
					}
				}
			: {}),
		accept({ ws, request, programId, grant, ip }) {
			const params = new URLSearchParams((request.url ?? '').split('?')[1] ?? '');
			const session = connections.open(new WsSessionSocket(ws), {
				programId,
				grant,
				ip,
				device: params.get('device'),
				wantsAcks: params.get('ack') === '1'
			});
			sessionOf.set(ws, session);
			ws.on('message', onMessage);
			ws.on('pong', onPong);
			ws.on('close', onClose);
			ws.on('error', onError);
		}
	});

	async function flush(): Promise<void> {
		await commits.flush();
		await facts.write();
	}

	return {
		metrics,
		handleUpgrade,
		keptSummaryBytes: () => summaryDocs.stats().bytes,
		applyServerEdit,
		applyDecisionEdit: (programId, author, edit) =>
			decisions.applyDecisionEdit(programId, author, edit),
		getDecisions: (programId) => decisions.getDecisions(programId),
		attach,
		closeWhere: (predicate, code, reason = 'closed by server') =>
			connections.closeWhere(predicate, code, reason),
		connections: () => Array.from(connections.all(), (s) => s.info),
		loadedPrograms: () => rooms.ids(),
		getDocument,
		refreshSummaries: (programIds) => summaries.refreshSummaries(programIds),
		flush,
		async flushSummaries() {
			await flush();
			await summaries.flushAll();
		},
		async close() {
			if (closing) return;
			closing = true;
			summaries.stop();
			connections.stop();
			facts.stop();
			await flush();
			const open = [...connections.all()];
			for (const s of open) close(s, CloseCode.SERVICE_RESTART, 'server restarting', 'debug');
			await Promise.race([
				Promise.all(open.map((s) => s.socket.closed())),
				new Promise<void>((resolve) => clock.setTimeout(resolve, 2_000))
			]);
			for (const s of open) s.socket.terminate();
			rooms.stop();
			await summaries.flushAll();
			await flush();
			wss.close();
			await store.close?.();
		}
	};
}
