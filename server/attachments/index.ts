/**
 * The attachments module (issue 17) put together from the configuration: the blob store (disk
 * under DATA_DIR, or S3 when ATTACHMENTS_S3_BUCKET is set), the upload service, and the periodic
 * garbage collector. Used by server/app.ts and the CLI's `attachments-gc`.
 */
import path from 'node:path';
import type { ServerConfig } from '../config.js';
import type { IdentityService } from '../identity/service.js';
import type { Logger } from '../logger.js';
import type { SqlClient } from '../storage/sql.js';
import { DiskBlobStore, S3BlobStore, type BlobStore } from './blob-store.js';
import { collectAttachmentGarbage, type GcReport } from './gc.js';
import { AttachmentsService } from './service.js';

export { AttachmentsService } from './service.js';
export type { BlobStore } from './blob-store.js';

type StoreConfig = Pick<
	ServerConfig,
	| 'dataDir'
	| 'attachmentsS3Bucket'
	| 'attachmentsS3Endpoint'
	| 'attachmentsS3Region'
	| 'attachmentsS3AccessKeyId'
	| 'attachmentsS3SecretAccessKey'
	| 'attachmentsS3PathStyle'
	| 'attachmentsS3Prefix'
>;

/** `DATA_DIR/attachments`: `blobs/` (the disk store) and `staging/` (uploads under way). */
export const attachmentsDir = (dataDir: string) => path.join(dataDir, 'attachments');

export function createBlobStore(config: StoreConfig): BlobStore {
	if (config.attachmentsS3Bucket)
		return new S3BlobStore({
			bucket: config.attachmentsS3Bucket,
			endpoint: config.attachmentsS3Endpoint,
			region: config.attachmentsS3Region,
			accessKeyId: config.attachmentsS3AccessKeyId,
			secretAccessKey: config.attachmentsS3SecretAccessKey,
			forcePathStyle: config.attachmentsS3PathStyle === 1,
			prefix: config.attachmentsS3Prefix
		});
	return new DiskBlobStore(path.join(attachmentsDir(config.dataDir), 'blobs'));
}

export interface Attachments {
	service: AttachmentsService;
	store: BlobStore;
	/** One garbage collection pass now (also what the timer runs). */
	collectGarbage(options?: { now?: number; graceMs?: number }): Promise<GcReport>;
	close(): void;
}

export function createAttachments(
	config: StoreConfig & Pick<ServerConfig, 'attachmentsGcIntervalMs'>,
	deps: {
		sql: SqlClient;
		identity: IdentityService;
		logger: Logger;
		/** The hashes a program's stored document refers to (read in the worker pool). */
		referencedBy(programId: string): Promise<Set<string>>;
		/** Whether this instance runs the periodic pass (one instance of a cluster is enough). */
		leads?: () => Promise<boolean>;
		now?: () => number;
	}
): Attachments {
	const store = createBlobStore(config);
	const stagingDir = path.join(attachmentsDir(config.dataDir), 'staging');
	const service = new AttachmentsService({
		sql: deps.sql,
		store,
		stagingDir,
		identity: deps.identity,
		logger: deps.logger,
		...(deps.now ? { now: deps.now } : {})
	});
	const log = deps.logger.child({ component: 'attachments-gc' });
	let running: Promise<GcReport> | null = null;
	const collectGarbage = (options: { now?: number; graceMs?: number } = {}) => {
		running ??= collectAttachmentGarbage(
			{ sql: deps.sql, store, stagingDir, referencedBy: deps.referencedBy, logger: log },
			{
				now: options.now ?? service.now(),
				...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {})
			}
		).finally(() => {
			running = null;
		});
		return running;
	};
	const timer =
		config.attachmentsGcIntervalMs > 0
			? setInterval(() => {
					void (async () => {
						if (deps.leads && !(await deps.leads())) return;
						await collectGarbage();
					})().catch((error: unknown) => log.error({ err: error }, 'attachments gc failed'));
				}, config.attachmentsGcIntervalMs)
			: null;
	timer?.unref();
	return {
		service,
		store,
		collectGarbage,
		close() {
			if (timer) clearInterval(timer);
			if (store instanceof S3BlobStore) store.close();
		}
	};
}
