/**
 * Checks an update on its bytes before anything else touches it (docs/relay.md, "What the relay
 * accepts"): Yjs' own decoders recurse into JSON and `Any` content, so a payload nested a few
 * thousand deep throws a RangeError wherever it is decoded, merged or re-encoded — in the relay
 * (which then crashed) and in every partner's phone it was forwarded to. This reader walks the
 * Yjs V1 update format iteratively (no recursion, no allocation of the content) and refuses what
 * a stock Yjs or Yrs peer cannot take in bounded time. Pure: no Yjs call, no state.
 */
import { isUtf8 } from 'node:buffer';
import * as decoding from 'lib0/decoding';
import { MAX_CONTENT_DEPTH } from '../../src/lib/shared/protocol.js';
import { CloseCode, type UpdateInspection } from './protocol.js';

export const UPDATE_LIMITS = {
	/** Nesting of arrays/objects inside `Any`, embed and format content (and awareness JSON). */
	maxDepth: MAX_CONTENT_DEPTH,
	/** Structs (items, GC, skips) in one update. */
	maxStructs: 50_000,
	/** Client ids an update may add to the document (ids the document does not know yet). */
	maxNewClientsPerUpdate: 2_000,
	/** Client ids a document may hold in all. */
	maxClientsPerDocument: 5_000,
	/** Clocks (and clock + length) stay below 2^32: Yrs keeps clocks in a u32. */
	maxClock: 2 ** 32
} as const;

/** A refusal: `code` 4400 for content no stock client produces, 4508 for limits one could reach. */
export class UpdateRefused extends Error {
	constructor(
		readonly reason: string,
		readonly code: number
	) {
		super(reason);
	}
}

const malformed = (what: string) => new UpdateRefused(what, CloseCode.MALFORMED);
const tooComplex = (what: string) => new UpdateRefused(what, CloseCode.UPDATE_TOO_COMPLEX);

/**
 * What the relay needs of an update, read in the same walk that checks it: the clock ranges,
 * client ids and emptiness that `inspectUpdate` reads with Yjs' own decoder (which builds every
 * struct and decodes every string: a second pass that cost a 1.8 MiB update ~7 ms on the event
 * loop). Everything this walk accepts, Yjs decodes (update-guard.test.ts, mutated updates).
 */
export interface UpdateScan extends UpdateInspection {
	/** Structs in the update (skips included). */
	structs: number;
}

function readClock(d: decoding.Decoder): number {
	const n = decoding.readVarUint(d);
	if (n >= UPDATE_LIMITS.maxClock) throw malformed('clock out of range');
	return n;
}

function readClient(d: decoding.Decoder): number {
	const n = decoding.readVarUint(d);
	if (n >= UPDATE_LIMITS.maxClock) throw malformed('client id out of range');
	return n;
}

/**
 * Told each struct of the walk (summary-relevance.ts), ids as a client and a clock. Only what the
 * walk reads anyway: no content is decoded for it.
 */
export interface StructVisitor {
	/**
	 * An item, and where Yjs takes its parent from (Item.getMissing): the root it names
	 * (`parentName`), else the id of its parent item, else of its origin, else of its right origin
	 * (`byClient` -1: none).
	 */
	item(
		client: number,
		clock: number,
		length: number,
		parentName: string | null,
		byClient: number,
		byClock: number
	): void;
	/** Content deleted and collected before it was sent. */
	gc(client: number, clock: number, length: number): void;
	/** A gap: structs of this client missing before the next. */
	skip(): void;
	/** A range of the delete set. */
	deleted(client: number, clock: number, length: number): void;
}

/**
 * Length in UTF-16 code units (Yjs' string length) of a UTF-8 string read from `d`, counted on
 * its bytes (every byte that does not continue a sequence starts one unit, a 4-byte sequence
 * two): decoding a 1.8 MB string only to take its length cost ~6 ms on the event loop, the
 * native check and the count ~1 ms. Invalid UTF-8 is refused, as Yjs' decoder (lib0, `fatal`)
 * throws on it.
 */
function readStringLength(d: decoding.Decoder): number {
	const bytes = decoding.readVarUint8Array(d);
	if (!isUtf8(bytes)) throw malformed('string is not UTF-8');
	let units = 0;
	for (let i = 0; i < bytes.length; i++) {
		const b = bytes[i] as number;
		if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1;
	}
	return units;
}

/**
 * Deepest nesting of a JSON text, counted without parsing it (brackets outside strings). Returns
 * as soon as `limit` is exceeded. Exported for awareness states.
 */
export function jsonDepth(text: string, limit: number = UPDATE_LIMITS.maxDepth): number {
	let depth = 0;
	let max = 0;
	let inString = false;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (inString) {
			if (c === 92 /* \ */) i++;
			else if (c === 34 /* " */) inString = false;
		} else if (c === 34) inString = true;
		else if (c === 91 /* [ */ || c === 123 /* { */) {
			depth++;
			if (depth > max) {
				max = depth;
				if (max > limit) return max;
			}
		} else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
	}
	return max;
}

/** JSON content (embeds, formats): Yjs parses it when it decodes the update, so must parse here. */
function readJsonChecked(d: decoding.Decoder): void {
	const text = decoding.readVarString(d);
	if (jsonDepth(text) > UPDATE_LIMITS.maxDepth) throw malformed('content nested too deep');
	try {
		JSON.parse(text); // not deeper than the limit: no recursion to fear
	} catch {
		throw malformed('content is not JSON');
	}
}

/**
 * Skips one lib0 `Any` value iteratively, refusing nesting beyond the limit. `pending` holds, per
 * open container, how many values are still to read in it.
 */
function skipAny(d: decoding.Decoder): void {
	const pending: number[] = [];
	const stack: boolean[] = []; // per open container: is it an object (keys before values)?
	let remaining = 1;
	let isObject = false;
	for (;;) {
		while (remaining === 0) {
			const up = pending.pop();
			if (up === undefined) return;
			remaining = up;
			isObject = stack.pop() ?? false;
		}
		remaining--;
		if (isObject) decoding.readVarString(d); // the key
		const type = decoding.readUint8(d);
		switch (type) {
			case 127: // undefined
			case 126: // null
			case 121: // false
			case 120: // true
				break;
			case 125:
				decoding.readVarInt(d);
				break;
			case 124:
				decoding.readFloat32(d);
				break;
			case 123:
				decoding.readFloat64(d);
				break;
			case 122:
				decoding.readBigInt64(d);
				break;
			case 119:
				decoding.readVarString(d);
				break;
			case 116:
				decoding.readVarUint8Array(d);
				break;
			case 118:
			case 117: {
				const len = decoding.readVarUint(d);
				if (pending.length + 1 > UPDATE_LIMITS.maxDepth) throw malformed('content nested too deep');
				pending.push(remaining);
				stack.push(isObject);
				remaining = len;
				isObject = type === 118;
				break;
			}
			default:
				throw malformed(`unknown value type ${type}`);
		}
	}
}

/** Reads one item's content by its ref; returns the item's length (clock units). */
function readContent(d: decoding.Decoder, ref: number): number {
	switch (ref) {
		case 1: // deleted
			return decoding.readVarUint(d);
		case 2: // JSON: legacy, never written by Yjs 13; JSON.stringify of it recursed (issue 14)
			throw malformed('JSON content is not accepted');
		case 3: // binary
			decoding.readVarUint8Array(d);
			return 1;
		case 4: // string
			return readStringLength(d);
		case 5: // embed
			readJsonChecked(d);
			return 1;
		case 6: // format
			decoding.readVarString(d);
			readJsonChecked(d);
			return 1;
		case 7: {
			// type
			const typeRef = decoding.readVarUint(d);
			if (typeRef > 6) throw malformed(`unknown type ref ${typeRef}`);
			if (typeRef === 3 || typeRef === 5) decoding.readVarString(d);
			return 1;
		}
		case 8: {
			// any
			const len = decoding.readVarUint(d);
			for (let i = 0; i < len; i++) skipAny(d);
			return len;
		}
		case 9: // subdocument: the program document has none; a peer would load it
			throw malformed('subdocuments are not accepted');
		default:
			throw malformed(`unknown content ref ${ref}`);
	}
}

/**
 * Walks a Yjs V1 update (structs, then delete set). Throws UpdateRefused; a truncated or garbage
 * update throws too (lib0's read errors are turned into 4400 by the caller).
 */
export function scanUpdate(update: Uint8Array, visit?: StructVisitor): UpdateScan {
	const d = decoding.createDecoder(update);
	const clients = new Set<number>();
	let ranges: Map<number, [number, number]> | null = new Map();
	let structs = 0;
	const groups = decoding.readVarUint(d);
	// One group per client id: more than a document may hold is refused before any struct is
	// read (a 250 KB update of 10,000 ids every 3 s was walked whole before its refusal, and the
	// honest pairs' p99 doubled: docs/benchmarks.md, "Two rounds after the forward").
	if (groups > UPDATE_LIMITS.maxClientsPerDocument)
		throw tooComplex('too many client ids in one update');
	for (let g = 0; g < groups; g++) {
		const count = decoding.readVarUint(d);
		const client = decoding.readVarUint(d);
		if (client >= UPDATE_LIMITS.maxClock) throw malformed('client id out of range');
		let clock = readClock(d);
		const from = clock;
		structs += count;
		if (structs > UPDATE_LIMITS.maxStructs) throw tooComplex('too many structs in one update');
		for (let i = 0; i < count; i++) {
			const info = decoding.readUint8(d);
			const ref = info & 0b11111;
			let length: number;
			if (info === 10) {
				// As Yjs reads it: a skip only with no flag bits; with them, an item with no content.
				length = decoding.readVarUint(d); // skip: no struct of this client
				ranges = null; // a gap: the caller recomputes the state vector
				visit?.skip();
			} else {
				clients.add(client);
				if (ref === 0) {
					length = decoding.readVarUint(d); // GC
					visit?.gc(client, clock, length);
				} else {
					let originClient = -1;
					let originClock = 0;
					let rightClient = -1;
					let rightClock = 0;
					let parentName: string | null = null;
					let parentClient = -1;
					let parentClock = 0;
					if (info & 0x80) {
						originClient = readClient(d);
						originClock = readClock(d);
					}
					if (info & 0x40) {
						rightClient = readClient(d);
						rightClock = readClock(d);
					}
					if ((info & 0xc0) === 0) {
						// parent: a root type's name or the id of the item holding the type
						if (decoding.readVarUint(d) === 1) parentName = decoding.readVarString(d);
						else {
							parentClient = readClient(d);
							parentClock = readClock(d);
						}
						if (info & 0x20) decoding.readVarString(d); // parent sub (map key)
					}
					length = readContent(d, ref);
					if (visit) {
						if (parentClient >= 0)
							visit.item(client, clock, length, null, parentClient, parentClock);
						else if (originClient >= 0)
							visit.item(client, clock, length, null, originClient, originClock);
						else visit.item(client, clock, length, parentName, rightClient, rightClock);
					}
				}
			}
			clock += length;
			if (clock >= UPDATE_LIMITS.maxClock) throw malformed('clock out of range');
		}
		// The group's structs are contiguous; groups of one client must join up (as inspectUpdate).
		if (ranges && count > 0) {
			const r = ranges.get(client);
			if (!r) ranges.set(client, [from, clock]);
			else if (r[1] === from) r[1] = clock;
			else ranges = null;
		}
	}
	let hasDeletes = false;
	const dsClients = decoding.readVarUint(d);
	for (let i = 0; i < dsClients; i++) {
		const client = decoding.readVarUint(d);
		const deletes = decoding.readVarUint(d);
		if (deletes > 0) hasDeletes = true;
		for (let j = 0; j < deletes; j++) {
			const from = readClock(d);
			const length = decoding.readVarUint(d);
			if (from + length > UPDATE_LIMITS.maxClock) throw malformed('clock out of range');
			visit?.deleted(client, from, length);
		}
	}
	if (decoding.hasContent(d)) throw malformed('trailing bytes after the update');
	return { structs, clients, ranges, empty: structs === 0 && !hasDeletes };
}

/**
 * The client-id limits, given the ids the document already knows: refuses an update that
 * introduces too many ids at once, or would take the document over its total.
 */
export function checkNewClients(
	clients: Set<number>,
	known: (client: number) => boolean,
	knownCount: number
): void {
	let fresh = 0;
	for (const c of clients) if (!known(c)) fresh++;
	if (fresh > UPDATE_LIMITS.maxNewClientsPerUpdate)
		throw tooComplex('too many new client ids in one update');
	if (fresh > 0 && knownCount + fresh > UPDATE_LIMITS.maxClientsPerDocument)
		throw tooComplex('too many client ids in the document');
}
