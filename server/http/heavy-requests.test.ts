import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { IdentityError } from '../identity/errors';
import { createLogger } from '../logger';
import { HeavyShare, isHeavyRoute, sessionOf } from './heavy-requests';
import { createLimiterFactory } from './rate-limiters';

const log = createLogger('silent');

async function share(perMinute = 100, now?: () => number): Promise<HeavyShare> {
	const s = new HeavyShare({
		perUser: 2,
		queuePerUser: 1,
		perMinute,
		limiters: createLimiterFactory({ log }),
		...(now ? { now } : {})
	});
	await s.start();
	return s;
}

const refusalOf = (p: Promise<unknown>) =>
	p.then(
		() => null,
		(e: unknown) => (e instanceof IdentityError ? e : Promise.reject(e))
	);

describe('which routes are heavy', () => {
	it('the program view, every rendering under /api/curator, the import', () => {
		for (const url of [
			'/api/curator/programs/:id',
			'/api/curator/programs/:id/document',
			'/api/curator/programs/:id/stages/:stageId/note',
			'/api/curator/programs/:id/reports/:period/document',
			'/api/curator/:kind/:id/exports/monitoring.xlsx',
			'/api/curator/:kind/:id/exports/note',
			'/api/curator/:kind/:id/documents/:docKind/file'
		]) {
			expect(isHeavyRoute('GET', url), url).toBe(true);
			expect(isHeavyRoute('HEAD', url), url).toBe(true);
		}
		expect(isHeavyRoute('POST', '/api/organizations/:id/import')).toBe(true);
		expect(isHeavyRoute('POST', '/api/curator/programs/:id/case')).toBe(true);
	});

	it('not the dashboards, lists, actions or anything outside', () => {
		for (const [method, url] of [
			['GET', '/api/curator/scopes'],
			['GET', '/api/curator/:kind/:id/dashboard'],
			['GET', '/api/curator/:kind/:id/documents/:docKind'],
			['GET', '/api/curator/programs/:id/row'],
			['POST', '/api/curator/programs/:id/actions'],
			['GET', '/api/programs/:id/document'],
			['GET', '/healthz'],
			['DELETE', '/api/curator/cases/:id']
		] as const)
			expect(isHeavyRoute(method, url), `${method} ${url}`).toBe(false);
		expect(isHeavyRoute('GET', undefined)).toBe(false);
	});
});

describe('HeavyShare', () => {
	it('two under way, one waiting, the next refused busy; a freed place goes to the waiter', async () => {
		const s = await share();
		const a = await s.admit('u1', () => false);
		const b = await s.admit('u1', () => false);
		let cGot = false;
		const c = s.admit('u1', () => false).then((r) => ((cGot = true), r));
		// The rate count is asked first (a promise, even in memory).
		await new Promise((r) => setTimeout(r, 10));
		expect(s.load('u1')).toEqual({ running: 2, waiting: 1 });
		const refused = await refusalOf(s.admit('u1', () => false));
		expect(refused?.status).toBe(429);
		expect(refused?.code).toBe('busy');
		expect(refused?.messageRu).toMatch(/Ещё выполняются/);
		// Another person is not affected.
		const other = await s.admit('u2', () => false);
		a();
		a(); // released twice: counted once
		const cRelease = await c;
		expect(cGot).toBe(true);
		expect(s.load('u1')).toEqual({ running: 2, waiting: 0 });
		b();
		cRelease();
		other();
		expect(s.load('u1')).toEqual({ running: 0, waiting: 0 });
		expect(s.counts.busy).toBe(1);
	});

	it('a waiter whose client left passes its place on', async () => {
		const s = await share();
		const a = await s.admit('u1', () => false);
		const b = await s.admit('u1', () => false);
		let gone = false;
		const c = refusalOf(s.admit('u1', () => gone));
		gone = true;
		a();
		expect((await c)?.status).toBe(499);
		expect(s.load('u1')).toEqual({ running: 1, waiting: 0 });
		b();
		expect(s.load('u1')).toEqual({ running: 0, waiting: 0 });
	});

	it('beyond the minute’s count: 429 with the seconds to wait, in Russian', async () => {
		const s = await share(3);
		for (let i = 0; i < 3; i++) (await s.admit('u1', () => false))();
		const refused = await refusalOf(s.admit('u1', () => false));
		expect(refused?.code).toBe('too_many_requests');
		const seconds = Number(refused?.details?.retryAfterSeconds);
		expect(seconds).toBeGreaterThanOrEqual(1);
		expect(seconds).toBeLessThanOrEqual(60);
		expect(refused?.messageRu).toMatch(
			/^Слишком много запросов документов и выгрузок подряд\. Повторите через \d+ секунд[уы]?\.$/
		);
		expect(s.counts.rate).toBe(1);
	});

	it('a remembered refusal is answered at the door for that session and path until its time', async () => {
		let now = 1_000_000;
		const s = await share(100, () => now);
		const request = (cookie: string, url: string) =>
			({ headers: { cookie }, method: 'GET', url }) as unknown as IncomingMessage;
		expect(s.doorRefusal(request('nst_session=abc', '/api/curator/programs/p1'))).toBeNull();
		s.remember(
			'abc',
			'GET',
			'/api/curator/programs/p1',
			new IdentityError(429, 'too_many_requests', '…', { retryAfterSeconds: 20 })
		);
		const again = s.doorRefusal(
			request('theme=dark; nst_session=abc', '/api/curator/programs/p1?x=1')
		);
		expect(again?.error).toBe('too_many_requests');
		expect(again?.retryAfterSeconds).toBe(20);
		expect(again?.holdMs).toBe(1_000);
		expect(again?.message).toMatch(/Повторите через 20 секунд\./);
		// Another session, another path: not refused here.
		expect(s.doorRefusal(request('nst_session=abd', '/api/curator/programs/p1'))).toBeNull();
		expect(s.doorRefusal(request('nst_session=abc', '/api/curator/programs/p2'))).toBeNull();
		now += 20_001;
		expect(s.doorRefusal(request('nst_session=abc', '/api/curator/programs/p1'))).toBeNull();
		expect(s.counts.door).toBe(1);
	});

	it('reads the session cookie without being fooled by a longer name', () => {
		expect(sessionOf('nst_session=t1')).toBe('t1');
		expect(sessionOf('a=1; nst_session=t2; b=2')).toBe('t2');
		expect(sessionOf('xnst_session=evil; nst_session=t3')).toBe('t3');
		expect(sessionOf('xnst_session=evil')).toBeNull();
		expect(sessionOf(undefined)).toBeNull();
	});
});

describe('HeavyShare in a cluster (REDIS_URL)', () => {
	const url = process.env.TEST_REDIS_URL || process.env.REDIS_URL;
	it.skipIf(!url)('two instances share one person’s count of the minute', async () => {
		const prefix = `test-heavy-${process.pid}-${Date.now()}`;
		const factories: ReturnType<typeof createLimiterFactory>[] = [];
		const instance = async () => {
			const limiters = createLimiterFactory({ redisUrl: url, prefix, log });
			factories.push(limiters);
			const s = new HeavyShare({ perUser: 2, queuePerUser: 1, perMinute: 4, limiters });
			await s.start();
			return s;
		};
		const [a, b] = [await instance(), await instance()];
		try {
			// Redis connects in the background; until then the memory limiter answers.
			await new Promise((r) => setTimeout(r, 300));
			(await a.admit('u1', () => false))();
			(await b.admit('u1', () => false))();
			(await a.admit('u1', () => false))();
			(await b.admit('u1', () => false))();
			const refusedA = await refusalOf(a.admit('u1', () => false));
			const refusedB = await refusalOf(b.admit('u1', () => false));
			expect(refusedA?.code).toBe('too_many_requests');
			expect(refusedB?.code).toBe('too_many_requests');
		} finally {
			for (const f of factories) await f.close();
		}
	});
});
