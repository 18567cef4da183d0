/**
 * Attachment uploads the way a phone makes them (issue 17): real files of the accepted types,
 * their SHA-256, and the resumable protocol over HTTP (POST start, PUT chunks at offsets).
 */
import { createHash, randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import {
	ATTACHMENT_LIMITS,
	attachmentPath,
	type AttachmentUploadState
} from '../../src/lib/shared/api/attachments';
import { renderDocx } from '../../server/curator/exports/docx';
import { renderPdf } from '../../server/curator/exports/pdf';
import type { DocModel } from '../../server/curator/exports/model';

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A JPEG: the JFIF header, then `size` bytes in all (random scan data; nobody decodes it). */
export function jpeg(size: number): Buffer {
	const head = Buffer.from([
		0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
		0x00, 0x01, 0x00, 0x00
	]);
	return Buffer.concat([
		head,
		randomBytes(Math.max(0, size - head.length - 2)),
		Buffer.from([0xff, 0xd9])
	]);
}

function pngChunk(type: string, data: Buffer): Buffer {
	const len = Buffer.alloc(4);
	len.writeUInt32BE(data.length);
	const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(body) >>> 0);
	return Buffer.concat([len, body, crc]);
}

/** A valid 2×2 PNG. */
export function png(): Buffer {
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(2, 0);
	ihdr.writeUInt32BE(2, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // RGB
	const rows = Buffer.alloc(2 * (1 + 2 * 3), 0x7f);
	rows[0] = 0;
	rows[7] = 0;
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		pngChunk('IHDR', ihdr),
		pngChunk('IDAT', deflateSync(rows)),
		pngChunk('IEND', Buffer.alloc(0))
	]);
}

const model = (title: string): DocModel => ({
	name: title,
	title,
	blocks: [{ kind: 'para', text: `${title}: методические материалы` }]
});

/** A real DOCX (the exports' renderer). */
export const docx = (title = 'План урока') => renderDocx(model(title));
/** A real PDF. */
export const pdf = async (title = 'Аналитический отчет') =>
	Buffer.from(await renderPdf(model(title)));

export const HTML_PAGE = Buffer.from(
	'<!doctype html><html><body><script>fetch("/api/me").then(r=>r.text()).then(alert)</script></body></html>'
);
export const SVG_IMAGE = Buffer.from(
	'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>'
);

export interface Caller {
	base: string;
	cookie?: string | null;
}

export interface Reply<T = Record<string, unknown>> {
	status: number;
	body: T;
	headers: Headers;
}

async function send<T>(
	c: Caller,
	method: string,
	url: string,
	body?: Uint8Array | string,
	type?: string
): Promise<Reply<T>> {
	const headers: Record<string, string> = {};
	if (c.cookie) headers.cookie = c.cookie;
	if (type) headers['content-type'] = type;
	const r = await fetch(`${c.base}${url}`, {
		method,
		headers,
		// A copy on its own ArrayBuffer: what fetch's BodyInit accepts.
		body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body)
	});
	const text = await r.text();
	let parsed: unknown = {};
	try {
		parsed = text ? JSON.parse(text) : {};
	} catch {
		parsed = { raw: text };
	}
	return { status: r.status, body: parsed as T, headers: r.headers };
}

export const startUpload = (
	c: Caller,
	programId: string,
	file: { hash: string; size: number; type: string; name: string }
) =>
	send<AttachmentUploadState & { error?: string; message?: string }>(
		c,
		'POST',
		attachmentPath(programId),
		JSON.stringify(file),
		'application/json'
	);

export const putChunk = (
	c: Caller,
	programId: string,
	hash: string,
	offset: number,
	bytes: Uint8Array
) =>
	send<AttachmentUploadState & { error?: string; message?: string }>(
		c,
		'PUT',
		`${attachmentPath(programId, hash)}?offset=${offset}`,
		bytes,
		'application/octet-stream'
	);

/** GET the bytes (and the headers they are served with). */
export async function download(
	c: Caller,
	programId: string,
	hash: string,
	headers: Record<string, string> = {}
): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
	const r = await fetch(`${c.base}${attachmentPath(programId, hash)}`, {
		headers: { ...(c.cookie ? { cookie: c.cookie } : {}), ...headers }
	});
	return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()), headers: r.headers };
}

/**
 * The whole protocol: POST, then PUT the rest chunk by chunk from what the server holds. Resolves
 * with the last answer (complete, or the refusal that stopped it).
 */
export async function upload(
	c: Caller,
	programId: string,
	bytes: Buffer,
	meta: { type: string; name: string; hash?: string }
): Promise<Reply<AttachmentUploadState & { error?: string; message?: string }>> {
	const hash = meta.hash ?? sha256(bytes);
	let r = await startUpload(c, programId, {
		hash,
		size: bytes.length,
		type: meta.type,
		name: meta.name
	});
	if (r.status !== 200) return r;
	let offset = r.body.received;
	while (!r.body.complete) {
		const chunk = bytes.subarray(offset, offset + ATTACHMENT_LIMITS.chunkBytes);
		r = await putChunk(c, programId, hash, offset, chunk);
		if (r.status !== 200) return r;
		offset = r.body.received;
	}
	return r;
}
