/**
 * Renders a DocModel as a Word document (docx 9): A4, Times New Roman 12, tables with borders.
 * The library is loaded on the first export, not at server start (it is megabytes of heap that
 * most server processes never need).
 */
import type { FileChild, Paragraph, Table, TableCell } from 'docx';
import type { Block, DocModel } from './model.js';
import { exportSafeDeep } from './export-safe.js';

type Docx = typeof import('docx');
let d: Docx;

const FONT = 'Times New Roman';
const borders = () => {
	const border = { style: d.BorderStyle.SINGLE, size: 4, color: '808080' };
	return { top: border, bottom: border, left: border, right: border };
};
const ALIGN = { left: 'LEFT', right: 'RIGHT', center: 'CENTER' } as const;

function p(
	text: string,
	opts: {
		bold?: boolean;
		italic?: boolean;
		size?: number;
		align?: keyof typeof ALIGN;
		after?: number;
	} = {}
): Paragraph {
	return new d.Paragraph({
		alignment: d.AlignmentType[ALIGN[opts.align ?? 'left']],
		spacing: { after: opts.after ?? 80 },
		children: text.split('\n').map(
			(line, i) =>
				new d.TextRun({
					text: line,
					bold: opts.bold,
					italics: opts.italic,
					font: FONT,
					size: opts.size ?? 24,
					break: i > 0 ? 1 : 0
				})
		)
	});
}

function cell(
	text: string,
	width: number,
	opts: { bold?: boolean; span?: number; shade?: boolean } = {}
): TableCell {
	return new d.TableCell({
		borders: borders(),
		width: { size: width, type: d.WidthType.PERCENTAGE },
		columnSpan: opts.span,
		shading: opts.shade ? { type: d.ShadingType.CLEAR, color: 'auto', fill: 'E8EEF4' } : undefined,
		children: [p(text, { bold: opts.bold, size: 20, after: 0 })]
	});
}

function table(
	headers: string[],
	widths: number[],
	rows: string[][],
	groupRows: Set<number>
): Table {
	const total = widths.reduce((a, b) => a + b, 0) || 1;
	const w = widths.map((x) => Math.round((x / total) * 100));
	return new d.Table({
		width: { size: 100, type: d.WidthType.PERCENTAGE },
		rows: [
			new d.TableRow({
				tableHeader: true,
				children: headers.map((h, i) => cell(h, w[i] ?? 10, { bold: true, shade: true }))
			}),
			...rows.map((r, ri) =>
				groupRows.has(ri)
					? new d.TableRow({
							children: [cell(r[0] ?? '', 100, { bold: true, span: headers.length, shade: true })]
						})
					: new d.TableRow({ children: headers.map((_h, i) => cell(r[i] ?? '', w[i] ?? 10)) })
			)
		]
	});
}

function render(b: Block): FileChild[] {
	switch (b.kind) {
		case 'title':
			return [
				new d.Paragraph({
					heading: d.HeadingLevel.TITLE,
					alignment: d.AlignmentType.CENTER,
					spacing: { after: 120 },
					children: [new d.TextRun({ text: b.text, bold: true, font: FONT, size: 32 })]
				})
			];
		case 'subtitle':
			return [p(b.text, { align: 'center', bold: true, size: 26, after: 200 })];
		case 'heading':
			return [
				new d.Paragraph({
					heading: d.HeadingLevel.HEADING_2,
					spacing: { before: 240, after: 120 },
					children: [new d.TextRun({ text: b.text, bold: true, font: FONT, size: 26 })]
				})
			];
		case 'para':
			return [p(b.text, { bold: b.bold, italic: b.italic, align: b.align })];
		case 'fields':
			return [
				table(
					['Показатель', 'Значение'],
					[35, 65],
					b.rows.map(([k, v]) => [k, v]),
					new Set()
				),
				p('')
			];
		case 'table':
			return [table(b.headers, b.widths, b.rows, new Set(b.groupRows ?? [])), p('')];
		case 'signatures':
			return [
				p(''),
				...b.lines.map(([role, name]) =>
					p(`${role} ____________________ / ${name} /`, { after: 200 })
				)
			];
		case 'approval':
			return b.lines.map((l) => p(l, { align: 'right', after: 40 }));
	}
}

export async function renderDocx(model: DocModel): Promise<Buffer> {
	d ??= await import('docx');
	const m = exportSafeDeep(model);
	const doc = new d.Document({
		creator: 'Наставник',
		title: m.title,
		styles: { default: { document: { run: { font: FONT, size: 24 } } } },
		sections: [
			{
				properties: {
					page: {
						size: m.landscape ? { orientation: d.PageOrientation.LANDSCAPE } : {},
						margin: { top: 1134, bottom: 1134, left: 1418, right: 850 }
					}
				},
				footers: {
					default: new d.Footer({
						children: [
							new d.Paragraph({
								alignment: d.AlignmentType.CENTER,
								children: [
									new d.TextRun({ children: [d.PageNumber.CURRENT], font: FONT, size: 18 })
								]
							})
						]
					})
				},
				children: m.blocks.flatMap(render)
			}
		]
	});
	return d.Packer.toBuffer(doc);
}
