/**
 * Renders a DocModel as PDF (pdfkit, DejaVu fonts for Cyrillic): A4, tables that break across pages.
 * pdfkit is loaded on the first export, not at server start.
 */
import { createRequire } from 'node:module';
import type PDFDocument from 'pdfkit';
import type { Block, DocModel } from './model.js';
import { exportSafeDeep } from './export-safe.js';
import { breakLines, fitColumns, fitSize, widestPiece, type Measure } from './line-break.js';

const require = createRequire(import.meta.url);
const REGULAR = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSerif.ttf');
const BOLD = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSerif-Bold.ttf');
const ITALIC = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSerif-Italic.ttf');

type Doc = InstanceType<typeof PDFDocument>;

export async function renderPdf(model: DocModel): Promise<Buffer> {
	const m = exportSafeDeep(model);
	const { default: PDFKit } = await import('pdfkit');
	return new Promise((resolve, reject) => {
		const doc: Doc = new PDFKit({
			size: 'A4',
			layout: m.landscape ? 'landscape' : 'portrait',
			margins: { top: 56, bottom: 56, left: 70, right: 42 },
			info: { Title: m.title, Creator: 'Наставник' },
			bufferPages: true
		});
		doc.registerFont('r', REGULAR);
		doc.registerFont('b', BOLD);
		doc.registerFont('i', ITALIC);
		const chunks: Buffer[] = [];
		doc.on('data', (c: Buffer) => chunks.push(c));
		doc.on('end', () => resolve(Buffer.concat(chunks)));
		doc.on('error', reject);
		try {
			for (const b of m.blocks) block(doc, b);
			const range = doc.bufferedPageRange();
			for (let i = range.start; i < range.start + range.count; i++) {
				doc.switchToPage(i);
				const bottom = doc.page.margins.bottom;
				doc.page.margins.bottom = 0;
				doc
					.font('r')
					.fontSize(8)
					.fillColor('#555')
					.text(`${i + 1} / ${range.count}`, 0, doc.page.height - 36, {
						width: doc.page.width,
						align: 'center'
					});
				doc.page.margins.bottom = bottom;
			}
			doc.end();
		} catch (e) {
			reject(e instanceof Error ? e : new Error(String(e)));
		}
	});
}

const width = (doc: Doc) => doc.page.width - doc.page.margins.left - doc.page.margins.right;
const left = (doc: Doc) => doc.page.margins.left;
const bottomY = (doc: Doc) => doc.page.height - doc.page.margins.bottom;

function ensure(doc: Doc, h: number): void {
	if (doc.y + h > bottomY(doc)) doc.addPage();
}

type Font = 'r' | 'b' | 'i';
const measureIn =
	(doc: Doc, font: Font): Measure =>
	(s, size) =>
		doc.font(font).fontSize(size).widthOfString(s);
const lineHeight = (doc: Doc, font: Font, size: number) =>
	doc.font(font).fontSize(size).currentLineHeight(true);

/** Draws prepared lines at (x, y) in a box `w` wide, without pdfkit's own wrapping. */
function drawLines(
	doc: Doc,
	lines: string[],
	font: Font,
	size: number,
	x: number,
	y: number,
	w: number,
	align: 'left' | 'right' | 'center' = 'left'
): void {
	const lh = lineHeight(doc, font, size);
	doc.font(font).fontSize(size).fillColor('#000');
	lines.forEach((line, i) => {
		const free = w - doc.widthOfString(line);
		const dx = align === 'center' ? free / 2 : align === 'right' ? free : 0;
		doc.text(line, x + Math.max(0, dx), y + i * lh, { lineBreak: false });
	});
}

/** A paragraph across the page width, broken at spaces and hyphens only, continuing on new pages. */
function text(
	doc: Doc,
	s: string,
	font: Font,
	size: number,
	align: 'left' | 'right' | 'center' = 'left',
	gap = 4
): void {
	const W = width(doc);
	const sz = fitSize(s, W, size, 6, measureIn(doc, font));
	const lines = breakLines(s, W, sz, measureIn(doc, font));
	const lh = lineHeight(doc, font, sz);
	// A short paragraph is kept on one page; a long one runs on.
	ensure(doc, Math.min(lines.length, 3) * lh);
	for (const line of lines) {
		ensure(doc, lh);
		const y = doc.y;
		drawLines(doc, [line], font, sz, left(doc), y, W, align);
		doc.x = left(doc);
		doc.y = y + lh;
	}
	doc.y += gap;
}

/** One cell's text, laid out: the font size that holds its longest word, and its lines. */
interface CellLayout {
	size: number;
	lines: string[];
	height: number;
}

function table(
	doc: Doc,
	headers: string[],
	widths: number[],
	rows: string[][],
	groups: Set<number>
): void {
	const total = widths.reduce((a, b) => a + b, 0) || 1;
	const W = width(doc);
	const pad = 3;
	const size = 8;
	const minSize = 5;
	// Columns wide enough for their longest word (headers in bold) where the table can afford it.
	const needs = headers.map((h, i) => {
		let need = widestPiece(h, size, measureIn(doc, 'b'));
		rows.forEach((r, ri) => {
			if (!groups.has(ri))
				need = Math.max(need, widestPiece(r[i] ?? '', size, measureIn(doc, 'r')));
		});
		return need + 2 * pad;
	});
	const cols = fitColumns(
		widths.map((w) => (w / total) * W),
		needs
	);
	const layout = (c: string, w: number, font: Font): CellLayout => {
		const m = measureIn(doc, font);
		const inner = w - 2 * pad;
		// Still too long for the column (a word longer than any column can be): a smaller font.
		const sz = fitSize(c || ' ', inner, size, minSize, m);
		const lines = breakLines(c || ' ', inner, sz, m);
		return { size: sz, lines, height: lines.length * lineHeight(doc, font, sz) + 2 * pad };
	};
	const draw = (cells: string[], font: Font, shade: boolean, span = false) => {
		const laid = span
			? [layout(cells[0] ?? '', W, font)]
			: cells.map((c, i) => layout(c, cols[i] ?? 40, font));
		const h = Math.max(...laid.map((l) => l.height));
		if (doc.y + h > bottomY(doc)) {
			doc.addPage();
			// The column headings again on the new page (unless this row is the heading itself).
			if (span || font === 'r') drawHeader();
		}
		const y = doc.y;
		let x = left(doc);
		const widthsNow = span ? [W] : cols;
		laid.forEach((l, i) => {
			const cw = widthsNow[i] ?? 40;
			if (shade) doc.rect(x, y, cw, h).fill('#E8EEF4');
			doc.rect(x, y, cw, h).lineWidth(0.5).stroke('#808080');
			drawLines(doc, l.lines, font, l.size, x + pad, y + pad, cw - 2 * pad);
			x += cw;
		});
		doc.x = left(doc);
		doc.y = y + h;
	};
	const drawHeader = () => draw(headers, 'b', true);
	drawHeader();
	rows.forEach((r, i) =>
		groups.has(i)
			? draw([r[0] ?? ''], 'b', true, true)
			: draw(
					headers.map((_h, j) => r[j] ?? ''),
					'r',
					false
				)
	);
	doc.moveDown(0.6);
}

function block(doc: Doc, b: Block): void {
	switch (b.kind) {
		case 'title':
			text(doc, b.text, 'b', 15, 'center', 6);
			return;
		case 'subtitle':
			text(doc, b.text, 'b', 12, 'center', 10);
			return;
		case 'heading':
			doc.moveDown(0.4);
			ensure(doc, 40);
			text(doc, b.text, 'b', 12, 'left', 4);
			return;
		case 'para':
			text(doc, b.text, b.bold ? 'b' : b.italic ? 'i' : 'r', 10.5, b.align ?? 'left', 4);
			return;
		case 'fields':
			table(
				doc,
				['Показатель', 'Значение'],
				[35, 65],
				b.rows.map(([k, v]) => [k, v]),
				new Set()
			);
			return;
		case 'table':
			table(doc, b.headers, b.widths, b.rows, new Set(b.groupRows ?? []));
			return;
		case 'signatures':
			doc.moveDown(1);
			for (const [role, name] of b.lines)
				text(doc, `${role} ____________________ / ${name} /`, 'r', 10.5, 'left', 12);
			return;
		case 'approval':
			for (const l of b.lines) text(doc, l, 'r', 10.5, 'right', 2);
			doc.moveDown(0.5);
			return;
	}
}
