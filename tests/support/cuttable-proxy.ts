import net from 'node:net';

/** A TCP proxy in front of Redis that the test can cut and restore. */
export async function cuttableProxy(target: URL) {
	const sockets = new Set<net.Socket>();
	let open = true;
	const server = net.createServer((client) => {
		if (!open) return client.destroy();
		const upstream = net.connect(Number(target.port || 6379), target.hostname);
		sockets.add(client).add(upstream);
		client.pipe(upstream).pipe(client);
		const end = () => {
			client.destroy();
			upstream.destroy();
		};
		client.on('error', end).on('close', end);
		upstream.on('error', end).on('close', end);
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const port = (server.address() as net.AddressInfo).port;
	return {
		url: `redis://127.0.0.1:${port}`,
		cut() {
			open = false;
			for (const s of sockets) s.destroy();
			sockets.clear();
		},
		restore() {
			open = true;
		},
		close: () => {
			for (const s of sockets) s.destroy();
			return new Promise<void>((r) => server.close(() => r()));
		}
	};
}
