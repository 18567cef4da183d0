/**
 * Looks at an XLSX before anything parses it. ExcelJS materializes every cell up to the
 * farthest one a sheet names — a 47 KB file with one cell in column XFD (16,384 columns) kept the
 * server busy for over nine minutes (issue #14) — and expands merged ranges and data-validation
 * ranges cell by cell. The import needs a registry of people: a few columns and at most some
 * thousand rows. So the guard reads the zip's central directory, inflates each worksheet with a
 * cap on its size, and refuses (with a Russian message for the user) a sheet whose cells,
 * dimension, merged ranges or validations reach beyond MAX_COLUMNS columns or MAX_ROWS rows.
 * A CSV gets the same row limit and a byte limit (MAX_CSV_BYTES): a huge one would otherwise be
 * parsed whole and its rows validated one by one.
 */
import { readZipEntryData, zipEntries, zipEntryCount } from '../zip-reader';

export const MAX_COLUMNS = 64;
export const MAX_ROWS = 20_000;
/** A worksheet's XML inflated beyond this is refused (a zip bomb, or far more than a registry). */
export const MAX_SHEET_XML_BYTES = 64 * 1024 * 1024;
const MAX_ENTRIES = 2_000;
/**
 * A CSV longer than this is refused before parsing: 20,000 registry rows of ~250 bytes, and it
 * still fits the import request's 8 MiB body once base64-encoded.
 */
export const MAX_CSV_BYTES = 5 * 1024 * 1024;

export class SpreadsheetRefused extends Error {
	constructor(
		readonly messageRu: string,
		detail: string
	) {
		super(detail);
		this.name = 'SpreadsheetRefused';
	}
}

// Messages written when a refusal happens: formatting a number in Russian at module load would
// load ICU's locale data (~7 MB resident) into every relay, importing or not (#18).
const rows = () => MAX_ROWS.toLocaleString('ru-RU');
const tooBig = () =>
	`Таблица слишком велика для импорта: не больше ${MAX_COLUMNS} столбцов и ${rows()} строк. Удалите лишние столбцы и строки (в том числе пустые ячейки с оформлением далеко справа или внизу) и загрузите файл снова.`;
const csvTooBig = () =>
	`Файл CSV слишком велик для импорта: не больше ${rows()} строк и ${MAX_CSV_BYTES / 1024 / 1024} МБ. Разделите его на несколько файлов и загрузите их по очереди.`;
const NOT_XLSX = 'Не удалось прочитать файл: проверьте, что это таблица .xlsx';

/** Column letters → 1-based index (A = 1, XFD = 16384). */
export function columnIndex(letters: string): number {
	let n = 0;
	for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
	return n;
}

interface Extent {
	cols: number;
	rows: number;
}

/** The farthest column and row of a cell reference or range ("B7", "A1:XFD1", "$C$3"). */
function extentOfRef(ref: string): Extent {
	let cols = 0;
	let rows = 0;
	for (const m of ref.matchAll(/\$?([A-Za-z]{1,4})\$?(\d{1,8})/g)) {
		cols = Math.max(cols, columnIndex(m[1] as string));
		rows = Math.max(rows, Number(m[2]));
	}
	// Whole columns ("A:XFD") or whole rows ("1:1048576").
	for (const m of ref.matchAll(/(?:^|[\s:])\$?([A-Za-z]{1,4})(?=:|\s|$)/g))
		cols = Math.max(cols, columnIndex(m[1] as string));
	if (/(?:^|\s)\$?[A-Za-z]{1,4}:\$?[A-Za-z]{1,4}(?:\s|$)/.test(ref)) rows = Number.MAX_SAFE_INTEGER;
	for (const m of ref.matchAll(/(?:^|[\s:])\$?(\d{1,8})(?=:|\s|$)/g))
		rows = Math.max(rows, Number(m[1]));
	if (/(?:^|\s)\$?\d{1,8}:\$?\d{1,8}(?:\s|$)/.test(ref)) cols = Number.MAX_SAFE_INTEGER;
	return { cols, rows };
}

/** Worksheets of an XLSX, inflated (capped). Throws SpreadsheetRefused on a bad or huge file. */
function worksheets(zip: Buffer): Array<{ name: string; xml: string }> {
	const entries = zipEntryCount(zip);
	if (entries === null) throw new SpreadsheetRefused(NOT_XLSX, 'not a zip archive');
	if (entries > MAX_ENTRIES) throw new SpreadsheetRefused(tooBig(), `${entries} zip entries`);
	const out: Array<{ name: string; xml: string }> = [];
	try {
		for (const entry of zipEntries(zip)) {
			const { name } = entry;
			if (!/^xl\/worksheets\/[^/]+\.xml$/i.test(name)) continue;
			let xml: Buffer;
			try {
				xml = readZipEntryData(zip, entry, MAX_SHEET_XML_BYTES);
			} catch (error) {
				if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
					throw new SpreadsheetRefused(
						tooBig(),
						`${name} inflates beyond ${MAX_SHEET_XML_BYTES} bytes`
					);
				throw error;
			}
			if (xml.length > MAX_SHEET_XML_BYTES)
				throw new SpreadsheetRefused(tooBig(), `${name} is ${xml.length} bytes`);
			out.push({ name, xml: xml.toString('utf8') });
		}
	} catch (error) {
		if (error instanceof SpreadsheetRefused) throw error;
		throw new SpreadsheetRefused(NOT_XLSX, `unreadable zip: ${(error as Error).message}`);
	}
	return out;
}

/** What the guard saw (the farthest column and row over every sheet). */
export interface SpreadsheetExtent {
	sheets: number;
	columns: number;
	rows: number;
}

/**
 * Refuses an XLSX whose sheets reach beyond MAX_COLUMNS columns or MAX_ROWS rows — through a
 * cell, the sheet's dimension, a merged range or a data validation — before any parser sees it.
 * Cells without a reference count by position. Throws SpreadsheetRefused (Russian `messageRu`).
 */
export function guardSpreadsheet(data: Buffer): SpreadsheetExtent {
	const sheets = worksheets(data);
	let columns = 0;
	let rows = 0;
	const see = (e: Extent, what: string, sheet: string) => {
		columns = Math.max(columns, e.cols);
		rows = Math.max(rows, e.rows);
		if (columns > MAX_COLUMNS || rows > MAX_ROWS)
			throw new SpreadsheetRefused(
				tooBig(),
				`${sheet}: ${what} reaches column ${e.cols}, row ${e.rows} (limits ${MAX_COLUMNS} × ${MAX_ROWS})`
			);
	};
	for (const { name, xml } of sheets) {
		for (const m of xml.matchAll(/<(?:\w+:)?dimension\b[^>]*\bref="([^"]*)"/g))
			see(extentOfRef(m[1] as string), 'the dimension', name);
		for (const m of xml.matchAll(/<(?:\w+:)?mergeCell\b[^>]*\bref="([^"]*)"/g))
			see(extentOfRef(m[1] as string), 'a merged range', name);
		for (const m of xml.matchAll(/<(?:\w+:)?dataValidation\b[^>]*\bsqref="([^"]*)"/g))
			see(extentOfRef(m[1] as string), 'a data validation', name);
		// Rows and cells: by reference where they carry one, else by position.
		let rowNo = 0;
		for (const row of xml.matchAll(/<(?:\w+:)?row\b([^>]*?)(\/>|>([\s\S]*?)<\/(?:\w+:)?row>)/g)) {
			const r = /\br="(\d+)"/.exec(row[1] as string);
			rowNo = r ? Number(r[1]) : rowNo + 1;
			see({ cols: 0, rows: rowNo }, 'a row', name);
			let colNo = 0;
			for (const c of (row[3] ?? '').matchAll(/<(?:\w+:)?c\b([^>]*)>/g)) {
				const ref = /\br="\$?([A-Za-z]{1,4})\$?(\d{1,8})"/.exec(c[1] as string);
				colNo = ref ? columnIndex(ref[1] as string) : colNo + 1;
				see({ cols: colNo, rows: ref ? Number(ref[2]) : rowNo }, 'a cell', name);
			}
		}
	}
	return { sheets: sheets.length, columns, rows };
}

/**
 * Refuses a CSV beyond MAX_CSV_BYTES before the parser sees it; the parser stops after
 * MAX_ROWS + 1 records (header included) and `csvRowsRefused` refuses a file that had more.
 */
export function guardCsv(text: string): void {
	const bytes = Buffer.byteLength(text, 'utf8');
	if (bytes > MAX_CSV_BYTES)
		throw new SpreadsheetRefused(csvTooBig(), `CSV of ${bytes} bytes (limit ${MAX_CSV_BYTES})`);
}

/** The refusal of a CSV whose records went beyond the header and MAX_ROWS rows. */
export function csvRowsRefused(records: number): SpreadsheetRefused {
	return new SpreadsheetRefused(
		csvTooBig(),
		`CSV with more than ${MAX_ROWS} rows (${records} records read)`
	);
}
