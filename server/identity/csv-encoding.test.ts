import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { CsvEncodingError, decodeCsv } from './csv-encoding';
import { readCsv } from './import';

const TABLE =
	'ФИО;Роль;Должность;Наставник\r\nКузнецова Ольга Юрьевна;наставник;учитель русского языка;\r\n' +
	'Семёнов Артём Игоревич;наставляемый;учитель истории;Кузнецова Ольга Юрьевна\r\n';

const refusal = (bytes: Uint8Array): string => {
	try {
		decodeCsv(bytes);
	} catch (error) {
		if (error instanceof CsvEncodingError) return error.messageRu;
		throw error;
	}
	throw new Error('accepted');
};

describe('the encoding of an imported CSV', () => {
	it('reads UTF-8 (with and without BOM), UTF-16 with BOM and Windows-1251 to the same rows', () => {
		const expected = readCsv(TABLE);
		expect(expected).toHaveLength(2);
		const files: Array<[Uint8Array, string]> = [
			[Buffer.from(TABLE, 'utf8'), 'utf-8'],
			[Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TABLE, 'utf8')]), 'utf-8'],
			[Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(TABLE, 'utf-16le')]), 'utf-16le'],
			[iconv.encode(TABLE, 'win1251'), 'windows-1251']
		];
		for (const [bytes, encoding] of files) {
			const { text, encoding: found } = decodeCsv(bytes);
			expect(found).toBe(encoding);
			expect(readCsv(text)).toEqual(expected);
		}
	});

	it('refuses KOI8-R, binary data and an XLSX named .csv with a Russian message', () => {
		expect(refusal(iconv.encode(TABLE, 'koi8-r'))).toMatch(/KOI8-R.*UTF-8 и Windows-1251/);
		expect(refusal(Buffer.from([0x41, 0x00, 0x01, 0xc0, 0xc1, 0x00]))).toMatch(/двоичные|UTF-8/);
		expect(refusal(Buffer.from('PK\u0003\u0004rest', 'latin1'))).toContain('.xlsx');
		expect(refusal(iconv.encode('名前;役割\r\n山田;先生\r\n', 'shift_jis'))).toContain('UTF-8');
	});
});
