// The server's bundle, built one way for the product (build-server.mjs), the benchmarks and the
// resilience tests: plain JavaScript for Node 20, npm packages external.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * Non-ASCII characters as `\uXXXX`. esbuild escapes them in strings but keeps the comments and
 * regular expressions that hold Cyrillic, and one such character makes V8 keep the module's
 * whole source (for lazy compilation) as a two-byte string: 2.3 MB of the idle server's heap
 * instead of 1.1 (issue 18's fixed cost). An escape means the same in a comment, a string and a
 * regular expression; a character outside the BMP becomes its surrogate pair, which is what it
 * is in UTF-16 (the columns of the source map shift on those lines only).
 * @param {string} code
 */
export function asciiOnly(code) {
	return code.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * npm packages bundled into the server instead of loaded from node_modules at run time. Both are
 * ES modules of many files, each a module V8 keeps its record, scope and source for: TypeBox is
 * 746 modules and ~1 MB of source loaded at start to build the API contract's schemas, of which
 * the builders the server calls are ~210 KB once tree-shaken. Bundled: 743 fewer modules at start,
 * V8's heap of the empty server 2–3 MB smaller (issue 18's fixed cost). csv-parse (20 modules,
 * the import of people) likewise. Packages with native parts or files read at run time, and those
 * another external package imports too (lib0 for yjs: bundled, it would load twice), stay external.
 */
export const INLINED_PACKAGES = ['typebox', 'csv-parse'];

/**
 * Every bare import external (`packages: 'external'`), except those of `inlined` and what they
 * import themselves.
 * @param {string[]} inlined
 * @returns {import('esbuild').Plugin}
 */
function externalPackages(inlined) {
	const isInlined = (/** @type {string} */ name) =>
		inlined.some((p) => name === p || name.startsWith(`${p}/`));
	const inInlinedPackage = (/** @type {string} */ file) =>
		inlined.some((p) => file.includes(`${path.sep}node_modules${path.sep}${p}${path.sep}`));
	return {
		name: 'external-packages',
		setup(b) {
			b.onResolve({ filter: /^[^./]/ }, (args) => {
				if (isInlined(args.path) || inInlinedPackage(args.importer)) return undefined;
				return { external: true };
			});
		}
	};
}

/**
 * @param {Record<string, string>} entryPoints output name → source file
 * @param {string} outdir
 * @param {{ sourcemap?: boolean }} [options]
 */
export async function bundleServer(entryPoints, outdir, options = {}) {
	const result = await build({
		entryPoints,
		outdir,
		bundle: true,
		platform: 'node',
		target: 'node20',
		format: 'esm',
		plugins: [externalPackages(INLINED_PACKAGES)],
		sourcemap: options.sourcemap ?? false,
		logLevel: 'warning',
		write: false
	});
	for (const file of result.outputFiles) {
		mkdirSync(path.dirname(file.path), { recursive: true });
		writeFileSync(file.path, file.path.endsWith('.js') ? asciiOnly(file.text) : file.contents);
	}
}
