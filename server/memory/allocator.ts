/**
 * glibc's malloc keeps what a burst of big allocations took (issue 14, parallel-logins). Its
 * mmap threshold is dynamic: once a block of N bytes allocated through mmap is freed, blocks up to
 * N come from the thread's arena from then on, and an arena gives its top back only beyond a trim
 * threshold raised along with it. A password check (scrypt, N = 16384, r = 8) takes 16 MB: after
 * a flood of sign-ins the password thread's arena held 33 MB for good (bench:abuse:memory,
 * 2026-11-24: +35 MB over the control; none with the threshold fixed).
 *
 * Fixing the threshold (what `MALLOC_MMAP_THRESHOLD_` does, but set from here, so the server
 * behaves the same however it is started) gives every block from 1 MiB its own mapping, returned
 * to the system when freed — big documents, exports and password checks alike — while smaller
 * blocks stay in the arenas as before. `mallopt` is called through koffi (a maintained FFI with
 * prebuilt binaries for every platform Node runs on) rather than an addon of our own that every
 * machine would have to compile. Other C libraries (musl, macOS) are left alone.
 *
 * What this cannot fix: the C heap that thousands of sockets leave fragmented (~+35 MB after the
 * first flood of 15,000 slow connections, reused by the next ones rather than returned). jemalloc
 * returns it (bench:abuse:memory, 2026-11-24: nothing left beyond the honest load's own growth),
 * so the deployment preloads it where it can (docs/deploy.md, "Memory"); with it preloaded,
 * glibc's malloc is not in use and nothing is set here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Logger } from '../logger.js';

/** mallopt's parameter number for the mmap threshold (glibc's malloc.h). */
const M_MMAP_THRESHOLD = -3;
export const MMAP_THRESHOLD_BYTES = 1 << 20;

export type AllocatorSetting =
	| { status: 'set'; thresholdBytes: number }
	| { status: 'skipped'; reason: string }
	| { status: 'jemalloc' };

/** Whether jemalloc was preloaded into this process (LD_PRELOAD), from its mappings. */
export function jemallocPreloaded(): boolean {
	try {
		return /\/libjemalloc[^/\n]*$/m.test(readFileSync('/proc/self/maps', 'utf8'));
	} catch {
		return false;
	}
}

/** Fixes glibc's mmap threshold at `MMAP_THRESHOLD_BYTES` for the whole process (all threads). */
export function pinMmapThreshold(
	env: Record<string, string | undefined>,
	logger: Logger
): AllocatorSetting {
	const result: AllocatorSetting = jemallocPreloaded() ? { status: 'jemalloc' } : pin(env);
	if (result.status === 'jemalloc') logger.info('malloc: jemalloc (preloaded)');
	else if (result.status === 'set')
		logger.info(
			{ thresholdBytes: result.thresholdBytes },
			'malloc: glibc, mmap threshold fixed; preload libjemalloc.so.2 to return the memory connection floods leave (docs/deploy.md, "Memory")'
		);
	else logger.debug({ reason: result.reason }, 'malloc mmap threshold left as it is');
	return result;
}

function pin(env: Record<string, string | undefined>): AllocatorSetting {
	if (process.platform !== 'linux') return { status: 'skipped', reason: 'not Linux' };
	// glibc read it at start; an operator's explicit value wins.
	if (env.MALLOC_MMAP_THRESHOLD_)
		return { status: 'skipped', reason: 'MALLOC_MMAP_THRESHOLD_ is set by the environment' };
	try {
		// koffi is CommonJS with a native part; loaded only here, on Linux.
		const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
		// libc.so.6 with gnu_get_libc_version is glibc (musl has neither; macOS has no libc.so.6).
		const libc = koffi.load('libc.so.6');
		libc.func('const char *gnu_get_libc_version()');
		const mallopt = libc.func('int mallopt(int param, int value)') as (
			param: number,
			value: number
		) => number;
		if (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) !== 1)
			return { status: 'skipped', reason: 'mallopt refused' };
		mallocTrim = libc.func('int malloc_trim(size_t pad)') as (pad: number) => number;
		return { status: 'set', thresholdBytes: MMAP_THRESHOLD_BYTES };
	} catch (error) {
		return {
			status: 'skipped',
			reason: `not glibc, or koffi unavailable: ${error instanceof Error ? error.message : String(error)}`
		};
	}
}

/** glibc's `malloc_trim`, once `pinMmapThreshold` has found glibc (never with jemalloc). */
let mallocTrim: ((pad: number) => number) | null = null;
let trimTimer: NodeJS.Timeout | null = null;
const TRIM_DELAY_MS = 1_000;

/**
 * A thread that ends (a pool worker idle for 5 s, the WAL checkpointer, the password thread)
 * leaves its glibc arena full of free pages that glibc keeps: 15–16 MB of an idle relay's
 * resident memory after the start-up worker had ended (2026-11-26; 95 → 80 MB after one call).
 * `malloc_trim` gives back the free pages of every arena (2 ms there). Called after each such end,
 * coalesced into one call a second later; a no-op where glibc's malloc is not in use.
 */
export function trimAfterThreadExit(): void {
	if (!mallocTrim || trimTimer) return;
	trimTimer = setTimeout(() => {
		trimTimer = null;
		mallocTrim?.(0);
	}, TRIM_DELAY_MS);
	trimTimer.unref();
}
