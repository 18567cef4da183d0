/**
 * A program title carrying characters XML 1.0 cannot hold (U+FFFE, U+FFFF, a control character,
 * half of a surrogate pair) made organization-wide XLSX/DOCX exports unreadable (issue #14).
 * On the real server: every export that shows the title is fetched, every XML part of every
 * DOCX/XLSX holds only XML 1.0 characters and parses as well-formed (tags balanced), the XLSX
 * opens in ExcelJS with the title (stripped) in it, the DOCX text and the PDF are there.
 */
import ExcelJS from 'exceljs';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCuratorServer, type CuratorTestServer } from './curator-server';
import { docxText } from './curator-fixtures';

let t: CuratorTestServer;
let programId: string;
let stageId: string;

const HOSTILE = 'Программа \uFFFE«Старт»\uFFFF\u0001 шаг\uD800 второй\uDC00 этап';
const SAFE = 'Программа «Старт» шаг второй этап';

/** Every entry of a zip: name → bytes. */
function unzip(zip: Buffer): Map<string, Buffer> {
	let eocd = -1;
	for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65_558); i--)
		if (zip.readUInt32LE(i) === 0x06054b50) {
			eocd = i;
			break;
		}
	if (eocd < 0) throw new Error('not a zip');
	const out = new Map<string, Buffer>();
	let p = zip.readUInt32LE(eocd + 16);
	for (let n = zip.readUInt16LE(eocd + 10); n > 0; n--) {
		const method = zip.readUInt16LE(p + 10);
		const size = zip.readUInt32LE(p + 20);
		const nameLen = zip.readUInt16LE(p + 28);
		const skip = nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
		const local = zip.readUInt32LE(p + 42);
		const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
		const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
		const data = zip.subarray(start, start + size);
		out.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
		p += 46 + skip;
	}
	return out;
}

/** XML 1.0 `Char`: what a conforming parser (Word, Excel) accepts. */
const NOT_XML_CHAR =
	// eslint-disable-next-line no-control-regex -- control characters are what it looks for
	/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws unless `xml` is well-formed enough for Office: XML 1.0 chars, valid UTF-8, balanced tags. */
function checkXml(name: string, bytes: Buffer): void {
	const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
	const bad = NOT_XML_CHAR.exec(text);
	if (bad)
		throw new Error(
			`${name}: character U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase()} at ${bad.index}`
		);
	const stack: string[] = [];
	const body = text.replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>/g, '');
	for (const m of body.matchAll(/<(\/?)([A-Za-z_][\w:.-]*)[^>]*?(\/?)>/g)) {
		if (m[3]) continue;
		if (m[1]) {
			const open = stack.pop();
			if (open !== m[2]) throw new Error(`${name}: </${m[2]}> closes <${open}>`);
		} else stack.push(m[2] as string);
	}
	if (stack.length) throw new Error(`${name}: unclosed <${stack.join('>, <')}>`);
}

function checkZip(file: Buffer): Map<string, Buffer> {
	const parts = unzip(file);
	expect(parts.size).toBeGreaterThan(2);
	for (const [name, bytes] of parts)
		if (name.endsWith('.xml') || name.endsWith('.rels')) checkXml(name, bytes);
	return parts;
}

/**
 * The DOCX text; U+FFFD removed: the document's own UTF-8 encoding (Yjs) already turned each lone
 * surrogate into U+FFFD, a character XML holds.
 */
const text = (docx: Buffer) => docxText(docx).replace(/\uFFFD/g, '');

async function fetchFile(url: string): Promise<{ body: Buffer; disposition: string }> {
	const res = await t.get(url, t.curatorCookie);
	expect(res.status, `${url}: ${res.status}`).toBe(200);
	return {
		body: Buffer.from(await res.arrayBuffer()),
		disposition: res.headers.get('content-disposition') ?? ''
	};
}

beforeAll(async () => {
	t = await startCuratorServer({ RELAY_SUMMARY_DEBOUNCE_MS: '20' });
	const mentor = await t.person('Иванова Мария Петровна', null);
	const mentee = await t.person('Петров Сергей Иванович', null);
	const program = await t.server.programs.createProgram(t.curatorActor, {
		organizationId: t.organizationId,
		templateId: 'tomsk-heads-beginner',
		title: HOSTILE,
		startDate: new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10),
		participants: [
			{ personId: mentor.id, role: 'mentor' },
			{ personId: mentee.id, role: 'mentee' }
		]
	});
	programId = program.id;
	const view = (await (
		await t.get(`/api/curator/programs/${programId}`, t.curatorCookie)
	).json()) as { program: { stages: Array<{ id: string }> } };
	stageId = view.program.stages[0]?.id ?? '';
}, 60_000);

afterAll(async () => {
	await t?.close();
});

describe('exports with characters XML cannot hold in a title', () => {
	it('the organization-wide XLSX exports open, every part is well-formed XML', async () => {
		const org = `/api/curator/organizations/${t.organizationId}/exports`;
		for (const url of [`${org}/monitoring.xlsx`, `${org}/registries.xlsx`]) {
			const { body } = await fetchFile(url);
			checkZip(body);
			const wb = new ExcelJS.Workbook();
			await wb.xlsx.load(body as unknown as ExcelJS.Buffer);
			const cells: string[] = [];
			wb.eachSheet((ws) => ws.eachRow((row) => row.eachCell((c) => cells.push(String(c.value)))));
			if (url.endsWith('monitoring.xlsx')) expect(cells).toContain(SAFE);
		}
	}, 60_000);

	it('the organization notes (DOCX) are well-formed and the PDFs are produced', async () => {
		const org = `/api/curator/organizations/${t.organizationId}/exports/note`;
		for (const kind of ['analytic-note', 'info-note']) {
			const docx = await fetchFile(`${org}?kind=${kind}&format=docx`);
			checkZip(docx.body);
			const pdf = await fetchFile(`${org}?kind=${kind}&format=pdf`);
			expect(pdf.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
		}
	}, 60_000);

	it('the program document and the stage note carry the title, stripped; file names are safe', async () => {
		const doc = await fetchFile(`/api/curator/programs/${programId}/document?format=docx`);
		checkZip(doc.body);
		expect(text(doc.body)).toContain(SAFE);
		// The file is named by its type and the mentee (a mentor with two mentees gets two files).
		expect(doc.disposition).toContain(encodeURIComponent('ППН Петров С.И.docx'));
		const pdf = await fetchFile(`/api/curator/programs/${programId}/document?format=pdf`);
		expect(pdf.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
		const note = await fetchFile(
			`/api/curator/programs/${programId}/stages/${stageId}/note?format=docx`
		);
		checkZip(note.body);
		expect(text(note.body)).toContain(SAFE);
	}, 60_000);
});
