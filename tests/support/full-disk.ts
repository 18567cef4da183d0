import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Mounts a tmpfs of `size` (e.g. '24m') on the existing directory `dir`, for a disk a test can
 * fill. Mounting needs root: returns why it could not, or null once mounted.
 */
export function mountTmpfs(dir: string, size: string): string | null {
	try {
		execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
		return null;
	} catch (error) {
		return `cannot mount a tmpfs (${(error as Error).message.split('\n')[0]})`;
	}
}

/** Unmounts what `mountTmpfs` mounted (lazily: a process may still hold a file there). */
export function unmountTmpfs(dir: string): void {
	execFileSync('umount', ['-l', dir]);
}

/** Whether a disk-full test must run here rather than skip: under CI, or as root (who can mount). */
export const mustMountTmpfs = (): boolean => Boolean(process.env.CI) || process.getuid?.() === 0;

/**
 * Writes filler files into `dir` (a small tmpfs a test mounted) until its disk is full, the last
 * bytes too: a small write must fail as well. Returns their paths, for `freeDisk`.
 */
export function fillDisk(dir: string): string[] {
	const filler = path.join(dir, 'filler.bin');
	const tail = path.join(dir, 'filler-2.bin');
	const fd = openSync(filler, 'w');
	const chunk = Buffer.alloc(64 * 1024, 1);
	try {
		for (;;) writeSync(fd, chunk);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
	} finally {
		closeSync(fd);
	}
	try {
		const fd2 = openSync(tail, 'w');
		try {
			for (;;) writeSync(fd2, Buffer.alloc(512, 1));
		} finally {
			closeSync(fd2);
		}
	} catch {
		// full
	}
	return [filler, tail];
}

/** Removes what `fillDisk` wrote. */
export function freeDisk(fillers: string[]): void {
	for (const file of fillers) rmSync(file, { force: true });
}
