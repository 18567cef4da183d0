/**
 * This thread's id in the kernel, for what Linux keeps per thread: its nice value, its CPU in
 * /proc/self/task/<tid>/stat. The last part of /proc/thread-self; null where there is none (not
 * Linux). (server/identity/password-thread.ts reads it too, inside a worker's evaluated source.)
 */
import { readlinkSync } from 'node:fs';

export function kernelThreadId(): number | null {
	try {
		const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
		return Number.isInteger(tid) && tid > 0 ? tid : null;
	} catch {
		return null;
	}
}
