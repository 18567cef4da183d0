import { describe, expect, it } from 'vitest';
import { effectiveMaxConnections, openFileLimit } from './connection-guard';

describe('MAX_CONNECTIONS', () => {
	it('0 derives the cap from the open-file limit, keeping a reserve for the database and logs', () => {
		expect(effectiveMaxConnections(0, 20_000)).toBe(18_000);
		expect(effectiveMaxConnections(0, 1_024)).toBe(768);
		expect(effectiveMaxConnections(0, 100)).toBe(64);
		expect(effectiveMaxConnections(0, null)).toBe(10_000);
	});

	it('a configured value wins', () => {
		expect(effectiveMaxConnections(500, 20_000)).toBe(500);
	});

	it('reads the limit of this process on Linux', () => {
		const limit = openFileLimit();
		if (process.platform === 'linux') expect(limit === null || limit > 0).toBe(true);
	});
});
