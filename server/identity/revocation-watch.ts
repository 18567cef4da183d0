/**
 * The database as the truth about revocation, on every instance (with or without Redis):
 * - every `pollMs` (1 s): access tokens revoked since the last poll — what the CLI revokes from
 *   another process, where no event reaches this server — close their connections;
 * - every `sweepMs` (10 s), the backstop: live connections whose session is revoked or expired,
 *   whose recorded token is revoked or expired, or whose person is excluded, are closed. A lost
 *   Redis control message or a missed event only delays a close by this much.
 * The main path is immediate: events (server/identity/index.ts connectIdentityToRelay) and the
 * cluster bridge (server/cluster/identity.ts).
 */
import type { Logger } from '../logger.js';
import type { SqlClient } from '../storage/sql.js';
import { CloseCode } from '../sync/protocol.js';
import type { ConnectionInfo } from '../sync/relay.js';
import type { IdentityStore } from './store.js';

interface Relay {
	closeWhere(predicate: (c: ConnectionInfo) => boolean, code: number, reason?: string): number;
	connections(): ReadonlyArray<Readonly<ConnectionInfo>>;
}

const CHUNK = 500;

function chunks<T>(list: T[]): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
	return out;
}

export function watchRevocations(options: {
	store: IdentityStore;
	sql: SqlClient;
	relay: Relay;
	logger: Logger;
	now?: () => number;
	pollMs?: number;
	sweepMs?: number;
}): () => void {
	const { store, sql, relay } = options;
	const now = options.now ?? Date.now;
	const pollMs = options.pollMs ?? 1_000;
	const log = options.logger.child({ component: 'revocation-watch' });
	const close = (pred: (c: ConnectionInfo) => boolean, reason: string) => {
		const n = relay.closeWhere(pred, CloseCode.SERVICE_RESTART, reason);
		if (n > 0) log.info({ closed: n, reason }, 'closed connections whose access ended');
	};

	// Revocations written from 2 polls back: a clock step or a slow query loses none.
	let since = now() - 2 * pollMs;
	let polling = false;
	const poll = async () => {
		if (polling) return;
		polling = true;
		const started = now();
		try {
			const live = relay.connections().some((c) => c.tokenId !== undefined);
			if (live) {
				const ids = new Set(await store.accessTokens.revokedSince(since));
				if (ids.size > 0)
					close((c) => c.tokenId !== undefined && ids.has(c.tokenId), 'access token revoked');
			}
			since = started - 2 * pollMs;
		} catch (error) {
			log.warn({ err: error }, 'revocation poll failed');
		} finally {
			polling = false;
		}
	};

	let sweeping = false;
	const sweep = async () => {
		if (sweeping) return;
		sweeping = true;
		try {
			const conns = relay.connections();
			const at = now();
			const sessions = [
				...new Set(conns.map((c) => c.sessionId).filter((s): s is string => s !== undefined))
			];
			for (const chunk of chunks(sessions)) {
				const dead = await sql.all<{ id: string }>(
					`SELECT id FROM sessions WHERE id IN (${chunk.map(() => '?').join(',')})
					 AND (revoked_at IS NOT NULL OR expires_at <= ?)`,
					[...chunk, at]
				);
				const set = new Set(dead.map((d) => d.id));
				if (set.size > 0)
					close(
						(c) => c.sessionId !== undefined && set.has(c.sessionId),
						'session revoked (sweep)'
					);
			}
			const tokens = [
				...new Set(conns.map((c) => c.tokenId).filter((s): s is string => s !== undefined))
			];
			for (const chunk of chunks(tokens)) {
				const set = new Set(await store.accessTokens.deadAmong(chunk, at));
				if (set.size > 0)
					close(
						(c) => c.tokenId !== undefined && set.has(c.tokenId),
						'access token revoked (sweep)'
					);
			}
			const users = [...new Set(conns.map((c) => c.userId))];
			for (const chunk of chunks(users)) {
				const gone = await sql.all<{ id: string }>(
					`SELECT id FROM people WHERE id IN (${chunk.map(() => '?').join(',')}) AND active = 0`,
					chunk
				);
				const set = new Set(gone.map((g) => g.id));
				if (set.size > 0) close((c) => set.has(c.userId), 'person excluded (sweep)');
			}
		} catch (error) {
			log.warn({ err: error }, 'revocation sweep failed');
		} finally {
			sweeping = false;
		}
	};

	const pollTimer = setInterval(() => void poll(), pollMs);
	const sweepTimer = setInterval(() => void sweep(), options.sweepMs ?? 10_000);
	pollTimer.unref();
	sweepTimer.unref();
	return () => {
		clearInterval(pollTimer);
		clearInterval(sweepTimer);
	};
}
