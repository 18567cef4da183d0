import * as idb from 'lib0/indexeddb';
import { deviceDatabase } from './connection';
import { compareCodeUnits } from '$lib/shared/program/order';

/**
 * The list of programs kept on this device, with the few facts the home screen shows.
 * Each program's document lives in its own y-indexeddb database; this catalog lets the home
 * screen render without opening every document.
 */
export interface CatalogEntry {
	id: string;
	title: string;
	/** The person's role in this program, as shown: «наставник», «наставляемый», «куратор». */
	roleLabel?: string;
	stageTitle?: string;
	/** Short names of the program's mentees and mentors («Иванова М. С.»). */
	mentees?: string[];
	mentors?: string[];
	progress?: { done: number; total: number };
	/** 'YYYY-MM-DD' */
	nextDeadline?: string;
	/** Local edits not yet confirmed by the server. */
	pendingChanges?: number;
	/** ISO time of the last server acknowledgement. */
	savedAt?: string;
	/** ISO time this device last opened the program. */
	openedAt?: string;
}

const DB_NAME = 'nastavnik-device';
const STORE = 'programs';

const database = deviceDatabase(DB_NAME, 1, (db) => idb.createStores(db, [[STORE]]));

function isEntry(value: unknown): value is CatalogEntry {
	return (
		typeof value === 'object' &&
		value !== null &&
		typeof (value as CatalogEntry).id === 'string' &&
		typeof (value as CatalogEntry).title === 'string'
	);
}

export async function listPrograms(): Promise<CatalogEntry[]> {
	const store = (await database.read(STORE))?.objectStore(STORE);
	const values: unknown[] = store ? await idb.getAll(store) : [];
	return values
		.filter(isEntry)
		.sort((a, b) => compareCodeUnits(b.openedAt ?? '', a.openedAt ?? ''));
}

export async function saveProgram(entry: CatalogEntry): Promise<void> {
	// lib0's typing only admits primitives, but IndexedDB stores structured-cloneable objects.
	await idb.put(
		(await database.write(STORE)).objectStore(STORE),
		entry as unknown as string,
		entry.id
	);
}

export async function removeProgram(id: string): Promise<void> {
	await idb.del((await database.write(STORE)).objectStore(STORE), id);
}
