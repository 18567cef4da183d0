/**
 * The curator's heavy renderings (program view, DOCX/PDF/XLSX exports) are pure functions of
 * their input, run in the worker pool. A curator (or a script) that asks for the same export
 * again and again made the pool render it again each time: 366 organization-wide exports in 20 s
 * (bench:abuse title-fffe) or 120 views of a 4 MiB program kept both cores busy and slowed every
 * phone's edits 6–9×. This memo answers an identical request from the result of the previous one
 * for a few seconds, and lets concurrent identical requests share one rendering.
 *
 * "Identical" is the whole input: the document bytes (hashed, not copied — and off the event loop:
 * hashing a 4 MiB program there took ~10 ms a request, and a curator's repeated views of it put
 * 50 ms of hashing into one 191 ms stall of every phone's messages, bench:abuse big-program
 * 2026-11-24; WebCrypto's digest runs on libuv's thread pool), the rows, the titles;
 * a top-level `now` counts by the minute (a rendering's "today" cannot change within one). A
 * requester only ever gets a result for an input it was allowed to build. Kept small and short:
 * at most `maxEntries` results for `ttlMs`, then released (resident memory comes back).
 */
import { createHash, webcrypto } from 'node:crypto';
import type { TaskInput, TaskName, TaskOutput, TaskRunner } from '../workers/tasks.js';

export interface TaskMemoOptions {
	/** Which tasks are memoized (pure renderings). */
	tasks: readonly TaskName[];
	/** How long a result answers identical requests (default 5 s). */
	ttlMs?: number;
	/** Results kept at most (default 16). */
	maxEntries?: number;
	now?: () => number;
}

interface Entry {
	at: number;
	result: Promise<unknown>;
}

/**
 * A key for the whole input: byte fields by their SHA-256 (computed on the thread pool), the rest
 * as JSON; `now` by the minute.
 */
export async function inputKey(task: string, input: unknown): Promise<string> {
	let rest: unknown = input;
	const bytes: Array<[string, Uint8Array]> = [];
	if (input && typeof input === 'object' && !Array.isArray(input)) {
		const copy: Record<string, unknown> = {};
		for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
			if (v instanceof Uint8Array) {
				bytes.push([k, v]);
				copy[k] = null;
			} else if (k === 'now' && typeof v === 'number') copy[k] = Math.floor(v / 60_000);
			else copy[k] = v;
		}
		rest = copy;
	}
	const digests = await Promise.all(bytes.map(([, v]) => webcrypto.subtle.digest('SHA-256', v)));
	const h = createHash('sha256');
	h.update(task);
	h.update('\u0000');
	bytes.forEach(([k, v], i) => {
		h.update(`${k}:${v.byteLength}:`);
		h.update(new Uint8Array(digests[i] as ArrayBuffer));
	});
	h.update(JSON.stringify(rest) ?? 'undefined');
	return h.digest('base64');
}

/** Wraps a task runner: the listed tasks answer identical inputs from a short-lived memo. */
export function memoizeTasks(
	run: TaskRunner,
	options: TaskMemoOptions
): TaskRunner & { readonly size: number } {
	const ttl = options.ttlMs ?? 5_000;
	const max = options.maxEntries ?? 16;
	const now = options.now ?? Date.now;
	const memo = new Map<string, Entry>();
	const memoized = new Set<TaskName>(options.tasks);
	let sweep: NodeJS.Timeout | null = null;

	function expire() {
		const t = now();
		for (const [k, e] of memo) if (t - e.at >= ttl) memo.delete(k);
	}

	function armSweep() {
		if (sweep) return;
		sweep = setTimeout(() => {
			sweep = null;
			expire();
			if (memo.size > 0) armSweep();
		}, ttl);
		sweep.unref();
	}

	const runner = async <K extends TaskName>(
		task: K,
		input: TaskInput<K>
	): Promise<TaskOutput<K>> => {
		if (!memoized.has(task)) return run(task, input);
		const key = await inputKey(task, input);
		// From here to the memo's entry nothing awaits: a concurrent identical request, whose key
		// is ready later, finds this one's entry and shares its rendering.
		expire();
		const hit = memo.get(key);
		if (hit) return hit.result as Promise<TaskOutput<K>>;
		const result = run(task, input);
		// A failure is not remembered: the next request tries again.
		result.catch(() => memo.delete(key));
		memo.set(key, { at: now(), result });
		while (memo.size > max) memo.delete(memo.keys().next().value as string);
		armSweep();
		return result;
	};
	return Object.defineProperty(runner, 'size', { get: () => memo.size }) as TaskRunner & {
		readonly size: number;
	};
}
