import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import { writeUpdate } from 'y-protocols/sync';
import { encodeSyncUpdate } from './protocol';

/** The stock client's own framing of an update (y-protocols), the oracle for ours. */
function stockFrame(update: Uint8Array): Uint8Array {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, 0);
	writeUpdate(e, update);
	return encoding.toUint8Array(e);
}

describe('encodeSyncUpdate', () => {
	// Lengths at each varUint boundary: 1, 2, 3 and 4 length bytes.
	it.each([0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152])(
		'frames an update of %i bytes byte for byte as y-protocols does',
		(length) => {
			const update = new Uint8Array(length);
			for (let i = 0; i < length; i++) update[i] = (i * 31 + 7) & 0xff;
			const message = encodeSyncUpdate(update);
			// Buffer.compare: toEqual walks 2 MB element by element for seconds.
			expect(Buffer.compare(message, stockFrame(update))).toBe(0);
			expect(Buffer.compare(message.subarray(message.length - length), update)).toBe(0);
		}
	);
});
