import type { IdentityEvents } from '../identity/events.js';
import type { Logger } from '../logger.js';
import { CloseCode } from '../sync/protocol.js';
import type { ConnectionInfo } from '../sync/relay.js';
import type { Cluster } from './index.js';
import { sessionCloseCode } from '../identity/events.js';

interface Closer {
	closeWhere(predicate: (c: ConnectionInfo) => boolean, code: number, reason?: string): number;
}

/**
 * Session revocation, the end of a person's access and token revocation reach every instance:
 * the instance where it happened closes its own websockets (connectIdentityToRelay) and
 * publishes the event; the others close theirs when it arrives, with the same codes (4401 for a
 * session signed out on its own device; 1012 for the rest — a device revoked by its curator
 * included —, so the client reconnects and the upgrade decides; y-websocket 3 treats 44xx as
 * final). The
 * database stays the truth: server/identity/revocation-watch.ts sweeps live connections on every
 * instance, so a control message lost with Redis only delays the close (and what is revoked can
 * never reconnect anywhere).
 */
export function connectIdentityToCluster(options: {
	events: IdentityEvents;
	relay: Closer;
	cluster: Cluster;
	logger: Logger;
}): () => void {
	const { events, relay, cluster } = options;
	if (!cluster.enabled) return () => undefined;
	const offs = [
		events.onSessionRevoked((e) =>
			cluster.publishControl({ type: 'session-revoked', sessionId: e.sessionId, reason: e.reason })
		),
		events.onAccessChanged((e) =>
			cluster.publishControl({
				type: 'access-changed',
				personId: e.personId,
				...(e.programId !== undefined ? { programId: e.programId } : {})
			})
		),
		events.onTokenRevoked((e) =>
			cluster.publishControl({ type: 'token-revoked', tokenId: e.tokenId })
		),
		cluster.onControl((m) => {
			if (m.type === 'session-revoked') {
				relay.closeWhere(
					(c) => c.sessionId === m.sessionId,
					sessionCloseCode(m.reason ?? 'logout'),
					'session revoked'
				);
			} else if (m.type === 'access-changed') {
				relay.closeWhere(
					(c) =>
						c.userId === m.personId && (m.programId === undefined || c.programId === m.programId),
					CloseCode.SERVICE_RESTART,
					'access changed'
				);
			} else if (m.type === 'token-revoked') {
				relay.closeWhere(
					(c) => c.tokenId === m.tokenId,
					CloseCode.SERVICE_RESTART,
					'access token revoked'
				);
			}
			// resync: the relay's business
		})
	];
	return () => {
		for (const off of offs) off();
	};
}
