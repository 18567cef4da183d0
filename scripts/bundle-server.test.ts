import { describe, expect, it } from 'vitest';
import { asciiOnly } from './bundle-server.mjs';

describe("the server bundle's ASCII escapes", () => {
	it('keep the meaning of strings, regular expressions (with and without the u flag) and comments', () => {
		const source = [
			'// «информационная справка» — a comment',
			'const head = /директор|заведующ/;',
			'const range = /^[А-ЯЁ][а-яё]+$/;',
			'const emoji = /^😀$/u;',
			'const text = `Ёлка 😀`;',
			'return [head.test("заведующая"), range.test("Ёжик"), range.test("ёжик"), emoji.test("😀"), text];'
		].join('\n');
		const escaped = asciiOnly(source);
		expect(/[^\0-\x7f]/.test(escaped)).toBe(false);
		const run = (code: string) => new Function(code)() as unknown[];
		expect(run(escaped)).toEqual(run(source));
		expect(run(escaped)).toEqual([true, true, false, true, 'Ёлка 😀']);
	});
});
