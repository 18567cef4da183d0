/**
 * The websocket upgrade to /sync/<programId>: path, authorization (the Authorizer: token or
 * session cookie), the per-address connection limit, and refusals — always as a completed
 * handshake closed with the close code, never an HTTP status (browsers cannot read one). No
 * document byte is sent before a connection is authorized and its program loaded.
 */
import type { IncomingMessage as HttpRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import {
	isDenied,
	type Authorizer,
	type ConnectionGrant,
	type DenyReason
} from '../auth/authorize.js';
import type { Logger } from '../logger.js';
import { safeUrl } from '../logger.js';
import type { Clock } from './clock.js';
import type { RelayConfig } from './config.js';
import { isDocumentId } from './decisions.js';
import type { AddressCounts } from './limits.js';
import type { RelayMetrics } from './metrics.js';
import { CloseCode } from './protocol.js';

export const SYNC_PATH_PREFIX = '/sync/';

export const DENY_CODES: Record<DenyReason, { code: number; reason: string }> = {
	unauthenticated: { code: CloseCode.UNAUTHENTICATED, reason: 'unauthenticated' },
	forbidden: { code: CloseCode.FORBIDDEN, reason: 'forbidden' },
	not_found: { code: CloseCode.NOT_FOUND, reason: 'unknown program' },
	expired: { code: CloseCode.AUTH_EXPIRED, reason: 'auth expired' }
};

/** An upgrade that passed: the socket, and who may do what on which program. */
export interface AcceptedUpgrade {
	ws: WebSocket;
	request: HttpRequest;
	programId: string;
	grant: ConnectionGrant;
	/** The address counted against the per-address limit (released when the session closes). */
	ip: string;
}

function ignoreError(): void {}
function noRelease(): void {}

/**
 * Gives `key`'s count back, once. Made here and not inside the upgrade handler, whose closures
 * share its context: the one left on the websocket for its whole life kept the upgrade request
 * (its headers, the URL with the token) and `head` with it, ~2 KB of heap for every open
 * connection (heap snapshot of 3,000 idle programs, issue 18).
 */
function releaseOnce(counts: AddressCounts, key: string): () => void {
	let counted = true;
	return () => {
		if (!counted) return;
		counted = false;
		counts.release(key);
	};
}

/** The client's address for the per-address limit; X-Forwarded-For only through trusted proxies. */
export function remoteAddress(request: HttpRequest, trustedHops: number): string {
	const socketAddress = request.socket.remoteAddress ?? 'unknown';
	if (trustedHops <= 0) return socketAddress;
	const header = request.headers['x-forwarded-for'];
	const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean);
	return chain[chain.length - trustedHops] ?? chain[0] ?? socketAddress;
}

/** The program id of a /sync/… path ('' when it does not decode), or null for another path. */
export function programIdOf(url: string): string | null {
	const path = url.split('?')[0] ?? '';
	if (!path.startsWith(SYNC_PATH_PREFIX)) return null;
	try {
		return decodeURIComponent(path.slice(SYNC_PATH_PREFIX.length));
	} catch {
		return '';
	}
}

export type UpgradeHandler = (request: HttpRequest, socket: Duplex, head: Buffer) => boolean;

export function createUpgradeHandler(options: {
	wss: WebSocketServer;
	authorize: Authorizer;
	addresses: AddressCounts;
	config: Pick<RelayConfig, 'trustedProxyHops' | 'maxConnectionsPerIp'>;
	clock: Clock;
	metrics: RelayMetrics;
	log: Logger;
	isClosing(): boolean;
	accept(upgrade: AcceptedUpgrade): void;
	/**
	 * The client's address as the server decides it (TRUSTED_PROXIES, server/http/client-address.ts);
	 * default: X-Forwarded-For by RELAY_TRUSTED_PROXY_HOPS.
	 */
	clientAddress?: (request: HttpRequest) => string;
	/**
	 * Open connections per authorized user (all devices and tabs); refused with 4529 beyond the
	 * limit, released when the websocket (or the socket before the handshake) closes.
	 */
	users?: {
		counts: AddressCounts;
		limit: number;
		/**
		 * At the limit: closes this user's oldest connection to the same program from the same
		 * device (a phone on a flaky network reconnects while its dead sockets wait for the ping
		 * timeout) and returns true; false when there is none — the new connection is refused.
		 */
		replaceOwn?(userId: string, programId: string, device: string | null): boolean;
	};
}): UpgradeHandler {
	const { wss, addresses, config, clock, metrics, log } = options;
	const addressOf =
		options.clientAddress ?? ((r: HttpRequest) => remoteAddress(r, config.trustedProxyHops));

	function refuse(
		request: HttpRequest,
		socket: Duplex,
		head: Buffer,
		code: number,
		reason: string
	) {
		// Complete the handshake, then close with the code: browsers can read a close code but
		// not an HTTP status of a failed upgrade. No document byte is ever sent.
		wss.handleUpgrade(request, socket, head, (ws) => {
			metrics.closes.inc({ code: String(code) });
			ws.close(code, reason);
			clock.setTimeout(() => ws.terminate(), 5_000);
		});
	}

	return (request, socket, head) => {
		const url = request.url ?? '';
		const programId = programIdOf(url);
		if (programId === null) return false;
		const ip = addressOf(request);
		if (options.isClosing()) {
			refuse(request, socket, head, CloseCode.SERVICE_RESTART, 'server restarting');
			return true;
		}
		if (!addresses.tryAdd(ip)) {
			metrics.rejected.inc({ reason: 'too_many_connections' });
			log.warn(
				{ ip, path: safeUrl(url), limit: config.maxConnectionsPerIp },
				'refusing connection: too many connections from this address'
			);
			refuse(request, socket, head, CloseCode.TOO_MANY_CONNECTIONS, 'too many connections');
			return true;
		}
		let counted = true;
		const release = () => {
			if (!counted) return;
			counted = false;
			addresses.release(ip);
		};
		// A module-level no-op: a closure here would keep this function's context (the request and
		// `head`) alive for the connection's whole life.
		socket.on('error', ignoreError);
		// A socket that dies before the handshake completes gives its slot back.
		socket.once('close', release);
		options
			.authorize(request, programId)
			.then((result) => {
				if (!isDenied(result) && !isDocumentId(programId)) result = { deny: 'not_found' };
				if (isDenied(result)) {
					release();
					metrics.authFailures.inc({ reason: result.deny });
					const { code, reason } = DENY_CODES[result.deny];
					log.info(
						{ ip, path: safeUrl(url), closeCode: code, reason: result.deny },
						'refusing sync connection'
					);
					refuse(request, socket, head, code, reason);
					return;
				}
				if (options.isClosing()) {
					release();
					refuse(request, socket, head, CloseCode.SERVICE_RESTART, 'server restarting');
					return;
				}
				const grant = result;
				const users = options.users;
				const device = new URLSearchParams(url.split('?')[1] ?? '').get('device');
				let admitted = !users || users.counts.tryAdd(grant.userId);
				if (!admitted && users?.replaceOwn?.(grant.userId, programId, device)) {
					// Counted over the limit until the replaced connection closes and gives its slot back.
					users.counts.add(grant.userId);
					admitted = true;
				}
				if (users && !admitted) {
					release();
					metrics.rejected.inc({ reason: 'too_many_user_connections' });
					log.warn(
						{ ip, path: safeUrl(url), userId: grant.userId, limit: users.limit },
						'refusing connection: too many connections of this user'
					);
					// 45xx: y-websocket reconnects with backoff (44xx would be final for version 3).
					refuse(request, socket, head, CloseCode.TOO_MANY_CONNECTIONS, 'too many connections');
					return;
				}
				const releaseUser = users ? releaseOnce(users.counts, grant.userId) : noRelease;
				socket.once('close', releaseUser);
				wss.handleUpgrade(request, socket, head, (ws) => {
					// The per-address count now belongs to the connection (released when it closes).
					counted = false;
					socket.off('close', release);
					// So does the per-user count: released when this websocket closes ('close' comes
					// once and releaseUser gives back once; `on`: a `once` wrapper is two more objects
					// for the connection's whole life).
					socket.off('close', releaseUser);
					if (releaseUser !== noRelease) ws.on('close', releaseUser);
					options.accept({ ws, request, programId, grant, ip });
				});
			})
			.catch((error: unknown) => {
				release();
				log.error({ err: error, path: safeUrl(url) }, 'authorization failed');
				refuse(request, socket, head, CloseCode.INTERNAL_ERROR, 'server error');
			});
		return true;
	};
}
