import { scryptSync } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scryptNice } from './password-thread';
import { hashPassword, verifyPassword } from './secrets';

const options = { N: 16384, r: 8, p: 1 };

/** Field `n` (1-based, as in proc(5)) of a thread's /proc stat line. */
function statField(tid: string | number, n: number): number {
	const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
	// The command name may hold spaces: fields are counted after its closing parenthesis.
	return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3]);
}
const niceOf = (tid: string | number) => statField(tid, 19);
const niceOfThreads = () => readdirSync('/proc/self/task').map(niceOf);
/** SCHED_IDLE in field 41 (policy). */
const SCHED_IDLE = 5;
const hasChrt = ['/usr/bin/chrt', '/bin/chrt'].some((p) => existsSync(p));

describe('password checks on a nice thread', () => {
	it('derive the same key as scrypt', async () => {
		const salt = Buffer.from('0123456789abcdef');
		const key = await scryptNice('пароль', salt, 32, options);
		expect(key.equals(scryptSync('пароль', salt, 32, options))).toBe(true);
		const stored = await hashPassword('Верный пароль 1');
		expect(await verifyPassword('Верный пароль 1', stored)).toBe(true);
		expect(await verifyPassword('неверный', stored)).toBe(false);
	});

	it.runIf(existsSync('/proc/self/task'))(
		'run nicer than the event loop, so a flood of wrong passwords takes only spare CPU',
		async () => {
			await scryptNice('x', Buffer.alloc(16), 32, options);
			const own = niceOf(process.pid); // the main thread's id is the process's
			expect(Math.max(...niceOfThreads())).toBe(Math.min(19, own + 10));
		}
	);

	it.runIf(existsSync('/proc/self/task') && hasChrt)(
		'run under SCHED_IDLE, so any thread that wakes takes the core from a password check at once',
		async () => {
			await scryptNice('x', Buffer.alloc(16), 32, options);
			const policies = readdirSync('/proc/self/task').map((tid) => statField(tid, 41));
			expect(policies.filter((p) => p === SCHED_IDLE)).toHaveLength(1);
			expect(statField(process.pid, 41)).toBe(0); // the event loop stays SCHED_OTHER
		}
	);
});
