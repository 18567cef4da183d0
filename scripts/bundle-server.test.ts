import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { asciiOnly, bundleServer } from './bundle-server.mjs';

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

describe('the server bundle', () => {
	it('carries the inlined packages (TypeBox) and imports the others from node_modules', async () => {
		// Inside the checkout: the entry resolves its packages, and the bundle its external ones, from
		// the checkout's node_modules.
		const cache = path.join(process.cwd(), 'node_modules', '.cache');
		mkdirSync(cache, { recursive: true });
		const dir = mkdtempSync(path.join(cache, 'bundle-test-'));
		try {
			const entry = path.join(dir, 'entry.ts');
			writeFileSync(
				entry,
				[
					"import { Type } from 'typebox';",
					"import * as Y from 'yjs';",
					'console.log(JSON.stringify(Type.Object({ a: Type.String() })), typeof Y.Doc);'
				].join('\n')
			);
			await bundleServer({ entry }, dir);
			const code = readFileSync(path.join(dir, 'entry.js'), 'utf8');
			expect(code).not.toMatch(/from\s*["']typebox/);
			expect(code).toMatch(/from\s*["']yjs["']/);
			const out = execFileSync(process.execPath, [path.join(dir, 'entry.js')]).toString();
			expect(out).toContain('"type":"object"');
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
