/**
 * The one path of an update once accepted: forwarded to the room's other sessions at once when
 * it may be (below), queued (room byte and item counts), group-committed (commit-queue.ts), then
 * — durable — absorbed into the room, sent to the sessions that have not had it, acknowledged to
 * its sender in order, and announced to the hooks. A failed commit closes its senders (they
 * resend on reconnect) and fails its server edits.
 *
 * Forwarded before its commit: a client's update under client ids whose owner is stored. The
 * partner then sees an edit as soon as it is validated, not a commit gap and an fsync later
 * (issue 18: delivery p50 4.6 against the in-memory reference's 1.0 ms; issue 14: an fsync that
 * stalls 150 ms delayed every partner behind it). Only the acknowledgement waits for durability,
 * and it is what tells the sender its edit is saved. If the relay dies before the commit, the
 * sender still holds the edit unacknowledged and re-sends it on reconnect; the partner's copy
 * (re-sent too) is dropped as structs under someone else's client id (receiver.ts) — which is
 * why an update that claims a client id, or uses one whose claim is not stored yet, waits for
 * its commit: otherwise the partner, reconnecting first after a crash, would become the
 * stored first writer of the sender's id and the sender's later edits would be dropped.
 */
import type { Logger } from '../logger.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { Clock } from './clock.js';
import {
	createCommitQueue,
	type CommitStats,
	type DurableItem,
	type QueuedUpdate
} from './commit-queue.js';
import type { Commit, RelayHooks } from './hooks.js';
import type { RelayMetrics } from './metrics.js';
import { CloseCode, encodeAck, encodeSyncUpdate } from './protocol.js';
import type { ClockRanges } from './room.js';
import { broadcast, type LiveRoom, type Rooms } from './rooms.js';
import { lastReadyOrder, type CloseSession, type Session } from './session.js';

export interface CommitItem extends QueuedUpdate {
	room: LiveRoom;
	/** The sender; null for a server edit. */
	session: Session | null;
	ranges: ClockRanges;
	/** Settled once the update is durable (server edits wait for it). */
	done?: { resolve: () => void; reject: (error: Error) => void };
	/** Forward it to the other sessions now, before the commit (see above; the receiver decides). */
	forwardNow?: boolean;
	/** Set here: `lastReadyOrder()` when it was forwarded before the commit. */
	forwardedAt?: number;
	/**
	 * The update framed as the sync message its partners get (`encodeSyncUpdate`), built once:
	 * the receiver passes the one it copied the update into, or the first delivery builds it.
	 */
	message?: Uint8Array;
}

export interface Commits {
	enqueue(item: CommitItem): void;
	/** Commits everything queued now. */
	flush(): Promise<void>;
}

/** The acknowledgement a session asked for (`?ack=1`): how many of its messages are durable. */
export function sendAck(session: Session): void {
	session.socket.send(
		encodeAck({
			persistedCount: session.persistedCount,
			stateVector: session.room.doc.stateVectorBytes()
		})
	);
}

export function createCommits(options: {
	store: Pick<DocumentStore, 'append'>;
	clock: Clock;
	flushDelayMs: number;
	/** The shortest time between two commits (commit-queue.ts). */
	commitGapMs?: number;
	hooks: Required<RelayHooks>;
	rooms: Pick<Rooms, 'compactIfLong'>;
	metrics: RelayMetrics;
	log: Logger;
	close: CloseSession;
}): Commits {
	const { hooks, metrics, log } = options;

	const framed = (item: CommitItem, update: Uint8Array) =>
		(item.message ??= encodeSyncUpdate(update));

	/** Sends a durable update to the room's sessions that did not get it before its commit. */
	function deliver(item: CommitItem, update: Uint8Array): number {
		const { room, session, forwardedAt } = item;
		if (forwardedAt === undefined) return broadcast(room, framed(item, update), session);
		let delivered = 0;
		for (const s of room.sessions)
			if (s !== session && s.readyOrder > forwardedAt)
				if (s.deliver(framed(item, update))) delivered++;
		return delivered;
	}

	function durable(batch: DurableItem<CommitItem>[], stats: CommitStats) {
		if (stats.rows > 0) {
			metrics.persistSeconds.observe(stats.seconds);
			metrics.commitWaitSeconds.observe(stats.waitedSeconds);
			metrics.persistBatchUpdates.observe(stats.rows);
			metrics.updatesIn.inc(stats.rows);
		}
		const acked = new Set<Session>();
		const byRoom = new Map<LiveRoom, Commit[]>();
		let delivered = 0;
		for (const { item, seq } of batch) {
			const { room, session } = item;
			room.queuedItems--;
			if (item.update) {
				room.queuedBytes -= item.update.length;
				room.doc.absorb(item.update, item.ranges, seq ?? room.doc.lastSeq);
				delivered += deliver(item, item.update);
			}
			if (item.claims) room.doc.confirmClaims(item.claims.clientIds);
			const commits = byRoom.get(room) ?? [];
			commits.push({
				update: item.update,
				...(item.claims ? { claims: item.claims } : {}),
				session,
				origin: 'local'
			});
			byRoom.set(room, commits);
			if (session) {
				session.persistedCount++;
				acked.add(session);
			}
			item.done?.resolve();
		}
		if (delivered > 0) metrics.updatesOut.inc(delivered);
		for (const session of acked) if (!session.closing && session.wantsAcks) sendAck(session);
		for (const [room, commits] of byRoom) {
			hooks.committed(room, commits);
			if (commits.some((c) => c.update)) options.rooms.compactIfLong(room);
		}
	}

	function failed(batch: CommitItem[], error: Error) {
		// Nothing of this batch is durable: refuse it. Clients still hold their edits and resend them on reconnect.
		log.error(
			{ err: error, updates: batch.filter((i) => i.update).length },
			'persisting updates failed'
		);
		const senders = new Set<Session>();
		for (const item of batch) {
			item.room.queuedItems--;
			if (item.update) item.room.queuedBytes -= item.update.length;
			if (item.claims) item.room.doc.withdrawClaims(item.claims.clientIds);
			if (item.session) senders.add(item.session);
			item.done?.reject(error);
		}
		for (const s of senders) options.close(s, CloseCode.INTERNAL_ERROR, 'storage error', 'error');
	}

	const queue = createCommitQueue<CommitItem>({
		store: options.store,
		clock: options.clock,
		delayMs: options.flushDelayMs,
		minGapMs: options.commitGapMs ?? 0,
		durable,
		failed
	});

	return {
		enqueue(item) {
			const { room, update } = item;
			room.queuedItems++;
			if (update) room.queuedBytes += update.length;
			if (update && item.forwardNow && item.session) {
				const delivered = broadcast(room, framed(item, update), item.session);
				if (delivered > 0) metrics.updatesOut.inc(delivered);
				item.forwardedAt = lastReadyOrder();
			} else if (update) item.deliveryWaits = true;
			queue.enqueue(item);
		},
		flush: () => queue.flush()
	};
}
