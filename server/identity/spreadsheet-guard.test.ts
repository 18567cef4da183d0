/**
 * The spreadsheet guard on files as ExcelJS writes them: an ordinary registry passes; a cell, a
 * merged range or a data validation beyond 64 columns or 20,000 rows, or a dimension reaching
 * XFD, is refused with a Russian message before any parser sees the file; a CSV beyond
 * 20,000 rows or MAX_CSV_BYTES likewise.
 */
import ExcelJS from 'exceljs';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readCsv, readXlsx } from './import.js';
import {
	guardSpreadsheet,
	MAX_CSV_BYTES,
	MAX_ROWS,
	SpreadsheetRefused
} from './spreadsheet-guard.js';

async function workbook(fill: (ws: ExcelJS.Worksheet) => void): Promise<Buffer> {
	const wb = new ExcelJS.Workbook();
	const ws = wb.addWorksheet('Люди');
	ws.addRow(['ФИО', 'Роль']);
	ws.addRow(['Иванова Мария Петровна', 'наставник']);
	fill(ws);
	return Buffer.from(await wb.xlsx.writeBuffer());
}

function refused(data: Buffer): SpreadsheetRefused {
	try {
		guardSpreadsheet(data);
	} catch (error) {
		expect(error).toBeInstanceOf(SpreadsheetRefused);
		return error as SpreadsheetRefused;
	}
	throw new Error('the spreadsheet was expected to be refused');
}

/** A one-entry zip holding a worksheet XML as given (what a hand-made hostile file looks like). */
function zipWithSheet(xml: string): Buffer {
	const name = Buffer.from('xl/worksheets/sheet1.xml');
	const data = deflateRawSync(Buffer.from(xml));
	const local = Buffer.alloc(30);
	local.writeUInt32LE(0x04034b50, 0);
	local.writeUInt16LE(8, 8);
	local.writeUInt32LE(data.length, 18);
	local.writeUInt16LE(name.length, 26);
	const central = Buffer.alloc(46);
	central.writeUInt32LE(0x02014b50, 0);
	central.writeUInt16LE(8, 10);
	central.writeUInt32LE(data.length, 20);
	central.writeUInt16LE(name.length, 28);
	central.writeUInt32LE(0, 42);
	const cdOffset = local.length + name.length + data.length;
	const end = Buffer.alloc(22);
	end.writeUInt32LE(0x06054b50, 0);
	end.writeUInt16LE(1, 8);
	end.writeUInt16LE(1, 10);
	end.writeUInt32LE(central.length + name.length, 12);
	end.writeUInt32LE(cdOffset, 16);
	return Buffer.concat([local, name, data, central, name, end]);
}

describe('spreadsheet guard', () => {
	it('lets an ordinary registry through, and the import reads it', async () => {
		const data = await workbook(() => undefined);
		expect(guardSpreadsheet(data)).toMatchObject({ sheets: 1, columns: 2, rows: 2 });
		expect((await readXlsx(data)).map((r) => r.values.fullName)).toEqual([
			'Иванова Мария Петровна'
		]);
	});

	it('refuses one cell in column XFD, in Russian', async () => {
		const e = refused(await workbook((ws) => (ws.getCell('XFD1').value = 'x')));
		expect(e.messageRu).toMatch(/не больше 64 столбцов и 20[\s\u00a0]000 строк/);
		expect(e.message).toMatch(/column 16384/);
		await expect(readXlsx(await workbook((ws) => (ws.getCell('BM2').value = 'x')))).rejects.toThrow(
			SpreadsheetRefused
		); // column 65
	});

	it('refuses more than 20,000 rows', async () => {
		refused(await workbook((ws) => (ws.getCell('A20001').value = 'x')));
	});

	it('refuses a merged range or a data validation reaching beyond the limits', async () => {
		refused(await workbook((ws) => ws.mergeCells('A3:XFD3')));
		const xml =
			'<worksheet><dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1"/></row></sheetData>' +
			'<dataValidations count="1"><dataValidation type="list" sqref="A1:A1048576"/></dataValidations></worksheet>';
		refused(zipWithSheet(xml));
	});

	it('refuses a dimension reaching XFD and cells without references counted by position', () => {
		refused(zipWithSheet('<worksheet><dimension ref="A1:XFD1"/><sheetData/></worksheet>'));
		const cells = Array.from({ length: 65 }, () => '<c t="inlineStr"><is><t>x</t></is></c>').join(
			''
		);
		refused(zipWithSheet(`<worksheet><sheetData><row>${cells}</row></sheetData></worksheet>`));
		expect(
			guardSpreadsheet(
				zipWithSheet(
					`<worksheet><sheetData><row>${cells.slice(0, 64 * 38)}</row></sheetData></worksheet>`
				)
			).columns
		).toBeLessThanOrEqual(64);
	});

	it('refuses what is not a zip, in Russian', () => {
		expect(refused(Buffer.from('not a spreadsheet')).messageRu).toMatch(/xlsx/);
	});
});

describe('CSV limits (the same rows as XLSX, and MAX_CSV_BYTES)', () => {
	const header = 'ФИО;Роль\n';
	const rows = (n: number) =>
		Array.from({ length: n }, (_, i) => `Иванова Мария ${i};наставник\n`).join('');

	function csvRefused(text: string): SpreadsheetRefused {
		try {
			readCsv(text);
		} catch (error) {
			expect(error).toBeInstanceOf(SpreadsheetRefused);
			return error as SpreadsheetRefused;
		}
		throw new Error('the CSV was expected to be refused');
	}

	it('reads 20,000 rows, empty lines not counted, with the file’s own line numbers', () => {
		const read = readCsv(`${header}\n\n${rows(MAX_ROWS)}`);
		expect(read).toHaveLength(MAX_ROWS);
		expect(read[0]).toMatchObject({ line: 4, values: { fullName: 'Иванова Мария 0' } });
		expect(read.at(-1)?.values.fullName).toBe(`Иванова Мария ${MAX_ROWS - 1}`);
	});

	it('refuses 20,001 rows in Russian, instead of dropping any', () => {
		const e = csvRefused(header + rows(MAX_ROWS + 1));
		expect(e.messageRu).toMatch(/Файл CSV слишком велик.*не больше 20[\s\u00a0]000 строк и 5 МБ/);
		expect(e.message).toMatch(/more than 20000 rows/);
	});

	it('refuses a file beyond MAX_CSV_BYTES before parsing it', () => {
		const long = `Иванова Мария;наставник;${'x'.repeat(MAX_CSV_BYTES)}\n`;
		const e = csvRefused(header + long);
		expect(e.messageRu).toMatch(/5 МБ/);
		expect(e.message).toMatch(/bytes \(limit 5242880\)/);
	});
});
