/**
 * A TCP proxy on loopback between clients and the relay that misbehaves like a phone network,
 * on a seeded schedule: per connection it delays each direction by its own random latency (so
 * messages of different connections arrive reordered), splits chunks at random byte offsets
 * (frames arrive in pieces), cuts the connection after a random number of bytes (often
 * mid-frame), stalls it (packets dropped) and then cuts it, and refuses new connections for a
 * while (a partition). `heal()` turns all of it off.
 */
import { createServer, Socket, type Server } from 'node:net';
import { once } from 'node:events';
import type { Rng } from './harness';

export interface ProxyStats {
	connections: number;
	cuts: number;
	stalls: number;
	refused: number;
	splits: number;
	bytes: number;
}

export interface ChaosProxy {
	port: number;
	wsBase: string;
	stats: ProxyStats;
	/** Faults on (default) or off. */
	setChaos(on: boolean): void;
	/** Refuse new connections for `ms` (a partition), cutting the live ones. */
	partition(ms: number): void;
	/** Cut every live connection now (e.g. the phone lost coverage). */
	cutAll(): void;
	close(): Promise<void>;
}

export async function startChaosProxy(targetPort: number, r: Rng): Promise<ChaosProxy> {
	let chaos = true;
	let refuseUntil = 0;
	const stats: ProxyStats = { connections: 0, cuts: 0, stalls: 0, refused: 0, splits: 0, bytes: 0 };
	const pairs = new Set<{ client: Socket; upstream: Socket }>();
	const timers = new Set<NodeJS.Timeout>();
	const later = (ms: number, fn: () => void) => {
		const t = setTimeout(() => {
			timers.delete(t);
			fn();
		}, ms);
		timers.add(t);
	};

	const server: Server = createServer((client) => {
		stats.connections++;
		client.on('error', () => {});
		if (Date.now() < refuseUntil) {
			stats.refused++;
			client.destroy();
			return;
		}
		const upstream = new Socket();
		upstream.on('error', () => {});
		upstream.connect(targetPort, '127.0.0.1');
		const pair = { client, upstream };
		pairs.add(pair);
		let dead = false;
		const kill = () => {
			if (dead) return;
			dead = true;
			pairs.delete(pair);
			client.destroy();
			upstream.destroy();
		};
		client.on('close', kill);
		upstream.on('close', kill);

		// The fault plan of this connection, drawn when it opens.
		const latency = [r.int(30), r.int(30)];
		const cutAfter = chaos && r.chance(0.5) ? r.range(1, 20_000) : Infinity;
		const stallAfter = chaos && r.chance(0.2) ? r.range(1, 20_000) : Infinity;
		let forwarded = 0;
		let stalled = false;

		const pipe = (from: Socket, to: Socket, dir: 0 | 1) => {
			// Per direction, chunks are delivered in order (TCP), each after the connection's latency.
			let chain = Promise.resolve();
			from.on('data', (chunk: Buffer) => {
				if (dead || stalled) return;
				const pieces: Buffer[] = [];
				if (chaos && chunk.length > 1 && r.chance(0.3)) {
					const at = 1 + r.int(chunk.length - 1);
					pieces.push(chunk.subarray(0, at), chunk.subarray(at));
					stats.splits++;
				} else pieces.push(chunk);
				for (const piece of pieces) {
					chain = chain.then(
						() =>
							new Promise<void>((resolve) => {
								const deliver = () => {
									if (dead || stalled) return resolve();
									if (chaos && forwarded + piece.length >= cutAfter) {
										// Cut mid-stream: deliver only part of this piece, then reset.
										const part = Math.max(0, cutAfter - forwarded);
										if (part > 0) to.write(piece.subarray(0, part));
										stats.cuts++;
										kill();
										return resolve();
									}
									if (chaos && forwarded + piece.length >= stallAfter) {
										// Packets dropped from now on; the "network" gives up later.
										stalled = true;
										stats.stalls++;
										later(r.range(200, 2_000), () => {
											stats.cuts++;
											kill();
										});
										return resolve();
									}
									forwarded += piece.length;
									stats.bytes += piece.length;
									to.write(piece);
									resolve();
								};
								const delay = chaos ? latency[dir]! : 0;
								if (delay > 0) later(delay, deliver);
								else deliver();
							})
					);
				}
			});
		};
		pipe(client, upstream, 0);
		pipe(upstream, client, 1);
	});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const address = server.address();
	if (typeof address !== 'object' || !address) throw new Error('proxy: no port');
	const cutAll = () => {
		for (const { client, upstream } of [...pairs]) {
			stats.cuts++;
			client.destroy();
			upstream.destroy();
		}
	};
	return {
		port: address.port,
		wsBase: `ws://127.0.0.1:${address.port}/sync`,
		stats,
		setChaos(on) {
			chaos = on;
		},
		partition(ms) {
			refuseUntil = Date.now() + ms;
			cutAll();
		},
		cutAll,
		async close() {
			for (const t of timers) clearTimeout(t);
			cutAll();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		}
	};
}
