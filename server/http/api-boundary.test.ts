import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgramValidationError } from '../../src/lib/shared/program/index.js';
import { IdentityError } from '../identity/errors.js';
import type { IdentityService } from '../identity/service.js';
import { apiBoundary } from './api-boundary.js';
import { principalOf } from './api/context.js';

/** Only what the boundary calls: a cookie 'good' is a signed-in person. */
const identity = {
	now: () => 0,
	authenticate: async (token: unknown) =>
		token === 'good'
			? {
					actor: { personId: 'p1', roles: [] },
					person: { id: 'p1' },
					session: { id: 's1', expiresAt: 1 },
					renewed: false
				}
			: null
} as unknown as IdentityService;

const app = Fastify();

beforeAll(async () => {
	await app.register(
		async (api) => {
			await api.register(apiBoundary, { identity });
			// Routes registered beside the boundary (not inside it) get its hooks and error handler.
			api.get('/who', async (request) => ({ personId: principalOf(request).actor.personId }));
			api.post('/write', async () => ({ ok: true }));
			api.get('/rule', async () => {
				throw new ProgramValidationError('invalid-state', 'status', 'draft', 'Уже утверждена.');
			});
			api.get('/conflict', async () => {
				throw new IdentityError(409, 'login_taken', 'Этот логин уже занят');
			});
			api.get('/crash', async () => {
				throw new Error('secret detail');
			});
		},
		{ prefix: '/api' }
	);
	await app.ready();
});

afterAll(() => app.close());

describe('the API boundary (session, CSRF, errors) in front of every /api route', () => {
	it('session: the cookie becomes the principal; without it, 401', async () => {
		const ok = await app.inject({ url: '/api/who', headers: { cookie: 'nst_session=good' } });
		expect(ok.json()).toEqual({ personId: 'p1' });
		const anon = await app.inject({ url: '/api/who' });
		expect(anon.statusCode).toBe(401);
		expect(Object.keys(anon.json()).sort()).toEqual(['error', 'message']);
	});

	it('CSRF: a cross-origin write is refused (403), a form post too (415); same-origin JSON passes', async () => {
		const cross = await app.inject({
			method: 'POST',
			url: '/api/write',
			headers: { origin: 'https://evil.example', host: 'school.example' },
			payload: {}
		});
		expect(cross.statusCode).toBe(403);
		const form = await app.inject({
			method: 'POST',
			url: '/api/write',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			payload: 'a=1'
		});
		expect(form.statusCode).toBe(415);
		const same = await app.inject({
			method: 'POST',
			url: '/api/write',
			headers: { origin: 'http://school.example', host: 'school.example' },
			payload: {}
		});
		expect(same.json()).toEqual({ ok: true });
	});

	it('errors: API errors and program rules keep their status and Russian message; a crash leaks nothing', async () => {
		const conflict = await app.inject({ url: '/api/conflict' });
		expect(conflict.statusCode).toBe(409);
		expect(conflict.json()).toEqual({ error: 'login_taken', message: 'Этот логин уже занят' });
		const rule = await app.inject({ url: '/api/rule' });
		expect(rule.statusCode).toBe(409);
		expect(rule.json()).toEqual({
			error: 'invalid-state',
			field: 'status',
			message: 'Уже утверждена.'
		});
		const crash = await app.inject({ url: '/api/crash' });
		expect(crash.statusCode).toBe(500);
		expect(crash.body).not.toContain('secret detail');
	});
});
