/**
 * The one path of an update once accepted: queued (room byte and item counts), group-committed
 * (commit-queue.ts), then — durable — absorbed into the room, broadcast to the room's other
 * sessions, acknowledged to its sender in order, and announced to the hooks. A failed commit
 * closes its senders (they resend on reconnect) and fails its server edits.
 */
import type { Logger } from '../logger.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { Clock } from './clock.js';
import { createCommitQueue, type DurableItem, type QueuedUpdate } from './commit-queue.js';
import type { Commit, RelayHooks } from './hooks.js';
import type { RelayMetrics } from './metrics.js';
import { CloseCode, encodeAck, encodeSyncUpdate } from './protocol.js';
import type { ClockRanges } from './room.js';
import { broadcast, type LiveRoom, type Rooms } from './rooms.js';
import type { CloseSession, Session } from './session.js';

export interface CommitItem extends QueuedUpdate {
	room: LiveRoom;
	/** The sender; null for a server edit. */
	session: Session | null;
	ranges: ClockRanges;
	/** Settled once the update is durable (server edits wait for it). */
	done?: { resolve: () => void; reject: (error: Error) => void };
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

	function durable(batch: DurableItem<CommitItem>[], stats: { rows: number; seconds: number }) {
		if (stats.rows > 0) {
			metrics.persistSeconds.observe(stats.seconds);
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
				delivered += broadcast(room, encodeSyncUpdate(item.update), session);
			}
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
			item.room.queuedItems++;
			if (item.update) item.room.queuedBytes += item.update.length;
			queue.enqueue(item);
		},
		flush: () => queue.flush()
	};
}
