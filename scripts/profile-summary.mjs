/**
 * Summarizes a V8 `.cpuprofile` (node --cpu-prof; `BENCH_CPU_PROF=<dir> npm run bench:relay`):
 * the functions with the most self time and the most total (inclusive) time, as shares of the
 * sampled time. Usage: node scripts/profile-summary.mjs <file.cpuprofile> [top=25] [lastSeconds]
 * `lastSeconds`: only the samples of the profile's last N seconds (a bench's measured window,
 * without the set-up's first syncs before it).
 * A sampling heap profile (`.heapprofile`, scripts/alloc-sampler.mjs) is summarized by what each
 * function allocated, alone and with its callees.
 */
import { readFileSync } from 'node:fs';

const [file, topArg, lastArg] = process.argv.slice(2);
if (!file) {
	console.error('usage: node scripts/profile-summary.mjs <file.cpuprofile> [top]');
	process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));

const label = (n) => {
	const f = n.callFrame;
	const where = f.url
		? `${f.url.replace(/^.*\/(node_modules|build|server|src)\//, '$1/')}:${f.lineNumber + 1}`
		: '';
	return `${f.functionName || '(anonymous)'} ${where}`.trim();
};

if (profile.head) {
	summarizeAllocations(profile.head);
	process.exit(0);
}

/** A heap profile's tree: bytes allocated by each function, alone and with its callees. */
function summarizeAllocations(root) {
	const own = new Map();
	const withCallees = new Map();
	let total = 0;
	const walk = (node, above) => {
		const key = label(node);
		total += node.selfSize;
		own.set(key, (own.get(key) ?? 0) + node.selfSize);
		const stack = new Set(above).add(key);
		for (const k of stack) withCallees.set(k, (withCallees.get(k) ?? 0) + node.selfSize);
		for (const child of node.children) walk(child, stack);
	};
	walk(root, new Set());
	const row = ([k, bytes]) =>
		`${(bytes / 1048576).toFixed(1).padStart(8)} MB ${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${k}`;
	console.log(`${file}: ${(total / 1048576).toFixed(1)} MB sampled`);
	console.log(`\ntop ${top} by own allocations:`);
	for (const r of [...own].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(row(r));
	console.log(`\ntop ${top} with their callees':`);
	for (const r of [...withCallees]
		.filter(([k]) => !k.startsWith('(root)'))
		.sort((a, b) => b[1] - a[1])
		.slice(0, top))
		console.log(row(r));
}
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Sample times from the deltas; with `lastSeconds`, only the samples after endTime − N s.
const from = lastArg ? profile.endTime - Number(lastArg) * 1e6 : -Infinity;
const kept = [];
let at = profile.startTime;
profile.samples.forEach((id, i) => {
	at += profile.timeDeltas?.[i] ?? 0;
	if (at >= from) kept.push(id);
});
const selfSamples = new Map();
for (const id of kept) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
const total = kept.length;
const ms = (profile.endTime - Math.max(profile.startTime, from)) / 1000;

const self = new Map();
const inclusive = new Map();
for (const [id, count] of selfSamples) {
	const n = nodes.get(id);
	const key = label(n);
	self.set(key, (self.get(key) ?? 0) + count);
	// Inclusive: count each function once per sample stack.
	const seen = new Set();
	for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
		const k = label(nodes.get(cur));
		if (seen.has(k)) continue;
		seen.add(k);
		inclusive.set(k, (inclusive.get(k) ?? 0) + count);
	}
}
const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, c]) => a + c, 0);
const busy = total - idle;
const pct = (c) => ((c / busy) * 100).toFixed(1).padStart(5) + ' %';
console.log(
	`${file}: ${ms.toFixed(0)} ms profiled, ${total} samples, busy ${((busy / total) * 100).toFixed(1)} % (shares below are of busy samples)`
);
console.log(`\ntop ${top} by self time:`);
for (const [k, c] of [...self]
	.filter(([k]) => !k.startsWith('(idle)'))
	.sort((a, b) => b[1] - a[1])
	.slice(0, top))
	console.log(`${pct(c)}  ${k}`);
console.log(`\ntop ${top} by total time:`);
for (const [k, c] of [...inclusive]
	.filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(root)'))
	.sort((a, b) => b[1] - a[1])
	.slice(0, top))
	console.log(`${pct(c)}  ${k}`);
