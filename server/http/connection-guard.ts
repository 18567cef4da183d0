/**
 * Limits on the TCP connections the HTTP server holds, so that slow or idle connections cannot
 * exhaust the process's file descriptors (20,000 slow connections once did):
 * - a global cap (`server.maxConnections`; beyond it Node closes the new socket at once);
 * - a cap per peer address, checked at accept — generous, because a school's phones share one
 *   NAT address; a trusted reverse proxy is not counted here (its clients are told apart by the
 *   forwarded address at the relay's upgrade, which has its own per-address limit);
 * - Node's header, request, keep-alive and inactivity timeouts, checked every second or two so a
 *   slowloris connection is closed soon after its deadline;
 * - under pressure — open connections above 80 % of the global cap, or more than
 *   `maxPendingConnections` that have not completed a request's headers — connections that have
 *   not completed one request's headers within `PRESSURE_HEADERS_MS` are closed, oldest first
 *   (when a new one arrives, when one is dropped at the cap, and every half second): slow
 *   connections spread over many addresses would otherwise hold every place until their headers
 *   timeout and keep `/healthz` and the phones out (an honest client sends its headers in
 *   milliseconds; a websocket or a request under way is never shed). The pending cap matters even
 *   far below the global one: 14,000 slow connections held below it and then dropped by their
 *   client at once queued 14,000 close events in front of every phone's message (honest p99
 *   6 → 276 ms, bench:abuse slow-connections, 2026-11-24); shed after 2 s, they never pile up.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { normalizeAddress, type ProxyTrust } from './client-address.js';
import { closeSoon } from './socket-closer.js';

export interface ConnectionLimits {
	/** Open TCP connections in all; 0 = derived from the open-file limit. */
	maxConnections: number;
	/** Open TCP connections per peer address (trusted proxies excepted). */
	maxConnectionsPerIp: number;
	/** Connections without a complete request's headers; beyond, the slow ones are shed. */
	maxPendingConnections: number;
	/** A request's headers must arrive within this time (slowloris). */
	headersTimeoutMs: number;
	/** A whole request (headers and body) must arrive within this time. */
	requestTimeoutMs: number;
	/** An idle keep-alive connection is closed after this time. */
	keepAliveTimeoutMs: number;
}

/** File descriptors kept for the database, its WAL, log output, DNS, the Redis and PostgreSQL clients. */
const DESCRIPTOR_RESERVE = 256;
const FALLBACK_MAX_CONNECTIONS = 10_000;
/** Above this share of the global cap, connections without a request are shed. */
const PRESSURE_SHARE = 0.8;
/** Under pressure, a connection gets this long to complete its first request's headers. */
export const PRESSURE_HEADERS_MS = 2_000;
/** At most this many connections closed per accepted one (keeps each accept cheap). */
const SHED_PER_ACCEPT = 64;
/** Under pressure, request-less connections past their time are also closed this often. */
const SWEEP_MS = 500;

/** The soft open-file limit of this process (Linux /proc), or null elsewhere. */
export function openFileLimit(): number | null {
	try {
		const limits = readFileSync('/proc/self/limits', 'utf8');
		const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
		if (!m?.[1] || m[1] === 'unlimited') return null;
		return Number(m[1]);
	} catch {
		return null;
	}
}

/** MAX_CONNECTIONS=0: what the open-file limit allows, minus a reserve for everything else. */
export function effectiveMaxConnections(configured: number, limit = openFileLimit()): number {
	if (configured > 0) return configured;
	if (limit === null) return FALLBACK_MAX_CONNECTIONS;
	return Math.max(64, Math.min(limit - DESCRIPTOR_RESERVE, Math.floor(limit * 0.9)));
}

export interface ConnectionGuard {
	readonly maxConnections: number;
	/** Open connections counted per peer address (tests, diagnostics). */
	openFrom(address: string): number;
	/** Open connections in all. */
	readonly open: number;
	stop(): void;
}

export function guardConnections(
	server: Server,
	limits: ConnectionLimits,
	options: { trust: ProxyTrust; log: Logger; registry: Registry }
): ConnectionGuard {
	const { log } = options;
	const maxConnections = effectiveMaxConnections(limits.maxConnections);
	server.maxConnections = maxConnections;
	server.headersTimeout = limits.headersTimeoutMs;
	server.requestTimeout = limits.requestTimeoutMs;
	server.keepAliveTimeout = limits.keepAliveTimeoutMs;

	const refused = new Counter({
		name: 'http_connections_refused_total',
		help: 'TCP connections closed at accept: too many in all, or from one address',
		labelNames: ['reason'],
		registers: [options.registry]
	});

	// One warning per address and reason a minute: a flood must not become a flood of log lines.
	const warned = new Map<string, number>();
	function warnOnce(key: string, fields: Record<string, unknown>, message: string) {
		const now = Date.now();
		if ((warned.get(key) ?? 0) > now - 60_000) return;
		if (warned.size > 10_000) warned.clear();
		warned.set(key, now);
		log.warn(fields, message);
	}

	const shed = new Counter({
		name: 'http_connections_shed_total',
		help: 'connections closed under pressure before they completed a request (slow connections)',
		registers: [options.registry]
	});
	const pressureMark = Math.floor(maxConnections * PRESSURE_SHARE);
	let open = 0;
	/** Connections that have not completed a request's headers yet, oldest first (insertion order). */
	const waiting = new Map<Socket, number>();
	/**
	 * Shed and not closed yet: they are closed at a bounded pace (socket-closer.ts: thousands
	 * closed in one go held the loop ~30 ms), and count as gone meanwhile.
	 */
	const shedding = new Set<Socket>();
	/** Too many open in all, or too many that have sent no request yet (shed ones excluded). */
	const underPressure = () =>
		open - shedding.size > pressureMark || waiting.size > limits.maxPendingConnections;

	const shedSlowest = (most: number) => {
		const cutoff = performance.now() - PRESSURE_HEADERS_MS;
		let closed = 0;
		for (const [socket, at] of waiting) {
			if (at > cutoff || closed >= most || !underPressure()) break;
			waiting.delete(socket);
			shedding.add(socket);
			// Still due unless its request's headers arrived meanwhile (`started`).
			closeSoon(socket, () => shedding.has(socket));
			closed++;
		}
		if (closed) {
			shed.inc(closed);
			warnOnce(
				'shed',
				{
					open,
					pending: waiting.size,
					limit: maxConnections,
					pendingLimit: limits.maxPendingConnections,
					headersMs: PRESSURE_HEADERS_MS
				},
				'under connection pressure: closing connections that send no request'
			);
		}
	};
	const started = (request: IncomingMessage) => {
		waiting.delete(request.socket as Socket);
		shedding.delete(request.socket as Socket);
	};

	const perAddress = new Map<string, number>();
	/** The address each socket counts against in `perAddress` (none: trusted or refused). */
	const countedAddress = new WeakMap<Socket, string>();
	function onSocketClose(this: Socket) {
		open--;
		waiting.delete(this);
		shedding.delete(this);
		const address = countedAddress.get(this);
		if (address === undefined) return;
		countedAddress.delete(this);
		const left = (perAddress.get(address) ?? 1) - 1;
		if (left <= 0) perAddress.delete(address);
		else perAddress.set(address, left);
	}
	const onConnection = (socket: Socket) => {
		open++;
		waiting.set(socket, performance.now());
		// One listener for the socket's whole life, shared ('close' comes once; `on`, not `once`:
		// a `once` wraps its listener in two more objects), and the address on the socket rather
		// than in a closure: per idle websocket that was ~0.35 KB of heap (issue 18).
		socket.on('close', onSocketClose);
		if (underPressure()) shedSlowest(SHED_PER_ACCEPT);
		const address = normalizeAddress(socket.remoteAddress ?? 'unknown');
		if (options.trust(address, 0)) return;
		const n = (perAddress.get(address) ?? 0) + 1;
		if (n > limits.maxConnectionsPerIp) {
			refused.inc({ reason: 'per_address' });
			warnOnce(
				`ip:${address}`,
				{ ip: address, limit: limits.maxConnectionsPerIp },
				'refusing connection: too many open connections from this address'
			);
			socket.destroy();
			return;
		}
		perAddress.set(address, n);
		countedAddress.set(socket, address);
	};
	const onDrop = (data?: { remoteAddress?: string }) => {
		refused.inc({ reason: 'global' });
		// Full: make room for the next one (this one is already gone, closed by Node).
		shedSlowest(SHED_PER_ACCEPT);
		warnOnce(
			'global',
			{ ip: data?.remoteAddress, limit: maxConnections },
			'refusing connection: the server holds MAX_CONNECTIONS connections'
		);
	};
	server.on('connection', onConnection);
	server.on('drop', onDrop);
	// Also between accepts: connections held open and quiet keep the places otherwise.
	const sweep = setInterval(() => {
		if (underPressure()) shedSlowest(Number.POSITIVE_INFINITY);
	}, SWEEP_MS);
	sweep.unref();
	// Headers complete: a plain request, or a websocket upgrade (the relay's phones).
	server.prependListener('request', started);
	server.prependListener('upgrade', started);
	return {
		maxConnections,
		openFrom: (address) => perAddress.get(normalizeAddress(address)) ?? 0,
		get open() {
			return open;
		},
		stop() {
			clearInterval(sweep);
			server.off('connection', onConnection);
			server.off('drop', onDrop);
			server.off('request', started);
			server.off('upgrade', started);
		}
	};
}
