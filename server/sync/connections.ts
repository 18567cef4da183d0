/**
 * The live sessions of this relay: opening one on an authorized socket (into its room, ready
 * once the program is loaded), closing (awareness removal, facts, per-address count, idle
 * unload), the keep-alive heartbeat, and closing by predicate (revocations).
 */
import * as encoding from 'lib0/encoding';
import type { ConnectionGrant } from '../auth/authorize.js';
import type { Logger } from '../logger.js';
import type { AwarenessRelay } from './awareness.js';
import type { Clock } from './clock.js';
import { startHeartbeat } from './heartbeat.js';
import type { RelayConfig } from './config.js';
import type { RelayHooks } from './hooks.js';
import type { AddressCounts } from './limits.js';
import { sessionLimits } from './limits.js';
import type { RelayMetrics } from './metrics.js';
import { CloseCode, encodeAwarenessMessage, encodeSyncStep1 } from './protocol.js';
import type { MessageReceiver } from './receiver.js';
import { EMPTY_STATE_VECTOR } from './room.js';
import { broadcast, type Rooms } from './rooms.js';
import { sessionExpiries } from './expiries.js';
import { Session, type CloseSession, type ConnectionInfo, type SessionSocket } from './session.js';

/** An authorized connection request, as the upgrade hands it over. */
export interface SessionRequest {
	programId: string;
	grant: ConnectionGrant;
	ip: string;
	/** The `device` query parameter (ignored when longer than 64 characters). */
	device: string | null;
	/** `?ack=1`: the client wants acknowledgements. */
	wantsAcks: boolean;
}

export interface Connections {
	open(socket: SessionSocket, request: SessionRequest): Session;
	/** The socket closed (either side). */
	closed(session: Session): void;
	all(): Iterable<Session>;
	readonly size: number;
	closeWhere(predicate: (c: ConnectionInfo) => boolean, code: number, reason: string): number;
	/** Stops the heartbeat. */
	stop(): void;
}

/** An awareness message that removes the given clients (their clocks + 1, state null). */
function awarenessRemoval(clients: Map<number, number>): Uint8Array {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, clients.size);
	for (const [clientId, clock] of clients) {
		encoding.writeVarUint(e, clientId);
		encoding.writeVarUint(e, clock + 1);
		encoding.writeVarString(e, 'null');
	}
	return encodeAwarenessMessage(encoding.toUint8Array(e));
}

export function createConnections(options: {
	rooms: Rooms;
	hooks: Required<RelayHooks>;
	receiver: Pick<MessageReceiver, 'handle'>;
	awareness: Pick<AwarenessRelay, 'query'>;
	addresses: AddressCounts;
	config: RelayConfig;
	clock: Clock;
	metrics: RelayMetrics;
	log: Logger;
	close: CloseSession;
}): Connections {
	const { rooms, hooks, config, clock, metrics, log, close } = options;
	const sessions = new Set<Session>();
	const expiries = sessionExpiries(clock, close);
	let nextId = 1;

	function open(socket: SessionSocket, request: SessionRequest): Session {
		const { programId, grant, device } = request;
		const existed = rooms.get(programId) !== undefined;
		const room = rooms.acquire(programId);
		const info: ConnectionInfo = {
			id: nextId++,
			programId,
			userId: grant.userId,
			access: grant.access,
			sessionId: grant.sessionId,
			tokenId: grant.tokenId,
			deviceId: device && device.length <= 64 ? device : undefined,
			ip: request.ip,
			connectedAt: clock.now(),
			expiresAt: grant.expiresAt
		};
		const session = new Session(
			socket,
			room,
			info,
			request.wantsAcks,
			sessionLimits(config, clock.monotonic())
		);
		sessions.add(session);
		room.sessions.add(session);
		metrics.connections.set(sessions.size);
		expiries.watch(session);
		room.loaded
			.then(() => hooks.joining(room, existed))
			.then(
				() => {
					if (session.closing || !sessions.has(session)) return;
					const inbox = session.becomeReady();
					if (!inbox) return;
					hooks.sessionReady(session);
					// Document bytes only now, after the program is loaded from storage.
					if (info.access === 'rw') {
						socket.send(
							encodeSyncStep1(room.isLoaded ? room.doc.stateVectorBytes() : EMPTY_STATE_VECTOR)
						);
					}
					// Coalesced per program: N quick joins must not make every phone answer N times.
					options.awareness.query(room, session);
					for (const m of inbox) options.receiver.handle(session, m);
				},
				(error: unknown) => {
					log.error({ err: error, programId }, 'loading program failed');
					rooms.drop(room);
					for (const s of room.sessions)
						close(s, CloseCode.INTERNAL_ERROR, 'program could not be loaded', 'error');
				}
			);
		return session;
	}

	function closed(session: Session) {
		if (!sessions.delete(session)) return;
		metrics.connections.set(sessions.size);
		options.addresses.release(session.info.ip);
		expiries.forget(session);
		const room = session.room;
		room.sessions.delete(session);
		hooks.sessionClosed(session);
		if (session.awarenessClients.size > 0) {
			// The others drop this client's cursor and presence now, not after the awareness timeout.
			const message = awarenessRemoval(session.awarenessClients);
			broadcast(room, message);
			hooks.awareness(room, message);
		}
		rooms.releaseLater(room);
	}

	const stopHeartbeat = startHeartbeat({
		sessions,
		intervalMs: config.pingIntervalMs,
		clock,
		ping(session) {
			try {
				session.socket.ping();
			} catch {
				session.socket.terminate();
			}
		},
		dead(session) {
			log.info(
				{ conn: session.id, programId: session.info.programId },
				'terminating dead connection (no pong)'
			);
			metrics.closes.inc({ code: 'dead' });
			session.socket.terminate();
		}
	});

	return {
		open,
		closed,
		all: () => sessions,
		get size() {
			return sessions.size;
		},
		closeWhere(predicate, code, reason) {
			let n = 0;
			for (const session of sessions) {
				if (!session.closing && predicate({ ...session.info })) {
					close(session, code, reason);
					n++;
				}
			}
			return n;
		},
		stop: stopHeartbeat
	};
}
