/**
 * Line breaking for the PDF renderer (pdf.ts). pdfkit breaks a word that is wider than its box
 * between letters («Ответственн / ый»), which a signed document must never show. Here lines
 * break only at spaces and after hyphens; a word wider than its column is handled by the caller
 * before drawing (a wider column, then a smaller font for that cell). Pure functions of a text
 * and a measure, so they are tested without a PDF.
 */

/** Width of `s` at font size `size` (points), in the font the caller will draw with. */
export type Measure = (s: string, size: number) => number;

/** Hyphens a line may break after (not the non-breaking U+2011). */
const HYPHEN = /[-\u2010]/;

/**
 * The unbreakable pieces of a paragraph: words split after their hyphens. Each piece carries
 * whether a space preceded it (a space is dropped at a line break; a hyphen stays on its line).
 */
export function pieces(paragraph: string): Array<{ text: string; space: boolean }> {
	const out: Array<{ text: string; space: boolean }> = [];
	for (const word of paragraph.split(/[ \t]+/)) {
		if (!word) continue;
		let space = true;
		let cur = '';
		for (const ch of word) {
			cur += ch;
			// A hyphen between letters is a break opportunity; a leading or trailing one is not.
			if (HYPHEN.test(ch) && cur.length > 1) {
				out.push({ text: cur, space });
				space = false;
				cur = '';
			}
		}
		if (cur) out.push({ text: cur, space });
	}
	return out;
}

/** The widest unbreakable piece of `text` at `size`. */
export function widestPiece(text: string, size: number, measure: Measure): number {
	let w = 0;
	for (const para of text.split('\n'))
		for (const p of pieces(para)) w = Math.max(w, measure(p.text, size));
	return w;
}

/**
 * The font size for `text` in a box `width` wide: `base` when every piece fits, else the size at
 * which the widest one does, but not below `min`.
 */
export function fitSize(
	text: string,
	width: number,
	base: number,
	min: number,
	measure: Measure
): number {
	const widest = widestPiece(text, base, measure);
	if (widest <= width || widest === 0) return base;
	// Widths scale with the size; a hair less so rounding never tips it over.
	return Math.max(min, Math.floor(((base * width) / widest) * 100) / 100 - 0.01);
}

/**
 * The lines of `text` in a box `width` wide at `size`: greedy, breaking only between pieces.
 * A piece wider than the box (only when even the smallest font cannot hold it: a pasted link of
 * hundreds of characters) is cut between letters as the last resort, so nothing runs out of its
 * cell over the neighbouring one. Widths are summed piece by piece (linear in the text: a
 * megabyte-long note must not cost a quadratic number of measurements).
 */
export function breakLines(text: string, width: number, size: number, measure: Measure): string[] {
	const lines: string[] = [];
	const space = measure(' ', size);
	for (const para of text.split('\n')) {
		let line = '';
		let w = 0;
		for (const p of pieces(para)) {
			const pw = measure(p.text, size);
			const gap = line && p.space ? space : 0;
			if (line && w + gap + pw > width) {
				lines.push(line);
				line = '';
				w = 0;
			}
			if (pw <= width || line) {
				line += (line && p.space ? ' ' : '') + p.text;
				w += (line === p.text ? 0 : gap) + pw;
				continue;
			}
			// The last resort: the piece alone is wider than the box.
			let cur = '';
			let cw = 0;
			for (const ch of p.text) {
				const chw = measure(ch, size);
				if (cur && cw + chw > width) {
					lines.push(cur);
					cur = '';
					cw = 0;
				}
				cur += ch;
				cw += chw;
			}
			line = cur;
			w = cw;
		}
		lines.push(line);
	}
	return lines;
}

/**
 * Column widths that hold every unbreakable piece of their cells where the table can afford it:
 * a column too narrow for its longest word takes the room from columns with room to spare
 * (their share beyond their own longest word), in proportion to that spare room.
 */
export function fitColumns(widths: number[], needs: number[]): number[] {
	const out = [...widths];
	let deficit = 0;
	for (let i = 0; i < out.length; i++) deficit += Math.max(0, (needs[i] ?? 0) - (out[i] ?? 0));
	if (deficit === 0) return out;
	const spare = out.map((w, i) => Math.max(0, w - (needs[i] ?? 0)));
	const totalSpare = spare.reduce((a, b) => a + b, 0);
	if (totalSpare === 0) return out;
	const take = Math.min(deficit, totalSpare);
	for (let i = 0; i < out.length; i++) {
		const short = Math.max(0, (needs[i] ?? 0) - (out[i] ?? 0));
		// Each short column gets its share of what can be taken; each roomy one gives its share.
		out[i] = (out[i] ?? 0) + (short / deficit) * take - ((spare[i] ?? 0) / totalSpare) * take;
	}
	return out;
}
