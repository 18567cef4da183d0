/**
 * The curator's records on the real server and database (issue 16), each written the way the
 * defect was found: concurrent creation requests with one key (a double click, a retry), a CSV
 * saved by Russian Excel (Windows-1251), the same person imported twice and added by hand twice,
 * a duplicate program closed as «недолжное исполнение» (a failure) vs cancelled, and removal of a
 * person's personal data on request.
 */
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardResult } from '../../server/curator/dashboard';
import type { Figures } from '../../src/lib/shared/api/curator';
import type {
	DuplicateGroupsResponse,
	EraseResponse,
	MergeResponse
} from '../../src/lib/shared/api/records';
import { startCuratorServer, type CuratorTestServer } from './curator-server';

let t: CuratorTestServer;
let mentorId: string;
let menteeId: string;

const json = async <T>(res: Response, status = 200): Promise<T> => {
	const text = await res.text();
	expect(res.status, text).toBe(status);
	return JSON.parse(text) as T;
};

async function programsOfOrg(): Promise<Array<{ id: string; title: string }>> {
	return (
		await json<{ programs: Array<{ id: string; title: string }> }>(
			await t.get(`/api/organizations/${t.organizationId}/programs`, t.curatorCookie)
		)
	).programs;
}

const createBody = (requestKey?: string) => ({
	organizationId: t.organizationId,
	templateId: 'blank',
	participants: [
		{ personId: mentorId, role: 'mentor' },
		{ personId: menteeId, role: 'mentee' }
	],
	...(requestKey ? { requestKey } : {})
});

beforeAll(async () => {
	t = await startCuratorServer({ RELAY_SUMMARY_DEBOUNCE_MS: '20' });
	mentorId = (await t.person('Иванова Мария Петровна', null)).id;
	menteeId = (await t.person('Петров Сергей Ильич', null)).id;
}, 120_000);

afterAll(async () => {
	await t?.close();
});

describe('idempotent creation', () => {
	it('five concurrent requests with one key (a double click, retries) make one program', async () => {
		const before = (await programsOfOrg()).length;
		const key = 'click-0123456789abcdef';
		const answers = await Promise.all(
			Array.from({ length: 5 }, () => t.post('/api/programs', createBody(key), t.curatorCookie))
		);
		const ids = new Set<string>();
		for (const res of answers)
			ids.add((await json<{ program: { id: string } }>(res, 201)).program.id);
		expect(ids.size).toBe(1);
		// A retry much later still answers with the same program.
		const again = await json<{ program: { id: string } }>(
			await t.post('/api/programs', createBody(key), t.curatorCookie),
			201
		);
		expect(ids.has(again.program.id)).toBe(true);
		expect((await programsOfOrg()).length).toBe(before + 1);
		// Another key is another program; the key is per person, and a refused request frees it.
		const bad = await t.post(
			'/api/programs',
			{ ...createBody('refused-0123456789'), templateId: 'no-such-template' },
			t.curatorCookie
		);
		expect(bad.status).toBe(400);
		await json(
			await t.post('/api/programs', createBody('refused-0123456789'), t.curatorCookie),
			201
		);
		expect((await programsOfOrg()).length).toBe(before + 2);
	});
});

const HEADER = 'ФИО;Роль;Должность;E-mail;Телефон;Дата рождения;Наставник';
const ROWS = [
	'Кузнецова Ольга Юрьевна;наставник;учитель русского языка;kuznetsova@school.ru;+7 913 111-22-33;12.03.1975;',
	'Семёнов Артём Игоревич;наставляемый;учитель истории;semenov@school.ru;8 913 222-33-44;01.07.1999;Кузнецова Ольга Юрьевна',
	'Щукина Эльвира Фёдоровна;наставляемый;учитель химии;;;05.05.2000;Кузнецова Ольга Юрьевна'
];
const csv = (lines: string[]) => [HEADER, ...lines].join('\r\n') + '\r\n';

async function importFile(name: string, bytes: Buffer, dryRun: boolean) {
	return t.post(
		`/api/organizations/${t.organizationId}/import`,
		{ fileName: name, content: bytes.toString('base64'), dryRun },
		t.curatorCookie
	);
}

type ImportAnswer = {
	report: {
		total: number;
		errors: unknown[];
		adds: { people: number; pairs: number };
		existing: Array<{ line: number; personId: string }>;
	};
	messages: string[];
};

async function bank() {
	return (
		await json<{
			people: Array<{ id: string; fullName: string; active: boolean; email: string | null }>;
		}>(await t.get(`/api/organizations/${t.organizationId}/people`, t.curatorCookie))
	).people;
}

describe('import of a CSV saved by Russian Excel', () => {
	it('reads Windows-1251, adds the rows, and a second import adds nobody twice', async () => {
		const cp1251 = iconv.encode(csv(ROWS), 'win1251');
		// The file really is not UTF-8 (what the import used to assume).
		expect(() => new TextDecoder('utf-8', { fatal: true }).decode(cp1251)).toThrow();
		const dry = await json<ImportAnswer>(await importFile('bank.csv', cp1251, true));
		expect(dry.messages).toEqual([]);
		expect(dry.report).toMatchObject({ total: 3, errors: [], adds: { people: 3, pairs: 2 } });
		const real = await json<ImportAnswer>(await importFile('bank.csv', cp1251, false));
		expect(real.report.adds).toMatchObject({ people: 3, pairs: 2 });
		const names = (await bank()).map((p) => p.fullName);
		for (const n of [
			'Кузнецова Ольга Юрьевна',
			'Семёнов Артём Игоревич',
			'Щукина Эльвира Фёдоровна'
		])
			expect(names).toContain(n);

		// The same people again, in UTF-8, one with another spelling of «ё» and case, one by e-mail only.
		const again = Buffer.from(
			csv([
				'КУЗНЕЦОВА ОЛЬГА ЮРЬЕВНА;наставник;учитель;;;12.03.1975;',
				'Семенов А. И.;наставляемый;;Semenov@School.ru;;;Кузнецова Ольга Юрьевна',
				'Новикова Дарья Олеговна;наставляемый;;;;;Кузнецова Ольга Юрьевна'
			]),
			'utf8'
		);
		const second = await json<ImportAnswer>(await importFile('bank2.csv', again, false));
		expect(second.report.adds.people).toBe(1);
		expect(second.report.existing.map((e) => e.line)).toEqual([2, 3]);
		expect(second.messages.join('\n')).toContain('уже есть в банке');
		const people = await bank();
		expect(people.filter((p) => /кузнецова/i.test(p.fullName))).toHaveLength(1);
		expect(people.filter((p) => p.email === 'semenov@school.ru')).toHaveLength(1);
	});

	it('a file in neither UTF-8 nor Windows-1251 is refused with a Russian message that says so', async () => {
		const koi8 = iconv.encode(csv(ROWS), 'koi8-r');
		const res = await importFile('bank.csv', koi8, true);
		const body = await json<{ message: string }>(res, 400);
		expect(body.message).toContain('UTF-8');
		expect(body.message).toContain('Windows-1251');
		expect(body.message).not.toContain('ФИО');
		const binary = Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x41]);
		const b = await json<{ message: string }>(
			await importFile('x.csv', Buffer.concat([Buffer.from('ab'), binary]), true),
			400
		);
		expect(b.message).toMatch(/UTF-8|двоичные/);
	});
});

describe('duplicates and their merge', () => {
	it('a manual add of a person already in the bank is caught; the merge keeps both records’ programs and access', async () => {
		const people = `/api/organizations/${t.organizationId}/people`;
		const first = await json<{ person: { id: string } }>(
			await t.post(
				people,
				{ fullName: 'Орлова Вера Николаевна', birthDate: '1990-02-03', phone: '+7 913 555-66-77' },
				t.curatorCookie
			),
			201
		);
		const refused = await json<{ error: string; candidates: Array<{ id: string }> }>(
			await t.post(
				people,
				{ fullName: 'орлова  вера николаевна', email: 'orlova@school.ru' },
				t.curatorCookie
			),
			409
		);
		expect(refused.error).toBe('duplicate_person');
		expect(refused.candidates.map((c) => c.id)).toEqual([first.person.id]);
		const second = await json<{ person: { id: string } }>(
			await t.post(
				people,
				{
					fullName: 'Орлова Вера Николаевна',
					email: 'orlova@school.ru',
					position: 'учитель физики',
					allowDuplicate: true
				},
				t.curatorCookie
			),
			201
		);
		const groups = await json<DuplicateGroupsResponse>(
			await t.get(`/api/organizations/${t.organizationId}/duplicates`, t.curatorCookie)
		);
		const group = groups.groups.find((g) => g.people.some((p) => p.id === second.person.id));
		expect(group?.people.map((p) => p.id).sort()).toEqual(
			[first.person.id, second.person.id].sort()
		);

		// Each record has a program; the duplicate has a signed-in device.
		const program = async (mentee: string) =>
			(
				await json<{ program: { id: string } }>(
					await t.post(
						'/api/programs',
						{
							organizationId: t.organizationId,
							templateId: 'blank',
							participants: [
								{ personId: mentorId, role: 'mentor' },
								{ personId: mentee, role: 'mentee' }
							]
						},
						t.curatorCookie
					),
					201
				)
			).program.id;
		const p1 = await program(first.person.id);
		const p2 = await program(second.person.id);
		const inv = await t.identity.createInvitation(t.admin, { personId: second.person.id });
		const session = await t.identity.redeemInvitation(inv.code, 'test');
		const dupCookie = `nst_session=${session.token}`;

		const merged = await json<MergeResponse>(
			await t.post(
				`/api/people/${first.person.id}/merge`,
				{ duplicateId: second.person.id },
				t.curatorCookie
			)
		);
		expect(merged.filled).toEqual(expect.arrayContaining(['должность', 'e-mail']));
		expect(merged.programs).toBe(1);
		const kept = (await bank()).find((p) => p.id === first.person.id);
		expect(kept).toMatchObject({ email: 'orlova@school.ru', active: true });
		expect((await bank()).find((p) => p.id === second.person.id)?.active).toBe(false);
		// The duplicate's device is signed in as the kept record and has both programs.
		const me = await json<{ person: { id: string }; programs: Array<{ id: string }> }>(
			await t.get('/api/me', dupCookie)
		);
		expect(me.person.id).toBe(first.person.id);
		expect(me.programs.map((p) => p.id).sort()).toEqual([p1, p2].sort());
		const after = await json<DuplicateGroupsResponse>(
			await t.get(`/api/organizations/${t.organizationId}/duplicates`, t.curatorCookie)
		);
		expect(after.groups.some((g) => g.people.some((p) => p.id === first.person.id))).toBe(false);
	});

	it('only a curator merges', async () => {
		const head = await t.person('Руководитель Школы Иванович', 'head');
		const res = await t.post(
			`/api/people/${mentorId}/merge`,
			{ duplicateId: menteeId },
			head.cookie
		);
		expect(res.status).toBe(403);
	});
});

describe('a cancelled program is not a failure', () => {
	it('leaves the dashboard and the figures; restored, it is back; only the curator may', async () => {
		const create = async () =>
			(
				await json<{ program: { id: string } }>(
					await t.post(
						'/api/programs',
						{ ...createBody(), startDate: '2025-09-01' },
						t.curatorCookie
					),
					201
				)
			).program.id;
		const figures = async () =>
			(
				await json<{ figures: Figures }>(
					await t.get(`/api/curator/organizations/${t.organizationId}/figures`, t.curatorCookie)
				)
			).figures;
		const dashboard = async () =>
			json<DashboardResult>(
				await t.get(
					`/api/curator/organizations/${t.organizationId}/dashboard?limit=500`,
					t.curatorCookie
				)
			);
		// The old way out: close the duplicate «по инициативе куратора» — counted as a failure.
		const closed = await create();
		await json(
			await t.post(
				`/api/curator/programs/${closed}/actions`,
				{ action: 'complete', reason: 'curator-initiative', date: '2026-01-15' },
				t.curatorCookie
			)
		);
		const failures = async () => (await figures()).completed.byReason['curator-initiative'] ?? 0;
		const waitFailures = async (n: number) => {
			for (let i = 0; i < 300 && (await failures()) !== n; i++)
				await new Promise((r) => setTimeout(r, 50));
			return failures();
		};
		expect(await waitFailures(1)).toBe(1);

		const mistake = await create();
		const before = await figures();
		const total = (await dashboard()).totals.programs;
		expect((await dashboard()).rows.some((r) => r.programId === mistake)).toBe(true);

		// Not the head, not a participant.
		const head = await t.person('Завуч Петрова Анна', 'head');
		expect(
			(await t.post(`/api/programs/${mistake}/cancel`, { reason: 'duplicate' }, head.cookie)).status
		).toBe(403);
		// The curator cancels it, then cancels the closed one too (a duplicate closed the old way).
		await json(
			await t.post(
				`/api/programs/${mistake}/cancel`,
				{ reason: 'created-by-mistake', note: 'двойной щелчок' },
				t.curatorCookie
			)
		);
		await json(
			await t.post(`/api/programs/${closed}/cancel`, { reason: 'duplicate' }, t.curatorCookie)
		);
		expect(
			(await t.post(`/api/programs/${mistake}/cancel`, { reason: 'duplicate' }, t.curatorCookie))
				.status
		).toBe(409);
		const after = await figures();
		expect(after.programs.total).toBe(before.programs.total - 2);
		expect(after.completed.byReason['curator-initiative'] ?? 0).toBe(0);
		const d = await dashboard();
		expect(d.totals.programs).toBe(total - 2);
		expect(d.rows.some((r) => r.programId === mistake || r.programId === closed)).toBe(false);
		const cancelled = await json<{ programs: Array<{ programId: string; reason: string }> }>(
			await t.get(`/api/organizations/${t.organizationId}/cancelled-programs`, t.curatorCookie)
		);
		expect(cancelled.programs.map((p) => p.programId).sort()).toEqual([closed, mistake].sort());

		await json(await t.post(`/api/programs/${mistake}/restore`, undefined, t.curatorCookie));
		expect((await dashboard()).rows.some((r) => r.programId === mistake)).toBe(true);
		expect((await figures()).programs.total).toBe(before.programs.total - 1);
	});
});

describe('removal of personal data on request', () => {
	it('anonymizes the record, the consent and the documents; ends access; keeps the program', async () => {
		const p = await t.person('Соколова Ирина Андреевна', null);
		await json(
			await t.post(
				`/api/people/${p.id}/consents`,
				{ kind: 'personal-data', givenOn: '2025-09-01' },
				t.curatorCookie
			),
			201
		);
		const programId = (
			await json<{ program: { id: string } }>(
				await t.post(
					'/api/programs',
					{
						organizationId: t.organizationId,
						templateId: 'blank',
						participants: [
							{ personId: mentorId, role: 'mentor' },
							{ personId: p.id, role: 'mentee' }
						]
					},
					t.curatorCookie
				),
				201
			)
		).program.id;
		expect((await t.get('/api/me', p.cookie)).status).toBe(200);
		const wrong = await t.post(
			`/api/people/${p.id}/erase`,
			{ confirmFullName: 'Соколова' },
			t.curatorCookie
		);
		expect(wrong.status).toBe(400);
		const done = await json<EraseResponse>(
			await t.post(
				`/api/people/${p.id}/erase`,
				{ confirmFullName: 'соколова ирина андреевна', reason: 'заявление от 01.02.2026' },
				t.curatorCookie
			)
		);
		expect(done.kept.length).toBeGreaterThan(0);
		const rec = (await bank()).find((x) => x.id === p.id);
		expect(rec?.fullName).not.toContain('Соколова');
		expect(rec?.active).toBe(false);
		expect((await t.get('/api/me', p.cookie)).status).toBe(401);
		const consents = await json<{ consents: Array<{ representativeName: string }> }>(
			await t.get(`/api/people/${p.id}/consents`, t.curatorCookie)
		);
		expect(JSON.stringify(consents)).not.toContain('Соколова');
		// The program stays (its counts), its document no longer names her.
		const page = await json<{ program: { participants: Array<{ name: string }> } }>(
			await t.get(`/api/curator/programs/${programId}`, t.curatorCookie)
		);
		expect(JSON.stringify(page)).not.toContain('Соколова');
		expect(page.program.participants.map((x) => x.name)).toContain(
			'Участник (персональные данные удалены)'
		);
		const audit = await json<{ entries: Array<{ action: string; details: unknown }> }>(
			await t.get(`/api/organizations/${t.organizationId}/audit`, t.curatorCookie)
		);
		expect(audit.entries.some((e) => e.action === 'person.erase')).toBe(true);
		expect(JSON.stringify(audit)).not.toContain('Соколова Ирина');
	});
});
