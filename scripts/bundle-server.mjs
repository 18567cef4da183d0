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
		packages: 'external',
		sourcemap: options.sourcemap ?? false,
		logLevel: 'warning',
		write: false
	});
	for (const file of result.outputFiles) {
		mkdirSync(path.dirname(file.path), { recursive: true });
		writeFileSync(file.path, file.path.endsWith('.js') ? asciiOnly(file.text) : file.contents);
	}
}
