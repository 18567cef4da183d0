/**
 * Issue 18, the relay's fixed cost: what the process loads at start that an idle relay does not
 * need loads on first use. An idle server (tests/support/idle-imports.ts, a child process) must
 * not have loaded the export and import libraries, the S3 SDK, the clients of databases it was
 * not configured with, nor the schema compilers; that each of them still works on its first use
 * is shown where it is used (curator-api: DOCX/PDF/XLSX exports; identity-import: spreadsheets;
 * attachments and attachments-s3: uploads sniffed by file-type and stored in S3; qr; postgres
 * and cluster tests: pg and ioredis).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isolatedEnv } from './test-storage';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Loaded on first use only (server code: `await import(…)`, or compiled per route on first request). */
const LAZY = [
	'@aws-sdk/client-s3',
	'file-type',
	'exceljs',
	'docx',
	'pdfkit',
	'qrcode',
	'pg',
	'ioredis',
	// The validator compiler; the serializer compiler is fast-json-stringify's index (Fastify's
	// own error serializer needs only its small runtime, `lib/serializer.js`, at start).
	'ajv'
];

describe('the fixed cost of an idle server', () => {
	it('loads no export, import, S3, database-client or schema-compiler library before it is used', () => {
		const run = spawnSync(
			process.execPath,
			['--import', 'tsx', path.join(ROOT, 'tests/support/idle-imports.ts')],
			{ cwd: ROOT, env: isolatedEnv(), encoding: 'utf8', timeout: 120_000 }
		);
		expect(run.status, run.stderr).toBe(0);
		const { packages, modules } = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as {
			packages: string[];
			modules: string[];
		};
		// The probe sees what loaded: the server's own libraries are there.
		expect(packages).toEqual(expect.arrayContaining(['fastify', 'yjs', 'better-sqlite3', 'ws']));
		expect(packages.filter((p) => LAZY.includes(p) || p.startsWith('@smithy/'))).toEqual([]);
		expect(modules.filter((m) => m.startsWith('fast-json-stringify/index.'))).toEqual([]);
	}, 150_000);
});
