/**
 * What the server refuses before Fastify sees a request, because the answer is already known and
 * the full pipeline (body parsing, schema validation, hooks, security headers, an error object
 * and its stack) would cost the one event loop far more than the refusal itself:
 * - a password sign-in from an address that is throttled, or while the password checks and
 *   their queue are full: a fixed 429 with `retry-after`, the body never read;
 * - a person's heavy request (a document, an export) refused a moment ago for their share, and
 *   sent again within its Retry-After: the same 429 again (heavy-requests.ts);
 * - a client error or timeout on a connection (slowloris headers that never end, garbage): the
 *   socket destroyed, after a prepared 400/431 for garbage (Fastify's default handler formats an
 *   error and its stack per socket; thousands of slow connections time out in the same second).
 *
 * Measured under `npm run bench:abuse` (docs/benchmarks.md, «HTTP attacks after round 2»): a wave
 * of 400 refused sign-ins cost ~3 ms of event loop each through Fastify, and the whole wave
 * is handled in one turn of the loop, so `/healthz` waited behind it for over a second.
 */
import {
	createServer,
	type IncomingMessage,
	type Server,
	type ServerOptions as HttpServerOptions,
	type ServerResponse
} from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyServerOptions } from 'fastify';
import { clientAddress, type ProxyTrust } from './client-address.js';
import { closeSoon } from './socket-closer.js';

/** Why a sign-in is refused before its body is read (see SignInGuard.refusalFor). */
export interface EarlyRefusal {
	error: string;
	message: string;
	retryAfterSeconds: number;
	/**
	 * Answer only after this long (ms): a client repeating a refused request without waiting
	 * gets its refusal at the pace of its Retry-After, not as fast as the loop can answer (a
	 * held answer costs a timer, no CPU).
	 */
	holdMs?: number;
}

export interface FrontDoorOptions {
	trust: ProxyTrust;
	/** The sign-in path (`/api/login`) and its guard's door; null until the guard exists. */
	signIn: () => {
		path: string;
		admit(address: string): { refusal: EarlyRefusal } | { release: () => void };
	} | null;
	/**
	 * Requests already refused and still within their Retry-After (a person's heavy requests
	 * over their share, heavy-requests.ts): the same refusal again, or null.
	 */
	remembered?: () => ((request: IncomingMessage) => EarlyRefusal | null) | null;
	/** Counts a request refused here (metrics). */
	onRefused?: (reason: string) => void;
}

const CLIENT_ERRORS: Record<string, Buffer> = {
	header_overflow: prepared(
		431,
		'Request Header Fields Too Large',
		'headers_too_large',
		'Слишком большие заголовки запроса'
	),
	error: prepared(400, 'Bad Request', 'bad_request', 'Неверный запрос')
};

function prepared(status: number, text: string, error: string, message: string): Buffer {
	const body = JSON.stringify({ error, message });
	return Buffer.from(
		`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
			`Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
	);
}

/**
 * Fastify's `clientErrorHandler`: prepared bytes, no per-socket error formatting or logging (a
 * flood of slow connections must not become a flood of work or of log lines). A timed-out
 * connection is just closed: thousands of slowloris sockets reach their deadline in the same
 * second, and a 408 written to each cost the event loop ~1 s in the benchmark; closing them is
 * paced too (socket-closer.ts: even the bare closes held the loop 100–170 ms in one go).
 */
export function cheapClientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
	if (error.code === 'ECONNRESET' || socket.destroyed) return;
	if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'HPE_INVALID_EOF_STATE') {
		// Thousands time out in the same second, or are dropped by their client at once halfway
		// through their headers (EOF): no answer (no one reads it), closed at a bounded pace
		// (socket-closer.ts). Answering 1,000 such at once with a 400 held the loop ~36 ms.
		closeSoon(socket);
		return;
	}
	const kind = error.code === 'HPE_HEADER_OVERFLOW' ? 'header_overflow' : 'error';
	// Only when no response is under way on this socket (a pipelined one may be half written).
	if (socket.writable && socket.writableLength === 0 && !socket.bytesWritten)
		socket.write(CLIENT_ERRORS[kind] as Buffer);
	socket.destroy();
}

/**
 * Fastify's `serverFactory`: the plain HTTP server (as Fastify would make it) with the early
 * refusals in front of Fastify's handler.
 */
export function frontDoorServerFactory(
	options: FrontDoorOptions
): NonNullable<FastifyServerOptions['serverFactory']> {
	return (handler, factoryOptions) => {
		const { trust, signIn, remembered, onRefused } = options;
		// What Fastify's own factory reads from its options (fastify/lib/server.js).
		const fastifyOptions = factoryOptions as {
			http?: HttpServerOptions;
			keepAliveTimeout?: number;
			requestTimeout?: number;
			connectionTimeout?: number;
		};
		const server: Server = createServer(
			fastifyOptions.http ?? {},
			(request: IncomingMessage, response: ServerResponse) => {
				const again = remembered?.()?.(request);
				if (again) {
					onRefused?.(again.error);
					answer(response, again, request.method === 'GET' || request.method === 'HEAD');
					return;
				}
				if (request.method === 'POST') {
					const guard = signIn();
					if (guard && pathOf(request.url) === guard.path) {
						const address = clientAddress(
							request.socket.remoteAddress,
							request.headers['x-forwarded-for'],
							trust
						);
						const door = guard.admit(address);
						if ('refusal' in door) {
							onRefused?.(door.refusal.error);
							answer(response, door.refusal);
							return;
						}
						response.once('close', door.release);
					}
				}
				handler(request, response);
			}
		);
		if (fastifyOptions.keepAliveTimeout) server.keepAliveTimeout = fastifyOptions.keepAliveTimeout;
		if (fastifyOptions.requestTimeout) server.requestTimeout = fastifyOptions.requestTimeout;
		if (fastifyOptions.connectionTimeout) server.setTimeout(fastifyOptions.connectionTimeout);
		return server;
	};
}

function pathOf(url: string | undefined): string {
	if (!url) return '';
	const q = url.indexOf('?');
	return q === -1 ? url : url.slice(0, q);
}

/**
 * How long a refusal at the door is held before it is answered. A refusal costs the event loop
 * ~60–70 µs here; a client that sends again as soon as it is answered (400 sign-ins always in
 * flight got 5,770 refusals a second: 41 % of the loop, bench:abuse parallel-logins) is held to
 * one refusal a second per connection. A held answer costs a timer, no CPU.
 */
export const REFUSAL_HOLD_MS = 1_000;

/** A refusal, after its `holdMs` if it has one. */
function answer(response: ServerResponse, refusal: EarlyRefusal, keepAlive = false): void {
	if (!refusal.holdMs) {
		refuse(response, refusal, keepAlive);
		return;
	}
	setTimeout(() => {
		if (!response.destroyed && !response.writableEnded) refuse(response, refusal, keepAlive);
	}, refusal.holdMs).unref();
}

/**
 * A 429. It closes the connection when a body may follow (the unread body is not waited for);
 * a GET keeps it (the cheapest answer to a client repeating itself).
 */
function refuse(response: ServerResponse, refusal: EarlyRefusal, keepAlive = false): void {
	const body = JSON.stringify({
		error: refusal.error,
		message: refusal.message,
		retryAfterSeconds: refusal.retryAfterSeconds
	});
	if (!keepAlive) response.shouldKeepAlive = false;
	response.writeHead(429, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(body),
		'cache-control': 'no-store',
		'retry-after': String(refusal.retryAfterSeconds),
		'x-content-type-options': 'nosniff',
		...(keepAlive ? {} : { connection: 'close' })
	});
	response.end(body);
}
