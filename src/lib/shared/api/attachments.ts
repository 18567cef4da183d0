/**
 * The attachments API's contract (issue 17): evidence files and photos of a program. The bytes
 * live outside the program document, content-addressed by their SHA-256; the document holds the
 * reference (src/lib/shared/program/attachments.ts). One program is the unit of access: every
 * route is under the program, checked by the same policy as the program (participants read and
 * write, the curators of its scope read), and a hash is served only through a program whose
 * uploads include it — knowing another program's hash gives nothing.
 *
 * Upload (resumable, in chunks; the phone may lose the network between any two):
 * 1. `POST /api/programs/:id/attachments` with `AttachmentUploadBody` → `AttachmentUploadState`:
 *    how many bytes the server already holds for this program and hash (0 for a new upload; the
 *    size when it is complete). Idempotent: the phone asks again after every reconnect.
 * 2. `PUT /api/programs/:id/attachments/:hash?offset=N`, body: raw bytes
 *    (`application/octet-stream`, at most `ATTACHMENT_LIMITS.chunkBytes`) → `AttachmentUploadState`.
 *    An offset other than what the server holds: 409 with the state (the phone continues from it).
 *    After the last byte the server checks the SHA-256 and the type: a mismatch is refused (422),
 *    the partial bytes are dropped, nothing is stored.
 * 3. `GET /api/programs/:id/attachments/:hash` → the bytes, with the type the server sniffed and
 *    `Content-Disposition: attachment` for anything a browser could execute (only raster images
 *    and PDF inline), `X-Content-Type-Options: nosniff` and a sandboxing CSP.
 */
import { Type, type Static } from 'typebox';
import { Id, StringEnum } from './common';

/** Lowercase hex SHA-256 of the file's bytes. */
export const ATTACHMENT_HASH_PATTERN = '^[0-9a-f]{64}$';
export const AttachmentHash = Type.String({ pattern: ATTACHMENT_HASH_PATTERN });

const MiB = 1024 * 1024;

export const ATTACHMENT_LIMITS = {
	/** One PUT's body. */
	chunkBytes: 1 * MiB,
	/** A photo after the phone has downscaled it (the original is never uploaded). */
	maxImageBytes: 10 * MiB,
	/** A document (DOCX, PDF, a presentation…). */
	maxDocumentBytes: 25 * MiB,
	/** All attachments of one program together (uploads that would exceed it are refused, 413). */
	programQuotaBytes: 300 * MiB,
	/** The longer side of a photo after downscaling on the device. */
	imageMaxSidePx: 2048,
	/** A file name as shown and as offered for download. */
	nameMaxLength: 200,
	/** Bytes no program refers to are deleted this long after the last reference went. */
	orphanGraceDays: 7
} as const;

/**
 * The types a program accepts, by MIME type. `kind`: images are downscaled on the device and may
 * be shown inline; documents are always downloaded. Anything else (HTML, SVG, scripts,
 * executables, archives) is refused, whatever its name says: the server sniffs the bytes.
 */
export const ATTACHMENT_TYPES = {
	'image/jpeg': { kind: 'image', ext: 'jpg' },
	'image/png': { kind: 'image', ext: 'png' },
	'image/webp': { kind: 'image', ext: 'webp' },
	'application/pdf': { kind: 'document', ext: 'pdf' },
	'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
		kind: 'document',
		ext: 'docx'
	},
	'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
		kind: 'document',
		ext: 'xlsx'
	},
	'application/vnd.openxmlformats-officedocument.presentationml.presentation': {
		kind: 'document',
		ext: 'pptx'
	},
	'application/msword': { kind: 'document', ext: 'doc' },
	'application/vnd.ms-excel': { kind: 'document', ext: 'xls' },
	'application/vnd.ms-powerpoint': { kind: 'document', ext: 'ppt' },
	'application/vnd.oasis.opendocument.text': { kind: 'document', ext: 'odt' },
	'application/vnd.oasis.opendocument.spreadsheet': { kind: 'document', ext: 'ods' },
	'application/vnd.oasis.opendocument.presentation': { kind: 'document', ext: 'odp' }
} as const satisfies Record<string, { kind: 'image' | 'document'; ext: string }>;
export type AttachmentType = keyof typeof ATTACHMENT_TYPES;
export const ATTACHMENT_TYPE_LIST = Object.keys(ATTACHMENT_TYPES) as AttachmentType[];

/** The most bytes a file of this type may have. */
export function maxBytesOf(type: AttachmentType): number {
	return ATTACHMENT_TYPES[type].kind === 'image'
		? ATTACHMENT_LIMITS.maxImageBytes
		: ATTACHMENT_LIMITS.maxDocumentBytes;
}

/** POST /api/programs/:id/attachments: start or resume an upload. */
export const AttachmentUploadBody = Type.Object(
	{
		hash: AttachmentHash,
		size: Type.Integer({ minimum: 1, maximum: ATTACHMENT_LIMITS.maxDocumentBytes }),
		type: StringEnum(ATTACHMENT_TYPE_LIST),
		name: Type.String({ minLength: 1, maxLength: ATTACHMENT_LIMITS.nameMaxLength })
	},
	{ additionalProperties: false }
);
export type AttachmentUploadBody = Static<typeof AttachmentUploadBody>;

/** Path of the PUT and GET routes. */
export const AttachmentParams = Type.Object(
	{ id: Id, hash: AttachmentHash },
	{ additionalProperties: false }
);
export type AttachmentParams = Static<typeof AttachmentParams>;

/** PUT …/attachments/:hash?offset=N */
export const AttachmentChunkQuery = Type.Object(
	{ offset: Type.Integer({ minimum: 0, maximum: ATTACHMENT_LIMITS.maxDocumentBytes }) },
	{ additionalProperties: false }
);
export type AttachmentChunkQuery = Static<typeof AttachmentChunkQuery>;

/** The answer of POST and PUT (and the body of a 409). */
export interface AttachmentUploadState {
	hash: string;
	size: number;
	/** Bytes the server holds for this program's upload of this hash. */
	received: number;
	/** true once every byte arrived and the hash was verified. */
	complete: boolean;
}

export const attachmentPath = (programId: string, hash?: string): string =>
	`/api/programs/${encodeURIComponent(programId)}/attachments${hash ? `/${hash}` : ''}`;
