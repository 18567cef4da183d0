/**
 * What the server checks of a finished upload before it stores anything (issue 17): the SHA-256
 * of the whole file, and the type sniffed from its bytes (file-type) against the declared one.
 * Both read the staged file as a stream (64 KiB at a time), so a 25 MB document never holds the
 * event loop for longer than one chunk's hashing.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ATTACHMENT_TYPES, type AttachmentType } from '../../src/lib/shared/api/attachments.js';

/** Lowercase hex SHA-256 of a file, read as a stream. */
export async function sha256OfFile(file: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
		hash.update(chunk as Buffer);
	}
	return hash.digest('hex');
}

/**
 * The legacy Office formats (DOC, XLS, PPT) are all OLE compound files: file-type names them
 * `application/x-cfb` and cannot tell them apart without parsing the streams. They are always
 * served as downloads, so the declared one of the three is kept.
 */
const COMPOUND_FILE = 'application/x-cfb';
const LEGACY_OFFICE: readonly AttachmentType[] = [
	'application/msword',
	'application/vnd.ms-excel',
	'application/vnd.ms-powerpoint'
];

/**
 * The type to serve the file as, or null when its bytes are not what was declared (an HTML or SVG
 * page named .png, a ZIP named .docx, a DOCX declared as a spreadsheet, …).
 */
export async function sniffedType(
	file: string,
	declared: AttachmentType
): Promise<AttachmentType | null> {
	// file-type (and its tokenizers) loads with the first upload, not at start (issue 18).
	const { fileTypeFromFile } = await import('file-type');
	const found = await fileTypeFromFile(file);
	if (!found) return null;
	if (found.mime === COMPOUND_FILE) return LEGACY_OFFICE.includes(declared) ? declared : null;
	return found.mime === declared && Object.hasOwn(ATTACHMENT_TYPES, found.mime) ? declared : null;
}
