import { once } from 'node:events';
import { connect, createServer } from 'node:net';

/** A free TCP port on loopback (the OS picks it; we release it right away). */
export async function freePort(): Promise<number> {
	const server = createServer();
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const address = server.address();
	server.close();
	if (typeof address !== 'object' || !address) throw new Error('no port');
	return address.port;
}

/** True when something accepts TCP connections on the port (a probe for servers without /healthz). */
export function listening(port: number, host = '127.0.0.1'): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect(port, host);
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
		socket.once('error', () => resolve(false));
	});
}
