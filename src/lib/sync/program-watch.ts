/**
 * A live, read-only view of one program for the curator's page: the program document and its
 * decisions document, each over its own relay connection (/sync/<id> and /sync/<id>/decisions).
 * The relay serves both read-only to a curator or head (docs/relay.md «Authentication and
 * authorization»): it sends everything and ignores anything sent back, so this side never edits.
 * Nothing is kept on the device (a desk, not a phone) and nothing is announced to the
 * participants: the local awareness state is cleared, so the pair sees no extra «наблюдатель».
 *
 * Replaces reading the whole document over HTTP every few seconds: a participant's edit reaches
 * the page as the relay forwards it, and a curator's decision (written by the server into the
 * decisions document) the same way.
 *
 * Framework-free (the page wraps it); reconnects by itself and follows online/offline events.
 */
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { decisionsDocumentId } from '$lib/shared/program';

export interface ProgramWatchOptions {
	programId: string;
	/** Base websocket URL of the relay, e.g. `wss://host/sync`. */
	serverUrl: string;
	deviceId: string;
	/** Called (at most once per animation frame's worth of updates) after either document changed. */
	onChange: () => void;
	/** Called when both documents have had their first full state from the relay. */
	onSynced?: () => void;
	/** Called with the relay's close code when it refuses or closes the connection. */
	onClose?: (code: number) => void;
	WebSocketImpl?: typeof WebSocket;
}

export class ProgramWatch {
	readonly doc = new Y.Doc();
	readonly decisions = new Y.Doc();
	readonly #providers: WebsocketProvider[];
	#cleanup: (() => void)[] = [];
	#queued = false;
	#synced = new Set<WebsocketProvider>();

	constructor(private readonly options: ProgramWatchOptions) {
		const open = (room: string, doc: Y.Doc) => {
			const provider = new WebsocketProvider(options.serverUrl, room, doc, {
				connect: false,
				disableBc: true,
				params: { device: options.deviceId },
				...(options.WebSocketImpl ? { WebSocketPolyfill: options.WebSocketImpl } : {}),
				maxBackoffTime: 10_000
			});
			// A watcher is not a participant: it announces no presence.
			provider.awareness.setLocalState(null);
			provider.on('sync', (synced: boolean) => {
				if (!synced) return;
				this.#synced.add(provider);
				if (this.#synced.size === this.#providers.length) options.onSynced?.();
			});
			provider.on('connection-close', (event: CloseEvent | null) => {
				if (event && event.code >= 4000) options.onClose?.(event.code);
			});
			return provider;
		};
		this.#providers = [
			open(options.programId, this.doc),
			open(decisionsDocumentId(options.programId), this.decisions)
		];
		const changed = () => this.#queue();
		this.doc.on('update', changed);
		this.decisions.on('update', changed);
		if (typeof window !== 'undefined') {
			const online = () => this.#providers.forEach((p) => p.connect());
			const offline = () => this.#providers.forEach((p) => p.disconnect());
			window.addEventListener('online', online);
			window.addEventListener('offline', offline);
			this.#cleanup.push(() => {
				window.removeEventListener('online', online);
				window.removeEventListener('offline', offline);
			});
		}
	}

	/** Whether both documents have their first full state (the view is complete). */
	get synced(): boolean {
		return this.#synced.size === this.#providers.length;
	}

	start(): void {
		if (typeof navigator !== 'undefined' && navigator.onLine === false) return;
		for (const p of this.#providers) p.connect();
	}

	// A reconnecting relay sends the whole state in many updates: one re-read for a burst.
	#queue(): void {
		if (this.#queued) return;
		this.#queued = true;
		queueMicrotask(() => {
			this.#queued = false;
			this.options.onChange();
		});
	}

	destroy(): void {
		for (const c of this.#cleanup) c();
		for (const p of this.#providers) p.destroy();
		this.doc.destroy();
		this.decisions.destroy();
	}
}
