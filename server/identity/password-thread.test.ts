import { scryptSync } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scryptNice } from './password-thread';
import { hashPassword, verifyPassword } from './secrets';

const options = { N: 16384, r: 8, p: 1 };

/** The nice value of each thread of this process (Linux /proc; field 19 of stat). */
function niceOf(tid: string | number): number {
	const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
	// The command name may hold spaces: fields are counted after its closing parenthesis.
	return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}
const niceOfThreads = () => readdirSync('/proc/self/task').map(niceOf);

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
});
