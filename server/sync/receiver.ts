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
import { AwarenessRefused, type AwarenessRelay } from './awareness.js';
import {
	CloseCode,
	MESSAGE_AWARENESS,
	encodeStateVector,
	encodeSyncStep2,
	encodeSyncUpdate,
	inspectUpdate,
	parseClientMessage,
	type IncomingMessage,
	type UpdateInspection
} from './protocol.js';
import { broadcast, roomSize } from './rooms.js';
import type { CloseSession, Session } from './session.js';
import { UpdateRefused, checkNewClients, scanUpdate } from './update-guard.js';

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
	awareness: AwarenessRelay;
	close: CloseSession;
}): MessageReceiver {
	const { config, clock, metrics, hooks, awareness } = options;

	function reject(session: Session, reason: string, code: number, detail?: string) {
		metrics.rejected.inc({ reason });
		options.close(session, code, detail ?? reason.replace(/_/g, ' '), 'warn');
	}

	/**
	 * Whatever a message does, an exception it raises closes only its own connection (1011: the
	 * client reconnects) — never the process (issue 14: a RangeError from Yjs on a deeply nested
	 * update escaped the websocket handler and the relay exited).
	 */
	function contained(session: Session, what: string, fn: () => void) {
		try {
			fn();
		} catch (error) {
			metrics.rejected.inc({ reason: 'internal_error' });
			options.close(
				session,
				CloseCode.INTERNAL_ERROR,
				`${what} failed: ${String(error).slice(0, 80)}`,
				'error'
			);
		}
	}

	function receive(session: Session, message: Uint8Array, binary: boolean) {
		contained(session, 'message', () => receiveFrame(session, message, binary));
	}

	function receiveFrame(session: Session, message: Uint8Array, binary: boolean) {
		if (session.closing) return;
		if (!binary) {
			reject(session, 'malformed', CloseCode.MALFORMED, 'text frames are not part of the protocol');
			return;
		}
		if (message.length > config.maxMessageBytes) {
			reject(session, 'message_too_large', CloseCode.MESSAGE_TOO_LARGE, 'message too large');
			return;
		}
		// Answers to the relay's own "query awareness" are not the client's doing: not charged.
		const answer = message[0] === MESSAGE_AWARENESS && awareness.isAnswer(session);
		if (!answer && !session.limits.messages.take(clock.monotonic())) {
			reject(session, 'rate_limited', CloseCode.RATE_LIMITED, 'too many messages');
			return;
		}
		// Still loading: handled once ready (no query reached it yet, so nothing held is an answer).
		if (session.hold(message)) return;
		handleMessage(session, message, answer);
	}

	function handle(session: Session, message: Uint8Array) {
		contained(session, 'message', () => handleMessage(session, message, false));
	}

	function relayAwareness(session: Session, message: Uint8Array, answer: boolean) {
		let relayed: ReturnType<AwarenessRelay['receive']>;
		try {
			relayed = awareness.receive(session, message, answer);
		} catch (error) {
			if (error instanceof AwarenessRefused) {
				reject(session, 'awareness_refused', error.code, error.reason);
				return;
			}
			reject(session, 'malformed', CloseCode.MALFORMED, 'malformed awareness');
			return;
		}
		if (!relayed) return;
		for (const e of relayed.entries) {
			if (e.removed) session.awarenessClients.delete(e.clientId);
			else session.awarenessClients.set(e.clientId, e.clock);
		}
		// Like the reference server, echo to the sender too: the stock client counts any
		// message as a sign of life (it reconnects after 30 s of silence).
		broadcast(session.room, relayed.message);
		hooks.awareness(session.room, relayed.message);
	}

	function handleMessage(session: Session, message: Uint8Array, answer: boolean) {
		if (session.closing) return;
		if (message[0] === MESSAGE_AWARENESS) {
			relayAwareness(session, message, answer);
			return;
		}
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
			case 'awareness': // handled above (awareness.ts)
				return;
			case 'query-awareness':
				awareness.query(room, session);
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
			// On the bytes, never through Yjs' decoders (they recurse into nested content), in one
			// walk that also reads the ranges and client ids (update-guard.ts).
			inspection = scanUpdate(update);
			checkNewClients(
				inspection.clients,
				(c) => room.doc.knowsClient(c),
				room.doc.knownClientCount()
			);
		} catch (error) {
			if (error instanceof UpdateRefused) {
				reject(session, 'update_refused', error.code, error.reason);
				return;
			}
			reject(session, 'malformed', CloseCode.MALFORMED, 'malformed update');
			return;
		}
		const userId = session.info.userId;
		const enforce = config.clientIdBinding !== 0;
		const foreign = enforce
			? [
					...room.doc.foreignClientIds(userId, inspection.clients),
					...awareness.foreignByPresence(room, userId, inspection.clients)
				]
			: [];
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
		// One copy (the message may be a view into a larger socket chunk), framed as the sync
		// message the partners get: the update is its tail, and the forward sends it as it is.
		const message = inspection.empty ? undefined : encodeSyncUpdate(update);
		options.commits.enqueue({
			programId: room.id,
			room,
			session,
			update: message ? message.subarray(message.length - update.length) : null,
			message,
			ranges: inspection.ranges,
			receivedAt: clock.now(),
			...(claims.length > 0 ? { claims: { userId, clientIds: claims } } : {}),
			// Before its commit only under client ids whose owner is stored (commits.ts).
			forwardNow: claims.length === 0 && room.doc.claimsDurable(inspection.clients)
		});
	}

	return { receive, handle };
}
