// s3rver ships no types; the tests use this much of it (an S3-protocol server on loopback).
declare module 's3rver' {
	interface S3rverOptions {
		address?: string;
		port?: number;
		silent?: boolean;
		directory?: string;
		resetOnClose?: boolean;
		allowMismatchedSignatures?: boolean;
		vhostBuckets?: boolean;
		configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
	}
	export default class S3rver {
		constructor(options?: S3rverOptions);
		/** Resolves with the address it listens on. */
		run(): Promise<{ address: string; port: number }>;
		close(): Promise<void>;
	}
}
