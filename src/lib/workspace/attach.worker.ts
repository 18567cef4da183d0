/// <reference lib="webworker" />
// The attach worker (issue 17): everything slow about attaching a file, off the page's thread,
// so the screen returns at once. A photo is decoded with its EXIF orientation applied,
// downscaled to the contract's longest side and re-encoded as JPEG (which also drops its
// metadata, GPS included); then the bytes are hashed (SHA-256) and put into the device's file
// store. The page gets back the facts the document's reference needs.
import { ATTACHMENT_LIMITS } from '$lib/shared/api/attachments';
import { putFile } from '$lib/device/file-store';
import { fitWithin, hex } from './attachment-file';

export interface AttachJob {
	jobId: number;
	file: Blob;
	kind: 'image' | 'document';
	/** The type to record for a document (the page judged it). */
	type: string;
}

export type AttachResult =
	| { jobId: number; ok: true; hash: string; size: number; type: string }
	| { jobId: number; ok: false; reason: 'decode' | 'too-large' | 'storage' };

async function downscale(file: Blob): Promise<Blob> {
	const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
	const { width, height } = fitWithin(
		bitmap.width,
		bitmap.height,
		ATTACHMENT_LIMITS.imageMaxSidePx
	);
	const canvas = new OffscreenCanvas(width, height);
	const ctx = canvas.getContext('2d');
	if (!ctx) throw new Error('no 2d context');
	// A transparent PNG becomes JPEG: white, not black, behind it.
	ctx.fillStyle = '#fff';
	ctx.fillRect(0, 0, width, height);
	ctx.drawImage(bitmap, 0, 0, width, height);
	bitmap.close();
	for (const quality of [0.85, 0.7, 0.5]) {
		const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality });
		if (blob.size <= ATTACHMENT_LIMITS.maxImageBytes) return blob;
	}
	throw new RangeError('photo too large after downscaling');
}

async function handle(job: AttachJob): Promise<AttachResult> {
	let blob: Blob;
	let type = job.type;
	if (job.kind === 'image') {
		try {
			blob = await downscale(job.file);
			type = 'image/jpeg';
		} catch (error) {
			return {
				jobId: job.jobId,
				ok: false,
				reason: error instanceof RangeError ? 'too-large' : 'decode'
			};
		}
	} else {
		// Read once: the stored copy must be the bytes that were hashed, whatever happens to the
		// original file on the phone afterwards.
		blob = new Blob([await job.file.arrayBuffer()], { type });
	}
	const hash = hex(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
	try {
		await putFile({ hash, type, size: blob.size, blob });
	} catch (error) {
		console.error('attach worker: file store write failed', error);
		return { jobId: job.jobId, ok: false, reason: 'storage' };
	}
	return { jobId: job.jobId, ok: true, hash, size: blob.size, type };
}

self.onmessage = (event: MessageEvent<AttachJob>) => {
	void handle(event.data).then((result) => self.postMessage(result));
};
