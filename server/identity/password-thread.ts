/**
 * scrypt on a thread of its own that runs nicer than everything else (issue 14, parallel-logins).
 * In libuv's pool a password check runs at the process's priority: 400 wrong passwords in flight
 * kept a whole core busy and took it from the relay's loop and its phones (bench:abuse 02:52:
 * honest p99 ×27). On this thread (Linux: a thread has its own nice value) the checks take only
 * the CPU that nobody else wants; they still run one after another, as many as before.
 *
 * The thread is plain JavaScript evaluated as a script (no build entry, same in tests and in the
 * bundle), started on the first check and ended after a minute without one, so an idle server
 * and the CLI carry no thread. Where it cannot start, checks fall back to libuv's pool.
 */
import { scrypt, type ScryptOptions } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { trimAfterThreadExit } from '../memory/allocator.js';

/** How much nicer than the event loop (like the worker pool's WORKER_NICE default). */
const NICE = 10;
const IDLE_MS = 60_000;

const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
const { readlinkSync } = require('node:fs');
const { getPriority, setPriority } = require('node:os');
try {
	const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
	if (Number.isInteger(tid) && tid > 0) {
		setPriority(tid, Math.min(19, getPriority(tid) + ${NICE}));
		try {
			// SCHED_IDLE: any waking thread of the machine preempts this one at once (nice alone
			// still takes a share and waits for the scheduler's granularity). util-linux's chrt;
			// lowering one's own policy needs no privilege.
			require('node:child_process').execFileSync('chrt', ['--idle', '-p', '0', String(tid)], {
				stdio: 'ignore',
				timeout: 5000
			});
		} catch {
			// no chrt: the nice value above stays
		}
	}
} catch {
	// not Linux, or not allowed: the thread runs at the process's priority
}
parentPort.on('message', (m) => {
	try {
		const key = scryptSync(m.password, Buffer.from(m.salt), m.keylen, m.options);
		parentPort.postMessage({ id: m.id, key });
	} catch (error) {
		parentPort.postMessage({ id: m.id, error: String(error && error.message ? error.message : error) });
	}
});
`;

interface Pending {
	resolve: (key: Buffer) => void;
	reject: (error: Error) => void;
}

let thread: Worker | null = null;
let idle: NodeJS.Timeout | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

function stop(reason: string): void {
	const t = thread;
	thread = null;
	if (idle) clearTimeout(idle);
	idle = null;
	for (const p of pending.values()) p.reject(new Error(reason));
	pending.clear();
	if (t) void t.terminate();
}

function start(): Worker {
	const t = new Worker(SOURCE, { eval: true });
	// Keeps the process alive only while a check is under way (the CLI's setup awaits one);
	// idle, it never holds a process (the CLI, a test) open.
	t.unref();
	t.on('message', (m: { id: number; key?: Uint8Array; error?: string }) => {
		const p = pending.get(m.id);
		if (!p) return;
		pending.delete(m.id);
		if (pending.size === 0) t.unref();
		if (m.key) p.resolve(Buffer.from(m.key));
		else p.reject(new Error(m.error ?? 'scrypt failed'));
	});
	t.on('error', (error) => stop(`password thread failed: ${error.message}`));
	t.on('exit', () => {
		trimAfterThreadExit();
		if (thread === t) stop('password thread exited');
	});
	return t;
}

function viaPool(password: string, salt: Buffer, keylen: number, options: ScryptOptions) {
	return new Promise<Buffer>((resolve, reject) =>
		scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)))
	);
}

/** scrypt on the nice password thread (libuv's pool where a thread cannot be started). */
export function scryptNice(
	password: string,
	salt: Buffer,
	keylen: number,
	options: ScryptOptions
): Promise<Buffer> {
	try {
		thread ??= start();
	} catch {
		return viaPool(password, salt, keylen, options);
	}
	if (idle) clearTimeout(idle);
	idle = setTimeout(() => {
		if (pending.size === 0) stop('idle');
	}, IDLE_MS);
	idle.unref();
	const id = nextId++;
	const t = thread;
	return new Promise<Buffer>((resolve, reject) => {
		if (pending.size === 0) t.ref();
		pending.set(id, { resolve, reject });
		t.postMessage({ id, password, salt, keylen, options });
	});
}
