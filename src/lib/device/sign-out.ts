/**
 * Signing out of this device: the server ends the session (its cookie and every relay
 * connection of it), and — only if the person asks — the device forgets what it kept: both
 * y-indexeddb databases of every program (the program and its decisions), the attachments' bytes,
 * the device catalog,
 * the account and the caches of the session. The app itself (the service worker's precache)
 * stays, so the device can still open the app and sign in again offline-first. Unsent edits are
 * counted first so the screen can warn.
 */
import { loadAccount, markSignedOut } from './account';
import { listPrograms } from './catalog';
import { FILES_DATABASE, decisionsDatabaseName, programDatabaseName } from './database-names';
import { ApiError } from './session-api';
import { unsentFiles } from './file-store';
import { forgetFirstPaints } from './first-paint';

/** Local storage and IndexedDB names of the app start with this. */
const PREFIX = 'nastavnik';
const CATALOG_DB = 'nastavnik-device';

/** Edits on this device that the server has not acknowledged yet (from the device catalog). */
export async function unsentEdits(): Promise<number> {
	try {
		const entries = await listPrograms();
		return entries.reduce((sum, e) => sum + (e.pendingChanges ?? 0), 0);
	} catch {
		return 0;
	}
}

/** Attachments attached on this device and not yet uploaded (file-store.ts). */
export async function unsentFileCount(): Promise<number> {
	try {
		return await unsentFiles();
	} catch {
		return 0;
	}
}

/** Ends the session on the server; throws ApiError (Russian message) when it cannot. */
async function endServerSession(): Promise<void> {
	let response: Response;
	try {
		response = await fetch('/api/logout', {
			method: 'POST',
			credentials: 'same-origin',
			headers: { accept: 'application/json' }
		});
	} catch {
		throw new ApiError(
			0,
			'network',
			'Нет связи с сервером: выйти можно только при подключении к интернету, чтобы сеанс завершился и на сервере.'
		);
	}
	if (!response.ok) {
		throw new ApiError(
			response.status,
			'http_' + response.status,
			'Не удалось выйти. Попробуйте еще раз.'
		);
	}
}

function deleteDatabase(name: string): Promise<void> {
	return new Promise((resolve) => {
		const request = indexedDB.deleteDatabase(name);
		request.onsuccess = () => resolve();
		request.onerror = () => resolve();
		// Blocked by a connection still open in another tab: deletion completes when it closes.
		request.onblocked = () => resolve();
	});
}

/** Every IndexedDB database of the app on this device. */
async function appDatabases(): Promise<string[]> {
	const names = new Set<string>([CATALOG_DB, FILES_DATABASE]);
	// Each program keeps two documents: the co-written program and its decisions.
	const addProgram = (id: string) => {
		names.add(programDatabaseName(id));
		names.add(decisionsDatabaseName(id));
	};
	for (const p of loadAccount()?.programs ?? []) addProgram(p.id);
	try {
		for (const e of await listPrograms()) addProgram(e.id);
	} catch {
		// The catalog cannot be read: the databases() listing below still finds them.
	}
	// Not in every browser (Firefox before 126): the names above are the fallback.
	const listed = await indexedDB.databases?.().catch(() => []);
	for (const db of listed ?? []) if (db.name?.startsWith(PREFIX)) names.add(db.name);
	return [...names];
}

/** Removes what this device kept of the person: documents, catalog, account, session caches. */
export async function wipeDevice(): Promise<void> {
	const names = await appDatabases();
	await Promise.all(names.map(deleteDatabase));
	if ('caches' in globalThis) {
		for (const key of await caches.keys()) {
			// The app's own files (precache) hold nothing personal and keep the app opening offline.
			if (!key.startsWith('workbox-precache')) await caches.delete(key);
		}
	}
	for (let i = localStorage.length - 1; i >= 0; i--) {
		const key = localStorage.key(i);
		if (key?.startsWith(PREFIX)) localStorage.removeItem(key);
	}
	sessionStorage.clear();
}

/**
 * Signs out: the server ends the session first (so a lost phone's cookie is worthless), then the
 * device marks itself signed out (its programs stay and sync after the next sign-in) — or,
 * with `wipe`, forgets everything it kept.
 */
export async function signOut(options: { wipe: boolean }): Promise<void> {
	await endServerSession();
	// The screens stored for the next load's first paint are the person's: the next person on
	// this device does not see them flash by (wiping removes them with every `nastavnik.` key).
	forgetFirstPaints();
	// Without wiping, the programs stay on the device and sync after the next sign-in.
	if (options.wipe) await wipeDevice();
	else markSignedOut(true);
}
