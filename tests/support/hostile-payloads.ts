/**
 * Payloads a hostile participant sends to the relay (issue 14), built byte by byte in the Yjs V1
 * update format and the y-protocols awareness format — not through Yjs, whose own encoder would
 * refuse or recurse on some of them. Used by tests/resilience/relay-guard.test.ts and the fuzz.
 */
import * as encoding from 'lib0/encoding';
import { encodeAwarenessMessage, encodeSyncUpdate } from '../../src/lib/shared/protocol';

const REF_JSON = 2;
const REF_STRING = 4;
const REF_ANY = 8;
const PARENT_SUB = 0x20;

/** One item at the root map `root` under key `key`, first struct of `client` at `clock`. */
function writeMapItem(
	e: encoding.Encoder,
	ref: number,
	root: string,
	key: string,
	content: (e: encoding.Encoder) => void
): void {
	encoding.writeUint8(e, ref | PARENT_SUB);
	encoding.writeVarUint(e, 1); // parent is a root type, by name
	encoding.writeVarString(e, root);
	encoding.writeVarString(e, key);
	content(e);
}

function update(groups: { client: number; clock: number; write: (e: encoding.Encoder) => void }[]) {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, groups.length);
	for (const g of groups) {
		encoding.writeVarUint(e, 1);
		encoding.writeVarUint(e, g.client);
		encoding.writeVarUint(e, g.clock);
		g.write(e);
	}
	encoding.writeVarUint(e, 0); // empty delete set
	return encoding.toUint8Array(e);
}

/** `[[[ … ]]]` nested `depth` deep, as JSON text (`inner` innermost). */
export function nestedJsonText(depth: number, inner = ''): string {
	return '['.repeat(depth) + inner + ']'.repeat(depth);
}

/** An update with legacy JSON content (ContentJSON) nested `depth` deep (5,000 deep ≈ 10 KB). */
export function deepJsonUpdate(client: number, depth = 5_000, clock = 0): Uint8Array {
	return update([
		{
			client,
			clock,
			write: (e) =>
				writeMapItem(e, REF_JSON, 'meta', 'x-deep', (c) => {
					encoding.writeVarUint(c, 1);
					encoding.writeVarString(c, nestedJsonText(depth));
				})
		}
	]);
}

/** An update with `Any` content (what Y.Map.set writes) of arrays nested `depth` deep. */
export function deepAnyUpdate(client: number, depth = 5_000, clock = 0): Uint8Array {
	return update([
		{
			client,
			clock,
			write: (e) =>
				writeMapItem(e, REF_ANY, 'meta', 'x-deep-any', (c) => {
					encoding.writeVarUint(c, 1);
					for (let i = 0; i < depth; i++) {
						encoding.writeUint8(c, 117); // array
						encoding.writeVarUint(c, i === depth - 1 ? 0 : 1);
					}
				})
		}
	]);
}

/** One update carrying a short string (`value`) under each of `n` client ids (fresh, from `base`). */
export function manyClientsUpdate(n: number, base = 500_000_000, value = 'x'): Uint8Array {
	return update(
		Array.from({ length: n }, (_, i) => ({
			client: base + i,
			clock: 0,
			write: (e: encoding.Encoder) =>
				writeMapItem(e, REF_STRING, 'junk', `k${i}`, (c) => encoding.writeVarString(c, value))
		}))
	);
}

/** An update with a struct at a clock Yrs cannot hold (≥ 2^32). */
export function hugeClockUpdate(client: number): Uint8Array {
	return update([
		{
			client,
			clock: 2 ** 32 + 5,
			write: (e) =>
				writeMapItem(e, REF_STRING, 'junk', 'far', (c) => encoding.writeVarString(c, 'x'))
		}
	]);
}

/** A sync update message around `bytes`. */
export const asUpdateMessage = encodeSyncUpdate;

/** An awareness message announcing `states` (client id → JSON text of the state). */
export function awarenessMessage(states: [clientId: number, clock: number, json: string][]) {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, states.length);
	for (const [clientId, clock, json] of states) {
		encoding.writeVarUint(e, clientId);
		encoding.writeVarUint(e, clock);
		encoding.writeVarString(e, json);
	}
	return encodeAwarenessMessage(encoding.toUint8Array(e));
}

/** An awareness state nested `depth` deep (10,000 deep throws in stock clients). */
export function deepAwarenessMessage(clientId: number, depth = 10_000, clock = 1): Uint8Array {
	return awarenessMessage([[clientId, clock, `{"user":${nestedJsonText(depth)}}`]]);
}

/** ~`bytes` of awareness state, nested `depth` deep (the 2 MB / ~330 ms message). */
export function bigAwarenessMessage(clientId: number, bytes: number, depth = 1_000): Uint8Array {
	const inner = nestedJsonText(depth);
	const pad = 'x'.repeat(Math.max(0, bytes - inner.length - 40));
	return awarenessMessage([[clientId, 1, `{"user":{"name":"${pad}"},"deep":${inner}}`]]);
}

/** A presence state claiming to be someone (what the PWA sets: `user.name`, `user.role`). */
export function presenceMessage(clientId: number, name: string, role: string, clock = 1) {
	return awarenessMessage([[clientId, clock, JSON.stringify({ user: { name, role } })]]);
}
