/**
 * server/cluster against a real Redis (REDIS_URL): fan-out between two instances, no echo to the
 * origin, control messages, per-program leases, and what losing Redis does (publishes fail
 * without throwing, health says degraded, the subscription comes back and asks for a resync).
 * Skipped, saying why, without REDIS_URL.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisCluster, type Cluster } from '../../server/cluster/index';
import { createLogger } from '../../server/logger';
import { redisUrl, skipUnlessCi } from './test-storage';
import { waitFor } from '../support/wait';
import { cuttableProxy } from '../support/cuttable-proxy';

async function redisUnavailable(): Promise<string | null> {
	const url = redisUrl();
	if (!url) return 'REDIS_URL is not set (cluster tests need Redis, e.g. redis://127.0.0.1:6379)';
	const r = new Redis(url, {
		lazyConnect: true,
		maxRetriesPerRequest: 0,
		retryStrategy: () => null
	});
	try {
		await r.connect();
		await r.ping();
		return null;
	} catch (error) {
		return `Redis at REDIS_URL does not answer: ${error instanceof Error ? error.message : String(error)}`;
	} finally {
		r.disconnect();
	}
}

const skip = skipUnlessCi('cluster-redis', await redisUnavailable());

const logger = createLogger('silent');

describe.skipIf(skip !== null)('cluster over Redis', () => {
	const clusters: Cluster[] = [];
	const make = async (url = redisUrl() ?? '', prefix = `t${randomBytes(4).toString('hex')}`) => {
		const c = await createRedisCluster({ url, logger, prefix });
		clusters.push(c);
		return c;
	};
	afterAll(async () => {
		await Promise.all(clusters.map((c) => c.close()));
	});

	it('delivers updates and awareness of joined programs to the other instance only', async () => {
		const prefix = `t${randomBytes(4).toString('hex')}`;
		const a = await make(undefined, prefix);
		const b = await make(undefined, prefix);
		await waitFor(() => a.health().ok && b.health().ok, 'redis');
		const gotA: string[] = [];
		const gotB: string[] = [];
		a.onUpdate((p, u) => gotA.push(`${p}:${Buffer.from(u).toString()}`));
		b.onUpdate((p, u) => gotB.push(`${p}:${Buffer.from(u).toString()}`));
		b.onAwareness((p, u) => gotB.push(`aw:${p}:${Buffer.from(u).toString()}`));
		await a.join('p1');
		await b.join('p1');
		a.publishUpdate('p1', Buffer.from('u1'));
		a.publishAwareness('p1', Buffer.from('x'));
		a.publishUpdate('p2', Buffer.from('not joined'));
		await waitFor(() => gotB.length >= 2, 'delivery');
		// "Nothing else arrives" (p2 is not joined): a fixed window, not a condition.
		await new Promise((r) => setTimeout(r, 100));
		expect(gotB).toEqual(['p1:u1', 'aw:p1:x']);
		expect(gotA).toEqual([]);
		// An update that claimed client ids carries them (the other instance enforces ownership too).
		const claimed: unknown[] = [];
		b.onUpdate((_p, u, claims) => claimed.push([Buffer.from(u).toString(), claims]));
		a.publishUpdate('p1', Buffer.from('u2'), { userId: 'mentor', clientIds: [42, 7] });
		await waitFor(() => claimed.length >= 1, 'claims');
		expect(claimed[0]).toEqual(['u2', { userId: 'mentor', clientIds: [42, 7] }]);
		expect(gotB.at(-1)).toBe('p1:u2');
		b.leave('p1');
		a.publishUpdate('p1', Buffer.from('after leave'));
		// "Nothing arrives after leave": a fixed window, not a condition.
		await new Promise((r) => setTimeout(r, 100));
		expect(gotB).toHaveLength(3);
	});

	it('fans out session revocation to every other instance', async () => {
		const prefix = `t${randomBytes(4).toString('hex')}`;
		const [a, b, c] = await Promise.all([
			make(undefined, prefix),
			make(undefined, prefix),
			make(undefined, prefix)
		]);
		await waitFor(() => [a, b, c].every((x) => x.health().ok), 'redis');
		// Let the control subscriptions settle (no observable condition for it).
		await new Promise((r) => setTimeout(r, 50));
		const seen: string[] = [];
		for (const [name, x] of [
			['a', a],
			['b', b],
			['c', c]
		] as const)
			x.onControl((m) => seen.push(`${name}:${m.type}:${'sessionId' in m ? m.sessionId : ''}`));
		a.publishControl({ type: 'session-revoked', sessionId: 's1' });
		await waitFor(() => seen.length >= 2, 'control');
		// "The sender does not hear itself": a fixed window, not a condition.
		await new Promise((r) => setTimeout(r, 50));
		expect(seen.sort()).toEqual(['b:session-revoked:s1', 'c:session-revoked:s1']);
	});

	it('grants a program lease to one instance at a time, renewable, released, expiring', async () => {
		const prefix = `t${randomBytes(4).toString('hex')}`;
		const a = await make(undefined, prefix);
		const b = await make(undefined, prefix);
		await waitFor(() => a.health().ok && b.health().ok, 'redis');
		const results = await Promise.all([a.tryLead('compact', 'p'), b.tryLead('compact', 'p')]);
		expect([...results].sort()).toEqual(['follower', 'leader']);
		const leader = results[0] === 'leader' ? a : b;
		const other = leader === a ? b : a;
		expect(await leader.tryLead('compact', 'p')).toBe('leader'); // renewal
		expect(await other.tryLead('compact', 'q')).toBe('leader'); // per program
		await leader.release('compact', 'p');
		expect(await other.tryLead('compact', 'p', 100)).toBe('leader');
		// Time passes: the 100 ms lease expires.
		await new Promise((r) => setTimeout(r, 200));
		expect(await leader.tryLead('compact', 'p')).toBe('leader'); // expired lease
	});

	it('losing Redis: publishes fail quietly, health degrades, the subscription comes back with a resync', async () => {
		const proxy = await cuttableProxy(new URL(redisUrl() ?? ''));
		const prefix = `t${randomBytes(4).toString('hex')}`;
		const a = await make(proxy.url, prefix);
		const b = await make(undefined, prefix);
		await waitFor(() => a.health().ok && b.health().ok, 'redis');
		let resyncs = 0;
		a.onResync(() => resyncs++);
		const got: string[] = [];
		a.onUpdate((_p, u) => got.push(Buffer.from(u).toString()));
		await a.join('p');
		await b.join('p');
		proxy.cut();
		await waitFor(() => !a.health().ok, 'degraded health');
		expect(a.health().detail).toContain('sync on reconnect');
		expect(await a.tryLead('summary', 'p')).toBe('unknown');
		expect(() => a.publishUpdate('p', Buffer.from('lost'))).not.toThrow();
		b.publishUpdate('p', Buffer.from('missed while down'));
		proxy.restore();
		await waitFor(() => a.health().ok, 'recovery', 10_000);
		expect(resyncs).toBe(1);
		// Let the resubscription settle (no observable condition for it).
		await new Promise((r) => setTimeout(r, 100));
		b.publishUpdate('p', Buffer.from('after'));
		await waitFor(() => got.includes('after'), 'delivery after recovery');
		expect(got).toEqual(['after']);
		await a.close();
		await proxy.close();
	});
});
