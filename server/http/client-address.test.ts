import { describe, expect, it } from 'vitest';
import {
	clientAddress,
	createProxyTrust,
	forgottenProxyWarning,
	normalizeAddress,
	parseTrustedProxies
} from './client-address';

describe('client address: only trusted proxies decide', () => {
	it('parses addresses, CIDR blocks and named ranges, and names a bad entry', () => {
		expect(parseTrustedProxies('10.0.0.1, 192.168.0.0/16 ::1 loopback')).toEqual({
			entries: ['10.0.0.1', '192.168.0.0/16', '::1', 'loopback']
		});
		expect(parseTrustedProxies('')).toEqual({ entries: [] });
		expect(parseTrustedProxies('10.0.0.1,proxy.local')).toEqual({ bad: 'proxy.local' });
		expect(parseTrustedProxies('10.0.0.0/33')).toEqual({ bad: '10.0.0.0/33' });
		expect(parseTrustedProxies('10.0.0.0/8/1')).toEqual({ bad: '10.0.0.0/8/1' });
	});

	it('with no trusted proxy, X-Forwarded-For is ignored: a client cannot forge its address', () => {
		const trust = createProxyTrust([]);
		expect(clientAddress('198.51.100.7', '203.0.113.1', trust)).toBe('198.51.100.7');
		expect(clientAddress('::ffff:198.51.100.7', '1.1.1.1, 2.2.2.2', trust)).toBe('198.51.100.7');
	});

	it('through a trusted proxy, the address the proxy appended counts, not what the client wrote', () => {
		const trust = createProxyTrust(['10.0.0.5']);
		// The client wrote 1.2.3.4 itself; the proxy appended the real peer 203.0.113.9.
		expect(clientAddress('10.0.0.5', '1.2.3.4, 203.0.113.9', trust)).toBe('203.0.113.9');
		// A request that did not come through the proxy: its header is ignored.
		expect(clientAddress('198.51.100.7', '203.0.113.9', trust)).toBe('198.51.100.7');
		// The proxy without a header: the proxy's own address.
		expect(clientAddress('10.0.0.5', undefined, trust)).toBe('10.0.0.5');
	});

	it('walks a chain of trusted proxies (CIDR) and stops at the first untrusted hop', () => {
		const trust = createProxyTrust(['private']);
		expect(clientAddress('10.1.1.1', '6.6.6.6, 203.0.113.9, 192.168.1.2', trust)).toBe(
			'203.0.113.9'
		);
		// Every hop trusted: the leftmost address.
		expect(clientAddress('10.1.1.1', '192.168.1.3, 192.168.1.2', trust)).toBe('192.168.1.3');
		// Garbage in the chain is never taken for an address.
		expect(clientAddress('10.1.1.1', 'not-an-ip', trust)).toBe('10.1.1.1');
	});

	it('understands IPv4-mapped IPv6 and IPv6 ranges', () => {
		expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
		const trust = createProxyTrust(['loopback', 'fd00::/8']);
		expect(trust('::ffff:127.0.0.1', 0)).toBe(true);
		expect(trust('::1', 0)).toBe(true);
		expect(trust('fd12::1', 0)).toBe(true);
		expect(trust('2001:db8::1', 0)).toBe(false);
	});

	it('the older hop count trusts that many hops, whatever their address', () => {
		const trust = createProxyTrust([], 1);
		expect(clientAddress('10.0.0.5', '1.2.3.4, 203.0.113.9', trust)).toBe('203.0.113.9');
		expect(clientAddress('10.0.0.5', undefined, trust)).toBe('10.0.0.5');
	});
});

describe('a forgotten proxy', () => {
	it('is reported once: X-Forwarded-For from a local peer that is not trusted', () => {
		const warnings: string[] = [];
		const check = forgottenProxyWarning(createProxyTrust([]), (_f, m) => warnings.push(m));
		check('203.0.113.5', '1.2.3.4'); // a public client writing the header itself: not a proxy
		check('127.0.0.1', undefined); // no header
		expect(warnings).toHaveLength(0);
		check('::ffff:127.0.0.1', '198.51.100.7');
		check('10.0.0.2', '198.51.100.8');
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toContain('TRUSTED_PROXIES');
	});

	it('is silent when the proxy is trusted', () => {
		const warnings: string[] = [];
		const check = forgottenProxyWarning(createProxyTrust(['loopback']), (_f, m) =>
			warnings.push(m)
		);
		check('127.0.0.1', '198.51.100.7');
		expect(warnings).toHaveLength(0);
	});
});
