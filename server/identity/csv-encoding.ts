/**
 * The text of an imported CSV file: UTF-8 (with or without a BOM), UTF-16 with a BOM (Excel's
 * «Текст Юникод»), or Windows-1251 (what Russian Excel writes for «CSV (разделители — точка с
 * запятой)»). Detected, not guessed from the file name: a file that is valid UTF-8 is UTF-8;
 * otherwise it must read as Russian text in Windows-1251, else the import stops with a Russian
 * message that says what is wrong and how to save the file (issue 16).
 */
import iconv from 'iconv-lite';

export type CsvEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1251';

export class CsvEncodingError extends Error {
	constructor(readonly messageRu: string) {
		super('csv file is neither UTF-8 nor Windows-1251 text');
		this.name = 'CsvEncodingError';
	}
}

const SAVE_AS =
	'Сохраните таблицу в Excel как «CSV UTF-8 (разделитель — запятая)» или «CSV (разделители — точка с запятой)» и загрузите снова.';

/** Control characters that never occur in a text table (NUL, etc.; tab, CR, LF are fine). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

export function decodeCsv(data: Uint8Array): { text: string; encoding: CsvEncoding } {
	const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
	if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
		return checked(bytes.subarray(3).toString('utf8'), 'utf-8');
	if (bytes[0] === 0xff && bytes[1] === 0xfe)
		return checked(iconv.decode(bytes.subarray(2), 'utf-16le'), 'utf-16le');
	if (bytes[0] === 0xfe && bytes[1] === 0xff)
		return checked(iconv.decode(bytes.subarray(2), 'utf-16be'), 'utf-16be');
	if (bytes.subarray(0, 4).toString('latin1') === 'PK\u0003\u0004')
		throw new CsvEncodingError(
			'Файл — таблица Excel (.xlsx), а не CSV: загрузите его с расширением .xlsx или сохраните как CSV.'
		);
	try {
		const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
		return checked(text, 'utf-8');
	} catch (error) {
		if (error instanceof CsvEncodingError) throw error;
	}
	const text = iconv.decode(bytes, 'win1251');
	// Windows-1251 decodes almost any byte: accept it only when its letters beyond ASCII are
	// Cyrillic, as in a Russian table (KOI8-R or a binary file read this way are not).
	const letters = countLetters(text);
	if (letters.cyrillic === 0 || letters.other > letters.cyrillic / 10)
		throw new CsvEncodingError(
			`Не удалось прочитать файл: это не текст в кодировке UTF-8 или Windows-1251 (русские буквы не распознаются). ${SAVE_AS}`
		);
	// KOI8-R read as Windows-1251 is Cyrillic too, with the case of nearly every letter inverted:
	// Russian text is mostly lower-case, so mostly capitals here and mostly small letters there.
	const koi8 = countLetters(iconv.decode(bytes, 'koi8-r'));
	if (letters.upper > letters.lower && koi8.lower > koi8.upper)
		throw new CsvEncodingError(
			`Не удалось прочитать файл: он, по-видимому, в кодировке KOI8-R, а принимаются UTF-8 и Windows-1251. ${SAVE_AS}`
		);
	return checked(text, 'windows-1251');
}

function countLetters(text: string) {
	let cyrillic = 0;
	let other = 0;
	let upper = 0;
	let lower = 0;
	for (const ch of text) {
		const c = ch.codePointAt(0) ?? 0;
		if (c < 0x80) continue;
		if ((c >= 0x410 && c <= 0x44f) || c === 0x401 || c === 0x451) {
			cyrillic++;
			if (c <= 0x42f || c === 0x401) upper++;
			else lower++;
		} else other++;
	}
	return { cyrillic, other, upper, lower };
}

function checked(text: string, encoding: CsvEncoding): { text: string; encoding: CsvEncoding } {
	if (CONTROL.test(text))
		throw new CsvEncodingError(
			`Файл не похож на текстовую таблицу CSV: в нём есть управляющие (двоичные) символы. ${SAVE_AS}`
		);
	return { text, encoding };
}
