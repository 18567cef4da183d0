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
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
