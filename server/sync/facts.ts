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
/** The facts that are times (compared at FACTS_RESOLUTION_MS). */
const TIMES = ['lastConnectedAt', 'lastUpdateAt', 'lastInSyncAt', 'pendingReportedAt'] as const;

/**
 * Facts per transaction. Devices connected together reach FACTS_RESOLUTION_MS together: with
 * 1,000 programs edited on 2,000 phones one flush wrote 2,000 facts and the sync aggregates of
 * their 1,000 programs in one synchronous SQLite transaction, which held the event loop 70–230 ms
 * (690 ms on a saturated machine; bench:relay's long scenario, profile in docs/benchmarks.md).
 * In slices of about this many, other work runs between them.
 */
export const FACTS_PER_SLICE = 100;

export type FactTimes = Omit<DeviceSyncFacts, 'programId' | 'userId' | 'deviceId'>;

export interface FactsRecorder {
	record(session: Session, facts: FactTimes, force?: boolean): void;
	/** Writes what is pending now. */
	write(): Promise<void>;
	/** Stops the periodic write (shutdown; `write` still works). */
	stop(): void;
	readonly hooks: RelayHooks;
}

/** A time of `facts` moved by FACTS_RESOLUTION_MS or more since written (runs per update). */
function newTime(facts: FactTimes, written: FactTimes): boolean {
	for (const k of TIMES)
		if (facts[k] !== undefined && (facts[k] ?? 0) - (written[k] ?? 0) >= FACTS_RESOLUTION_MS)
			return true;
	return false;
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
		if (
			!force &&
			!(facts.pending !== undefined && facts.pending !== w.pending) &&
			!newTime(facts, w)
		)
			return;
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

	/** One write at a time: `pending` is the last value written, so slices must not overtake. */
	let writing: Promise<void> = Promise.resolve();
	function write(): Promise<void> {
		writing = writing.then(writeNow);
		return writing;
	}

	async function writeNow() {
		const facts = [...dirty.values()];
		dirty.clear();
		const slices = slicesByProgram(facts);
		for (const [i, slice] of slices.entries()) {
			if (i > 0) await clock.yield();
			try {
				await store.saveFacts(slice);
			} catch (error) {
				log.error({ err: error }, 'saving device sync facts failed');
			}
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
				// Per commit of each room: most carry one update, and need no set.
				const seen = commits.length > 1 ? new Set<Session>() : null;
				for (const { session } of commits) {
					if (!session || seen?.has(session) || session.closing) continue;
					seen?.add(session);
					record(
						session,
						session.inSync ? { lastUpdateAt: t, lastInSyncAt: t } : { lastUpdateAt: t }
					);
				}
			}
		}
	};
}

/**
 * Facts in slices of about FACTS_PER_SLICE, a program's devices in the same slice (its sync
 * aggregate is computed once per slice that holds it).
 */
export function slicesByProgram(facts: DeviceSyncFacts[]): DeviceSyncFacts[][] {
	const byProgram = new Map<string, DeviceSyncFacts[]>();
	for (const f of facts) {
		const list = byProgram.get(f.programId);
		if (list) list.push(f);
		else byProgram.set(f.programId, [f]);
	}
	const slices: DeviceSyncFacts[][] = [];
	let slice: DeviceSyncFacts[] = [];
	for (const list of byProgram.values()) {
		if (slice.length > 0 && slice.length + list.length > FACTS_PER_SLICE) {
			slices.push(slice);
			slice = [];
		}
		slice.push(...list);
	}
	if (slice.length > 0) slices.push(slice);
	return slices;
}
