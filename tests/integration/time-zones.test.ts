/**
 * Acceptance of "Time" (issue #12): with the organization in Asia/Kamchatka (UTC+12) and in
 * Europe/Kaliningrad (UTC+2), at instants on both sides of local midnight, the phone and the
 * server agree on today, overdue, the current stage, meeting dates and document dates.
 *
 * The phone's view is the Y.Doc as the phone holds it, read with the phone's own functions
 * ($lib/ui/dates: today(view)) and the shared rules. The server's view is the real database:
 * the programs module creates the program (writing the organization's zone into the document), updates
 * go through the real relay in process, whose one summary writer stores summarize(doc, now) at
 * the injected clock, and the
 * curator service answers the dashboard, refreshes outdated summaries and renders documents —
 * all at an injected `now`.
 *
 * Local midnight is 12:00 UTC in Kamchatka and 22:00 UTC in Kaliningrad: 23:59:59 and 00:00:01
 * local are the same UTC day and different local days. 23:59:59 and 00:00:01 UTC are different
 * UTC days and the same local day in both zones. UTC-"today" was wrong in both cases.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
	ProgramEditor,
	currentStage,
	overdueActivities,
	readProgram
} from '../../src/lib/shared/program/index';
import { formatDateNumeric, startOfDay, today as todayIn } from '../../src/lib/shared/time';
import { today as phoneToday } from '../../src/lib/ui/dates';
import { CuratorService, type ResolvedScope } from '../../server/curator/service';
import { programModel } from '../../server/curator/exports/program-docs';
import { modelText } from '../../server/curator/exports/model';
import { IdentityError } from '../../server/identity/errors';
import type { Actor } from '../../server/identity/policy';
import { IdentityService } from '../../server/identity/service';
import { createIdentityStore } from '../../server/identity/sql-store';
import { createLogger } from '../../server/logger';
import { createPrograms, type ProgramsService } from '../../server/programs/index';
import { openPostgresStorage, openSqliteStorage, type Storage } from '../../server/storage/index';
import { DEFAULT_RELAY_CONFIG } from '../../server/sync/config';
import { createRelay, type Relay } from '../../server/sync/relay';
import { testStorageEnv } from './test-storage';

/** The deadline day of the watched activity; the program starts the next day. */
const D = '2026-03-10';
const NEXT = '2026-03-11';

const utcDay = (t: number) => new Date(t).toISOString().slice(0, 10);

interface World {
	storage: Storage;
	relay: Relay;
	cleanup(): Promise<void>;
	identity: IdentityService;
	programs: ProgramsService;
	curator: CuratorService;
	setNow(t: number): void;
	now(): number;
	admin: Actor;
	curatorActor: Actor;
	coordinator: Actor;
	municipalityId: string;
	/** Relay-style commit of a phone update: append, then the summary at `now`. */
	commit(programId: string, update: Uint8Array): Promise<void>;
	document(programId: string): Promise<Y.Doc>;
}

async function world(): Promise<World> {
	const testStorage = await testStorageEnv();
	const storage = testStorage.env.DATABASE_URL
		? await openPostgresStorage(testStorage.env.DATABASE_URL)
		: openSqliteStorage(mkdtempSync(path.join(tmpdir(), 'nastavnik-tz-')));
	let now = Date.UTC(2026, 2, 1, 9);
	const clock = () => now;
	const logger = createLogger('silent');
	const store = storage.documents;
	const identity = new IdentityService({
		store: createIdentityStore(storage.sql),
		secret: 's'.repeat(64),
		logger,
		now: clock
	});
	const document = async (programId: string) => {
		const s = await store.load(programId);
		const doc = new Y.Doc();
		if (s.state) Y.applyUpdate(doc, s.state);
		for (const u of s.updates) Y.applyUpdate(doc, u);
		return doc;
	};
	// The real relay, in process (no sockets needed): it stores every update, and its summaries
	// module (the one writer of summaries) computes summarize(doc, now) at the injected clock.
	const relay = createRelay({
		store,
		authorize: async () => ({ deny: 'forbidden' }),
		logger,
		registry: new Registry(),
		config: DEFAULT_RELAY_CONFIG,
		now: clock
	});
	// What a phone's update goes through: a durable commit, then the summary of the whole document.
	const commit = async (programId: string, update: Uint8Array) => {
		await relay.applyServerEdit(programId, { userId: 'phone' }, (doc) =>
			Y.applyUpdate(doc, update)
		);
		await relay.flushSummaries();
	};
	// Programs write their documents (the zone, curator actions) through the relay's server edits.
	const programs = createPrograms({ identity, documents: store, logger, now: clock });
	programs.relay = relay;
	const curator = new CuratorService({
		db: storage.sql,
		scopes: identity.scopes,
		programs,
		relay,
		logger,
		now: clock
	});
	const admin: Actor = {
		personId: 'admin',
		roles: [{ role: 'admin', organizationId: null, municipalityId: null }]
	};
	const municipality = await identity.createMunicipality(admin, 'Тестовый округ');
	return {
		storage,
		relay,
		cleanup: testStorage.cleanup,
		identity,
		programs,
		curator,
		setNow: (t) => {
			now = t;
		},
		now: clock,
		admin,
		curatorActor: { personId: 'curator', roles: [] },
		coordinator: {
			personId: 'coordinator',
			roles: [{ role: 'coordinator', organizationId: null, municipalityId: municipality.id }]
		},
		municipalityId: municipality.id,
		commit,
		document
	};
}

/** An organization with a curator, a mentor and a mentee, and one program starting on NEXT. */
async function schoolWithProgram(w: World, name: string, timeZone: string | null) {
	const org = await w.identity.createOrganization(w.admin, w.municipalityId, name, timeZone);
	const grant = {
		role: 'curator' as const,
		organizationId: org.id,
		municipalityId: w.municipalityId
	};
	const curator: Actor = { personId: 'curator', roles: [grant] };
	(w.curatorActor.roles as unknown[]).push(grant);
	const mentor = await w.identity.createPerson(
		curator,
		{ organizationId: org.id },
		{
			fullName: 'Иванова Анна Петровна'
		}
	);
	const mentee = await w.identity.createPerson(
		curator,
		{ organizationId: org.id },
		{
			fullName: 'Петрова Мария Ивановна'
		}
	);
	const info = await w.programs.createProgram(curator, {
		organizationId: org.id,
		templateId: 'tomsk-heads-beginner',
		startDate: NEXT,
		participants: [
			{ personId: mentor.id, role: 'mentor' },
			{ personId: mentee.id, role: 'mentee' }
		]
	});
	// The mentor's phone: a replica of the server's document, editing with the phone's clock.
	const phone = await w.document(info.id);
	const editor = new ProgramEditor(
		phone,
		{ userId: mentor.id, role: 'mentor' },
		{ clock: () => new Date(w.now()) }
	);
	const edit = async (fn: (e: ProgramEditor) => void) => {
		const before = Y.encodeStateVector(phone);
		fn(editor);
		await w.commit(info.id, Y.encodeStateAsUpdate(phone, before));
	};
	const watched = readProgram(phone).activities[0]!.id;
	await edit((e) => e.setDeadline(watched, D));
	return { org, programId: info.id, phone, edit, watched };
}

describe.each([
	{ zone: 'Asia/Kamchatka', utcOffsetHours: 12 },
	{ zone: 'Europe/Kaliningrad', utcOffsetHours: 2 }
])('organization in $zone', ({ zone, utcOffsetHours }) => {
	let w: World;
	let school: Awaited<ReturnType<typeof schoolWithProgram>>;
	let moscow: Awaited<ReturnType<typeof schoolWithProgram>>;
	let orgScope: ResolvedScope;
	let munScope: ResolvedScope;

	const midnight = () => startOfDay(NEXT, zone);

	/** Phone and server, both at `now`, for the school's program. */
	async function bothViews() {
		const view = readProgram(school.phone);
		const day = phoneToday(view, new Date(w.now()));
		await w.curator.refresher!.runOnce();
		const dash = await w.curator.dashboard(orgScope, {});
		const row = dash.rows.find((r) => r.programId === school.programId)!;
		return {
			phone: {
				today: day,
				overdue: overdueActivities(view, day).map((a) => a.id),
				stage: currentStage(view, day).phase,
				lastMeeting: view.meetings.at(-1)?.date ?? null
			},
			server: {
				today: dash.today,
				asOf: row.asOf,
				overdue: row.overdue,
				stage: row.stage.phase,
				lastMeeting: row.meetings.lastDate,
				outdatedAfterRefresh: dash.outdated
			}
		};
	}

	beforeAll(async () => {
		w = await world();
		school = await schoolWithProgram(w, `Школа (${zone})`, zone);
		moscow = await schoolWithProgram(w, 'Школа (Москва)', null);
		orgScope = await w.curator.resolveScope(w.curatorActor, {
			kind: 'organization',
			id: school.org.id
		});
		munScope = await w.curator.resolveScope(w.coordinator, {
			kind: 'municipality',
			id: w.municipalityId
		});
	});

	afterAll(async () => {
		w.curator.close();
		await w.relay.close();
		await w.storage.close();
		await w.cleanup();
	});

	it('the zone is the organization’s and travels in the program document', async () => {
		expect(midnight()).toBe(Date.UTC(2026, 2, 11) - utcOffsetHours * 3_600_000);
		expect(readProgram(school.phone).meta.timeZone).toBe(zone);
		expect(readProgram(moscow.phone).meta.timeZone).toBe('Europe/Moscow');
		expect(orgScope.timeZone).toBe(zone);
		expect(munScope.timeZone).toBe('Europe/Moscow');
	});

	it('23:59:59 local: still the deadline day on the phone and on the server', async () => {
		w.setNow(midnight() - 1_000);
		expect(utcDay(w.now())).toBe(D);
		const v = await bothViews();
		expect(v.phone).toEqual({ today: D, overdue: [], stage: 'not-started', lastMeeting: null });
		// Nothing changed with the date yet: the summary stays the one computed at creation.
		expect(v.server.asOf <= D).toBe(true);
		expect({ ...v.server, asOf: undefined }).toEqual({
			today: D,
			asOf: undefined,
			overdue: 0,
			stage: 'not-started',
			lastMeeting: null,
			outdatedAfterRefresh: 0
		});
	});

	it('00:00:01 local (the same UTC day): overdue, the program started, on both', async () => {
		w.setNow(midnight() + 1_000);
		// UTC still says D: a UTC "today" would show nothing overdue and the program not started.
		expect(utcDay(w.now())).toBe(D);
		// Only this school's summary is outdated, each program counted in its own zone: in
		// Kamchatka's midnight (15:00 in Moscow) the Moscow school's day has not turned; at
		// Kaliningrad's (01:00 in Moscow) it turned an hour ago and the last refresh caught it.
		const before = await w.curator.dashboard(munScope, {});
		expect(before.outdated).toBe(1);
		const moscowRow = before.rows.find((r) => r.programId === moscow.programId)!;
		expect(moscowRow.stage.phase).toBe(
			todayIn('Europe/Moscow', w.now()) >= NEXT ? 'in-progress' : 'not-started'
		);
		const v = await bothViews();
		expect(v.phone).toEqual({
			today: NEXT,
			overdue: [school.watched],
			stage: 'in-progress',
			lastMeeting: null
		});
		expect(v.server).toEqual({
			today: NEXT,
			asOf: NEXT,
			overdue: 1,
			stage: 'in-progress',
			lastMeeting: null,
			outdatedAfterRefresh: 0
		});
		// The Moscow school: its phone and the server agree too, in Moscow's day.
		const mView = readProgram(moscow.phone);
		const mDay = phoneToday(mView, new Date(w.now()));
		const mRow = (await w.curator.dashboard(munScope, {})).rows.find(
			(r) => r.programId === moscow.programId
		)!;
		expect(mRow.stage.phase).toBe(currentStage(mView, mDay).phase);
		expect(mRow.overdue).toBe(overdueActivities(mView, mDay).length);
	});

	it('a meeting logged just after local midnight has the local date, on both', async () => {
		w.setNow(midnight() + 5_000);
		const view = readProgram(school.phone);
		// The meeting form's default date is the phone's today(view).
		await school.edit((e) =>
			e.logMeeting({
				date: phoneToday(view, new Date(w.now())),
				format: 'in-person',
				kind: 'organizational',
				topic: 'Первая встреча'
			})
		);
		const v = await bothViews();
		expect(v.phone.lastMeeting).toBe(NEXT);
		expect(v.server.lastMeeting).toBe(NEXT);
	});

	it('documents are dated in the local day', async () => {
		const { view, organizationName } = await w.curator.programView(
			w.curatorActor,
			school.programId
		);
		const text = modelText(
			programModel(view, { organizationName, today: w.curator.today(view.meta.timeZone) })
		);
		expect(text).toContain(`на ${formatDateNumeric(NEXT)}`);
		const file = await w.curator.monitoringXlsx(orgScope, {});
		const wb = new ExcelJS.Workbook();
		await wb.xlsx.load(file.body as unknown as ExcelJS.Buffer);
		const title = String(wb.worksheets[0]!.getCell('A1').value);
		expect(title).toContain(`на ${formatDateNumeric(NEXT)}`);
	});

	it('23:59:59 and 00:00:01 UTC (different UTC days): the same local day on both', async () => {
		for (const t of [Date.UTC(2026, 2, 11, 23, 59, 59), Date.UTC(2026, 2, 12, 0, 0, 1)]) {
			w.setNow(t);
			const v = await bothViews();
			expect(v.phone.today).toBe('2026-03-12');
			expect(v.server.today).toBe('2026-03-12');
			expect(v.server.overdue).toBe(v.phone.overdue.length);
			expect(v.server.stage).toBe(v.phone.stage);
		}
	});

	it('the curator’s dates in the document (a report review) are the local day', async () => {
		// The mentor submits and the curator accepts through the server, both at 00:00:01 local.
		w.setNow(startOfDay('2026-04-11', zone) + 1_000);
		const stageId = readProgram(school.phone).stages[0]!.id;
		let reportId = '';
		await school.edit((e) => {
			reportId = e.startReport({ kind: 'stage', stageId });
		});
		// No date given: the editor takes today in the document's zone from the phone's clock.
		await school.edit((e) => e.submitReport(reportId));
		await w.programs.curatorAction(w.curatorActor, school.programId, {
			action: 'accept-report',
			reportId
		});
		const server = readProgram(
			await w.document(school.programId),
			await w.document(`${school.programId}/decisions`)
		);
		const report = server.reports.find((r) => r.id === reportId)!;
		expect(report.submittedAt).toBe('2026-04-11');
		expect(report.reviewedAt).toBe('2026-04-11');
		expect(utcDay(w.now())).toBe('2026-04-10');
	});
});

describe('time zones of organizations and municipalities', () => {
	let w: World;
	beforeAll(async () => {
		w = await world();
	});
	afterAll(async () => {
		w.curator.close();
		await w.relay.close();
		await w.storage.close();
		await w.cleanup();
	});

	it('refuses an unknown zone with a Russian message', async () => {
		const bad = w.identity.createOrganization(w.admin, w.municipalityId, 'Школа', 'Mars/Olympus');
		await expect(bad).rejects.toBeInstanceOf(IdentityError);
		await expect(bad).rejects.toMatchObject({ status: 400 });
		await expect(
			w.identity.setMunicipalityTimeZone(w.admin, w.municipalityId, 'UTC+10')
		).rejects.toMatchObject({ messageRu: expect.stringContaining('часовой пояс') });
	});

	it('an organization inherits its municipality’s zone unless it has its own', async () => {
		const org = await w.identity.createOrganization(w.admin, w.municipalityId, 'Школа № 1');
		expect(await w.identity.organizationTimeZone(org.id)).toBe('Europe/Moscow');
		await w.identity.setMunicipalityTimeZone(w.admin, w.municipalityId, 'Asia/Vladivostok');
		expect(await w.identity.organizationTimeZone(org.id)).toBe('Asia/Vladivostok');
		await w.identity.setOrganizationTimeZone(w.admin, org.id, 'Asia/Magadan');
		expect(await w.identity.organizationTimeZone(org.id)).toBe('Asia/Magadan');
		expect((await w.identity.getOrganization(w.admin, org.id)).timeZone).toBe('Asia/Magadan');
		await w.identity.setOrganizationTimeZone(w.admin, org.id, null);
		expect(await w.identity.organizationTimeZone(org.id)).toBe('Asia/Vladivostok');
		await w.identity.setMunicipalityTimeZone(w.admin, w.municipalityId, null);
	});

	it('a zone change is written into the documents of the organization’s programs', async () => {
		const school = await schoolWithProgram(w, 'Школа № 2', null);
		expect(readProgram(await w.document(school.programId)).meta.timeZone).toBe('Europe/Moscow');
		await w.identity.setOrganizationTimeZone(w.admin, school.org.id, 'Asia/Yakutsk');
		const doc = await w.document(school.programId);
		expect(readProgram(doc).meta.timeZone).toBe('Asia/Yakutsk');
		// …and the stored summary (debounced by the relay) is the one of the document in its new zone.
		await w.relay.flushSummaries();
		const stored = await w.storage.documents.getSummary(school.programId);
		expect((stored?.summary as { timeZone: string }).timeZone).toBe('Asia/Yakutsk');
	});
});
