/**
 * A tiny neutral document model: the generators (program, справки, отчет) describe WHAT a
 * document says once, and two renderers (docx.ts, pdf.ts) lay it out for Word and for signing.
 */
import { dayInWords, formatDateTime } from '../../../src/lib/shared/time.js';

export type Block =
	| { kind: 'title'; text: string }
	| { kind: 'subtitle'; text: string }
	| { kind: 'heading'; text: string }
	| {
			kind: 'para';
			text: string;
			bold?: boolean;
			align?: 'left' | 'right' | 'center';
			italic?: boolean;
	  }
	| { kind: 'fields'; rows: Array<[string, string]> }
	| {
			kind: 'table';
			headers: string[];
			/** Relative column widths. */
			widths: number[];
			rows: string[][];
			/** Rows (by index) shown as a group header spanning the table. */
			groupRows?: number[];
	  }
	| { kind: 'signatures'; lines: Array<[string, string]> }
	| { kind: 'approval'; lines: string[] };

export interface DocModel {
	/** File name without extension (Latin/Cyrillic allowed; sanitized by the route). */
	name: string;
	title: string;
	landscape?: boolean;
	blocks: Block[];
}

/**
 * The file name of a rendered model: «ППН Иванова М.С.» + docx → «ППН Иванова М.С.docx» (the
 * initials' last dot is the extension's; never «..docx»).
 */
export function fileNameOf(name: string, ext: string): string {
	return `${name.replace(/[.\s]+$/, '')}.${ext}`;
}

/** 'YYYY-MM-DD' → 'DD.MM.YYYY' (as Russian documents write dates); other values as is. */
export function ruDate(d: string | null | undefined): string {
	if (!d) return '—';
	const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(d);
	return m ? `${m[3]}.${m[2]}.${m[1]}` : d;
}

/** An instant as 'ДД.ММ.ГГГГ ЧЧ:ММ' local time of `timeZone` (the scope's or the program's). */
export function ruDateTime(ms: number | null | undefined, timeZone: string): string {
	if (!ms) return '—';
	return formatDateTime(ms, timeZone);
}

/** '2026-06-10' → '10 июня 2026 г.' */
export function ruLongDate(d: string): string {
	const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(d);
	if (!m) return d;
	return dayInWords(Number(m[1]), Number(m[2]), Number(m[3]), true);
}

export const percent = (n: number, d: number): string =>
	d ? `${Math.round((n / d) * 100)} %` : '—';
export const num = (x: number | null | undefined, digits = 1): string =>
	x === null || x === undefined ? '—' : x.toFixed(digits).replace('.', ',');

/** Plain text of a document model (tests, previews). */
export function modelText(m: DocModel): string {
	const out: string[] = [];
	for (const b of m.blocks) {
		switch (b.kind) {
			case 'title':
			case 'subtitle':
			case 'heading':
			case 'para':
				out.push(b.text);
				break;
			case 'fields':
				for (const [k, v] of b.rows) out.push(`${k}: ${v}`);
				break;
			case 'table':
				out.push(b.headers.join(' | '));
				for (const r of b.rows) out.push(r.join(' | '));
				break;
			case 'signatures':
				for (const [k, v] of b.lines) out.push(`${k} ____ ${v}`);
				break;
			case 'approval':
				out.push(...b.lines);
				break;
		}
	}
	return out.join('\n');
}
