/**
 * `npm run cli -- attachments-gc`: one pass of the attachments' garbage collector (server/
 * attachments/gc.ts) now, on the configured storage and blob store — what the server's periodic
 * job does (ATTACHMENTS_GC_INTERVAL_MS), for an operator who wants the space back now or runs
 * the server with the job off. Safe while the server runs: it reads the stored documents (the
 * relay's unflushed last second is not there, and the grace covers it).
 */
import { parseArgs } from 'node:util';
import { createBlobStore, attachmentsDir } from '../attachments/index.js';
import { collectAttachmentGarbage, DEFAULT_GRACE_MS } from '../attachments/gc.js';
import { S3BlobStore } from '../attachments/blob-store.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { openStorage } from '../storage/index.js';
import { inlineTasks } from '../workers/tasks.js';
import path from 'node:path';

const DAY = 86_400_000;

export const attachmentsGcCommand = {
	summary:
		'Delete attachment bytes no program refers to any more (after the grace) and abandoned uploads',
	usage:
		'attachments-gc [--grace-days N] [--now 2026-12-01T00:00:00Z]   (defaults: 7 days, the current time)',
	async run(args: string[]): Promise<number> {
		const { values } = parseArgs({
			args,
			options: { 'grace-days': { type: 'string' }, now: { type: 'string' } }
		});
		const graceDays = values['grace-days'] === undefined ? null : Number(values['grace-days']);
		if (graceDays !== null && !(Number.isFinite(graceDays) && graceDays >= 0)) {
			console.error('--grace-days must be a number ≥ 0');
			return 2;
		}
		const now = values.now === undefined ? Date.now() : Date.parse(values.now);
		if (!Number.isFinite(now)) {
			console.error('--now must be an ISO date-time');
			return 2;
		}
		const config = loadConfig(process.env);
		const storage = await openStorage({ ...config, poolSize: config.pgPoolSize });
		const store = createBlobStore(config);
		try {
			const report = await collectAttachmentGarbage(
				{
					sql: storage.sql,
					store,
					stagingDir: path.join(attachmentsDir(config.dataDir), 'staging'),
					logger: createLogger('warn'),
					async referencedBy(programId) {
						const stored = await storage.documents.load(programId);
						const parts = [...(stored.state ? [stored.state] : []), ...stored.updates];
						return new Set(await inlineTasks('attachmentHashes', { parts }));
					}
				},
				{ now, graceMs: graceDays === null ? DEFAULT_GRACE_MS : graceDays * DAY }
			);
			console.log(
				`attachments gc (${store.kind}): ${report.markedUnreferenced} newly unreferenced, ${report.uploadsDeleted} uploads deleted, ${report.blobsDeleted} blobs deleted (${report.bytesFreed} bytes)`
			);
			return 0;
		} finally {
			if (store instanceof S3BlobStore) store.close();
			await storage.close();
		}
	}
};
