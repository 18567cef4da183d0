/**
 * A fair share of the heavy requests for each person (issue #14): a request that reads a whole
 * program document, renders a document or a spreadsheet, or parses an import costs the event loop
 * milliseconds (reading and hashing the document, serializing a view of megabytes) and a worker
 * thread for longer. One curator looping over the view and the export of a 22 MiB program
 * (~124 of each per second) took 76 % of the event loop every phone waits on (bench:abuse
 * big-program), and 530 organization-wide exports a second from one person 59 % (title-fffe).
 * So, per person (all sessions and devices together):
 * - at most `perUser` heavy requests under way at once, `queuePerUser` more wait for their turn;
 *   beyond that a 429 at once (`busy`);
 * - at most `perMinute` heavy requests started a minute (rate-limiter-flexible; in Redis when
 *   the cluster's REDIS_URL is set, so the instances share the count); beyond it a 429 with
 *   `Retry-After` (`too_many_requests`).
 * A refusal is remembered for its session and path until its `Retry-After`: the same request
 * again is answered by the front door (front-door.ts) before Fastify, the session lookup or any
 * reading, and only after a second — a client that ignores `Retry-After` gets cheap, slow
 * refusals, not the server's time.
 *
 * Which requests are heavy is decided once per route, from its method and URL (`isHeavyRoute`),
 * so a new export route is covered by where it lives, not by remembering to mark it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { countOf } from '../../src/lib/shared/time.js';
import { IdentityError } from '../identity/errors.js';
import { SESSION_COOKIE } from '../identity/relay-authorizer.js';
import { REFUSAL_HOLD_MS, type EarlyRefusal } from './front-door.js';
import type { LimiterFactory } from './rate-limiters.js';

export interface HeavyShareOptions {
	/** Heavy requests of one person under way at once (HEAVY_REQUESTS_PER_USER). */
	perUser: number;
	/** More of them waiting for a place (HEAVY_QUEUE_PER_USER); beyond: 429 at once. */
	queuePerUser: number;
	/** Heavy requests of one person started a minute (HEAVY_REQUESTS_PER_MINUTE). */
	perMinute: number;
	/** Where the minute's counts live (memory, or Redis in a cluster); its owner closes it. */
	limiters: LimiterFactory;
	/** `http_heavy_refused_total{reason}` is registered here. */
	registry?: Registry;
	now?: () => number;
}

/** Paths under /api/curator whose segment names a rendering or a whole document. */
const RENDERING_SEGMENT = /\/(document|documents\/[^/]+\/file|note|exports)(\/|$)/;

/**
 * Heavy routes, by the route's URL as registered (`/api/curator/programs/:id`):
 * - GET `/api/curator/programs/:id` (the program view: the whole document, read in a worker);
 * - GET under `/api/curator/` with a `document`, `note`, `exports` or `documents/:kind/file`
 *   segment (every DOCX/PDF/XLSX rendering of a program, a stage, a report or a scope);
 * - POST `/api/curator/programs/:id/case` (reads the program's view);
 * - POST `/api/organizations/:id/import` (a spreadsheet parsed in a worker).
 */
export function isHeavyRoute(method: string, url: string | undefined): boolean {
	if (!url) return false;
	if (method === 'GET' || method === 'HEAD') {
		if (!url.startsWith('/api/curator/')) return false;
		return url === '/api/curator/programs/:id' || RENDERING_SEGMENT.test(url);
	}
	if (method === 'POST')
		return url === '/api/organizations/:id/import' || url === '/api/curator/programs/:id/case';
	return false;
}

const BUSY_MESSAGE =
	'Ещё выполняются ваши предыдущие запросы документов и выгрузок. Дождитесь их и повторите через несколько секунд.';
const BUSY_RETRY_SECONDS = 1;

const SECONDS = { one: 'секунду', few: 'секунды', many: 'секунд' };

function rateMessage(seconds: number): string {
	return `Слишком много запросов документов и выгрузок подряд. Повторите через ${countOf(seconds, SECONDS)}.`;
}

/** Refusals remembered at most (a flood of sessions must not grow the memory for ever). */
const REMEMBERED_MAX = 10_000;

interface Share {
	running: number;
	/** Each waiter's go-ahead; one whose client left meanwhile passes its place on at once. */
	waiting: (() => void)[];
}

export class HeavyShare {
	private readonly shares = new Map<string, Share>();
	/** `<session> <method> <path>` → until when (ms) and why: answered at the front door. */
	private readonly refused = new Map<string, { until: number; busy: boolean }>();
	private readonly now: () => number;
	private limiter: RateLimiterAbstract | null = null;
	/** Refusals by kind, since start (metrics, tests): busy, over the rate, repeated at the door. */
	readonly counts = { busy: 0, rate: 0, door: 0 };
	private readonly refusedMetric: Counter<'reason'> | null;

	constructor(private readonly options: HeavyShareOptions) {
		this.now = options.now ?? Date.now;
		this.refusedMetric = options.registry
			? new Counter({
					name: 'http_heavy_refused_total',
					help: "heavy requests (documents, exports, imports) refused for their person's share: busy, rate (over the minute's count), door (the same again within Retry-After)",
					labelNames: ['reason'],
					registers: [options.registry]
				})
			: null;
	}

	private count(reason: 'busy' | 'rate' | 'door'): void {
		this.counts[reason]++;
		this.refusedMetric?.inc({ reason });
	}

	async start(): Promise<void> {
		this.limiter = await this.options.limiters.make('heavy:user', {
			points: this.options.perMinute,
			durationSeconds: 60
		});
	}

	/** Heavy requests of `userId` under way and waiting (tests, diagnostics). */
	load(userId: string): { running: number; waiting: number } {
		const s = this.shares.get(userId);
		return { running: s?.running ?? 0, waiting: s?.waiting.length ?? 0 };
	}

	/**
	 * Admits one heavy request of `userId`: resolves with its release once it may run (maybe
	 * after waiting for a place), or throws a 429 IdentityError (the caller sets Retry-After
	 * from `retryAfterSeconds`). `abandoned()` tells whether the client went away while waiting.
	 */
	async admit(userId: string, abandoned: () => boolean): Promise<() => void> {
		let share = this.shares.get(userId);
		if (
			share &&
			share.running >= this.options.perUser &&
			share.waiting.length >= this.options.queuePerUser
		) {
			this.count('busy');
			throw new IdentityError(429, 'busy', BUSY_MESSAGE, { retryAfterSeconds: BUSY_RETRY_SECONDS });
		}
		await this.consume(userId);
		share = this.shares.get(userId);
		if (!share) {
			share = { running: 0, waiting: [] };
			this.shares.set(userId, share);
		}
		const current = share;
		if (current.running >= this.options.perUser) {
			if (current.waiting.length >= this.options.queuePerUser) {
				this.count('busy');
				throw new IdentityError(429, 'busy', BUSY_MESSAGE, {
					retryAfterSeconds: BUSY_RETRY_SECONDS
				});
			}
			await new Promise<void>((resolve) => current.waiting.push(resolve));
			// The place was handed over (`running` stays counted).
		} else current.running++;
		let released = false;
		const release = () => {
			if (released) return;
			released = true;
			this.handOver(userId, current);
		};
		if (abandoned()) {
			release();
			throw new IdentityError(499, 'client_closed', 'Запрос отменён');
		}
		return release;
	}

	/** A place is free: the next waiter takes it (`running` stays counted), else the count drops. */
	private handOver(userId: string, share: Share): void {
		const next = share.waiting.shift();
		if (next) {
			next();
			return;
		}
		share.running--;
		if (share.running <= 0 && share.waiting.length === 0) this.shares.delete(userId);
	}

	private async consume(userId: string): Promise<void> {
		if (!this.limiter) return;
		try {
			await this.limiter.consume(userId);
		} catch (error) {
			if (!(error instanceof RateLimiterRes)) throw error;
			this.count('rate');
			const seconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
			throw new IdentityError(429, 'too_many_requests', rateMessage(seconds), {
				retryAfterSeconds: seconds
			});
		}
	}

	/** Remembers a refusal of this session and path until `seconds` from now (the front door answers it). */
	remember(session: string, method: string, path: string, refusal: IdentityError): void {
		if (this.refused.size >= REMEMBERED_MAX) {
			const t = this.now();
			for (const [k, r] of this.refused) if (r.until <= t) this.refused.delete(k);
			if (this.refused.size >= REMEMBERED_MAX) this.refused.clear();
		}
		const seconds = retryAfterOf(refusal);
		this.refused.set(`${session} ${method} ${path}`, {
			until: this.now() + seconds * 1000,
			busy: refusal.code === 'busy'
		});
	}

	/**
	 * At the front door, before Fastify: the remembered refusal of this request (same session,
	 * method and path, still within its Retry-After), or null. Nothing remembered: no parsing.
	 */
	doorRefusal(request: IncomingMessage): EarlyRefusal | null {
		if (this.refused.size === 0) return null;
		const session = sessionOf(request.headers.cookie);
		if (!session) return null;
		const key = `${session} ${request.method ?? ''} ${pathOf(request.url)}`;
		const refusal = this.refused.get(key);
		if (refusal === undefined) return null;
		const ms = refusal.until - this.now();
		if (ms <= 0) {
			this.refused.delete(key);
			return null;
		}
		this.count('door');
		const seconds = Math.max(1, Math.ceil(ms / 1000));
		const holdMs = Math.min(REFUSAL_HOLD_MS, ms);
		return refusal.busy
			? { error: 'busy', message: BUSY_MESSAGE, retryAfterSeconds: seconds, holdMs }
			: {
					error: 'too_many_requests',
					message: rateMessage(seconds),
					retryAfterSeconds: seconds,
					holdMs
				};
	}
}

/** The session cookie's value from a Cookie header, without parsing the rest. */
export function sessionOf(cookie: string | undefined): string | null {
	if (!cookie) return null;
	let at = cookie.indexOf(`${SESSION_COOKIE}=`);
	while (at > 0 && cookie[at - 1] !== ' ' && cookie[at - 1] !== ';')
		at = cookie.indexOf(`${SESSION_COOKIE}=`, at + 1);
	if (at === -1) return null;
	const start = at + SESSION_COOKIE.length + 1;
	const end = cookie.indexOf(';', start);
	const value = (end === -1 ? cookie.slice(start) : cookie.slice(start, end)).trim();
	return value || null;
}

function retryAfterOf(error: IdentityError): number {
	const seconds = Number(error.details?.retryAfterSeconds);
	return Number.isFinite(seconds) && seconds >= 1 ? Math.ceil(seconds) : 1;
}

function pathOf(url: string | undefined): string {
	if (!url) return '';
	const q = url.indexOf('?');
	return q === -1 ? url : url.slice(0, q);
}

/**
 * The /api scope's hook (after the API boundary's session hook): heavy routes are admitted by
 * `share`, their place released when the response ends. Anonymous requests pass (the route
 * answers 401 itself, cheaply).
 */
export function registerHeavyShare(api: FastifyInstance, share: HeavyShare): void {
	const heavy = new Map<string, boolean>();
	api.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
		const url = request.routeOptions.url;
		const key = `${request.method} ${url ?? ''}`;
		let isHeavy = heavy.get(key);
		if (isHeavy === undefined) {
			isHeavy = isHeavyRoute(request.method, url);
			heavy.set(key, isHeavy);
		}
		if (!isHeavy || !request.principal) return;
		const raw = reply.raw;
		let closed = false;
		raw.once('close', () => {
			closed = true;
		});
		try {
			const release = await share.admit(request.principal.person.id, () => closed);
			if (closed) release();
			else raw.once('close', release);
		} catch (error) {
			if (error instanceof IdentityError && error.status === 429) {
				const seconds = retryAfterOf(error);
				reply.header('retry-after', String(seconds));
				const session = sessionOf(request.headers.cookie);
				if (session) share.remember(session, request.method, pathOf(request.url), error);
				// Held like the door's (a client varying the path to miss the door's memory still
				// gets one refusal a second per connection).
				if (!closed)
					await new Promise((r) => setTimeout(r, Math.min(REFUSAL_HOLD_MS, seconds * 1000)));
			}
			throw error;
		}
	});
}
