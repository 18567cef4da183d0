/**
 * Several instances (server/cluster, REDIS_URL): durable updates and awareness go out to the
 * other instances, theirs come in to this instance's sessions; compaction and summaries of a
 * program run on its leader; after a Redis outage, loaded rooms catch up from storage. Plugs
 * into the relay through hooks; without a cluster the relay runs none of this.
 */
import type { Cluster } from '../cluster/index.js';
import type { Logger } from '../logger.js';
import type { DocumentStore } from '../storage/document-store.js';
import type { Leadership, RelayHooks } from './hooks.js';
import type { RelayMetrics } from './metrics.js';
import { encodeSyncUpdate, inspectUpdate } from './protocol.js';
import type { ClockRanges } from './room.js';
import { broadcast, type LiveRoom, type Rooms } from './rooms.js';

export type ClusterLink = Pick<
	Cluster,
	| 'enabled'
	| 'join'
	| 'leave'
	| 'publishUpdate'
	| 'publishAwareness'
	| 'onUpdate'
	| 'onAwareness'
	| 'onResync'
	| 'onControl'
	| 'publishControl'
	| 'tryLead'
	| 'release'
>;

export interface ClusterBridge {
	readonly hooks: RelayHooks;
	readonly lead: Leadership;
	/** Brings a loaded room up to what storage holds (what other instances stored meanwhile). */
	catchUp(room: LiveRoom): Promise<void>;
}

function ignoreError(): void {}

export function createClusterBridge(options: {
	cluster: ClusterLink;
	rooms: Pick<Rooms, 'get' | 'ids'>;
	store: Pick<DocumentStore, 'load'>;
	metrics: RelayMetrics;
	log: Logger;
	/** Tells the relay's hooks (summaries…) that a room changed by another instance's commit. */
	committedElsewhere(
		room: LiveRoom,
		update: Uint8Array,
		claims?: { userId: string; clientIds: number[] }
	): void;
}): ClusterBridge {
	const { cluster, rooms, store, metrics, log } = options;

	/** An update made durable by another instance: into memory and to our sessions. */
	function applyRemote(
		programId: string,
		update: Uint8Array,
		claims?: { userId: string; clientIds: number[] }
	) {
		const room = rooms.get(programId);
		if (!room) return;
		void room.loaded.then(() => {
			if (rooms.get(programId) !== room) return;
			let ranges: ClockRanges;
			try {
				const inspection = inspectUpdate(update);
				if (inspection.empty) return;
				ranges = inspection.ranges;
			} catch {
				log.warn({ programId }, 'undecodable update from another instance ignored');
				return;
			}
			const copy = new Uint8Array(update);
			room.doc.adoptClaims(claims);
			room.doc.absorb(copy, ranges, room.doc.lastSeq);
			const delivered = broadcast(room, encodeSyncUpdate(copy));
			if (delivered > 0) metrics.updatesOut.inc(delivered);
			options.committedElsewhere(room, copy, claims);
		}, ignoreError);
	}

	/** After a Redis outage: what other instances stored meanwhile, from the durable log. */
	async function catchUp(room: LiveRoom) {
		await room.loaded;
		const stored = await store.load(room.id);
		if (rooms.get(room.id) !== room) return;
		const diff = room.doc.catchUp(stored);
		if (!diff) return;
		broadcast(room, encodeSyncUpdate(diff));
		options.committedElsewhere(room, diff);
	}

	cluster.onUpdate(applyRemote);
	cluster.onAwareness((programId, payload) => {
		const room = rooms.get(programId);
		if (!room?.isLoaded) return;
		broadcast(room, new Uint8Array(payload));
	});
	const catchUpAll = (ids: Iterable<string>) => {
		for (const id of ids) {
			const room = rooms.get(id);
			if (!room) continue;
			catchUp(room).catch((error: unknown) =>
				log.error({ err: error, programId: room.id }, 'resync from storage failed')
			);
		}
	};
	cluster.onResync(() => {
		// We may have missed their updates, and they ours: both sides reload from storage.
		const ids = rooms.ids();
		catchUpAll(ids);
		for (let i = 0; i < ids.length; i += 500)
			cluster.publishControl({ type: 'resync', programIds: ids.slice(i, i + 500) });
	});
	cluster.onControl((m) => {
		if (m.type === 'resync') catchUpAll(m.programIds);
	});

	return {
		catchUp,
		lead: async (task, programId) => (await cluster.tryLead(task, programId)) !== 'follower',
		hooks: {
			loading: (programId) => cluster.join(programId),
			async joining(room, roomExisted) {
				// A program loaded here earlier may lack updates another instance could not publish
				// (Redis outage); the newcomer gets what the durable log has.
				if (!roomExisted) return;
				await catchUp(room).catch((error: unknown) =>
					log.warn({ err: error, programId: room.id }, 'catch-up from storage failed')
				);
			},
			committed(room, commits) {
				// Durable now: other instances deliver it to their sessions of the program (with the
				// client ids it claimed, so they enforce the same ownership).
				for (const c of commits)
					if (c.origin === 'local' && c.update) cluster.publishUpdate(room.id, c.update, c.claims);
			},
			awareness(room, message) {
				cluster.publishAwareness(room.id, message);
			},
			unloaded(room) {
				cluster.leave(room.id);
				void cluster.release('summary', room.id);
				void cluster.release('compact', room.id);
			}
		}
	};
}
