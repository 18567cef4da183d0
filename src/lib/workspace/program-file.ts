import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { readProgram } from '$lib/shared/program';
import { putFile } from '$lib/device/file-store';
import { programDatabaseName } from '$lib/device/database-names';
import { hex } from './attachment-file';

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
	/**
	 * The attachments' bytes (issue 17), one per hash the document refers to; `data` absent when
	 * this device had neither the file nor the network to fetch it. Older files have no `files`.
	 */
	files?: ExportedFile[];
}

export interface ExportedFile {
	hash: string;
	name: string;
	type: string;
	size: number;
	/** The bytes, base64. */
	data?: string;
}

/** An attachment's bytes as the export carries them. */
export async function exportedFile(
	a: { hash: string; name: string; type: string; size: number },
	blob: Blob | null
): Promise<ExportedFile> {
	const file: ExportedFile = { hash: a.hash, name: a.name, type: a.type, size: a.size };
	if (blob) file.data = toBase64(new Uint8Array(await blob.arrayBuffer()));
	return file;
}

function toBase64(bytes: Uint8Array): string {
	let binary = '';
	for (let i = 0; i < bytes.length; i += 0x8000) {
		binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
	}
	return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
	const binary = atob(text);
	const bytes = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
	return bytes;
}

export function exportProgram(
	programId: string,
	doc: Y.Doc,
	files: ExportedFile[] = []
): ProgramFile {
	return {
		format: 'nastavnik-program',
		version: 1,
		programId,
		title: readProgram(doc).meta.title,
		exportedAt: new Date().toISOString(),
		state: toBase64(Y.encodeStateAsUpdate(doc)),
		files
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
	if (file.files !== undefined && !Array.isArray(file.files))
		throw new ProgramFileError('Файл поврежден: список вложений не читается.');
	return { file, update };
}

/**
 * Puts the attachments' bytes of a program file into the device's file store; a file whose bytes
 * are not the ones its hash names is skipped (the count of those is returned).
 */
async function importFiles(files: readonly ExportedFile[]): Promise<number> {
	let damaged = 0;
	for (const f of files) {
		if (typeof f?.data !== 'string' || typeof f.hash !== 'string' || typeof f.type !== 'string')
			continue;
		let bytes: Uint8Array<ArrayBuffer>;
		try {
			bytes = fromBase64(f.data);
		} catch {
			damaged++;
			continue;
		}
		if (hex(await crypto.subtle.digest('SHA-256', bytes)) !== f.hash) {
			damaged++;
			continue;
		}
		await putFile({
			hash: f.hash,
			type: f.type,
			size: bytes.length,
			blob: new Blob([bytes], { type: f.type })
		});
	}
	return damaged;
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
	const damaged = await importFiles(file.files ?? []);
	if (damaged > 0) console.warn(`program import: ${damaged} attachment(s) failed their hash check`);
	return file;
}
