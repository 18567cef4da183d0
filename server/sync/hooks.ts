/**
 * Lifecycle hooks of the relay (Hocuspocus's extension hooks, reduced to what this relay needs).
 * The core (rooms, commit queue, sessions) knows nothing of summaries, device facts or other
 * instances: those plug in here (summaries.ts, facts.ts, cluster-bridge.ts), and so will update
 * validation (`beforeCommit`). Every hook is optional; combineHooks runs them in the order given.
 */
import type { LiveRoom } from './rooms.js';
import type { Session } from './session.js';

export interface Claims {
	userId: string;
	clientIds: number[];
}

/** One update made durable (or, from another instance, received), as the hooks see it. */
export interface Commit {
	/** null: an empty update from a client, kept only to order its acknowledgement. */
	update: Uint8Array | null;
	claims?: Claims;
	/** The session that sent it; null for server edits and remote updates. */
	session: Session | null;
	/** 'local': committed here (in storage); 'remote': committed by another instance. */
	origin: 'local' | 'remote';
}

/** An update about to be queued for commit. */
export interface ProposedUpdate {
	update: Uint8Array;
	userId: string;
	/** null for a server edit. */
	session: Session | null;
}

export type CommitVerdict = { accept: true } | { accept: false; reason: string };

export interface RelayHooks {
	/** Before a program is loaded from storage (the cluster subscribes first). */
	loading?(programId: string): Promise<void>;
	/** A program was loaded (its document is in `room.doc`). */
	loaded?(room: LiveRoom): Promise<void>;
	/**
	 * Before a session of an already loaded room becomes ready (`roomExisted`: it was loaded
	 * before this session came). The session waits for it; a failure is the hook's to log.
	 */
	joining?(room: LiveRoom, roomExisted: boolean): Promise<void>;
	/** A session is ready (its program loaded, sync step 1 about to go out). */
	sessionReady?(session: Session): void;
	/** A session's socket closed. */
	sessionClosed?(session: Session): void;
	/**
	 * Decides, synchronously and before anything is stored or claimed, whether an update may be
	 * committed. A refusal closes the sender's connection (4403) or fails the server edit. The
	 * first hook that refuses wins. Plugged in: the decisions document's refusal (decisions.ts) and
	 * the authorship of comments (authorship.ts).
	 */
	beforeCommit?(room: LiveRoom, proposed: ProposedUpdate): CommitVerdict;
	/** Updates were made durable (in commit order), applied to `room.doc` and delivered. */
	committed?(room: LiveRoom, commits: Commit[]): void;
	/** A local awareness message went out to this instance's sessions. */
	awareness?(room: LiveRoom, message: Uint8Array): void;
	/** A room is about to unload (nobody connected for `idleUnloadMs`); before compaction. */
	unloading?(room: LiveRoom): Promise<void>;
	/** A room was unloaded. */
	unloaded?(room: LiveRoom): void;
}

export const ACCEPT: CommitVerdict = { accept: true };

/**
 * One set of hooks that calls each of `list` in order. The list is read at each call, so
 * plug-ins created after the core (they need the rooms) can still be added to it.
 */
export function combineHooks(list: readonly RelayHooks[]): Required<RelayHooks> {
	return {
		async loading(programId) {
			for (const h of list) await h.loading?.(programId);
		},
		async loaded(room) {
			for (const h of list) await h.loaded?.(room);
		},
		async joining(room, existed) {
			for (const h of list) await h.joining?.(room, existed);
		},
		sessionReady(session) {
			for (const h of list) h.sessionReady?.(session);
		},
		sessionClosed(session) {
			for (const h of list) h.sessionClosed?.(session);
		},
		beforeCommit(room, proposed) {
			for (const h of list) {
				const verdict = h.beforeCommit?.(room, proposed) ?? ACCEPT;
				if (!verdict.accept) return verdict;
			}
			return ACCEPT;
		},
		committed(room, commits) {
			for (const h of list) h.committed?.(room, commits);
		},
		awareness(room, message) {
			for (const h of list) h.awareness?.(room, message);
		},
		async unloading(room) {
			for (const h of list) await h.unloading?.(room);
		},
		unloaded(room) {
			for (const h of list) h.unloaded?.(room);
		}
	};
}

/**
 * Whether this instance should do a per-program task now (compaction, summary): with several
 * instances, the program's leader does ('unknown' — Redis down — counts as yes: both are safe
 * to do twice). A single instance always leads.
 */
export type Leadership = (task: 'summary' | 'compact', programId: string) => Promise<boolean>;

export const ALWAYS_LEAD: Leadership = async () => true;
