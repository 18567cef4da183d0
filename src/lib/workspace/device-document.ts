import * as idb from 'lib0/indexeddb';
import { IndexeddbPersistence, PREFERRED_TRIM_SIZE, storeState } from 'y-indexeddb';
import type * as Y from 'yjs';
import { isClosedConnection } from '$lib/device/connection';

/** y-indexeddb's schema (y-indexeddb.js), for a probe that may create the database first. */
const UPDATES = 'updates';
const createStores = (db: IDBDatabase) =>
	idb.createStores(db, [[UPDATES, { autoIncrement: true }], ['custom']]);
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
 * origin's storage while the document is open, and through a store that does not open.
 *
 * The eviction force-closes the store's connection; a store that kept it failed every write until
 * a reload, so what the person typed afterwards, offline, was gone with the tab. A full disk does
 * the same (Chromium closes the connection, and the store does not open again until there is
 * room), and a corrupted profile never opens it. In each case a new store takes over once the
 * database opens, and y-indexeddb writes the whole document into it before anything else; until
 * then the document is in the tab alone, and `onKept(false)` says so.
 */
export class DeviceDocument {
	#store: IndexeddbPersistence;
	/** The current store's 'update' listener on the document. */
	#storeUpdate: ((update: Uint8Array, origin: unknown) => void) | null = null;
	#takingOver = false;
	#destroyed = false;
	#kept: boolean | null = null;
	#settleLoaded: (kept: boolean) => void = () => undefined;
	/**
	 * Resolves once the document holds what the device had stored: true, or false when the
	 * browser's store did not open (the program is then worked on through the relay alone).
	 */
	readonly loaded: Promise<boolean>;

	constructor(
		readonly name: string,
		readonly doc: Y.Doc,
		/** Whether the device keeps the document now (false from a lost store to the next one). */
		private readonly onKept: (kept: boolean) => void = () => undefined
	) {
		this.loaded = new Promise((resolve) => (this.#settleLoaded = resolve));
		this.#store = this.#open();
	}

	/** The origin of the store's own transactions (its loading), which are no one's edit. */
	get origin(): unknown {
		return this.#store;
	}

	destroy(): void {
		this.#destroyed = true;
		this.#close();
	}

	#report(kept: boolean): void {
		this.#settleLoaded(kept);
		if (this.#kept === kept) return;
		this.#kept = kept;
		this.onKept(kept);
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
		const lost = (what: string) => {
			console.warn(`device storage ${what}; storing ${this.name} afresh`);
			void this.#takeOver(store);
		};
		store.once('synced', () => {
			if (store !== this.#store || store._destroyed) return;
			this.#storeUpdate = (update, origin) => this.#write(store, update, origin, lost);
			this.doc.on('update', this.#storeUpdate);
			this.#report(true);
		});
		void store._db.then(
			(db) => db.addEventListener('close', () => lost('closed by the browser')),
			(error: unknown) => {
				ignoreUnhandled(error);
				console.error(`device storage ${this.name} does not open; kept in this tab`, error);
				void this.#takeOver(store);
			}
		);
		return store;
	}

	/**
	 * y-indexeddb's own write of an update (`_storeUpdate`), with its failure seen: its request's
	 * rejection was left unhandled, and a write that failed (a disk that filled: the transaction
	 * aborted) left the store looking kept. A failed write, or a connection closed before its
	 * 'close' event arrived, hands over to a new store, which writes the whole document.
	 */
	#write(
		store: IndexeddbPersistence,
		update: Uint8Array,
		origin: unknown,
		lost: (what: string) => void
	): void {
		if (!store.db || origin === store) return;
		try {
			const transaction = store.db.transaction(UPDATES, 'readwrite');
			const request = transaction.objectStore(UPDATES).add(update);
			request.onerror = () => lost('write failed');
			// Committed now, not when this task ends: a reload or an app killed right after the
			// last keystrokes aborted their writes (the e2e run lost the last 1–3 characters).
			transaction.commit();
		} catch (error) {
			if (!isClosedConnection(error)) throw error;
			lost('closed by the browser');
			return;
		}
		// As y-indexeddb does: past so many updates, merge them into one a second later.
		if (++store._dbsize < PREFERRED_TRIM_SIZE) return;
		clearTimeout(store._storeTimeoutId);
		store._storeTimeoutId = setTimeout(() => {
			store._storeTimeoutId = null;
			storeState(store, false).catch(() => lost('write failed'));
		}, store._storeTimeout);
	}

	/**
	 * A new store once the database opens again. While the browser is still clearing the origin,
	 * an open is aborted («The connection was closed»), and y-indexeddb would leave that
	 * rejection unhandled and its store dead: a probe opens it first, retried with backoff.
	 */
	async #takeOver(lost: IndexeddbPersistence): Promise<void> {
		if (this.#destroyed || lost !== this.#store || this.#takingOver) return;
		this.#takingOver = true;
		this.#report(false);
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
