/**
 * The device's store of attachment bytes (issue 17): the files this person attached (kept from
 * the moment of attaching: the upload reads them, and they stay as the offline copy) and the files
 * opened from the server (cached for offline). Content-addressed: the key is the SHA-256 of the
 * bytes, so a file is kept once however often it is attached. Used from the page and from the
 * attach worker (IndexedDB works in both), with plain IndexedDB: no library in the worker.
 */
import { deviceDatabase } from './connection';
import { FILES_DATABASE } from './database-names';

export interface StoredFile {
	/** Lowercase hex SHA-256 of the bytes. */
	hash: string;
	type: string;
	size: number;
	blob: Blob;
}

const FILES = 'files';
/** Key `programId/hash`: the server holds every byte of this file for this program. */
const UPLOADED = 'uploaded';
/**
 * Key `programId/hash` → `OutboxEntry`: a file this person attached here whose upload is not
 * confirmed yet. The app uploads these from any screen (device/outbox.ts), so a photo taken
 * offline reaches the partner and the curator when the network returns, whether or not its
 * program is open then.
 */
const OUTBOX = 'outbox';

export interface OutboxEntry {
	programId: string;
	hash: string;
	/** The name the reference gives it (the upload names it too). */
	name: string;
}

const database = deviceDatabase(FILES_DATABASE, 2, (db) => {
	if (!db.objectStoreNames.contains(FILES)) db.createObjectStore(FILES);
	if (!db.objectStoreNames.contains(UPLOADED)) db.createObjectStore(UPLOADED);
	// Version 2: files attached under version 1 are uploaded by their program's screen.
	if (!db.objectStoreNames.contains(OUTBOX)) db.createObjectStore(OUTBOX);
});

function complete<T>(
	tx: IDBTransaction,
	store: string,
	fn: (s: IDBObjectStore) => IDBRequest<T>
): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const request = fn(tx.objectStore(store));
		// Resolve when the transaction commits: a write is on disk before the caller goes on.
		tx.oncomplete = () => resolve(request.result);
		tx.onerror = () => reject(tx.error ?? request.error ?? new Error('IndexedDB failed'));
		tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
	});
}

/** `absent` when the device holds no file store (never attached, or wiped). */
async function read<T>(store: string, fn: (s: IDBObjectStore) => IDBRequest<T>, absent: T) {
	const tx = await database.read(store);
	return tx ? complete(tx, store, fn) : absent;
}

async function write<T>(store: string, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
	return complete(await database.write(store), store, fn);
}

export function putFile(file: StoredFile): Promise<unknown> {
	return write(FILES, (s) => s.put(file, file.hash));
}

export async function getFile(hash: string): Promise<StoredFile | null> {
	const value = (await read(FILES, (s) => s.get(hash), undefined)) as StoredFile | undefined;
	return value && value.blob instanceof Blob ? value : null;
}

/** The hashes of every file kept on this device. */
export async function fileHashes(): Promise<Set<string>> {
	const keys = await read(FILES, (s) => s.getAllKeys(), []);
	return new Set(keys.filter((k): k is string => typeof k === 'string'));
}

/** The server holds every byte of the file for this program: no upload is owed any more. */
export async function markUploaded(programId: string, hash: string): Promise<void> {
	await write(UPLOADED, (s) => s.put(true, `${programId}/${hash}`));
	await removeFromOutbox(programId, hash);
}

/** A file attached on this device, to upload from whatever screen is open (device/outbox.ts). */
export function addToOutbox(entry: OutboxEntry): Promise<unknown> {
	return write(OUTBOX, (s) => s.put(entry, `${entry.programId}/${entry.hash}`));
}

/** No upload owed: done, refused for good, or the person removed the attachment before it went. */
export function removeFromOutbox(programId: string, hash: string): Promise<unknown> {
	return write(OUTBOX, (s) => s.delete(`${programId}/${hash}`));
}

export async function outboxEntries(): Promise<OutboxEntry[]> {
	return (await read(OUTBOX, (s) => s.getAll(), [])) as OutboxEntry[];
}

/** The hashes the server has confirmed for this program (as this device knows). */
export async function uploadedHashes(programId: string): Promise<Set<string>> {
	const prefix = `${programId}/`;
	const keys = await read(
		UPLOADED,
		(s) => s.getAllKeys(IDBKeyRange.bound(prefix, `${prefix}\uffff`)),
		[]
	);
	return new Set(keys.map((k) => String(k).slice(prefix.length)));
}

/**
 * Files on this device the server is not known to hold for any program: attached here and not yet
 * uploaded (opened files are marked uploaded when fetched). Wiping the device would lose them.
 */
export async function unsentFiles(): Promise<number> {
	const [files, uploaded] = await Promise.all([
		read(FILES, (s) => s.getAllKeys(), []),
		read(UPLOADED, (s) => s.getAllKeys(), [])
	]);
	const held = uploaded.map((k) => String(k).slice(String(k).indexOf('/') + 1));
	return files.filter((k) => !held.includes(String(k))).length;
}
