import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { runDemo } from '../../server/cli/identity/demo';
import {
	api,
	closeWs,
	cookiePair,
	probeRelay,
	startTestServer,
	type TestServer
} from './identity-fixture';

describe('first start and the demo', () => {
	let t: TestServer;

	beforeAll(async () => {
		t = await startTestServer();
	});

	afterAll(async () => {
		await t?.close();
	});

	it('an empty data directory: the log says how to create the first organization, and nothing is open', async () => {
		expect(t.logs()).toContain('no organizations yet');
		expect(t.logs()).toContain('npm run cli -- setup --municipality');
		expect((await api(t, 'GET', '/api/me')).status).toBe(401);
		expect((await api(t, 'GET', '/api/organizations')).status).toBe(401);
	});

	it('`demo` fills a municipality with organizations, people and programs from the templates', async () => {
		const demo = await runDemo(t.server, { programs: 8 });
		expect(demo.programIds).toHaveLength(8);
		const links = demo.lines.flatMap(
			(l) => /(https?:\/\/\S+\/invite#([A-Za-z0-9_-]{43}))/.exec(l)?.[2] ?? []
		);
		expect(links).toHaveLength(6);
		for (const code of links) t.secrets.add(code);
		const redeem = async (code: string) => {
			const r = await api(t, 'POST', '/api/invitations/redeem', { body: { code } });
			expect(r.status).toBe(200);
			const cookie = cookiePair(r.setCookie);
			t.secrets.add(cookie.split('=')[1] ?? '');
			return { cookie, body: r.body };
		};

		// The coordinator sees monitoring of every program (summaries, no texts).
		const coordinator = await redeem(links[0] ?? '');
		const monitoring = await api(
			t,
			'GET',
			`/api/municipalities/${demo.municipalityId}/monitoring`,
			{
				cookie: coordinator.cookie
			}
		);
		expect(monitoring.status).toBe(200);
		const programs = monitoring.body.programs as Array<{
			summary: { title: string; stage: unknown } | null;
		}>;
		expect(programs).toHaveLength(8);
		expect(programs.every((p) => p.summary && p.summary.title.length > 0)).toBe(true);
		// The stored summaries carry the demo's history (demo-history.ts; its spread is counted over
		// 300 programs in demo-history.test.ts): not every program a fresh, untouched draft.
		const stored = programs.map(
			(p) =>
				p.summary as unknown as {
					status: string;
					progress: { done: number };
					meetings: { count: number };
				}
		);
		expect(stored.filter((s) => s.status !== 'draft').length).toBeGreaterThan(0);
		expect(stored.filter((s) => s.progress.done > 0).length).toBeGreaterThan(0);
		expect(stored.filter((s) => s.meetings.count > 0).length).toBeGreaterThan(0);
		expect(Object.values(demo.scenarios).reduce((a, b) => a + (b ?? 0), 0)).toBe(8);

		// The curator of the first school sees its programs read-only.
		const curator = await redeem(links[2] ?? '');
		const mine = (curator.body.programs as Array<{ access: string }>) ?? [];
		expect(mine.length).toBeGreaterThanOrEqual(2);
		expect(mine.every((p) => p.access === 'ro')).toBe(true);
		// Monitored programs go without names (the dashboard has them).
		expect(mine.every((p) => !('mentees' in p))).toBe(true);

		// The mentor of the first program opens the document over the relay.
		const mentor = await redeem(links[4] ?? '');
		const [program] = mentor.body.programs as Array<{ id: string; access: string; role: string }>;
		expect(program).toMatchObject({ access: 'rw', role: 'mentor' });
		// Two programs of one template are told apart by their people's short names.
		const named = program as unknown as { mentees: string[]; mentors: string[] };
		expect(named.mentees).toHaveLength(1);
		expect(named.mentees[0]).toMatch(/^[А-ЯЁ][а-яё]+\u00a0[А-ЯЁ]\.\u00a0[А-ЯЁ]\.$/);
		expect(named.mentors).toHaveLength(1);
		const probe = await probeRelay(t, program?.id ?? '', { cookie: mentor.cookie });
		expect(probe.open).toBe(true);
		if (probe.open) await closeWs(probe.ws);
		const doc = new Y.Doc();
		Y.applyUpdate(doc, await t.server.relay.getDocument(program?.id ?? ''));
		expect(doc.getMap('meta').size + doc.share.size).toBeGreaterThan(1);
	});

	it('writes no invitation code or cookie to the log', () => {
		for (const s of t.secrets) expect(t.logs()).not.toContain(s);
	});
});
