import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { openStorage } from '../storage/index.js';
import { migrateStorageCommand } from './migrate-storage.js';
import { readVersion } from '../version.js';
import { identityCommands } from './identity/commands.js';
import { attachmentsGcCommand } from './attachments-gc.js';

/**
 * Admin CLI: `npm run cli -- <command> [options]`. Commands work on the data directory
 * directly (DATA_DIR), so they also work while the server is stopped.
 */
interface Command {
	summary: string;
	usage: string;
	run(args: string[]): Promise<number> | number;
}

const commands: Record<string, Command> = {
	status: {
		summary:
			'Show the storage (data directory or DATABASE_URL), schema version and product version',
		usage: 'status',
		async run() {
			const config = loadConfig(process.env);
			const storage = await openStorage({ ...config, poolSize: config.pgPoolSize });
			try {
				console.log(`version:        ${readVersion()}`);
				console.log(`storage:        ${storage.kind} (${storage.location})`);
				console.log(`schema version: ${await storage.schemaVersion()}`);
			} finally {
				await storage.close();
			}
			return 0;
		}
	},
	migrate: {
		summary: 'Apply pending storage migrations (the server also does this at start-up)',
		usage: 'migrate',
		async run() {
			const config = loadConfig(process.env);
			const storage = await openStorage({ ...config, poolSize: config.pgPoolSize });
			console.log(`schema version ${await storage.schemaVersion()}`);
			await storage.close();
			return 0;
		}
	},
	'migrate-storage': migrateStorageCommand,
	'attachments-gc': attachmentsGcCommand,
	...identityCommands
};

function help(): string {
	const width = Math.max(...Object.keys(commands).map((c) => c.length));
	const lines = Object.entries(commands).map(
		([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`
	);
	return [
		'Usage: npm run cli -- <command> [options]',
		'',
		'Commands:',
		...lines,
		'',
		'Environment: DATA_DIR (default ./data), DATABASE_URL (PostgreSQL instead of SQLite). Run `npm run cli -- <command> --help` for details.'
	].join('\n');
}

export async function runCli(argv: string[]): Promise<number> {
	const [name, ...rest] = argv;
	if (!name || name === '--help' || name === '-h' || name === 'help') {
		console.log(help());
		return 0;
	}
	const command = commands[name];
	if (!command) {
		console.error(`Unknown command "${name}".\n\n${help()}`);
		return 2;
	}
	const { values } = parseArgs({
		args: rest,
		strict: false,
		options: { help: { type: 'boolean' } }
	});
	if (values.help) {
		console.log(`Usage: npm run cli -- ${command.usage}\n\n${command.summary}`);
		return 0;
	}
	return command.run(rest);
}

runCli(process.argv.slice(2)).then(
	(code) => process.exit(code),
	(error: unknown) => {
		console.error(error instanceof Error ? error.message : error);
		process.exit(1);
	}
);
