/**
 * Awareness (presence) as the relay relays it (docs/relay.md, "Awareness"). Presence is soft
 * state, but it reaches every phone of the program, so it is bounded like document content:
 * - size (≤ 64 KiB per message) and nesting (≤ 16) are checked on the bytes, before any
 *   JSON.parse — a 2 MB state nested deep cost ~330 ms per message, 10,000 deep threw in every
 *   stock client it was forwarded to;
 * - each connection's own awareness messages are rate-limited (excess is dropped, never closed:
 *   presence is soft state), and answers to the relay's own "query awareness" are not charged to
 *   the client at all — the relay asks at most once a second per program, however many join;
 * - identity is the server's: a client id belongs, for presence, to the connection that first
 *   announced it alone; entries for another connection's ids are dropped, and the `user` of
 *   every state is stamped from the authenticated grant (read-only: «наблюдатель»);
 * - a client id first announced by a read-write user is theirs for writing too, so a participant
 *   who saw it in presence cannot claim it before its owner's first (offline) edit arrives.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Clock, TimerHandle } from './clock.js';
import { TokenBucket } from './limits.js';
import { CloseCode, encodeAwarenessMessage, encodeQueryAwareness } from './protocol.js';
import type { LiveRoom } from './rooms.js';
import type { Session } from './session.js';
import { jsonDepth } from './update-guard.js';

export const AWARENESS_LIMITS = {
	maxMessageBytes: 64 * 1024,
	maxDepth: 16,
	/** A connection's own awareness messages per second (sustained) and burst; excess is dropped. */
	perSecond: 10,
	burst: 40,
	/** Entries in one message (a query answer lists every state the client knows). */
	maxEntries: 64,
	/** Client ids one connection may make its own in presence. */
	maxIdsPerSession: 4,
	/** Client ids remembered per program. */
	maxIdsPerProgram: 10_000,
	/** The relay's "query awareness" to a program, at most once per this interval. */
	queryIntervalMs: 1_000,
	/** Awareness answers a connection may owe the relay (one per query sent to it). */
	maxCredits: 3
} as const;

/** Shown to partners for a read-only connection (curator, head), whatever it claims to be. */
export const OBSERVER_NAME = 'наблюдатель';

export class AwarenessRefused extends Error {
	constructor(
		readonly reason: string,
		readonly code: number
	) {
		super(reason);
	}
}

interface Owner {
	userId: string;
	access: 'rw' | 'ro';
}

interface RoomPresence {
	/** Client id → who first announced it alone. */
	owners: Map<number, Owner>;
	lastQueryAt: number;
	pendingQuery: TimerHandle | null;
}

interface SessionPresence {
	bucket: TokenBucket;
	/** Answers owed to the relay's queries (not charged). */
	credits: number;
	ids: Set<number>;
}

export interface AwarenessRelay {
	/**
	 * Whether this awareness message is an answer to the relay's query (free of the message
	 * budget); consumes the credit.
	 */
	isAnswer(session: Session): boolean;
	/**
	 * Checks, filters and stamps one awareness message (`answer`: to the relay's query, not
	 * rate-limited); returns the message to relay (null: nothing to relay, or over the rate). Throws AwarenessRefused (the caller closes the sender).
	 */
	receive(
		session: Session,
		message: Uint8Array,
		answer: boolean
	): { message: Uint8Array; entries: Entry[] } | null;
	/** Asks the program's connections for their awareness (coalesced: ≤ 1 per interval). */
	query(room: LiveRoom, except: Session | null): void;
	/** Client ids among `clients` that another user announced first in presence (and nobody wrote under yet). */
	foreignByPresence(room: LiveRoom, userId: string, clients: Iterable<number>): number[];
}

export interface Entry {
	clientId: number;
	clock: number;
	removed: boolean;
}

function readEntries(message: Uint8Array): { clientId: number; clock: number; state: string }[] {
	const d = decoding.createDecoder(message);
	decoding.readVarUint(d); // message type
	const inner = decoding.readVarUint8Array(d);
	if (decoding.hasContent(d)) throw new AwarenessRefused('trailing bytes', CloseCode.MALFORMED);
	const a = decoding.createDecoder(inner);
	const n = decoding.readVarUint(a);
	if (n > AWARENESS_LIMITS.maxEntries)
		throw new AwarenessRefused('too many awareness entries', CloseCode.MALFORMED);
	const out = [];
	for (let i = 0; i < n; i++) {
		const clientId = decoding.readVarUint(a);
		const clock = decoding.readVarUint(a);
		const state = decoding.readVarString(a);
		if (jsonDepth(state, AWARENESS_LIMITS.maxDepth) > AWARENESS_LIMITS.maxDepth)
			throw new AwarenessRefused('awareness state nested too deep', CloseCode.MALFORMED);
		out.push({ clientId, clock, state });
	}
	if (decoding.hasContent(a)) throw new AwarenessRefused('trailing bytes', CloseCode.MALFORMED);
	return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The state with `user` set by the server: read-only → observer; read-write → the client's name with the authenticated id. */
function stamp(state: Record<string, unknown>, owner: Owner): Record<string, unknown> {
	if (owner.access !== 'rw')
		return { ...state, user: { name: OBSERVER_NAME, role: OBSERVER_NAME } };
	const user = isRecord(state.user) ? state.user : {};
	return { ...state, user: { ...user, id: owner.userId } };
}

export function createAwarenessRelay(options: { clock: Clock }): AwarenessRelay {
	const { clock } = options;
	const rooms = new WeakMap<LiveRoom, RoomPresence>();
	const sessions = new WeakMap<Session, SessionPresence>();

	function roomPresence(room: LiveRoom): RoomPresence {
		let p = rooms.get(room);
		if (!p) {
			p = { owners: new Map(), lastQueryAt: -Infinity, pendingQuery: null };
			rooms.set(room, p);
		}
		return p;
	}

	function sessionPresence(session: Session): SessionPresence {
		let p = sessions.get(session);
		if (!p) {
			p = {
				bucket: new TokenBucket(
					AWARENESS_LIMITS.perSecond,
					AWARENESS_LIMITS.burst,
					clock.monotonic()
				),
				credits: 0,
				ids: new Set()
			};
			sessions.set(session, p);
		}
		return p;
	}

	function sendQuery(room: LiveRoom, except: Session | null) {
		const p = roomPresence(room);
		p.lastQueryAt = clock.monotonic();
		const query = encodeQueryAwareness();
		for (const s of room.sessions) {
			if (s === except || !s.ready) continue;
			const sp = sessionPresence(s);
			sp.credits = Math.min(AWARENESS_LIMITS.maxCredits, sp.credits + 1);
			s.deliver(query);
		}
	}

	return {
		isAnswer(session) {
			const p = sessionPresence(session);
			if (p.credits <= 0) return false;
			p.credits--;
			return true;
		},

		receive(session, message, answer) {
			if (message.length > AWARENESS_LIMITS.maxMessageBytes)
				throw new AwarenessRefused('awareness message too large', CloseCode.MESSAGE_TOO_LARGE);
			const sp = sessionPresence(session);
			if (!answer && !sp.bucket.take(clock.monotonic())) return null; // soft state: dropped
			const room = roomPresence(session.room);
			const raw = readEntries(message);
			const me: Owner = {
				userId: session.info.userId,
				access: session.info.access === 'rw' ? 'rw' : 'ro'
			};
			const kept: { clientId: number; clock: number; state: unknown }[] = [];
			for (const e of raw) {
				let state: unknown;
				try {
					state = JSON.parse(e.state) as unknown;
				} catch {
					throw new AwarenessRefused('awareness state is not JSON', CloseCode.MALFORMED);
				}
				const owner = room.owners.get(e.clientId);
				const mine = owner?.userId === me.userId && owner.access === me.access;
				if (!owner && raw.length === 1 && state !== null) {
					// Announced alone: the client's own id (stock clients announce theirs alone on
					// connect and on every change; answers to queries list every state they know).
					if (sp.ids.size >= AWARENESS_LIMITS.maxIdsPerSession) continue;
					if (room.owners.size >= AWARENESS_LIMITS.maxIdsPerProgram) continue;
					room.owners.set(e.clientId, me);
					sp.ids.add(e.clientId);
				} else if (!mine) continue; // another connection's state (or an unknown one): not ours to relay
				kept.push({
					clientId: e.clientId,
					clock: e.clock,
					state: isRecord(state)
						? stamp(state, me)
						: state === null
							? null
							: { user: stamp({}, me).user }
				});
			}
			if (kept.length === 0) return null;
			const e = encoding.createEncoder();
			encoding.writeVarUint(e, kept.length);
			for (const k of kept) {
				encoding.writeVarUint(e, k.clientId);
				encoding.writeVarUint(e, k.clock);
				encoding.writeVarString(e, JSON.stringify(k.state));
			}
			return {
				message: encodeAwarenessMessage(encoding.toUint8Array(e)),
				entries: kept.map((k) => ({
					clientId: k.clientId,
					clock: k.clock,
					removed: k.state === null
				}))
			};
		},

		query(room, except) {
			const p = roomPresence(room);
			const since = clock.monotonic() - p.lastQueryAt;
			if (since >= AWARENESS_LIMITS.queryIntervalMs && !p.pendingQuery) {
				sendQuery(room, except);
				return;
			}
			// Coalesced: one trailing query covers everyone who joined meanwhile.
			p.pendingQuery ??= clock.setTimeout(
				() => {
					p.pendingQuery = null;
					sendQuery(room, null);
				},
				Math.max(0, AWARENESS_LIMITS.queryIntervalMs - since)
			);
		},

		foreignByPresence(room, userId, clients) {
			const p = rooms.get(room);
			if (!p) return [];
			const out: number[] = [];
			for (const c of clients) {
				const owner = p.owners.get(c);
				if (owner && owner.access === 'rw' && owner.userId !== userId && !room.doc.owners.has(c))
					out.push(c);
			}
			return out;
		}
	};
}
