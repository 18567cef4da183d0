// What the phone decides about a chosen file before any work: its type (by the browser's MIME
// type, else by the name's extension: Android often reports a DOCX as ''), whether it may be
// attached, the name a downscaled photo gets, and sizes as a person reads them. Pure functions.
import {
	ATTACHMENT_LIMITS,
	ATTACHMENT_TYPES,
	ATTACHMENT_TYPE_LIST,
	maxBytesOf,
	type AttachmentType
} from '$lib/shared/api/attachments';

const MiB = 1024 * 1024;

/** A photo's original may be larger than the limit (it is downscaled first), but not absurdly. */
export const MAX_ORIGINAL_PHOTO_BYTES = 60 * MiB;

/** The `accept` of the file picker: the accepted MIME types and their extensions. */
export const ACCEPT = [
	...ATTACHMENT_TYPE_LIST,
	...ATTACHMENT_TYPE_LIST.map((t) => `.${ATTACHMENT_TYPES[t].ext}`),
	'.jpeg'
].join(',');

const BY_EXTENSION: Record<string, AttachmentType> = Object.fromEntries([
	...ATTACHMENT_TYPE_LIST.map((t) => [ATTACHMENT_TYPES[t].ext, t]),
	['jpeg', 'image/jpeg']
]);

/** Image formats a phone's camera or gallery gives that the device re-encodes as JPEG. */
const CONVERTIBLE_IMAGES = new Set([
	'image/heic',
	'image/heif',
	'image/gif',
	'image/bmp',
	'image/avif'
]);

export type FileVerdict =
	{ ok: true; type: AttachmentType; kind: 'image' | 'document' } | { ok: false; messageRu: string };

export function judgeFile(name: string, mime: string, size: number): FileVerdict {
	const ext = /\.([a-z0-9]{1,5})$/i.exec(name)?.[1]?.toLowerCase() ?? '';
	let type: AttachmentType | undefined = Object.hasOwn(ATTACHMENT_TYPES, mime)
		? (mime as AttachmentType)
		: undefined;
	if (!type && CONVERTIBLE_IMAGES.has(mime)) type = 'image/jpeg';
	if (!type && (mime === '' || mime === 'application/octet-stream')) type = BY_EXTENSION[ext];
	if (!type)
		return {
			ok: false,
			messageRu:
				'Такой тип файла не принимается. Можно прикрепить фото (JPEG, PNG, WebP), PDF или документ Office (Word, Excel, PowerPoint, OpenDocument).'
		};
	if (size < 1) return { ok: false, messageRu: 'Файл пустой.' };
	const kind = ATTACHMENT_TYPES[type].kind;
	const max = kind === 'image' ? MAX_ORIGINAL_PHOTO_BYTES : maxBytesOf(type);
	if (size > max)
		return { ok: false, messageRu: `Файл слишком большой: не более ${max / MiB} МБ.` };
	return { ok: true, type, kind };
}

/** A downscaled photo is a JPEG: its name says so. */
export function jpegName(name: string): string {
	const base = name.replace(/\.[a-z0-9]{1,5}$/i, '').trim() || 'Фото';
	return `${base}.jpg`.slice(-ATTACHMENT_LIMITS.nameMaxLength);
}

/** The name as the document keeps it: no path, no control characters, within the limit. */
export function cleanName(name: string): string {
	const clean = [...name.replace(/^.*[\\/]/, '')]
		.filter((ch) => ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f)
		.join('')
		.trim();
	return (clean || 'Файл').slice(0, ATTACHMENT_LIMITS.nameMaxLength);
}

/** «820 КБ», «4,8 МБ»: sizes as a person reads them. */
export function formatSize(bytes: number): string {
	if (bytes < 1024) return `${bytes} Б`;
	if (bytes < MiB) return `${Math.round(bytes / 1024)} КБ`;
	const mb = bytes / MiB;
	return `${mb < 10 ? mb.toFixed(1).replace('.', ',') : Math.round(mb)} МБ`;
}

/** The longer side at most `max`, proportions kept, whole pixels. */
export function fitWithin(
	width: number,
	height: number,
	max: number
): { width: number; height: number } {
	const scale = Math.min(1, max / Math.max(width, height));
	return {
		width: Math.max(1, Math.round(width * scale)),
		height: Math.max(1, Math.round(height * scale))
	};
}

/** Lowercase hex of a digest. */
export function hex(buffer: ArrayBuffer): string {
	return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
