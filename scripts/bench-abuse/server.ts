/**
 * The measured server of `npm run bench:abuse`: the bundle `npm start` runs (build/server/main.js)
 * as its own process on a copy of a seeded data directory, plus the samplers that watch it
 * (`/healthz` latency, RSS, CPU). A crash or a stall is detected here and the server replaced by
 * a fresh one on a fresh copy of the seed, so that one attack's leftovers never explain the next.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadServerSecret } from '../../server/auth/secret';
import { mintAccessToken } from '../../server/auth/tokens';
import { createIdentity } from '../../server/identity/index';
import { SYSTEM_ACTOR } from '../../server/identity/service';
import { createIdentityStore } from '../../server/identity/sql-store';
import { createLogger } from '../../server/logger';
import { createPrograms } from '../../server/programs/index';
import { openStorage } from '../../server/storage/index';
import { TEMPLATES } from '../../src/lib/shared/program/index';
import { cpuMs, rssMb } from '../../tests/integration/server-process';
import { createTestServer, type ChildTestServer } from '../../tests/support/test-server';

export const SECRET = 'bench-abuse-secret-0123456789abcdef01234567';
/** Opens `/metrics` of the measured server to the driver (event-loop delay per window). */
export const METRICS_TOKEN = 'bench-abuse-metrics-0123456789abcdef0123456';
export const CURATOR_LOGIN = 'bench.curator';
export const CURATOR_PASSWORD = 'bench-curator-password-1';

/** `--env K=V[,K=V…]`: extra environment for the measured server (e.g. a setting to compare). */
export function parseEnvOption(value: string): Record<string, string> {
	return Object.fromEntries(
		value
			.split(',')
			.filter(Boolean)
			.map((kv) => {
				const i = kv.indexOf('=');
				if (i < 1) throw new Error(`--env wants K=V, got ${kv}`);
				return [kv.slice(0, i), kv.slice(i + 1)];
			})
	);
}

export interface Seed {
	dir: string;
	organizationId: string;
	/** A program of the curator's school that the attacker grows towards 22 MiB. */
	bigProgramId: string;
	/** A program of the curator's school whose title the attacker sets to U+FFFE. */
	titleProgramId: string;
	/** The attacker: the mentor of both curator-visible programs. */
	attackerId: string;
	pairProgramIds: string[];
}

/** Seeds a data directory with the server's own modules (migrations included), then closes it. */
export async function seed(pairs: number): Promise<Seed> {
	const dir = mkdtempSync(path.join(tmpdir(), 'nastavnik-bench-abuse-seed-'));
	const storage = await openStorage({ dataDir: dir, databaseUrl: null });
	try {
		const secret = await loadServerSecret(storage.sql, SECRET);
		const logger = createLogger('warn', process.stderr);
		const identity = createIdentity({ store: createIdentityStore(storage.sql), secret, logger });
		const programs = createPrograms({ identity, documents: storage.documents, logger });
		const sys = SYSTEM_ACTOR;
		const mun = await identity.createMunicipality(sys, 'Бенчмарк-район');
		const org = await identity.createOrganization(sys, mun.id, 'МАОУ «Школа бенчмарка»');
		const curator = await identity.createPerson(
			sys,
			{ organizationId: org.id },
			{ fullName: 'Кураторова Анна Петровна' }
		);
		await identity.assignRole(sys, curator.id, 'curator', { organizationId: org.id });
		await identity.setPassword(sys, curator.id, CURATOR_LOGIN, CURATOR_PASSWORD);
		const attacker = await identity.createPerson(
			sys,
			{ organizationId: org.id },
			{ fullName: 'Злоумышленников Пётр Иванович' }
		);
		const mentee = await identity.createPerson(
			sys,
			{ organizationId: org.id },
			{ fullName: 'Честнова Мария Сергеевна' }
		);
		const curatorActor = await identity.actorFor(curator.id);
		const templateId = TEMPLATES.find((t) => t.id !== 'blank')?.id;
		if (!templateId) throw new Error('no program template');
		const make = async () =>
			(
				await programs.createProgram(curatorActor, {
					organizationId: org.id,
					templateId,
					startDate: '2026-09-01',
					participants: [
						{ personId: attacker.id, role: 'mentor' },
						{ personId: mentee.id, role: 'mentee' }
					]
				})
			).id;
		const bigProgramId = await make();
		const titleProgramId = await make();
		// Honest pairs: programs known to the relay, reached with operator tokens (as bench:relay).
		const pairProgramIds = Array.from({ length: pairs }, (_, i) => `pair-${i}`);
		for (const id of pairProgramIds) await storage.documents.createProgram(id);
		return {
			dir,
			organizationId: org.id,
			bigProgramId,
			titleProgramId,
			attackerId: attacker.id,
			pairProgramIds
		};
	} finally {
		await storage.close();
	}
}

export function token(userId: string, programId: string, access: 'rw' | 'ro' = 'rw'): string {
	return mintAccessToken(SECRET, { userId, programId, access, expiresAt: Date.now() + 3_600_000 });
}

export interface Sample {
	t: number;
	value: number;
}

/** One server process and what is known about it. */
export class MeasuredServer {
	readonly healthz: Array<{ t: number; ms: number; ok: boolean }> = [];
	readonly rss: Sample[] = [];
	/** Start of the /healthz request in flight (a stalled server never answers it). */
	probeStartedAt: number | null = null;
	exit: number | string | null = null;
	private running = true;
	private readonly timers: NodeJS.Timeout[] = [];

	private constructor(
		readonly t: ChildTestServer,
		readonly runDir: string
	) {
		void t.exited.then((code) => {
			this.exit = code;
		});
		this.timers.push(
			setInterval(() => {
				if (this.exit !== null) return;
				try {
					this.rss.push({ t: performance.now(), value: rssMb(this.pid) });
				} catch {
					// the process is gone; `exit` says so
				}
			}, 500)
		);
		void this.probe();
	}

	static async start(seedDir: string, extraEnv: Record<string, string>): Promise<MeasuredServer> {
		// BENCH_ABUSE_SERVER_ENTRY: another bundle (e.g. an older commit's, for a before/after pair
		// measured under the same load).
		const entry = process.env.BENCH_ABUSE_SERVER_ENTRY ?? 'build/server/main.js';
		if (!existsSync(entry))
			throw new Error(
				`${entry} is missing: run \`npm run build:server\` (npm run bench:abuse does)`
			);
		const runDir = mkdtempSync(path.join(tmpdir(), 'nastavnik-bench-abuse-run-'));
		cpSync(seedDir, runDir, { recursive: true });
		const t = await createTestServer({
			mode: 'child',
			// BENCH_ABUSE_PROFILE_DIR: the same bundle with a CPU profile of its main thread.
			entry: process.env.BENCH_ABUSE_PROFILE_DIR ? 'scripts/bench-abuse/profiled-main.mjs' : entry,
			dataDir: runDir,
			storage: null,
			logLevel: 'warn',
			env: {
				SERVER_SECRET: SECRET,
				// All honest phones of the benchmark come from 127.0.0.1; in the field they come from
				// many addresses (the default per-address cap, 500, is below 2 × 200 + the attacker).
				RELAY_MAX_CONNECTIONS_PER_IP: '100000',
				METRICS_TOKEN,
				// The production default (the test factory runs workers at the loop's priority).
				WORKER_NICE: '10',
				// The bundle profiled-main.mjs loads (this environment is all the server sees).
				...(process.env.BENCH_ABUSE_PROFILE_DIR
					? {
							BENCH_ABUSE_PROFILE_DIR: path.resolve(process.env.BENCH_ABUSE_PROFILE_DIR),
							BENCH_ABUSE_PROFILED_ENTRY: path.resolve(entry)
						}
					: {}),
				...extraEnv
			}
		});
		return new MeasuredServer(t, runDir);
	}

	get pid(): number {
		return this.t.pid;
	}
	get url(): string {
		return this.t.url;
	}
	get wsBase(): string {
		return this.t.wsBase;
	}
	get alive(): boolean {
		return this.exit === null;
	}

	cpuMs(): number {
		return this.alive ? cpuMs(this.pid) : NaN;
	}

	/**
	 * CPU time of the server's main thread alone (the event loop; worker threads excluded), from
	 * /proc/<pid>/task/<pid>/stat: what an attack costs the loop every honest client waits on,
	 * whatever else shares the machine.
	 */
	mainThreadCpuMs(): number {
		if (!this.alive) return NaN;
		try {
			const stat = readFileSync(`/proc/${this.pid}/task/${this.pid}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // CLK_TCK = 100
		} catch {
			return NaN;
		}
	}

	/**
	 * The server's event-loop delay (prom-client's monitorEventLoopDelay, p99 and max in ms) since
	 * the previous call: the histogram is reset on every scrape. NaN when it cannot be read.
	 */
	async loopDelay(): Promise<{ p99: number; max: number; relief: string | null }> {
		try {
			const r = await fetch(`${this.url}/metrics`, {
				headers: { authorization: `Bearer ${METRICS_TOKEN}` },
				signal: AbortSignal.timeout(10_000)
			});
			const text = await r.text();
			const read = (name: string) => {
				const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, 'm').exec(text);
				return m ? Number(m[1]) * 1000 : NaN;
			};
			return {
				p99: read('nodejs_eventloop_lag_p99_seconds'),
				max: read('nodejs_eventloop_lag_max_seconds'),
				relief: this.reliefSince({
					collections: read('nastavnik_memory_relief_collections_total') / 1000,
					pauseMs: read('nastavnik_memory_relief_pause_seconds_total')
				})
			};
		} catch {
			return { p99: NaN, max: NaN, relief: null };
		}
	}

	private relief = { collections: 0, pauseMs: 0 };
	/**
	 * What the memory relief did since the previous reading (server/memory/relief.ts): its
	 * reductions' collections pause the loop, so a window's stall may be one. Null when it did nothing.
	 */
	private reliefSince(now: { collections: number; pauseMs: number }): string | null {
		const previous = this.relief;
		this.relief = now;
		const reductions = Math.round(now.collections - previous.collections);
		if (!(reductions > 0)) return null;
		const pause = (now.pauseMs - previous.pauseMs).toFixed(0);
		return `memory relief: ${reductions} reduction(s), longest pauses ${pause} ms in all`;
	}

	rssNow(): number {
		try {
			return this.alive ? rssMb(this.pid) : NaN;
		} catch {
			return NaN;
		}
	}

	/** The server's threads now (a worker thread of the pool holds tens of MB while it lives). */
	threadsNow(): number {
		try {
			const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
			return Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
		} catch {
			return NaN;
		}
	}

	/** /healthz every 250 ms, one at a time (a stalled server shows as one long request). */
	private async probe(): Promise<void> {
		while (this.running && this.exit === null) {
			const start = performance.now();
			this.probeStartedAt = start;
			let ok = false;
			try {
				const r = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(120_000) });
				ok = r.ok;
				await r.arrayBuffer();
			} catch {
				ok = false;
			}
			this.probeStartedAt = null;
			if (!this.running) return;
			this.healthz.push({ t: start, ms: performance.now() - start, ok });
			await new Promise((r) => setTimeout(r, 250));
		}
	}

	/** Worst /healthz latency of probes started in [from, to], counting one still unanswered. */
	healthzWorst(from: number, to: number): { ms: number; failed: number } {
		let ms = 0;
		let failed = 0;
		for (const h of this.healthz) {
			if (h.t < from || h.t > to) continue;
			ms = Math.max(ms, h.ms);
			if (!h.ok) failed++;
		}
		if (this.probeStartedAt !== null && this.probeStartedAt <= to)
			ms = Math.max(ms, performance.now() - Math.max(from, this.probeStartedAt));
		return { ms, failed };
	}

	rssMax(from: number, to: number): number {
		let max = NaN;
		for (const s of this.rss)
			if (s.t >= from && s.t <= to) max = Number.isNaN(max) ? s.value : Math.max(max, s.value);
		return max;
	}

	/** Whether /healthz answers within `ms` now. */
	async healthy(ms = 2000): Promise<boolean> {
		if (!this.alive) return false;
		try {
			const r = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(ms) });
			await r.arrayBuffer();
			return r.ok;
		} catch {
			return false;
		}
	}

	/** SIGTERM, then SIGKILL after 5 s; says whether SIGTERM was enough. */
	async stop(): Promise<'exited' | 'killed' | 'was-down'> {
		this.running = false;
		for (const t of this.timers) clearInterval(t);
		let how: 'exited' | 'killed' | 'was-down' = 'was-down';
		if (this.exit === null) {
			this.t.child.kill('SIGTERM');
			const done = await Promise.race([
				this.t.exited.then(() => true),
				new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))
			]);
			how = 'exited';
			if (!done) {
				how = 'killed';
				await this.t.stop('SIGKILL');
			}
		}
		rmSync(this.runDir, { recursive: true, force: true });
		return how;
	}

	/** The last lines the server wrote (for a crash report). */
	tail(lines = 8): string {
		return this.t.logs().trimEnd().split('\n').slice(-lines).join('\n');
	}
}

/** Signs the curator in over HTTP (a cookie `nst_session=…`). */
export async function curatorCookie(url: string): Promise<string> {
	const r = await fetch(`${url}/api/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ login: CURATOR_LOGIN, password: CURATOR_PASSWORD, deviceName: 'bench' })
	});
	const cookie = r.headers.get('set-cookie')?.split(';')[0];
	if (r.status !== 200 || !cookie)
		throw new Error(`curator login failed: ${r.status} ${await r.text()}`);
	return cookie;
}
