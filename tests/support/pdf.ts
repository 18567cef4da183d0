/**
 * Reading back the PDFs the server writes (pdfkit), as a reader would: every text-showing
 * operation (one drawn line of a paragraph or of a table cell) with its page, position and
 * size, decoded through the fonts' ToUnicode maps. Enough of PDF for pdfkit's own output:
 * indirect objects, Flate streams, Type0 fonts with a bfrange ToUnicode, BT … Tm … Tf … TJ … ET.
 */
import { inflateSync } from 'node:zlib';

export interface PdfLine {
	page: number;
	x: number;
	y: number;
	size: number;
	text: string;
}

interface PdfObject {
	dict: string;
	stream: Buffer | null;
}

function objects(pdf: Buffer): Map<number, PdfObject> {
	const s = pdf.toString('latin1');
	const out = new Map<number, PdfObject>();
	const re = /(\d+) 0 obj\s*([\s\S]*?)endobj/g;
	for (let m = re.exec(s); m; m = re.exec(s)) {
		const body = m[2] as string;
		const at = body.indexOf('stream');
		if (at < 0) {
			out.set(Number(m[1]), { dict: body, stream: null });
			continue;
		}
		const dict = body.slice(0, at);
		let start = at + 'stream'.length;
		if (body[start] === '\r') start++;
		if (body[start] === '\n') start++;
		const end = body.lastIndexOf('endstream');
		let raw = Buffer.from(body.slice(start, end), 'latin1');
		const len = /\/Length (\d+)/.exec(dict);
		if (len) raw = raw.subarray(0, Number(len[1]));
		out.set(Number(m[1]), {
			dict,
			stream: /\/FlateDecode/.test(dict) ? inflateSync(raw) : raw
		});
	}
	return out;
}

const utf16 = (hex: string) => {
	const units: number[] = [];
	for (let i = 0; i + 4 <= hex.length; i += 4) units.push(parseInt(hex.slice(i, i + 4), 16));
	return String.fromCharCode(...units);
};

/** code → text, from a ToUnicode CMap (bfrange with arrays or a start value, and bfchar). */
function toUnicode(cmap: string): Map<number, string> {
	const map = new Map<number, string>();
	for (const block of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
		const body = block[1] as string;
		for (const m of body.matchAll(
			/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\[[^\]]*\]|<[0-9a-fA-F]+>)/g
		)) {
			const lo = parseInt(m[1] as string, 16);
			const hi = parseInt(m[2] as string, 16);
			const dst = m[3] as string;
			if (dst.startsWith('[')) {
				const items = [...dst.matchAll(/<([0-9a-fA-F\s]*)>/g)].map((x) =>
					utf16((x[1] as string).replace(/\s+/g, ''))
				);
				for (let c = lo; c <= hi; c++) map.set(c, items[c - lo] ?? '');
			} else {
				const first = parseInt(dst.slice(1, -1), 16);
				for (let c = lo; c <= hi; c++) map.set(c, String.fromCharCode(first + c - lo));
			}
		}
	}
	for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g))
		for (const m of (block[1] as string).matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g))
			map.set(parseInt(m[1] as string, 16), utf16(m[2] as string));
	return map;
}

/** Every drawn line of text, page by page, in drawing order. */
export function pdfLines(pdf: Buffer): PdfLine[] {
	const objs = objects(pdf);
	// Font resource names (F1, F2 …) → their code maps.
	const fonts = new Map<string, Map<number, string>>();
	for (const o of objs.values())
		for (const m of o.dict.matchAll(/\/(F\d+) (\d+) 0 R/g)) {
			const font = objs.get(Number(m[2]));
			const tu = font && /\/ToUnicode (\d+) 0 R/.exec(font.dict);
			const cmap = tu && objs.get(Number(tu[1]))?.stream;
			if (cmap) fonts.set(m[1] as string, toUnicode(cmap.toString('latin1')));
		}
	// Pages in the order of the page tree.
	const root = [...objs.values()].find((o) => /\/Type \/Pages\b/.test(o.dict));
	const kids = root
		? [...(/\/Kids \[([^\]]*)\]/.exec(root.dict)?.[1] ?? '').matchAll(/(\d+) 0 R/g)]
		: [];
	const lines: PdfLine[] = [];
	kids.forEach((k, page) => {
		const p = objs.get(Number(k[1]));
		const contents = p && /\/Contents (\d+) 0 R/.exec(p.dict);
		const content = contents && objs.get(Number(contents[1]))?.stream?.toString('latin1');
		if (!content) return;
		for (const bt of content.matchAll(/BT([\s\S]*?)ET/g)) {
			const ops = bt[1] as string;
			const tm = /1 0 0 1 ([-\d.]+) ([-\d.]+) Tm/.exec(ops);
			const tf = /\/(F\d+) ([\d.]+) Tf/.exec(ops);
			const map = tf ? fonts.get(tf[1] as string) : undefined;
			let text = '';
			for (const tj of ops.matchAll(/\[([^\]]*)\] TJ/g))
				for (const hex of (tj[1] as string).matchAll(/<([0-9a-fA-F]*)>/g)) {
					const h = hex[1] as string;
					for (let i = 0; i + 4 <= h.length; i += 4)
						text += map?.get(parseInt(h.slice(i, i + 4), 16)) ?? '\uFFFD';
				}
			lines.push({
				page: page + 1,
				x: Number(tm?.[1] ?? 0),
				y: Number(tm?.[2] ?? 0),
				size: Number(tf?.[2] ?? 0),
				text
			});
		}
	});
	return lines;
}

/** The text of a PDF: its drawn lines joined by newlines. */
export function pdfText(pdf: Buffer): string {
	return pdfLines(pdf)
		.map((l) => l.text)
		.join('\n');
}
