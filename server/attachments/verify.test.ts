// The verification of a finished upload (verify.ts) on real files of each family: the OOXML
// formats by their parts, the legacy Office formats as compound files, the images and PDF by
// their signatures; anything else (HTML, SVG, a bare ZIP) is not any declared type.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AttachmentType } from '../../src/lib/shared/api/attachments.js';
import {
	HTML_PAGE,
	SVG_IMAGE,
	docx,
	jpeg,
	pdf,
	png,
	sha256
} from '../../tests/support/attachments.js';
import { sha256OfFile, sniffedType } from './verify.js';

const dir = mkdtempSync(path.join(tmpdir(), 'nastavnik-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fileOf = (bytes: Uint8Array) => {
	const f = path.join(dir, `f${n++}`);
	writeFileSync(f, bytes);
	return f;
};

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** An OLE compound file header (what DOC, XLS and PPT files are). */
function compoundFile(): Buffer {
	const b = Buffer.alloc(4096);
	Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(b);
	return b;
}

describe('sniffedType', () => {
	it('accepts each file as its own type and no other', async () => {
		const cases: Array<[Buffer, AttachmentType, AttachmentType[]]> = [
			[jpeg(5000), 'image/jpeg', ['image/png', 'application/pdf']],
			[png(), 'image/png', ['image/jpeg', 'image/webp']],
			[await pdf(), 'application/pdf', ['image/jpeg', DOCX]],
			[await docx(), DOCX, [XLSX, 'application/msword', 'application/pdf']]
		];
		for (const [bytes, own, others] of cases) {
			const f = fileOf(bytes);
			expect(await sniffedType(f, own)).toBe(own);
			for (const other of others) expect(await sniffedType(f, other), other).toBeNull();
		}
	});

	it('a compound file passes as DOC, XLS or PPT (as declared) and never as an OOXML or a PDF', async () => {
		const f = fileOf(compoundFile());
		for (const legacy of [
			'application/msword',
			'application/vnd.ms-excel',
			'application/vnd.ms-powerpoint'
		] as const)
			expect(await sniffedType(f, legacy)).toBe(legacy);
		for (const other of [DOCX, XLSX, 'application/pdf', 'image/png'] as const)
			expect(await sniffedType(f, other)).toBeNull();
	});

	it('HTML and SVG are no accepted type, whatever is declared', async () => {
		for (const bytes of [HTML_PAGE, SVG_IMAGE]) {
			const f = fileOf(bytes);
			for (const t of [
				'image/png',
				'image/jpeg',
				'application/pdf',
				DOCX,
				'application/msword'
			] as const)
				expect(await sniffedType(f, t)).toBeNull();
		}
	});
});

describe('sha256OfFile', () => {
	it('is the SHA-256 of the whole file, read in pieces', async () => {
		const bytes = jpeg(3 * 1024 * 1024 + 17);
		expect(await sha256OfFile(fileOf(bytes))).toBe(sha256(bytes));
	});
});
