/**
 * The upgrade's refusal paths over a real local HTTP server (port 0): a refused connection
 * completes the handshake and is closed with its close code; no document byte is sent.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { AuthorizationResult } from '../auth/authorize.js';
import { createLogger } from '../logger.js';
import { systemClock } from './clock.js';
import { AddressCounts } from './limits.js';
import { createRelayMetrics } from './metrics.js';
import { CloseCode } from './protocol.js';
import {
	createUpgradeHandler,
	programIdOf,
	remoteAddress,
	type AcceptedUpgrade
} from './upgrade.js';

/** Waits for a condition, turn by turn (no fixed sleep). */
const until = (condition: () => boolean) =>
	new Promise<void>((resolve) => {
		const check = () => (condition() ? resolve() : setImmediate(check));
		check();
	});

let servers: Server[] = [];
afterEach(async () => {
	for (const s of servers) await new Promise((resolve) => s.close(resolve));
	servers = [];
});

async function setup(
	options: {
		authorize?: (programId: string) => Promise<AuthorizationResult>;
		maxConnectionsPerIp?: number;
		closing?: boolean;
	} = {}
) {
	const wss = new WebSocketServer({ noServer: true });
	const accepted: AcceptedUpgrade[] = [];
	const addresses = new AddressCounts(options.maxConnectionsPerIp ?? 10);
	const handle = createUpgradeHandler({
		wss,
		authorize: async (_request, programId) =>
			options.authorize
				? options.authorize(programId)
				: { userId: 'u1', access: 'rw', expiresAt: Date.now() + 60_000 },
		addresses,
		config: { trustedProxyHops: 0, maxConnectionsPerIp: options.maxConnectionsPerIp ?? 10 },
		clock: systemClock(),
		metrics: createRelayMetrics(new Registry()),
		log: createLogger('silent'),
		isClosing: () => options.closing ?? false,
		accept: (upgrade) => accepted.push(upgrade)
	});
	const server = createServer();
	server.on('upgrade', (request, socket, head) => {
		if (!handle(request, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
	});
	servers.push(server);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	/** Opens a websocket; resolves with its close code (and whether any message came). */
	const attempt = (path: string) =>
		new Promise<{ code: number; messages: number; opened: boolean }>((resolve) => {
			const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
			let messages = 0;
			let opened = false;
			ws.on('open', () => {
				opened = true;
			});
			ws.on('message', () => messages++);
			ws.on('close', (code) => resolve({ code, messages, opened }));
			ws.on('error', () => undefined);
		});
	return { accepted, attempt, addresses };
}

describe('upgrade', () => {
	it('reads the program id of /sync/ paths only', () => {
		expect(programIdOf('/sync/abc?token=x')).toBe('abc');
		expect(programIdOf('/sync/%E0%A4%A')).toBe('');
		expect(programIdOf('/api/x')).toBeNull();
	});

	it('trusts X-Forwarded-For only through the configured proxies', () => {
		const request = {
			socket: { remoteAddress: '10.0.0.9' },
			headers: { 'x-forwarded-for': '1.1.1.1, 2.2.2.2' }
		} as unknown as IncomingMessage;
		expect(remoteAddress(request, 0)).toBe('10.0.0.9');
		expect(remoteAddress(request, 1)).toBe('2.2.2.2');
		expect(remoteAddress(request, 2)).toBe('1.1.1.1');
	});

	it('refuses with the close code of the denial, sending nothing', async () => {
		const denials = {
			unauthenticated: CloseCode.UNAUTHENTICATED,
			forbidden: CloseCode.FORBIDDEN,
			not_found: CloseCode.NOT_FOUND,
			expired: CloseCode.AUTH_EXPIRED
		} as const;
		for (const [deny, code] of Object.entries(denials)) {
			const { attempt, accepted, addresses } = await setup({
				authorize: async () => ({ deny: deny as keyof typeof denials })
			});
			expect(await attempt('/sync/p1')).toEqual({ code, messages: 0, opened: true });
			expect(accepted).toHaveLength(0);
			expect(addresses.size).toBe(0); // the slot is given back
		}
	});

	it('refuses an invalid program id as unknown (4404), a server error as 1011', async () => {
		const { attempt } = await setup();
		expect((await attempt('/sync/not%20valid')).code).toBe(CloseCode.NOT_FOUND);
		const failing = await setup({ authorize: () => Promise.reject(new Error('db down')) });
		expect((await failing.attempt('/sync/p1')).code).toBe(CloseCode.INTERNAL_ERROR);
	});

	it('refuses beyond the per-address limit (4529) and while shutting down (1012)', async () => {
		const { attempt, accepted } = await setup({ maxConnectionsPerIp: 1 });
		const first = attempt('/sync/p1');
		await until(() => accepted.length === 1);
		expect((await attempt('/sync/p1')).code).toBe(CloseCode.TOO_MANY_CONNECTIONS);
		expect(accepted).toHaveLength(1);
		accepted[0]?.ws.close(1000);
		await first;
		const closing = await setup({ closing: true });
		expect((await closing.attempt('/sync/p1')).code).toBe(CloseCode.SERVICE_RESTART);
	});

	it('hands an authorized upgrade over with its grant and address', async () => {
		const { attempt, accepted } = await setup();
		const done = attempt('/sync/p1');
		await until(() => accepted.length === 1);
		expect(accepted[0]).toMatchObject({
			programId: 'p1',
			ip: '127.0.0.1',
			grant: { userId: 'u1' }
		});
		accepted[0]?.ws.close(1000);
		expect((await done).code).toBe(1000);
	});
});
