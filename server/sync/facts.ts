/**
 * Device sync facts for the curator (when a device last connected, sent an update, was in
 * sync, how many edits it reported pending). Coalesced per device and written in their own
 * periodic transaction, never on the update hot path. Plugs into the relay through hooks.
 */
import type { Logger } from '../logger.js';
import type { DeviceSyncFacts, DocumentStore } from '../storage/document-store.js';
import type { Clock, TimerHandle } from './clock.js';
import type { RelayHooks } from './hooks.js';
import type { Session } from './session.js';

/** Sync-fact times are written when they moved by at least this much (or on connect/disconnect). */
const FACTS_RESOLUTION_MS = 30_000;

export type FactTimes = Omit<DeviceSyncFacts, 'programId' | 'userId' | 'deviceId'>;

export interface FactsRecorder {
	record(session: Session, facts: FactTimes, force?: boolean): void;
	/** Writes what is pending now. */
	write(): Promise<void>;
	/** Stops the periodic write (shutdown; `write` still works). */
	stop(): void;
	readonly hooks: RelayHooks;
}

export function createFactsRecorder(options: {
	store: Pick<DocumentStore, 'saveFacts'>;
	clock: Clock;
	flushMs: number;
	log: Logger;
}): FactsRecorder {
	const { store, clock, log } = options;
	const dirty = new Map<string, DeviceSyncFacts>();
	let timer: TimerHandle | null = null;
	let stopped = false;

	function record(session: Session, facts: FactTimes, force = false) {
		// The curator needs minutes, not milliseconds: a time that moved by less than
		// FACTS_RESOLUTION_MS since it was last written is not news (pending counts always are).
		const w = session.factsWritten;
		const news =
			force ||
			(facts.pending !== undefined && facts.pending !== w.pending) ||
			(['lastConnectedAt', 'lastUpdateAt', 'lastInSyncAt', 'pendingReportedAt'] as const).some(
				(k) => facts[k] !== undefined && (facts[k] ?? 0) - (w[k] ?? 0) >= FACTS_RESOLUTION_MS
			);
		if (!news) return;
		for (const [k, v] of Object.entries(facts) as [keyof FactTimes, number | undefined][]) {
			if (v !== undefined) w[k] = v;
		}
		const { programId, userId } = session.info;
		const deviceId = session.info.deviceId ?? 'unknown';
		const key = `${programId}\u0000${userId}\u0000${deviceId}`;
		const entry = dirty.get(key) ?? { programId, userId, deviceId };
		for (const [k, v] of Object.entries(facts) as [keyof FactTimes, number | undefined][]) {
			if (v === undefined) continue;
			if (k === 'pending') entry.pending = v;
			else entry[k] = Math.max(entry[k] ?? 0, v);
		}
		dirty.set(key, entry);
		if (!timer && !stopped) {
			timer = clock.setTimeout(() => {
				timer = null;
				void write();
			}, options.flushMs);
		}
	}

	async function write() {
		const facts = [...dirty.values()];
		dirty.clear();
		if (facts.length === 0) return;
		try {
			await store.saveFacts(facts);
		} catch (error) {
			log.error({ err: error }, 'saving device sync facts failed');
		}
	}

	return {
		record,
		write,
		stop() {
			stopped = true;
			clock.clearTimeout(timer);
			timer = null;
		},
		hooks: {
			sessionReady(session) {
				record(session, { lastConnectedAt: clock.now() }, true);
			},
			sessionClosed(session) {
				// Only a session that got as far as syncing was connected.
				if (session.wasReady) record(session, { lastConnectedAt: clock.now() }, true);
			},
			committed(_room, commits) {
				const t = clock.now();
				const seen = new Set<Session>();
				for (const { session } of commits) {
					if (!session || seen.has(session) || session.closing) continue;
					seen.add(session);
					record(
						session,
						session.inSync ? { lastUpdateAt: t, lastInSyncAt: t } : { lastUpdateAt: t }
					);
				}
			}
		}
	};
}
