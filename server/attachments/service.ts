/**
 * Attachments (issue 17): the resumable upload, the verification, the quotas and the reading of
 * a program's evidence files. The bytes live outside the program document, content-addressed
 * (blob-store.ts); the document holds the reference (src/lib/shared/program/attachments.ts).
 *
 * An upload is (program, hash): its bytes so far are staged on this instance's disk
 * (`DATA_DIR/attachments/staging/<program>/<hash>.part`), and how many bytes the server holds is
 * the staged file's length — so an upload survives a restart or a crash of the server, and the
 * phone continues from what the POST answers. After the last byte the file is hashed and sniffed
 * (verify.ts); only a file whose SHA-256 and type match is moved into the blob store, and a hash
 * the store already holds (another program's copy) is not stored twice — the bytes were still
 * needed, as proof that the uploader has the file. A hash is served only through a program with a
 * completed upload of it: knowing another program's hash gives nothing.
 *
 * Access is the program's (server/identity/policy.ts): uploading needs `program.write`
 * (participants), reading `program.read` (participants, the curators and heads of its scope).
 */
import { open, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
	ATTACHMENT_LIMITS,
	ATTACHMENT_TYPES,
	maxBytesOf,
	type AttachmentType,
	type AttachmentUploadBody,
	type AttachmentUploadState
} from '../../src/lib/shared/api/attachments.js';
import { IdentityError, notFound } from '../identity/errors.js';
import type { Actor } from '../identity/policy.js';
import type { IdentityService } from '../identity/service.js';
import type { Logger } from '../logger.js';
import type { SqlClient } from '../storage/sql.js';
import { privateDir, type BlobStore } from './blob-store.js';
import { sha256OfFile, sniffedType } from './verify.js';

export interface AttachmentsDeps {
	sql: SqlClient;
	store: BlobStore;
	/** Where uploads under way are staged (local disk of this instance). */
	stagingDir: string;
	identity: IdentityService;
	logger: Logger;
	now?: () => number;
	/** All of one program's attachments together (default ATTACHMENT_LIMITS.programQuotaBytes). */
	programQuotaBytes?: number;
}

/** One upload row (migration 100). */
export interface UploadRow {
	program_id: string;
	hash: string;
	size: number;
	type: string;
	name: string;
	uploaded_by: string;
	started_at: number;
	completed_at: number | null;
	unreferenced_since: number | null;
}

/** A stored attachment of a program, as the curator's view and the exports list it. */
export interface StoredAttachment {
	hash: string;
	size: number;
	type: AttachmentType;
	name: string;
	uploadedBy: string;
	completedAt: number;
}

const MiB = 1024 * 1024;
const mb = (bytes: number) => `${Math.round((bytes / MiB) * 10) / 10} МБ`.replace('.', ',');

export const tooLarge = (messageRu: string) => new IdentityError(413, 'too_large', messageRu);
export const unverified = (messageRu: string) =>
	new IdentityError(422, 'upload_rejected', messageRu);

export class AttachmentsService {
	private readonly sql: SqlClient;
	readonly store: BlobStore;
	readonly stagingDir: string;
	private readonly identity: IdentityService;
	private readonly log: Logger;
	readonly now: () => number;
	private readonly quota: number;
	/** One chunk at a time per upload: two PUTs of the same offset must not both append. */
	private readonly locks = new Map<string, Promise<unknown>>();

	constructor(deps: AttachmentsDeps) {
		this.sql = deps.sql;
		this.store = deps.store;
		this.stagingDir = deps.stagingDir;
		this.identity = deps.identity;
		this.log = deps.logger.child({ component: 'attachments' });
		this.now = deps.now ?? (() => Date.now());
		this.quota = deps.programQuotaBytes ?? ATTACHMENT_LIMITS.programQuotaBytes;
	}

	/** The program after the policy allowed `action` (404 when missing or unknowable, else 403). */
	private async checked(
		actor: Actor,
		programId: string,
		action: 'program.read' | 'program.write'
	): Promise<void> {
		const found = await this.identity.registry.program(programId);
		if (!found) throw notFound();
		this.identity.guard(actor, action, found.res);
	}

	stagedFile(programId: string, hash: string): string {
		// Both are checked by the route's schema (an id, 64 hex digits): no path tricks.
		return path.join(this.stagingDir, programId, `${hash}.part`);
	}

	private async staged(programId: string, hash: string): Promise<number> {
		try {
			return (await stat(this.stagedFile(programId, hash))).size;
		} catch (error) {
			if ((error as { code?: string }).code === 'ENOENT') return 0;
			throw error;
		}
	}

	private row(programId: string, hash: string): Promise<UploadRow | undefined> {
		return this.sql.get<UploadRow>(
			'SELECT * FROM attachment_uploads WHERE program_id = ? AND hash = ?',
			[programId, hash]
		);
	}

	private async stateOf(row: UploadRow): Promise<AttachmentUploadState> {
		const size = Number(row.size);
		if (row.completed_at !== null) return { hash: row.hash, size, received: size, complete: true };
		const received = Math.min(size, await this.staged(row.program_id, row.hash));
		return { hash: row.hash, size, received, complete: false };
	}

	private serially<T>(key: string, fn: () => Promise<T>): Promise<T> {
		const before = this.locks.get(key) ?? Promise.resolve();
		const run = before.then(fn, fn);
		const tail = run.catch(() => undefined);
		this.locks.set(key, tail);
		void tail.then(() => {
			if (this.locks.get(key) === tail) this.locks.delete(key);
		});
		return run;
	}

	// ------------------------------------------------------------------ upload

	/** POST: start an upload, or say how far one has come (idempotent). */
	async start(
		actor: Actor,
		programId: string,
		body: AttachmentUploadBody
	): Promise<AttachmentUploadState> {
		await this.checked(actor, programId, 'program.write');
		const { hash, size, type, name } = body;
		const limit = maxBytesOf(type);
		if (size > limit)
			throw tooLarge(
				ATTACHMENT_TYPES[type].kind === 'image'
					? `Фотография больше ${mb(limit)}: уменьшите ее и приложите снова`
					: `Файл больше ${mb(limit)}: такой файл приложить нельзя`
			);
		// One start at a time per program: two files must not both fit the quota's last megabytes.
		return this.serially(`start:${programId}`, async () => {
			const existing = await this.row(programId, hash);
			if (existing) {
				if (Number(existing.size) !== size || existing.type !== type)
					throw new IdentityError(
						409,
						'upload_mismatch',
						'Этот файл уже загружается с другим размером или типом'
					);
				return this.stateOf(existing);
			}
			const used = await this.sql.get<{ total: number | null }>(
				'SELECT SUM(size) AS total FROM attachment_uploads WHERE program_id = ?',
				[programId]
			);
			const total = Number(used?.total ?? 0);
			if (total + size > this.quota)
				throw tooLarge(
					`Место для файлов программы закончилось: занято ${mb(total)} из ${mb(this.quota)}. Удалите ненужные вложения`
				);
			const now = this.now();
			await this.sql.run(
				`INSERT INTO attachment_uploads (program_id, hash, size, type, name, uploaded_by, started_at)
				 VALUES (?, ?, ?, ?, ?, ?, ?)`,
				[programId, hash, size, type, name, actor.personId, now]
			);
			this.log.info({ programId, hash, size, type }, 'attachment upload started');
			return { hash, size, received: 0, complete: false };
		});
	}

	/** PUT: the bytes at `offset`; after the last one, verify and store. */
	async putChunk(
		actor: Actor,
		programId: string,
		hash: string,
		offset: number,
		chunk: Buffer
	): Promise<AttachmentUploadState> {
		await this.checked(actor, programId, 'program.write');
		return this.serially(`${programId}/${hash}`, async () => {
			const row = await this.row(programId, hash);
			if (!row)
				throw new IdentityError(
					404,
					'upload_not_started',
					'Загрузка этого файла не начата: начните ее заново'
				);
			const state = await this.stateOf(row);
			if (state.complete) return state;
			if (offset !== state.received)
				throw new IdentityError(409, 'wrong_offset', 'Продолжите загрузку с нужного места', {
					state
				});
			if (chunk.length === 0 && offset < state.size)
				throw new IdentityError(400, 'invalid_request', 'Пустая часть файла');
			if (offset + chunk.length > state.size)
				throw new IdentityError(
					400,
					'invalid_request',
					'Файл длиннее, чем было указано при начале загрузки'
				);
			const file = this.stagedFile(programId, hash);
			await privateDir(path.dirname(file));
			// Append exactly at `offset`; a crash mid-write leaves a shorter file, which the next POST reports.
			const handle = await open(file, 'a', 0o600);
			try {
				await handle.write(chunk, 0, chunk.length, offset);
			} finally {
				await handle.close();
			}
			const received = offset + chunk.length;
			if (received < state.size) return { ...state, received };
			return this.finish(row, file);
		});
	}

	/** The last byte arrived: hash and sniff, then store (or refuse and drop everything). */
	private async finish(row: UploadRow, file: string): Promise<AttachmentUploadState> {
		const { program_id: programId, hash } = row;
		const declared = row.type as AttachmentType;
		const [actualHash, type] = [await sha256OfFile(file), await sniffedType(file, declared)];
		if (actualHash !== hash || type === null) {
			await rm(file, { force: true });
			await this.sql.run('DELETE FROM attachment_uploads WHERE program_id = ? AND hash = ?', [
				programId,
				hash
			]);
			this.log.warn(
				{ programId, hash, declared, hashMatches: actualHash === hash, typeMatches: type !== null },
				'attachment upload refused'
			);
			throw unverified(
				actualHash !== hash
					? 'Файл повредился при загрузке (контрольная сумма не совпала): загрузите его заново'
					: 'Содержимое файла не совпадает с его типом: такой файл приложить нельзя'
			);
		}
		const size = Number(row.size);
		if (await this.store.has(hash)) {
			// Another program's copy (or an earlier upload): the bytes proved possession; keep one.
			await rm(file, { force: true });
		} else {
			await this.store.put(hash, file, size);
		}
		const now = this.now();
		await this.sql.batch([
			{
				sql: `INSERT INTO attachment_blobs (hash, size, type, stored_at) VALUES (?, ?, ?, ?)
				      ON CONFLICT (hash) DO NOTHING`,
				params: [hash, size, type, now]
			},
			{
				sql: 'UPDATE attachment_uploads SET completed_at = ? WHERE program_id = ? AND hash = ?',
				params: [now, programId, hash]
			}
		]);
		this.log.info({ programId, hash, size, type }, 'attachment stored');
		return { hash, size, received: size, complete: true };
	}

	// ------------------------------------------------------------------ read

	/** GET: the bytes of a completed upload of this program, with the verified type and name. */
	async open(
		actor: Actor,
		programId: string,
		hash: string
	): Promise<{ body: Readable; size: number; type: AttachmentType; name: string }> {
		await this.checked(actor, programId, 'program.read');
		const row = await this.row(programId, hash);
		if (!row || row.completed_at === null)
			throw new IdentityError(404, 'not_found', 'Файл еще не загружен на сервер');
		const body = await this.store.get(hash);
		if (!body) {
			this.log.error({ programId, hash }, 'attachment missing from the blob store');
			throw new IdentityError(404, 'not_found', 'Файл не найден на сервере');
		}
		return { body, size: Number(row.size), type: row.type as AttachmentType, name: row.name };
	}

	/** The completed uploads of a program (no policy check: the caller checked `program.read`). */
	async listStored(programId: string): Promise<StoredAttachment[]> {
		const rows = await this.sql.all<UploadRow>(
			'SELECT * FROM attachment_uploads WHERE program_id = ? AND completed_at IS NOT NULL ORDER BY completed_at, hash',
			[programId]
		);
		return rows.map((r) => ({
			hash: r.hash,
			size: Number(r.size),
			type: r.type as AttachmentType,
			name: r.name,
			uploadedBy: r.uploaded_by,
			completedAt: Number(r.completed_at)
		}));
	}
}
