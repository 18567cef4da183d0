/**
 * The flags the server's Node process runs with, wherever it is started: `npm start` and
 * `npm run serve` (package.json), the systemd unit (docs/deploy.md), the test factory's child
 * servers and the benchmarks. `node-flags.test.ts` checks that package.json and the deploy
 * guide say the same.
 *
 * `--max-semi-space-size=4` (MB; Node 20–24 default up to 16): V8's young generation, where
 * every message's short-lived objects are born. With 4 MB each scavenge has less to walk and
 * copy: bench:relay 1,000 × 2 × 1/s gave p99 21–22 ms against 56–68 ms, CPU per 1,000 delivered
 * 104–112 against 109–125 ms and RSS 177–179 against 194–199 MB; bench:abuse slow-connections
 * (19,400 sockets opened in 2 s, each surviving a few scavenges) 1.87–1.89× of the quiet p99
 * against 1.79–2.36× (docs/benchmarks.md, 2026-11-24). 1 and 2 MB cost more CPU (131 ms).
 *
 * `--no-parallel-scavenge`: each isolate (the event loop's, every worker's) collects its young
 * generation on its own thread instead of sharing the work with V8's four helper threads. Young
 * generations of 4 MB are too small for the parallel work to pay: in bench:relay's pattern
 * (programs edited every 5 s, summaries decoding two-year programs in the worker pool) the
 * helpers used as much CPU as the event loop, and the relay's CPU per 1,000 delivered fell from
 * 534–599 to 456–483 ms without them, with p99 unchanged (6.7–7.3 ms); the standard loads did not
 * move (1,000 × 2 blank 71.2 / 72.5 ms, 5,000 × 2 67.9 / 68.6, peak 10,970 / 11,097 delivered/s).
 * A summary's scavenges then run on the thread its budget measures (server/sync/cpu-time.ts), so
 * 2 % of a core is what summaries take, no longer ~2 % charged plus their helpers uncharged.
 * `--single-threaded-gc` (no concurrent marking either) saved no more in the pattern and cost
 * 5,000 × 2 CPU and p99 (78.1 ms, p99 166 ms). docs/benchmarks.md, 2026-11-27.
 */
export const SERVER_NODE_FLAGS: readonly string[] = [
	'--max-semi-space-size=4',
	'--no-parallel-scavenge'
];
