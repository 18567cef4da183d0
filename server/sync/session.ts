/**
 * One client connection to one program (tldraw sync-core's "session"): its lifecycle as a
 * tagged union instead of booleans, its counters for acknowledgements, its awareness clients
 * and its limits. The socket is the small surface below, so unit tests drive a session over an
 * in-memory transport (server/sync/test-fakes.ts).
 */
import type { Access } from '../auth/tokens.js';
import type { Logger } from '../logger.js';
import type { Clock } from './clock.js';
import type { FactTimes } from './facts.js';
import type { SessionLimits } from './limits.js';
import type { RelayMetrics } from './metrics.js';
import { closeCodeName } from './protocol.js';
import type { LiveRoom } from './rooms.js';

/** What a session needs of its websocket. */
export interface SessionSocket {
	send(message: Uint8Array): void;
	close(code: number, reason: string): void;
	terminate(): void;
	ping(): void;
	/** Resolves once the socket is closed (at once when it already is). */
	closed(): Promise<void>;
}

/** What the relay knows about a live connection (for closeWhere and diagnostics). */
export interface ConnectionInfo {
	id: number;
	programId: string;
	userId: string;
	access: Access;
	sessionId: string | undefined;
	/** The recorded access token the connection came with (its `jti`), if any. */
	tokenId?: string | undefined;
	deviceId: string | undefined;
	ip: string;
	connectedAt: number;
	expiresAt: number;
}

/**
 * - loading: the program is being loaded; messages wait in the inbox, no document byte is sent.
 * - syncing: our sync step 1 is out; the client has not answered with its step 2 yet.
 * - live: the client answered; it is in sync after each flush that covers all it sent.
 * - closing: a close was sent; nothing more is handled or sent (`wasReady`: it had synced).
 */
export type SessionState =
	| { kind: 'loading'; inbox: Uint8Array[] }
	| { kind: 'syncing' }
	| { kind: 'live' }
	| { kind: 'closing'; code: number; wasReady: boolean };

/** Counts sessions becoming ready, relay-wide: see `Session.readyOrder`. */
let sessionsMadeReady = 0;

/** The `readyOrder` of the last session to become ready (0: none yet). */
export function lastReadyOrder(): number {
	return sessionsMadeReady;
}

export class Session {
	state: SessionState = { kind: 'loading', inbox: [] };
	/**
	 * When this session became ready, in the order sessions did (0: not yet). An update forwarded
	 * before it was durable reached only the sessions ready then; at its commit it is sent to the
	 * ones that became ready since (commits.ts).
	 */
	readyOrder = 0;
	/** Document-carrying messages received and accepted (queued) from this connection. */
	receivedCount = 0;
	/** … of which durable (or no-ops), in order. */
	persistedCount = 0;
	/** Awareness client id → last clock this connection announced. */
	readonly awarenessClients = new Map<number, number>();
	/** A ping is out and no pong came back yet (heartbeat.ts). */
	awaitingPong = false;
	/** Monotonic ms of the last ping (heartbeat.ts). */
	pingSentAt = 0;
	/** Sync facts as last handed to storage for this connection's device (to skip no-news writes). */
	readonly factsWritten: FactTimes = {};

	constructor(
		readonly socket: SessionSocket,
		readonly room: LiveRoom,
		readonly info: ConnectionInfo,
		/** The client asked for acknowledgements (`?ack=1`). */
		readonly wantsAcks: boolean,
		readonly limits: SessionLimits
	) {}

	get id(): number {
		return this.info.id;
	}

	/** Document bytes may flow (sync step 1 sent, not closing). */
	get ready(): boolean {
		return this.state.kind === 'syncing' || this.state.kind === 'live';
	}

	get closing(): boolean {
		return this.state.kind === 'closing';
	}

	/** The session got as far as syncing (it counts as having connected), closing or not. */
	get wasReady(): boolean {
		return this.ready || (this.state.kind === 'closing' && this.state.wasReady);
	}

	/** The handshake is done and everything it sent is durable. */
	get inSync(): boolean {
		return this.state.kind === 'live' && this.persistedCount === this.receivedCount;
	}

	/** Sends `message` if the session is ready; returns whether it was sent. */
	deliver(message: Uint8Array): boolean {
		if (!this.ready) return false;
		this.socket.send(message);
		return true;
	}

	/** Keeps a message that arrived while loading; false when the session is not loading. */
	hold(message: Uint8Array): boolean {
		if (this.state.kind !== 'loading') return false;
		this.state.inbox.push(message);
		return true;
	}

	/** loading → syncing; returns the messages held meanwhile (null when not loading). */
	becomeReady(): Uint8Array[] | null {
		if (this.state.kind !== 'loading') return null;
		const inbox = this.state.inbox;
		this.state = { kind: 'syncing' };
		this.readyOrder = ++sessionsMadeReady;
		return inbox;
	}

	/** The client answered our sync step 1 with its step 2: syncing → live. */
	handshakeDone(): void {
		if (this.state.kind === 'syncing') this.state = { kind: 'live' };
	}

	/** → closing; false when it already was. */
	beginClosing(code: number): boolean {
		if (this.state.kind === 'closing') return false;
		this.state = { kind: 'closing', code, wasReady: this.ready };
		return true;
	}
}

export type LogLevel = 'info' | 'warn' | 'error' | 'debug';
export type CloseSession = (
	session: Session,
	code: number,
	reason: string,
	level?: LogLevel
) => void;

/** Closing a session: once, logged, counted, and terminated if the peer does not answer. */
export function sessionCloser(log: Logger, metrics: RelayMetrics, clock: Clock): CloseSession {
	return (session, code, reason, level = 'info') => {
		if (!session.beginClosing(code)) return;
		metrics.closes.inc({ code: String(code) });
		log[level](
			{
				programId: session.info.programId,
				userId: session.info.userId,
				conn: session.id,
				ip: session.info.ip,
				closeCode: code,
				closeName: closeCodeName(code)
			},
			`closing connection: ${reason}`
		);
		try {
			session.socket.close(code, reason);
		} catch {
			session.socket.terminate();
		}
		clock.setTimeout(() => session.socket.terminate(), 5_000);
	};
}
