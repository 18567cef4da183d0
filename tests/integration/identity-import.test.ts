import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerSecret } from '../../server/auth/secret';
import { deriveTokenKey, verifyAccessToken } from '../../server/auth/tokens';
import { createIdentity } from '../../server/identity/index';
import { createIdentityStore } from '../../server/identity/sql-store';
import { createPrograms } from '../../server/programs/index';
import { formatImportErrors, importPeople, readXlsx } from '../../server/identity/import';
import { blankPerson } from '../../server/identity/model';
import { SYSTEM_ACTOR, type IdentityService } from '../../server/identity/service';
import { createLogger } from '../../server/logger';
import { openStorage, type Storage } from '../../server/storage/index';
import { isolatedEnv, testStorageEnv, type TestStorageEnv } from './test-storage';

const run = promisify(execFile);

/** DATABASE_URL of this file's test database (TEST_STORAGE=postgres), else nothing. */
let storageEnv: Record<string, string> = {};

/** Runs the real CLI (`npm run cli -- …`) on a data directory. */
async function cli(
	dataDir: string,
	...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
	try {
		const r = await run(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], {
			env: isolatedEnv({ DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...storageEnv })
		});
		return { code: 0, stdout: r.stdout, stderr: r.stderr };
	} catch (error) {
		const e = error as { code: number; stdout: string; stderr: string };
		return { code: e.code, stdout: e.stdout, stderr: e.stderr };
	}
}

const HEADER = [
	'ФИО',
	'Роль',
	'Должность',
	'E-mail',
	'Телефон',
	'Дата рождения',
	'Стаж',
	'Категория',
	'Требования к наставнику выполнены',
	'Наставник',
	'Законный представитель',
	'Дата согласия'
];

/** 200 data rows (lines 2–201): 180 mentees paired with 20 mentors; lines 17, 42, 88, 120 and 150 are wrong. */
function table(): string[][] {
	const rows: string[][] = [];
	for (let i = 0; i < 200; i++) {
		const line = i + 2;
		const mentor = i >= 180;
		const name = mentor ? `Наставник${i} Иван Петрович` : `Наставляемый${i} Олег Ильич`;
		const row = [
			name,
			mentor ? 'наставник' : 'наставляемый',
			mentor ? 'учитель математики' : 'учитель истории',
			`person${i}@school.ru`,
			`+7 913 000-${String(i).padStart(2, '0')}-00`,
			mentor ? '12.03.1975' : '1999-07-01',
			mentor ? '20' : '1,5',
			mentor ? 'высшая' : '',
			mentor ? 'да' : '',
			mentor ? '' : `Наставник${180 + (i % 20)} Иван Петрович`,
			'',
			''
		];
		if (line === 17) row[0] = '';
		if (line === 42) row[1] = 'директор';
		if (line === 88) row[5] = '31.02.1990';
		if (line === 120) row[3] = 'ivanov@';
		if (line === 150) row[5] = '01.09.2013'; // a minor put into a pair without a consent
		if (line === 160) {
			row[5] = '01.09.2012'; // a minor with a consent: fine
			row[10] = 'Иванова Мария Петровна';
			row[11] = '01.09.2026';
		}
		rows.push(row);
	}
	return rows;
}

const EXPECTED = [
	'Строка 17: не указано ФИО',
	'Строка 42: неизвестная роль «директор» (допустимо: наставник, наставляемый, куратор, руководитель)',
	'Строка 88: некорректная дата рождения «31.02.1990» (ожидается ДД.ММ.ГГГГ)',
	'Строка 120: некорректный e-mail «ivanov@»',
	'Строка 150: несовершеннолетнего нельзя включить в пару без согласия законного представителя'
];

function csv(rows: string[][], delimiter = ';'): string {
	const q = (s: string) => (/[;",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
	return '\uFEFF' + [HEADER, ...rows].map((r) => r.map(q).join(delimiter)).join('\r\n') + '\r\n';
}

async function xlsx(rows: string[][]): Promise<Buffer> {
	const wb = new ExcelJS.Workbook();
	const ws = wb.addWorksheet('Реестр');
	ws.addRow(HEADER);
	for (const r of rows) ws.addRow(r);
	return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('import of people and pairs', () => {
	let root: string;
	let dataDir: string;
	let storage: Storage;
	let testStorage: TestStorageEnv;
	let secret: string;
	const count = async (sql: string, params: unknown[] = []) =>
		Number((await storage.sql.get<{ n: number }>(sql, params))?.n);
	let identity: IdentityService;
	let orgId: string;

	const peopleCount = () =>
		count('SELECT COUNT(*) AS n FROM people WHERE organization_id = ?', [orgId]);

	beforeAll(async () => {
		root = mkdtempSync(path.join(tmpdir(), 'nastavnik-import-'));
		dataDir = path.join(root, 'data');
		testStorage = await testStorageEnv();
		storageEnv = testStorage.env;
		const setupArgs = [
			'setup',
			'--municipality',
			'Город Томск',
			'--organization',
			'МАОУ СОШ № 7',
			'--curator',
			'Смирнова Елена Викторовна'
		];
		// Without PUBLIC_URL or --origin the CLI does not guess an address (it printed
		// http://localhost:3000 whatever the server's port): it refuses, in English, creating nothing.
		const refused = await cli(dataDir, ...setupArgs);
		expect(refused.code).toBe(2);
		expect(refused.stderr).toContain('PUBLIC_URL is not set');
		expect(refused.stdout).not.toContain('invite#');
		const setup = await cli(dataDir, ...setupArgs, '--origin', 'http://192.168.1.20:8080');
		expect(setup.code, setup.stderr).toBe(0);
		orgId = /Организация:\s+.*\(([0-9a-f-]{36})\)/.exec(setup.stdout)?.[1] ?? '';
		expect(setup.stdout).toMatch(
			/Ссылка-приглашение куратора \(одноразовая\): http:\/\/192\.168\.1\.20:8080\/invite#[A-Za-z0-9_-]{43}/
		);
		storage = await openStorage({
			dataDir,
			databaseUrl: testStorage.env.DATABASE_URL ?? null
		});
		secret = await loadServerSecret(storage.sql);
		identity = createIdentity({
			store: createIdentityStore(storage.sql),
			secret,
			logger: createLogger('silent')
		});
	});

	afterAll(async () => {
		await storage?.close();
		await testStorage?.cleanup();
		rmSync(root, { recursive: true, force: true });
	});

	it('dry run of a CSV (Excel, «;», BOM) lists exactly the 5 wrong rows, in Russian, and writes nothing', async () => {
		const file = path.join(root, 'people.csv');
		writeFileSync(file, csv(table()));
		const before = await peopleCount();
		const r = await cli(dataDir, 'import', '--organization', orgId, '--file', file, '--dry-run');
		expect(r.code).toBe(3);
		const lines = r.stdout.trim().split('\n');
		expect(lines.filter((l) => l.startsWith('Строка '))).toEqual(EXPECTED);
		expect(lines.at(-2)).toBe(
			'Строк: 200, с ошибками: 5; будет добавлено: людей 195, пар 175, согласий 1.'
		);
		expect(await peopleCount()).toBe(before);
	});

	it('dry run of the same table as XLSX reports the same rows', async () => {
		const rows = await readXlsx(await xlsx(table()));
		expect(rows).toHaveLength(200);
		const report = await importPeople(identity, SYSTEM_ACTOR, orgId, rows, { dryRun: true });
		expect(formatImportErrors(report)).toEqual(EXPECTED);
		expect(report.valid).toBe(195);
	});

	it('the real import adds the 195 good rows with roles, pairs, the consent and audit entries, atomically', async () => {
		const file = path.join(root, 'people.xlsx');
		writeFileSync(file, await xlsx(table()));
		const before = await peopleCount();
		const r = await cli(dataDir, 'import', '--organization', orgId, '--file', file);
		expect(r.code, r.stderr).toBe(0);
		expect(r.stdout).toContain(
			'Строк: 200, с ошибками: 5; добавлено: людей 195, пар 175, согласий 1.'
		);
		expect(await peopleCount()).toBe(before + 195);
		expect(
			await count(
				"SELECT COUNT(*) AS n FROM role_assignments WHERE organization_id = ? AND role = 'mentor'",
				[orgId]
			)
		).toBe(20);
		expect(await count('SELECT COUNT(*) AS n FROM pairs WHERE organization_id = ?', [orgId])).toBe(
			175
		);
		expect(
			await count(
				"SELECT COUNT(*) AS n FROM audit_log WHERE action = 'person.import' AND actor_id = 'system'"
			)
		).toBe(195);
		const minor = (await identity.store.people.listByOrganization(orgId)).find(
			(p) => p.fullName === 'Наставляемый158 Олег Ильич'
		);
		expect(minor?.minor).toBe(true);
		expect(await identity.store.people.hasActiveConsent(minor?.id ?? '')).toBe(true);
	});

	it('a failing batch leaves nothing behind (one transaction)', async () => {
		const before = await peopleCount();
		const now = Date.now();
		const person = (id: string) =>
			blankPerson(
				{ id, organizationId: orgId, municipalityId: null, fullName: 'Проверка Атомарности' },
				now
			);
		await expect(
			identity.store.people.importBatch({
				people: [person('atomic-1'), person('atomic-2')],
				roles: [],
				consents: [],
				// The mentor does not exist: the foreign key fails after both people were inserted.
				pairs: [
					{
						id: 'p',
						organizationId: orgId,
						mentorId: 'nobody',
						menteeId: 'atomic-1',
						programId: null,
						createdAt: now
					}
				],
				audit: []
			})
		).rejects.toThrow();
		expect(await peopleCount()).toBe(before);
	});

	it('`token` mints a relay token for an operator, honouring the policy', async () => {
		const curator = (
			await storage.sql.get<{ person_id: string }>(
				"SELECT person_id FROM role_assignments WHERE role = 'curator' AND organization_id = ?",
				[orgId]
			)
		)?.person_id as string;
		const people = await identity.store.people.listByOrganization(orgId);
		const mentor = people.find((p) => p.fullName === 'Наставник181 Иван Петрович');
		const mentee = people.find((p) => p.fullName === 'Наставляемый21 Олег Ильич');
		const programs = createPrograms({
			identity,
			documents: storage.documents,
			logger: createLogger('silent')
		});
		const program = await programs.createProgram(await identity.actorFor(curator), {
			organizationId: orgId,
			templateId: 'tomsk-heads-beginner',
			startDate: '2026-09-01',
			participants: [
				{ personId: mentor?.id ?? '', role: 'mentor' },
				{ personId: mentee?.id ?? '', role: 'mentee' }
			]
		});
		const key = deriveTokenKey(secret);

		const rw = await cli(
			dataDir,
			'token',
			'--user',
			mentor?.id ?? '',
			'--program',
			program.id,
			'--ttl',
			'2h'
		);
		expect(rw.code, rw.stderr).toBe(0);
		const v = verifyAccessToken(key, rw.stdout.trim());
		expect(v.ok && v.claims).toMatchObject({
			userId: mentor?.id,
			programId: program.id,
			access: 'rw'
		});
		if (v.ok) expect(v.claims.expiresAt - Date.now()).toBeGreaterThan(119 * 60_000);

		const ro = await cli(
			dataDir,
			'token',
			'--user',
			mentor?.id ?? '',
			'--program',
			program.id,
			'--access',
			'ro'
		);
		const vro = verifyAccessToken(key, ro.stdout.trim());
		expect(vro.ok && vro.claims.access).toBe('ro');

		// The curator only reads: the token says ro unless forced.
		const cur = await cli(dataDir, 'token', '--user', curator, '--program', program.id);
		const vc = verifyAccessToken(key, cur.stdout.trim());
		expect(vc.ok && vc.claims.access).toBe('ro');

		const stranger = people.find((p) => p.fullName === 'Наставляемый22 Олег Ильич');
		const denied = await cli(
			dataDir,
			'token',
			'--user',
			stranger?.id ?? '',
			'--program',
			program.id
		);
		expect(denied.code).toBe(1);
		expect(denied.stdout).toBe('');

		const bad = await cli(
			dataDir,
			'token',
			'--user',
			'x',
			'--program',
			program.id,
			'--ttl',
			'soon'
		);
		expect(bad.code).toBe(2);
	});
});
