/**
 * The measured server with a CPU profile of its main thread (`--cpu-prof` is not allowed in
 * NODE_OPTIONS): `BENCH_ABUSE_PROFILE_DIR=/tmp/prof npm run bench:abuse -- --only <id>` runs
 * build/server/main.js through this file, which writes `<dir>/main-<pid>.cpuprofile` on exit
 * (open it in Chrome DevTools or speedscope).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { PerformanceObserver } from 'node:perf_hooks';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.env.BENCH_ABUSE_PROFILE_DIR ?? '.';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');
// And every collection's pause (kind, start, duration), written beside the profile: a profile
// names "(garbage collector)" but not which collection it was.
const collections = [];
const gcKinds = { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental', 8: 'weak-callbacks' };
new PerformanceObserver((list) => {
	for (const e of list.getEntries())
		collections.push([
			gcKinds[e.detail?.kind] ?? e.detail?.kind,
			Math.round(e.startTime),
			+e.duration.toFixed(2)
		]);
}).observe({ entryTypes: ['gc'] });
let written = false;
function writeProfile() {
	if (written) return;
	written = true;
	// In-thread inspector messages are dispatched synchronously: the profile is written here.
	session.post('Profiler.stop', (error, result) => {
		if (!error)
			writeFileSync(
				path.join(dir, `main-${process.pid}.cpuprofile`),
				JSON.stringify(result.profile)
			);
		writeFileSync(path.join(dir, `gc-${process.pid}.json`), JSON.stringify(collections));
	});
}
// At SIGTERM already (listeners run in order; the server's own shutdown may outlast the
// driver's patience and end in SIGKILL), and at any other exit.
process.on('SIGTERM', writeProfile);
process.on('exit', writeProfile);
// The bundle the driver measures (BENCH_ABUSE_SERVER_ENTRY, else build/server/main.js).
const entry = process.env.BENCH_ABUSE_PROFILED_ENTRY;
await import(
	entry ? pathToFileURL(entry).href : new URL('../../build/server/main.js', import.meta.url).href
);
