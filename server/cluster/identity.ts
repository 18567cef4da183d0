import type { IdentityEvents } from '../identity/events.js';
import type { Logger } from '../logger.js';
import type { SqlClient } from '../storage/sql.js';
import { CloseCode } from '../sync/protocol.js';
import type { ConnectionInfo } from '../sync/relay.js';
import type { Cluster } from './index.js';

interface Closer {
	closeWhere(predicate: (c: ConnectionInfo) => boolean, code: number, reason?: string): number;
	connections(): ConnectionInfo[];
}

/**
 * Session revocation and access changes reach every instance: the instance where it happened
 * closes its own websockets (connectIdentityToRelay) and publishes the event; the others close
 * theirs when it arrives. The database stays the truth: a sweep every `sweepMs` closes live
 * connections whose session is revoked or expired in storage, so a control message lost with
 * Redis only delays the close (and a revoked session can never reconnect anywhere).
 */
export function connectIdentityToCluster(options: {
	events: IdentityEvents;
	relay: Closer;
	cluster: Cluster;
	sql: SqlClient;
	logger: Logger;
	sweepMs?: number;
	now?: () => number;
}): () => void {
	const { events, relay, cluster, sql } = options;
	const now = options.now ?? Date.now;
	const log = options.logger.child({ component: 'cluster-identity' });
	if (!cluster.enabled) return () => undefined;
	const offs = [
		events.onSessionRevoked((e) =>
			cluster.publishControl({ type: 'session-revoked', sessionId: e.sessionId })
		),
		events.onAccessChanged((e) =>
			cluster.publishControl({
				type: 'access-changed',
				personId: e.personId,
				...(e.programId !== undefined ? { programId: e.programId } : {})
			})
		),
		cluster.onControl((m) => {
			if (m.type === 'session-revoked') {
				relay.closeWhere(
					(c) => c.sessionId === m.sessionId,
					CloseCode.UNAUTHENTICATED,
					'session revoked'
				);
			} else if (m.type !== 'access-changed') {
				return; // resync: the relay's business
			} else if (m.programId !== undefined) {
				const programId = m.programId;
				relay.closeWhere(
					(c) => c.userId === m.personId && c.programId === programId,
					CloseCode.FORBIDDEN,
					'access revoked'
				);
			} else {
				relay.closeWhere(
					(c) => c.userId === m.personId,
					CloseCode.SERVICE_RESTART,
					'access changed'
				);
			}
		})
	];

	let sweeping = false;
	const sweep = async () => {
		if (sweeping) return;
		sweeping = true;
		try {
			const ids = [
				...new Set(
					relay
						.connections()
						.map((c) => c.sessionId)
						.filter((s): s is string => typeof s === 'string')
				)
			];
			for (let i = 0; i < ids.length; i += 500) {
				const chunk = ids.slice(i, i + 500);
				const dead = await sql.all<{ id: string }>(
					`SELECT id FROM sessions WHERE id IN (${chunk.map(() => '?').join(',')})
					 AND (revoked_at IS NOT NULL OR expires_at <= ?)`,
					[...chunk, now()]
				);
				if (dead.length === 0) continue;
				const set = new Set(dead.map((d) => d.id));
				const closed = relay.closeWhere(
					(c) => c.sessionId !== undefined && set.has(c.sessionId),
					CloseCode.UNAUTHENTICATED,
					'session revoked'
				);
				if (closed > 0) log.info({ closed }, 'closed connections of revoked sessions (sweep)');
			}
		} catch (error) {
			log.warn({ err: error }, 'session sweep failed');
		} finally {
			sweeping = false;
		}
	};
	const timer = setInterval(() => void sweep(), options.sweepMs ?? 30_000);
	timer.unref();
	return () => {
		clearInterval(timer);
		for (const off of offs) off();
	};
}
