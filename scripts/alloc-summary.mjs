/**
 * Summarizes a sampling heap profile (scripts/alloc-sampler.mjs): the functions that allocated
 * the most, by their own allocations and with their callees'.
 * Usage: node scripts/alloc-summary.mjs <file.heapprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
	console.error('usage: node scripts/alloc-summary.mjs <file.heapprofile> [top]');
	process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const label = (f) =>
	`${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|build|server|src)\//, '$1/')}:${f.lineNumber + 1}`;
const self = new Map();
const inclusive = new Map();
let total = 0;
const walk = (node, above) => {
	const key = label(node.callFrame);
	total += node.selfSize;
	self.set(key, (self.get(key) ?? 0) + node.selfSize);
	const stack = new Set(above).add(key);
	for (const k of stack) inclusive.set(k, (inclusive.get(k) ?? 0) + node.selfSize);
	for (const child of node.children) walk(child, stack);
};
walk(profile.head, new Set());
const row = ([k, bytes]) =>
	`${(bytes / 1048576).toFixed(1).padStart(8)} MB ${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${k}`;
console.log(`${file}: ${(total / 1048576).toFixed(1)} MB sampled`);
console.log(`\ntop ${top} by own allocations:`);
for (const r of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(row(r));
console.log(`\ntop ${top} with their callees':`);
for (const r of [...inclusive]
	.filter(([k]) => !k.startsWith('(root)'))
	.sort((a, b) => b[1] - a[1])
	.slice(0, top))
	console.log(row(r));
