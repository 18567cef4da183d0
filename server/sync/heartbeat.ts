/**
 * The keep-alive heartbeat, spread over its interval (issue 18).
 *
 * Pinging every socket in one timer callback stalled the event loop for the whole round: 2,000
 * sockets took 73–105 ms every 30 s (a write per socket), and every delivery in that moment waited
 * behind it — the stock y-websocket server pings each socket on its own timer, so its pings are
 * spread by connection time. Here a round visits every session once, in order, a tick every
 * `interval / TICKS_PER_INTERVAL` visiting the next `size / TICKS_PER_INTERVAL` of them, and a
 * round starts an interval after the previous one: no tick does more than its share. A visit
 * pings the session, or terminates it when the previous round's ping went unanswered.
 */
import type { Clock, TimerHandle } from './clock.js';

/** Ticks per interval: each does 1/30 of the round (2,000 sockets, 30 s: 67 pings a second). */
export const TICKS_PER_INTERVAL = 30;

/** What the heartbeat needs of a session. */
export interface Beating {
	/** A ping is out and no pong came back yet. */
	awaitingPong: boolean;
	/** Monotonic ms of the last ping sent. */
	pingSentAt: number;
}

export interface HeartbeatOptions<S extends Beating> {
	sessions: ReadonlySet<S>;
	intervalMs: number;
	clock: Pick<Clock, 'monotonic' | 'setTimeout' | 'clearTimeout'>;
	ping(session: S): void;
	/** The session missed its pong: terminate it. */
	dead(session: S): void;
}

/** Starts the heartbeat (none when `intervalMs` is 0); returns its stop. */
export function startHeartbeat<S extends Beating>(options: HeartbeatOptions<S>): () => void {
	const { sessions, intervalMs, clock } = options;
	if (intervalMs <= 0) return () => undefined;
	const tickMs = Math.max(1, Math.floor(intervalMs / TICKS_PER_INTERVAL));
	// The round under way: a live iterator (sessions that close before their visit are skipped,
	// those that open are visited in this round: a Set's iterator sees both). Null between rounds.
	let cursor: Iterator<S> | null = null;
	let roundStart = -Infinity;
	let timer: TimerHandle | null = null;

	function visit(session: S, now: number) {
		if (!session.awaitingPong) {
			session.awaitingPong = true;
			session.pingSentAt = now;
			options.ping(session);
		} else if (now - session.pingSentAt >= intervalMs / 2) {
			// Unanswered since the last round. Half an interval at least: sessions that closed
			// meanwhile move the others' visits earlier in the round.
			options.dead(session);
		}
	}

	function tick() {
		const now = clock.monotonic();
		// A round starts an interval after the last one did: each session is visited about once
		// per interval, however few there are.
		if (!cursor && now - roundStart >= intervalMs - tickMs / 2) {
			cursor = sessions.values();
			roundStart = now;
		}
		for (
			let budget = Math.ceil(sessions.size / TICKS_PER_INTERVAL);
			cursor && budget > 0;
			budget--
		) {
			const next = cursor.next();
			if (next.done) cursor = null;
			else visit(next.value, now);
		}
		timer = clock.setTimeout(tick, tickMs);
	}
	timer = clock.setTimeout(tick, tickMs);
	return () => {
		clock.clearTimeout(timer);
		timer = null;
	};
}
