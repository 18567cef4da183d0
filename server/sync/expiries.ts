/**
 * Closes each session with 4408 when its grant expires, with one timer for all of them, set for
 * the earliest expiry. A timer per session (a Node `Timeout`, its closure and context, and a
 * timer list for each distinct delay) was ~0.3 KB of heap for every idle connection (issue 18,
 * the relay's idle memory); here a session costs an entry in a due queue.
 */
import type { Clock, TimerHandle } from './clock.js';
import { DueQueue } from './due-queue.js';
import type { CloseSession, Session } from './session.js';
import { CloseCode } from './protocol.js';

export interface Expiries {
	/** Watches the session's grant (closes it now when it has already expired). */
	watch(session: Session): void;
	/** The session closed: its grant no longer needs watching. */
	forget(session: Session): void;
}

export function sessionExpiries(clock: Clock, close: CloseSession): Expiries {
	const due = new DueQueue<Session>();
	let timer: TimerHandle | null = null;
	/** When the armed timer fires (Infinity: none armed). */
	let armedFor = Infinity;

	function expire(session: Session) {
		close(session, CloseCode.AUTH_EXPIRED, 'auth expired');
	}

	function arm() {
		const next = due.nextAt();
		if (next === undefined || next >= armedFor) return;
		clock.clearTimeout(timer);
		armedFor = next;
		// The clock caps long delays (MAX_TIMER_MS): a timer that fires early finds nothing due
		// and arms again.
		timer = clock.setTimeout(fire, Math.max(0, next - clock.now()));
	}

	function fire() {
		timer = null;
		armedFor = Infinity;
		const now = clock.now();
		for (let session = due.pop(now); session; session = due.pop(now)) expire(session);
		arm();
	}

	return {
		watch(session) {
			if (session.info.expiresAt <= clock.now()) {
				expire(session);
				return;
			}
			due.set(session, session.info.expiresAt);
			arm();
		},
		forget(session) {
			due.delete(session);
			if (due.size === 0) {
				clock.clearTimeout(timer);
				timer = null;
				armedFor = Infinity;
			}
		}
	};
}
