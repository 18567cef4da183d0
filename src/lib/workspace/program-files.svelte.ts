// The attachments of one open program on this device (issue 17): attaching (the slow part in the
// attach worker, the screen back at once), the upload queue (resumable, per the API contract) and
// opening a file (from the device, else fetched from the server and kept for offline). The bytes
// never enter the Y document: it carries only the reference (ProgramEditor.attach).
import { attachmentPath } from '$lib/shared/api/attachments';
import {
	readAttachments,
	type AttachmentTarget,
	type AttachmentView,
	type ProgramView
} from '$lib/shared/program';
import { UPLOAD_BACKOFF_MS, UploadError, uploadAttachment } from '$lib/device/attachment-upload';
import {
	addToOutbox,
	fileHashes,
	getFile,
	markUploaded,
	putFile,
	removeFromOutbox,
	uploadedHashes
} from '$lib/device/file-store';
import { cleanName, hex, jpegName, judgeFile } from './attachment-file';
import { SvelteSet } from 'svelte/reactivity';
import type { AttachJob, AttachResult } from './attach.worker';
import { AttachClient } from './attach-client';
import type { OpenProgram } from './open-program.svelte';
import { exportedFile, type ExportedFile } from './program-file';

/** A file being prepared on the device (downscaled, hashed, stored): no reference yet. */
export interface Processing {
	localId: number;
	targetKind: AttachmentTarget;
	targetId: string;
	name: string;
}

export type UploadStatus =
	| { phase: 'waiting' }
	| { phase: 'uploading'; percent: number }
	| { phase: 'done' }
	| { phase: 'error'; messageRu: string; retrying: boolean };

/** «ждёт сети», «загружается 45 %»…: what the list says about a file this person attached. */
export function uploadLabel(s: UploadStatus): string {
	switch (s.phase) {
		case 'waiting':
			return 'ждёт сети';
		case 'uploading':
			return `загружается ${s.percent} %`;
		case 'done':
			return 'загружено';
		case 'error':
			return `ошибка: ${s.messageRu}`;
	}
}

/** Thrown by `open`; the message is for the person. */
export class OpenFileError extends Error {
	constructor(readonly messageRu: string) {
		super(messageRu);
	}
}

const uploadedNone: ReadonlySet<string> = new SvelteSet();

export class ProgramFiles {
	processing = $state.raw<Processing[]>([]);
	/** Upload status by hash, for the files this person attached on this device. */
	uploads = $state.raw<Record<string, UploadStatus>>({});
	/** Hashes whose bytes this device holds (attached here, or opened before). */
	readonly local = new SvelteSet<string>();
	/** Attach errors (Russian), shown next to the target they were for. */
	errors = $state.raw<Record<string, string>>({});

	#worker = new AttachClient();
	#nextJob = 1;
	#running = false;
	#again = false;
	#attempt = 0;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#destroyed = false;
	#onOnline = () => this.kick(true);
	#onVisible = () => {
		if (document.visibilityState === 'visible') this.kick(true);
	};

	constructor(readonly program: OpenProgram) {}

	/** Starts the queue: now (app start), when the network returns and when the app is shown. */
	start(): void {
		addEventListener('online', this.#onOnline);
		document.addEventListener('visibilitychange', this.#onVisible);
		void fileHashes()
			.then((hashes) => hashes.forEach((h) => this.local.add(h)))
			.catch((error: unknown) => console.error('file store read failed', error))
			.finally(() => this.kick(true));
	}

	destroy(): void {
		this.#destroyed = true;
		removeEventListener('online', this.#onOnline);
		document.removeEventListener('visibilitychange', this.#onVisible);
		if (this.#timer) clearTimeout(this.#timer);
		this.#worker.terminate();
	}

	// ---------- attaching ----------

	/**
	 * Attaches a chosen file or photo: returns at once (the file is shown as «обрабатывается»);
	 * the worker downscales a photo, hashes and stores the bytes, then the reference is written
	 * into the document and the upload queued. An error (Russian) is returned or put in `errors`.
	 */
	attach(target: { kind: AttachmentTarget; id: string }, file: File): string | null {
		const key = `${target.kind}/${target.id}`;
		this.errors = { ...this.errors, [key]: '' };
		const verdict = judgeFile(file.name, file.type, file.size);
		if (!verdict.ok) return this.#fail(key, verdict.messageRu);
		const name = verdict.kind === 'image' ? jpegName(cleanName(file.name)) : cleanName(file.name);
		const localId = this.#nextJob++;
		this.processing = [
			...this.processing,
			{ localId, targetKind: target.kind, targetId: target.id, name }
		];
		const job: AttachJob = { jobId: localId, file, kind: verdict.kind, type: verdict.type };
		void this.#run(job).then((result) => {
			this.processing = this.processing.filter((p) => p.localId !== localId);
			if (this.#destroyed) return;
			if (!result.ok) {
				this.#fail(
					key,
					result.reason === 'decode'
						? 'Фото не удалось прочитать. Попробуйте другой файл.'
						: result.reason === 'too-large'
							? 'Фото слишком большое даже после уменьшения.'
							: 'Не хватает места на устройстве: файл не сохранён.'
				);
				return;
			}
			this.local.add(result.hash);
			const error = this.program.act((e) =>
				e.attach(target, { hash: result.hash, name, type: result.type, size: result.size })
			);
			if (error) {
				this.#fail(key, error);
				return;
			}
			// Owed to the server from now on, whatever screen is open when the network returns.
			void addToOutbox({ programId: this.program.programId, hash: result.hash, name })
				.catch((e: unknown) => console.error('file store write failed', e))
				.finally(() => this.kick(true));
		});
		return null;
	}

	#fail(key: string, messageRu: string): string {
		this.errors = { ...this.errors, [key]: messageRu };
		return messageRu;
	}

	#run(job: AttachJob): Promise<AttachResult> {
		return this.#worker.run(job);
	}

	// ---------- the upload queue ----------

	/** Runs the queue now (`fresh`: forget the back-off, e.g. the network just returned). */
	kick(fresh = false): void {
		if (this.#destroyed) return;
		if (fresh) {
			this.#attempt = 0;
			if (this.#timer) clearTimeout(this.#timer);
			this.#timer = null;
		}
		if (this.#running) {
			this.#again = true;
			return;
		}
		this.#running = true;
		void this.#drain().finally(() => {
			this.#running = false;
			if (this.#again) {
				this.#again = false;
				this.kick();
			}
		});
	}

	/** This person's attachments whose bytes are on this device (the ones this device uploads). */
	#mine(view: ProgramView): AttachmentView[] {
		const me = this.program.person.userId;
		// One upload per file, however often it is attached.
		return view.attachments.filter(
			(a, i, all) =>
				a.authorId === me &&
				this.local.has(a.hash) &&
				all.findIndex((b) => b.hash === a.hash && b.authorId === me) === i
		);
	}

	#set(hash: string, status: UploadStatus): void {
		this.uploads = { ...this.uploads, [hash]: status };
	}

	async #drain(): Promise<void> {
		const done: ReadonlySet<string> = await uploadedHashes(this.program.programId).catch(
			(error: unknown) => {
				console.error('file store read failed', error);
				return uploadedNone;
			}
		);
		// Read after the await: a reference written just before the kick is in the view by now.
		const view = this.program.view;
		if (!view) return;
		const todo: AttachmentView[] = [];
		for (const a of this.#mine(view)) {
			if (done.has(a.hash)) this.#set(a.hash, { phase: 'done' });
			else todo.push(a);
		}
		for (const a of todo) {
			if (this.#destroyed) return;
			if (!navigator.onLine) {
				this.#set(a.hash, { phase: 'waiting' });
				continue;
			}
			try {
				await this.#upload(a);
				this.#set(a.hash, { phase: 'done' });
			} catch (error) {
				const e =
					error instanceof UploadError
						? error
						: new UploadError('нет связи с сервером, повторим позже', true);
				if (e.retry && !navigator.onLine) this.#set(a.hash, { phase: 'waiting' });
				else this.#set(a.hash, { phase: 'error', messageRu: e.messageRu, retrying: e.retry });
				if (e.retry) {
					this.#retryLater();
					return;
				}
			}
		}
		this.#attempt = 0;
	}

	#retryLater(): void {
		if (this.#timer || this.#destroyed) return;
		const delay = UPLOAD_BACKOFF_MS[Math.min(this.#attempt, UPLOAD_BACKOFF_MS.length - 1)]!;
		this.#attempt++;
		this.#timer = setTimeout(() => {
			this.#timer = null;
			this.kick();
		}, delay);
	}

	/** One file, resumably (device/attachment-upload.ts), its progress shown in the list. */
	#upload(a: AttachmentView): Promise<void> {
		return uploadAttachment(this.program.programId, a.hash, a.name, (percent) =>
			this.#set(a.hash, { phase: 'uploading', percent })
		);
	}

	/**
	 * After this person removed an attachment: if no attachment of theirs names the file any
	 * more, nothing is owed to the server (a photo removed offline is never sent).
	 */
	forget(a: AttachmentView): void {
		const view = this.program.view;
		if (!view) return;
		const me = this.program.person.userId;
		const still = readAttachments(this.program.doc, view.participants).some(
			(x) => x.hash === a.hash && x.authorId === me
		);
		if (!still)
			void removeFromOutbox(this.program.programId, a.hash).catch((error: unknown) =>
				console.error('file store write failed', error)
			);
	}

	// ---------- opening ----------

	/**
	 * The bytes of an attachment: from the device, else from the server (then kept on the device
	 * for offline, after checking they are the bytes the reference names).
	 */
	async open(a: AttachmentView): Promise<Blob> {
		const stored = await getFile(a.hash).catch(() => null);
		if (stored) return stored.blob;
		let response: Response;
		try {
			response = await fetch(attachmentPath(this.program.programId, a.hash), {
				credentials: 'same-origin'
			});
		} catch {
			throw new OpenFileError(
				'Нет связи с сервером: файл ещё не сохранён на этом устройстве. Откройте его, когда появится интернет.'
			);
		}
		if (response.status === 404)
			throw new OpenFileError(
				a.authorId === this.program.person.userId
					? 'Файл ещё не загружен на сервер с устройства, где его прикрепили.'
					: `${a.authorName || 'Автор'} ещё не загрузил(а) файл: он появится, когда устройство автора выйдет в сеть.`
			);
		if (!response.ok) throw new OpenFileError('Не удалось получить файл. Попробуйте позже.');
		const bytes = await response.arrayBuffer();
		if (hex(await crypto.subtle.digest('SHA-256', bytes)) !== a.hash)
			throw new OpenFileError('Файл пришёл повреждённым. Попробуйте ещё раз.');
		const blob = new Blob([bytes], { type: a.type });
		// The server holds it: a copy kept here is not work to lose on sign-out.
		await Promise.all([
			putFile({ hash: a.hash, type: a.type, size: blob.size, blob }),
			markUploaded(this.program.programId, a.hash)
		])
			.then(() => this.local.add(a.hash))
			.catch((error: unknown) => console.error('file store write failed', error));
		return blob;
	}

	// ---------- export ----------

	/**
	 * Every attachment's bytes for the program file (one per hash): from the device, else from the
	 * server when the network allows; a file neither has is listed without bytes.
	 */
	async exportable(): Promise<ExportedFile[]> {
		const out: ExportedFile[] = [];
		const seen: string[] = [];
		for (const a of this.program.view?.attachments ?? []) {
			if (seen.includes(a.hash)) continue;
			seen.push(a.hash);
			out.push(await exportedFile(a, await this.open(a).catch(() => null)));
		}
		return out;
	}
}
