/**
 * Gives the memory of a flood back (issue 14: "RSS back to baseline after").
 *
 * 15,000 slow connections, 400 sign-ins in flight or a 22 MiB program leave hundreds of MB of
 * garbage: JavaScript objects and, through them, native ones (a socket's handle and its HTTP
 * parser are freed when their JavaScript object is collected). V8 collects its old generation
 * when it reaches a limit set from the live size at the previous full collection — taken during
 * the flood, so high — and releases pages only when the allocation rate falls, which the phones'
 * steady edits never let happen. bench:abuse:memory (2026-11-24) saw the server 80 MB above its
 * honest-load level minutes after slow-connections; one full collection brought it back
 * (259 → 161 MB).
 *
 * So: every `intervalMs`, if V8's heap (with its external memory) is `growthBytes` above the lowest
 * level it has been at, collect once. The lowest level, not the level after the last collection:
 * a collection during the flood finds its sockets still live, and the garbage they become when it
 * ends must still be collected. A collection that frees less than a quarter of the growth means
 * the memory is live (more programs open, a bigger cache): the next one waits `maxGapMs`, so
 * honest growth costs at most one collection every ten minutes. (It waited twice as long as the
 * previous gap, from 20 s: five collections in the first ten minutes of honest growth, one of
 * which paused the loop 184 ms in a bench:abuse control round with nothing sent, 2026-11-24.) One
 * collection of a ~50 MB live heap pauses the loop for tens of milliseconds — 149 ms in the middle
 * of bench:abuse's 19,400 slow connections (the server's CPU profile, 2026-11-24), which alone set
 * the phones' p99 of that window (2.3–2.9× the quiet one; 36 ms with the relief off). Its length
 * is the flood's live objects: collected while 19,400 sockets are still held, it marks them all
 * and frees little. So the collection waits until the heap has not risen (by more than a quarter
 * of the threshold between two checks) for `settleMs` — the server sheds request-less sockets
 * within seconds, so by then they are garbage — and at most `maxPostponeMs` in all.
 *
 * Its pause is bounded (`maxPauseMs`). The collection marks everything live, and the summaries'
 * kept documents (up to RELAY_SUMMARY_DOCS_MB) are live by design: left out of the reading (so
 * they never call for a collection), they are still marked by one. Twenty minutes into
 * bench:abuse, with them filled, the collection after slow-connections stopped the loop for
 * 447 and 626 ms by the relief's own count (the phones' p99 of that quiet window 341 and 556 ms,
 * /healthz 333 and 599 ms), where a young server's took ~100–140 ms. So the pause is predicted (the
 * last collection's time per live byte; before any, DEFAULT_MS_PER_LIVE_MB) and a collection
 * predicted longer than the bound is not run: the memory then comes back through V8's own
 * collections, which mark incrementally beside the loop — more slowly, but without a stall.
 *
 * The collection is the one DevTools' "collect garbage" button runs (the inspector protocol's
 * `HeapProfiler.collectGarbage`, over an in-process session: no port, no flag): V8 collects all it
 * can and shrinks its heap, the young generation included, where a plain `gc()` (`--expose-gc`)
 * left the server's heap at the flood's size.
 */
import { Session } from 'node:inspector';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logger.js';

export interface ReliefOptions {
	/** Growth of V8's heap + external memory (bytes) that calls for a collection; 0 disables. */
	growthBytes: number;
	/** Milliseconds between checks. */
	intervalMs?: number;
	/** The shortest time between two collections (after one that freed the growth). */
	minGapMs?: number;
	/** The time after a collection that freed little (the growth was live memory). */
	maxGapMs?: number;
	/** The heap must not have risen for this long before a collection (ms). */
	settleMs?: number;
	/** While the heap keeps rising, the collection waits at most this long (ms). */
	maxPostponeMs?: number;
	/**
	 * Memory known to be live by design (the summaries' kept documents, up to
	 * RELAY_SUMMARY_DOCS_MB): left out of the reading, so that filling that budget does not call
	 * for collections that free nothing and pause the loop for the marking of all of it.
	 */
	liveBytes?: () => number;
	/**
	 * The longest the loop may stop for a collection (ms): one predicted longer (from the last
	 * collection's time per live byte) is skipped. 0: no bound.
	 */
	maxPauseMs?: number;
	/** The pause per live MiB assumed before the first collection has measured it (ms). */
	msPerLiveMb?: number;
	/** Tests: the clock. */
	now?: () => number;
	/** Tests: the collection (default: V8's collection of all it can). */
	collect?: () => Promise<void>;
	/** Tests: V8's heap (default: `process.memoryUsage()`). */
	heap?: () => HeapReading;
}

/** What the relief reads of V8's heap. */
export interface HeapReading {
	/** What a collection may give back: the heap and the memory its objects hold outside it. */
	collectable: number;
	/** The heap's objects (right after a collection: the live ones). */
	used: number;
}

export interface MemoryRelief {
	/** One check now (what the timer does); says whether it collected. */
	check(): Promise<boolean>;
	stop(): void;
}

/**
 * A full collection's pause per MiB of live heap, before one has been measured (ms). Measured in
 * bench:abuse (2 × AMD EPYC vCPU, 2026-11-24): a server 20 minutes in, its kept documents' budget
 * full, paused 447 and 626 ms (RSS ~375 MB, ~250–300 MB live: ~2 ms per MiB); a young one 142 ms
 * where the heap at its lowest and the kept documents made ~45 MB (~3 ms per MiB). The higher
 * one: a collection predicted too short runs and stalls; one predicted too long only waits.
 */
const DEFAULT_MS_PER_LIVE_MB = 3;

/** V8's collection of all it can, as DevTools runs it (the session answers on a later tick). */
function collectAll(): Promise<void> {
	const session = new Session();
	session.connect();
	return new Promise<void>((resolve, reject) =>
		session.post('HeapProfiler.collectGarbage', (error) => (error ? reject(error) : resolve()))
	).finally(() => session.disconnect());
}

function v8Heap(): HeapReading {
	const m = process.memoryUsage();
	return { collectable: m.heapTotal + m.external, used: m.heapUsed };
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
	const maxPauseMs = options.maxPauseMs ?? 0;
	const collect = options.collect ?? collectAll;
	const heap = options.heap ?? v8Heap;
	const reading = () => heap().collectable - liveBytes();
	const collections = registry
		? new Counter({
				name: 'nastavnik_memory_relief_collections_total',
				help: 'Full garbage collections the server ran after its memory grew (server/memory/relief.ts)',
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
				help: 'Time the event loop stood still for those collections',
				registers: [registry]
			})
		: null;
	const skipped = registry
		? new Counter({
				name: 'nastavnik_memory_relief_skipped_total',
				help: 'Collections not run because they were predicted to pause the loop longer than MEMORY_RELIEF_MAX_PAUSE_MS',
				registers: [registry]
			})
		: null;

	let floor = reading();
	let gap = minGapMs;
	let last = -Infinity;
	/** The previous check's reading, its last rise, and since when a due collection has waited. */
	let previous = floor;
	let lastRiseAt = -Infinity;
	let postponedSince: number | null = null;
	/**
	 * The pause per live byte: the last collection's, or before any the prior (`msPerLiveMb`). The
	 * live heap: what the last collection left plus what the known-live memory grew since; before
	 * any, the heap at its lowest (`floor`, without the known-live part) plus the known-live part.
	 */
	let msPerLiveByte = (options.msPerLiveMb ?? DEFAULT_MS_PER_LIVE_MB) / 1048576;
	let liveAfter: number | null = null;
	let knownLiveAfter = 0;
	const predictedPauseMs = () => {
		const live =
			liveAfter === null ? floor + liveBytes() : liveAfter + liveBytes() - knownLiveAfter;
		return msPerLiveByte * Math.max(0, live);
	};

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
		const predicted = predictedPauseMs();
		if (maxPauseMs > 0 && predicted > maxPauseMs) {
			// Checked again after the long gap: the live heap may have shrunk by then.
			last = now();
			gap = maxGapMs;
			skipped?.inc();
			logger.info(
				{ grownMb: Math.round(grown / 1048576), predictedMs: Math.round(predicted), maxPauseMs },
				'memory relief: collection skipped, it would pause the loop too long'
			);
			return false;
		}
		running = true;
		const t0 = performance.now();
		try {
			await collect();
		} catch (error) {
			// Backed off like a collection that freed nothing, so a broken inspector is not retried every tick.
			last = now();
			gap = maxGapMs;
			logger.warn({ err: error }, 'memory relief: the collection failed');
			return false;
		} finally {
			running = false;
		}
		const tookMs = performance.now() - t0;
		liveAfter = heap().used;
		knownLiveAfter = liveBytes();
		if (liveAfter > 0) msPerLiveByte = tookMs / liveAfter;
		const after = reading();
		previous = after;
		const freed = Math.max(0, before - after);
		last = now();
		floor = Math.min(floor, after);
		gap = freed >= grown / 4 ? minGapMs : maxGapMs;
		collections?.inc();
		freedBytes?.inc(freed);
		pauseSeconds?.inc(tookMs / 1000);
		logger[maxPauseMs > 0 && tookMs > maxPauseMs ? 'warn' : 'info'](
			{
				grownMb: Math.round(grown / 1048576),
				freedMb: Math.round(freed / 1048576),
				tookMs: Math.round(tookMs),
				liveMb: Math.round(liveAfter / 1048576),
				predictedMs: Math.round(predicted),
				nextGapS: Math.round(gap / 1000)
			},
			'memory relief: full garbage collection after growth'
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
