/**
 * Keeps one program's Y.Doc in sync with the relay and tells the truth about it.
 *
 * The y-websocket provider moves the bytes; this module adds what a phone on a rural school
 * visit needs: it disconnects when the network goes and reconnects when it returns (y-websocket
 * ignores online/offline events), it counts local changes until the relay confirms they are
 * durable (the opt-in ack message, docs/relay.md), and it reports that count to the relay so the
 * curator can see devices with unsent work.
 *
 * How "saved" is decided: every document-carrying message the client sends on a connection
 * (its sync step 2 answer and each update) is numbered by a counting WebSocket. A local change is
 * pending until an ack with persistedCount ≥ the number of the message that carried it arrives,
 * and the acked state vector covers the local one — except the client ids whose structs came
 * from the relay (others' work, which it may forward before it is stored). Changes made while
 * disconnected ride in the next connection's sync step 2. A dropped connection un-numbers
 * everything unconfirmed. Deletions do not move a state vector, which is why the count, not the
 * vector, is primary.
 *
 * Framework-free so it runs in Node tests against the real relay; the UI wraps it in runes.
 */
import * as decoding from 'lib0/decoding';
import { WebsocketProvider } from 'y-websocket';
import type { Awareness } from 'y-protocols/awareness';
import * as Y from 'yjs';
import {
	CloseCode,
	MESSAGE_ACK,
	MESSAGE_SYNC,
	SYNC_STEP2,
	SYNC_UPDATE,
	decodeStateVector,
	encodeDeviceStatus,
	isRelayDecision,
	readAck,
	stateVectorCovers
} from '$lib/shared/protocol';

export type SyncPhase =
	| 'offline'
	| 'connecting'
	| 'syncing'
	| 'pending'
	| 'saved'
	| 'auth-required'
	| 'forbidden'
	| 'not-found';

export interface SyncState {
	phase: SyncPhase;
	/** Local changes not yet confirmed as stored on the server. */
	pending: number;
	/** Unix ms of the last acknowledgement that covered every local change. */
	savedAt: number | null;
	/** The relay's last close code, when it closed the connection deliberately. */
	closeCode: number | null;
}

export interface ProgramSyncOptions {
	programId: string;
	doc: Y.Doc;
	/** Base websocket URL of the relay, e.g. `wss://host/sync`. */
	serverUrl: string;
	deviceId: string;
	/** Pending count restored from the device (changes made before a reload, not yet confirmed). */
	initialPending?: number;
	/** Relay access token; null relies on the session cookie (same origin). */
	getToken?: () => Promise<string | null>;
	/** Transaction origins that are not the user's edits (e.g. the IndexedDB persistence). */
	ignoredOrigins?: unknown[];
	onState?: (state: SyncState) => void;
	/** For Node: the `ws` WebSocket class. Browsers use the global one. */
	WebSocketImpl?: typeof WebSocket;
	/** Start disconnected regardless of the network (tests). */
	startOffline?: boolean;
	now?: () => number;
	/** Optional awareness shared with the UI (presence). */
	awareness?: Awareness;
}

/**
 * Keystrokes in one text field closer together than this count as one «изменение» (typing a
 * word); any other change, or typing in another field, is an «изменение» of its own.
 */
const CHANGE_BURST_MS = 1000;

/**
 * The one text a transaction typed into (its Y.Text changed, or a map key now holding it, as when
 * the first keystroke creates the text), or null when it changed anything else. Metadata written
 * beside the text (who edited it, when) does not count.
 */
function typedText(transaction: Y.Transaction | undefined): Y.Text | null {
	if (!transaction) return null;
	let found: Y.Text | null = null;
	for (const [type, keys] of transaction.changed) {
		const texts: Y.Text[] = [];
		if (type instanceof Y.Text) texts.push(type);
		else if (type instanceof Y.Map)
			for (const key of keys) {
				const value = key === null ? undefined : type.get(key);
				if (value instanceof Y.Text) texts.push(value);
			}
		else return null;
		for (const text of texts) {
			if (found && found !== text) return null;
			found = text;
		}
	}
	return found;
}

/** The first two varUints of a y-websocket frame: is this a document-carrying message? */
function documentMessageKind(data: unknown): 'step2' | 'update' | null {
	let bytes: Uint8Array;
	if (data instanceof Uint8Array) bytes = data;
	else if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
	else return null;
	try {
		const decoder = decoding.createDecoder(bytes);
		if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return null;
		const sub = decoding.readVarUint(decoder);
		return sub === SYNC_STEP2 ? 'step2' : sub === SYNC_UPDATE ? 'update' : null;
	} catch {
		return null;
	}
}

export class ProgramSync {
	readonly provider: WebsocketProvider;
	readonly #options: ProgramSyncOptions;
	readonly #ignored: Set<unknown>;
	/**
	 * Client ids whose structs arrived from the relay: other people's (or other devices') work.
	 * The relay forwards an update before it is durable (docs/relay.md, "Durability"), so an ack
	 * may not cover them yet — and need not: "saved" is about this device's changes.
	 */
	readonly #relayClients = new Set<number>();
	readonly #now: () => number;
	/**
	 * One entry per local change: the number of the message that carried it on the current
	 * connection (0 while not sent), when it was made, and the text it typed into. Keystrokes in
	 * one field within a second of each other count as one change, as a person would count them.
	 */
	#pending: { carried: number; at: number; text?: Y.Text | null }[] = [];
	#sentOnConnection = 0;
	#socket: WebSocket | null = null;
	#online: boolean;
	#phaseOverride: SyncPhase | null = null;
	#savedAt: number | null = null;
	#closeCode: number | null = null;
	#lastState = '';
	#statusTimer: ReturnType<typeof setTimeout> | null = null;
	#destroyed = false;
	#cleanup: (() => void)[] = [];

	constructor(options: ProgramSyncOptions) {
		this.#options = options;
		this.#now = options.now ?? Date.now;
		this.#pending = Array.from({ length: options.initialPending ?? 0 }, () => ({
			carried: 0,
			at: 0
		}));
		const globalOnline = typeof navigator === 'undefined' ? true : navigator.onLine;
		this.#online = options.startOffline ? false : globalOnline;

		const Base = options.WebSocketImpl ?? WebSocket;
		// eslint-disable-next-line @typescript-eslint/no-this-alias -- the socket class reports to this instance
		const sync = this;
		class CountingWebSocket extends Base {
			constructor(url: string | URL, protocols?: string | string[]) {
				super(url, protocols);
				sync.#onSocketCreated(this as unknown as WebSocket);
			}
			override send(data: Parameters<WebSocket['send']>[0]): void {
				super.send(data);
				const kind = documentMessageKind(data);
				if (kind) sync.#onDocumentMessageSent(this as unknown as WebSocket, kind);
			}
		}

		this.provider = new WebsocketProvider(options.serverUrl, options.programId, options.doc, {
			connect: false,
			disableBc: true,
			params: { ack: '1', device: options.deviceId },
			WebSocketPolyfill: CountingWebSocket as unknown as typeof WebSocket,
			maxBackoffTime: 10_000,
			...(options.awareness ? { awareness: options.awareness } : {})
		});
		this.#ignored = new Set([this.provider, ...(options.ignoredOrigins ?? [])]);

		this.provider.messageHandlers[MESSAGE_ACK] = (_encoder, decoder) => {
			this.#onAck(readAck(decoder));
		};
		this.provider.on('status', () => this.#emit());
		this.provider.on('sync', (synced) => {
			if (synced) this.#scheduleStatusReport();
			this.#emit();
		});
		this.provider.on('connection-close', (event) => this.#onClose(event));

		const onUpdate = (
			_update: Uint8Array,
			origin: unknown,
			_doc: Y.Doc,
			transaction?: Y.Transaction
		) => {
			if (origin === this.provider && transaction)
				for (const [client, clock] of transaction.afterState)
					if ((transaction.beforeState.get(client) ?? 0) < clock) this.#relayClients.add(client);
			if (this.#ignored.has(origin)) return;
			const text = typedText(transaction);
			// The provider's own update handler ran first (registered earlier) and has already
			// sent this change if the socket is open: it carries the current message number.
			const carried = this.provider.wsconnected ? this.#sentOnConnection : 0;
			const at = this.#now();
			const last = this.#pending[this.#pending.length - 1];
			if (
				last &&
				text &&
				last.text === text &&
				at - last.at < CHANGE_BURST_MS &&
				(last.carried === 0) === (carried === 0)
			) {
				// Same burst: the change is confirmed once its latest part is.
				last.carried = Math.max(last.carried, carried);
				last.at = at;
			} else {
				this.#pending.push({ carried, at, text });
			}
			this.#emit();
			this.#scheduleStatusReport();
		};
		options.doc.on('update', onUpdate);
		this.#cleanup.push(() => options.doc.off('update', onUpdate));

		if (typeof window !== 'undefined') {
			const goOnline = () => this.setOnline(true);
			const goOffline = () => this.setOnline(false);
			const onVisible = () => {
				if (document.visibilityState === 'visible' && this.#online) this.#connect();
			};
			window.addEventListener('online', goOnline);
			window.addEventListener('offline', goOffline);
			document.addEventListener('visibilitychange', onVisible);
			this.#cleanup.push(() => {
				window.removeEventListener('online', goOnline);
				window.removeEventListener('offline', goOffline);
				document.removeEventListener('visibilitychange', onVisible);
			});
		}
	}

	/** Connects when the device is online. Call once the local (IndexedDB) state is loaded. */
	start(): void {
		if (this.#online) void this.#connect();
		this.#emit();
	}

	/** The app's own view of the network (y-websocket does not watch it). */
	setOnline(online: boolean): void {
		this.#online = online;
		if (online) void this.#connect();
		else this.provider.disconnect();
		this.#emit();
	}

	/** After signing in again: retry a connection the relay had refused. */
	retry(): void {
		this.#phaseOverride = null;
		this.#closeCode = null;
		void this.#connect();
	}

	get state(): SyncState {
		return {
			phase: this.#phase(),
			pending: this.#pending.length,
			savedAt: this.#savedAt,
			closeCode: this.#closeCode
		};
	}

	destroy(): void {
		if (this.#destroyed) return;
		this.#destroyed = true;
		if (this.#statusTimer) clearTimeout(this.#statusTimer);
		for (const fn of this.#cleanup) fn();
		try {
			this.provider.destroy();
		} catch (error) {
			// y-websocket's awareness clean-up throws once Yjs has switched this doc's client id
			// (another writer used it); the socket is closed either way, and leaving must not fail.
			console.warn('sync provider did not close cleanly', error);
		}
	}

	async #connect(): Promise<void> {
		if (this.#destroyed || !this.#online || this.#phaseOverride) return;
		if (this.provider.wsconnected || this.provider.wsconnecting) return;
		const token = this.#options.getToken ? await this.#options.getToken() : null;
		if (token) this.provider.params.token = token;
		else delete this.provider.params.token;
		if (!this.#destroyed && this.#online) this.provider.connect();
	}

	#onSocketCreated(socket: WebSocket): void {
		this.#socket = socket;
		this.#sentOnConnection = 0;
	}

	#onDocumentMessageSent(socket: WebSocket, kind: 'step2' | 'update'): void {
		if (socket !== this.#socket) return;
		this.#sentOnConnection++;
		// Changes made while disconnected travel in this connection's sync step 2 (the answer to
		// the relay's step 1), which carries everything the relay lacks. An update message carries
		// only the change that caused it (numbered in the doc's update handler).
		if (kind !== 'step2') return;
		const n = this.#sentOnConnection;
		for (const entry of this.#pending) if (entry.carried === 0) entry.carried = n;
	}

	#onAck(ack: { persistedCount: number; stateVector: Uint8Array }): void {
		this.#pending = this.#pending.filter(
			(entry) => entry.carried === 0 || entry.carried > ack.persistedCount
		);
		if (this.#pending.length === 0) {
			let covered = false;
			try {
				const server = decodeStateVector(ack.stateVector);
				const local = decodeStateVector(Y.encodeStateVector(this.#options.doc));
				for (const client of this.#relayClients) local.delete(client);
				covered = stateVectorCovers(server, local);
			} catch {
				covered = false;
			}
			if (covered) this.#savedAt = this.#now();
		}
		this.#emit();
		this.#scheduleStatusReport();
	}

	#onClose(event: CloseEvent | null): void {
		// Whatever was not confirmed on that connection must ride in the next one.
		for (const entry of this.#pending) entry.carried = 0;
		this.#socket = null;
		const code = event?.code ?? null;
		if (code !== null && isRelayDecision(code) && code >= 4400 && code < 4500) {
			this.#closeCode = code;
			if (code === CloseCode.UNAUTHENTICATED || code === CloseCode.AUTH_EXPIRED) {
				this.#phaseOverride = 'auth-required';
			} else if (code === CloseCode.FORBIDDEN) {
				this.#phaseOverride = 'forbidden';
			} else if (code === CloseCode.NOT_FOUND) {
				this.#phaseOverride = 'not-found';
			}
			// Other 44xx (malformed, too large, rate limited) are this client's fault and must not
			// loop; reconnect once after a pause rather than immediately.
			if (!this.#phaseOverride) setTimeout(() => this.retry(), 5_000);
		}
		this.#emit();
	}

	#phase(): SyncPhase {
		if (this.#phaseOverride) return this.#phaseOverride;
		if (!this.#online) return 'offline';
		if (this.provider.wsconnecting || !this.provider.wsconnected) return 'connecting';
		if (!this.provider.synced) return 'syncing';
		if (this.#pending.length > 0 || this.#savedAt === null) return 'pending';
		return 'saved';
	}

	#emit(): void {
		const state = this.state;
		const key = `${state.phase}|${state.pending}|${state.savedAt}|${state.closeCode}`;
		if (key === this.#lastState) return;
		this.#lastState = key;
		this.#options.onState?.(state);
	}

	/** Tells the relay how many changes wait on this device (throttled; for the curator view). */
	#scheduleStatusReport(): void {
		if (this.#statusTimer) return;
		this.#statusTimer = setTimeout(() => {
			this.#statusTimer = null;
			const ws = this.provider.ws;
			if (!ws || ws.readyState !== ws.OPEN) return;
			ws.send(
				encodeDeviceStatus({ deviceId: this.#options.deviceId, pending: this.#pending.length })
			);
		}, 500);
	}
}
