import { createServer } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { pinMmapThreshold } from './memory/allocator.js';
import { startMemoryRelief } from './memory/relief.js';

/** `npm start`: the all-in-one server (PWA + API + relay) on one port. */
async function main(): Promise<void> {
	let config;
	try {
		// The only place the server reads its environment (server/config.ts has the schema).
		config = loadConfig(process.env);
	} catch (error) {
		if (error instanceof ConfigError) {
			console.error(`Configuration error: ${error.message}`);
			process.exit(2);
		}
		throw error;
	}
	const logger = createLogger(config.logLevel);
	// Process-wide memory settings: here, not in createServer (tests run several servers in one process).
	pinMmapThreshold(process.env, logger);
	const server = await createServer(config, logger);
	const relief = startMemoryRelief(
		{
			growthBytes: config.memoryReliefMb * 1048576,
			liveBytes: () => server.relay.keptSummaryBytes()
		},
		logger,
		server.metrics
	);
	const port = await server.listen();
	logger.info({ port, host: config.host, dataDir: config.dataDir }, 'server started');
	if (process.stdout.isTTY || process.env.npm_lifecycle_event === 'start') {
		const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
		console.error(`\n  Наставник is running at http://${host}:${port}\n`);
	}

	let stopping = false;
	const stop = (signal: string) => {
		if (stopping) return;
		stopping = true;
		logger.info({ signal }, 'shutting down');
		relief.stop();
		// A hung shutdown must not keep a deploy waiting forever.
		const timer = setTimeout(() => {
			logger.error('shutdown timed out after 10 s, exiting');
			process.exit(1);
		}, 10_000);
		timer.unref();
		server.close().then(
			() => {
				logger.info('shutdown complete');
				process.exit(0);
			},
			(error: unknown) => {
				logger.error({ err: error }, 'shutdown failed');
				process.exit(1);
			}
		);
	};
	process.on('SIGTERM', () => stop('SIGTERM'));
	process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
