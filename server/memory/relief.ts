/**
 * Gives the memory of a flood back (issue 14: "RSS back to baseline after").
 *
 * 15,000 slow connections, 400 sign-ins in flight or a 22 MiB program leave hundreds of MB of
 * garbage: JavaScript objects and, through them, native ones (a socket's handle and its HTTP
 * parser are freed when their JavaScript object is collected). V8 collects its old generation
 * when it reaches a limit set from the live size at the previous full collection — taken during
 * the flood, so high — and even then keeps the pages it grew: it compacts its heap and gives
 * free pages back only in a collection that reduces memory, which it runs by itself only when the
 * allocation rate is low — never, while the phones edit. bench:abuse:memory (2026-11-25, jemalloc)
 * saw V8's heap at 131–134 MB ten minutes after slow-connections, 83 MB of it used, where it was
 * 65–96 MB before the flood.
 *
 * So: every `intervalMs`, if V8's heap (with its external memory) is `growthBytes` above the lowest
 * level it has been at, reduce once. The lowest level, not the level after the last reduction: a
 * reduction during the flood finds its sockets still live, and the garbage they become when it
 * ends must still be collected. A reduction that frees less than a quarter of the growth means
 * the memory is live (more programs open, a bigger cache): the next one waits `maxGapMs`, so
 * honest growth costs at most one every ten minutes. The reduction waits until the heap has not
 * risen (by more than a quarter of the threshold between two checks) for `settleMs` — the server
 * sheds request-less sockets within seconds, so by then they are garbage — and at most
 * `maxPostponeMs` in all.
 *
 * How it reduces: it turns V8's `--optimize-for-size` on until the next full collections have run
 * (V8's memory reducer starts them within ~8 s: incremental marking beside the loop, compaction
 * of the fragmented pages, free memory discarded), then off again. The loop stops for those
 * collections' final pauses, which `PerformanceObserver` reports (a 130 MB heap of garbage on
 * 2 vCPU: 2–13 ms on Node 20, the first 78–149 ms on Node 24; in bench:abuse's aged server
 * 29–68 ms, profiled). Meanwhile V8's helper threads take up to a core for a few seconds, which
 * slows whatever shares the machine (docs/benchmarks.md, "A quieter machine, profiled").
 * The relief used to collect itself (the inspector's `HeapProfiler.collectGarbage`, what
 * DevTools' button runs): that is one stop-the-world collection of everything live, compaction
 * included — 338 ms with 62 MB live in bench:abuse:memory (2026-11-25), 447–626 ms in an aged
 * server, each a stall of every phone and of /healthz. Bounding it meant skipping it, and then
 * nothing gave the memory back.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logger.js';

export interface ReliefOptions {
	/** Growth of V8's heap + external memory (bytes) that calls for a reduction; 0 disables. */
	growthBytes: number;
	/** Milliseconds between checks. */
	intervalMs?: number;
	/** The shortest time between two reductions (after one that freed the growth). */
	minGapMs?: number;
	/** The time after a reduction that freed little (the growth was live memory). */
	maxGapMs?: number;
	/** The heap must not have risen for this long before a reduction (ms). */
	settleMs?: number;
	/** While the heap keeps rising, the reduction waits at most this long (ms). */
	maxPostponeMs?: number;
	/**
	 * Memory known to be live by design (the summaries' kept documents, up to
	 * RELAY_SUMMARY_DOCS_MB): left out of the reading, so that filling that budget does not call
	 * for collections that free nothing and pause the loop for the marking of all of it.
	 */
	liveBytes?: () => number;
	/** Tests: the clock. */
	now?: () => number;
	/** Tests: the reduction (default: V8's, `reduceWithV8`); resolves with the loop's pause (ms). */
	reduce?: () => Promise<number>;
	/** Tests: V8's heap (default: `process.memoryUsage()`). */
	heap?: () => HeapReading;
}

/** What the relief reads of V8's heap. */
export interface HeapReading {
	/** What a collection may give back: the heap and the memory its objects hold outside it. */
	collectable: number;
}

export interface MemoryRelief {
	/** One check now (what the timer does); says whether it reduced. */
	check(): Promise<boolean>;
	stop(): void;
}

/** The longest a reduction waits for V8's collections. */
const REDUCE_TIMEOUT_MS = 30_000;
/** After the first full collection, how long the memory reducer's follow-ups may still come. */
const REDUCE_FOLLOW_UP_MS = 2_000;

/**
 * Lets V8 reduce its heap: `--optimize-for-size` on until its memory reducer's full collections
 * have run (the first, and REDUCE_FOLLOW_UP_MS for the next ones), at most REDUCE_TIMEOUT_MS.
 * Any full collection counts as the first: one V8 was about to run anyway may end the window
 * before the reducer's (then little is freed, and the next try waits the long gap).
 * Resolves with the longest pause of those collections (ms); a flag V8 refuses rejects.
 */
export function reduceWithV8(): Promise<number> {
	return new Promise<number>((resolve, reject) => {
		let longest = 0;
		let followUp: NodeJS.Timeout | undefined;
		const observer = new PerformanceObserver((list) => {
			for (const entry of list.getEntries()) {
				// Node's 'gc' entries carry the collection's kind (NodeGCPerformanceDetail).
				const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } };
				if (detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
				longest = Math.max(longest, entry.duration);
				followUp ??= setTimeout(done, REDUCE_FOLLOW_UP_MS).unref();
			}
		});
		// Unref'd: a reduction under way does not hold a stopping server's process open.
		const timeout = setTimeout(done, REDUCE_TIMEOUT_MS).unref();
		function done() {
			clearTimeout(timeout);
			clearTimeout(followUp);
			observer.disconnect();
			try {
				setFlagsFromString('--no-optimize-for-size');
			} finally {
				resolve(longest);
			}
		}
		try {
			observer.observe({ entryTypes: ['gc'] });
			setFlagsFromString('--optimize-for-size');
		} catch (error) {
			clearTimeout(timeout);
			observer.disconnect();
			reject(error instanceof Error ? error : new Error(String(error)));
		}
	});
}

function v8Heap(): HeapReading {
	const m = process.memoryUsage();
	return { collectable: m.heapTotal + m.external };
}

export function startMemoryRelief(
	options: ReliefOptions,
	logger: Logger,
	registry: Registry | null
): MemoryRelief {
	const { growthBytes } = options;
	const intervalMs = options.intervalMs ?? 5_000;
	const minGapMs = options.minGapMs ?? 20_000;
	const maxGapMs = options.maxGapMs ?? 600_000;
	const settleMs = options.settleMs ?? 30_000;
	const maxPostponeMs = options.maxPostponeMs ?? 90_000;
	/** Growth between two checks that means the flood is still on. */
	const risingBytes = Math.max(growthBytes / 4, 1048576);
	const now = options.now ?? (() => performance.now());
	const liveBytes = options.liveBytes ?? (() => 0);
	const reduce = options.reduce ?? reduceWithV8;
	const heap = options.heap ?? v8Heap;
	const reading = () => heap().collectable - liveBytes();
	const reductions = registry
		? new Counter({
				name: 'nastavnik_memory_relief_collections_total',
				help: 'Memory-reducing collections the server asked of V8 after its memory grew (server/memory/relief.ts)',
				registers: [registry]
			})
		: null;
	const freedBytes = registry
		? new Counter({
				name: 'nastavnik_memory_relief_freed_bytes_total',
				help: 'Bytes of V8 heap and external memory those collections gave back',
				registers: [registry]
			})
		: null;
	const pauseSeconds = registry
		? new Counter({
				name: 'nastavnik_memory_relief_pause_seconds_total',
				help: 'The longest pause of the event loop in each of those collections, summed',
				registers: [registry]
			})
		: null;

	let floor = reading();
	let gap = minGapMs;
	let last = -Infinity;
	/** The previous check's reading, its last rise, and since when a due reduction has waited. */
	let previous = floor;
	let lastRiseAt = -Infinity;
	let postponedSince: number | null = null;

	let running = false;
	const check = async (): Promise<boolean> => {
		if (running) return false;
		const before = reading();
		const grown = before - floor;
		if (before - previous > risingBytes) lastRiseAt = now();
		previous = before;
		if (growthBytes <= 0 || grown < growthBytes || now() - last < gap) {
			floor = Math.min(floor, before);
			postponedSince = null;
			return false;
		}
		if (now() - lastRiseAt < settleMs) {
			postponedSince ??= now();
			if (now() - postponedSince < maxPostponeMs) return false;
		}
		postponedSince = null;
		running = true;
		const t0 = performance.now();
		let pauseMs: number;
		try {
			pauseMs = await reduce();
		} catch (error) {
			// Backed off like a reduction that freed nothing, so a refusing V8 is not retried every tick.
			last = now();
			gap = maxGapMs;
			logger.warn({ err: error }, 'memory relief: the reduction failed');
			return false;
		} finally {
			running = false;
		}
		const after = reading();
		previous = after;
		const freed = Math.max(0, before - after);
		last = now();
		floor = Math.min(floor, after);
		gap = freed >= grown / 4 ? minGapMs : maxGapMs;
		reductions?.inc();
		freedBytes?.inc(freed);
		pauseSeconds?.inc(pauseMs / 1000);
		logger.info(
			{
				grownMb: Math.round(grown / 1048576),
				freedMb: Math.round(freed / 1048576),
				tookMs: Math.round(performance.now() - t0),
				pauseMs: Math.round(pauseMs),
				nextGapS: Math.round(gap / 1000)
			},
			'memory relief: V8 reduced its heap after growth'
		);
		return true;
	};

	const timer = setInterval(() => void check(), intervalMs);
	timer.unref();
	return {
		check,
		stop: () => clearInterval(timer)
	};
}
