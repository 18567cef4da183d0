import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { readProgram } from '$lib/shared/program';
import { programDatabaseName } from './open-program.svelte';

/**
 * A program saved to a file so that nobody's work is trapped on one phone. The file holds the
 * whole Yjs state: importing it merges into whatever the device (and later the server) has, so
 * nothing is duplicated — Yjs applies each change once.
 */
export interface ProgramFile {
	format: 'nastavnik-program';
	version: 1;
	programId: string;
	title: string;
	exportedAt: string;
	/** Y.encodeStateAsUpdate, base64. */
	state: string;
}

function toBase64(bytes: Uint8Array): string {
	let binary = '';
	for (let i = 0; i < bytes.length; i += 0x8000) {
		binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
	}
	return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
	const binary = atob(text);
	const bytes = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
	return bytes;
}

export function exportProgram(programId: string, doc: Y.Doc): ProgramFile {
	return {
		format: 'nastavnik-program',
		version: 1,
		programId,
		title: readProgram(doc).meta.title,
		exportedAt: new Date().toISOString(),
		state: toBase64(Y.encodeStateAsUpdate(doc))
	};
}

export function downloadProgram(file: ProgramFile): void {
	const blob = new Blob([JSON.stringify(file)], { type: 'application/json' });
	const url = URL.createObjectURL(blob);
	const a = document.createElement('a');
	const safeTitle = file.title.replace(/[^\p{L}\p{N} _-]+/gu, '').slice(0, 60) || 'программа';
	a.href = url;
	a.download = `${safeTitle} ${file.exportedAt.slice(0, 10)}.nastavnik.json`;
	a.click();
	setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export class ProgramFileError extends Error {}

/** Reads and checks a program file; throws ProgramFileError with a Russian message. */
export function parseProgramFile(text: string): { file: ProgramFile; update: Uint8Array } {
	let file: ProgramFile;
	try {
		file = JSON.parse(text) as ProgramFile;
	} catch {
		throw new ProgramFileError('Это не файл программы наставничества.');
	}
	if (file?.format !== 'nastavnik-program' || typeof file.state !== 'string') {
		throw new ProgramFileError('Это не файл программы наставничества.');
	}
	if (file.version !== 1) {
		throw new ProgramFileError('Файл создан более новой версией приложения. Обновите приложение.');
	}
	if (typeof file.programId !== 'string' || !/^[\w-]{1,128}$/.test(file.programId)) {
		throw new ProgramFileError('В файле нет идентификатора программы.');
	}
	let update: Uint8Array;
	try {
		update = fromBase64(file.state);
		const probe = new Y.Doc();
		Y.applyUpdate(probe, update);
		probe.destroy();
	} catch {
		throw new ProgramFileError('Файл поврежден: содержимое программы не читается.');
	}
	return { file, update };
}

/** Merges a program file into this device's copy of the program. */
export async function importProgram(text: string): Promise<ProgramFile> {
	const { file, update } = parseProgramFile(text);
	const doc = new Y.Doc();
	const persistence = new IndexeddbPersistence(programDatabaseName(file.programId), doc);
	await persistence.whenSynced;
	Y.applyUpdate(doc, update, 'import');
	// y-indexeddb stores updates as they happen; give it the write before closing.
	await persistence.destroy();
	doc.destroy();
	return file;
}
