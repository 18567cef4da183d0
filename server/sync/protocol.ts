/**
 * Server side of the relay protocol. The encoding (message types, close codes, encoders) is
 * shared with the PWA in src/lib/shared/protocol.ts; this module adds strict parsing and
 * validation of what clients send. docs/relay.md describes the whole protocol.
 */
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import {
	MAX_DEVICE_ID_LENGTH,
	MESSAGE_AUTH,
	MESSAGE_AWARENESS,
	MESSAGE_DEVICE_STATUS,
	MESSAGE_QUERY_AWARENESS,
	MESSAGE_SYNC,
	SYNC_STEP1,
	SYNC_STEP2,
	SYNC_UPDATE,
	decodeStateVector,
	readDeviceStatus
} from '../../src/lib/shared/protocol.js';

export * from '../../src/lib/shared/protocol.js';

export interface AwarenessEntry {
	clientId: number;
	clock: number;
	/** True when the entry removes the client's state (`null`). */
	removed: boolean;
}

export type IncomingMessage =
	| { kind: 'step1'; stateVector: Uint8Array; sv: Map<number, number> }
	| { kind: 'step2' | 'update'; update: Uint8Array }
	| { kind: 'awareness'; message: Uint8Array; entries: AwarenessEntry[] }
	| { kind: 'query-awareness' }
	| { kind: 'device-status'; deviceId: string; pending: number }
	| { kind: 'auth' };

export class MalformedMessageError extends Error {}

function expectEnd(d: decoding.Decoder): void {
	if (decoding.hasContent(d)) throw new MalformedMessageError('trailing bytes');
}

/**
 * Parses one client message. Throws MalformedMessageError (or a RangeError from lib0 for
 * truncated input) on anything that is not a well-formed message; the caller closes with 4400.
 * Document updates are only framed here; `inspectUpdate` validates their content.
 */
export function parseClientMessage(message: Uint8Array): IncomingMessage {
	const d = decoding.createDecoder(message);
	const type = decoding.readVarUint(d);
	switch (type) {
		case MESSAGE_SYNC: {
			const sub = decoding.readVarUint(d);
			const payload = decoding.readVarUint8Array(d);
			expectEnd(d);
			if (sub === SYNC_STEP1)
				return { kind: 'step1', stateVector: payload, sv: decodeStateVector(payload) };
			if (sub === SYNC_STEP2) return { kind: 'step2', update: payload };
			if (sub === SYNC_UPDATE) return { kind: 'update', update: payload };
			throw new MalformedMessageError(`unknown sync message type ${sub}`);
		}
		case MESSAGE_AWARENESS: {
			const inner = decoding.readVarUint8Array(d);
			expectEnd(d);
			const a = decoding.createDecoder(inner);
			const n = decoding.readVarUint(a);
			if (n > 1000) throw new MalformedMessageError('too many awareness entries');
			const entries: AwarenessEntry[] = [];
			for (let i = 0; i < n; i++) {
				const clientId = decoding.readVarUint(a);
				const clock = decoding.readVarUint(a);
				const state = decoding.readVarString(a);
				// Peers JSON.parse this; garbage would break every other client of the program.
				const parsed: unknown = JSON.parse(state);
				entries.push({ clientId, clock, removed: parsed === null });
			}
			expectEnd(a);
			return { kind: 'awareness', message, entries };
		}
		case MESSAGE_QUERY_AWARENESS:
			expectEnd(d);
			return { kind: 'query-awareness' };
		case MESSAGE_AUTH:
			return { kind: 'auth' };
		case MESSAGE_DEVICE_STATUS: {
			const status = readDeviceStatus(d);
			if (status.deviceId.length === 0 || status.deviceId.length > MAX_DEVICE_ID_LENGTH) {
				throw new MalformedMessageError('bad device id');
			}
			return { kind: 'device-status', deviceId: status.deviceId, pending: status.pending };
		}
		default:
			throw new MalformedMessageError(`unknown message type ${type}`);
	}
}

export interface UpdateInspection {
	/** The update carries no structs and no deletions. */
	empty: boolean;
	/**
	 * Per client, the contiguous clock range [from, to) the update carries, or null when the
	 * update has a gap (a Skip) for some client, in which case the caller must recompute the
	 * state vector from the merged document.
	 */
	ranges: Map<number, [number, number]> | null;
	/** The client ids under which the update carries new structs (who claims to have written them). */
	clients: Set<number>;
}

/**
 * Fully decodes a Yjs V1 update (structs and delete set). Throws on garbage or truncation,
 * so that nothing undecodable ever reaches the log.
 */
export function inspectUpdate(update: Uint8Array): UpdateInspection {
	const { structs, ds } = Y.decodeUpdate(update);
	let ranges: Map<number, [number, number]> | null = new Map();
	const clients = new Set<number>();
	for (const s of structs) if (!(s instanceof Y.Skip)) clients.add(s.id.client);
	for (const s of structs) {
		if (s instanceof Y.Skip) {
			ranges = null;
			break;
		}
		const client = s.id.client;
		const end = s.id.clock + s.length;
		const r = ranges.get(client);
		if (!r) ranges.set(client, [s.id.clock, end]);
		else if (s.id.clock === r[1]) r[1] = end;
		else {
			ranges = null;
			break;
		}
	}
	return { empty: structs.length === 0 && ds.clients.size === 0, ranges, clients };
}
