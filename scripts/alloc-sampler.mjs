/**
 * What a process allocates, by function: V8's sampling heap profiler, counting the objects the
 * collector already freed too (a relay's per-message garbage is what its GC time pays for).
 * Preloaded into the relay of bench:relay:
 *   BENCH_RELAY_FLAGS="--import ./scripts/alloc-sampler.mjs" \
 *   BENCH_RELAY_ENV='{"ALLOC_PROF_DIR":"/tmp/alloc"}' BENCH_ONLY=relay BENCH_ROUNDS=1 \
 *   BENCH_SCENARIOS=5k-blank BENCH_PHASES=load npm run bench:relay
 * then `node scripts/profile-summary.mjs /tmp/alloc/<pid>.heapprofile`. Samples from
 * ALLOC_PROF_FROM_S (20) to ALLOC_PROF_TO_S (45) seconds after the process started: inside a
 * blank scenario's measured window (set-up ~5 s, warm-up 10 s, 30 s measured).
 */
import { writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.ALLOC_PROF_DIR;
if (isMainThread && dir) {
	const session = new inspector.Session();
	session.connect();
	const fail = (what) => (error) => {
		if (error) console.error(`alloc-sampler: ${what} failed: ${error.message}`);
	};
	setTimeout(
		() => {
			session.post('HeapProfiler.enable', fail('enable'));
			session.post(
				'HeapProfiler.startSampling',
				{
					samplingInterval: 4096,
					includeObjectsCollectedByMajorGC: true,
					includeObjectsCollectedByMinorGC: true
				},
				fail('start')
			);
		},
		Number(process.env.ALLOC_PROF_FROM_S ?? 20) * 1000
	).unref();
	setTimeout(
		() =>
			session.post('HeapProfiler.stopSampling', (error, result) => {
				if (error) return fail('stop')(error);
				writeFileSync(path.join(dir, `${process.pid}.heapprofile`), JSON.stringify(result.profile));
			}),
		Number(process.env.ALLOC_PROF_TO_S ?? 45) * 1000
	).unref();
}
