/**
 * A minimal reader of ZIP archives (XLSX, DOCX) with node:zlib: the central directory, and one
 * entry's bytes on demand. Enough for the spreadsheet guard (server/identity/spreadsheet-guard.ts)
 * and for the tests that check generated documents; not a general unzip (no ZIP64, no
 * encryption, stored or deflated entries only).
 */
import { inflateRawSync } from 'node:zlib';

/** One entry of the central directory. */
export interface ZipEntry {
	name: string;
	/** 0: stored, 8: deflated. */
	method: number;
	compressedSize: number;
	/** Offset of the entry's local header. */
	localHeader: number;
}

/** Offset of the end-of-central-directory record (within the last 64 KiB), or -1: not a zip. */
function endOfCentralDirectory(zip: Buffer): number {
	for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_558); i--)
		if (zip.readUInt32LE(i) === 0x06054b50) return i;
	return -1;
}

/** How many entries the archive says it has, or null when it is not a zip at all. */
export function zipEntryCount(zip: Buffer): number | null {
	const eocd = endOfCentralDirectory(zip);
	return eocd < 0 ? null : zip.readUInt16LE(eocd + 10);
}

/** The entries of the central directory, in order. Throws on a file that is not a zip. */
export function* zipEntries(zip: Buffer): Generator<ZipEntry> {
	const eocd = endOfCentralDirectory(zip);
	if (eocd < 0) throw new Error('not a zip');
	const entries = zip.readUInt16LE(eocd + 10);
	let p = zip.readUInt32LE(eocd + 16);
	for (let n = 0; n < entries; n++) {
		if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory');
		const nameLen = zip.readUInt16LE(p + 28);
		const extraLen = zip.readUInt16LE(p + 30);
		const commentLen = zip.readUInt16LE(p + 32);
		yield {
			name: zip.subarray(p + 46, p + 46 + nameLen).toString('utf8'),
			method: zip.readUInt16LE(p + 10),
			compressedSize: zip.readUInt32LE(p + 20),
			localHeader: zip.readUInt32LE(p + 42)
		};
		p += 46 + nameLen + extraLen + commentLen;
	}
}

/**
 * An entry's content: stored bytes as they are, deflated ones inflated (at most
 * `maxOutputLength` bytes: more throws ERR_BUFFER_TOO_LARGE). Other methods throw.
 */
export function readZipEntryData(zip: Buffer, entry: ZipEntry, maxOutputLength?: number): Buffer {
	const local = entry.localHeader;
	const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
	const data = zip.subarray(start, start + entry.compressedSize);
	if (entry.method === 0) return data;
	if (entry.method === 8)
		return inflateRawSync(data, maxOutputLength === undefined ? {} : { maxOutputLength });
	throw new Error(`compression method ${entry.method}`);
}
