/**
 * The content-addressed store of attachment bytes (issue 17): one interface, two backends. A blob
 * is named by the lowercase hex SHA-256 of its bytes, written once after the upload was verified
 * (service.ts) and never changed; deleting it is the garbage collector's (gc.ts).
 * - `DiskBlobStore` (default): files under `DATA_DIR/attachments/blobs/ab/<hash>`, 0600 in 0700
 *   directories like the database (storage/data-files.ts); written to a temporary name and
 *   renamed, so a reader never sees half a file.
 * - `S3BlobStore`: an S3-compatible bucket (ATTACHMENTS_S3_*; @aws-sdk/client-s3), objects
 *   `<prefix><hash>`.
 */
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
// Types only: the SDK itself loads on first use (S3BlobStore).
import type * as S3 from '@aws-sdk/client-s3';
import { DIRECTORY_MODE, FILE_MODE } from '../storage/data-files.js';

type S3Sdk = typeof S3;
type S3Client = S3.S3Client;

export interface BlobStore {
	readonly kind: 'disk' | 's3';
	has(hash: string): Promise<boolean>;
	/** Moves a verified local file in under its hash (the file is gone afterwards). */
	put(hash: string, file: string, size: number): Promise<void>;
	/** The bytes, or null when the store does not hold the hash. */
	get(hash: string): Promise<Readable | null>;
	/** Idempotent: deleting a missing blob is no error. */
	delete(hash: string): Promise<void>;
}

const HASH = /^[0-9a-f]{64}$/;
function checkHash(hash: string): string {
	// The hash becomes a path or a key: never anything but 64 hex digits.
	if (!HASH.test(hash)) throw new Error(`not a SHA-256 hex digest: ${hash.slice(0, 80)}`);
	return hash;
}

const isMissing = (error: unknown) => (error as { code?: string }).code === 'ENOENT';

/** Creates `dir` (and its parents under `root`) 0700. */
export async function privateDir(dir: string): Promise<void> {
	await mkdir(dir, { recursive: true, mode: DIRECTORY_MODE });
	await chmod(dir, DIRECTORY_MODE);
}

export class DiskBlobStore implements BlobStore {
	readonly kind = 'disk' as const;
	constructor(readonly root: string) {}

	private fileOf(hash: string): string {
		checkHash(hash);
		return path.join(this.root, hash.slice(0, 2), hash);
	}

	async has(hash: string): Promise<boolean> {
		try {
			return (await stat(this.fileOf(hash))).isFile();
		} catch (error) {
			if (isMissing(error)) return false;
			throw error;
		}
	}

	async put(hash: string, file: string): Promise<void> {
		const target = this.fileOf(hash);
		await privateDir(this.root);
		await privateDir(path.dirname(target));
		const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
		try {
			await rename(file, temp);
		} catch (error) {
			// Staging on another file system (a mounted blob directory): copy, then drop the source.
			if ((error as { code?: string }).code !== 'EXDEV') throw error;
			await copyFile(file, temp);
			await unlink(file);
		}
		await chmod(temp, FILE_MODE);
		await rename(temp, target);
	}

	async get(hash: string): Promise<Readable | null> {
		const file = this.fileOf(hash);
		if (!(await this.has(hash))) return null;
		return createReadStream(file);
	}

	async delete(hash: string): Promise<void> {
		await rm(this.fileOf(hash), { force: true });
	}
}

export interface S3Settings {
	bucket: string;
	/** `https://storage.yandexcloud.net`, `http://minio:9000`; null: AWS by region. */
	endpoint: string | null;
	region: string;
	accessKeyId: string | null;
	secretAccessKey: string | null;
	/** `http://host/bucket/key` rather than `http://bucket.host/key` (MinIO, most self-hosted). */
	forcePathStyle: boolean;
	/** Key prefix of the blobs inside the bucket. */
	prefix: string;
}

/**
 * The S3 SDK is loaded by the first blob read or write, not at start: it is the biggest library
 * the server uses, and a server that stores attachments on disk, or has had none yet, does not
 * need it (issue 18, the relay's fixed cost).
 */
export class S3BlobStore implements BlobStore {
	readonly kind = 's3' as const;
	private client: Promise<{ sdk: S3Sdk; client: S3Client }> | null = null;
	private closed = false;

	constructor(private readonly settings: S3Settings) {}

	/** The SDK and the client, loaded and made on first use (a failed load is tried again). */
	private connect(): Promise<{ sdk: S3Sdk; client: S3Client }> {
		if (this.closed) return Promise.reject(new Error('the S3 blob store is closed'));
		this.client ??= import('@aws-sdk/client-s3').then(
			(sdk) => ({ sdk, client: this.makeClient(sdk) }),
			(error: unknown) => {
				this.client = null;
				throw error;
			}
		);
		return this.client;
	}

	private makeClient(sdk: S3Sdk): S3Client {
		const settings = this.settings;
		return new sdk.S3Client({
			region: settings.region,
			forcePathStyle: settings.forcePathStyle,
			// Checksums only where the API requires them: the SDK's default streams a body with
			// trailing checksums (aws-chunked), which many S3-compatible servers store verbatim or
			// refuse. The bytes were verified by their SHA-256 before they get here.
			requestChecksumCalculation: 'WHEN_REQUIRED',
			responseChecksumValidation: 'WHEN_REQUIRED',
			...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
			...(settings.accessKeyId && settings.secretAccessKey
				? {
						credentials: {
							accessKeyId: settings.accessKeyId,
							secretAccessKey: settings.secretAccessKey
						}
					}
				: {})
		});
	}

	private keyOf(hash: string): { Bucket: string; Key: string } {
		return { Bucket: this.settings.bucket, Key: `${this.settings.prefix}${checkHash(hash)}` };
	}

	async has(hash: string): Promise<boolean> {
		const { sdk, client } = await this.connect();
		try {
			await client.send(new sdk.HeadObjectCommand(this.keyOf(hash)));
			return true;
		} catch (error) {
			if (error instanceof sdk.NotFound || error instanceof sdk.NoSuchKey) return false;
			if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
				return false;
			throw error;
		}
	}

	async put(hash: string, file: string, size: number): Promise<void> {
		const { sdk, client } = await this.connect();
		await client.send(
			new sdk.PutObjectCommand({
				...this.keyOf(hash),
				Body: createReadStream(file),
				ContentLength: size,
				ContentType: 'application/octet-stream'
			})
		);
		await rm(file, { force: true });
	}

	async get(hash: string): Promise<Readable | null> {
		const { sdk, client } = await this.connect();
		try {
			const out = await client.send(new sdk.GetObjectCommand(this.keyOf(hash)));
			// In Node the SDK's body is an IncomingMessage (a Readable).
			return (out.Body as Readable | undefined) ?? null;
		} catch (error) {
			if (error instanceof sdk.NoSuchKey || error instanceof sdk.NotFound) return null;
			if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
				return null;
			throw error;
		}
	}

	async delete(hash: string): Promise<void> {
		const { sdk, client } = await this.connect();
		await client.send(new sdk.DeleteObjectCommand(this.keyOf(hash)));
	}

	close(): void {
		this.closed = true;
		// A client being made now is destroyed once it exists.
		void this.client?.then(
			({ client }) => client.destroy(),
			() => {}
		);
	}
}
