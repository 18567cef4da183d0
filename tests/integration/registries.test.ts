/**
 * Issue 15, registries and student mentoring, on the real server over HTTP (SQLite; PostgreSQL
 * under TEST_STORAGE=postgres):
 * - the management reserve (Dinskoy 2021 §5.6) kept beside people, under the people policy,
 *   listed and exported as an XLSX sheet read back cell by cell, with real dates and numbers;
 * - organizations' kind (ОО / ДОУ / ДО) and ШНОР / ШССУ, set by the municipal coordinator only,
 *   shown in the municipal dashboard, usable as its filters and exported;
 * - the term chosen at creation within the template's regulation (Surgut 3–12, Tomsk 24);
 * - the Tomsk region roadmaps no longer made into a pupil's program; the learner template;
 * - only a program completed with its plan done in full becomes a case; one terminated for
 *   improper execution with 0 of 21 activities done is refused.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgramEditor, readProgram } from '../../src/lib/shared/program/index';
import { DEFAULT_TIME_ZONE, today } from '../../src/lib/shared/time';
import * as Y from 'yjs';
import { startCuratorServer, type CuratorTestServer } from './curator-server';

let t: CuratorTestServer;
let orgB: string;
let coord: { id: string; cookie: string };
let curatorB: { id: string; cookie: string };

const put = async (url: string, body: unknown, cookie: string) =>
	fetch(`${t.base}${url}`, {
		method: 'PUT',
		headers: { cookie, 'content-type': 'application/json' },
		body: JSON.stringify(body)
	});
const del = async (url: string, cookie: string) =>
	fetch(`${t.base}${url}`, { method: 'DELETE', headers: { cookie } });
const json = async <T>(r: Response): Promise<T> => (await r.json()) as T;

beforeAll(async () => {
	t = await startCuratorServer();
	coord = await t.person('Коваленко Ольга Игоревна', 'coordinator');
	orgB = (await t.identity.createOrganization(t.admin, t.municipalityId, 'МБДОУ «Детский сад № 5»'))
		.id;
	curatorB = await t.person('Белова Вера Сергеевна', 'curator', orgB);
}, 60_000);

afterAll(async () => {
	await t?.close();
});

const reserveBody = {
	trainingFrom: '2025-09-15',
	trainingTo: '2026-05-20',
	certificates: [
		{ course: 'Менеджмент', number: '70-123', issuedOn: '2025-12-01' },
		{ course: 'Управление персоналом', number: '70-456', issuedOn: null }
	],
	events: 'Муниципальный семинар «Управленческие решения в ШНОР»',
	relocation: 'municipality',
	includedOn: '2026-06-01',
	notes: null
};

describe('the management reserve', () => {
	let teacherA: string;
	let teacherB: string;
	beforeAll(async () => {
		teacherA = (
			await t.identity.createPerson(
				t.admin,
				{ organizationId: t.organizationId },
				{
					fullName: 'Алексеев Андрей Петрович',
					position: 'заместитель директора по УВР',
					experienceYears: 12,
					email: 'alekseev@school1.ru',
					phone: '+7 913 000-00-01'
				}
			)
		).id;
		teacherB = (
			await t.identity.createPerson(
				t.admin,
				{ organizationId: orgB },
				{ fullName: 'Борисова Бэлла Юрьевна', experienceYears: 7 }
			)
		).id;
	});

	it('the organization’s curator and the municipality’s coordinator keep it; nobody else', async () => {
		const a = await put(`/api/people/${teacherA}/reserve`, reserveBody, t.curatorCookie);
		expect(a.status).toBe(200);
		const { entry } = await json<{ entry: Record<string, unknown> }>(a);
		expect(entry).toMatchObject({
			fullName: 'Алексеев Андрей Петрович',
			workplace: 'МАОУ СОШ № 1 г. Томска',
			experienceYears: 12,
			email: 'alekseev@school1.ru',
			relocation: 'municipality',
			trainingFrom: '2025-09-15'
		});
		// A curator of another organization may not (nor learn that the person exists: 404, as
		// identity answers for a resource out of sight); the coordinator of the municipality may.
		expect(
			(await put(`/api/people/${teacherA}/reserve`, reserveBody, curatorB.cookie)).status
		).toBe(404);
		const b = await put(
			`/api/people/${teacherB}/reserve`,
			{ ...reserveBody, certificates: [], relocation: 'region', trainingTo: null },
			coord.cookie
		);
		expect(b.status).toBe(200);
		// A mentee of the bank has no say.
		const plain = await t.person('Простой Пётр', null);
		expect((await put(`/api/people/${teacherA}/reserve`, reserveBody, plain.cookie)).status).toBe(
			404
		);
	});

	it('bad input gets a Russian error and changes nothing', async () => {
		const backwards = await put(
			`/api/people/${teacherA}/reserve`,
			{ ...reserveBody, trainingFrom: '2026-06-01', trainingTo: '2025-01-01' },
			t.curatorCookie
		);
		expect(backwards.status).toBe(400);
		expect((await json<{ message: string }>(backwards)).message).toBe(
			'Окончание обучения раньше его начала'
		);
		const badDate = await put(
			`/api/people/${teacherA}/reserve`,
			{ ...reserveBody, includedOn: '01.06.2026' },
			t.curatorCookie
		);
		expect(badDate.status).toBe(400);
		expect((await json<{ message: string }>(badDate)).message).toMatch(/[а-я]/);
		const list = await json<{ reserve: Array<{ personId: string; trainingFrom: string }> }>(
			await t.get(`/api/organizations/${t.organizationId}/reserve`, t.curatorCookie)
		);
		expect(list.reserve.map((r) => [r.personId, r.trainingFrom])).toEqual([
			[teacherA, '2025-09-15']
		]);
	});

	it('the coordinator lists the municipality’s reserve; a curator lists only their organization', async () => {
		const mun = await json<{ reserve: Array<{ fullName: string; workplace: string }> }>(
			await t.get(`/api/municipalities/${t.municipalityId}/reserve`, coord.cookie)
		);
		expect(mun.reserve.map((r) => [r.fullName, r.workplace])).toEqual([
			['Алексеев Андрей Петрович', 'МАОУ СОШ № 1 г. Томска'],
			['Борисова Бэлла Юрьевна', 'МБДОУ «Детский сад № 5»']
		]);
		// The curator sees the municipality (403); another organization is out of sight (404).
		expect(
			(await t.get(`/api/municipalities/${t.municipalityId}/reserve`, t.curatorCookie)).status
		).toBe(403);
		expect((await t.get(`/api/organizations/${orgB}/reserve`, t.curatorCookie)).status).toBe(404);
	});

	it('is exported as an XLSX registry: §5.6 columns, Excel dates, numbers', async () => {
		const res = await t.get(
			`/api/curator/municipalities/${t.municipalityId}/exports/registries.xlsx`,
			coord.cookie
		);
		expect(res.status).toBe(200);
		const wb = new ExcelJS.Workbook();
		await wb.xlsx.load(await res.arrayBuffer());
		const ws = wb.getWorksheet('Резерв управленческих кадров')!;
		expect(ws.getRow(1).getCell(1).value).toBe(
			'Реестр кадрового управленческого резерва: г. Томск'
		);
		expect(ws.getRow(2).values).toEqual([
			undefined,
			'№',
			'ФИО',
			'Место работы',
			'Должность',
			'Стаж, лет',
			'Обучение в школе резерва: начало',
			'Обучение в школе резерва: окончание',
			'Сертификаты курсовой подготовки',
			'Участие в мероприятиях ДПО',
			'Согласие на переезд',
			'Включен в резерв',
			'Эл. почта',
			'Телефон',
			'Примечания'
		]);
		expect(ws.rowCount).toBe(4);
		const r = ws.getRow(3);
		expect(r.getCell(2).value).toBe('Алексеев Андрей Петрович');
		expect(r.getCell(3).value).toBe('МАОУ СОШ № 1 г. Томска');
		expect(r.getCell(4).value).toBe('заместитель директора по УВР');
		expect(r.getCell(5).value).toBe(12);
		expect(r.getCell(5).type).toBe(ExcelJS.ValueType.Number);
		expect(r.getCell(6).type).toBe(ExcelJS.ValueType.Date);
		expect((r.getCell(6).value as Date).toISOString()).toBe('2025-09-15T00:00:00.000Z');
		expect(r.getCell(6).numFmt).toBe('dd.mm.yyyy');
		expect((r.getCell(7).value as Date).toISOString().slice(0, 10)).toBe('2026-05-20');
		expect(r.getCell(8).value).toBe(
			'«Менеджмент» № 70-123 от 01.12.2025; «Управление персоналом» № 70-456'
		);
		expect(r.getCell(9).value).toBe('Муниципальный семинар «Управленческие решения в ШНОР»');
		expect(r.getCell(10).value).toBe('в пределах муниципалитета');
		expect((r.getCell(11).value as Date).toISOString().slice(0, 10)).toBe('2026-06-01');
		expect(r.getCell(12).value).toBe('alekseev@school1.ru');
		expect(r.getCell(13).value).toBe('+7 913 000-00-01');
		const r2 = ws.getRow(4);
		expect(r2.getCell(2).value).toBe('Борисова Бэлла Юрьевна');
		expect(r2.getCell(7).value).toBeNull();
		expect(r2.getCell(10).value).toBe('в пределах края');
		expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
		expect(ws.autoFilter).toBeTruthy();

		// Removed from the reserve: gone from the list and the export, the card stays.
		expect((await del(`/api/people/${teacherB}/reserve`, coord.cookie)).status).toBe(200);
		const after = await json<{ reserve: unknown[] }>(
			await t.get(`/api/municipalities/${t.municipalityId}/reserve`, coord.cookie)
		);
		expect(after.reserve.length).toBe(1);
		expect((await t.get(`/api/people/${teacherB}`, coord.cookie)).status).toBe(200);
	});
});

describe('the reserve follows the records of the bank', () => {
	it('a merged duplicate’s entry moves to the kept record; an erased person leaves the reserve', async () => {
		const mk = async (fullName: string) =>
			(await t.identity.createPerson(t.admin, { organizationId: t.organizationId }, { fullName }))
				.id;
		const kept = await mk('Григорьев Глеб Олегович');
		const dup = await mk('Григорьев Глеб Олегович');
		expect((await put(`/api/people/${dup}/reserve`, reserveBody, t.curatorCookie)).status).toBe(
			200
		);
		const merged = await t.post(`/api/people/${kept}/merge`, { duplicateId: dup }, t.curatorCookie);
		expect(merged.status).toBe(200);
		const list = async () =>
			(
				await json<{ reserve: Array<{ personId: string; fullName: string }> }>(
					await t.get(`/api/organizations/${t.organizationId}/reserve`, t.curatorCookie)
				)
			).reserve.filter((r) => r.fullName.startsWith('Григорьев') || r.personId === kept);
		expect((await list()).map((r) => r.personId)).toEqual([kept]);

		const erased = await t.post(
			`/api/people/${kept}/erase`,
			{ confirmFullName: 'Григорьев Глеб Олегович' },
			t.curatorCookie
		);
		expect(erased.status).toBe(200);
		expect(await list()).toEqual([]);
	});
});

describe('organization attributes', () => {
	const attrs = (kind: string | null, lowResults: boolean, hardSocial: boolean) => ({
		kind,
		lowResults,
		hardSocial
	});
	let progA = '';
	let progB = '';

	beforeAll(async () => {
		const mk = async (orgId: string, cookieActor: CuratorTestServer['curatorActor']) => {
			const m = await t.person(`Наставник ${orgId}`, null, orgId);
			const e = await t.person(`Наставляемый ${orgId}`, null, orgId);
			return (
				await t.server.programs.createProgram(cookieActor, {
					organizationId: orgId,
					templateId: 'teacher-surgut',
					startDate: '2026-01-12',
					participants: [
						{ personId: m.id, role: 'mentor' },
						{ personId: e.id, role: 'mentee' }
					]
				})
			).id;
		};
		progA = await mk(t.organizationId, t.curatorActor);
		progB = await mk(orgB, await t.identity.actorFor(curatorB.id));
	});

	it('only the municipal coordinator sets kind and ШНОР / ШССУ; bad input is refused in Russian', async () => {
		const url = `/api/organizations/${t.organizationId}/attributes`;
		expect((await put(url, attrs('oo', true, false), t.curatorCookie)).status).toBe(403);
		const ok = await put(url, attrs('oo', true, false), coord.cookie);
		expect(ok.status).toBe(200);
		expect((await json<{ organization: Record<string, unknown> }>(ok)).organization).toMatchObject({
			kind: 'oo',
			lowResults: true,
			hardSocial: false
		});
		expect(
			(await put(`/api/organizations/${orgB}/attributes`, attrs('dou', false, true), coord.cookie))
				.status
		).toBe(200);
		const bad = await put(url, attrs('школа', false, false), coord.cookie);
		expect(bad.status).toBe(400);
		expect((await json<{ message: string }>(bad)).message).toMatch(/[а-я]/);
		const org = await json<{ organization: Record<string, unknown> }>(
			await t.get(`/api/organizations/${t.organizationId}`, t.curatorCookie)
		);
		expect(org.organization).toMatchObject({ kind: 'oo', lowResults: true, hardSocial: false });
	});

	it('the municipal dashboard shows them per organization and filters programs by them', async () => {
		const dash = async (q: string) =>
			json<{
				rows: Array<{ programId: string }>;
				organizations?: Array<{
					name: string;
					kind: string | null;
					lowResults: boolean;
					hardSocial: boolean;
				}>;
			}>(
				await t.get(`/api/curator/municipalities/${t.municipalityId}/dashboard${q}`, coord.cookie)
			);
		const all = await dash('');
		expect(all.organizations?.map((o) => [o.name, o.kind, o.lowResults, o.hardSocial])).toEqual([
			['МАОУ СОШ № 1 г. Томска', 'oo', true, false],
			['МБДОУ «Детский сад № 5»', 'dou', false, true]
		]);
		const ids = (d: { rows: Array<{ programId: string }> }) => d.rows.map((r) => r.programId);
		expect(ids(all).sort()).toEqual([progA, progB].sort());
		expect(ids(await dash('?orgMark=low-results'))).toEqual([progA]);
		expect(ids(await dash('?orgMark=hard-social'))).toEqual([progB]);
		expect(ids(await dash('?orgKind=dou'))).toEqual([progB]);
		expect(ids(await dash('?orgKind=do'))).toEqual([]);
	});

	it('the registries export lists the organizations with their attributes', async () => {
		const res = await t.get(
			`/api/curator/municipalities/${t.municipalityId}/exports/registries.xlsx`,
			coord.cookie
		);
		const wb = new ExcelJS.Workbook();
		await wb.xlsx.load(await res.arrayBuffer());
		const ws = wb.getWorksheet('Организации')!;
		expect(ws.getRow(2).values).toEqual([undefined, '№', 'Организация', 'Вид', 'ШНОР', 'ШССУ']);
		expect(ws.getRow(3).values).toEqual([
			undefined,
			1,
			'МАОУ СОШ № 1 г. Томска',
			'ОО',
			'да',
			'нет'
		]);
		expect(ws.getRow(4).values).toEqual([
			undefined,
			2,
			'МБДОУ «Детский сад № 5»',
			'ДОУ',
			'нет',
			'да'
		]);
	});
});

describe('creating a program: term, template, form', () => {
	let mentor: { id: string };
	let mentee: { id: string };
	beforeAll(async () => {
		mentor = await t.person('Иванова Ирина Ивановна', null);
		mentee = await t.person('Петров Павел Павлович', null);
	});
	const create = (body: Record<string, unknown>) =>
		t.post(
			'/api/programs',
			{
				organizationId: t.organizationId,
				startDate: '2026-01-12',
				participants: [
					{ personId: mentor.id, role: 'mentor' },
					{ personId: mentee.id, role: 'mentee' }
				],
				...body
			},
			t.curatorCookie
		);
	const message = async (r: Response) => (await json<{ message: string }>(r)).message;
	const doc = async (programId: string) => {
		const d = new Y.Doc();
		Y.applyUpdate(d, await t.server.relay.getDocument(programId));
		return readProgram(d);
	};

	it('the term is chosen within the regulation: Surgut 3–12 months, Tomsk heads 24', async () => {
		const long = await create({ templateId: 'teacher-surgut', durationMonths: 13 });
		expect(long.status).toBe(400);
		expect(await message(long)).toBe(
			'Срок реализации программы по этому шаблону — от 3 до 12 месяцев (Положение о наставничестве (Сургут, 2022), п. 1.3.7: от 3 месяцев до 1 года).'
		);
		const heads = await create({ templateId: 'tomsk-heads-beginner', durationMonths: 12 });
		expect(heads.status).toBe(400);
		expect(await message(heads)).toContain('24 месяца');
		const six = await create({ templateId: 'teacher-surgut', durationMonths: 6 });
		expect(six.status).toBe(201);
		const { program } = await json<{ program: { id: string } }>(six);
		const v = await doc(program.id);
		expect(v.meta.durationMonths).toBe(6);
		expect(
			v.activities
				.map((a) => a.deadline)
				.sort()
				.at(-1)
		).toBe('2026-07-11');
	});

	it('a roadmap is not a pupil’s program any more; the learner template takes the learner forms', async () => {
		const roadmap = await create({ templateId: 'school-roadmap' });
		expect(roadmap.status).toBe(400);
		expect(await message(roadmap)).toContain('План внедрения');
		expect((await create({ templateId: 'college-roadmap' })).status).toBe(400);
		const wrong = await create({ templateId: 'learner', form: 'teacher-teacher' });
		expect(wrong.status).toBe(400);
		expect(await message(wrong)).toContain('«студент – ученик»');
		const ok = await create({ templateId: 'learner', form: 'student-pupil' });
		expect(ok.status).toBe(201);
		const v = await doc((await json<{ program: { id: string } }>(ok)).program.id);
		expect(v.meta.form).toBe('student-pupil');
		expect(v.meta.menteeCategory).toBe('pupil');
		expect(v.activities.every((a) => a.resultForm !== 'other')).toBe(true);
	});
});

describe('the registry of successful practices takes only successfully completed programs', () => {
	it('terminated for improper execution with 0 of 21 done: refused; plan done in full: accepted', async () => {
		const m = await t.person('Сергеев Семен Семенович', null);
		const e = await t.person('Тимофеев Тимур Тимурович', null);
		const mk = async (templateId: string) =>
			(
				await t.server.programs.createProgram(t.curatorActor, {
					organizationId: t.organizationId,
					templateId,
					startDate: '2026-01-12',
					participants: [
						{ personId: m.id, role: 'mentor' },
						{ personId: e.id, role: 'mentee' }
					]
				})
			).id;
		const act = (programId: string, body: Record<string, unknown>) =>
			t.post(`/api/curator/programs/${programId}/actions`, body, t.curatorCookie);
		const toCase = (programId: string) =>
			t.post(
				`/api/curator/programs/${programId}/case`,
				{ description: 'Практика', consentMentor: true, consentMentee: true },
				t.curatorCookie
			);

		const failed = await mk('tomsk-heads-low-efficiency');
		expect(
			(await act(failed, { action: 'complete', reason: 'curator-initiative', date: '2026-03-02' }))
				.status
		).toBe(200);
		const refused = await toCase(failed);
		expect(refused.status).toBe(409);
		expect((await json<{ message: string }>(refused)).message).toBe(
			'В реестр успешных практик вносится только программа, успешно завершенная выполнением плана мероприятий в полном объеме. Эта программа завершена по инициативе куратора в связи с недолжным исполнением; выполнено 0 из 21 мероприятия.'
		);

		const good = await mk('teacher-surgut');
		await t.server.relay.applyServerEdit(good, { userId: e.id, role: 'mentee' }, (d) => {
			const ed = new ProgramEditor(d, { userId: e.id, role: 'mentee' });
			for (const a of readProgram(d).activities) ed.completeActivity(a.id, '2026-03-01');
		});
		expect(
			(await act(good, { action: 'complete', reason: 'plan-completed', date: '2026-03-02' })).status
		).toBe(200);
		expect((await toCase(good)).status).toBe(201);
	});
});

describe('the roadmaps as an organization’s rollout plan', () => {
	const patch = (url: string, body: unknown, cookie: string) =>
		fetch(`${t.base}${url}`, {
			method: 'PATCH',
			headers: { cookie, 'content-type': 'application/json' },
			body: JSON.stringify(body)
		});
	type Plan = {
		id: string;
		title: string;
		organizationName: string;
		steps: Array<{
			step: number;
			group: string;
			title: string;
			deadline: string | null;
			responsible: string;
			status: string;
			doneOn: string | null;
		}>;
		done: number;
		total: number;
		overdue: number;
	};

	// Next school year: every default deadline is ahead of today.
	const Y = new Date().getUTCFullYear() + 1;

	it('the curator creates the school’s 34-step plan and the college’s 10-step one, with deadlines of the school year', async () => {
		const url = `/api/curator/organizations/${t.organizationId}/rollout`;
		expect((await t.post(url, { kind: 'school', startYear: Y }, coord.cookie)).status).toBe(403);
		const res = await t.post(url, { kind: 'school', startYear: Y }, t.curatorCookie);
		expect(res.status).toBe(201);
		const { plan } = await json<{ plan: Plan }>(res);
		expect(plan.title).toBe(
			'Дорожная карта внедрения целевой модели наставничества в образовательной организации'
		);
		expect(plan.steps.map((s) => s.step)).toEqual(Array.from({ length: 34 }, (_, i) => i + 1));
		expect(plan.steps[0]).toMatchObject({
			group: 'Подготовка условий для запуска программы наставничества',
			title:
				'Информирование педагогического сообщества образовательной организации о реализации программы наставничества',
			deadline: `${Y}-09-30`,
			status: 'planned',
			responsible: ''
		});
		expect(plan.steps[4]!.title).toContain(
			'Сбор согласий на сбор и обработку персональных данных от законных представителей несовершеннолетних участников'
		);
		expect(plan.steps[33]!.deadline).toBe(`${Y + 1}-06-30`);
		expect([plan.done, plan.total]).toEqual([0, 34]);
		const again = await t.post(url, { kind: 'school', startYear: Y }, t.curatorCookie);
		expect(again.status).toBe(409);
		expect((await json<{ message: string }>(again)).message).toBe(
			'План внедрения на этот учебный год уже создан.'
		);
		const college = await t.post(url, { kind: 'college', startYear: Y }, t.curatorCookie);
		expect((await json<{ plan: Plan }>(college)).plan.steps.length).toBe(10);
	});

	it('the curator tracks steps (responsible, deadline, status); the coordinator sees the progress, cannot edit', async () => {
		const list = await json<{ plans: Plan[] }>(
			await t.get(`/api/curator/organizations/${t.organizationId}/rollout`, t.curatorCookie)
		);
		const school = list.plans.find((p) => p.steps.length === 34)!;
		const step = (n: number) => `/api/curator/rollout/${school.id}/steps/${n}`;
		const done = await patch(
			step(5),
			{ responsible: 'Заместитель директора по ВР Иванова И. И.', status: 'done' },
			t.curatorCookie
		);
		expect(done.status).toBe(200);
		const p1 = (await json<{ plan: Plan }>(done)).plan;
		expect(p1.steps[4]).toMatchObject({
			responsible: 'Заместитель директора по ВР Иванова И. И.',
			status: 'done',
			// The organization's day (its time zone: the default, Moscow), not UTC's: from 21:00 UTC
			// they differ (CI failed there, 2026-11-24).
			doneOn: today(DEFAULT_TIME_ZONE)
		});
		const late = await patch(step(6), { deadline: '2025-09-10' }, t.curatorCookie);
		expect((await json<{ plan: Plan }>(late)).plan).toMatchObject({
			done: 1,
			total: 34,
			overdue: 1
		});
		expect((await patch(step(6), { status: 'готово' }, t.curatorCookie)).status).toBe(400);
		expect((await patch(step(99), { status: 'done' }, t.curatorCookie)).status).toBe(404);
		expect((await patch(step(7), { status: 'done' }, coord.cookie)).status).toBe(403);
		const mun = await json<{ plans: Plan[] }>(
			await t.get(`/api/curator/municipalities/${t.municipalityId}/rollout`, coord.cookie)
		);
		const seen = mun.plans.find((p) => p.id === school.id)!;
		expect(seen).toMatchObject({
			organizationName: 'МАОУ СОШ № 1 г. Томска',
			done: 1,
			total: 34,
			overdue: 1
		});
		// Another organization's curator sees nothing of it.
		expect(
			(await t.get(`/api/curator/organizations/${t.organizationId}/rollout`, curatorB.cookie))
				.status
		).toBe(404);
	});
});
