import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { secureDataDir } from './data-files';

const mode = (p: string) => statSync(p).mode & 0o777;

describe('data directory permissions', () => {
	const roots: string[] = [];
	afterEach(() => {
		for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
	});
	const root = () => {
		const r = mkdtempSync(path.join(tmpdir(), 'nastavnik-data-files-'));
		roots.push(r);
		return r;
	};

	it('creates the directory 0700 and the database 0600, whatever the umask', () => {
		const old = process.umask(0o022);
		try {
			const dir = path.join(root(), 'data', 'nested');
			expect(secureDataDir(dir, 'db.sqlite')).toEqual([]);
			expect(mode(dir)).toBe(0o700);
			expect(mode(path.join(dir, 'db.sqlite'))).toBe(0o600);
		} finally {
			process.umask(old);
		}
	});

	it('takes group and other permissions away from an existing directory and its files, and reports each', () => {
		const dir = path.join(root(), 'data');
		mkdirSync(dir);
		chmodSync(dir, 0o755);
		writeFileSync(path.join(dir, 'db.sqlite'), '');
		chmodSync(path.join(dir, 'db.sqlite'), 0o644);
		writeFileSync(path.join(dir, 'db.sqlite-wal'), '');
		chmodSync(path.join(dir, 'db.sqlite-wal'), 0o664);
		const fixes = secureDataDir(dir, 'db.sqlite');
		expect(fixes.map((f) => [path.basename(f.path), f.from, f.to])).toEqual([
			['data', '0755', '0700'],
			['db.sqlite', '0644', '0600'],
			['db.sqlite-wal', '0664', '0600']
		]);
		expect(secureDataDir(dir, 'db.sqlite')).toEqual([]);
	});

	it("never widens an operator's stricter mode", () => {
		const dir = path.join(root(), 'data');
		mkdirSync(dir);
		writeFileSync(path.join(dir, 'db.sqlite'), '');
		chmodSync(path.join(dir, 'db.sqlite'), 0o400);
		secureDataDir(dir, 'db.sqlite');
		expect(mode(path.join(dir, 'db.sqlite'))).toBe(0o400);
	});
});
