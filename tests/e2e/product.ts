import { request, test, type APIRequestContext } from '@playwright/test';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServerProcess, type ServerProcess } from '../integration/server-process';

const run = promisify(execFile);

/**
 * The built product (server + PWA) on its own port and data directory, for tests that need to
 * restart it or to set up people and programs through the CLI and the API.
 */
export class Product {
	server: ServerProcess | null = null;
	readonly dataDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-e2e-product-'));
	port = 0;

	/** `env`: server configuration on top of the defaults (e.g. shorter relay intervals). */
	constructor(readonly env: Record<string, string> = {}) {}

	get url(): string {
		return `http://localhost:${this.port}`;
	}

	async start(): Promise<void> {
		this.server = await startServerProcess(
			this.dataDir,
			{
				LOG_LEVEL: 'warn',
				CLIENT_DIR: 'build/client',
				// Playwright's API clients (not Chromium) reuse a kept-alive connection without retrying:
				// idle past the default 10 s — a longer test of the file between two of their requests —
				// the server's close crossed a request («socket hang up» on a POST, two tests of one CI
				// run, 2026-11-28). Longer than any spec file here.
				HTTP_KEEP_ALIVE_TIMEOUT_MS: '600000',
				...this.env
			},
			{ built: true, ...(this.port ? { port: this.port } : {}) }
		);
		this.port = this.server.port;
	}

	/** Stops the server; SIGKILL simulates a crash, SIGTERM a deploy. */
	async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
		if (!this.server) return;
		this.server.child.kill(signal);
		await this.server.exited;
		this.server = null;
	}

	async restart(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
		await this.stop(signal);
		await this.start();
	}

	async dispose(): Promise<void> {
		await this.stop();
		rmSync(this.dataDir, { recursive: true, force: true });
	}

	/**
	 * The built CLI, as the product's server is the built one (`npm run test:e2e` builds first):
	 * 0.35 s a call here, against 1.7 s through tsx, which compiled the CLI's sources at every
	 * call of every test.
	 */
	async cli(...args: string[]): Promise<string> {
		const { stdout } = await run(process.execPath, ['build/server/cli.js', ...args], {
			env: { ...process.env, DATA_DIR: this.dataDir, PUBLIC_URL: this.url }
		});
		return stdout;
	}

	/** A curator signed in through the invitation the CLI prints, as an API client. */
	async setupOrganization(): Promise<Curator> {
		const out = await this.cli(
			'setup',
			'--municipality',
			'Город Томск',
			'--organization',
			'МАОУ СОШ № 1',
			'--curator',
			'Смирнова Ольга Петровна'
		);
		const link = /https?:\/\/\S+\/invite#(\S+)/.exec(out);
		const org = /Организация:.*\(([\w-]+)\)/.exec(out);
		if (!link?.[1] || !org?.[1]) throw new Error(`unexpected setup output:\n${out}`);
		const api = await request.newContext({ baseURL: this.url });
		await ok(api.post('/api/invitations/redeem', { data: { code: link[1] } }));
		return new Curator(api, org[1], this);
	}
}

/**
 * The built product for one spec file, with a curator signed in (`setupOrganization`): started
 * before the file's first test, stopped after its last. `curator` is set once the file runs.
 * `setupTimeout` (ms): the start's own time limit, when it needs more than a test's.
 */
export function productForFile(
	env: Record<string, string> = {},
	setupTimeout?: number
): {
	product: Product;
	curator: Curator;
} {
	const file = { product: new Product(env) } as { product: Product; curator: Curator };
	test.beforeAll(async () => {
		if (setupTimeout) test.setTimeout(setupTimeout);
		await file.product.start();
		file.curator = await file.product.setupOrganization();
	});
	test.afterAll(async () => {
		await file.curator?.api.dispose();
		await file.product.dispose();
	});
	return file;
}

/** The JSON of a successful API response; anything else throws with the status and body. */
export async function ok<T = unknown>(
	response: Promise<import('@playwright/test').APIResponse>
): Promise<T> {
	const r = await response;
	if (!r.ok()) throw new Error(`${r.url()} → ${r.status()} ${await r.text()}`);
	return (await r.json()) as T;
}

export interface PairProgram {
	programId: string;
	mentorLink: string;
	menteeLink: string;
	mentorId: string;
	menteeId: string;
}

export class Curator {
	constructor(
		readonly api: APIRequestContext,
		readonly organizationId: string,
		readonly product: Product
	) {}

	async addPerson(fullName: string, role: 'mentor' | 'mentee'): Promise<string> {
		const { person } = await ok<{ person: { id: string } }>(
			this.api.post(`/api/organizations/${this.organizationId}/people`, {
				// Each test's pair is new people, even when another test of the file used the same names.
				data: {
					fullName,
					position: role === 'mentor' ? 'учитель' : 'молодой педагог',
					allowDuplicate: true
				}
			})
		);
		await ok(
			this.api.post(`/api/people/${person.id}/roles`, {
				data: { role, organizationId: this.organizationId }
			})
		);
		return person.id;
	}

	async invite(personId: string, programId: string): Promise<string> {
		const { url } = await ok<{ url: string }>(
			this.api.post('/api/invitations', { data: { personId, programId } })
		);
		// The link carries the server's origin; tests open it on the product's own port.
		return this.product.url + new URL(url).pathname + new URL(url).hash;
	}

	/** A mentor–mentee pair with a program from a template, and one invitation link each. */
	async createPairProgram(
		templateId = 'tomsk-heads-beginner',
		startDate?: string
	): Promise<PairProgram> {
		const mentorId = await this.addPerson('Иванова Мария Сергеевна', 'mentor');
		const menteeId = await this.addPerson('Петров Алексей Игоревич', 'mentee');
		const { program } = await ok<{ program: { id: string } }>(
			this.api.post('/api/programs', {
				data: {
					organizationId: this.organizationId,
					templateId,
					title: 'Программа наставничества: Петров А. И.',
					...(startDate ? { startDate } : {}),
					participants: [
						{ personId: mentorId, role: 'mentor' },
						{ personId: menteeId, role: 'mentee' }
					]
				}
			})
		);
		return {
			programId: program.id,
			mentorId,
			menteeId,
			mentorLink: await this.invite(mentorId, program.id),
			menteeLink: await this.invite(menteeId, program.id)
		};
	}
}
