/**
 * Run by allocator.test.ts in a process of its own (the threshold is process-wide): password
 * checks as a flood of sign-ins makes them, then how much the process's RSS grew.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { scryptNice } from '../identity/password-thread';
import { createLogger } from '../logger';
import { pinMmapThreshold } from './allocator';

const rssMb = () =>
	Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;

const setting = process.argv[2] === 'pin' ? pinMmapThreshold({}, createLogger('silent')) : null;
const options = { N: 16384, r: 8, p: 1 };
// The first check starts the thread: its own memory is not what is measured.
await scryptNice('warm-up', randomBytes(16), 32, options);
const before = rssMb();
for (let i = 0; i < 12; i++) await scryptNice(`wrong-${i}`, randomBytes(16), 32, options);
console.log(JSON.stringify({ setting, grownMb: rssMb() - before }));
process.exit(0);
