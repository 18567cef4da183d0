// Starts the built server for the e2e run on a fresh, temporary data directory.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-e2e-'));
// The e2e server always runs on its own SQLite directory, whatever the environment says.
const { DATABASE_URL: _db, REDIS_URL: _redis, ...env } = process.env;
const child = spawn(process.execPath, ['build/server/main.js'], {
	stdio: 'inherit',
	env: { ...env, DATA_DIR: dataDir }
});
const stop = () => child.kill('SIGTERM');
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
child.on('exit', (code) => {
	rmSync(dataDir, { recursive: true, force: true });
	process.exit(code ?? 0);
});
