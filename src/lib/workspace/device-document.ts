import * as idb from 'lib0/indexeddb';
import { IndexeddbPersistence } from 'y-indexeddb';
import type * as Y from 'yjs';
import { isClosedConnection } from '$lib/device/connection';

/** y-indexeddb's schema (y-indexeddb.js), for a probe that may create the database first. */
const createStores = (db: IDBDatabase) =>
	idb.createStores(db, [['updates', { autoIncrement: true }], ['custom']]);
const MAX_RETRY_MS = 10_000;

/**
 * y-indexeddb leaves the rejection of a database that does not open unhandled (its own chain on
 * the open); it is reported here once, as the document's failure, not as a page error.
 */
function ignoreUnhandled(error: unknown): void {
	const handler = (event: PromiseRejectionEvent) => {
		if (event.reason !== error) return;
		event.preventDefault();
		removeEventListener('unhandledrejection', handler);
	};
	addEventListener('unhandledrejection', handler);
}

/**
 * A Yjs document's copy on this device (y-indexeddb), kept through the browser evicting the
 * origin's storage while the document is open. The eviction force-closes the store's connection;
 * a store that kept it failed every write until a reload, so what the person typed afterwards,
 * offline, was gone with the tab. On the close a new store takes over, and y-indexeddb writes
 * the whole document into its fresh database before it stores anything else.
 */
export class DeviceDocument {
	#store: IndexeddbPersistence;
	/** The current store's 'update' listener on the document. */
	#storeUpdate: ((update: Uint8Array, origin: unknown) => void) | null = null;
	#takingOver = false;
	#destroyed = false;
	#failed: ((error: unknown) => void) | null = null;
	/**
	 * Resolves once the document holds what the device had stored: true, or false when the
	 * browser's store does not open (a corrupted profile, a disk that filled while it was written:
	 * «Internal error opening backing store»). The document then lives in the tab alone, and its
	 * program is still worked on through the relay.
	 */
	readonly loaded: Promise<boolean>;

	constructor(
		readonly name: string,
		readonly doc: Y.Doc
	) {
		const failed = new Promise<false>((resolve) => {
			this.#failed = (error) => {
				console.error(
					`device storage ${name} does not open; the document is kept in this tab only`,
					error
				);
				resolve(false);
			};
		});
		this.#store = this.#open();
		this.loaded = Promise.race([this.#store.whenSynced.then(() => true as const), failed]);
	}

	/** The origin of the store's own transactions (its loading), which are no one's edit. */
	get origin(): unknown {
		return this.#store;
	}

	destroy(): void {
		this.#destroyed = true;
		this.#close();
	}

	/**
	 * The store's own 'update' listener is detached until it has loaded: it ignores its own
	 * loading transaction, but its mere presence makes Yjs encode that transaction (the whole
	 * stored history) into an update nobody reads. Nothing else writes to the document before it
	 * is loaded; when a store takes over, what changed meanwhile is in the whole document it
	 * writes first.
	 */
	#open(): IndexeddbPersistence {
		const store = new IndexeddbPersistence(this.name, this.doc);
		this.doc.off('update', store._storeUpdate);
		const storeUpdate = (update: Uint8Array, origin: unknown) => {
			try {
				store._storeUpdate(update, origin);
			} catch (error) {
				// The connection closed before its 'close' event arrived: this change goes with
				// the whole document into the store that takes over.
				if (!isClosedConnection(error)) throw error;
				void this.#takeOver(store);
			}
		};
		store.once('synced', () => {
			if (store !== this.#store || store._destroyed) return;
			this.#storeUpdate = storeUpdate;
			this.doc.on('update', storeUpdate);
		});
		void store._db.then(
			(db) => db.addEventListener('close', () => void this.#takeOver(store)),
			(error: unknown) => {
				ignoreUnhandled(error);
				this.#failed?.(error);
			}
		);
		return store;
	}

	/**
	 * A new store once the database opens again. While the browser is still clearing the origin,
	 * an open is aborted («The connection was closed»), and y-indexeddb would leave that
	 * rejection unhandled and its store dead: a probe opens it first, retried with backoff.
	 */
	async #takeOver(closed: IndexeddbPersistence): Promise<void> {
		if (this.#destroyed || closed !== this.#store || this.#takingOver) return;
		console.warn(`device storage closed by the browser; storing ${this.name} afresh`);
		this.#takingOver = true;
		this.#close();
		for (let wait = 100; !this.#destroyed; wait = Math.min(wait * 2, MAX_RETRY_MS)) {
			await new Promise((resolve) => setTimeout(resolve, wait));
			try {
				(await idb.openDB(this.name, createStores)).close();
				break;
			} catch (error) {
				console.warn(`device storage ${this.name} does not open yet`, error);
			}
		}
		this.#takingOver = false;
		if (!this.#destroyed) this.#store = this.#open();
	}

	#close(): void {
		if (this.#storeUpdate) this.doc.off('update', this.#storeUpdate);
		this.#storeUpdate = null;
		// A store that never opened rejects its closing too (reported when it failed to open).
		this.#store.destroy().catch(() => undefined);
	}
}
