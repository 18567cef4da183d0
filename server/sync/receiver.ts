/**
 * What a session's messages do (Hocuspocus's MessageReceiver): limits first (size, rate), then
 * held while the program loads, then parsed and handled — sync step 1 answered, updates
 * validated and queued for commit, awareness relayed, device status recorded. Every refusal
 * closes the connection with its close code (docs/relay.md, "Close codes").
 */
import type { Clock } from './clock.js';
import type { Commits } from './commits.js';
import { sendAck } from './commits.js';
import type { RelayConfig } from './config.js';
import type { FactsRecorder } from './facts.js';
import type { RelayHooks } from './hooks.js';
import type { RelayMetrics } from './metrics.js';
import * as Y from 'yjs';
import {
	CloseCode,
	encodeQueryAwareness,
	encodeStateVector,
	encodeSyncStep2,
	inspectUpdate,
	parseClientMessage,
	type IncomingMessage,
	type UpdateInspection
} from './protocol.js';
import { broadcast, roomSize } from './rooms.js';
import type { CloseSession, Session } from './session.js';

/** A clock beyond any real one: a state vector entry that covers every struct of its client. */
const BEYOND_ANY_CLOCK = 2 ** 40;

/** The update without the structs of these clients (its delete set is kept). */
function withoutStructsOf(update: Uint8Array, clients: number[]): Uint8Array {
	return Y.diffUpdate(
		update,
		encodeStateVector(new Map(clients.map((c) => [c, BEYOND_ANY_CLOCK])))
	);
}

export interface MessageReceiver {
	/** A frame from the socket (`binary` false: a text frame, not part of the protocol). */
	receive(session: Session, message: Uint8Array, binary: boolean): void;
	/** A message that passed the limits, once the session is ready. */
	handle(session: Session, message: Uint8Array): void;
}

export function createMessageReceiver(options: {
	config: RelayConfig;
	clock: Clock;
	metrics: RelayMetrics;
	commits: Pick<Commits, 'enqueue'>;
	facts: Pick<FactsRecorder, 'record'>;
	hooks: Required<RelayHooks>;
	close: CloseSession;
}): MessageReceiver {
	const { config, clock, metrics, hooks } = options;

	function reject(session: Session, reason: string, code: number, detail?: string) {
		metrics.rejected.inc({ reason });
		options.close(session, code, detail ?? reason.replace(/_/g, ' '), 'warn');
	}

	function receive(session: Session, message: Uint8Array, binary: boolean) {
		if (session.closing) return;
		if (!binary) {
			reject(session, 'malformed', CloseCode.MALFORMED, 'text frames are not part of the protocol');
			return;
		}
		if (message.length > config.maxMessageBytes) {
			reject(session, 'message_too_large', CloseCode.MESSAGE_TOO_LARGE, 'message too large');
			return;
		}
		if (!session.limits.messages.take(clock.monotonic())) {
			reject(session, 'rate_limited', CloseCode.RATE_LIMITED, 'too many messages');
			return;
		}
		if (session.hold(message)) return; // still loading: handled once ready
		handle(session, message);
	}

	function handle(session: Session, message: Uint8Array) {
		if (session.closing) return;
		let msg: IncomingMessage;
		try {
			msg = parseClientMessage(message);
		} catch {
			reject(session, 'malformed', CloseCode.MALFORMED, 'malformed message');
			return;
		}
		const room = session.room;
		switch (msg.kind) {
			case 'step1': {
				let answer: Uint8Array;
				try {
					answer = room.doc.stepTwo(msg.sv, msg.stateVector);
				} catch {
					// The stored parts do not merge (reported, and kept as they are): not this
					// client's fault, so a close it reconnects after, never a final one.
					reject(session, 'unservable', CloseCode.INTERNAL_ERROR, 'document cannot be served now');
					return;
				}
				session.socket.send(encodeSyncStep2(answer));
				// The answer goes out first; the bookkeeping (which may decode the document's state
				// vector) waits for the next turn so it never delays the first sync.
				clock.defer(() => {
					if (session.closing) return;
					if (room.doc.covers(msg.sv)) options.facts.record(session, { lastInSyncAt: clock.now() });
					if (session.wantsAcks) sendAck(session);
				});
				return;
			}
			case 'step2':
			case 'update':
				receiveUpdate(session, msg.kind, msg.update);
				return;
			case 'awareness': {
				for (const e of msg.entries) {
					if (e.removed) session.awarenessClients.delete(e.clientId);
					else session.awarenessClients.set(e.clientId, e.clock);
				}
				// Like the reference server, echo to the sender too: the stock client counts any
				// message as a sign of life (it reconnects after 30 s of silence).
				broadcast(room, msg.message);
				hooks.awareness(room, msg.message);
				return;
			}
			case 'query-awareness':
				broadcast(room, encodeQueryAwareness(), session);
				return;
			case 'device-status': {
				if (session.info.deviceId === undefined) session.info.deviceId = msg.deviceId;
				options.facts.record(session, { pending: msg.pending, pendingReportedAt: clock.now() });
				return;
			}
			case 'auth':
				return;
		}
	}

	function receiveUpdate(session: Session, kind: 'step2' | 'update', update: Uint8Array) {
		const room = session.room;
		if (session.info.access !== 'rw') {
			metrics.rejected.inc({ reason: 'read_only' });
			return; // dropped, not closed: curators' clients may echo sync step 2
		}
		if (!session.limits.updates.take(clock.monotonic())) {
			reject(session, 'rate_limited', CloseCode.RATE_LIMITED, 'too many updates');
			return;
		}
		let inspection: UpdateInspection;
		try {
			inspection = inspectUpdate(update);
		} catch {
			reject(session, 'malformed', CloseCode.MALFORMED, 'malformed update');
			return;
		}
		const userId = session.info.userId;
		const enforce = config.clientIdBinding !== 0;
		const foreign = enforce ? room.doc.foreignClientIds(userId, inspection.clients) : [];
		if (foreign.length > 0) {
			// Structs under a client id another participant wrote first. An honest phone re-sends
			// its partner's structs (on reconnect, or pending ones it holds behind a clock gap), so
			// closing it would cut it off for good (44xx is final for y-websocket); a forger writing
			// under the partner's id must not get its structs stored either. Both ways the answer
			// is the same: keep the sender's own structs and the delete set, drop the others'.
			try {
				update = withoutStructsOf(update, foreign);
				inspection = inspectUpdate(update);
			} catch {
				reject(session, 'malformed', CloseCode.MALFORMED, 'malformed update');
				return;
			}
			metrics.rejected.inc({ reason: 'foreign_structs_dropped' });
		}
		if (!inspection.empty) {
			const verdict = hooks.beforeCommit(room, { update, userId, session });
			if (!verdict.accept) {
				reject(session, 'refused', CloseCode.FORBIDDEN, verdict.reason);
				return;
			}
		}
		// Never null here: the foreign client ids were dropped above (or binding is off).
		const claims = room.doc.claimClientIds(userId, inspection.clients, enforce) ?? [];
		if (kind === 'step2') session.handshakeDone();
		if (!inspection.empty && roomSize(room) + update.length > config.maxDocumentBytes) {
			reject(session, 'document_too_large', CloseCode.DOCUMENT_TOO_LARGE, 'document too large');
			return;
		}
		session.receivedCount++;
		options.commits.enqueue({
			programId: room.id,
			room,
			session,
			// copy: the message buffer may be a view into a larger socket chunk
			update: inspection.empty ? null : new Uint8Array(update),
			ranges: inspection.ranges,
			receivedAt: clock.now(),
			...(claims.length > 0 ? { claims: { userId, clientIds: claims } } : {})
		});
	}

	return { receive, handle };
}
