/**
 * One attachment's upload, resumable, per the API contract (src/lib/shared/api/attachments.ts):
 * ask the server what it holds, send the rest chunk by chunk; once it is complete the device
 * marks it uploaded (and out of the outbox). Shared by the program screen's queue, which shows the
 * progress, and the outbox that uploads from any screen: the same file is never sent twice at once
 * (a second caller joins the upload under way).
 */
import {
	ATTACHMENT_LIMITS,
	attachmentPath,
	type AttachmentUploadState
} from '$lib/shared/api/attachments';
import { getFile, markUploaded } from './file-store';

/** Waits between failed rounds of uploads (network, server errors): 2 s up to 5 min. */
export const UPLOAD_BACKOFF_MS = [2_000, 5_000, 15_000, 60_000, 300_000] as const;

/** One failed request of the upload: retry later (network, 5xx) or not (the server refused). */
export class UploadError extends Error {
	constructor(
		readonly messageRu: string,
		readonly retry: boolean
	) {
		super(messageRu);
	}
}

function refusal(status: number): UploadError {
	if (status === 413)
		return new UploadError(
			`место программы для файлов исчерпано (${ATTACHMENT_LIMITS.programQuotaBytes / 1024 / 1024} МБ)`,
			false
		);
	if (status === 422) return new UploadError('сервер не принял файл: содержимое не совпало', false);
	if (status === 401) return new UploadError('войдите снова', true);
	if (status === 403) return new UploadError('нет доступа к программе', false);
	if (status === 404) return new UploadError('программа не найдена на сервере', true);
	if (status === 400 || status === 415)
		return new UploadError('сервер не принимает такой файл', false);
	return new UploadError('сервер не ответил, повторим позже', true);
}

async function request(path: string, init: RequestInit): Promise<AttachmentUploadState> {
	let response: Response;
	try {
		response = await fetch(path, { credentials: 'same-origin', ...init });
	} catch {
		throw new UploadError('нет связи с сервером, повторим позже', true);
	}
	// 409: another offset than the server holds; its state says where to continue.
	if (response.ok || response.status === 409) {
		const body = (await response.json().catch(() => null)) as AttachmentUploadState | null;
		if (body && typeof body.received === 'number') return body;
	}
	throw refusal(response.status);
}

async function send(
	programId: string,
	hash: string,
	name: string,
	progress: (percent: number) => void
): Promise<void> {
	const stored = await getFile(hash);
	if (!stored) throw new UploadError('файла нет на этом устройстве', false);
	const path = attachmentPath(programId, hash);
	let state = await request(attachmentPath(programId), {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ hash, size: stored.size, type: stored.type, name })
	});
	while (!state.complete) {
		progress(Math.floor((state.received / stored.size) * 100));
		const end = Math.min(state.received + ATTACHMENT_LIMITS.chunkBytes, stored.size);
		state = await request(`${path}?offset=${state.received}`, {
			method: 'PUT',
			headers: { 'content-type': 'application/octet-stream' },
			body: stored.blob.slice(state.received, end)
		});
		if (!state.complete && state.received >= stored.size)
			throw new UploadError('сервер не подтвердил файл, повторим позже', true);
	}
	await markUploaded(programId, hash);
}

interface Running {
	done: Promise<void>;
	listeners: Set<(percent: number) => void>;
}
const running = new Map<string, Running>();

/**
 * Uploads the file `hash` (its bytes on this device) for the program, or joins the upload of it
 * already under way in this page; `progress` hears the percent sent. Throws `UploadError`.
 */
export function uploadAttachment(
	programId: string,
	hash: string,
	name: string,
	progress: (percent: number) => void = () => {}
): Promise<void> {
	const key = `${programId}/${hash}`;
	let r = running.get(key);
	if (!r) {
		const listeners = new Set<(percent: number) => void>();
		const done = send(programId, hash, name, (p) => listeners.forEach((l) => l(p))).finally(() =>
			running.delete(key)
		);
		r = { done, listeners };
		running.set(key, r);
	}
	r.listeners.add(progress);
	return r.done;
}
