/**
 * One request must not stall everyone (issue #14): a ~20 MiB program (what twelve allowed
 * messages grew one program to) froze the server for 4.5–6.5 s on each curator view or export,
 * and a 47 KB XLSX with one cell in column XFD kept it busy for over nine minutes. On the real
 * server: while the curator opens that program, exports it (DOCX, PDF) and imports the hostile
 * spreadsheet, `/healthz` is polled; every answer must come within 3 s (the worst is printed).
 * The requests themselves get their answers: the view and the exports, and a Russian refusal
 * of the spreadsheet.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { encodeSyncUpdate } from '../../src/lib/shared/protocol';
import { startCuratorServer, type CuratorTestServer } from './curator-server';
import { rawClient } from './relay-helpers';

let t: CuratorTestServer;
let programId: string;
let mentorId: string;
let menteeId: string;

/** Twelve updates of ~1.6 MiB each: many small entries, as a participant's phone could send. */
function bigUpdates(): Uint8Array[] {
	const doc = new Y.Doc();
	const updates: Uint8Array[] = [];
	doc.on('update', (u: Uint8Array) => updates.push(u));
	for (let b = 0; b < 12; b++)
		doc.transact(() => {
			const m = doc.getMap('notes');
			for (let i = 0; i < 12_000; i++) m.set(`k${b}-${i}`, `${'заметка '.repeat(7)}${i}`);
		});
	doc.destroy();
	return updates;
}

/** A small XLSX: a registry of people, plus one cell in the last column (XFD). */
async function hostileXlsx(): Promise<Buffer> {
	const wb = new ExcelJS.Workbook();
	const ws = wb.addWorksheet('Люди');
	ws.addRow(['ФИО', 'Роль', 'Должность']);
	// HEAVY_XLSX_ROWS: fewer rows to watch the old code stall without exhausting the machine.
	const rows = Number(process.env.HEAVY_XLSX_ROWS ?? 2_000);
	for (let i = 0; i < rows; i++) ws.addRow([`Человек${i} Иван Петрович`, 'наставник', 'учитель']);
	ws.getCell('XFD1').value = 'x';
	return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A request and its whole body, read as soon as the answer arrives. */
async function answered(url: string, init: RequestInit): Promise<{ status: number; body: Buffer }> {
	const res = await fetch(url, init);
	return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

/** Polls /healthz until stopped; the worst answer time, ms. */
function pollHealth(): { stop(): Promise<{ worst: number; polls: number }> } {
	let running = true;
	let worst = 0;
	let polls = 0;
	const loop = (async () => {
		while (running) {
			const t0 = performance.now();
			const res = await fetch(`${t.base}/healthz`, { signal: AbortSignal.timeout(600_000) });
			await res.arrayBuffer();
			worst = Math.max(worst, performance.now() - t0);
			polls++;
			await new Promise((r) => setTimeout(r, 50));
		}
	})();
	return {
		async stop() {
			running = false;
			await loop;
			return { worst, polls };
		}
	};
}

beforeAll(async () => {
	// Twelve messages may grow a program this big only where the operator raised the document
	// limit (the relay's default is 4 MiB since the relay guard); what is measured here is that a
	// document this big, however it got there, does not stall everyone.
	t = await startCuratorServer({ RELAY_MAX_DOCUMENT_BYTES: String(32 * 1024 * 1024) });
	const mentor = await t.person('Иванова Мария Петровна', null);
	const mentee = await t.person('Петров Сергей Иванович', null);
	const program = await t.server.programs.createProgram(t.curatorActor, {
		organizationId: t.organizationId,
		templateId: 'tomsk-heads-beginner',
		startDate: new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10),
		participants: [
			{ personId: mentor.id, role: 'mentor' },
			{ personId: mentee.id, role: 'mentee' }
		]
	});
	programId = program.id;
	mentorId = mentor.id;
	menteeId = mentee.id;
	// The big program as the relay stores it: twelve accepted updates, compacted into one state
	// (done here, before anything is measured).
	const updates = bigUpdates();
	const seqs = await t.store.append(
		updates.map((data) => ({ programId, data, receivedAt: Date.now() }))
	);
	const stored = await t.store.load(programId);
	const merged = Y.mergeUpdates([...(stored.state ? [stored.state] : []), ...stored.updates]);
	await t.store.compact(
		programId,
		merged,
		Y.encodeStateVectorFromUpdate(merged),
		seqs[seqs.length - 1] ?? 0
	);
	expect((await t.store.load(programId)).updates).toHaveLength(0);
	console.log(`program of ${(merged.length / 1024 / 1024).toFixed(1)} MiB stored`);
}, 300_000);

afterAll(async () => {
	await t?.close();
});

describe('heavy requests cost their requester, not everyone', () => {
	it('a ~20 MiB program viewed and exported and a hostile XLSX imported while /healthz answers within 3 s', async () => {
		const xlsx = await hostileXlsx();
		console.log(`hostile XLSX of ${(xlsx.length / 1024).toFixed(0)} KB`);
		const health = pollHealth();
		await new Promise((r) => setTimeout(r, 200));
		const timeout = { signal: AbortSignal.timeout(240_000) };
		const started = performance.now();
		// Each body is read as its answer arrives, as a browser does: a body left unread until the
		// slowest of the four answered (over 10 s on a loaded CI machine) outlived the server's
		// keep-alive timeout, and undici then drops the buffered rest of it ("terminated: other side
		// closed", reproduced with a 17 KB view read 2.5 s late against a 1 s keep-alive).
		const [view, docx, pdf, imported] = await Promise.all([
			answered(`${t.base}/api/curator/programs/${programId}`, {
				headers: { cookie: t.curatorCookie },
				...timeout
			}),
			answered(`${t.base}/api/curator/programs/${programId}/document?format=docx`, {
				headers: { cookie: t.curatorCookie },
				...timeout
			}),
			answered(`${t.base}/api/curator/programs/${programId}/document?format=pdf`, {
				headers: { cookie: t.curatorCookie },
				...timeout
			}),
			answered(`${t.base}/api/organizations/${t.organizationId}/import`, {
				method: 'POST',
				headers: { cookie: t.curatorCookie, 'content-type': 'application/json' },
				body: JSON.stringify({
					fileName: 'люди.xlsx',
					content: xlsx.toString('base64'),
					dryRun: true
				}),
				...timeout
			})
		]);
		const took = performance.now() - started;
		const { worst, polls } = await health.stop();
		console.log(
			`heavy requests done in ${took.toFixed(0)} ms; /healthz worst ${worst.toFixed(0)} ms over ${polls} polls`
		);
		expect(view.status).toBe(200);
		const json = JSON.parse(view.body.toString('utf8')) as {
			program: { meta: { title: string } };
		};
		expect(json.program.meta.title.length).toBeGreaterThan(0);
		expect(docx.status).toBe(200);
		expect(docx.body.subarray(0, 2).toString('latin1')).toBe('PK');
		expect(pdf.status).toBe(200);
		expect(imported.status).toBe(400);
		const refusal = JSON.parse(imported.body.toString('utf8')) as {
			message: string;
		};
		expect(refusal.message).toMatch(/не больше 64 столбцов/);
		expect(worst).toBeLessThan(3_000);
	}, 600_000);

	it('twelve allowed messages grow a program to ~20 MiB through the relay; then its view and summary run off the event loop', async () => {
		const program = await t.server.programs.createProgram(t.curatorActor, {
			organizationId: t.organizationId,
			templateId: 'tomsk-heads-beginner',
			startDate: new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10),
			participants: [
				{ personId: mentorId, role: 'mentor' },
				{ personId: menteeId, role: 'mentee' }
			]
		});
		const messages = bigUpdates().map((u) => encodeSyncUpdate(u));
		const client = rawClient(
			`${t.wsBase}/${program.id}?token=${encodeURIComponent(t.token(mentorId, program.id))}`
		);
		await client.open;
		const health = pollHealth();
		const started = performance.now();
		for (const m of messages) {
			client.send(m);
			// Within the relay's rates: a message every 300 ms.
			await new Promise((r) => setTimeout(r, 300));
		}
		// All twelve stored (the relay closing the socket instead is a failure, not a wait).
		let refused: { code: number; reason: string } | null = null;
		void client.closed.then((c) => (refused = c));
		for (;;) {
			expect(refused, 'the relay refused the allowed messages').toBeNull();
			const stored = await t.store.load(program.id);
			const bytes = [stored.state, ...stored.updates].reduce((n, p) => n + (p?.length ?? 0), 0);
			if (bytes > 15 * 1024 * 1024) break;
			await new Promise((r) => setTimeout(r, 200));
		}
		const writes = await health.stop();
		console.log(
			`twelve messages stored in ${(performance.now() - started).toFixed(0)} ms; /healthz worst ${writes.worst.toFixed(0)} ms over ${writes.polls} polls (relay-side validation included)`
		);
		const viewHealth = pollHealth();
		const view = await fetch(`${t.base}/api/curator/programs/${program.id}`, {
			headers: { cookie: t.curatorCookie },
			signal: AbortSignal.timeout(240_000)
		});
		expect(view.status).toBe(200);
		await view.arrayBuffer();
		// The summary of the big program (due after the changes) is computed meanwhile too.
		await new Promise((r) => setTimeout(r, 3_000));
		const reads = await viewHealth.stop();
		console.log(`view of the grown program: /healthz worst ${reads.worst.toFixed(0)} ms`);
		client.ws.close();
		expect(reads.worst).toBeLessThan(3_000);
	}, 600_000);
});
