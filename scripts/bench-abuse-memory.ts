/**
 * `npm run bench:abuse:memory` (issue #14, "RSS back to baseline after"): where the memory an
 * attack leaves behind lives, and whether it is given back or reused. One server, the honest pairs
 * editing throughout, and the same attack repeated on it: quiet → attack → quiet (long) → attack →
 * … Every 5 s it samples the server's RSS, V8's heap (total / used), external memory, the
 * anonymous memory outside V8 (RSS − heap total − external, mostly malloc's arenas and thread
 * stacks) and the thread count. A figure that climbs with every repetition is a leak; one that
 * climbs once and stays is a high-water mark reused by the next attack; one that comes down is
 * given back.
 *
 * Options: --pairs 200, --attack parallel-logins (an id of bench-abuse/attacks.ts, or `none` for
 * the same timeline without an attack), --times 3,
 * --window 15 (s of attack), --quiet 120 (s after each), --env K=V[,K=V…] (extra environment
 * for the server, e.g. MALLOC_ARENA_MAX=2 to try an allocator setting).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ATTACKS } from './bench-abuse/attacks';
import { attackTarget, noAttack, runAttack } from './bench-abuse/attacker';
import { HonestPhones } from './bench-abuse/phones';
import {
	METRICS_TOKEN,
	MeasuredServer,
	curatorCookie,
	parseEnvOption,
	seed
} from './bench-abuse/server';

const { values } = parseArgs({
	options: {
		pairs: { type: 'string', default: '200' },
		attack: { type: 'string', default: 'parallel-logins' },
		times: { type: 'string', default: '3' },
		window: { type: 'string', default: '15' },
		quiet: { type: 'string', default: '120' },
		env: { type: 'string', default: '' }
	}
});
const PAIRS = Number(values.pairs);
const TIMES = Number(values.times);
const WINDOW_MS = Number(values.window) * 1000;
const QUIET_MS = Number(values.quiet) * 1000;
/** `none`: the same timeline with no attack, the honest load's own growth (the control). */
const NONE = values.attack === 'none';
const attack = NONE ? { id: 'none' } : ATTACKS.find((a) => a.id === values.attack);
if (!attack) throw new Error(`unknown attack; known: none, ${ATTACKS.map((a) => a.id).join(', ')}`);
const extraEnv = parseEnvOption(values.env);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (...args: unknown[]) => console.error('[bench:abuse:memory]', ...args);

interface Memory {
	rss: number;
	heapTotal: number;
	heapUsed: number;
	external: number;
	threads: number;
	/** Reductions the server's memory relief has asked of V8 (server/memory/relief.ts). */
	reliefs: number;
	/** The longest pause of each, summed (s). */
	reliefPause: number;
	/** V8's spaces, committed (MB): old, new, large objects. */
	spaces: string;
}

async function memory(server: MeasuredServer): Promise<Memory | null> {
	try {
		const r = await fetch(`${server.url}/metrics`, {
			headers: { authorization: `Bearer ${METRICS_TOKEN}` },
			signal: AbortSignal.timeout(10_000)
		});
		const text = await r.text();
		/** A gauge in MB (`unit` 1: as it is). */
		const read = (name: string, unit = 1048576) => {
			const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, 'm').exec(text);
			return m ? Number(m[1]) / unit : NaN;
		};
		const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
		return {
			rss: read('process_resident_memory_bytes'),
			heapTotal: read('nodejs_heap_size_total_bytes'),
			heapUsed: read('nodejs_heap_size_used_bytes'),
			external: read('nodejs_external_memory_bytes'),
			threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? NaN),
			reliefs: read('nastavnik_memory_relief_collections_total', 1),
			reliefPause: read('nastavnik_memory_relief_pause_seconds_total', 1),
			spaces: ['old', 'new', 'large_object']
				.map((space) =>
					read(`nodejs_heap_space_size_total_bytes\\{space="${space}"[^}]*\\}`).toFixed(0)
				)
				.join(' / ')
		};
	} catch {
		return null;
	}
}

async function main(): Promise<void> {
	log(
		`pairs=${PAIRS} attack=${attack!.id} times=${TIMES} window=${WINDOW_MS / 1000}s quiet=${QUIET_MS / 1000}s env=${JSON.stringify(extraEnv)} node ${process.version} load ${os.loadavg()[0]!.toFixed(1)}`
	);
	const s = await seed(PAIRS);
	const server = await MeasuredServer.start(s.dir, extraEnv);
	const cookie = await curatorCookie(server.url);
	const honest = HonestPhones.start(server.wsBase, s.pairProgramIds, 4);
	const t0 = performance.now();
	let phase = 'sync';
	const rows: string[] = [];
	const sampler = setInterval(() => {
		void memory(server).then((m) => {
			if (!m) return;
			const outside = m.rss - m.heapTotal - m.external;
			rows.push(
				`| ${((performance.now() - t0) / 1000).toFixed(0)} | ${phase} | ${m.rss.toFixed(0)} | ${m.heapTotal.toFixed(0)} | ${m.heapUsed.toFixed(0)} | ${m.external.toFixed(0)} | ${outside.toFixed(0)} | ${m.threads} | ${Number.isNaN(m.reliefs) ? '—' : `${m.reliefs} (${(m.reliefPause * 1000).toFixed(0)} ms)`} | ${m.spaces} | ${os.loadavg()[0]!.toFixed(1)} |`
			);
			log(rows.at(-1));
		});
	}, 5000);
	try {
		await honest.waitSynced();
		await honest.startEditing();
		phase = 'quiet';
		await sleep(QUIET_MS / 2);
		for (let i = 1; i <= TIMES; i++) {
			const victimProgramId = s.pairProgramIds[i % PAIRS] as string;
			const victims = await honest.victims(victimProgramId);
			const attacker = NONE
				? noAttack()
				: runAttack(
						attack!.id,
						attackTarget(server, s, cookie, victimProgramId, 15_000),
						victims,
						(text) => log(`note: ${text}`)
					);
			await attacker.ready;
			phase = `attack ${i}`;
			await attacker.start(performance.now() + WINDOW_MS).catch((e: unknown) => log(String(e)));
			await attacker.stop();
			phase = `after ${i}`;
			await sleep(QUIET_MS);
			if (!server.alive) throw new Error('the server died');
		}
	} finally {
		clearInterval(sampler);
		await honest.destroy();
		await server.stop();
	}
	console.log(
		`\n${attack!.id}, ${TIMES}× on one server, ${PAIRS} pairs editing; MB (outside V8 = RSS − heap total − external)\n`
	);
	console.log(
		'| s | phase | RSS | heap total | heap used | external | outside V8 | threads | reliefs | old / new / large objects | load |'
	);
	console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|');
	for (const r of rows) console.log(r);
	process.exit(0);
}

void main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
