/**
 * Whether one Yjs update contains others — the check every compaction passes before it replaces
 * anything (docs/relay.md, "No path drops stored bytes").
 *
 * Yjs identifies every struct by (client id, clock) and keeps the first one it sees; a delete is
 * a (client, clock range). So an update A contains an update B exactly when every clock range B
 * carries structs for (Skips, the gaps of a merged update, excluded) is covered by A's structs
 * (items or GC), and B's delete set is covered by A's. This is the byte-level form of "applying B
 * to a document built from A changes nothing" — and unlike applying, it also sees structs held
 * behind a clock gap (pending), which a Y.Doc would not report as a change.
 *
 * Everything here decodes untrusted bytes: a part that cannot be decoded cannot be verified, and
 * the answer is then "not contained" (the caller keeps what is stored). Content nested deeper
 * than MAX_CONTENT_DEPTH counts as undecodable, whether or not Yjs' recursive decoder happened to
 * read it this time: a verdict must not depend on the moment.
 */
import * as Y from 'yjs';
import { decodeStateVector, MAX_CONTENT_DEPTH } from '../../src/lib/shared/protocol.js';
import { mergeUpdatesInRuns } from '../../src/lib/shared/merge-updates.js';

/** Per client, sorted, non-overlapping, non-adjacent [from, to) clock ranges. */
type Ranges = Map<number, Array<[number, number]>>;

export interface Coverage {
	structs: Ranges;
	deletes: Ranges;
}

function addRange(map: Ranges, client: number, from: number, to: number): void {
	if (to <= from) return;
	let list = map.get(client);
	if (!list) map.set(client, (list = []));
	list.push([from, to]);
}

/** Sorts and coalesces every client's ranges in place. */
function normalize(map: Ranges): Ranges {
	for (const [client, list] of map) {
		list.sort((a, b) => a[0] - b[0]);
		const out: Array<[number, number]> = [];
		for (const r of list) {
			const last = out[out.length - 1];
			if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
			else out.push([r[0], r[1]]);
		}
		map.set(client, out);
	}
	return map;
}

/** The values an item's content holds that may nest (arrays and objects inside). */
function nestingValues(item: Y.Item): unknown[] {
	const c = item.content;
	if (c instanceof Y.ContentAny || c instanceof Y.ContentJSON) return c.arr;
	if (c instanceof Y.ContentEmbed) return [c.embed];
	if (c instanceof Y.ContentFormat) return [c.value];
	return [];
}

/** Throws when a value nests arrays or objects deeper than MAX_CONTENT_DEPTH (iteratively). */
function checkDepth(values: unknown[]): void {
	const pending: Array<[unknown, number]> = values.map((v) => [v, 1]);
	for (let next = pending.pop(); next; next = pending.pop()) {
		const [value, depth] = next;
		if (value === null || typeof value !== 'object') continue;
		if (depth > MAX_CONTENT_DEPTH) throw new RangeError('content nested too deep');
		for (const child of Object.values(value)) pending.push([child, depth + 1]);
	}
}

/** The clock ranges an update (V1) carries structs and deletions for. Throws on garbage. */
export function coverageOf(update: Uint8Array): Coverage {
	const { structs, ds } = Y.decodeUpdate(update);
	const s: Ranges = new Map();
	for (const st of structs) {
		if (st instanceof Y.Skip) continue;
		if (st instanceof Y.Item) checkDepth(nestingValues(st));
		addRange(s, st.id.client, st.id.clock, st.id.clock + st.length);
	}
	const d: Ranges = new Map();
	for (const [client, items] of ds.clients) {
		for (const item of items) addRange(d, client, item.clock, item.clock + item.len);
	}
	return { structs: normalize(s), deletes: normalize(d) };
}

/** Whether `outer` covers every range of `inner` (both normalized). */
function rangesCover(outer: Ranges, inner: Ranges): { client: number; from: number } | null {
	for (const [client, list] of inner) {
		const have = outer.get(client) ?? [];
		let i = 0;
		for (const [from, to] of list) {
			while (i < have.length && (have[i] as [number, number])[1] <= from) i++;
			const h = have[i];
			if (!h || h[0] > from || h[1] < to) return { client, from };
		}
	}
	return null;
}

export type ContainmentResult = { ok: true } | { ok: false; reason: string };

/** Whether `outer` contains `inner`: every struct range and every deletion of it. */
export function coverageContains(outer: Coverage, inner: Coverage): ContainmentResult {
	const s = rangesCover(outer.structs, inner.structs);
	if (s) return { ok: false, reason: `structs of client ${s.client} from clock ${s.from} missing` };
	const d = rangesCover(outer.deletes, inner.deletes);
	if (d)
		return { ok: false, reason: `deletions of client ${d.client} from clock ${d.from} missing` };
	return { ok: true };
}

/** Whether `outer` holds every struct a state vector (V1 encoding) stands for. */
export function coverageHoldsStateVector(
	outer: Coverage,
	stateVector: Uint8Array
): ContainmentResult {
	const sv = decodeStateVector(stateVector);
	const inner: Ranges = new Map();
	for (const [client, clock] of sv) if (clock > 0) inner.set(client, [[0, clock]]);
	const miss = rangesCover(outer.structs, inner);
	return miss
		? {
				ok: false,
				reason: `state vector entry of client ${miss.client} (clock ${sv.get(miss.client)}) not held`
			}
		: { ok: true };
}

/**
 * Whether `candidate` contains every part and (if given) every struct of the old state vector.
 * Never throws: undecodable bytes make the answer "no", with the error as the reason.
 */
export function verifyContainment(
	candidate: Uint8Array,
	parts: Uint8Array[],
	oldStateVector: Uint8Array | null = null
): ContainmentResult {
	let outer: Coverage;
	try {
		outer = coverageOf(candidate);
	} catch (error) {
		return { ok: false, reason: `the merged state does not decode: ${describe(error)}` };
	}
	if (oldStateVector) {
		try {
			const r = coverageHoldsStateVector(outer, oldStateVector);
			if (!r.ok) return r;
		} catch (error) {
			return { ok: false, reason: `the stored state vector does not decode: ${describe(error)}` };
		}
	}
	for (let i = 0; i < parts.length; i++) {
		let inner: Coverage;
		try {
			inner = coverageOf(parts[i] as Uint8Array);
		} catch (error) {
			return { ok: false, reason: `stored part ${i} does not decode: ${describe(error)}` };
		}
		const r = coverageContains(outer, inner);
		if (!r.ok) return { ok: false, reason: `stored part ${i}: ${r.reason}` };
	}
	return { ok: true };
}

const describe = (error: unknown): string =>
	error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** What a verified merge produced, or why nothing may be replaced. */
export type MergeVerdict =
	| { ok: true; merged: Uint8Array; stateVector: Uint8Array }
	| { ok: false; reason: 'merge_failed' | 'not_contained'; detail: string };

export interface MergeRequest {
	/** The stored parts (compacted state first, then log rows): the new state must contain each. */
	parts: Uint8Array[];
	/** A merge the caller already holds (the relay's in-memory document); used when it contains every part. */
	candidate?: Uint8Array | null;
	/** The stored state vector of the compacted state: the new state must hold it. */
	stateVector?: Uint8Array | null;
}

/**
 * Merges the stored parts and verifies the result contains each of them (and the old state
 * vector). Never drops a part: a merge that throws, or a result that misses anything, is a
 * refusal, and the caller keeps the log and the previous state as they are.
 */
export function mergeVerified(request: MergeRequest): MergeVerdict {
	const { parts, candidate = null, stateVector = null } = request;
	if (candidate && verifyContainment(candidate, parts, stateVector).ok) {
		return { ok: true, merged: candidate, stateVector: Y.encodeStateVectorFromUpdate(candidate) };
	}
	const inputs = candidate ? [...parts, candidate] : parts;
	let merged: Uint8Array;
	try {
		merged = mergeUpdatesInRuns(inputs);
	} catch (error) {
		return { ok: false, reason: 'merge_failed', detail: describe(error) };
	}
	const check = verifyContainment(merged, inputs, stateVector);
	if (!check.ok) return { ok: false, reason: 'not_contained', detail: check.reason };
	try {
		return { ok: true, merged, stateVector: Y.encodeStateVectorFromUpdate(merged) };
	} catch (error) {
		return { ok: false, reason: 'merge_failed', detail: describe(error) };
	}
}

/**
 * Below this many bytes of parts, a compaction's merge and check run inline; above, in a worker
 * thread. Issue 18: a two-year program (~94 KB) with 500 log rows took 130 ms inline — a stall
 * of every program's delivery each time one compacted.
 */
export const INLINE_MERGE_BYTES = 64 * 1024;

export function mergeRequestBytes(request: MergeRequest): number {
	let n = request.candidate?.length ?? 0;
	for (const p of request.parts) n += p.length;
	return n;
}

/** Runs `mergeVerified` somewhere (inline, or in the worker pool: server/workers/). */
export type MergeVerifier = (request: MergeRequest) => Promise<MergeVerdict>;

export const inlineMergeVerifier: MergeVerifier = (request) =>
	Promise.resolve(mergeVerified(request));
