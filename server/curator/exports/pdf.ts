/**
 * Renders a DocModel as PDF (pdfkit, DejaVu fonts for Cyrillic): A4, tables that break across pages.
 * pdfkit is loaded on the first export, not at server start.
 */
import { createRequire } from 'node:module';
import type PDFDocument from 'pdfkit';
import type { Block, DocModel } from './model.js';
import { exportSafeDeep } from './export-safe.js';

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

function text(
	doc: Doc,
	s: string,
	font: 'r' | 'b' | 'i',
	size: number,
	align: 'left' | 'right' | 'center' = 'left',
	gap = 4
): void {
	doc.font(font).fontSize(size).fillColor('#000');
	ensure(doc, doc.heightOfString(s, { width: width(doc) }));
	doc.text(s, left(doc), doc.y, { width: width(doc), align });
	doc.moveDown(gap / size);
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
	const cols = widths.map((w) => (w / total) * W);
	const pad = 3;
	const size = 8;
	const rowHeight = (cells: string[], font: 'r' | 'b') => {
		doc.font(font).fontSize(size);
		return (
			Math.max(
				...cells.map((c, i) => doc.heightOfString(c || ' ', { width: (cols[i] ?? 40) - 2 * pad }))
			) +
			2 * pad
		);
	};
	const draw = (cells: string[], font: 'r' | 'b', shade: boolean, span = false) => {
		const h = span
			? (doc.font(font).fontSize(size),
				doc.heightOfString(cells[0] || ' ', { width: W - 2 * pad }) + 2 * pad)
			: rowHeight(cells, font);
		if (doc.y + h > bottomY(doc)) {
			doc.addPage();
			// The column headings again on the new page (unless this row is the heading itself).
			if (span || font === 'r') drawHeader();
		}
		const y = doc.y;
		let x = left(doc);
		if (span) {
			if (shade) doc.rect(x, y, W, h).fill('#E8EEF4');
			doc.rect(x, y, W, h).lineWidth(0.5).stroke('#808080');
			doc
				.fillColor('#000')
				.font(font)
				.fontSize(size)
				.text(cells[0] ?? '', x + pad, y + pad, { width: W - 2 * pad });
		} else {
			cells.forEach((c, i) => {
				const cw = cols[i] ?? 40;
				if (shade) doc.rect(x, y, cw, h).fill('#E8EEF4');
				doc.rect(x, y, cw, h).lineWidth(0.5).stroke('#808080');
				doc
					.fillColor('#000')
					.font(font)
					.fontSize(size)
					.text(c, x + pad, y + pad, { width: cw - 2 * pad });
				x += cw;
			});
		}
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
			for (const l of b.lines) text(doc, l, 'r', 10.5, 'right', 1);
			doc.moveDown(0.5);
			return;
	}
}
