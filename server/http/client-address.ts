/**
 * Which address a request comes from: the socket's peer, unless that peer is a trusted reverse
 * proxy (TRUSTED_PROXIES), in which case the X-Forwarded-For entries are walked from the right
 * — the entry each trusted hop appended — until an address that is not trusted. Anything left
 * of it was written by the client and can be forged, so it never counts. One decision for the
 * HTTP API (Fastify's `trustProxy`, `request.ip`, logs), the login throttle and the relay's
 * per-address limit.
 */
import { BlockList, isIP } from 'node:net';

/** Named ranges accepted in TRUSTED_PROXIES besides addresses and CIDR blocks. */
const NAMED: Record<string, string[]> = {
	loopback: ['127.0.0.0/8', '::1/128'],
	private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
	linklocal: ['169.254.0.0/16', 'fe80::/10']
};

/** Decides whether a peer address (one hop) is a trusted proxy; `hop` 0 is the socket's peer. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/** Parses one entry (address, CIDR block or named range); null when it is not one. */
function entryRanges(entry: string): string[] | null {
	const named = NAMED[entry.toLowerCase()];
	if (named) return named;
	const [address, bits, ...rest] = entry.split('/');
	if (rest.length > 0 || !address || !isIP(address)) return null;
	const max = isIP(address) === 4 ? 32 : 128;
	if (bits === undefined) return [`${address}/${max}`];
	if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return null;
	return [`${address}/${bits}`];
}

/**
 * Parses TRUSTED_PROXIES (comma or space separated): the normalized entries, or the first entry
 * that is not an address, a CIDR block or one of `loopback`, `private`, `linklocal`.
 */
export function parseTrustedProxies(raw: string): { entries: string[] } | { bad: string } {
	const entries: string[] = [];
	for (const entry of raw.split(/[\s,]+/).filter(Boolean)) {
		const ranges = entryRanges(entry);
		if (!ranges) return { bad: entry };
		entries.push(entry);
	}
	return { entries };
}

/** `::ffff:10.0.0.1` (IPv4 on a dual-stack socket) is the IPv4 address it carries. */
export function normalizeAddress(address: string): string {
	const trimmed = address.trim();
	const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
	return mapped?.[1] ?? trimmed;
}

/**
 * The trust function for the configured proxies. With no list, `legacyHops` (the older
 * RELAY_TRUSTED_PROXY_HOPS) trusts that many hops whatever their address; 0 trusts nobody.
 */
export function createProxyTrust(entries: readonly string[], legacyHops = 0): ProxyTrust {
	if (entries.length === 0) return (_address, hop) => hop < legacyHops;
	const list = new BlockList();
	for (const entry of entries) {
		for (const range of entryRanges(entry) ?? []) {
			const [address = '', bits = '0'] = range.split('/');
			list.addSubnet(address, Number(bits), isIP(address) === 4 ? 'ipv4' : 'ipv6');
		}
	}
	return (address) => {
		const a = normalizeAddress(address);
		const family = isIP(a);
		if (family === 0) return false;
		return list.check(a, family === 4 ? 'ipv4' : 'ipv6');
	};
}

/**
 * The client's address: starting at the socket's peer, while the current hop is trusted step to
 * the address it forwarded for (X-Forwarded-For, right to left). The same walk as Fastify's
 * `trustProxy` with a function, so the relay and the API agree.
 */
export function clientAddress(
	socketAddress: string | undefined,
	forwardedFor: string | string[] | undefined,
	trust: ProxyTrust
): string {
	const peer = normalizeAddress(socketAddress ?? 'unknown');
	const chain = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean);
	let current = peer;
	for (let hop = 0; hop <= chain.length; hop++) {
		if (!trust(current, hop)) return current;
		const next = chain[chain.length - 1 - hop];
		if (next === undefined) return current;
		// A malformed entry is not an address a proxy would append: stop at the last good one.
		const normalized = normalizeAddress(next);
		if (isIP(normalized) === 0) return current;
		current = normalized;
	}
	return current;
}

/**
 * Warns once when requests carry X-Forwarded-For from a loopback or private peer that is not a
 * trusted proxy: most likely a reverse proxy the operator forgot to list in TRUSTED_PROXIES, in
 * which case every client shares the proxy's address (one login throttle, one connection count).
 */
export function forgottenProxyWarning(
	trust: ProxyTrust,
	warn: (fields: Record<string, unknown>, message: string) => void
): (socketAddress: string | undefined, forwardedFor: unknown) => void {
	const local = createProxyTrust(['loopback', 'private']);
	let warned = false;
	return (socketAddress, forwardedFor) => {
		if (warned || forwardedFor === undefined || !socketAddress) return;
		if (trust(socketAddress, 0) || !local(socketAddress, 0)) return;
		warned = true;
		warn(
			{ peer: normalizeAddress(socketAddress) },
			'requests come with X-Forwarded-For from a proxy that is not in TRUSTED_PROXIES: every client behind it counts as that one address (login throttling, connection limits)'
		);
	};
}
