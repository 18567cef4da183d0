import { build } from 'esbuild';

/**
 * The repository's own modules as one script for a page (`page.addScriptTag({ content })`), so a
 * browser test runs the real code without the app around it. `entry` is TypeScript resolved from
 * the repository's root, e.g. `import { f } from './src/lib/x'; Object.assign(window, { f });`.
 */
export async function pageBundle(entry: string): Promise<string> {
	const out = await build({
		stdin: { contents: entry, resolveDir: process.cwd(), loader: 'ts' },
		bundle: true,
		format: 'iife',
		write: false,
		logLevel: 'silent'
	});
	return out.outputFiles[0]!.text;
}
