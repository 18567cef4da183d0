/**
 * The relay's wire protocol, shared by the server (`server/sync/`) and the PWA.
 * Plain TypeScript on lib0 only: no Yjs, no Node APIs. Documented in docs/relay.md.
 *
 * Every websocket message is binary: `varUint messageType` followed by a type-specific body.
 * Types 0–3 are the standard y-websocket protocol, so the stock `y-websocket` client works
 * unchanged. Types 100 and 101 are opt-in extensions of this product: the server only sends
 * type 100 to a connection opened with `?ack=1`, and type 101 is only ever sent by the PWA.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/** y-protocols sync message: `varUint 0, varUint syncType, …` (see SYNC_*). */
export const MESSAGE_SYNC = 0;
/** y-protocols awareness update: `varUint 1, varUint8Array awarenessUpdate`. */
export const MESSAGE_AWARENESS = 1;
/** y-protocols auth message; never sent by this server, ignored when received. */
export const MESSAGE_AUTH = 2;
/** "Send me your awareness states": `varUint 3`. The server sends it to existing peers when someone joins. */
export const MESSAGE_QUERY_AWARENESS = 3;
/**
 * Server → client, only with `?ack=1`: "this is durable on the server".
 * `varUint 100, varUint persistedCount, varUint8Array stateVector`.
 * persistedCount = how many document-carrying messages (sync step 2 and update) this connection
 * has sent that are now durably stored (or were no-ops); stateVector = the server's state vector
 * after that batch (Yjs V1 state-vector encoding). Trailing bytes are reserved for extensions.
 */
export const MESSAGE_ACK = 100;
/**
 * Client → server, opt-in: device sync facts for the curator view.
 * `varUint 101, varString deviceId, varUint pendingCount`. Trailing bytes are ignored.
 */
export const MESSAGE_DEVICE_STATUS = 101;

/** Sub-types of MESSAGE_SYNC (y-protocols/sync). */
export const SYNC_STEP1 = 0;
export const SYNC_STEP2 = 1;
export const SYNC_UPDATE = 2;

/**
 * Nesting of arrays and objects inside an update's `Any`, JSON, embed and format content that
 * every peer takes: Yjs decodes such content recursively, so how deep it can go otherwise depends
 * on the decoder's stack, and even on how far V8 has optimized it (a cold process fails where a
 * warm one succeeds). The relay refuses deeper content (server/sync/update-guard.ts); storage
 * treats a stored row with it as undecodable (server/storage/update-containment.ts).
 */
export const MAX_CONTENT_DEPTH = 64;

/**
 * Websocket close codes. 4400–4499 mean "the server decided; reconnecting with the same
 * credentials will not help" (the stock y-websocket 3 client stops reconnecting and emits
 * `closed`); 45xx and 1xxx are transient (the client reconnects with back-off).
 */
export const CloseCode = {
	/** Server shutting down / restarting: reconnect later. */
	GOING_AWAY: 1001,
	/** Message larger than the hard transport cap (set by the websocket layer). */
	TRANSPORT_MESSAGE_TOO_BIG: 1009,
	/** Unexpected server error (e.g. storage unavailable): reconnect later. */
	INTERNAL_ERROR: 1011,
	SERVICE_RESTART: 1012,
	/** A message could not be decoded (garbage, truncated, unknown type). */
	MALFORMED: 4400,
	/** No credentials, or they could not be verified (bad signature, unknown session). */
	UNAUTHENTICATED: 4401,
	/** Valid credentials without a right to this program. */
	FORBIDDEN: 4403,
	/** No such program. */
	NOT_FOUND: 4404,
	/** The access token / session expired (at the upgrade or while connected). Local edits are kept; get a new token. */
	AUTH_EXPIRED: 4408,
	/** A message exceeded the relay's maximum message size. */
	MESSAGE_TOO_LARGE: 4413,
	/** The connection sent updates (or messages) faster than allowed. */
	RATE_LIMITED: 4429,
	/** Accepting the update would make the stored document larger than allowed. */
	DOCUMENT_TOO_LARGE: 4507,
	/** The update carries more structs or new client ids than one update may (transient range: retried). */
	UPDATE_TOO_COMPLEX: 4508,
	/** Too many connections from this network address; retry later. */
	TOO_MANY_CONNECTIONS: 4529
} as const;
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Human-readable name of a close code, for logs and UI. */
export function closeCodeName(code: number): string {
	for (const [name, value] of Object.entries(CloseCode)) if (value === code) return name;
	return `code_${code}`;
}

/** True when the close was a deliberate decision of the relay about this connection (not the network). */
export function isRelayDecision(code: number): boolean {
	return code >= 4000 && code < 5000;
}

// ---------------------------------------------------------------- encoders

function frame(write: (e: encoding.Encoder) => void): Uint8Array {
	const e = encoding.createEncoder();
	write(e);
	return encoding.toUint8Array(e);
}

export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
	return frame((e) => {
		encoding.writeVarUint(e, MESSAGE_SYNC);
		encoding.writeVarUint(e, SYNC_STEP1);
		encoding.writeVarUint8Array(e, stateVector);
	});
}

export function encodeSyncStep2(update: Uint8Array): Uint8Array {
	return frame((e) => {
		encoding.writeVarUint(e, MESSAGE_SYNC);
		encoding.writeVarUint(e, SYNC_STEP2);
		encoding.writeVarUint8Array(e, update);
	});
}

/**
 * `varUint 0, varUint 2, varUint8Array update`, written into one allocation: the relay frames
 * every accepted update with it (issue 18: lib0's encoder made four objects per update, 7.5 % of
 * what the relay allocated at 5,000 × 2 × 0.5/s). The update ends the message, so
 * `message.subarray(message.length - update.length)` is the update itself.
 */
export function encodeSyncUpdate(update: Uint8Array): Uint8Array {
	let length = update.length;
	let lengthBytes = 1;
	for (let n = length; n > 0x7f; n = Math.floor(n / 128)) lengthBytes++;
	// MESSAGE_SYNC and SYNC_UPDATE are below 128: one byte each as varUints.
	const message = new Uint8Array(2 + lengthBytes + update.length);
	message[0] = MESSAGE_SYNC;
	message[1] = SYNC_UPDATE;
	let at = 2;
	for (; length > 0x7f; length = Math.floor(length / 128)) message[at++] = 0x80 | (length & 0x7f);
	message[at++] = length;
	message.set(update, at);
	return message;
}

export function encodeAwarenessMessage(awarenessUpdate: Uint8Array): Uint8Array {
	return frame((e) => {
		encoding.writeVarUint(e, MESSAGE_AWARENESS);
		encoding.writeVarUint8Array(e, awarenessUpdate);
	});
}

export function encodeQueryAwareness(): Uint8Array {
	return frame((e) => encoding.writeVarUint(e, MESSAGE_QUERY_AWARENESS));
}

export interface AckMessage {
	persistedCount: number;
	stateVector: Uint8Array;
}

export function encodeAck(ack: AckMessage): Uint8Array {
	return frame((e) => {
		encoding.writeVarUint(e, MESSAGE_ACK);
		encoding.writeVarUint(e, ack.persistedCount);
		encoding.writeVarUint8Array(e, ack.stateVector);
	});
}

/** Decodes the body of a MESSAGE_ACK (the decoder positioned after the message type). */
export function readAck(decoder: decoding.Decoder): AckMessage {
	const persistedCount = decoding.readVarUint(decoder);
	const stateVector = decoding.readVarUint8Array(decoder);
	return { persistedCount, stateVector };
}

export interface DeviceStatus {
	/** Stable id of the device/browser profile (opaque, ≤ 64 chars). */
	deviceId: string;
	/** Number of local changes the device has not yet seen acknowledged. */
	pending: number;
}

export const MAX_DEVICE_ID_LENGTH = 64;

export function encodeDeviceStatus(status: DeviceStatus): Uint8Array {
	return frame((e) => {
		encoding.writeVarUint(e, MESSAGE_DEVICE_STATUS);
		encoding.writeVarString(e, status.deviceId);
		encoding.writeVarUint(e, status.pending);
	});
}

/** Decodes the body of a MESSAGE_DEVICE_STATUS (the decoder positioned after the message type). */
export function readDeviceStatus(decoder: decoding.Decoder): DeviceStatus {
	const deviceId = decoding.readVarString(decoder);
	const pending = decoding.readVarUint(decoder);
	return { deviceId, pending };
}

/** Reads the message type of a raw message, or null for an empty/garbled header. */
export function peekMessageType(message: Uint8Array): number | null {
	try {
		return decoding.readVarUint(decoding.createDecoder(message));
	} catch {
		return null;
	}
}

// ---------------------------------------------------------------- state vectors

/** Decodes a Yjs V1 state vector (`varUint n, n × (varUint client, varUint clock)`); throws on garbage. */
export function decodeStateVector(bytes: Uint8Array): Map<number, number> {
	const d = decoding.createDecoder(bytes);
	const n = decoding.readVarUint(d);
	const sv = new Map<number, number>();
	for (let i = 0; i < n; i++) {
		const client = decoding.readVarUint(d);
		const clock = decoding.readVarUint(d);
		sv.set(client, clock);
	}
	if (decoding.hasContent(d)) throw new RangeError('trailing bytes after state vector');
	return sv;
}

export function encodeStateVector(sv: Map<number, number>): Uint8Array {
	return frame((e) => {
		encoding.writeVarUint(e, sv.size);
		for (const [client, clock] of sv) {
			encoding.writeVarUint(e, client);
			encoding.writeVarUint(e, clock);
		}
	});
}

/** True when `remote` has at least everything `local` has (every local clock ≤ the remote clock). */
export function stateVectorCovers(
	remote: Map<number, number>,
	local: Map<number, number>
): boolean {
	for (const [client, clock] of local) {
		if (clock > 0 && (remote.get(client) ?? 0) < clock) return false;
	}
	return true;
}
