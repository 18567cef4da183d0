/**
 * Transactions on one of the device's IndexedDB databases, over a connection opened on first use
 * and opened again once the browser has closed it. Chromium force-closes every open connection
 * when it evicts the origin's storage (storage pressure, «Очистить данные сайта»); sign-out
 * deletes the database, which first asks open connections to close ('versionchange'). A module
 * that kept its first connection failed every write after that until the page was reloaded.
 *
 * A read never creates the database: the home screen of a device just wiped reads an empty
 * list, and nothing of the person's appears again on it.
 */
/** A connection the browser closed (eviction) before its 'close' event reached the page. */
export const isClosedConnection = (error: unknown): boolean =>
	error instanceof DOMException && error.name === 'InvalidStateError';

export interface DeviceDatabase {
	/** Null when the database is not on this device. */
	read(stores: string | string[]): Promise<IDBTransaction | null>;
	write(stores: string | string[]): Promise<IDBTransaction>;
}

export function deviceDatabase(
	name: string,
	version: number,
	upgrade: (db: IDBDatabase) => void
): DeviceDatabase {
	let current: Promise<IDBDatabase | null> | null = null;

	/** The connection, or null when `create` is false and the database is not on the device. */
	const connect = (create: boolean): Promise<IDBDatabase | null> => {
		const opening = new Promise<IDBDatabase | null>((resolve, reject) => {
			const request = indexedDB.open(name, version);
			let absent = false;
			request.onupgradeneeded = (event) => {
				if (event.oldVersion === 0 && !create) {
					absent = true;
					request.transaction?.abort();
				} else upgrade(request.result);
			};
			request.onsuccess = () => {
				const db = request.result;
				const forget = () => {
					if (current === opening) current = null;
				};
				db.addEventListener('close', forget);
				db.addEventListener('versionchange', () => {
					db.close();
					forget();
				});
				resolve(db);
			};
			request.onerror = (event) => {
				if (current === opening) current = null;
				if (absent) {
					event.preventDefault();
					resolve(null);
				} else reject(request.error ?? new Error(`IndexedDB ${name} did not open`));
			};
		});
		current = opening;
		return opening;
	};

	const connection = async (create: boolean): Promise<IDBDatabase | null> => {
		const open = current ? await current : null;
		// Not open yet, closed since, or a read that found no database: open (creating it to write).
		return open ?? connect(create);
	};

	const transaction = async (stores: string | string[], mode: IDBTransactionMode) => {
		const create = mode !== 'readonly';
		const db = await connection(create);
		if (!db) return null;
		try {
			return db.transaction(stores, mode);
		} catch (error) {
			// Closed by the browser, its 'close' event not dispatched yet: once more on a new one.
			if (!isClosedConnection(error)) throw error;
			current = null;
			return (await connect(create))?.transaction(stores, mode) ?? null;
		}
	};

	return {
		read: (stores) => transaction(stores, 'readonly'),
		write: async (stores) => {
			const tx = await transaction(stores, 'readwrite');
			if (!tx) throw new Error(`IndexedDB ${name} did not open`);
			return tx;
		}
	};
}
