/**
 * Orders a race between transactions on one PostgreSQL database (lock-order tests): `control`
 * holds a row lock while the racers start, and `waiting(n)` resolves once n transactions wait on
 * a lock.
 */
import pg from 'pg';

/** Settles at once: a deadlock's rejection must not go unhandled while a test waits. */
export const outcome = (p: Promise<void>) =>
	p.then(
		() => 'ok',
		(e: unknown) => String(e)
	);

/**
 * Two connections that order a race between a store's transactions: `control` holds a row lock,
 * `waiting(n)` resolves once n transactions wait on a lock (asked outside control's transaction:
 * pg_stat_activity is read once per transaction).
 */
export async function lockControl(url: string) {
	const control = new pg.Client({ connectionString: url });
	const observer = new pg.Client({ connectionString: url });
	await Promise.all([control.connect(), observer.connect()]);
	return {
		control,
		async waiting(n: number) {
			for (let i = 0; i < 200; i++) {
				const r = await observer.query<{ n: number }>(
					`SELECT count(*)::int AS n FROM pg_stat_activity
					WHERE datname = current_database() AND wait_event_type = 'Lock'`
				);
				if ((r.rows[0]?.n ?? 0) >= n) return;
				await new Promise((r) => setTimeout(r, 25));
			}
			throw new Error(`${n} transactions never waited on a lock`);
		},
		end: () => Promise.all([control.end(), observer.end()])
	};
}
