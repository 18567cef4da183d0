/** Renders a DocModel as a Word document (docx 9): A4, Times New Roman 12, tables with borders. */
import {
	AlignmentType,
	BorderStyle,
	Document,
	Footer,
	HeadingLevel,
	Packer,
	PageNumber,
	PageOrientation,
	Paragraph,
	ShadingType,
	Table,
	TableCell,
	TableRow,
	TextRun,
	WidthType,
	type FileChild
} from 'docx';
import type { Block, DocModel } from './model.js';

const FONT = 'Times New Roman';
const border = { style: BorderStyle.SINGLE, size: 4, color: '808080' };
const borders = { top: border, bottom: border, left: border, right: border };

const ALIGN = {
	left: AlignmentType.LEFT,
	right: AlignmentType.RIGHT,
	center: AlignmentType.CENTER
} as const;

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
	return new Paragraph({
		alignment: ALIGN[opts.align ?? 'left'],
		spacing: { after: opts.after ?? 80 },
		children: text.split('\n').map(
			(line, i) =>
				new TextRun({
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
	return new TableCell({
		borders,
		width: { size: width, type: WidthType.PERCENTAGE },
		columnSpan: opts.span,
		shading: opts.shade ? { type: ShadingType.CLEAR, color: 'auto', fill: 'E8EEF4' } : undefined,
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
	return new Table({
		width: { size: 100, type: WidthType.PERCENTAGE },
		rows: [
			new TableRow({
				tableHeader: true,
				children: headers.map((h, i) => cell(h, w[i] ?? 10, { bold: true, shade: true }))
			}),
			...rows.map((r, ri) =>
				groupRows.has(ri)
					? new TableRow({
							children: [cell(r[0] ?? '', 100, { bold: true, span: headers.length, shade: true })]
						})
					: new TableRow({ children: headers.map((_h, i) => cell(r[i] ?? '', w[i] ?? 10)) })
			)
		]
	});
}

function render(b: Block): FileChild[] {
	switch (b.kind) {
		case 'title':
			return [
				new Paragraph({
					heading: HeadingLevel.TITLE,
					alignment: AlignmentType.CENTER,
					spacing: { after: 120 },
					children: [new TextRun({ text: b.text, bold: true, font: FONT, size: 32 })]
				})
			];
		case 'subtitle':
			return [p(b.text, { align: 'center', bold: true, size: 26, after: 200 })];
		case 'heading':
			return [
				new Paragraph({
					heading: HeadingLevel.HEADING_2,
					spacing: { before: 240, after: 120 },
					children: [new TextRun({ text: b.text, bold: true, font: FONT, size: 26 })]
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

export async function renderDocx(m: DocModel): Promise<Buffer> {
	const doc = new Document({
		creator: 'Наставник',
		title: m.title,
		styles: { default: { document: { run: { font: FONT, size: 24 } } } },
		sections: [
			{
				properties: {
					page: {
						size: m.landscape ? { orientation: PageOrientation.LANDSCAPE } : {},
						margin: { top: 1134, bottom: 1134, left: 1418, right: 850 }
					}
				},
				footers: {
					default: new Footer({
						children: [
							new Paragraph({
								alignment: AlignmentType.CENTER,
								children: [new TextRun({ children: [PageNumber.CURRENT], font: FONT, size: 18 })]
							})
						]
					})
				},
				children: m.blocks.flatMap(render)
			}
		]
	});
	return Packer.toBuffer(doc);
}
