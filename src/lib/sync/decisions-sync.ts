/**
 * The phone's read-only copy of a program's decisions document (verdicts, approval, the
 * curator's completion, change decisions, curator comments: src/lib/shared/program/decisions.ts),
 * synced from /sync/<programId>/decisions. The relay serves it read-only to everyone and writes
 * it only from the curator's HTTP actions, so this side never sends an edit: it receives, and
 * keeps the last known decisions in IndexedDB so an offline phone still shows them.
 *
 * Framework-free (the UI wraps it); reconnects by itself and follows online/offline events.
 */
import { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import { decisionsDocumentId } from '$lib/shared/program';

export interface DecisionsSyncOptions {
	programId: string;
	doc: Y.Doc;
	/** Base websocket URL of the relay, e.g. `wss://host/sync`. */
	serverUrl: string;
	deviceId: string;
	/** For Node: the `ws` WebSocket class. Browsers use the global one. */
	WebSocketImpl?: typeof WebSocket;
	/** Relay access token in the query (tests, CLI); absent: the session cookie. */
	token?: string;
}

export class DecisionsSync {
	readonly provider: WebsocketProvider;
	#cleanup: (() => void)[] = [];

	constructor(options: DecisionsSyncOptions) {
		this.provider = new WebsocketProvider(
			options.serverUrl,
			decisionsDocumentId(options.programId),
			options.doc,
			{
				connect: false,
				disableBc: true,
				params: {
					device: options.deviceId,
					...(options.token ? { token: options.token } : {})
				},
				...(options.WebSocketImpl ? { WebSocketPolyfill: options.WebSocketImpl } : {}),
				maxBackoffTime: 10_000
			}
		);
		if (typeof window !== 'undefined') {
			const online = () => this.provider.connect();
			const offline = () => this.provider.disconnect();
			window.addEventListener('online', online);
			window.addEventListener('offline', offline);
			this.#cleanup.push(() => {
				window.removeEventListener('online', online);
				window.removeEventListener('offline', offline);
			});
		}
	}

	start(): void {
		if (typeof navigator !== 'undefined' && navigator.onLine === false) return;
		this.provider.connect();
	}

	destroy(): void {
		for (const c of this.#cleanup) c();
		this.provider.destroy();
	}
}
