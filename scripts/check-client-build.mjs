// Fails the build when its pages and its scripts come from two different SvelteKit versions.
//
// SvelteKit names a build's global `__sveltekit_<hash of kit.version.name>`, and the version name
// is Date.now() at each `svelte-kit sync`. A sync run beside `vite build` (CI ran `npm run check`,
// which syncs, in parallel with the build) rewrites the generated server code between the build's
// two halves: the prerendered pages then read `__sveltekit_A.data` where the scripts wrote
// `__sveltekit_B`, and every page stops with "Cannot read properties of undefined (reading 'data')"
// (CI, 2026-11-24: 28 e2e tests could not open a program). Such a build must not ship.
//
// It also checks that the app's scripts open with V8's compile hint (vite.config.ts,
// `eagerCompileHint`): a minifier or plugin order that dropped it would only show in a benchmark.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2] ?? 'build/client';
const GLOBAL = /__sveltekit_([a-z0-9]+)/g;
const names = (text) => new Set([...text.matchAll(GLOBAL)].map((m) => m[1]));

function files(root, ext) {
	return readdirSync(root, { recursive: true, withFileTypes: true })
		.filter((e) => e.isFile() && e.name.endsWith(ext))
		.map((e) => path.join(e.parentPath ?? e.path, e.name));
}

const HINT = '//# allFunctionsCalledOnLoad\n';
const inScripts = new Set();
const unhinted = [];
for (const f of files(path.join(dir, '_app'), '.js')) {
	const text = readFileSync(f, 'utf8');
	for (const n of names(text)) inScripts.add(n);
	// Web workers are built apart and run off the main thread.
	if (!text.startsWith(HINT) && !f.includes(`${path.sep}workers${path.sep}`)) unhinted.push(f);
}
const problems = [];
if (unhinted.length > 0)
	problems.push(
		`${unhinted.length} scripts lack the compile hint, e.g. ${path.relative(dir, unhinted[0])}`
	);
if (inScripts.size !== 1)
	problems.push(
		`the scripts name ${inScripts.size} build globals (${[...inScripts].join(', ')}), not one`
	);
for (const f of files(dir, '.html')) {
	for (const n of names(readFileSync(f, 'utf8'))) {
		if (!inScripts.has(n))
			problems.push(`${path.relative(dir, f)} uses __sveltekit_${n}, the scripts do not`);
	}
}
if (problems.length > 0) {
	console.error(
		`The client build in ${dir} is inconsistent (was \`svelte-kit sync\` run during the build, or the compile hint lost?):\n- ${problems.join('\n- ')}`
	);
	process.exit(1);
}
console.log(`client build consistent: __sveltekit_${[...inScripts][0]}`);
