/**
 * Run by allocator.test.ts in a process of its own (the threshold is process-wide): `passwords`
 * makes password checks as a flood of sign-ins does; `worker` has the pool start a worker and let
 * it end idle, as the start-up check does. Prints how much the process's anonymous resident memory
 * grew (what it allocated; the binary's pages that a worker's start touches are file pages).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { scryptNice } from '../identity/password-thread';
import { createLogger } from '../logger';
import { WorkerPool } from '../workers/pool';
import { pinMmapThreshold } from './allocator';

const anonMb = () =>
	Number(/^RssAnon:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;

const [mode, scenario] = process.argv.slice(2);
const logger = createLogger('silent');
const setting = mode === 'pin' ? pinMmapThreshold({}, logger) : null;
let before: number;
if (scenario === 'worker') {
	// The pool's workers never keep a process alive while they start or wait.
	const alive = setInterval(() => {}, 1000);
	before = anonMb();
	const pool = new WorkerPool({
		threads: 1,
		taskTimeoutMs: 60_000,
		maxMemoryMb: 256,
		logger,
		idleMs: 100
	});
	await pool.run('ping', { value: 1 });
	while (pool.load.workers > 0) await sleep(50);
	// The trim runs a second after the worker's end; RSS is read after it.
	await sleep(2_000);
	clearInterval(alive);
} else {
	const options = { N: 16384, r: 8, p: 1 };
	// The first check starts the thread: its own memory is not what is measured.
	await scryptNice('warm-up', randomBytes(16), 32, options);
	before = anonMb();
	for (let i = 0; i < 12; i++) await scryptNice(`wrong-${i}`, randomBytes(16), 32, options);
}
console.log(JSON.stringify({ setting, grownMb: anonMb() - before }));
process.exit(0);
