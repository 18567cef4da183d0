/**
 * The garbage collector of attachment bytes (issue 17). Removing an attachment removes only its
 * reference from the program document; the bytes stay until nothing refers to them for
 * `graceMs` (ATTACHMENT_LIMITS.orphanGraceDays): a removal undone, a phone whose reference has
 * not synced yet, or a partner's copy still on its way all find the bytes in the meantime.
 *
 * A pass, for every completed upload (program, hash): read the program's stored document in the
 * worker pool (`attachmentHashes`, the live references as src/lib/shared/program/attachments.ts
 * reads them — never the curator summaries); referred to → `unreferenced_since` cleared; not →
 * set to now the first time, and the upload row deleted once it is older than the grace.
 * Uploads never completed are deleted (with their staged bytes) `graceMs` after they started.
 * Then every blob no upload row names any more is deleted from the store, then its row.
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { ATTACHMENT_LIMITS } from '../../src/lib/shared/api/attachments.js';
import type { Logger } from '../logger.js';
import type { SqlClient } from '../storage/sql.js';
import type { BlobStore } from './blob-store.js';
import type { UploadRow } from './service.js';

export const DEFAULT_GRACE_MS = ATTACHMENT_LIMITS.orphanGraceDays * 86_400_000;

export interface GcDeps {
	sql: SqlClient;
	store: BlobStore;
	stagingDir: string;
	/** The hashes a program's stored document refers to (the worker pool's `attachmentHashes`). */
	referencedBy(programId: string): Promise<Set<string>>;
	logger: Logger;
}

export interface GcReport {
	/** Completed uploads whose program stopped referring to them, first seen in this pass. */
	markedUnreferenced: number;
	/** Upload rows deleted: unreferenced past the grace, or never completed within it. */
	uploadsDeleted: number;
	/** Blobs deleted from the store. */
	blobsDeleted: number;
	bytesFreed: number;
}

export async function collectAttachmentGarbage(
	deps: GcDeps,
	options: { now: number; graceMs?: number }
): Promise<GcReport> {
	const { sql, store, logger } = deps;
	const grace = options.graceMs ?? DEFAULT_GRACE_MS;
	const now = options.now;
	const report: GcReport = {
		markedUnreferenced: 0,
		uploadsDeleted: 0,
		blobsDeleted: 0,
		bytesFreed: 0
	};

	// 1. Completed uploads against their program's document (one read per program).
	const completed = await sql.all<UploadRow>(
		'SELECT * FROM attachment_uploads WHERE completed_at IS NOT NULL ORDER BY program_id'
	);
	const references = new Map<string, Set<string> | null>();
	for (const row of completed) {
		let refs = references.get(row.program_id);
		if (refs === undefined) {
			try {
				refs = await deps.referencedBy(row.program_id);
			} catch (error) {
				// Unreadable now (a worker timeout, a program being deleted): keep everything of it.
				logger.warn({ err: error, programId: row.program_id }, 'attachments gc: document not read');
				refs = null;
			}
			references.set(row.program_id, refs);
		}
		if (refs === null) continue;
		const key = [row.program_id, row.hash];
		if (refs.has(row.hash)) {
			if (row.unreferenced_since !== null)
				await sql.run(
					'UPDATE attachment_uploads SET unreferenced_since = NULL WHERE program_id = ? AND hash = ?',
					key
				);
		} else if (row.unreferenced_since === null) {
			// The grace counts from the first pass that found no reference.
			await sql.run(
				'UPDATE attachment_uploads SET unreferenced_since = ? WHERE program_id = ? AND hash = ?',
				[now, ...key]
			);
			report.markedUnreferenced++;
		}
	}
	// Rows past the grace (their `unreferenced_since` as stored now).
	const expired = await sql.all<UploadRow>(
		`SELECT * FROM attachment_uploads
		 WHERE (completed_at IS NOT NULL AND unreferenced_since IS NOT NULL AND unreferenced_since <= ?)
		    OR (completed_at IS NULL AND started_at <= ?)`,
		[now - grace, now - grace]
	);
	for (const row of expired) {
		const deleted = await sql.run(
			`DELETE FROM attachment_uploads WHERE program_id = ? AND hash = ?
			 AND (completed_at IS NOT NULL OR started_at <= ?)`,
			[row.program_id, row.hash, now - grace]
		);
		if (deleted === 0) continue;
		report.uploadsDeleted++;
		if (row.completed_at === null) {
			await rm(path.join(deps.stagingDir, row.program_id, `${row.hash}.part`), { force: true });
			await rmdir(path.join(deps.stagingDir, row.program_id)).catch(() => undefined);
		}
	}

	// 2. Blobs no upload names (a new upload of the same hash has a row from its POST on).
	const orphans = await sql.all<{ hash: string; size: number }>(
		`SELECT b.hash, b.size FROM attachment_blobs b
		 WHERE NOT EXISTS (SELECT 1 FROM attachment_uploads u WHERE u.hash = b.hash)`
	);
	for (const blob of orphans) {
		await store.delete(blob.hash);
		await sql.run(
			`DELETE FROM attachment_blobs WHERE hash = ?
			 AND NOT EXISTS (SELECT 1 FROM attachment_uploads u WHERE u.hash = attachment_blobs.hash)`,
			[blob.hash]
		);
		report.blobsDeleted++;
		report.bytesFreed += Number(blob.size);
	}

	// 3. Staged files with no upload row (a row deleted while its bytes were being written).
	await sweepStaging(deps).catch((error: unknown) =>
		logger.warn({ err: error }, 'attachments gc: staging sweep failed')
	);
	if (report.uploadsDeleted || report.blobsDeleted)
		logger.info({ ...report }, 'attachments gc: collected');
	return report;
}

async function sweepStaging(deps: GcDeps): Promise<void> {
	let programs: string[];
	try {
		programs = await readdir(deps.stagingDir);
	} catch {
		return;
	}
	for (const programId of programs) {
		const dir = path.join(deps.stagingDir, programId);
		const files = await readdir(dir).catch(() => [] as string[]);
		for (const f of files) {
			const hash = f.replace(/\.part$/, '');
			const row = await deps.sql.get<{ hash: string }>(
				'SELECT hash FROM attachment_uploads WHERE program_id = ? AND hash = ? AND completed_at IS NULL',
				[programId, hash]
			);
			if (!row) await rm(path.join(dir, f), { force: true });
		}
		await rmdir(dir).catch(() => undefined);
	}
}
