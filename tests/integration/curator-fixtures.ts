/**
 * A generated organization (or municipality) of mentoring programs with known truth, for the
 * curator tests and scripts/bench-dashboard.ts. Every program is created from a real template
 * with the program core (createProgram + ProgramEditor), its summary is computed by the real
 * `summarize`, and everything is written through the relay's DocumentStore (so the curator
 * index triggers run exactly as in production). Device sync facts are written the same way.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import {
	ProgramEditor,
	TEMPLATES,
	addDays,
	createProgram,
	loadTemplate,
	readProgram,
	seededIds,
	summarize,
	type Actor,
	type ProgramTemplate
} from '../../src/lib/shared/program/index';
import { rng } from '../../src/lib/shared/program/fixtures';
import { openPostgresStorage, openSqliteStorage, type Storage } from '../../server/storage/index';
import type { SqlClient } from '../../server/storage/sql';
import { testStorageEnv } from './test-storage';
import type { DeviceSyncFacts, DocumentStore } from '../../server/storage/document-store';

export const DAY = 86_400_000;

export interface ProgramTruth {
	programId: string;
	organizationId: string;
	templateId: string;
	title: string;
	status: 'draft' | 'active' | 'completed';
	done: number;
	total: number;
	percent: number;
	overdue: number;
	reportsDue: number;
	reportsSubmitted: number;
	reportsAccepted: number;
	reportsReturned: number;
	/** userIds of mentor and mentee */
	mentor: string;
	mentee: string;
	mentorName: string;
	menteeName: string;
	/** A device of the mentee reported unsent changes. */
	pending: boolean;
	/** The mentor was last seen more than `staleDays` ago (a mentor never seen is `notOpened`). */
	stale: boolean;
	/** The mentor never opened an invitation nor reached the relay (programs not completed). */
	notOpened: boolean;
	feedback: { mentor: number; mentee: number } | null;
	entryAvg: number | null;
	exitAvg: number | null;
	completedOn: string | null;
	startDate: string;
}

export interface Dataset {
	/** The storage the data set lives in (SQLite in dataDir, or PostgreSQL with TEST_STORAGE=postgres). */
	storage: Storage;
	/** SQL over that storage (the curator queries take it). */
	sql: SqlClient;
	store: DocumentStore;
	dataDir: string;
	municipalityId: string;
	organizations: Array<{ id: string; name: string }>;
	truth: ProgramTruth[];
	today: string;
	now: number;
	staleDays: number;
	/** Closes the storage (and drops the test database). */
	close(): Promise<void>;
}

const SURNAMES = [
	'Иванова',
	'Петрова',
	'Смирнова',
	'Кузнецова',
	'Попова',
	'Соколова',
	'Лебедева',
	'Козлова',
	'Новикова',
	'Морозова'
];
const NAMES = ['Анна', 'Мария', 'Елена', 'Ольга', 'Татьяна', 'Наталья', 'Ирина', 'Светлана'];
const PATRONYMICS = ['Петровна', 'Ивановна', 'Сергеевна', 'Александровна', 'Викторовна'];

/** Templates with a plan (the blank one has no stages). */
const PLAN_TEMPLATES = TEMPLATES.filter((t) => t.id !== 'blank').map((t) => t.id);

export interface DatasetOptions {
	programs: number;
	organizations?: number;
	seed?: number;
	/** "today" of the data set (YYYY-MM-DD). */
	today?: string;
	staleDays?: number;
	dataDir?: string;
	/** Use only this template (default: all with a plan, round robin). */
	templateId?: string;
	/** Store in this PostgreSQL database instead of SQLite (default: as TEST_STORAGE says). */
	databaseUrl?: string;
	/** Always SQLite in dataDir, whatever TEST_STORAGE says (migrate-storage test). */
	sqlite?: boolean;
}

export async function createDataset(opts: DatasetOptions): Promise<Dataset> {
	const seed = opts.seed ?? 1;
	const rand = rng(seed);
	const today = opts.today ?? '2026-03-15';
	const now = Date.parse(`${today}T12:00:00Z`);
	const staleDays = opts.staleDays ?? 7;
	const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'nastavnik-curator-'));
	const testStorage: { env: Record<string, string>; cleanup(): Promise<void> } = opts.sqlite
		? { env: {}, cleanup: async () => undefined }
		: opts.databaseUrl
			? { env: { DATABASE_URL: opts.databaseUrl }, cleanup: async () => undefined }
			: await testStorageEnv();
	const storage = testStorage.env.DATABASE_URL
		? await openPostgresStorage(testStorage.env.DATABASE_URL)
		: openSqliteStorage(dataDir);
	const sql = storage.sql;
	const store = storage.documents;
	const municipalityId = `mun${seed}`;
	await sql.run('INSERT INTO municipalities (id, name, created_at) VALUES (?, ?, ?)', [
		municipalityId,
		'г. Томск',
		now
	]);
	const organizations: Array<{ id: string; name: string }> = [];
	for (let i = 0; i < (opts.organizations ?? 1); i++) {
		const org = { id: `org${seed}x${i + 1}`, name: `МАОУ СОШ № ${i + 1} г. Томска` };
		await sql.run(
			'INSERT INTO organizations (id, municipality_id, name, created_at) VALUES (?, ?, ?, ?)',
			[org.id, municipalityId, org.name, now]
		);
		organizations.push(org);
	}
	const templates = new Map<string, ProgramTemplate>();
	for (const id of PLAN_TEMPLATES) templates.set(id, await loadTemplate(id));

	const ids = seededIds(seed * 31 + 7);
	const truth: ProgramTruth[] = [];
	const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
	const person = () => `${pick(SURNAMES)} ${pick(NAMES)} ${pick(PATRONYMICS)}`;
	const clock = () => new Date(now - DAY);
	const factBatch: DeviceSyncFacts[] = [];

	for (let n = 0; n < opts.programs; n++) {
		const org = organizations[n % organizations.length] as { id: string; name: string };
		const templateId = opts.templateId ?? (PLAN_TEMPLATES[n % PLAN_TEMPLATES.length] as string);
		const template = templates.get(templateId) as ProgramTemplate;
		const programId = `p${seed}x${n}`;
		const mentor = `m${seed}x${n}`;
		const mentee = `e${seed}x${n}`;
		const curatorActor: Actor = { userId: `cur${seed}`, role: 'curator' };
		const mentorName = person();
		const menteeName = person();
		// Start between 30 months ago and 1 month ahead.
		const start = addDays(today, -Math.floor(rand() * 900) + 30);
		const doc = new Y.Doc();
		createProgram(doc, curatorActor, template, {
			programId,
			organization: org.name,
			startDate: start,
			newId: ids,
			clock,
			participants: [
				{ role: 'mentor', name: mentorName, userId: mentor },
				{ role: 'mentee', name: menteeName, userId: mentee },
				{ role: 'curator', name: 'Сидорова Анна Викторовна', userId: curatorActor.userId }
			]
		});
		// Decisions go into the program's decisions document (stored beside it, as the server does).
		const dec = new Y.Doc();
		const o = { clock, newId: ids, decisions: dec };
		const edM = new ProgramEditor(doc, { userId: mentor, role: 'mentor' }, o);
		const edE = new ProgramEditor(doc, { userId: mentee, role: 'mentee' }, o);
		const edC = new ProgramEditor(doc, curatorActor, o);
		const draft = rand() < 0.05;
		if (!draft) edC.approveProgram(start);
		const view = readProgram(doc, dec);
		// Activities due before today are mostly done; some later ones too.
		let done = 0;
		for (const a of view.activities) {
			const due = a.deadline !== null && a.deadline < today;
			if (!draft && rand() < (due ? 0.8 : 0.1)) {
				(rand() < 0.5 ? edM : edE).completeActivity(
					a.id,
					a.deadline && a.deadline < today ? a.deadline : addDays(today, -1)
				);
				done++;
			}
		}
		// Stage reports for finished stages: submitted, accepted, returned or missing.
		const v2 = readProgram(doc, dec);
		const tl = v2.stages.map((s) => s.id);
		let stageEnd = start;
		for (let si = 0; si < v2.stages.length && !draft; si++) {
			const st = v2.stages[si];
			if (!st) continue;
			stageEnd = addDays(stageEnd, Math.round(st.months * 30.4));
			if (stageEnd >= today) break;
			const r = rand();
			if (r < 0.2) continue; // missing
			const id = edE.startReport({ kind: 'stage', stageId: tl[si] as string });
			edE.setText(
				{ kind: 'report', id, field: 'text' },
				'Информационная справка по итогам этапа: мероприятия выполнены.'
			);
			if (r < 0.3) continue; // draft
			edE.submitReport(id, addDays(today, -3));
			if (r < 0.55) continue; // submitted, waiting
			if (r < 0.65) edC.returnReport(id, 'Дополните раздел о результатах', addDays(today, -2));
			else edC.acceptReport(id, addDays(today, -2));
		}
		// Entry / exit self-assessment and feedback for older programs.
		const mp = v2.participants.find((p) => p.role === 'mentee');
		const mentorP = v2.participants.find((p) => p.role === 'mentor');
		let feedback: ProgramTruth['feedback'] = null;
		let completedOn: string | null = null;
		if (mp && mentorP && !draft) {
			edE.setAssessment('entry', mp.id, 'Управление персоналом', 2);
			edE.setAssessment('entry', mp.id, 'Лидерство', 3);
			if (start < addDays(today, -600)) {
				edE.setAssessment('exit', mp.id, 'Управление персоналом', 4);
				edE.setAssessment('exit', mp.id, 'Лидерство', 5);
				feedback = { mentor: 8 + (n % 3), mentee: 7 + (n % 4) };
				edM.setFeedback({
					participantId: mentorP.id,
					satisfaction: feedback.mentor,
					date: addDays(today, -5)
				});
				edE.setFeedback({
					participantId: mp.id,
					satisfaction: feedback.mentee,
					date: addDays(today, -5)
				});
				if (rand() < 0.5) {
					completedOn = addDays(today, -4);
					edC.completeProgram({
						reason: 'curator-initiative',
						date: completedOn,
						note: 'Сроки реализации истекли'
					});
				}
			}
		}

		const summary = summarize(doc, today, dec);
		const update = Y.encodeStateAsUpdate(doc);
		const decisionsUpdate = Y.encodeStateAsUpdate(dec);
		doc.destroy();
		dec.destroy();
		await store.createProgram(programId, org.id);
		await store.createProgram(`${programId}/decisions`, null);
		const [seq] = await store.append([
			{ programId, data: update, receivedAt: now },
			{ programId: `${programId}/decisions`, data: decisionsUpdate, receivedAt: now }
		]);
		await store.saveSummary({
			programId,
			summary,
			docBytes: update.length,
			throughSeq: seq ?? 0,
			computedAt: now
		});

		// Devices: the mentee's phone seen 1 h ago, sometimes with pending changes; the mentor's
		// phone seen `age` days ago (stale when age > staleDays), sometimes never.
		const pending = rand() < 0.1;
		factBatch.push({
			programId,
			userId: mentee,
			deviceId: `dev-${mentee}`,
			lastConnectedAt: now - 3_600_000,
			lastUpdateAt: now - 3_600_000,
			lastInSyncAt: now - 3_600_000,
			pending: pending ? 3 : 0,
			pendingReportedAt: now - 3_500_000
		});
		const never = rand() < 0.05;
		const age = Math.floor(rand() * 20);
		if (!never)
			factBatch.push({
				programId,
				userId: mentor,
				deviceId: `dev-${mentor}`,
				lastConnectedAt: now - age * DAY - 1000,
				lastUpdateAt: now - age * DAY - 1000,
				lastInSyncAt: now - age * DAY - 1000
			});
		if (factBatch.length > 500) await store.saveFacts(factBatch.splice(0));

		const fin = readProgramSummaryTruth(summary);
		truth.push({
			programId,
			organizationId: org.id,
			templateId,
			title: summary.title,
			status: completedOn ? 'completed' : draft ? 'draft' : 'active',
			done,
			total: view.activities.length,
			percent: view.activities.length ? Math.round((done / view.activities.length) * 100) : 0,
			overdue: countOverdue(update, today),
			reportsDue: fin.reportsDue,
			reportsSubmitted: fin.submitted,
			reportsAccepted: fin.accepted,
			reportsReturned: fin.returned,
			mentor,
			mentee,
			mentorName,
			menteeName,
			pending,
			// The "not seen" clock starts when the invitation is opened: a mentor never seen (no
			// session, no device) is «приглашение не открыто», not stale.
			stale: completedOn === null && !never && age * DAY + 1000 > staleDays * DAY,
			notOpened: completedOn === null && never,
			feedback,
			entryAvg: mp && !draft ? 2.5 : null,
			exitAvg: feedback ? 4.5 : null,
			completedOn,
			startDate: start
		});
	}
	if (factBatch.length) await store.saveFacts(factBatch.splice(0));
	return {
		storage,
		sql,
		store,
		dataDir,
		municipalityId,
		organizations,
		truth,
		today,
		now,
		staleDays,
		async close() {
			await storage.close();
			await testStorage.cleanup();
		}
	};
}

/** A participant of a summary (role `role`), whose key is `key`: as the figures read it. */
export const participant = (role: 'mentor' | 'mentee') => (key: string) => ({
	id: `${role}-${key}`,
	role,
	name: key,
	userId: key
});

/**
 * Writes a program's summary again as the relay would: its stored summary changed by `edit`,
 * newer than any summary before it (a row of its day is replaced by a newer one only).
 */
export async function rewriteSummary(
	ds: Dataset,
	programId: string,
	edit: (stored: Record<string, unknown>) => Record<string, unknown>
): Promise<void> {
	const stored = await ds.sql.get<{ summary: string; through_seq: number; computed_at: number }>(
		'SELECT summary, through_seq, computed_at FROM program_summaries WHERE program_id = ?',
		[programId]
	);
	if (!stored) throw new Error(`no summary for ${programId}`);
	await ds.store.saveSummaries([
		{
			programId,
			summary: edit(JSON.parse(stored.summary) as Record<string, unknown>),
			docBytes: 1,
			throughSeq: Number(stored.through_seq) + 1,
			computedAt: Math.max(Number(stored.computed_at), ds.now) + 1
		}
	]);
}

/** Overdue computed directly from the document (independent of the summary code). */
export function countOverdue(update: Uint8Array, today: string): number {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, update);
	let n = 0;
	for (const item of doc.getArray<Y.Map<unknown>>('activities').toArray()) {
		const status = item.get('status');
		const deadline = item.get('deadline');
		if (item.get('removed') === true) continue;
		if (status === 'done' || status === 'cancelled') continue;
		if (typeof deadline === 'string' && deadline < today) n++;
	}
	doc.destroy();
	return n;
}

function readProgramSummaryTruth(s: ReturnType<typeof summarize>) {
	return {
		reportsDue: s.reports.due,
		submitted: s.reports.submitted,
		accepted: s.reports.accepted,
		returned: s.reports.returned
	};
}

export { docxText } from '../support/docx';

/** Number of pages of a PDF written by pdfkit (counts page objects). */
export function pdfPageCount(pdf: Buffer): number {
	return (pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length;
}
